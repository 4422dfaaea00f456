//! The real-rule benchmark's specrt part: a YARA rule set over a list of files, on the GPU
//! (fused, serial, adaptive) and CPU backends, with the compile time, the resident speed of the
//! GPU kernels on the same data, where the time goes, and the anchors' (atoms') statistics.
//! `benches/rules/bench.py` runs it beside yara and YARA-X and compares the outputs.
//!
//! Usage:
//!   rules skipped RULES.yar              names of the rules specrt skips, one per line
//!   rules run RULES.yar LIST OUT_DIR     one JSON object on stdout; OUT_DIR/<backend>.rules
//!                                        holds the `RULE PATH` lines of each backend
//!
//! Files go through `Scanner::scan_files`, as an engine scanning many files would.
//!
//! Settings: `SPECRT_BENCH_THREADS` (reported, and the concurrent resident scans of the
//! sustained measurement; specrt's file scans use all cores), `SPECRT_BENCH_REPEAT` (best of;
//! default 3),
//! `SPECRT_BENCH_RESIDENT_BYTES` (default 1 GiB, 32 MiB on a software adapter),
//! `SPECRT_BENCH_BACKENDS` (default "gpu_fused,gpu_serial,gpu_auto,cpu"),
//! `SPECRT_BENCH_REGEX_VERIFY` (where regular-expression candidates are verified: `auto`, the
//! default, `gpu` or `cpu`).

#[path = "common/resident.rs"]
mod resident;

use resident::{upload_resident, warm_up_resident};
use serde_json::{json, Value};
use specrt::gpu::{ContextOptions, GpuContext};
use specrt::policy::SpeculationMode;
use specrt::scan::atoms::AtomStatistics;
use specrt::scan::results::ScanTimings;
use specrt::scan::yara::{compile, CompileOptions};
use specrt::scan::{Backend, RegexVerification, RuleSet, ScanOptions, Scanner};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn read_source(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn compile_source(source: &[u8]) -> specrt::scan::yara::CompiledSource {
    compile(
        source,
        "rules",
        CompileOptions {
            skip_unsupported: true,
            ..Default::default()
        },
    )
    .expect("compiling the rule set")
}

/// Prints the names of the rules specrt skips.
fn skipped(path: &str) {
    let compiled = compile_source(&read_source(path));
    let mut out = std::io::stdout().lock();
    for s in compiled.skipped.iter().filter(|s| !s.rule.is_empty()) {
        writeln!(out, "{}", s.rule).unwrap();
    }
}

/// One backend configuration.
struct Config {
    name: &'static str,
    backend: Backend,
    mode: SpeculationMode,
}

const CONFIGS: [Config; 4] = [
    Config {
        name: "gpu_fused",
        backend: Backend::Gpu,
        mode: SpeculationMode::Force,
    },
    Config {
        name: "gpu_serial",
        backend: Backend::Gpu,
        mode: SpeculationMode::Disable,
    },
    Config {
        name: "gpu_auto",
        backend: Backend::Gpu,
        mode: SpeculationMode::Auto,
    },
    Config {
        name: "cpu",
        backend: Backend::Cpu,
        mode: SpeculationMode::Auto,
    },
];

/// Sums of the per-file stage timings (thread time, not wall time).
#[derive(Default)]
struct Stages(ScanTimings);

impl Stages {
    fn add(&mut self, t: &ScanTimings) {
        self.0.add(t);
    }

    fn json(&self) -> Value {
        let ms = |ns: u64| (ns as f64 / 1e5).round() / 10.0;
        let s = &self.0;
        json!({
            "file_reading_ms": ms(s.read_ns),
            "upload_ms": ms(s.upload_ns),
            "kernel_or_search_ms": ms(s.kernel_ns),
            "gpu_prefilter_or_fused_ms": ms(s.prefilter_gpu_ns),
            "gpu_confirm_ms": ms(s.confirm_gpu_ns),
            "readback_ms": ms(s.readback_ns),
            "regex_verification_ms": ms(s.regex_ns),
            "regex_gpu_verification_ms": ms(s.regex_gpu_ns),
            "condition_evaluation_ms": ms(s.evaluate_ns),
            "scan_total_ms": ms(s.total_ns),
        })
    }
}

/// One pass over the files with `Scanner::scan_files`: wall seconds, stage sums, `RULE PATH`
/// lines.
fn pass(scanner: &Scanner, files: &[PathBuf], options: &ScanOptions) -> (f64, Stages, Vec<String>) {
    let names: Vec<&str> = scanner
        .rules()
        .logic
        .as_ref()
        .map(|l| l.rules.iter().map(|r| r.name.as_str()).collect())
        .unwrap_or_default();
    let mut lines = Vec::new();
    let mut stages = Stages::default();
    let started = Instant::now();
    scanner
        .scan_files(files, options, &mut |i, outcome| {
            match outcome {
                Ok(r) => {
                    stages.add(&r.timings);
                    for &rule in &r.rules {
                        lines.push(format!("{} {}", names[rule as usize], files[i].display()));
                    }
                }
                Err(e) => eprintln!("{}: {e}", files[i].display()),
            }
            true
        })
        .expect("scanning the files");
    let wall = started.elapsed().as_secs_f64();
    lines.sort();
    (wall, stages, lines)
}

/// Up to `budget` bytes of the files, concatenated (each padded to 4 bytes).
fn sample(files: &[PathBuf], budget: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for f in files {
        if data.len() >= budget {
            break;
        }
        if let Ok(bytes) = std::fs::read(f) {
            data.extend_from_slice(&bytes[..bytes.len().min(budget - data.len())]);
            data.resize(data.len().next_multiple_of(4), 0);
        }
    }
    data
}

/// Seconds of resident scans before the timed ones, and timed runs at least.
const RESIDENT_WARM_UP_S: f64 = 1.0;
const RESIDENT_MIN_RUNS: usize = 10;
/// Seconds of the sustained measurement (concurrent resident scans).
const RESIDENT_SUSTAINED_S: f64 = 2.0;

/// GB/s of resident scans (matches only) of `data` for each dispatch mode: one scan at a time
/// (best of `repeat`), and `streams` scans at a time for a few seconds (sustained).
///
/// One scan at a time leaves the GPU idle while the host sorts and resolves a chunk's matches
/// (most of a resident scan's wall time on real rules), and the GPU lowers its clocks when it
/// idles that much: its kernels then take up to four times longer. Concurrent scans keep it
/// busy, as a scanner farm does; their kernel time, from the GPU's timestamps, is the kernels'
/// speed at the clocks of a loaded GPU.
fn resident(
    ctx: &GpuContext,
    scanner: &Scanner,
    data: &[u8],
    repeat: usize,
    streams: usize,
) -> Value {
    let buffer = upload_resident(ctx.gpu().expect("GPU"), data);
    let len = data.len() as u64;
    let gbps = |seconds: f64| round2(len as f64 / seconds / 1e9);
    let mut out = serde_json::Map::new();
    for (name, mode) in [
        ("fused", SpeculationMode::Force),
        ("serial", SpeculationMode::Disable),
    ] {
        let options = ScanOptions {
            mode,
            backend: Backend::Gpu,
            tune: false,
            ..Default::default()
        };
        let scan = || {
            scanner
                .scan_resident_matches(&buffer, len, &options)
                .expect("resident scan")
        };
        // The GPU's clocks ramp up under load: the timed runs come after a second of warm-up.
        warm_up_resident(scanner, &buffer, len, mode, RESIDENT_WARM_UP_S);
        let mut best = f64::MAX;
        let mut kernel = KernelTime::default();
        for _ in 0..repeat.max(RESIDENT_MIN_RUNS) {
            let t = Instant::now();
            let r = scan();
            best = best.min(t.elapsed().as_secs_f64());
            kernel = kernel.best(KernelTime::of(&r.timings));
        }
        out.insert(format!("{name}_gbps"), json!(gbps(best)));
        if let Some(seconds) = kernel.seconds() {
            out.insert(format!("{name}_kernel_gbps"), json!(gbps(seconds)));
            out.insert(format!("{name}_kernel_ms"), kernel.passes_ms(1));
        }
        // Sustained: `streams` threads scanning the buffer back to back.
        let started = Instant::now();
        let totals = std::sync::Mutex::new((0usize, ScanTimings::default()));
        std::thread::scope(|s| {
            for _ in 0..streams {
                s.spawn(|| {
                    while started.elapsed().as_secs_f64() < RESIDENT_SUSTAINED_S {
                        let r = scan();
                        let mut totals = totals.lock().unwrap();
                        totals.0 += 1;
                        totals.1.add(&r.timings);
                    }
                });
            }
        });
        let wall = started.elapsed().as_secs_f64();
        let (scans, timings) = totals.into_inner().unwrap();
        let kernel = KernelTime::of(&timings);
        out.insert(
            format!("{name}_sustained_gbps"),
            json!(gbps(wall / scans as f64)),
        );
        if let Some(seconds) = kernel.seconds() {
            let mean = seconds / scans as f64;
            out.insert(format!("{name}_sustained_kernel_gbps"), json!(gbps(mean)));
            out.insert(
                format!("{name}_sustained_kernel_ms"),
                kernel.passes_ms(scans),
            );
        }
    }
    out.insert("bytes".into(), json!(data.len()));
    out.insert("sustained_streams".into(), json!(streams));
    Value::Object(out)
}

/// GPU time of resident scans from timestamps: (first pass: fused or prefilter; the serial
/// path's compaction and confirm), ns.
#[derive(Clone, Copy, Default)]
struct KernelTime(u64, u64);

impl KernelTime {
    fn of(t: &ScanTimings) -> Self {
        Self(t.prefilter_gpu_ns, t.confirm_gpu_ns)
    }

    fn total(self) -> u64 {
        self.0 + self.1
    }

    /// The faster of two, a zero (no timestamps) never.
    fn best(self, other: Self) -> Self {
        match (self.total(), other.total()) {
            (0, _) => other,
            (_, 0) => self,
            (a, b) if b < a => other,
            _ => self,
        }
    }

    /// Seconds, where the adapter has timestamps.
    fn seconds(self) -> Option<f64> {
        (self.total() > 0).then(|| self.total() as f64 / 1e9)
    }

    /// Both passes in ms, divided by `scans`.
    fn passes_ms(self, scans: usize) -> Value {
        let ms = |ns: u64| round2(ns as f64 / 1e6 / scans.max(1) as f64);
        json!([ms(self.0), ms(self.1)])
    }
}

fn atoms_json(a: &AtomStatistics) -> Value {
    json!({
        "patterns": a.patterns,
        "distinct_atoms": a.distinct_atoms,
        "patterns_by_atom_length": a.by_length,
        "patterns_by_quality_bits": a.by_quality_bits.iter().enumerate()
            .map(|(i, n)| (format!("{}-{}", 4 * i, if i == 7 { "".into() } else { (4 * i + 3).to_string() }), json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "sample_bytes": a.sample_bytes,
        "candidates_per_mb": round2(a.candidates_per_mb()),
        "verifications_per_mb": round2(a.verifications_per_mb()),
        "matches": a.matches,
        "busiest_atoms": a.busiest_atoms.iter().map(|(atom, hits, patterns)| json!({
            "atom": atom.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "),
            "candidates_per_mb": round2(*hits as f64 * 1e6 / a.sample_bytes.max(1) as f64),
            "patterns": patterns,
        })).collect::<Vec<_>>(),
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn run(rules_path: &str, list: &str, out_dir: &str) {
    let threads = env_u64(
        "SPECRT_BENCH_THREADS",
        std::thread::available_parallelism().map_or(1, |n| n.get()) as u64,
    ) as usize;
    let repeat = env_u64("SPECRT_BENCH_REPEAT", 3) as usize;
    let backends = std::env::var("SPECRT_BENCH_BACKENDS")
        .unwrap_or_else(|_| "gpu_fused,gpu_serial,gpu_auto,cpu".into());
    let regex_verification = match std::env::var("SPECRT_BENCH_REGEX_VERIFY").as_deref() {
        Ok("gpu") => RegexVerification::Gpu,
        Ok("cpu") => RegexVerification::Cpu,
        Ok("auto") | Err(_) => RegexVerification::Auto,
        Ok(other) => panic!("SPECRT_BENCH_REGEX_VERIFY={other}: auto, gpu or cpu"),
    };
    let files: Vec<PathBuf> = std::fs::read_to_string(list)
        .unwrap_or_else(|e| panic!("reading {list}: {e}"))
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect();
    let corpus_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();

    let started = Instant::now();
    let ctx = Arc::new(GpuContext::new(&ContextOptions::default()).expect("a GPU adapter"));
    let device_s = started.elapsed().as_secs_f64();
    let summary = ctx.summary().expect("adapter");
    let software = summary.info.device_type == wgpu::DeviceType::Cpu;
    let device = summary.info.name.clone();

    let source = read_source(rules_path);
    let started = Instant::now();
    let compiled = compile_source(&source);
    let parse_s = started.elapsed().as_secs_f64();
    // A farm loads the saved rule set instead of compiling it.
    let saved = Path::new(out_dir).join("rules.srs");
    compiled.rules.save(&saved).expect("saving the rule set");
    let started = Instant::now();
    let loaded = RuleSet::load(&saved).expect("loading the rule set");
    let load_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let scanner = Scanner::new(Some(ctx.clone()), &loaded).expect("scanner");
    let scanner_s = started.elapsed().as_secs_f64();
    // Every YARA rule, also those without strings (conditions on modules or the input alone).
    let rules_compiled = compiled
        .rules
        .logic()
        .map_or(compiled.rules.rules().len(), |l| l.rules.len());
    let rules_skipped = compiled
        .skipped
        .iter()
        .filter(|s| !s.rule.is_empty())
        .count();

    let sample_data = sample(
        &files,
        env_u64(
            "SPECRT_BENCH_RESIDENT_BYTES",
            if software { 32 << 20 } else { 1 << 30 },
        ) as usize,
    );
    let atoms = scanner.atom_statistics(&sample_data);
    eprintln!("atoms: {atoms:?}");
    let resident = if sample_data.is_empty() {
        Value::Null
    } else {
        resident(&ctx, &scanner, &sample_data, repeat, threads)
    };
    drop(sample_data);
    eprintln!("resident: {resident}");

    let mut results = serde_json::Map::new();
    let mut reference: Option<(String, Vec<String>)> = None;
    for config in CONFIGS
        .iter()
        .filter(|c| backends.split(',').any(|b| b == c.name))
    {
        let options = ScanOptions {
            mode: config.mode,
            backend: config.backend,
            tune: false,
            regex_verification,
            ..Default::default()
        };
        let (mut best, mut best_stages, lines) = pass(&scanner, &files, &options);
        for _ in 0..repeat {
            let (wall, stages, _) = pass(&scanner, &files, &options);
            if wall < best {
                (best, best_stages) = (wall, stages);
            }
        }
        let path = Path::new(out_dir).join(format!("{}.rules", config.name));
        std::fs::write(
            &path,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .expect("writing the rule lines");
        let same = match &reference {
            None => {
                reference = Some((config.name.to_string(), lines.clone()));
                Value::Null
            }
            Some((_, r)) => json!(*r == lines),
        };
        let row = json!({
            "wall_s": (best * 1000.0).round() / 1000.0,
            "gbps_end_to_end": round2(corpus_bytes as f64 / best / 1e9),
            "rule_lines": lines.len(),
            "same_as_first_backend": same,
            "stages_thread_ms": best_stages.json(),
        });
        eprintln!("{}: {row}", config.name);
        results.insert(config.name.into(), row);
    }
    let report = json!({
        "device": device,
        "threads": threads,
        "rules_compiled": rules_compiled,
        "rules_skipped": rules_skipped,
        "compile_s": {
            "parse_and_expand": (parse_s * 1000.0).round() / 1000.0,
            "tables_and_pipelines": (scanner_s * 1000.0).round() / 1000.0,
            "total": ((parse_s + scanner_s) * 1000.0).round() / 1000.0,
            "load_saved": (load_s * 1000.0).round() / 1000.0,
            "load_saved_and_tables": ((load_s + scanner_s) * 1000.0).round() / 1000.0,
            "device_open": (device_s * 1000.0).round() / 1000.0,
        },
        "corpus_files": files.len(),
        "corpus_bytes": corpus_bytes,
        "backends": results,
        "resident": resident,
        "atoms": atoms_json(&atoms),
        "regex_atoms_on_gpu": scanner.regex_atoms_on_gpu().map(|(on_gpu, all)| json!({
            "on_gpu": on_gpu,
            "all": all,
        })).unwrap_or_else(|e| json!(e.to_string())),
        "regex_strings": {
            "strings": scanner.rules().regexes.len(),
            "without_atoms": scanner.rules().unanchored.len(),
        },
    });
    println!("{report}");
}

/// Writes to `out` data that the rules' regular-expression strings match: ten samples of each
/// (see `RegexString::sample`), between random bytes and text, for differential tests of
/// regular expressions against yara where real files match none.
fn samples(rules: &str, out: &str) {
    let source = std::fs::read(rules).expect("reading the rules");
    let options = CompileOptions {
        skip_unsupported: true,
        ..Default::default()
    };
    let compiled = compile(&source, rules, options).expect("compiling the rules");
    let mut data = Vec::new();
    let mut seed = 1u64;
    for rule in compiled.rules.rules() {
        for regex in rule.strings.iter().filter_map(|s| s.regex.as_ref()) {
            for _ in 0..10 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let filler = [&b" "[..], b"\n", b"\x00\x00", b"..", b"A1", b"\r\n\t"];
                data.extend_from_slice(filler[(seed >> 33) as usize % filler.len()]);
                data.extend_from_slice(&regex.sample(seed));
            }
        }
    }
    std::fs::write(out, &data).expect("writing the samples");
    eprintln!("{} bytes of samples", data.len());
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["skipped", rules] => skipped(rules),
        ["run", rules, list, out] => run(rules, list, out),
        ["samples", rules, out] => samples(rules, out),
        _ => {
            eprintln!(
                "usage: rules skipped RULES.yar | rules run RULES.yar LIST OUT_DIR | \
                 rules samples RULES.yar OUT.bin"
            );
            std::process::exit(2);
        }
    }
}
