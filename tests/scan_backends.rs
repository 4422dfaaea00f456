//! The scanner's three paths (GPU fused, GPU serial, CPU) against a brute-force reference, on
//! random rules and data with planted matches; chunked streaming with a forced small binding.

mod common;

use proptest::prelude::*;
use specrt::gpu::DispatchPath;
use specrt::policy::SpeculationMode;
use specrt::scan::compile::{verify, CompiledRules};
use specrt::scan::results::ChunkPath;
use specrt::scan::{Backend, BackendReason, Match, RuleSet, ScanOptions, Scanner, StringFlags};
use std::sync::Arc;

/// Every (pattern, start) by trying every pattern at every offset.
fn reference(rules: &CompiledRules, data: &[u8]) -> Vec<Match> {
    let mut out: Vec<Match> = Vec::new();
    for p in &rules.patterns {
        for start in 0..data.len() {
            if verify(p, data, start) {
                let s = &rules.strings[p.string as usize];
                out.push(Match {
                    offset: start as u64,
                    rule_id: s.rule_id,
                    string_id: s.string_id,
                    length: p.bytes.len() as u32,
                });
            }
        }
    }
    out.sort_unstable();
    out
}

fn options(backend: Backend, mode: SpeculationMode, chunk: u64) -> ScanOptions {
    ScanOptions {
        backend,
        mode,
        max_chunk_bytes: chunk,
        ..Default::default()
    }
}

/// Scans on every path and checks each against the reference.
fn check_all(scanner: &Scanner, data: &[u8], chunk: u64) {
    let expected = reference(scanner.rules(), data);
    let mut paths = vec![options(Backend::Cpu, SpeculationMode::Auto, chunk)];
    if scanner.has_gpu() {
        paths.push(options(Backend::Gpu, SpeculationMode::Force, chunk));
        paths.push(options(Backend::Gpu, SpeculationMode::Disable, chunk));
        paths.push(options(Backend::Gpu, SpeculationMode::Auto, chunk));
    }
    for o in paths {
        let r = scanner.scan(data, &o, None, None).unwrap();
        assert!(!r.truncated);
        assert_eq!(
            r.matches,
            expected,
            "{:?} {:?} chunk {chunk}, {} bytes",
            o.backend,
            o.mode,
            data.len()
        );
        assert_eq!(r.bytes, data.len() as u64);
        let expected_path = match (o.backend, o.mode) {
            (Backend::Cpu, _) => Some(ChunkPath::Cpu),
            (_, SpeculationMode::Force) => Some(ChunkPath::Gpu(DispatchPath::Fused)),
            (_, SpeculationMode::Disable) => Some(ChunkPath::Gpu(DispatchPath::Serial)),
            _ => None,
        };
        if let Some(path) = expected_path {
            assert!(r.chunks.iter().all(|c| c.path == path), "{:?}", r.chunks);
        }
    }
}

fn scanner(rules: &RuleSet) -> Scanner {
    Scanner::new(common::context().map(Arc::new), rules).unwrap()
}

fn flags(nocase: bool, wide: bool, ascii: bool, fullword: bool) -> StringFlags {
    StringFlags {
        nocase,
        wide,
        ascii,
        fullword,
    }
}

#[test]
fn fixed_rules_on_a_known_text() {
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"hello", &[], StringFlags::default())
        .unwrap();
    rules
        .add_string(1, 1, b"WORLD", &[], flags(true, false, false, false))
        .unwrap();
    rules
        .add_string(2, 0, b"ll", &[], StringFlags::default())
        .unwrap();
    rules
        .add_string(2, 1, b"w?r", &[0xff, 0, 0xff], StringFlags::default())
        .unwrap();
    rules
        .add_string(3, 0, b"ab", &[], flags(false, true, true, false))
        .unwrap();
    rules
        .add_string(3, 1, b"word", &[], flags(false, false, false, true))
        .unwrap();
    rules
        .add_string(4, 0, b"\x40", &[0xf0], StringFlags::default())
        .unwrap();
    let s = scanner(&rules);
    let data = b"hello world, hellO WoRlD! a\0b\0ab word words sword word";
    check_all(&s, data, 0);
    let r = s.scan(data, &ScanOptions::default(), None, None).unwrap();
    assert!(r
        .matches
        .iter()
        .any(|m| m.rule_id == 1 && m.string_id == 1 && m.offset == 19));
    assert_eq!(
        r.matches
            .iter()
            .filter(|m| m.rule_id == 3 && m.string_id == 1)
            .count(),
        2
    );
}

#[test]
fn empty_and_tiny_inputs() {
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"a", &[], StringFlags::default())
        .unwrap();
    rules
        .add_string(1, 1, b"ab", &[], StringFlags::default())
        .unwrap();
    let s = scanner(&rules);
    check_all(&s, b"", 0);
    check_all(&s, b"a", 0);
    check_all(&s, b"b", 0);
    check_all(&s, b"ab", 0);
}

#[test]
fn matches_straddling_tiles_and_chunks() {
    let mut rules = RuleSet::new();
    let needle: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    rules
        .add_string(9, 0, &needle, &[], StringFlags::default())
        .unwrap();
    rules
        .add_string(9, 1, b"edge", &[], flags(true, false, false, true))
        .unwrap();
    let s = scanner(&rules);
    let mut data = vec![b'.'; 40_000];
    for at in [0usize, 4090, 4095, 8192 - 150, 12_000, 20_000, 40_000 - 300] {
        data[at..at + 300].copy_from_slice(&needle);
    }
    for at in [4094usize, 8190, 16383, 39_996] {
        data[at..at + 4].copy_from_slice(b"EdGe");
    }
    for chunk in [0, 1024, 2048 + 512, 4096] {
        check_all(&s, &data, chunk);
    }
}

#[test]
fn match_limit_truncates_and_counts() {
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"aa", &[], StringFlags::default())
        .unwrap();
    let s = scanner(&rules);
    let data = vec![b'a'; 10_001];
    for backend in [Backend::Cpu, common::gpu_backend(&s)] {
        let r = s
            .scan(
                &data,
                &ScanOptions {
                    backend,
                    max_matches: 100,
                    max_chunk_bytes: 4096,
                    ..Default::default()
                },
                None,
                None,
            )
            .unwrap();
        assert!(r.truncated);
        assert_eq!(r.matches.len(), 100);
        assert_eq!(r.dropped, 10_000 - 100);
    }
}

#[test]
fn a_callback_stops_the_scan_early() {
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"x", &[], StringFlags::default())
        .unwrap();
    let s = scanner(&rules);
    let data = vec![b'x'; 50_000];
    for backend in [Backend::Cpu, common::gpu_backend(&s)] {
        let mut calls = 0;
        let mut sink = |m: &[Match]| {
            calls += 1;
            assert!(!m.is_empty());
            false
        };
        let r = s
            .scan(
                &data,
                &ScanOptions {
                    backend,
                    max_chunk_bytes: 4096,
                    ..Default::default()
                },
                Some(&mut sink),
                None,
            )
            .unwrap();
        assert_eq!(calls, 1);
        assert!(r.stopped);
        assert!(r.bytes < data.len() as u64);
    }
}

/// A random string: bytes, a mask with some wildcards and nibbles, and flags.
fn string_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, StringFlags)> {
    (1usize..12).prop_flat_map(|len| {
        (
            proptest::collection::vec(
                prop_oneof![b'a'..=b'f', b'A'..=b'F', Just(0u8), Just(b' ')],
                len,
            ),
            proptest::collection::vec(
                prop_oneof![8 => Just(0xffu8), 1 => Just(0u8), 1 => Just(0xf0u8)],
                len,
            ),
            (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        )
            .prop_map(|(bytes, mask, (nocase, wide, ascii, fullword))| {
                (bytes, mask, flags(nocase, wide, ascii, fullword))
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_rules_and_data_agree(strings in proptest::collection::vec(string_strategy(), 1..12),
                                   noise in proptest::collection::vec(prop_oneof![b'a'..=b'f', b'A'..=b'F', Just(0u8), Just(b' '), any::<u8>()], 0..9000),
                                   plants in proptest::collection::vec((any::<proptest::sample::Index>(), any::<proptest::sample::Index>()), 0..20),
                                   chunk in prop_oneof![Just(0u64), Just(1024u64), Just(3000u64)]) {
        let mut rules = RuleSet::new();
        for (i, (bytes, mask, f)) in strings.iter().enumerate() {
            rules.add_string(i as u32 % 3, i as u32, bytes, mask, *f).unwrap();
        }
        let mut data = noise;
        // Plant strings (their plain or wide form) at random places.
        for (which, at) in plants {
            let (bytes, _, f) = &strings[which.index(strings.len())];
            let form: Vec<u8> = if f.wide { bytes.iter().flat_map(|&b| [b, 0]).collect() } else { bytes.clone() };
            if data.len() > form.len() {
                let at = at.index(data.len() - form.len());
                data[at..at + form.len()].copy_from_slice(&form);
            }
        }
        let s = scanner(&rules);
        check_all(&s, &data, chunk);
    }
}

/// Random data where `hit_pct` % of 4 KiB tiles hold a planted string.
fn planted(len: usize, hit_pct: u64, needles: &[Vec<u8>], seed: u64) -> Vec<u8> {
    let mut state = seed * 2 + 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
    for tile in data.chunks_mut(4096) {
        if next() % 100 < hit_pct {
            let needle = &needles[(next() % needles.len() as u64) as usize];
            let at = (next() % (tile.len() - needle.len()) as u64) as usize;
            tile[at..at + needle.len()].copy_from_slice(needle);
        }
    }
    data
}

#[test]
fn tile_hit_rates_from_0_to_100_percent() {
    let needles: Vec<Vec<u8>> = (0..50u8)
        .map(|i| vec![0xc3, i, 0x77, i ^ 0x5a, 0x19, i])
        .collect();
    let mut rules = RuleSet::new();
    for (i, n) in needles.iter().enumerate() {
        rules
            .add_string(i as u32 % 5, i as u32, n, &[], StringFlags::default())
            .unwrap();
    }
    let s = scanner(&rules);
    for hit_pct in [0, 1, 15, 60, 100] {
        let data = planted(64 * 4096, hit_pct, &needles, hit_pct);
        check_all(&s, &data, 0);
        if s.has_gpu() {
            let r = s
                .scan(
                    &data,
                    // The default kernels' 4096-position tiles, the size the data was planted at.
                    &ScanOptions {
                        tune: false,
                        ..options(Backend::Gpu, SpeculationMode::Force, 0)
                    },
                    None,
                    None,
                )
                .unwrap();
            assert_eq!(r.chunks[0].tile, 4096);
            let report = r.chunks[0].report.unwrap();
            let measured = report.commit_rate_pct() as u64;
            assert!(
                measured.abs_diff(hit_pct) <= 10,
                "{hit_pct} % planted, {measured} % committed"
            );
        }
    }
}

#[test]
fn a_hundred_thousand_strings() {
    let mut state = 99u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let needles: Vec<Vec<u8>> = (0..100_000)
        .map(|_| (0..(6 + next() % 20)).map(|_| next() as u8).collect())
        .collect();
    let mut rules = RuleSet::new();
    for (i, n) in needles.iter().enumerate() {
        rules
            .add_string(
                i as u32 / 100,
                i as u32 % 100,
                n,
                &[],
                StringFlags::default(),
            )
            .unwrap();
    }
    rules
        .add_string(5000, 0, &[0xab; 256], &[], StringFlags::default())
        .unwrap();
    let s = scanner(&rules);
    let mut data = planted(1 << 20, 30, &needles, 5);
    data[1000..1256].copy_from_slice(&[0xab; 256]);
    let cpu = s
        .scan(
            &data,
            &options(Backend::Cpu, SpeculationMode::Auto, 0),
            None,
            None,
        )
        .unwrap();
    assert!(cpu.matches.len() > 70, "{}", cpu.matches.len());
    assert!(cpu
        .matches
        .iter()
        .any(|m| m.rule_id == 5000 && m.offset == 1000 && m.length == 256));
    if s.has_gpu() {
        for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
            let gpu = s
                .scan(&data, &options(Backend::Gpu, mode, 0), None, None)
                .unwrap();
            assert_eq!(gpu.matches, cpu.matches, "{mode:?}");
        }
    }
}

mod batch {
    use super::*;
    use specrt::gpu::LaunchOverheads;
    use specrt::policy::PersistentDecision;

    fn items() -> Vec<Vec<u8>> {
        let mut state = 3u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut items: Vec<Vec<u8>> = (0..300)
            .map(|i| {
                let len = [0usize, 1, 3, 4, 5, 63, 64, 1000, 4095, 4096, 4097, 9000][i % 12];
                let mut v: Vec<u8> = (0..len)
                    .map(|_| b"xyzneedl"[(next() % 8) as usize])
                    .collect();
                if len >= 6 && next() % 2 == 0 {
                    let at = (next() % (len as u64 - 5)) as usize;
                    v[at..at + 6].copy_from_slice(b"needle");
                }
                v
            })
            .collect();
        // One huge item among the tiny ones, streamed on its own.
        let mut huge = vec![b'.'; 5 << 20];
        huge[(5 << 20) - 6..].copy_from_slice(b"needle");
        huge[1000..1006].copy_from_slice(b"NEEDLE");
        items.insert(150, huge);
        items
    }

    /// Batches on the GPU backend, whatever the adapter (lavapipe in CI).
    fn on_the_gpu() -> ScanOptions {
        ScanOptions {
            backend: Backend::Gpu,
            ..Default::default()
        }
    }

    fn scanner_with(ctx_overheads: Option<LaunchOverheads>) -> Option<Scanner> {
        let ctx = Arc::new(common::context()?);
        if let Some(o) = ctx_overheads {
            ctx.set_launch_overheads(o);
        }
        let mut rules = RuleSet::new();
        rules
            .add_string(1, 0, b"needle", &[], flags(true, false, false, false))
            .unwrap();
        rules
            .add_string(2, 0, b"le", &[], flags(false, false, false, true))
            .unwrap();
        rules
            .add_string(2, 1, b"x", &[], StringFlags::default())
            .unwrap();
        Some(Scanner::new(Some(ctx), &rules).unwrap())
    }

    #[test]
    fn persistent_and_per_item_batches_equal_scanning_each_item_alone() {
        let items = items();
        let views: Vec<&[u8]> = items.iter().map(|v| v.as_slice()).collect();
        let persistent = LaunchOverheads {
            per_launch_ns: 1_000_000,
            persistent_setup_ns: 1,
        };
        let standard = LaunchOverheads {
            per_launch_ns: 0,
            persistent_setup_ns: 1,
        };
        for (overheads, expect_persistent) in [(persistent, true), (standard, false)] {
            let Some(s) = scanner_with(Some(overheads)) else {
                return;
            };
            let options = ScanOptions {
                max_matches: 50,
                ..on_the_gpu()
            };
            let batch = s.scan_batch(&views, &options).unwrap();
            assert_eq!(batch.persistent, expect_persistent);
            assert_eq!(
                matches!(batch.decision, PersistentDecision::PersistentKernel { .. }),
                expect_persistent
            );
            assert_eq!(batch.inputs.batch_size, items.len() as u32);
            assert_eq!(batch.inputs.per_launch_overhead_ns, overheads.per_launch_ns);
            for (i, item) in views.iter().enumerate() {
                let alone = s
                    .scan(
                        item,
                        &ScanOptions {
                            backend: Backend::Cpu,
                            max_matches: 50,
                            ..Default::default()
                        },
                        None,
                        None,
                    )
                    .unwrap();
                assert_eq!(
                    batch.items[i].matches,
                    alone.matches,
                    "item {i} ({} bytes)",
                    item.len()
                );
                assert_eq!(
                    (batch.items[i].truncated, batch.items[i].dropped),
                    (alone.truncated, alone.dropped),
                    "item {i}"
                );
            }
        }
    }

    #[test]
    fn overheads_are_measured_once_and_drive_the_decision() {
        let Some(s) = scanner_with(None) else { return };
        let first = s.launch_overheads().unwrap();
        assert!(first.per_launch_ns > 0 && first.persistent_setup_ns > 0);
        assert_eq!(s.launch_overheads().unwrap(), first, "cached");
        let tiny = [b"needle".as_slice(); 2000];
        let batch = s.scan_batch(&tiny, &on_the_gpu()).unwrap();
        assert_eq!(batch.inputs.per_launch_overhead_ns, first.per_launch_ns);
        assert_eq!(
            batch.decision,
            specrt::policy::decide_persistent_kernel(&batch.inputs)
        );
        let alone = s
            .scan(b"needle", &ScanOptions::default(), None, None)
            .unwrap();
        assert!(!alone.matches.is_empty());
        let bad: Vec<usize> = batch
            .items
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches != alone.matches)
            .map(|(i, _)| i)
            .collect();
        let detail: Vec<(usize, usize)> = bad
            .iter()
            .map(|&i| (i, batch.items[i].matches.len()))
            .collect();
        assert!(
            bad.is_empty(),
            "{} bad items of {}, persistent {}: {:?}",
            bad.len(),
            tiny.len(),
            batch.persistent,
            detail
        );
    }
}

/// The serial path's candidate queue holds about one position in eight: a chunk with a dense
/// stretch overflows it, and the tiles that did not fit are confirmed whole, the others from
/// the queue (including the tile at the boundary, whose queue slots are marked empty).
#[test]
fn a_candidate_queue_that_overflows_confirms_the_rest_by_tiles() {
    let needles: Vec<Vec<u8>> = vec![b"ab".to_vec(), b"qrstu".to_vec(), b"\x01\x02\x03".to_vec()];
    let mut rules = RuleSet::new();
    for (i, n) in needles.iter().enumerate() {
        rules
            .add_string(i as u32, 0, n, &[], StringFlags::default())
            .unwrap();
    }
    let s = scanner(&rules);
    let mut data = planted(64 * 4096, 20, &needles, 7);
    let dense: Vec<u8> = b"ab".iter().copied().cycle().take(1024 * 1024).collect();
    data.splice(40_000..40_000, dense);
    data.extend(planted(16 * 4096, 50, &needles, 8));
    check_all(&s, &data, 0);
}

#[test]
fn a_chunk_with_more_matches_than_its_storage_keeps_the_first_ones() {
    let Some(ctx) = common::context() else { return };
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"a", &[], StringFlags::default())
        .unwrap();
    let scanner = Scanner::new(Some(Arc::new(ctx)), &rules).unwrap();
    // 5 Mi matches in one chunk: more than the 4 Mi one GPU chunk stores.
    let data = vec![b'a'; 5 << 20];
    for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
        let options = ScanOptions {
            max_matches: 10,
            ..options(Backend::Gpu, mode, 0)
        };
        let r = scanner.scan(&data, &options, None, None).unwrap();
        let offsets: Vec<u64> = r.matches.iter().map(|m| m.offset).collect();
        assert_eq!(offsets, (0..10).collect::<Vec<u64>>());
        assert_eq!(r.dropped, (5 << 20) - 10);
        assert_eq!(r.rules, [1]);
    }
}

#[test]
fn a_file_that_shrinks_during_the_scan_is_an_io_error() {
    let ctx = common::context().map(Arc::new);
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"needle", &[], StringFlags::default())
        .unwrap();
    let scanner = Scanner::new(ctx, &rules).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shrinking.bin");
    let mut backends = vec![Backend::Cpu];
    if scanner.has_gpu() {
        backends.push(Backend::Gpu);
    }
    for backend in backends {
        std::fs::write(&path, vec![b'.'; 4 << 20]).unwrap();
        let mut truncate = |_done: u64, _total: u64| {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(1000)
                .unwrap();
            true
        };
        let err = scanner
            .scan_file(
                &path,
                &options(backend, SpeculationMode::Auto, 64 << 10),
                None,
                Some(&mut truncate),
            )
            .unwrap_err();
        assert!(matches!(err, specrt::Error::Io { .. }), "{err}");
        assert!(err.to_string().contains("shrank"), "{err}");
        // Nothing broke: the scanner still scans.
        std::fs::write(&path, b"a needle").unwrap();
        let ok = scanner
            .scan_file(
                &path,
                &options(backend, SpeculationMode::Auto, 0),
                None,
                None,
            )
            .unwrap();
        assert_eq!(ok.matches.len(), 1);
    }
}

#[test]
fn large_uploads_copied_by_several_threads_lose_nothing() {
    let Some(ctx) = common::context() else { return };
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"needle", &[], StringFlags::default())
        .unwrap();
    let scanner = Scanner::new(Some(Arc::new(ctx)), &rules).unwrap();
    // 24 MiB + 3 bytes: several copy threads, 1 MiB pieces, an odd tail; needles straddle the
    // piece boundaries and end at the last byte.
    let mut data = vec![b'.'; (24 << 20) + 3];
    let mut planted = Vec::new();
    for mib in 1..24usize {
        let at = (mib << 20) - 3;
        data[at..at + 6].copy_from_slice(b"needle");
        planted.push(at as u64);
    }
    let end = data.len() - 6;
    data[end..].copy_from_slice(b"needle");
    planted.push(end as u64);
    for backend in [Backend::Gpu, Backend::Cpu] {
        let r = scanner
            .scan(
                &data,
                &options(backend, SpeculationMode::Auto, 0),
                None,
                None,
            )
            .unwrap();
        let offsets: Vec<u64> = r.matches.iter().map(|m| m.offset).collect();
        assert_eq!(offsets, planted, "{backend:?}");
    }
}

/// The automatic backend takes a hardware GPU, else the CPU (a software adapter such as
/// llvmpipe scans far slower than the CPU backend); the result says which ran and why.
#[test]
fn the_automatic_backend_skips_software_adapters_and_says_why() {
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"needle", &[], StringFlags::default())
        .unwrap();
    let ctx = common::context().map(Arc::new);
    let software = ctx
        .as_ref()
        .and_then(|c| c.summary())
        .map(|s| s.info.device_type)
        == Some(wgpu::DeviceType::Cpu);
    let s = Scanner::new(ctx, &rules).unwrap();
    let data = b"a needle in a haystack".repeat(100);
    let scan_on = |backend| {
        s.scan(
            &data,
            &options(backend, SpeculationMode::Auto, 0),
            None,
            None,
        )
        .unwrap()
    };
    let auto = scan_on(Backend::Auto);
    let expected = match (s.has_gpu(), software) {
        (false, _) => (Backend::Cpu, BackendReason::NoGpu),
        (true, true) => (Backend::Cpu, BackendReason::SoftwareGpu),
        (true, false) => (Backend::Gpu, BackendReason::HardwareGpu),
    };
    assert_eq!((auto.backend, auto.backend_reason), expected);
    assert!(auto
        .chunks
        .iter()
        .all(|c| (c.path == ChunkPath::Cpu) == (expected.0 == Backend::Cpu)));
    let mut requested = vec![Backend::Cpu];
    if s.has_gpu() {
        requested.push(Backend::Gpu);
    }
    for backend in requested {
        let r = scan_on(backend);
        assert_eq!(
            (r.backend, r.backend_reason),
            (backend, BackendReason::Requested)
        );
        assert_eq!(r.matches, auto.matches);
    }
    let conditions_only = specrt::scan::yara::compile(
        b"rule any_input { condition: filesize > 0 }",
        "conditions.yar",
        Default::default(),
    )
    .unwrap();
    let none = Scanner::new(None, &conditions_only.rules).unwrap();
    let r = none
        .scan(&data, &ScanOptions::default(), None, None)
        .unwrap();
    assert_eq!(r.rules, [0]);
    assert_eq!(r.backend_reason, BackendReason::NothingToSearch);
}

/// Resident scans (the input already in a GPU buffer) of several chunks, each chunk submitted
/// before the previous one's matches are taken, find what the reference finds, in order.
#[test]
fn resident_scans_of_several_chunks_find_every_match_in_order() {
    let Some(ctx) = common::context().map(Arc::new) else {
        return;
    };
    let needles: Vec<Vec<u8>> = (0..20u8)
        .map(|i| vec![0xc3, i, 0x77, i ^ 0x5a, 0x19])
        .collect();
    let mut rules = RuleSet::new();
    for (i, needle) in needles.iter().enumerate() {
        rules
            .add_string(
                i as u32 / 4,
                i as u32 % 4,
                needle,
                &[],
                StringFlags::default(),
            )
            .unwrap();
    }
    rules
        .add_string(9, 0, b"\xc3\x01", &[], StringFlags::default())
        .unwrap();
    let s = Scanner::new(Some(ctx.clone()), &rules).unwrap();
    let data = planted(600_000, 100, &needles, 5);
    let gpu = ctx.gpu().unwrap();
    let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("resident test input"),
        size: (data.len() as u64 + 4).next_multiple_of(4),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut padded = data.clone();
    padded.resize(data.len().next_multiple_of(4), 0);
    gpu.queue.write_buffer(&buffer, 0, &padded);
    let expected = reference(s.rules(), &data);
    assert!(expected.len() > 100);
    for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
        for chunk in [0, 32 << 10] {
            let o = options(Backend::Gpu, mode, chunk);
            let r = s
                .scan_resident_matches(&buffer, data.len() as u64, &o)
                .unwrap();
            assert_eq!(r.matches, expected, "{mode:?}, chunk {chunk}");
            assert_eq!(r.bytes, data.len() as u64);
            if chunk > 0 {
                assert!(r.chunks.len() >= 18, "{} chunks", r.chunks.len());
            }
        }
    }
}
