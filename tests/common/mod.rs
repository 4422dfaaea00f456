//! Shared helpers of the GPU tests: the context (lavapipe in CI) and the "records" example kernels.
#![allow(dead_code)]

use specrt::gpu::{ContextOptions, GpuContext, Program, ProgramDesc, SizeRule};
use specrt::Error;

/// A context on any adapter, software included. Without `SPECRT_REQUIRE_GPU=1`, `None` when the
/// machine has no adapter; with it, a missing adapter fails the test.
pub fn context() -> Option<GpuContext> {
    let options = ContextOptions {
        allow_software: true,
        ..Default::default()
    };
    match GpuContext::new(&options) {
        Ok(ctx) => Some(ctx),
        Err(Error::NoAdapter(why)) if std::env::var("SPECRT_REQUIRE_GPU").as_deref() != Ok("1") => {
            eprintln!("skipping: {why}");
            None
        }
        Err(e) => panic!("no GPU context: {e}"),
    }
}

/// The WGSL source of an example kernel of `examples/kernels/`, embedded at build time: test and
/// benchmark binaries run on machines that have no source tree.
pub fn kernel(name: &str) -> String {
    match name {
        "records_fused" => include_str!("../../examples/kernels/records_fused.wgsl"),
        "records_prefilter" => include_str!("../../examples/kernels/records_prefilter.wgsl"),
        "records_confirm" => include_str!("../../examples/kernels/records_confirm.wgsl"),
        other => panic!("no example kernel named {other}"),
    }
    .to_string()
}

/// Bytes per record and records per tile of the example kernels.
pub const RECORD: u64 = 8;
pub const TILE: u64 = 64;

fn tiles_rule() -> SizeRule {
    SizeRule::per_input(0, 1, 1, RECORD * TILE, 0)
}

pub struct RecordPrograms {
    pub fused: Program,
    pub prefilter: Program,
    pub confirm: Program,
}

pub fn record_programs(ctx: &GpuContext) -> RecordPrograms {
    let program = |file: &str, entry: &str, inputs: u32, output: SizeRule| {
        Program::new(
            ctx,
            ProgramDesc {
                wgsl: kernel(file),
                entry_point: entry.into(),
                inputs,
                outputs: vec![output],
                workgroups_x: tiles_rule(),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"))
    };
    RecordPrograms {
        // One u32 per record, then the 8-byte tail.
        fused: program(
            "records_fused",
            "fused",
            1,
            SizeRule::per_input(0, 4, 1, RECORD, 8),
        ),
        // One u32 per tile, then the 8-byte tail.
        prefilter: program(
            "records_prefilter",
            "prefilter",
            1,
            SizeRule::per_input(0, 4, 1, RECORD * TILE, 8),
        ),
        // One u32 per record.
        confirm: program(
            "records_confirm",
            "confirm",
            2,
            SizeRule::per_input(0, 4, 1, RECORD, 0),
        ),
    }
}

/// `count` records whose tiles are hits with probability `hit_pct` (deterministic).
pub fn records(count: usize, hit_pct: u32, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u32
    };
    let mut out = Vec::with_capacity(count * 8);
    let mut tile_hit = false;
    for i in 0..count {
        if (i as u64).is_multiple_of(TILE) {
            tile_hit = next() % 100 < hit_pct;
        }
        let mut key = next() & !0xff;
        // In a hit tile about a third of the records pass the cheap check.
        if tile_hit && (next() % 3 == 0 || (i as u64).is_multiple_of(TILE)) {
            key |= 0x5a;
        } else {
            key |= 0x11;
        }
        out.extend_from_slice(&key.to_le_bytes());
        out.extend_from_slice(&next().to_le_bytes());
    }
    out
}

/// The CPU reference of the example: one u32 per record, 1 when confirmed.
pub fn reference(records: &[u8]) -> Vec<u8> {
    records
        .chunks_exact(8)
        .flat_map(|r| {
            let key = u32::from_le_bytes(r[..4].try_into().unwrap());
            let mut h = u32::from_le_bytes(r[4..].try_into().unwrap());
            for _ in 0..64 {
                h = (h ^ (h >> 16)).wrapping_mul(0x45d9f3b);
            }
            let confirmed = key & 0xff == 0x5a && h & 3 == 0;
            (confirmed as u32).to_le_bytes()
        })
        .collect()
}

/// The backend that runs the GPU paths on any adapter, software included (the automatic choice
/// leaves software adapters alone): `Gpu` when the scanner has a GPU, else `Auto`.
pub fn gpu_backend(scanner: &specrt::scan::Scanner) -> specrt::scan::Backend {
    if scanner.has_gpu() {
        specrt::scan::Backend::Gpu
    } else {
        specrt::scan::Backend::Auto
    }
}
