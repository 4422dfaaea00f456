//! C ABI: the outcome of a dispatch or a single program run: path, outputs, report, timings.

use super::args;
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::inputs::specrt_bytes;
use super::report::specrt_report;
use super::status::specrt_status;
use crate::gpu::run::RunTimings;
use crate::policy::SpeculationReport;

/// Which path produced an outcome: one of the `SPECRT_PATH_*` values.
pub type specrt_path = u32;
/// The fused speculative program.
pub const SPECRT_PATH_FUSED: specrt_path = 1;
/// The prefilter program, then the engine's confirm callback.
pub const SPECRT_PATH_SERIAL: specrt_path = 2;
/// A single program run by `specrt_program_dispatch`.
pub const SPECRT_PATH_SINGLE: specrt_path = 3;

/// Stage timings of a dispatch, wall clock, nanoseconds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct specrt_dispatch_timings {
    /// Writing inputs into GPU buffers.
    pub upload_ns: u64,
    /// Recording, submitting and waiting for the GPU.
    pub execute_ns: u64,
    /// Copying outputs back.
    pub readback_ns: u64,
    /// Time in the confirm callback (serial path).
    pub confirm_ns: u64,
}

/// The result of a dispatch: path, outputs, counter report and timings. Owned by the caller;
/// free with `specrt_dispatch_outcome_free`. Immutable, so it may be read from any thread.
pub struct specrt_dispatch_outcome {
    _opaque: [u8; 0],
}

/// The Rust side of an outcome handle.
pub struct Outcome {
    pub(crate) path: specrt_path,
    pub(crate) outputs: Vec<Vec<u8>>,
    pub(crate) report: Option<SpeculationReport>,
    pub(crate) timings: RunTimings,
    pub(crate) confirm_ns: u64,
}

impl Handle for specrt_dispatch_outcome {
    type Inner = Outcome;
    const TAG: u8 = tags::DISPATCH_OUTCOME;
    const NAME: &'static str = "specrt_dispatch_outcome";
}

/// The path that produced the outcome: `SPECRT_PATH_*` (0 with a last error on a bad handle).
///
/// # Safety
/// `outcome` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_dispatch_outcome_path(
    outcome: *const specrt_dispatch_outcome,
) -> specrt_path {
    value_call(0, || Ok(handle::borrow(outcome, "outcome")?.path))
}

/// Number of outputs (0 with a last error on a bad handle).
///
/// # Safety
/// `outcome` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_dispatch_outcome_output_count(
    outcome: *const specrt_dispatch_outcome,
) -> u32 {
    value_call(0, || {
        Ok(handle::borrow(outcome, "outcome")?.outputs.len() as u32)
    })
}

/// Output `index` as a byte view, valid until the outcome is freed.
///
/// # Safety
/// `outcome` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_dispatch_outcome_output(
    outcome: *const specrt_dispatch_outcome,
    index: u32,
    out: *mut specrt_bytes,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let o = handle::borrow(outcome, "outcome")?;
        let bytes = args::element(&o.outputs, index as usize, "output index")?;
        *out = specrt_bytes {
            data: bytes.as_ptr(),
            len: bytes.len(),
        };
        Ok(())
    })
}

/// The counter report recorded into the speculator, if any: `*has_report` says whether there is
/// one (fused path, or serial path with a prefilter tail); `*out` is written only then.
///
/// # Safety
/// `outcome` must be a specrt handle; `out` and `has_report` valid for writes.
#[no_mangle]
pub unsafe extern "C" fn specrt_dispatch_outcome_report(
    outcome: *const specrt_dispatch_outcome,
    out: *mut specrt_report,
    has_report: *mut bool,
) -> specrt_status {
    status_call(|| {
        let (out, has_report) = (args::out(out, "out")?, args::out(has_report, "has_report")?);
        let report = handle::borrow(outcome, "outcome")?.report;
        if let Some(r) = report {
            *out = r.into();
        }
        *has_report = report.is_some();
        Ok(())
    })
}

/// Stage timings of the dispatch.
///
/// # Safety
/// `outcome` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_dispatch_outcome_timings(
    outcome: *const specrt_dispatch_outcome,
    out: *mut specrt_dispatch_timings,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let o = handle::borrow(outcome, "outcome")?;
        *out = specrt_dispatch_timings {
            upload_ns: o.timings.upload_ns,
            execute_ns: o.timings.execute_ns,
            readback_ns: o.timings.readback_ns,
            confirm_ns: o.confirm_ns,
        };
        Ok(())
    })
}

/// Frees an outcome. NULL is accepted and ignored.
///
/// # Safety
/// `outcome` must be NULL or a live outcome not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_dispatch_outcome_free(outcome: *mut specrt_dispatch_outcome) {
    status_call(|| handle::free(outcome));
}
