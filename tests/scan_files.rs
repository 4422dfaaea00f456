//! Many files at once (`Scanner::scan_files`): small files packed into shared GPU chunks must
//! give each file exactly the result of scanning it alone, at file boundaries too (fullword,
//! wide, hex strings that would continue into the next file, `uintN` reads); large files
//! stream on their own; unreadable files are reported and the rest goes on; a callback can
//! stop the scan.

mod common;

use specrt::policy::SpeculationMode;
use specrt::scan::yara::{compile, CompileOptions};
use specrt::scan::{Backend, ScanOptions, ScanResult, Scanner};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

const RULES: &str = r#"
rule word { strings: $a = "token" fullword condition: $a }
rule wide_word { strings: $a = "key" wide fullword condition: $a }
rule plain { strings: $a = "abc" condition: #a >= 1 }
rule tail_hex { strings: $a = { 7A 7A 00 00 } condition: $a }
rule head_hex { strings: $a = { 00 00 71 71 } condition: $a }
rule jumps { strings: $a = { 41 42 [0-3] 43 44 } condition: $a }
rule header { condition: uint16(0) == 0x5a4d }
rule counted { strings: $a = "xy" condition: #a == 3 }
rule deep_read { condition: uint8(30000) == 0x21 }
rule many { strings: $a = "needle" condition: #a > 40 }
"#;

fn scanner() -> Scanner {
    let compiled = compile(RULES.as_bytes(), "files.yar", CompileOptions::default()).unwrap();
    Scanner::new(common::context().map(Arc::new), &compiled.rules).unwrap()
}

/// Files whose contents sit right at the boundaries a pack creates between neighbours.
fn files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut contents: Vec<Vec<u8>> = vec![
        b"token".to_vec(),        // fullword at both ends of the file
        b"xtoken".to_vec(),       // not fullword
        b"tokenx".to_vec(),       // not fullword
        b"k\0e\0y\0".to_vec(),    // wide fullword at both ends
        b"a\0k\0e\0y\0".to_vec(), // wide, not fullword
        b"zz".to_vec(),           // a hex string would go on into the gap: no match
        b"zz\0\0".to_vec(),       // it matches inside the file
        b"qq".to_vec(),           // a hex string would start in the gap: no match
        b"\0\0qq".to_vec(),       // inside the file
        b"MZ rest of a header".to_vec(),
        b"M".to_vec(), // uint16(0) reads past the end: undefined
        Vec::new(),    // empty
        b"abcabc xy xy xy".to_vec(),
        b"AB\0\0CD AB CD".to_vec(), // jumps
    ];
    // Larger files: cut into pieces with small packs; matches every 997 bytes cross every
    // piece boundary somewhere, and conditions count and read across pieces.
    let mut big = vec![b'.'; 50_000];
    big[..5].copy_from_slice(b"token");
    big[49_990..49_993].copy_from_slice(b"abc");
    for at in (100..49_000).step_by(997) {
        big[at..at + 6].copy_from_slice(b"needle");
    }
    for at in [7_000, 20_000, 45_000] {
        big[at..at + 2].copy_from_slice(b"xy");
    }
    big[30_000] = b'!';
    contents.push(big);
    for i in 0..40u8 {
        let mut f = vec![i; 300 + i as usize * 37];
        f.extend_from_slice(b" token xy ");
        contents.push(f);
    }
    // Wide and fullword: the last byte is alphanumeric, but no zero follows it in the file.
    contents.push(b"k\0e\0y\0A".to_vec());
    contents
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let path = dir.join(format!("f{i:03}"));
            std::fs::write(&path, c).unwrap();
            path
        })
        .collect()
}

fn all_files(scanner: &Scanner, paths: &[PathBuf], options: &ScanOptions) -> Vec<ScanResult> {
    let mut results: BTreeMap<usize, ScanResult> = BTreeMap::new();
    scanner
        .scan_files(paths, options, &mut |i, r| {
            assert!(results.insert(i, r.unwrap()).is_none(), "file {i} twice");
            true
        })
        .unwrap();
    assert_eq!(results.len(), paths.len());
    results.into_values().collect()
}

#[test]
fn packed_files_match_files_scanned_alone() {
    let scanner = scanner();
    let dir = tempfile::tempdir().unwrap();
    let paths = files(dir.path());
    let alone: Vec<ScanResult> = paths
        .iter()
        .map(|p| {
            let o = ScanOptions {
                backend: Backend::Cpu,
                ..Default::default()
            };
            scanner.scan_file(p, &o, None, None).unwrap()
        })
        .collect();
    // The boundaries matter: check a few expectations outright.
    let names = |r: &ScanResult| -> Vec<String> {
        let logic = scanner.rules().logic.as_ref().unwrap();
        r.rules
            .iter()
            .map(|&i| logic.rules[i as usize].name.clone())
            .collect()
    };
    assert_eq!(names(&alone[0]), ["word"]);
    assert!(names(&alone[1]).is_empty() && names(&alone[2]).is_empty());
    assert_eq!(names(&alone[3]), ["wide_word"]);
    assert!(names(&alone[4]).is_empty());
    assert!(names(&alone[5]).is_empty());
    assert_eq!(names(&alone[6]), ["tail_hex"]);
    assert!(names(&alone[7]).is_empty());
    assert_eq!(names(&alone[8]), ["head_hex"]);
    assert_eq!(names(&alone[9]), ["header"]);
    assert!(names(&alone[10]).is_empty());
    assert_eq!(names(&alone[12]), ["plain", "counted"]);
    assert_eq!(names(&alone[13]), ["jumps"]);
    assert_eq!(names(&alone[alone.len() - 1]), ["wide_word"]);
    assert_eq!(
        names(&alone[14]),
        ["word", "plain", "counted", "deep_read", "many"]
    );

    let mut runs = vec![ScanOptions {
        backend: Backend::Cpu,
        ..Default::default()
    }];
    if scanner.has_gpu() {
        for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
            // Default packs, and small ones (several packs; the 50 KB file streams alone).
            for chunk in [0, 16 << 10] {
                runs.push(ScanOptions {
                    backend: Backend::Gpu,
                    mode,
                    max_chunk_bytes: chunk,
                    tune: false,
                    ..Default::default()
                });
            }
        }
    }
    for options in runs {
        let packed = all_files(&scanner, &paths, &options);
        for (i, (p, a)) in packed.iter().zip(&alone).enumerate() {
            assert_eq!(p.matches, a.matches, "file {i}, {options:?}");
            assert_eq!(p.rules, a.rules, "file {i}, {options:?}");
            assert_eq!(p.bytes, a.bytes, "file {i}, {options:?}");
        }
    }
}

#[test]
fn unreadable_files_are_reported_and_the_rest_is_scanned() {
    let scanner = scanner();
    let dir = tempfile::tempdir().unwrap();
    let mut paths = files(dir.path());
    paths.insert(3, dir.path().join("missing"));
    paths.push(dir.path().to_path_buf()); // a directory
    let mut errors = Vec::new();
    let mut ok = 0;
    scanner
        .scan_files(
            &paths,
            &ScanOptions {
                backend: common::gpu_backend(&scanner),
                ..Default::default()
            },
            &mut |i, r| {
                match r {
                    Ok(_) => ok += 1,
                    Err(e) => errors.push((i, e.to_string())),
                }
                true
            },
        )
        .unwrap();
    errors.sort();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, 3);
    assert!(errors[0].1.contains("missing"), "{}", errors[0].1);
    assert_eq!(errors[1].0, paths.len() - 1);
    assert_eq!(ok, paths.len() - 2);
}

#[test]
fn a_callback_stops_the_scan() {
    let scanner = scanner();
    let dir = tempfile::tempdir().unwrap();
    let paths = files(dir.path());
    for backend in [Backend::Cpu, common::gpu_backend(&scanner)] {
        let mut calls = 0;
        let options = ScanOptions {
            backend,
            max_chunk_bytes: 16 << 10,
            ..Default::default()
        };
        scanner
            .scan_files(&paths, &options, &mut |_, _| {
                calls += 1;
                false
            })
            .unwrap();
        assert_eq!(calls, 1, "{backend:?}");
    }
}
