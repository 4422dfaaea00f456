//! `make bench`: ns/op of the policy calls in Rust and, through `SPECRT_C_BENCH`, the C ABI.
//! Prints one JSON object on stdout.

use specrt::policy::*;
use std::hint::black_box;
use std::time::Instant;

const N: u64 = 20_000_000;
const ROUNDS: usize = 7;

/// Best-of-`ROUNDS` ns per call of `body`.
fn bench(mut body: impl FnMut(u64)) -> f64 {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..N {
                body(black_box(i));
            }
            start.elapsed().as_nanos() as f64 / N as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn rust_numbers() -> Vec<(&'static str, f64)> {
    let spec = AdaptiveSpeculator::new(15);
    let mut tail = [0u8; 32];
    tail[24] = 42;
    vec![
        (
            "speculator_record",
            bench(|i| spec.record(SpeculationReport::new((i & 1023) as u32, 5))),
        ),
        (
            "should_speculate",
            bench(|_| {
                black_box(spec.should_speculate());
            }),
        ),
        (
            "counter_tail_parse",
            bench(|i| {
                tail[0] = i as u8;
                black_box(parse_counter_tail(black_box(&tail)).ok());
            }),
        ),
        (
            "decide_speculation",
            bench(|i| {
                black_box(decide_speculation(&SpeculationObservation {
                    baseline_dispatches: 50,
                    baseline_mean_ns: 100_000,
                    speculative_dispatches: 50,
                    speculative_mean_ns: 40_000 + (i & 0xffff),
                    side_compile_cost_ns: 1000,
                }));
            }),
        ),
        (
            "decide_persistent_kernel",
            bench(|i| {
                black_box(decide_persistent_kernel(&PersistentInputs {
                    batch_size: (i & 0xfff) as u32,
                    per_launch_overhead_ns: 5000,
                    per_item_kernel_ns: 1000,
                    persistent_setup_overhead_ns: 50_000,
                }));
            }),
        ),
    ]
}

fn c_numbers() -> Result<Vec<(String, f64)>, String> {
    let path = std::env::var("SPECRT_C_BENCH")
        .map_err(|_| "SPECRT_C_BENCH is not set (run through `make bench`)".to_string())?;
    let out = std::process::Command::new(&path)
        .output()
        .map_err(|e| format!("{path}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{path} exited with {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(' ')?;
            Some((name.to_string(), value.trim().parse().ok()?))
        })
        .collect())
}

fn json_object<K: AsRef<str>>(pairs: &[(K, f64)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("\"{}\": {:.3}", k.as_ref(), v))
        .collect();
    format!("{{{}}}", body.join(", "))
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().replace('"', "'"))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let rust = rust_numbers();
    let c_abi = match c_numbers() {
        Ok(v) => json_object(&v),
        Err(e) => format!("{{\"error\": \"{}\"}}", e.replace('"', "'")),
    };
    println!(
        "{{\"cpu\": \"{}\", \"policy_ns_per_op\": {{\"c_abi\": {}, \"rust\": {}}}}}",
        cpu_name(),
        c_abi,
        json_object(&rust)
    );
}
