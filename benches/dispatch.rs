//! Per-dispatch wall time of the fused and serial paths of the "records" example kernels, at
//! several batch sizes and hit rates, on the first adapter. Prints one JSON object.
//! Run with `cargo bench --bench dispatch` (part of `make bench`).

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use specrt::gpu::dispatch::ConfirmRequest;
use specrt::gpu::run::run_program;
use specrt::gpu::*;
use specrt::policy::{AdaptiveSpeculator, SpeculationMode};
use std::time::Instant;

const REPEATS: usize = 30;

/// Median wall time of `REPEATS` dispatches, microseconds.
fn median_us(mut f: impl FnMut()) -> f64 {
    f(); // warm-up: pipelines, pooled buffers
    let mut times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPEATS / 2]
}

fn main() {
    let ctx = GpuContext::new(&ContextOptions::default()).expect("a GPU adapter");
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    let plan = DispatchPlan {
        fused: Some(&p.fused),
        prefilter: &p.prefilter,
        tail_output: 0,
        strip_tail: true,
        prefilter_tail_output: Some(0),
    };
    let mut confirm = |req: &ConfirmRequest| {
        let mask = &req.prefilter_outputs[0];
        Ok(run_program(&ctx, &p.confirm, &[req.inputs[0], &mask[..mask.len() - 8]])?.outputs)
    };
    let mut rows = Vec::new();
    for records in [64usize, 64 * 1024, 64 * 32 * 1024] {
        for hit_pct in [1u32, 60, 100] {
            let data = common::records(records, hit_pct, 42);
            let mut time = |mode| {
                median_us(|| {
                    dispatch_prefilter_confirm(&ctx, &spec, &plan, &[&data], mode, &mut confirm)
                        .unwrap();
                })
            };
            let fused = time(SpeculationMode::Force);
            let serial = time(SpeculationMode::Disable);
            rows.push(format!(
                "{{\"bytes\": {}, \"hit_pct\": {hit_pct}, \"fused_us\": {fused:.1}, \"serial_us\": {serial:.1}}}",
                data.len()
            ));
        }
    }
    let name = &ctx.summary().unwrap().info.name;
    println!(
        "{{\"device\": \"{}\", \"dispatch_median_us\": [{}]}}",
        name.replace('"', "'"),
        rows.join(", ")
    );
}
