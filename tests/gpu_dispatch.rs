//! The prefilter/confirm entry point on a real Vulkan driver (lavapipe in CI).

mod common;

use common::*;
use specrt::gpu::dispatch::ConfirmRequest;
use specrt::gpu::run::run_program;
use specrt::gpu::*;
use specrt::policy::{AdaptiveSpeculator, SpeculationMode};
use specrt::{Error, Result};

fn plan(p: &RecordPrograms) -> DispatchPlan<'_> {
    DispatchPlan {
        fused: Some(&p.fused),
        prefilter: &p.prefilter,
        tail_output: 0,
        strip_tail: true,
        prefilter_tail_output: Some(0),
    }
}

/// The serial path's confirm step: the confirm kernel over the prefilter's tile mask.
fn gpu_confirm<'a>(
    ctx: &'a GpuContext,
    confirm: &'a Program,
) -> impl FnMut(&ConfirmRequest) -> Result<Vec<Vec<u8>>> + 'a {
    move |req| {
        let mask = &req.prefilter_outputs[0];
        let mask = &mask[..mask.len() - 8]; // without the tail
        Ok(run_program(ctx, confirm, &[req.inputs[0], mask])?.outputs)
    }
}

fn dispatch(
    ctx: &GpuContext,
    spec: &AdaptiveSpeculator,
    p: &RecordPrograms,
    data: &[u8],
    mode: SpeculationMode,
) -> DispatchOutcome {
    dispatch_prefilter_confirm(
        ctx,
        spec,
        &plan(p),
        &[data],
        mode,
        &mut gpu_confirm(ctx, &p.confirm),
    )
    .unwrap_or_else(|e| panic!("{mode:?}: {e}"))
}

#[test]
fn both_paths_match_the_reference_at_every_hit_rate() {
    let Some(ctx) = context() else { return };
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    for (hit_pct, count) in [
        (0, 4096),
        (1, 10_000),
        (30, 4099),
        (100, 640),
        (50, 1),
        (50, 0),
    ] {
        let data = records(count, hit_pct, 7 + count as u64);
        let fused = dispatch(&ctx, &spec, &p, &data, SpeculationMode::Force);
        let serial = dispatch(&ctx, &spec, &p, &data, SpeculationMode::Disable);
        assert_eq!(fused.path, DispatchPath::Fused);
        assert_eq!(serial.path, DispatchPath::Serial);
        assert_eq!(
            fused.outputs, serial.outputs,
            "hit rate {hit_pct} %, {count} records"
        );
        assert_eq!(fused.outputs[0], reference(&data), "hit rate {hit_pct} %");
        // The prefilter's tail and the fused tail count the same tiles.
        assert_eq!(fused.report, serial.report);
        let tiles = (count as u64).div_ceil(TILE) as u32;
        assert_eq!(fused.report.unwrap().attempted_tiles(), tiles);
    }
}

#[test]
fn tail_is_parsed_and_stripped_only_when_asked() {
    let Some(ctx) = context() else { return };
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    let data = records(64 * 10, 100, 3);
    let keep = DispatchPlan {
        strip_tail: false,
        ..plan(&p)
    };
    let out = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &keep,
        &[&data],
        SpeculationMode::Force,
        &mut |_| unreachable!("the fused path never confirms"),
    )
    .unwrap();
    let full = &out.outputs[0];
    assert_eq!(full.len(), 640 * 4 + 8);
    let tail = specrt::policy::parse_counter_tail(full).unwrap();
    assert_eq!((tail.committed_tiles, tail.rolled_back_tiles), (10, 0));
    assert_eq!(out.report, Some(tail));
    assert_eq!(spec.samples(), 1);
}

#[test]
fn auto_follows_the_speculator_both_ways() {
    let Some(ctx) = context() else { return };
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    let low = records(64 * 20, 0, 1);
    let high = records(64 * 20, 90, 2);
    let mut paths = Vec::new();
    for data in [
        &low, &low, &low, &low, &low, &high, &high, &high, &high, &high,
    ] {
        paths.push(dispatch(&ctx, &spec, &p, data, SpeculationMode::Auto).path);
    }
    assert_eq!(paths[0], DispatchPath::Fused, "a new speculator speculates");
    assert!(
        paths[..5].contains(&DispatchPath::Serial),
        "low hit rates turn speculation off: {paths:?}"
    );
    assert_eq!(
        paths[9],
        DispatchPath::Fused,
        "high hit rates turn it back on: {paths:?}"
    );
}

#[test]
fn error_paths_have_clear_statuses() {
    let Some(ctx) = context() else { return };
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    let data = records(128, 50, 5);
    let mut never = |_: &ConfirmRequest| -> Result<Vec<Vec<u8>>> { unreachable!() };

    let bad_index = DispatchPlan {
        tail_output: 3,
        ..plan(&p)
    };
    let e = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &bad_index,
        &[&data],
        SpeculationMode::Auto,
        &mut never,
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument(_)) && e.to_string().contains("tail output index 3"),
        "{e}"
    );

    // A "fused" program whose output is too short to hold a tail.
    let tiny = Program::new(
        &ctx,
        ProgramDesc {
            wgsl: "@group(0) @binding(0) var<storage, read> a: array<u32>;\n\
                   @group(0) @binding(1) var<storage, read_write> b: array<u32>;\n\
                   @compute @workgroup_size(1) fn main() { b[0] = a[0]; }"
                .into(),
            entry_point: "main".into(),
            inputs: 1,
            outputs: vec![SizeRule::fixed(4)],
            workgroups_x: SizeRule::fixed(1),
            ..Default::default()
        },
    )
    .unwrap();
    let no_tail = DispatchPlan {
        fused: Some(&tiny),
        ..plan(&p)
    };
    let e = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &no_tail,
        &[&data],
        SpeculationMode::Force,
        &mut never,
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::CounterTail(_)) && e.to_string().contains("`main`"),
        "{e}"
    );

    let no_fused = DispatchPlan {
        fused: None,
        ..plan(&p)
    };
    let e = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &no_fused,
        &[&data],
        SpeculationMode::Force,
        &mut never,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("unsupported feature: speculative dispatch"),
        "{e}"
    );

    let mut failing = |_: &ConfirmRequest| -> Result<Vec<Vec<u8>>> {
        Err(Error::Callback {
            status: 6,
            message: "engine I/O failed".into(),
        })
    };
    let e = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &plan(&p),
        &[&data],
        SpeculationMode::Disable,
        &mut failing,
    )
    .unwrap_err();
    assert!(matches!(e, Error::Callback { status: 6, .. }), "{e}");

    let mut malformed = |_: &ConfirmRequest| -> Result<Vec<Vec<u8>>> { Ok(vec![]) };
    let e = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &plan(&p),
        &[&data],
        SpeculationMode::Disable,
        &mut malformed,
    )
    .unwrap_err();
    assert!(e.to_string().contains("produced 0 output(s)"), "{e}");

    let e = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &plan(&p),
        &[&data, &data],
        SpeculationMode::Auto,
        &mut never,
    )
    .unwrap_err();
    assert!(e.to_string().contains("takes 1 input(s)"), "{e}");
}

#[test]
fn bad_wgsl_reports_line_and_column() {
    let Some(ctx) = context() else { return };
    let e = Program::new(
        &ctx,
        ProgramDesc {
            wgsl: "@compute @workgroup_size(1)\nfn main() {\n  let x = ;\n}\n".into(),
            entry_point: "main".into(),
            inputs: 0,
            outputs: vec![SizeRule::fixed(4)],
            workgroups_x: SizeRule::fixed(1),
            ..Default::default()
        },
    )
    .err()
    .expect("bad WGSL must fail");
    assert!(matches!(e, Error::Shader(_)), "{e}");
    assert!(e.to_string().contains("3:11"), "{e}");

    let e = Program::new(
        &ctx,
        ProgramDesc {
            wgsl: kernel("records_prefilter"),
            entry_point: "no_such_entry".into(),
            inputs: 1,
            outputs: vec![SizeRule::fixed(4)],
            workgroups_x: SizeRule::fixed(1),
            ..Default::default()
        },
    )
    .err()
    .expect("a missing entry point must fail");
    assert!(matches!(e, Error::Shader(_)), "{e}");
}

#[test]
fn steady_state_creates_no_buffers() {
    let Some(ctx) = context() else { return };
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    let data = records(4096, 20, 9);
    for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
        dispatch(&ctx, &spec, &p, &data, mode);
    }
    let created = ctx.gpu().unwrap().pool.created();
    for _ in 0..5 {
        for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
            dispatch(&ctx, &spec, &p, &data, mode);
        }
    }
    assert_eq!(ctx.gpu().unwrap().pool.created(), created);
}

#[test]
fn one_context_and_speculator_shared_by_4_threads() {
    let Some(ctx) = context() else { return };
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (ctx, p, spec) = (&ctx, &p, &spec);
            s.spawn(move || {
                for i in 0..6 {
                    let data = records(
                        2048 + 64 * i,
                        (t as u32 * 30 + i as u32 * 7) % 100,
                        t * 100 + i as u64,
                    );
                    let mode = [
                        SpeculationMode::Auto,
                        SpeculationMode::Force,
                        SpeculationMode::Disable,
                    ][i % 3];
                    let out = dispatch(ctx, spec, p, &data, mode);
                    assert_eq!(out.outputs[0], reference(&data), "thread {t} iteration {i}");
                }
            });
        }
    });
    assert!(spec.samples() >= 24);
}

#[test]
fn device_loss_is_reported_and_a_new_context_works() {
    let Some(ctx) = context() else { return };
    let p = record_programs(&ctx);
    let spec = AdaptiveSpeculator::new(15);
    let data = records(256, 50, 4);
    ctx.destroy_device();
    assert!(ctx.is_lost());
    let e = dispatch_prefilter_confirm(
        &ctx,
        &spec,
        &plan(&p),
        &[&data],
        SpeculationMode::Force,
        &mut |_| unreachable!(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::DeviceLost(_)), "{e}");
    assert!(e.to_string().contains("create a new context"), "{e}");
    let fresh = context().unwrap();
    let p = record_programs(&fresh);
    assert_eq!(
        dispatch(&fresh, &spec, &p, &data, SpeculationMode::Force).outputs[0],
        reference(&data)
    );
}
