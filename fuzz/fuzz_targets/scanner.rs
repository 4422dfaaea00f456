//! Random rules over random data: the GPU (lavapipe in CI) and the CPU backend report the same
//! matches and rules, on the fused and the serial path, with small chunks.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use specrt::gpu::{ContextOptions, GpuContext};
use specrt::policy::SpeculationMode;
use specrt::scan::{Backend, RuleSet, ScanOptions, Scanner, StringFlags};
use std::sync::{Arc, OnceLock};

#[derive(Arbitrary, Debug)]
struct FuzzString {
    rule: u8,
    bytes: Vec<u8>,
    /// Per byte: 0 exact, 1 any, 2 high nibble, 3 low nibble.
    masks: Vec<u8>,
    flags: u8,
}

#[derive(Arbitrary, Debug)]
struct Case {
    strings: Vec<FuzzString>,
    data: Vec<u8>,
    chunk: u16,
}

fn context() -> Option<Arc<GpuContext>> {
    static CONTEXT: OnceLock<Option<Arc<GpuContext>>> = OnceLock::new();
    CONTEXT
        .get_or_init(|| {
            let options = ContextOptions {
                allow_software: true,
                ..Default::default()
            };
            match GpuContext::new(&options) {
                Ok(ctx) => Some(Arc::new(ctx)),
                // As in the tests: SPECRT_REQUIRE_GPU=1 (CI) makes a missing adapter a failure.
                Err(e) if std::env::var("SPECRT_REQUIRE_GPU").as_deref() == Ok("1") => {
                    panic!("no GPU adapter: {e}")
                }
                Err(_) => None,
            }
        })
        .clone()
}

fuzz_target!(|case: Case| {
    let mut rules = RuleSet::new();
    for (id, s) in case.strings.iter().take(16).enumerate() {
        let len = s.bytes.len().min(24);
        if len == 0 {
            continue;
        }
        let mask: Vec<u8> = (0..len)
            .map(|i| [0xff, 0x00, 0xf0, 0x0f][*s.masks.get(i).unwrap_or(&0) as usize % 4])
            .collect();
        let flags = StringFlags {
            nocase: s.flags & 1 != 0,
            wide: s.flags & 2 != 0,
            ascii: s.flags & 4 != 0,
            fullword: s.flags & 8 != 0,
        };
        rules
            .add_string(u32::from(s.rule % 4), id as u32, &s.bytes[..len], &mask, flags)
            .unwrap();
    }
    if rules.string_count() == 0 {
        return;
    }
    let data = &case.data[..case.data.len().min(64 << 10)];
    let scanner = Scanner::new(context(), &rules).unwrap();
    let options = |backend, mode| ScanOptions {
        backend,
        mode,
        max_chunk_bytes: 2048 + u64::from(case.chunk % 8192),
        tune: false,
        ..Default::default()
    };
    let cpu = scanner
        .scan(data, &options(Backend::Cpu, SpeculationMode::Auto), None, None)
        .unwrap();
    if scanner.has_gpu() {
        for mode in [SpeculationMode::Force, SpeculationMode::Disable] {
            let gpu = scanner
                .scan(data, &options(Backend::Gpu, mode), None, None)
                .unwrap();
            assert_eq!(gpu.matches, cpu.matches, "{mode:?}");
            assert_eq!(gpu.rules, cpu.rules, "{mode:?}");
        }
    }
});
