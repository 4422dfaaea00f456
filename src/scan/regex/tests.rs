//! Verification against hand-worked yara results.

use super::*;

/// Matches of `text` with `flags` over `data`, checked the same through copied windows.
fn matches(text: &[u8], flags: RegexFlags, data: &[u8]) -> Vec<(u64, u32)> {
    let r = RegexString::compile(text, flags).unwrap();
    let found = r.find_all(data).unwrap();
    assert_eq!(found, r.find_all_windowed(data).unwrap());
    found
}

fn plain() -> RegexFlags {
    RegexFlags {
        ascii: true,
        ..Default::default()
    }
}

#[test]
fn forward_is_leftmost_first_and_backward_exhaustive() {
    assert_eq!(matches(b"ab+c", plain(), b"xabbbc"), [(1, 5)]);
    assert_eq!(
        matches(b"[a-z]+123", plain(), b"xyz123"),
        [(0, 6), (1, 5), (2, 4)]
    );
    assert_eq!(matches(b"abc.*d", plain(), b"abcdxd\nd"), [(0, 6)]);
    assert_eq!(matches(b"abc.*?d", plain(), b"abcdxd"), [(0, 4)]);
    let dot_all = RegexFlags {
        dot_all: true,
        ..plain()
    };
    assert_eq!(matches(b"abc.*d", dot_all, b"abcdxd\nd"), [(0, 8)]);
}

#[test]
fn anchors_and_boundaries_see_the_real_data() {
    assert_eq!(matches(b"^abc", plain(), b"abcabc"), [(0, 3)]);
    assert_eq!(matches(b"abc$", plain(), b"abcabc"), [(3, 3)]);
    assert_eq!(
        matches(br"\bfoo\b", plain(), b"foo xfoo foo"),
        [(0, 3), (9, 3)]
    );
    // yara's `\b` holds at the start and the end of the data, also next to a non-word byte.
    assert_eq!(matches(br"\b\.ab", plain(), b".abc"), [(0, 3)]);
    assert_eq!(matches(br"bc\.\b", plain(), b"abc."), [(1, 3)]);
    assert_eq!(matches(br"\b\.ab", plain(), b"x.abc"), [(1, 3)]);
    assert_eq!(matches(br"\b\.ab", plain(), b" .abc"), []);
    // yara's `\B` never holds there.
    let text = b".abc foo xfoo foo_ .ab";
    assert_eq!(matches(br"\B\.ab", plain(), text), [(0x13, 3)]);
    assert_eq!(matches(br"\.ab\B", plain(), text), [(0, 3)]);
    assert_eq!(matches(br"x\B", plain(), b"xx.ab"), [(0, 1)]);
    // ... and at the scan limit, whatever the bytes beyond it.
    let mut long = b"abc".to_vec();
    long.extend([b'a'; 5000]);
    assert_eq!(matches(br"abc[a-z]*\b", plain(), &long), [(0, 4096)]);
    let mut long = vec![b'a'; 5000];
    long.extend(b"xyz");
    assert_eq!(matches(br"\b[a-z]*xyz", plain(), &long), [(904, 4099)]);
}

/// UTF-16LE of `s`.
fn widened(s: &str) -> Vec<u8> {
    s.bytes().flat_map(|b| [b, 0]).collect()
}

#[test]
fn wide_boundaries_test_two_byte_characters() {
    let wide = RegexFlags {
        wide: true,
        ..Default::default()
    };
    let mut start = widened("foo bar");
    start.extend(b"\x01\x02");
    assert_eq!(matches(br"\bfoo\b", wide, &start), [(0, 6)]);
    assert_eq!(matches(br"o\b.", wide, &start), [(4, 4)]);
    let mut end = vec![5];
    end.extend(widened("a foo"));
    assert_eq!(matches(br"\bfoo\b", wide, &end), [(5, 6)]);
    assert_eq!(matches(br"\bf\b", wide, &widened("f")), [(0, 2)]);
    // A word character is an alphanumeric byte followed by a zero byte.
    let mut mid = b"zz".to_vec();
    for part in [" foo.", "xfoo", "foo_"] {
        mid.extend(widened(part));
    }
    mid.push(1);
    mid.extend(widened("foo"));
    mid.extend(b"ab");
    mid.extend(widened("foo"));
    mid.extend(b"a\x01");
    mid.extend(widened("Foo9 .foo"));
    assert_eq!(
        matches(br"\bfoo\b", wide, &mid),
        [(0x4, 6), (0x1d, 6), (0x25, 6), (0x39, 6)]
    );
    assert_eq!(matches(br"\Bfoo", wide, &mid), [(0xe, 6), (0x14, 6)]);
    assert_eq!(matches(br"foo\B", wide, &mid), [(0xe, 6), (0x14, 6)]);
}

#[test]
fn nocase_wide_and_fullword() {
    let f = RegexFlags {
        nocase: true,
        ..plain()
    };
    assert_eq!(matches(b"qux[0-9]", f, b"QuX1 qux2"), [(0, 4), (5, 4)]);
    let wide = RegexFlags {
        wide: true,
        ..Default::default()
    };
    assert_eq!(matches(b"ab[0-9]", wide, b"a\0b\x007\0 ab7"), [(0, 6)]);
    let both = RegexFlags {
        wide: true,
        ascii: true,
        ..Default::default()
    };
    assert_eq!(
        matches(b"ab[0-9]", both, b"a\0b\x007\0 ab7"),
        [(0, 6), (7, 3)]
    );
    let fullword = RegexFlags {
        fullword: true,
        ..plain()
    };
    assert_eq!(
        matches(b"ab[0-9]", fullword, b"ab1 xab2 ab3"),
        [(0, 3), (9, 3)]
    );
}

#[test]
fn expressions_without_atoms_match_everywhere() {
    assert_eq!(matches(br"\d\d", plain(), b"a123"), [(1, 2), (2, 2)]);
}

#[test]
fn mixed_greed_and_bad_syntax_are_errors() {
    assert!(RegexString::compile(b"a.*b.*?c", plain()).is_err());
    let e = RegexString::compile(b"ab[", plain()).unwrap_err();
    assert!(e.offset == 3, "{e:?}");
}

#[test]
fn text_regex_finds_anywhere() {
    let r = TextRegex::compile(b"^ab+c", false, false).unwrap();
    assert!(r.is_match(b"abbbc..."));
    assert!(!r.is_match(b"xabc"));
    assert!(TextRegex::compile(b"AB", true, false)
        .unwrap()
        .is_match(b"xxab"));
    // yara's word tests at the ends of the text.
    let found =
        |re: &[u8], text: &[u8]| TextRegex::compile(re, false, false).unwrap().is_match(text);
    assert!(!found(br"\B\.ab", b".abc"));
    assert!(found(br"\B\.ab", b" .abc"));
    assert!(found(br"\b\.ab", b".abc"));
    assert!(!found(br"c\.\B", b"abc."));
    assert!(!found(br"c\.\B", b"abc.x"));
}

#[test]
fn huge_repeats_are_refused_not_built() {
    let e = RegexString::compile(b"((ab{999}){999}){99}", plain()).unwrap_err();
    assert!(e.message.contains("too large"), "{e:?}");
    assert!(TextRegex::compile(b"((ab{999}){999}){99}", false, false).is_err());
}

#[test]
fn samples_match_their_expression_from_their_first_byte() {
    let texts: [&[u8]; 10] = [
        b"ab+c",
        br"[a-z]{2,5}\.(exe|dll|sys)",
        br"https?:\/\/[\w.\-]{3,20}\/[^ ]*",
        br"(GetProc|LoadLib)[A-Za-z]+\x00",
        br"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
        br"x(ab|cd(ef)*?)+?y",
        br"[^\s]{4}=[A-Z]?",
        br"\W\S\D\w\s\d",
        b"(a|b|)c{,3}d",
        b".{0,5}?secret",
    ];
    for text in texts {
        for flags in [
            plain(),
            RegexFlags {
                nocase: true,
                dot_all: true,
                ..plain()
            },
            RegexFlags {
                wide: true,
                ..Default::default()
            },
        ] {
            let r = RegexString::compile(text, flags).unwrap();
            for seed in 0..25 {
                let sample = r.sample(seed);
                let found = matches(text, flags, &sample);
                assert!(
                    found.iter().any(|&(start, _)| start == 0),
                    "{} {flags:?} seed {seed}: {sample:?} gave {found:?}",
                    String::from_utf8_lossy(text)
                );
            }
        }
    }
}

#[test]
fn windows_across_read_blocks_give_the_same_matches() {
    // Letters with digits here and there, past two read blocks; runs of letters longer than
    // the scan limit sit across the block boundaries.
    let mut data = Vec::with_capacity(2_600_000);
    let mut x = 7u64;
    while data.len() < 2_600_000 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        let long_run = data.len() % (1 << 20) > (1 << 20) - 6000;
        data.push(match (x >> 59, long_run) {
            (_, true) => b'q',
            (0, _) => b'4',
            (1, _) => b'2',
            (2, _) => b' ',
            _ => b'a' + (x >> 40) as u8 % 26,
        });
    }
    let found = matches(b"[a-z]+42", plain(), &data);
    assert!(found.len() > 1000);
    assert!(found
        .iter()
        .all(|&(_, len)| len as usize <= matcher::SCAN_LIMIT + 2));
    assert!(!matches(br"[0-9]{3}[a-z ]", plain(), &data).is_empty());
}

#[test]
fn yaras_corner_cases() {
    let nocase = RegexFlags {
        nocase: true,
        ..plain()
    };
    // A negated class is negated after case folding.
    assert_eq!(matches(b"x[^a-z]", nocase, b"xq xQ x1"), [(6, 2)]);
    // Atoms are verified in the order they end: `ab` before `abca`, and the first length stays.
    assert_eq!(matches(b"x(abca|ab)", plain(), b"xabca"), [(0, 3)]);
    // No empty match is reported.
    assert_eq!(matches(b"(abc)?", plain(), b"xyabc"), [(2, 3)]);
    // Without atoms, a leading `e?` is required (yara's entry into the expression), a
    // leading `e{0,2}` or `.?` is not.
    assert_eq!(matches(b"[a-z]?[0-9]", plain(), b" 5 q6"), [(3, 2)]);
    assert_eq!(matches(b"(ab)?(cd)?", plain(), b"cd abcd"), [(3, 4)]);
    assert_eq!(matches(b"[a-z]{0,2}[0-9]", plain(), b" 5"), [(1, 1)]);
    assert_eq!(matches(b".?[0-9]", plain(), b"5"), [(0, 1)]);
}
