//! Eight threads sharing one context, one scanner and its speculator, scanning different inputs
//! in a loop (memory, files and batches): every result equals the single-threaded one, and the
//! shared speculator loses no sample.

mod common;

use specrt::gpu::DispatchPath;
use specrt::policy::SpeculationMode;
use specrt::scan::results::ChunkPath;
use specrt::scan::yara::{compile, CompileOptions};
use specrt::scan::{ScanOptions, ScanResult, Scanner};
use std::sync::Arc;

const THREADS: usize = 8;
const ROUNDS: usize = 6;

const RULES: &str = r#"
rule key { strings: $k = "KEY-" $w = "secret" wide nocase condition: any of them }
rule hex { strings: $h = { 4D 5A ( 90 | 91 ) [0-2] 00 } condition: #h >= 2 }
rule many { strings: $a = "aa" condition: #a > 100 }
"#;

/// Input `i`: its own length and hit rate, so threads push the speculator different ways.
fn input(i: usize) -> Vec<u8> {
    let len = 150_000 + i * 37_000;
    let mut data: Vec<u8> = (0..len).map(|j| (j * 31 + i * 7) as u8 | 0x80).collect();
    let stride = [64, 300, 4096, 20_000][i % 4];
    let mut at = i;
    while at + 16 < len {
        let needle: &[u8] = match at % 3 {
            0 => b"KEY-",
            1 => b"MZ\x91\x01\x00",
            _ => b"aaaa",
        };
        data[at..at + needle.len()].copy_from_slice(needle);
        at += stride;
    }
    data
}

fn options(scanner: &Scanner, chunk: u64) -> ScanOptions {
    ScanOptions {
        mode: SpeculationMode::Auto,
        backend: common::gpu_backend(scanner),
        max_chunk_bytes: chunk,
        tune: false,
        ..Default::default()
    }
}

fn gpu_chunks(r: &ScanResult) -> u64 {
    r.chunks
        .iter()
        .filter(|c| {
            matches!(
                c.path,
                ChunkPath::Gpu(DispatchPath::Fused | DispatchPath::Serial)
            )
        })
        .count() as u64
}

#[test]
fn eight_threads_share_a_context_scanner_and_speculator() {
    let ctx = common::context().map(Arc::new);
    let rules = compile(
        RULES.as_bytes(),
        "concurrency.yar",
        CompileOptions::default(),
    )
    .unwrap();
    let scanner = Scanner::new(ctx, &rules.rules).unwrap();
    let inputs: Vec<Vec<u8>> = (0..THREADS).map(input).collect();
    let expected: Vec<ScanResult> = inputs
        .iter()
        .map(|d| {
            scanner
                .scan(d, &options(&scanner, 32 << 10), None, None)
                .unwrap()
        })
        .collect();
    assert!(expected.iter().any(|r| !r.rules.is_empty()));
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<std::path::PathBuf> = inputs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let path = dir.path().join(format!("input-{i}.bin"));
            std::fs::write(&path, d).unwrap();
            path
        })
        .collect();

    // Phase 1: scans only, so that every GPU chunk's report reaches the shared speculator.
    let before = scanner.speculator().samples();
    let gpu_chunk_counts: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (scanner, inputs, expected) = (&scanner, &inputs, &expected);
                scope.spawn(move || {
                    let mut chunks = 0;
                    for round in 0..ROUNDS {
                        let i = (t + round) % THREADS;
                        let r = scanner
                            .scan(&inputs[i], &options(scanner, 32 << 10), None, None)
                            .unwrap();
                        assert_eq!(r.matches, expected[i].matches, "thread {t} input {i}");
                        assert_eq!(r.rules, expected[i].rules, "thread {t} input {i}");
                        chunks += gpu_chunks(&r);
                    }
                    chunks
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let recorded = scanner.speculator().samples() - before;
    assert_eq!(
        recorded,
        gpu_chunk_counts.iter().sum::<u64>(),
        "lost speculator samples"
    );

    // Phase 2: memory, file and batch scans mixed.
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (scanner, inputs, expected, files) = (&scanner, &inputs, &expected, &files);
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    let i = (t * 3 + round) % THREADS;
                    match (t + round) % 3 {
                        0 => {
                            let r = scanner
                                .scan(&inputs[i], &options(scanner, 0), None, None)
                                .unwrap();
                            assert_eq!(r.matches, expected[i].matches);
                            assert_eq!(r.rules, expected[i].rules);
                        }
                        1 => {
                            let r = scanner
                                .scan_file(&files[i], &options(scanner, 64 << 10), None, None)
                                .unwrap();
                            assert_eq!(r.matches, expected[i].matches);
                            assert_eq!(r.rules, expected[i].rules);
                        }
                        _ => {
                            let items: Vec<&[u8]> =
                                vec![&inputs[i][..40_000], &inputs[(i + 1) % THREADS][..9_000]];
                            let b = scanner.scan_batch(&items, &options(scanner, 0)).unwrap();
                            for (item, got) in items.iter().zip(&b.items) {
                                let alone = scanner
                                    .scan(item, &options(scanner, 0), None, None)
                                    .unwrap();
                                assert_eq!(got.matches, alone.matches);
                                assert_eq!(got.rules, alone.rules);
                            }
                        }
                    }
                }
            });
        }
    });
}
