//! YARA rule sets scanned on every path: string matches resolved per (string, offset), rule
//! results from conditions, batches, and programmatic rule sets' rule results.

mod common;

use proptest::prelude::*;
use specrt::policy::SpeculationMode;
use specrt::scan::yara::{compile, CompileOptions};
use specrt::scan::{Backend, Match, RegexVerification, ScanOptions, ScanResult, Scanner};
use std::sync::Arc;

fn scanner(source: &str) -> Scanner {
    let compiled = compile(source.as_bytes(), "test.yar", CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Scanner::new(common::context().map(Arc::new), &compiled.rules).unwrap()
}

fn options(backend: Backend, mode: SpeculationMode, chunk: u64) -> ScanOptions {
    ScanOptions {
        backend,
        mode,
        max_chunk_bytes: chunk,
        tune: false,
        ..Default::default()
    }
}

/// Scans `data` on the CPU and, when there is a GPU, on both GPU paths with two chunk sizes;
/// asserts every run agrees and returns the CPU result.
fn scan_everywhere(scanner: &Scanner, data: &[u8]) -> ScanResult {
    let cpu = scanner
        .scan(
            data,
            &options(Backend::Cpu, SpeculationMode::Auto, 4096),
            None,
            None,
        )
        .unwrap();
    let mut runs = vec![options(Backend::Cpu, SpeculationMode::Auto, 0)];
    if scanner.has_gpu() {
        for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
            for chunk in [0, 8192] {
                runs.push(options(Backend::Gpu, mode, chunk));
            }
        }
        runs.push(ScanOptions {
            regex_verification: RegexVerification::Gpu,
            ..options(Backend::Gpu, SpeculationMode::Auto, 8192)
        });
    }
    for o in runs {
        let r = scanner.scan(data, &o, None, None).unwrap();
        assert_eq!(r.matches, cpu.matches, "{o:?}");
        assert_eq!(r.rules, cpu.rules, "{o:?}");
    }
    cpu
}

fn names(scanner: &Scanner, rules: &[u32]) -> Vec<String> {
    let logic = scanner.rules().logic.as_ref().unwrap();
    rules
        .iter()
        .map(|&r| logic.rules[r as usize].name.clone())
        .collect()
}

const RULES: &str = r#"
private rule big { condition: filesize > 10KB }
rule mz { condition: uint16(0) == 0x5A4D and uint32be(2) == 0x90000300 }
rule needle_twice { strings: $a = "needle" condition: #a == 2 }
rule needle_at_start { strings: $a = "needle" condition: $a at 100 }
rule needle_in_range { strings: $a = "needle" condition: $a in (5000..6000) }
rule hex_alternatives { strings: $h = { 41 42 ( 43 | 43 44 ) [0-2] 45 } condition: $h }
rule wide_nocase { strings: $w = "Secret" wide nocase condition: $w }
rule fullword_only { strings: $f = "word" fullword condition: #f == 1 }
rule two_of { strings: $x1 = "alpha" $x2 = "beta" $y = "gamma" condition: 2 of ($x*, $y) }
rule none_of { strings: $n = "absent" condition: none of them }
rule uses_private { condition: big and needle_twice }
rule read_past_end { condition: not (uint32(1000000) == 0) }
"#;

fn sample() -> Vec<u8> {
    let mut data = vec![b'.'; 20_000];
    data[..6].copy_from_slice(b"MZ\x90\x00\x03\x00");
    data[100..106].copy_from_slice(b"needle");
    data[5500..5506].copy_from_slice(b"needle");
    // ABC then E after one byte: both alternatives could apply; the first one (43) wins.
    data[8190..8196].copy_from_slice(b"ABCD.E");
    let wide: Vec<u8> = "sEcReT".bytes().flat_map(|b| [b, 0]).collect();
    data[9000..9012].copy_from_slice(&wide);
    data[10_000..10_005].copy_from_slice(b"words");
    data[10_010..10_016].copy_from_slice(b" word ");
    data[12_000..12_005].copy_from_slice(b"alpha");
    data[12_100..12_105].copy_from_slice(b"gamma");
    data
}

#[test]
fn conditions_decide_rules_identically_on_every_path() {
    let scanner = scanner(RULES);
    let data = sample();
    let result = scan_everywhere(&scanner, &data);
    assert_eq!(
        names(&scanner, &result.rules),
        [
            "mz",
            "needle_twice",
            "needle_at_start",
            "needle_in_range",
            "hex_alternatives",
            "wide_nocase",
            "fullword_only",
            "two_of",
            "none_of",
            "uses_private",
        ]
    );
    let hex: Vec<&Match> = result.matches.iter().filter(|m| m.rule_id == 5).collect();
    assert_eq!(hex.len(), 1);
    assert_eq!((hex[0].offset, hex[0].length), (8190, 6));
    // A small input: `big` (private) fails, so `uses_private` does too; reads past the end are
    // undefined, and `not undefined` is not true.
    let small = scan_everywhere(&scanner, b"MZ\x90\x00\x03\x00needle");
    assert_eq!(names(&scanner, &small.rules), ["mz", "none_of"]);
}

#[test]
fn a_false_global_rule_hides_every_rule() {
    let scanner = scanner(
        r#"global rule only_mz { condition: uint16(0) == 0x5A4D }
           rule any_x { strings: $x = "x" condition: $x }"#,
    );
    assert_eq!(scan_everywhere(&scanner, b"MZ x").rules, [0, 1]);
    let hidden = scan_everywhere(&scanner, b"ZM x");
    assert!(hidden.rules.is_empty());
    assert_eq!(hidden.matches.len(), 1, "string matches are still reported");
}

#[test]
fn conditions_only_rule_sets_scan_without_strings() {
    let scanner =
        scanner("rule tiny { condition: filesize < 4 } rule mz { condition: uint8(0) == 0x4d }");
    assert_eq!(scan_everywhere(&scanner, b"MZ").rules, [0, 1]);
    assert_eq!(scan_everywhere(&scanner, b"xxxxx").rules, Vec::<u32>::new());
}

#[test]
fn the_match_limit_does_not_change_conditions() {
    let scanner = scanner(r#"rule many { strings: $a = "ab" condition: #a == 300 }"#);
    let data = b"ab".repeat(300);
    for backend in [Backend::Cpu, common::gpu_backend(&scanner)] {
        let o = ScanOptions {
            max_matches: 10,
            backend,
            ..options(backend, SpeculationMode::Auto, 0)
        };
        let r = scanner.scan(&data, &o, None, None).unwrap();
        assert_eq!((r.matches.len(), r.dropped, r.truncated), (10, 290, true));
        assert_eq!(r.rules, [0]);
    }
}

#[test]
fn batches_report_rules_per_item() {
    let scanner = scanner(RULES);
    let data = sample();
    let items: Vec<&[u8]> = vec![&data, b"MZ\x90\x00\x03\x00", b"", b"alpha beta"];
    for mode in [SpeculationMode::Auto, SpeculationMode::Disable] {
        let batch = scanner
            .scan_batch(&items, &options(common::gpu_backend(&scanner), mode, 0))
            .unwrap();
        for (item, got) in items.iter().zip(&batch.items) {
            let alone = scanner
                .scan(
                    item,
                    &options(Backend::Cpu, SpeculationMode::Auto, 0),
                    None,
                    None,
                )
                .unwrap();
            assert_eq!(got.rules, alone.rules);
            assert_eq!(got.matches, alone.matches);
        }
    }
}

#[test]
fn programmatic_rules_match_when_a_string_does() {
    let mut rules = specrt::scan::RuleSet::new();
    let flags = specrt::scan::StringFlags::default();
    rules.add_string(7, 0, b"foo", &[], flags).unwrap();
    rules.add_string(3, 0, b"bar", &[], flags).unwrap();
    rules.add_string(9, 0, b"baz", &[], flags).unwrap();
    let scanner = Scanner::new(common::context().map(Arc::new), &rules).unwrap();
    assert_eq!(scan_everywhere(&scanner, b"bar foo foo").rules, [3, 7]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Hex strings with jumps and alternatives: every path reports, per start offset, the first
    /// variant in priority order, as a backtracking matcher from that offset would.
    #[test]
    fn hex_variants_resolve_like_backtracking(
        data in proptest::collection::vec(prop_oneof![Just(b'A'), Just(b'B'), Just(b'C')], 0..600),
    ) {
        let scanner = scanner("rule r { strings: $h = { 41 ( 42 | 42 43 ) [0-2] 43 } condition: $h }");
        let result = scan_everywhere(&scanner, &data);
        let expected: Vec<(u64, u32)> = (0..data.len())
            .filter_map(|s| backtrack(&data[s..]).map(|len| (s as u64, len as u32)))
            .collect();
        let got: Vec<(u64, u32)> = result.matches.iter().map(|m| (m.offset, m.length)).collect();
        prop_assert_eq!(got, expected);
    }
}

/// `41 ( 42 | 42 43 ) [0-2] 43` by backtracking: the first alternative, then the shortest jump.
fn backtrack(d: &[u8]) -> Option<usize> {
    if d.first() != Some(&b'A') {
        return None;
    }
    for alt in [&b"B"[..], b"BC"] {
        if !d[1..].starts_with(alt) {
            continue;
        }
        let after = 1 + alt.len();
        for jump in 0..=2 {
            if d.get(after + jump) == Some(&b'C') {
                return Some(after + jump + 1);
            }
        }
    }
    None
}

const REGEX_RULES: &str = r#"
rule url { strings: $u = /https?:\/\/[a-z0-9.]+\.(com|org)\/[a-z]*/ condition: $u }
rule digits { strings: $d = /[a-z]+[0-9]{3}/ nocase condition: #d >= 2 }
rule wide_path { strings: $w = /C:\\Windows\\[A-Za-z]+\.exe/ nocase wide condition: $w }
rule no_literal { strings: $n = /[0-9]{6}/ condition: $n }
rule text_matches { condition: "specrt-0.1" matches /^spec[a-z]+-\d\.\d$/ }
"#;

fn regex_sample() -> Vec<u8> {
    let mut data = vec![b'.'; 40_000];
    let mut put = |at: usize, bytes: &[u8]| data[at..at + bytes.len()].copy_from_slice(bytes);
    put(100, b"see http://evil.example.com/payload now");
    // Across the 4096- and 8192-byte chunk boundaries of the runs below.
    put(8180, b"xyZ123 abc456");
    let wide: Vec<u8> = "c:\\windows\\Svchost.EXE"
        .bytes()
        .flat_map(|b| [b, 0])
        .collect();
    put(16_380, &wide);
    put(30_000, b"order 1234567");
    data
}

#[test]
fn regular_expressions_match_identically_on_every_path() {
    let scanner = scanner(REGEX_RULES);
    let data = regex_sample();
    let result = scan_everywhere(&scanner, &data);
    assert_eq!(
        names(&scanner, &result.rules),
        ["url", "digits", "wide_path", "no_literal", "text_matches"]
    );
    let of = |rule: u32| -> Vec<(u64, u32)> {
        result
            .matches
            .iter()
            .filter(|m| m.rule_id == rule)
            .map(|m| (m.offset, m.length))
            .collect()
    };
    assert_eq!(of(0), [(104, 31)]);
    // Every start of `[a-z]+` before the digits is a match (yara's backward search).
    assert_eq!(
        of(1),
        [
            (8180, 6),
            (8181, 5),
            (8182, 4),
            (8187, 6),
            (8188, 5),
            (8189, 4)
        ]
    );
    assert_eq!(of(2), [(16_380, 44)]);
    assert_eq!(of(3), [(30_006, 6), (30_007, 6)]);
    if scanner.has_gpu() {
        let on_gpu = ScanOptions {
            regex_verification: RegexVerification::Gpu,
            ..options(Backend::Cpu, SpeculationMode::Auto, 0)
        };
        let r = scanner.scan(&data, &on_gpu, None, None).unwrap();
        assert_eq!(r.matches, result.matches);
        assert!(r.regex_gpu_candidates > 0, "no candidate went to the GPU");
    }
    // Batches and files see the same.
    let items: Vec<&[u8]> = vec![&data, b"abc123 def456", b""];
    let batch = scanner
        .scan_batch(
            &items,
            &options(common::gpu_backend(&scanner), SpeculationMode::Auto, 0),
        )
        .unwrap();
    assert_eq!(batch.items[0].matches, result.matches);
    assert_eq!(
        names(&scanner, &batch.items[1].rules),
        ["digits", "text_matches"]
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.bin");
    std::fs::write(&path, &data).unwrap();
    let from_file = scanner
        .scan_file(
            &path,
            &options(Backend::Cpu, SpeculationMode::Auto, 4096),
            None,
            None,
        )
        .unwrap();
    assert_eq!(from_file.matches, result.matches);
}

/// Expressions whose automata fit the GPU's tables, with what yara's verification makes
/// subtle: greedy and lazy repeats, alternatives, exhaustive starts before the atom, `wide`,
/// `nocase`, `fullword`.
const GPU_REGEX_RULES: &[&str] = &[
    r"/[a-z]+[0-9]{3}/",
    r"/[a-z]+?[0-9]{2,4}?x/",
    r"/(ab|abc)+d/",
    r"/x{2,5}y(zz|z)/",
    r"/\w+@[a-z]{2,8}\.(com|net)/",
    r"/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/",
    r"/A.{0,40}B/s",
    r"/https?:\/\/[^ ]{4,60}/ nocase",
    r"/Se[a-z]{2,6}Priv/ wide ascii",
    r"/key[ =:]+[a-f0-9]{8}/ nocase fullword",
    r"/GetProc(Address)?/ wide",
    r"/\x4d\x5a.{2,10}\x50\x45/s",
    // Look-around keeps an expression's atoms on the CPU.
    r"/\bkey[0-9]{2}/",
];

/// Data with samples of every expression of `scanner`, near each other, across chunk borders
/// and at both ends, between random bytes.
fn gpu_regex_data(scanner: &Scanner, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let regexes = &scanner.rules().regexes;
    let mut data = regexes[0].regex.sample(seed);
    while data.len() < 60_000 {
        let noise = (next() % 40) as usize;
        for _ in 0..noise {
            let alphabet = b"ab0123xyzABCkey =.@:/\x00";
            data.push(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        let r = &regexes[(next() % regexes.len() as u64) as usize];
        data.extend(r.regex.sample(next()));
    }
    data.extend(regexes[1].regex.sample(seed + 1));
    data
}

#[test]
fn regular_expressions_verify_identically_on_the_gpu() {
    let source: String = GPU_REGEX_RULES
        .iter()
        .enumerate()
        .map(|(i, r)| format!("rule r{i} {{ strings: $r = {r} condition: $r }}\n"))
        .collect();
    let scanner = scanner(&source);
    if !scanner.has_gpu() {
        return;
    }
    let (on_gpu, atoms) = scanner.regex_atoms_on_gpu().unwrap();
    assert_eq!(on_gpu + 1, atoms, "every atom but the `\\b` one fits");
    for seed in 1..4 {
        let data = gpu_regex_data(&scanner, seed);
        let cpu = ScanOptions {
            regex_verification: RegexVerification::Cpu,
            ..options(Backend::Gpu, SpeculationMode::Auto, 16_384)
        };
        let gpu = ScanOptions {
            regex_verification: RegexVerification::Gpu,
            ..cpu
        };
        let expected = scanner.scan(&data, &cpu, None, None).unwrap();
        let r = scanner.scan(&data, &gpu, None, None).unwrap();
        assert_eq!(r.matches, expected.matches, "seed {seed}");
        assert_eq!(r.rules, expected.rules, "seed {seed}");
        assert!(
            expected.matches.len() > 100,
            "seed {seed}: samples should match"
        );
        assert!(r.regex_gpu_candidates > 0, "seed {seed}");
        assert_eq!(expected.regex_gpu_candidates, 0);
    }
}

#[test]
fn gpu_verification_makes_room_for_every_match() {
    // One candidate with 1,000 matches, more than a batch's first match list holds.
    let scanner = scanner("rule r { strings: $r = /[a-z]{1,1000}qq/ condition: $r }");
    if !scanner.has_gpu() {
        return;
    }
    let mut data = vec![b'a'; 5000];
    data.extend(b"qq..");
    let on = |regex_verification| ScanOptions {
        regex_verification,
        ..options(Backend::Gpu, SpeculationMode::Auto, 0)
    };
    let cpu = scanner
        .scan(&data, &on(RegexVerification::Cpu), None, None)
        .unwrap();
    let gpu = scanner
        .scan(&data, &on(RegexVerification::Gpu), None, None)
        .unwrap();
    assert_eq!(cpu.matches.len(), 1000);
    assert_eq!(gpu.matches, cpu.matches);
    assert_eq!(gpu.regex_gpu_candidates, 1);
}

#[test]
fn automatic_verification_moves_costly_candidates_to_the_gpu() {
    // 200 candidates that each walk 1,000 bytes back and find 1,000 starts: far more CPU time
    // than a GPU round trip, once the scanner has measured the CPU's cost per candidate.
    let scanner = scanner("rule r { strings: $r = /[a-z]{1,1000}qq/ condition: $r }");
    if !scanner.has_gpu() {
        return;
    }
    let mut data = Vec::new();
    for _ in 0..200 {
        data.extend(std::iter::repeat_n(b'a', 1000));
        data.extend(b"qq..");
    }
    let auto = ScanOptions {
        max_matches: usize::MAX,
        ..options(Backend::Gpu, SpeculationMode::Auto, 0)
    };
    let first = scanner.scan(&data, &auto, None, None).unwrap();
    assert_eq!(
        first.regex_gpu_candidates, 0,
        "no measurement yet: the CPU verifies"
    );
    assert_eq!(first.matches.len(), 200 * 1000);
    let second = scanner.scan(&data, &auto, None, None).unwrap();
    assert_eq!(second.regex_gpu_candidates, 200);
    assert_eq!(second.matches, first.matches);
    // Files packed into one dispatch choose the same way.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("costly.txt");
    std::fs::write(&path, &data).unwrap();
    let mut from_file = None;
    scanner
        .scan_files(&[path], &auto, &mut |_, r| {
            from_file = Some(r.unwrap());
            true
        })
        .unwrap();
    let from_file = from_file.expect("one result");
    assert_eq!(from_file.regex_gpu_candidates, 200);
    assert_eq!(from_file.matches, first.matches);
    let on_cpu = ScanOptions {
        backend: Backend::Cpu,
        ..auto
    };
    let cpu = scanner.scan(&data, &on_cpu, None, None).unwrap();
    assert_eq!(
        cpu.regex_gpu_candidates, 0,
        "scanned on the CPU: verified there"
    );
}

#[test]
fn regular_expression_matches_reach_the_callback_once() {
    let scanner = scanner(REGEX_RULES);
    let data = regex_sample();
    let mut seen = Vec::new();
    let mut sink = |m: &[Match]| {
        seen.extend_from_slice(m);
        true
    };
    let result = scanner
        .scan(
            &data,
            &options(Backend::Cpu, SpeculationMode::Auto, 4096),
            Some(&mut sink),
            None,
        )
        .unwrap();
    seen.sort_unstable();
    assert_eq!(seen, result.matches);
}

/// Scans `data` on the CPU with `source` compiled, and with it saved and loaded back.
fn scanned_before_and_after_saving(source: &str, data: &[u8]) -> (ScanResult, ScanResult) {
    let compiled = compile(source.as_bytes(), "test.yar", CompileOptions::default()).unwrap();
    let loaded = specrt::scan::RuleSet::from_bytes(&compiled.rules.to_bytes().unwrap()).unwrap();
    let o = options(Backend::Cpu, SpeculationMode::Auto, 0);
    let scan = |rules| {
        Scanner::new(None, rules)
            .unwrap()
            .scan(data, &o, None, None)
            .unwrap()
    };
    (scan(&compiled.rules), scan(&loaded))
}

#[test]
fn regular_expressions_survive_saving() {
    let (ra, rb) = scanned_before_and_after_saving(REGEX_RULES, &regex_sample());
    assert_eq!(ra.matches, rb.matches);
    assert_eq!(ra.rules, rb.rules);
}

#[test]
fn hostile_inputs_keep_regular_expressions_bounded() {
    // One candidate per byte, and one match per candidate: the per-string cap (1,000,000)
    // stops storing, the string is reported capped, and the scan finishes.
    let scanner = scanner(r#"rule zeros { strings: $z = /\x00\x00[\x00-\x01]/ condition: $z }"#);
    let data = vec![0u8; 1_200_000];
    let r = scanner
        .scan(
            &data,
            &options(Backend::Cpu, SpeculationMode::Auto, 0),
            None,
            None,
        )
        .unwrap();
    assert_eq!(r.matches.len(), 1_000_000);
    assert_eq!(r.capped, [(0, 0)]);
    assert_eq!(names(&scanner, &r.rules), ["zeros"]);
}

/// Module rules over the PE fixtures of the differential test.
const MODULE_RULES: &str = r#"
import "pe"
import "hash"
import "math"
rule pe32 { condition: pe.is_pe == 1 and pe.is_32bit() and pe.machine == pe.MACHINE_I386 }
rule dll64 { condition: pe.is_dll() and pe.is_64bit() and pe.number_of_sections == 4 }
rule entry { strings: $p = { 55 8B EC 83 EC 10 } condition: $p at pe.entry_point }
rule rdata { condition: pe.sections[pe.section_index(".rdata")].virtual_address == 0x2000 }
rule signed_twice {
  condition:
    pe.number_of_signatures == 2 and
    for any i in (0..pe.number_of_signatures - 1): (
      pe.signatures[i].subject contains "AND LLC" and
      pe.signatures[i].serial == "77:01:9a:08:23:85:e4:b7:3f:56:95:69:c9:f8:7b:b8" and
      pe.signatures[i].valid_on(pe.signatures[i].not_before + 1)
    )
}
rule head_digest { condition: hash.md5(0, 2) == hash.md5("MZ") and math.entropy(0, 2) == 1.0 }
rule not_a_pe { condition: pe.is_pe == 0 and not defined pe.entry_point }
rule loops { condition: for any s in pe.sections : (s.name == ".data" and for all c in pe.sections : (c.virtual_address > 0)) }
rule imports { condition: pe.imports(/kernel32/i, /^Get/) == 0 and pe.imphash() == hash.md5("") }
"#;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/yara/pe/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn module_rules_match_identically_on_every_path() {
    let scanner = scanner(MODULE_RULES);
    let cases: [(&str, &[&str]); 5] = [
        (
            "pe32_basic.exe",
            &["pe32", "rdata", "head_digest", "loops", "imports"],
        ),
        (
            "pe32_overlay.exe",
            &["pe32", "entry", "rdata", "head_digest", "loops", "imports"],
        ),
        (
            "pe64_dll.dll",
            &["dll64", "rdata", "head_digest", "loops", "imports"],
        ),
        (
            "signed_dual.dll",
            &[
                "dll64",
                "rdata",
                "signed_twice",
                "head_digest",
                "loops",
                "imports",
            ],
        ),
        ("pe32_bad_signature.exe", &["head_digest", "not_a_pe"]),
    ];
    for (name, want) in cases {
        let data = fixture(name);
        let result = scan_everywhere(&scanner, &data);
        assert_eq!(names(&scanner, &result.rules), want, "{name}");
        // A file read in small chunks: modules see the whole file at the end.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &data).unwrap();
        let from_file = scanner
            .scan_file(
                &path,
                &options(Backend::Cpu, SpeculationMode::Auto, 1024),
                None,
                None,
            )
            .unwrap();
        assert_eq!(from_file.rules, result.rules, "{name} from a file");
    }
}

#[test]
fn module_rules_survive_saving() {
    let compiled = compile(
        MODULE_RULES.as_bytes(),
        "test.yar",
        CompileOptions::default(),
    )
    .unwrap();
    let loaded = specrt::scan::RuleSet::from_bytes(&compiled.rules.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.logic(), compiled.rules.logic());
    let a = Scanner::new(None, &compiled.rules).unwrap();
    let b = Scanner::new(None, &loaded).unwrap();
    let o = options(Backend::Cpu, SpeculationMode::Auto, 0);
    let data = fixture("signed_dual.dll");
    assert_eq!(
        a.scan(&data, &o, None, None).unwrap().rules,
        b.scan(&data, &o, None, None).unwrap().rules
    );
}

/// The error compiling `source`, as text.
fn compile_error(source: &str, skip_unsupported: bool) -> String {
    let options = CompileOptions {
        skip_unsupported,
        ..Default::default()
    };
    match compile(source.as_bytes(), "test.yar", options) {
        Ok(_) => panic!("compiled: {source}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn module_expressions_are_checked_against_the_declarations() {
    for (source, position, message) in [
        (
            "import \"pe\"\nrule r { condition: pe.no_such_field == 1 }",
            "test.yar:2:24",
            "`no_such_field` is not a member of module `pe`",
        ),
        (
            "import \"pe\"\nrule r { condition: pe.sections == 1 }",
            "test.yar:2:24",
            "an array of module `pe` is not a value",
        ),
        (
            "import \"hash\"\nrule r { condition: hash.md5(1) == \"\" }",
            "test.yar:2:29",
            "none of its forms takes (integer)",
        ),
        (
            "import \"pe\"\nrule r { condition: pe.sections[\"a\"].name == \"\" }",
            "test.yar:2:33",
            "an array index must be an integer",
        ),
        (
            "rule r { condition: pe.is_pe == 1 }",
            "test.yar:1:21",
            "undefined identifier `pe`",
        ),
        (
            "import \"dotnet\"\nrule r { condition: true }",
            "test.yar:1:8",
            "the module `dotnet`",
        ),
        (
            "import \"pe\"\nrule r { condition: for any s in pe.entry_point : (true) }",
            "test.yar:2:34",
            "an integer of module `pe` cannot be iterated",
        ),
        (
            "import \"pe\"\nrule r { condition: for any k in pe.version_info : (true) }",
            "test.yar:2:34",
            "a loop over a dictionary takes two variables",
        ),
        (
            "import \"pe\"\nrule r { condition: for any s in pe.sections : (s.nope == 1) }",
            "test.yar:2:51",
            "`nope` is not a member of module `pe`",
        ),
    ] {
        let error = compile_error(source, false);
        assert!(
            error.contains(position) && error.contains(message),
            "{source}: {error}"
        );
    }
}

#[test]
fn rules_on_missing_modules_skip_alone() {
    let source = r#"
import "pe"
import "dotnet"
rule uses_dotnet { condition: dotnet.number_of_streams > 0 }
rule depends { condition: uses_dotnet }
rule plain { condition: pe.is_pe == 1 }
"#;
    let compiled = compile(
        source.as_bytes(),
        "test.yar",
        CompileOptions {
            skip_unsupported: true,
            ..Default::default()
        },
    )
    .unwrap();
    let skipped: Vec<&str> = compiled.skipped.iter().map(|s| s.rule.as_str()).collect();
    assert_eq!(skipped, ["uses_dotnet", "depends"]);
    let logic = compiled.rules.logic().unwrap();
    assert_eq!(logic.rules.len(), 1);
    assert_eq!(logic.rules[0].name, "plain");
}

const CHAIN_RULES: &str = r#"
rule unbounded { strings: $a = { 41 42 43 [300-] 44 45 46 } condition: #a == 2 and !a[2] == 4003 }
rule three_parts { strings: $a = { 58 59 [201-400] 5A ?? 5A [1000-] 57 57 } condition: $a }
rule too_near { strings: $a = { 41 42 43 [20000-] 44 45 46 } condition: $a }
rule at_head { strings: $a = { 41 42 43 [-] 57 57 } condition: $a at 5000 }
"#;

/// A sample for [`CHAIN_RULES`]: heads and tails of the chained strings at known offsets.
fn chain_sample() -> Vec<u8> {
    let mut data = vec![b'.'; 12_000];
    for (at, text) in [
        (100, &b"ABC"[..]),
        (450, b"DEF"),
        (5000, b"ABC"),
        (9000, b"DEF"),
        (9500, b"DEF"),
        (2000, b"XY"),
        (2300, b"Z-Z"),
        (2350, b"Z-Z"),
        (11_000, b"WW"),
    ] {
        data[at..at + text.len()].copy_from_slice(text);
    }
    data
}

#[test]
fn chained_hex_strings_join_their_parts_on_every_path() {
    let scanner = scanner(CHAIN_RULES);
    let data = chain_sample();
    let result = scan_everywhere(&scanner, &data);
    assert_eq!(
        names(&scanner, &result.rules),
        ["unbounded", "three_parts", "at_head"]
    );
    let of = |rule: u32| -> Vec<(u64, u32)> {
        let mut found: Vec<_> = result
            .matches
            .iter()
            .filter(|m| m.rule_id == rule)
            .map(|m| (m.offset, m.length))
            .collect();
        found.sort_unstable();
        found
    };
    // Each head match ends at the nearest tail its gap reaches: ABC@100 -> DEF@450,
    // ABC@5000 -> DEF@9000 (not 9500).
    assert_eq!(of(0), [(100, 353), (5000, 4003)]);
    // XY@2000 -> Z?Z@2300 (the first in 2202..=2402) -> WW@11000.
    assert_eq!(of(1), [(2000, 9002)]);
    assert_eq!(of(2), []);
    // Only the head at 5000 is reported (`at`), ending at the tail WW.
    assert_eq!(of(3), [(5000, 6002)]);

    // The same from a file read in chunks, and the callback sees each joined match once.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.bin");
    std::fs::write(&path, &data).unwrap();
    let mut seen = Vec::new();
    let mut sink = |m: &[Match]| {
        seen.extend_from_slice(m);
        true
    };
    let from_file = scanner
        .scan_file(
            &path,
            &options(Backend::Cpu, SpeculationMode::Auto, 1024),
            Some(&mut sink),
            None,
        )
        .unwrap();
    assert_eq!(from_file.matches, result.matches);
    assert_eq!(from_file.rules, result.rules);
    seen.sort_unstable();
    assert_eq!(seen, result.matches);
}

#[test]
fn chained_hex_strings_survive_saving() {
    let (ra, rb) = scanned_before_and_after_saving(CHAIN_RULES, &chain_sample());
    assert_eq!(ra.matches, rb.matches);
    assert_eq!(ra.rules, rb.rules);
    assert_eq!(ra.rules.len(), 3);
}

#[test]
fn chained_parts_past_their_cap_are_reported() {
    // A head on every byte pair: its part keeps 1,000,000 matches, the string is reported
    // capped, and the scan ends with the joins it could make.
    let scanner = scanner(r#"rule z { strings: $a = { 00 00 [300-] 01 } condition: $a }"#);
    let mut data = vec![0u8; 1_200_000];
    data[1_100_000] = 1;
    let result = scanner
        .scan(
            &data,
            &options(Backend::Cpu, SpeculationMode::Auto, 0),
            None,
            None,
        )
        .unwrap();
    assert_eq!(result.capped, vec![(0, 0)]);
    assert_eq!(result.rules, vec![0]);
    assert_eq!(result.matches[0].offset, 0);
    assert_eq!(result.matches[0].length, 1_100_001);
}

#[test]
fn fast_mode_reports_the_first_match_of_strings_only_tested_for_one() {
    let scanner = scanner(
        r#"rule r { strings: $a = "ab" $b = "cd" $c = "ef" condition: $a and #b > 1 and any of ($c) }
           rule loop { strings: $d = "ab" condition: for any of ($d) : (# > 1) }"#,
    );
    let data = b"ab cd ef ab cd ef ab";
    let mut o = options(Backend::Cpu, SpeculationMode::Auto, 0);
    let all = scanner.scan(data, &o, None, None).unwrap();
    o.fast = true;
    let fast = scanner.scan(data, &o, None, None).unwrap();
    assert_eq!(fast.rules, all.rules);
    let count = |r: &ScanResult, rule: u32, string: u32| {
        r.matches
            .iter()
            .filter(|m| m.rule_id == rule && m.string_id == string)
            .count()
    };
    // $a and $c are only tested for a match; $b is counted; a loop body that counts `#`
    // makes every string of its rule keep its matches (as yara).
    assert_eq!(
        (count(&all, 0, 0), count(&all, 0, 1), count(&all, 0, 2)),
        (3, 2, 2)
    );
    assert_eq!(
        (count(&fast, 0, 0), count(&fast, 0, 1), count(&fast, 0, 2)),
        (1, 2, 1)
    );
    assert_eq!(count(&fast, 1, 0), 3);
    assert_eq!(fast.matches[0].offset, 0);
}

#[test]
fn scans_past_their_time_limit_fail_with_a_timeout() {
    let scanner = scanner(r#"rule r { strings: $a = "ab" condition: $a }"#);
    let mut o = options(Backend::Cpu, SpeculationMode::Auto, 1024);
    o.timeout = Some(std::time::Duration::from_nanos(1));
    let data = b"ab".repeat(32 << 10);
    let e = scanner.scan(&data, &o, None, None).unwrap_err();
    assert!(matches!(e, specrt::Error::Timeout(_)), "{e}");
    // Many files: each is scanned on its own, and each reports its timeout.
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..3)
        .map(|i| {
            let p = dir.path().join(format!("{i}.bin"));
            std::fs::write(&p, &data).unwrap();
            p
        })
        .collect();
    let mut outcomes = Vec::new();
    scanner
        .scan_files(&paths, &o, &mut |i, r| {
            outcomes.push((i, matches!(r, Err(specrt::Error::Timeout(_)))));
            true
        })
        .unwrap();
    outcomes.sort_unstable();
    assert_eq!(outcomes, [(0, true), (1, true), (2, true)]);
    // A generous limit changes nothing.
    o.timeout = Some(std::time::Duration::from_secs(600));
    assert_eq!(scanner.scan(&data, &o, None, None).unwrap().rules, [0]);
}
