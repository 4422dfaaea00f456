//! The library writes nothing to stdout or stderr on its own: opening a GPU and scanning on it,
//! on a machine without a desktop session (no `XDG_RUNTIME_DIR`), print nothing. Vulkan layers
//! that look for a window system would otherwise write to the host's stderr (see
//! `specrt::gpu::instance`). The test runs its work in a child process to see its raw output.

mod common;

use specrt::scan::{ScanOptions, Scanner};
use std::process::Command;
use std::sync::Arc;

const CHILD: &str = "SPECRT_QUIET_LIBRARY_CHILD";
const TEST_NAME: &str = "opening_a_gpu_and_scanning_on_it_print_nothing";

/// Opens a GPU context and scans on it; prints nothing itself (without an adapter, and without
/// `SPECRT_REQUIRE_GPU=1`, it does nothing).
fn gpu_work() {
    let options = specrt::gpu::ContextOptions {
        allow_software: true,
        ..Default::default()
    };
    let context = match specrt::gpu::GpuContext::new(&options) {
        Ok(context) => context,
        Err(specrt::Error::NoAdapter(_))
            if std::env::var("SPECRT_REQUIRE_GPU").as_deref() != Ok("1") =>
        {
            return
        }
        Err(e) => panic!("no GPU context: {e}"),
    };
    let compiled = specrt::scan::yara::compile(
        br#"rule planted { strings: $a = "needle" condition: $a }"#,
        "quiet.yar",
        Default::default(),
    )
    .unwrap();
    let scanner = Scanner::new(Some(Arc::new(context)), &compiled.rules).unwrap();
    let mut data = vec![0u8; 1 << 20];
    data[4096..4102].copy_from_slice(b"needle");
    let options = ScanOptions {
        backend: common::gpu_backend(&scanner),
        ..Default::default()
    };
    let result = scanner.scan(&data, &options, None, None).unwrap();
    assert_eq!(result.rules, [0]);
}

#[test]
fn opening_a_gpu_and_scanning_on_it_print_nothing() {
    if std::env::var_os(CHILD).is_some() {
        gpu_work();
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert_eq!(stderr, "", "the library wrote to stderr");
    // Everything on stdout is the test harness's own report.
    let foreign: Vec<&str> = stdout
        .lines()
        .filter(|line| {
            !(line.is_empty()
                || line.starts_with("running ")
                || line.starts_with("test ")
                || line.starts_with("test result:"))
        })
        .collect();
    assert!(
        foreign.is_empty(),
        "the library wrote to stdout: {foreign:?}"
    );
}
