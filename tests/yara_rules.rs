//! YARA rule sets scanned on every path: string matches resolved per (string, offset), rule
//! results from conditions, batches, and programmatic rule sets' rule results.

mod common;

use proptest::prelude::*;
use specrt::policy::SpeculationMode;
use specrt::scan::yara::{compile, CompileOptions};
use specrt::scan::{Backend, Match, ScanOptions, ScanResult, Scanner};
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
