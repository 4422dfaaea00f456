//! The C ABI's boundary: panics become SPECRT_ERROR_PANIC, and the version agrees everywhere.

use specrt::ffi::status::*;
use std::ffi::CStr;

#[cfg(feature = "test-hooks")]
#[test]
fn a_panic_inside_an_export_becomes_a_status() {
    let status = specrt::ffi::test_hooks::specrt_test_force_panic();
    assert_eq!(status, SPECRT_ERROR_PANIC);
    let message = specrt::ffi::last_error::last_error_message();
    assert!(message.contains("internal panic"), "{message}");
    assert!(
        message.contains("forced by specrt_test_force_panic"),
        "{message}"
    );
    // The library keeps working after the panic.
    let mut out = std::ptr::null_mut();
    assert_eq!(
        unsafe { specrt::ffi::speculator::specrt_speculator_new(15, &mut out) },
        SPECRT_OK
    );
    unsafe { specrt::ffi::speculator::specrt_speculator_free(out) };
}

#[test]
fn version_matches_cargo_toml_and_header() {
    let version = unsafe { CStr::from_ptr(specrt::ffi::version::specrt_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    let header = include_str!("../include/specrt.h");
    for (name, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define SPECRT_VERSION_{name} {value}\n");
        assert!(header.contains(&line), "header lacks {line:?}");
    }
    let number = specrt::ffi::version::specrt_version_number();
    let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(number, parts[0] * 10_000 + parts[1] * 100 + parts[2]);
}

#[test]
fn every_status_has_a_distinct_name() {
    let names: Vec<String> = (0..=SPECRT_ERROR_TIMEOUT)
        .map(|s| {
            unsafe { CStr::from_ptr(specrt_status_str(s)) }
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let unique: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
    assert!(names
        .iter()
        .all(|n| n.starts_with("SPECRT_") && n != "SPECRT_UNKNOWN_STATUS"));
}
