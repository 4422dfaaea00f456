//! Hostile inputs keep memory bounded: a large input of zero bytes with a one-byte string
//! stores at most `MAX_STRING_MATCHES` matches of it per chunk, counts every match (conditions
//! see the exact count), and the result says the string was capped. Alone in its test binary,
//! so the process's peak memory is this test's.

mod common;

use specrt::scan::bounded::MAX_STRING_MATCHES;
use specrt::scan::yara::{compile, CompileOptions};
use specrt::scan::{Backend, ScanOptions, Scanner};
use std::sync::Arc;

/// Peak resident memory of this process, bytes (VmHWM).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn zeros_with_a_zero_byte_rule_stay_bounded_and_count_exactly() {
    const BYTES: u64 = 16 << 20;
    let source = format!(
        "rule zeros {{ strings: $z = {{ 00 }} condition: #z == {BYTES} }}\n\
         rule seen {{ strings: $z = {{ 00 00 }} condition: $z }}"
    );
    let compiled = compile(source.as_bytes(), "hostile.yar", CompileOptions::default()).unwrap();
    let scanner = Scanner::new(common::context().map(Arc::new), &compiled.rules).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeros");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(BYTES)
        .unwrap();

    let before = peak_rss();
    let options = ScanOptions {
        backend: Backend::Cpu,
        max_matches: usize::MAX,
        ..Default::default()
    };
    let r = scanner.scan_file(&path, &options, None, None).unwrap();
    let grown = peak_rss().saturating_sub(before);
    assert_eq!(r.rules, [0, 1], "the exact count reaches the condition");
    assert_eq!(r.capped, [(0, 0), (1, 0)]);
    // At most the cap per string is stored.
    assert_eq!(r.matches.len() as u64, 2 * MAX_STRING_MATCHES as u64);
    assert_eq!(r.matches.len() as u64 + r.dropped, 2 * BYTES - 1);
    assert!(r.truncated);
    // Stored matches are 24 bytes and resolving them takes 32 more: without the cap, the 33
    // million matches would need about 1.8 GB.
    assert!(grown < 512 << 20, "peak memory grew by {} MB", grown >> 20);
}

#[test]
fn gpu_chunks_cap_like_the_cpu() {
    let Some(ctx) = common::context() else { return };
    const BYTES: u64 = 3 << 20;
    let source = format!("rule zeros {{ strings: $z = {{ 00 }} condition: #z == {BYTES} }}");
    let compiled = compile(source.as_bytes(), "hostile.yar", CompileOptions::default()).unwrap();
    let scanner = Scanner::new(Some(Arc::new(ctx)), &compiled.rules).unwrap();
    let data = vec![0u8; BYTES as usize];
    for backend in [Backend::Gpu, Backend::Cpu] {
        let options = ScanOptions {
            backend,
            max_matches: usize::MAX,
            max_chunk_bytes: 4 << 20,
            tune: false,
            ..Default::default()
        };
        let r = scanner.scan(&data, &options, None, None).unwrap();
        assert_eq!(r.rules, [0], "{backend:?}");
        assert_eq!(r.capped, [(0, 0)], "{backend:?}");
        assert_eq!(
            r.matches.len() as u64,
            MAX_STRING_MATCHES as u64,
            "{backend:?}"
        );
        assert_eq!(r.matches.len() as u64 + r.dropped, BYTES, "{backend:?}");
    }
}
