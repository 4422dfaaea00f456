//! Combines the three benchmark outputs into the one JSON object `make bench` prints, with the
//! `device` field and the `targets` object (each target with its measured figure and whether it
//! is met). With `--plot-data`, prints instead the data of the throughput plot: per string count
//! a block with one line per hit rate and the GB/s of each path, for `benches/plot.gp`.
//!
//! Usage: `report POLICY.json DISPATCH.json SCAN.json` or `report --plot-data BENCH.json`.

use serde_json::{json, Value};

fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The scan row for `strings` at `hit_pct`.
fn row(scan: &Value, strings: u64, hit_pct: u64) -> Option<&Value> {
    scan["scan"]
        .as_array()?
        .iter()
        .find(|r| r["strings"].as_u64() == Some(strings) && r["hit_pct"].as_u64() == Some(hit_pct))
}

fn target(measured: Option<f64>, bound: f64, at_least: bool) -> Value {
    let met = measured.map(|m| if at_least { m >= bound } else { m <= bound });
    json!({
        "target": format!("{} {bound}", if at_least { ">=" } else { "<=" }),
        "measured": measured,
        "met": met,
    })
}

fn targets(policy: &Value, scan: &Value) -> Value {
    let one = row(scan, 1000, 1);
    let e2e = one.and_then(|r| num(&r["end_to_end_gbps"]["adaptive"]));
    let max_regret = scan["scan"].as_array().and_then(|rows| {
        rows.iter()
            .filter(|r| r["strings"].as_u64() == Some(1000))
            .filter_map(|r| num(&r["adaptive_regret_pct"]["resident"]))
            .reduce(f64::max)
    });
    let full = row(scan, 1000, 100);
    let fused_over_serial = full.and_then(|r| {
        Some(num(&r["resident_gbps"]["fused"])? / num(&r["resident_gbps"]["serial"])?)
    });
    let c_abi = &policy["policy_ns_per_op"]["c_abi"];
    let over = |anchor: &str| {
        let a = one.and_then(|r| num(&r["anchors"][anchor]))?;
        Some(e2e? / a)
    };
    json!({
        "resident_scan_gbps": target(one.and_then(|r| num(&r["resident_gbps"]["adaptive"])), 1000.0, true),
        "end_to_end_gbps": target(e2e, 20.0, true),
        "adaptive_max_regret_pct": target(max_regret, 5.0, false),
        "fused_over_serial_at_100pct": target(fused_over_serial, 2.0, true),
        "persistent_over_per_item": target(num(&scan["batch"]["persistent_over_per_item"]), 20.0, true),
        "speculator_record_ns": target(num(&c_abi["speculator_record"]), 20.0, false),
        "should_speculate_ns": target(num(&c_abi["should_speculate"]), 2.0, false),
        "vs_yara_speedup": target(over("yara_gbps"), 1.0, true),
        "vs_vectorscan_speedup": target(over("vectorscan_gbps"), 1.0, true),
    })
}

fn plot_data(bench: &Value) {
    let rows = bench["scan"]["scan"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for strings in [1000, 10_000] {
        println!("# {strings} strings: hit_pct fused serial adaptive cpu resident_fused resident_serial resident_adaptive yara vectorscan");
        for r in rows
            .iter()
            .filter(|r| r["strings"].as_u64() == Some(strings))
        {
            let v = |a: &str, b: &str| num(&r[a][b]).map_or("NaN".into(), |x| format!("{x}"));
            println!(
                "{} {} {} {} {} {} {} {} {} {}",
                r["hit_pct"],
                v("end_to_end_gbps", "fused"),
                v("end_to_end_gbps", "serial"),
                v("end_to_end_gbps", "adaptive"),
                v("end_to_end_gbps", "cpu"),
                v("resident_gbps", "fused"),
                v("resident_gbps", "serial"),
                v("resident_gbps", "adaptive"),
                v("anchors", "yara_gbps"),
                v("anchors", "vectorscan_gbps"),
            );
        }
        // Two blank lines: the next gnuplot data block.
        println!("\n");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; the files follow.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--plot-data") {
        plot_data(&read(&args[1]));
        return;
    }
    let [policy, dispatch, scan] = [&args[0], &args[1], &args[2]].map(|p| read(p));
    let out = json!({
        "device": scan["device"],
        "targets": targets(&policy, &scan),
        "policy": policy,
        "dispatch": dispatch,
        "scan": scan,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
