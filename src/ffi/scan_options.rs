//! C ABI: per-scan options, the scan backends and why a scan ran on its backend.

use super::speculator::{specrt_speculation_mode, SPECRT_SPECULATION_AUTO};
use crate::policy::SpeculationMode;
use crate::scan::{Backend, BackendReason, RegexVerification, ScanOptions};
use crate::{Error, Result};
use std::ffi::c_char;

/// Which backend a scan uses: one of the `SPECRT_SCAN_BACKEND_*` values.
pub type specrt_scan_backend = u32;
/// The GPU when the scanner's context has a hardware adapter, else the CPU (a software adapter
/// such as llvmpipe is slower than the CPU backend: request `SPECRT_SCAN_BACKEND_GPU` for it).
pub const SPECRT_SCAN_BACKEND_AUTO: specrt_scan_backend = 0;
/// The GPU, software adapters included (`SPECRT_ERROR_NO_ADAPTER` without one).
pub const SPECRT_SCAN_BACKEND_GPU: specrt_scan_backend = 1;
/// The CPU.
pub const SPECRT_SCAN_BACKEND_CPU: specrt_scan_backend = 2;

/// Where the anchor hits of regular-expression strings are verified: one of the
/// `SPECRT_REGEX_VERIFY_*` values.
pub type specrt_regex_verification = u32;
/// On the GPU when the input was scanned there and the CPU, by its measured recent time per
/// candidate, would spend at least a millisecond on the candidates whose automata fit the GPU's
/// tables; the others on the CPU.
pub const SPECRT_REGEX_VERIFY_AUTO: specrt_regex_verification = 0;
/// Always on the CPU.
pub const SPECRT_REGEX_VERIFY_CPU: specrt_regex_verification = 1;
/// Every candidate whose automata fit on the GPU whenever the scanner has one; the others on
/// the CPU.
pub const SPECRT_REGEX_VERIFY_GPU: specrt_regex_verification = 2;

/// Why a scan ran on its backend: one of the `SPECRT_BACKEND_REASON_*` values.
pub type specrt_backend_reason = u32;
/// The backend was requested (or a dispatch mode only the GPU has).
pub const SPECRT_BACKEND_REASON_REQUESTED: specrt_backend_reason = 0;
/// Automatic choice: the context has a hardware GPU.
pub const SPECRT_BACKEND_REASON_HARDWARE_GPU: specrt_backend_reason = 1;
/// Automatic choice: the context's adapter is a software rasterizer, slower than the CPU.
pub const SPECRT_BACKEND_REASON_SOFTWARE_GPU: specrt_backend_reason = 2;
/// Automatic choice: the scanner has no GPU.
pub const SPECRT_BACKEND_REASON_NO_GPU: specrt_backend_reason = 3;
/// The rules have no strings: nothing to search for.
pub const SPECRT_BACKEND_REASON_NOTHING_TO_SEARCH: specrt_backend_reason = 4;

pub(crate) fn reason_code(reason: BackendReason) -> specrt_backend_reason {
    match reason {
        BackendReason::Requested => SPECRT_BACKEND_REASON_REQUESTED,
        BackendReason::HardwareGpu => SPECRT_BACKEND_REASON_HARDWARE_GPU,
        BackendReason::SoftwareGpu => SPECRT_BACKEND_REASON_SOFTWARE_GPU,
        BackendReason::NoGpu => SPECRT_BACKEND_REASON_NO_GPU,
        BackendReason::NothingToSearch => SPECRT_BACKEND_REASON_NOTHING_TO_SEARCH,
    }
}

/// A sentence for a `SPECRT_BACKEND_REASON_*` value (`"unknown reason"` for other values).
/// Never NULL; never free it.
#[no_mangle]
pub extern "C" fn specrt_backend_reason_str(reason: specrt_backend_reason) -> *const c_char {
    let reason = [
        BackendReason::Requested,
        BackendReason::HardwareGpu,
        BackendReason::SoftwareGpu,
        BackendReason::NoGpu,
        BackendReason::NothingToSearch,
    ]
    .into_iter()
    .find(|&r| reason_code(r) == reason);
    reason
        .map_or(c"unknown reason", BackendReason::describe)
        .as_ptr()
}

/// Per-scan settings; start from `specrt_scan_options_default()`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_scan_options {
    /// `SPECRT_SPECULATION_*`: fused, serial or the speculator's choice, per chunk.
    pub mode: specrt_speculation_mode,
    /// `SPECRT_SCAN_BACKEND_*`.
    pub backend: specrt_scan_backend,
    /// Most matches kept: the first ones in result order; the others are counted in `dropped` and
    /// the result is marked truncated. (When one GPU chunk holds over 4,194,304 matches, which
    /// of them are kept is unspecified; the counts stay exact.)
    pub max_matches: u64,
    /// Upper bound on one chunk's data, bytes; 0 for the device's limit.
    pub max_chunk_bytes: u64,
    /// Whether GPU chunks take part in self-tuning: while no workgroup size is settled for a
    /// chunk's shape, the chunk also runs a candidate variant and the paired window decides;
    /// settled choices go to the context's autotune store. Default true.
    pub tune: bool,
    /// yara's fast mode (`yara -f`): a YARA string whose condition only asks whether it
    /// matched (`$x`, `of`) reports its first match only; rule results are the same. Default
    /// false.
    pub fast: bool,
    /// Longest one input's scan may take, milliseconds (yara's `-a`; 0: no limit): checked
    /// between chunks and after the conditions, a scan past it fails with
    /// `SPECRT_ERROR_TIMEOUT`. `specrt_scan_files` then scans each file on its own.
    pub timeout_ms: u64,
    /// `SPECRT_REGEX_VERIFY_*`: where regular-expression candidates are verified. Default
    /// `SPECRT_REGEX_VERIFY_AUTO`.
    pub regex_verification: specrt_regex_verification,
}

/// Default scan options: Auto mode and backend, 1048576 matches, the device's chunk size.
#[no_mangle]
pub extern "C" fn specrt_scan_options_default() -> specrt_scan_options {
    specrt_scan_options {
        mode: SPECRT_SPECULATION_AUTO,
        backend: SPECRT_SCAN_BACKEND_AUTO,
        max_matches: crate::scan::scanner::DEFAULT_MAX_MATCHES as u64,
        max_chunk_bytes: 0,
        tune: true,
        fast: false,
        timeout_ms: 0,
        regex_verification: SPECRT_REGEX_VERIFY_AUTO,
    }
}

pub(crate) fn to_options(o: &specrt_scan_options) -> Result<ScanOptions> {
    Ok(ScanOptions {
        mode: SpeculationMode::from_raw(o.mode).ok_or_else(|| {
            Error::invalid(format!(
                "mode {} is not a SPECRT_SPECULATION_* value",
                o.mode
            ))
        })?,
        backend: match o.backend {
            SPECRT_SCAN_BACKEND_AUTO => Backend::Auto,
            SPECRT_SCAN_BACKEND_GPU => Backend::Gpu,
            SPECRT_SCAN_BACKEND_CPU => Backend::Cpu,
            other => {
                return Err(Error::invalid(format!(
                    "backend {other} is not a SPECRT_SCAN_BACKEND_* value"
                )))
            }
        },
        max_matches: usize::try_from(o.max_matches).unwrap_or(usize::MAX),
        max_chunk_bytes: o.max_chunk_bytes,
        tune: o.tune,
        fast: o.fast,
        timeout: (o.timeout_ms > 0).then(|| std::time::Duration::from_millis(o.timeout_ms)),
        regex_verification: match o.regex_verification {
            SPECRT_REGEX_VERIFY_AUTO => RegexVerification::Auto,
            SPECRT_REGEX_VERIFY_CPU => RegexVerification::Cpu,
            SPECRT_REGEX_VERIFY_GPU => RegexVerification::Gpu,
            other => {
                return Err(Error::invalid(format!(
                    "regex_verification {other} is not a SPECRT_REGEX_VERIFY_* value"
                )))
            }
        },
    })
}
