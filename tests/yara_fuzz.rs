//! The YARA compiler on hostile input: no input panics, hangs, overflows the stack or grows
//! memory without bound; every rejection is a positioned parse error, an unsupported construct,
//! or a size limit.

use proptest::prelude::*;
use specrt::scan::yara::{compile, CompileOptions, MAX_SOURCE_BYTES};
use specrt::Error;

const RULES: &str = include_str!("yara/differential.yar");

/// Words and symbols YARA source is made of, for token soup.
const VOCABULARY: &[&str] = &[
    "rule",
    "private",
    "global",
    "meta",
    "strings",
    "condition",
    ":",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "..",
    ",",
    "|",
    "-",
    "*",
    "%",
    "and",
    "or",
    "not",
    "any",
    "all",
    "none",
    "of",
    "them",
    "at",
    "in",
    "filesize",
    "uint8",
    "uint16be",
    "uint32",
    "true",
    "false",
    "for",
    "import",
    "\"pe\"",
    "$a",
    "$b*",
    "$",
    "#a",
    "@a",
    "!a",
    "$a = ",
    "\"text\\x41\\n\"",
    "{ 41 ?? [1-3] ( 42 | 43 44 ) 4? }",
    "/re+/i",
    "wide",
    "ascii",
    "nocase",
    "fullword",
    "xor",
    "base64",
    "0x10",
    "10KB",
    "2MB",
    "7",
    "name",
    "tag",
    "//c\n",
    "/* c */",
    "\n",
    " ",
];

fn assert_clean_outcome(source: &[u8], skip: bool) {
    let options = CompileOptions {
        skip_unsupported: skip,
        ..Default::default()
    };
    match compile(source, "fuzz.yar", options) {
        Ok(compiled) => {
            let logic = compiled.rules.logic().expect("YARA rule sets carry logic");
            assert!(logic.rules.iter().all(|r| !r.name.is_empty()));
        }
        Err(Error::Parse { line, column, .. }) => assert!(line >= 1 && column >= 1),
        Err(Error::Unsupported(message)) => {
            assert!(message.starts_with("fuzz.yar:"), "{message}")
        }
        Err(Error::TooLarge(_)) | Err(Error::InvalidArgument(_)) => {}
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

#[test]
fn the_differential_rules_compile() {
    let compiled = compile(
        RULES.as_bytes(),
        "differential.yar",
        CompileOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(compiled.rules.logic().unwrap().rules.len() >= 200);
}

#[test]
fn pathological_sources_are_errors_not_crashes() {
    let deep_parens = format!("rule a {{ condition: {}true }}", "(".repeat(200_000));
    let deep_alts = format!(
        "rule a {{ strings: $a = {{ 41 {} }} condition: $a }}",
        "( 41 | ".repeat(100_000)
    );
    let jumps = format!(
        "rule a {{ strings: $a = {{ 41 {} 42 }} condition: $a }}",
        "[0-4095] 41 ".repeat(64)
    );
    let many_variants =
        "rule a { strings: $a = { 41 [0-9] 41 [0-9] 41 [0-9] 41 [0-9] 42 } condition: $a }";
    let many_rules: String = (0..20_000)
        .map(|i| format!("rule r{i} {{ strings: $a = \"s{i}\" condition: $a }}\n"))
        .collect();
    let long_string = format!(
        "rule a {{ strings: $a = \"{}\" condition: $a }}",
        "x".repeat(5000)
    );
    let nots = format!("rule a {{ condition: {}true }}", "not ".repeat(100_000));
    for source in [
        deep_parens.as_str(),
        &deep_alts,
        &jumps,
        many_variants,
        &many_rules,
        &long_string,
        &nots,
        "rule",
        "rule a {",
        "rule a { strings: $a = {",
        "rule a { strings: $a = \"",
        "rule a { condition: 99999999999999999999999 }",
        "rule a { condition: 0x }",
        "/*",
        "rule a { strings: $a = { 41 /* } */ 42 } condition: $a }",
    ] {
        assert_clean_outcome(source.as_bytes(), false);
        assert_clean_outcome(source.as_bytes(), true);
    }
    let oversized = vec![b' '; MAX_SOURCE_BYTES + 1];
    assert!(matches!(
        compile(&oversized, "big", CompileOptions::default()),
        Err(Error::TooLarge(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, timeout: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048), skip: bool) {
        assert_clean_outcome(&bytes, skip);
    }

    #[test]
    fn token_soup(tokens in proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..200), skip: bool) {
        assert_clean_outcome(tokens.join(" ").as_bytes(), skip);
    }

    #[test]
    fn mutated_valid_rules(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8),
        window in any::<prop::sample::Index>(),
        skip: bool,
    ) {
        // A window of about 4 KiB of real rules, with bytes replaced, removed or inserted.
        let all = RULES.as_bytes();
        let start = window.index(all.len().saturating_sub(4096).max(1));
        let mut bytes = all[start..(start + 4096).min(all.len())].to_vec();
        for (at, kind, value) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = value,
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, value),
            }
        }
        assert_clean_outcome(&bytes, skip);
    }
}
