//! Scan throughput of the GPU fused, serial and adaptive paths and of the CPU backend, at tile hit
//! rates from 0 to 100 %, end to end from host memory and with the input already resident on the
//! GPU, for 1,000 and 10,000 strings; the adaptive path's regret; host-to-GPU upload methods; a
//! persistent batch against one scan per item; self-tuning; and the CPU anchors (yara and
//! Vectorscan, see `anchors`) on the same inputs. Prints one JSON object.
//!
//! Settings: `SPECRT_BENCH_BYTES` (default 1 GiB, 16 MiB on a software adapter),
//! `SPECRT_BENCH_STRING_COUNTS` (default "1000,10000"; "1000" on a software adapter),
//! `SPECRT_BENCH_HIT_RATES` (default "0,1,5,15,30,60,100"; "0,1,60,100" on a software adapter),
//! `SPECRT_BENCH_ITEMS` (default 100,000, 2,000 on a software adapter), `SPECRT_BENCH_YARA` and
//! `SPECRT_BENCH_HS` (the anchors' programs), `SPECRT_BENCH_WARM_UP_S` (seconds of GPU load
//! before measuring; default 5, 0 on a software adapter).

#[path = "scan/anchors.rs"]
mod anchors;
#[path = "common/resident.rs"]
mod resident;
use resident::{upload_resident, warm_up_resident};
#[path = "scan/uploads.rs"]
mod uploads;

use specrt::gpu::{ContextOptions, GpuContext};
use specrt::policy::SpeculationMode;
use specrt::scan::gpu::TILE;
use specrt::scan::{Backend, RuleSet, ScanOptions, ScanResult, Scanner, StringFlags};
use std::sync::Arc;
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list of numbers from the environment, or `default`.
fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<u64>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// Whether the adapter is a software rasteriser, whose timings mean nothing: the defaults then
/// shrink so the run ends in minutes.
fn software(ctx: &GpuContext) -> bool {
    ctx.summary().unwrap().info.device_type == wgpu::DeviceType::Cpu
}

/// Input size: `SPECRT_BENCH_BYTES`, or 1 GiB (16 MiB on a software adapter).
fn bench_bytes(ctx: &GpuContext) -> usize {
    let default = if software(ctx) { 16 << 20 } else { 1 << 30 };
    env_u64("SPECRT_BENCH_BYTES", default) as usize
}

/// `count` random strings of 8 to 16 bytes.
fn strings(count: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let len = 8 + (rng.next() % 9) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        })
        .collect()
}

/// Random bytes where `hit_pct` % of the 4 KiB tiles hold one planted string.
fn input(bytes: usize, hit_pct: u64, needles: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let mut data = vec![0u8; bytes];
    for word in data.chunks_exact_mut(8) {
        word.copy_from_slice(&rng.next().to_le_bytes());
    }
    for tile in data.chunks_mut(TILE as usize) {
        if rng.next() % 100 < hit_pct {
            let needle = &needles[(rng.next() % needles.len() as u64) as usize];
            if tile.len() > needle.len() {
                let at = (rng.next() % (tile.len() - needle.len()) as u64) as usize;
                tile[at..at + needle.len()].copy_from_slice(needle);
            }
        }
    }
    data
}

/// Best of `runs` runs: (GB/s, result of the last run).
fn best(runs: usize, bytes: usize, mut f: impl FnMut() -> ScanResult) -> (f64, ScanResult) {
    let mut best = f64::INFINITY;
    let mut last = ScanResult::default();
    for _ in 0..runs {
        let t = Instant::now();
        last = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (bytes as f64 / best / 1e9, last)
}

/// `SPECRT_BENCH_ITEMS` (default 100,000) items of 1 KiB, a tenth with a planted string: one
/// persistent dispatch against one scan per item, and the decision this context's measured
/// overheads give.
fn batch_row(ctx: &GpuContext, scanner: &Scanner, needles: &[Vec<u8>], rng: &mut Rng) -> String {
    let count = env_u64(
        "SPECRT_BENCH_ITEMS",
        if software(ctx) { 2_000 } else { 100_000 },
    ) as usize;
    let data = input(count * 1024, 0, needles, rng);
    let mut planted = data;
    for (i, item) in planted.chunks_mut(1024).enumerate() {
        if i % 10 == 0 {
            let n = &needles[i % needles.len()];
            item[100..100 + n.len()].copy_from_slice(n);
        }
    }
    let items: Vec<&[u8]> = planted.chunks(1024).collect();
    let measured = scanner.launch_overheads().unwrap();
    let options = ScanOptions::default();
    let natural = scanner.scan_batch(&items, &options).unwrap();
    let time = |f: &mut dyn FnMut() -> specrt::scan::batch::BatchResult| {
        let t = Instant::now();
        let r = f();
        (t.elapsed().as_secs_f64(), r)
    };
    ctx.set_launch_overheads(specrt::gpu::LaunchOverheads {
        per_launch_ns: u64::MAX / 1_000_000,
        persistent_setup_ns: 1,
    });
    let (persistent_s, persistent) = (0..3)
        .map(|_| time(&mut || scanner.scan_batch(&items, &options).unwrap()))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    ctx.set_launch_overheads(specrt::gpu::LaunchOverheads {
        per_launch_ns: 0,
        persistent_setup_ns: 1,
    });
    let (per_item_s, per_item) = time(&mut || scanner.scan_batch(&items, &options).unwrap());
    ctx.set_launch_overheads(measured);
    assert!(persistent.persistent && !per_item.persistent);
    assert_eq!(
        persistent.items, per_item.items,
        "persistent and per-item batches disagree"
    );
    let found: usize = persistent.items.iter().map(|i| i.matches.len()).sum();
    format!(
        "{{\"items\": {count}, \"item_bytes\": 1024, \"matches\": {found}, \"persistent_s\": {persistent_s:.4}, \"per_item_s\": {per_item_s:.3}, \"persistent_over_per_item\": {:.1}, \"measured_launch_ns\": {}, \"measured_persistent_setup_ns\": {}, \"decision\": \"{}\", \"natural_mode_persistent\": {}}}",
        per_item_s / persistent_s,
        measured.per_launch_ns,
        measured.persistent_setup_ns,
        natural.decision,
        natural.persistent
    )
}

/// Resident scan throughput (1 % tile hits) with the default kernels, and after self-tuning has
/// settled the workgroup size for this shape.
fn tuning_row(ctx: &GpuContext, scanner: &Scanner, needles: &[Vec<u8>], rng: &mut Rng) -> String {
    let bytes = bench_bytes(ctx);
    let data = input(bytes, 1, needles, rng);
    let gpu = ctx.gpu().unwrap();
    let resident = upload_resident(gpu, &data);
    let fused = |tune| ScanOptions {
        backend: Backend::Gpu,
        mode: SpeculationMode::Force,
        tune,
        ..Default::default()
    };
    let spin_up = || {
        warm_up_resident(
            scanner,
            &resident,
            bytes as u64,
            SpeculationMode::Auto,
            SPIN_UP_S,
        )
    };
    spin_up();
    let (before, _) = best(RESIDENT_RUNS, bytes, || {
        scanner
            .scan_resident(&resident, bytes as u64, &fused(false))
            .unwrap()
    });
    let mut rounds = 0;
    let mut last = scanner
        .scan_resident(&resident, bytes as u64, &fused(true))
        .unwrap();
    while last.chunks.iter().any(|c| c.raced) && rounds < 40 {
        last = scanner
            .scan_resident(&resident, bytes as u64, &fused(true))
            .unwrap();
        rounds += 1;
    }
    spin_up();
    let (after, r) = best(RESIDENT_RUNS, bytes, || {
        scanner
            .scan_resident(&resident, bytes as u64, &fused(true))
            .unwrap()
    });
    format!(
        "{{\"resident_fused_gbps_before\": {before:.2}, \"resident_fused_gbps_after\": {after:.2}, \"workgroup_size_after\": {}, \"tile_after\": {}, \"tuning_scans\": {}}}",
        r.chunks[0].workgroup_size,
        r.chunks[0].tile,
        rounds + 1
    )
}

/// Keeps the GPU busy with resident scans for `seconds`: its clocks ramp up only under sustained
/// load, and the rows measured in the first tens of seconds of a cold process otherwise come out
/// several times slower.
fn warm_up(ctx: &Arc<GpuContext>, seconds: f64, rng: &mut Rng) {
    let needles = strings(16, rng);
    let mut rules = RuleSet::new();
    for (i, n) in needles.iter().enumerate() {
        rules
            .add_string(0, i as u32, n, &[], StringFlags::default())
            .unwrap();
    }
    let scanner = Scanner::new(Some(ctx.clone()), &rules).unwrap();
    let data = input(256 << 20, 1, &needles, rng);
    let resident = upload_resident(ctx.gpu().unwrap(), &data);
    let options = ScanOptions {
        tune: false,
        ..Default::default()
    };
    let started = Instant::now();
    while started.elapsed().as_secs_f64() < seconds {
        scanner
            .scan_resident(&resident, data.len() as u64, &options)
            .unwrap();
    }
}

/// Seconds of resident scans before each GPU measurement, and resident runs (best of).
const SPIN_UP_S: f64 = 1.0;
const RESIDENT_RUNS: usize = 10;

/// Tile hit rates of the full run, percent.
const HIT_RATES: [u64; 7] = [0, 1, 5, 15, 30, 60, 100];

/// One input (`bytes` at `hit_pct` % tile hits) on every path, with the anchors.
#[allow(clippy::too_many_arguments)]
fn scan_row(
    ctx: &GpuContext,
    scanner: &Scanner,
    needles: &[Vec<u8>],
    hit_pct: u64,
    bytes: usize,
    anchors: &anchors::Anchors,
    anchor_rules: &anchors::AnchorRules,
    rng: &mut Rng,
) -> String {
    let data = input(bytes, hit_pct, needles, rng);
    // The fixed-path rows use the default kernels; tuning is measured on its own.
    let opts = |backend, mode| ScanOptions {
        backend,
        mode,
        tune: false,
        ..Default::default()
    };
    // Resident first, then end to end, each right after a second of sustained GPU load: the
    // GPU's clocks drop whenever it idles (as during the CPU rows) and ramp up only under load;
    // after half a second, rows still came out up to 4x slow.
    let resident = upload_resident(ctx.gpu().unwrap(), &data);
    let spin_up = || {
        warm_up_resident(
            scanner,
            &resident,
            bytes as u64,
            SpeculationMode::Auto,
            SPIN_UP_S,
        )
    };
    let on_gpu = |mode| {
        let o = opts(Backend::Gpu, mode);
        spin_up();
        best(RESIDENT_RUNS, bytes, || {
            scanner.scan_resident(&resident, bytes as u64, &o).unwrap()
        })
    };
    let (fused_res, rr) = on_gpu(SpeculationMode::Force);
    let (serial_res, _) = on_gpu(SpeculationMode::Disable);
    let (adaptive_res, _) = on_gpu(SpeculationMode::Auto);
    let host = |backend, mode| {
        let o = opts(backend, mode);
        spin_up();
        best(2, bytes, || scanner.scan(&data, &o, None, None).unwrap())
    };
    let (fused, rf) = host(Backend::Gpu, SpeculationMode::Force);
    let (serial, rs) = host(Backend::Gpu, SpeculationMode::Disable);
    let (adaptive, ra) = host(Backend::Gpu, SpeculationMode::Auto);
    drop(resident);
    let (cpu, rc) = best(1, bytes, || {
        scanner
            .scan(
                &data,
                &opts(Backend::Cpu, SpeculationMode::Auto),
                None,
                None,
            )
            .unwrap()
    });
    for (name, r) in [
        ("fused", &rf),
        ("serial", &rs),
        ("adaptive", &ra),
        ("resident fused", &rr),
    ] {
        assert_eq!(r.matches, rc.matches, "{name} and CPU disagree");
    }
    let regret = |adaptive: f64, a: f64, b: f64| 100.0 * (a.max(b) / adaptive - 1.0);
    let tiles: (u64, u64) = rf
        .chunks
        .iter()
        .filter_map(|c| c.report)
        .fold((0, 0), |a, r| {
            (
                a.0 + r.committed_tiles as u64,
                a.1 + r.rolled_back_tiles as u64,
            )
        });
    let anchors_json = anchors.run(anchor_rules, &data);
    let row = format!(
        "{{\"strings\": {}, \"hit_pct\": {hit_pct}, \"measured_tile_hit_pct\": {:.2}, \"matches\": {}, \
         \"end_to_end_gbps\": {{\"fused\": {fused:.2}, \"serial\": {serial:.2}, \"adaptive\": {adaptive:.2}, \"cpu\": {cpu:.2}}}, \
         \"resident_gbps\": {{\"fused\": {fused_res:.2}, \"serial\": {serial_res:.2}, \"adaptive\": {adaptive_res:.2}}}, \
         \"adaptive_regret_pct\": {{\"end_to_end\": {:.1}, \"resident\": {:.1}}}, \"anchors\": {anchors_json}}}",
        needles.len(),
        100.0 * tiles.0 as f64 / (tiles.0 + tiles.1).max(1) as f64,
        rc.matches.len(),
        regret(adaptive, fused, serial),
        regret(adaptive_res, fused_res, serial_res),
    );
    eprintln!("{row}");
    row
}

fn main() {
    let ctx = Arc::new(GpuContext::new(&ContextOptions::default()).expect("a GPU adapter"));
    let soft = software(&ctx);
    let bytes = bench_bytes(&ctx);
    let device = ctx.summary().unwrap().info.name.clone();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let counts = env_list(
        "SPECRT_BENCH_STRING_COUNTS",
        if soft { &[1000] } else { &[1000, 10_000] },
    );
    let hit_rates = env_list(
        "SPECRT_BENCH_HIT_RATES",
        if soft { &[0, 1, 60, 100] } else { &HIT_RATES },
    );
    let mut rng = Rng(0x5eed);
    warm_up(
        &ctx,
        env_u64("SPECRT_BENCH_WARM_UP_S", if soft { 0 } else { 20 }) as f64,
        &mut rng,
    );
    let upload_data = input(bytes.min(256 << 20), 0, &[vec![0]], &mut rng);
    let uploads = uploads::rows(ctx.gpu().unwrap(), &upload_data);
    drop(upload_data);
    eprintln!("{uploads}");
    let anchors = anchors::Anchors::from_env(threads);
    let mut rows = Vec::new();
    let mut batch = String::from("null");
    let mut tuning = String::from("null");
    for (k, &count) in counts.iter().enumerate() {
        let needles = strings(count as usize, &mut rng);
        let mut rules = RuleSet::new();
        for (i, n) in needles.iter().enumerate() {
            rules
                .add_string(i as u32 / 10, i as u32, n, &[], StringFlags::default())
                .unwrap();
        }
        let scanner = Scanner::new(Some(ctx.clone()), &rules).unwrap();
        let anchor_rules = anchors.rules(&needles);
        for &hit_pct in &hit_rates {
            rows.push(scan_row(
                &ctx,
                &scanner,
                &needles,
                hit_pct,
                bytes,
                &anchors,
                &anchor_rules,
                &mut rng,
            ));
        }
        if k == 0 {
            batch = batch_row(&ctx, &scanner, &needles, &mut rng);
            eprintln!("{batch}");
            tuning = tuning_row(&ctx, &scanner, &needles, &mut rng);
            eprintln!("{tuning}");
        }
    }
    println!(
        "{{\"device\": \"{}\", \"bytes\": {bytes}, \"cpu_threads\": {threads}, \"uploads_gbps\": {uploads}, \"batch\": {batch}, \"tuning\": {tuning}, \"scan\": [{}]}}",
        device.replace('"', "'"),
        rows.join(", ")
    );
}
