//! C ABI: the adaptive speculator (docs/SPEC.md sections 2 and 3).

use super::args;
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::report::specrt_report;
use super::status::specrt_status;
use crate::policy::AdaptiveSpeculator;

/// How a dispatch chooses its path: one of the `SPECRT_SPECULATION_*` values.
pub type specrt_speculation_mode = u32;
/// The speculator decides, dispatch by dispatch (the default).
pub const SPECRT_SPECULATION_AUTO: specrt_speculation_mode = 0;
/// Always the fused speculative path; an error when the backend cannot run it.
pub const SPECRT_SPECULATION_FORCE: specrt_speculation_mode = 1;
/// Always the serial prefilter then confirm path.
pub const SPECRT_SPECULATION_DISABLE: specrt_speculation_mode = 2;

/// Adaptive speculator: a commit-rate EMA with hysteresis that says whether the next dispatch
/// should take the fused path.
///
/// Thread safety: every call is atomic; one speculator may be shared by any number of threads
/// (concurrent `specrt_speculator_record` calls never lose a sample).
pub struct specrt_speculator {
    _opaque: [u8; 0],
}

impl Handle for specrt_speculator {
    type Inner = AdaptiveSpeculator;
    const TAG: u8 = tags::SPECULATOR;
    const NAME: &'static str = "specrt_speculator";
}

/// Creates a speculator with a commit-rate threshold in percent (15 is the usual default);
/// speculation starts enabled with the EMA at the threshold.
///
/// # Safety
/// `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_speculator_new(
    threshold_pct: u32,
    out: *mut *mut specrt_speculator,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = handle::into_raw::<specrt_speculator>(AdaptiveSpeculator::new(threshold_pct))?;
        Ok(())
    })
}

/// Frees a speculator. NULL is accepted and ignored.
///
/// # Safety
/// `speculator` must be NULL or a live speculator not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_speculator_free(speculator: *mut specrt_speculator) {
    status_call(|| handle::free(speculator));
}

/// Whether the next dispatch should take the fused speculative path. Returns false (and sets the
/// last error) when `speculator` is NULL or not a speculator.
///
/// # Safety
/// `speculator` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_speculator_should_speculate(
    speculator: *const specrt_speculator,
) -> bool {
    // Fast path: the handle table lookup and one atomic load, none of which can panic.
    if let Some(s) = handle::peek(speculator) {
        return s.should_speculate();
    }
    should_speculate_slow(speculator)
}

/// The error path of [`specrt_speculator_should_speculate`], kept out of its hot path.
#[cold]
#[inline(never)]
unsafe fn should_speculate_slow(speculator: *const specrt_speculator) -> bool {
    value_call(false, || {
        Ok(handle::borrow(speculator, "speculator")?.should_speculate())
    })
}

/// Feeds one dispatch's report into the EMA. Reports with no attempted tiles are ignored.
///
/// # Safety
/// `speculator` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_speculator_record(
    speculator: *const specrt_speculator,
    report: specrt_report,
) -> specrt_status {
    status_call(|| {
        handle::borrow(speculator, "speculator")?.record(report.into());
        Ok(())
    })
}

/// The commit-rate EMA in parts per million (0 with a last error on a bad handle).
///
/// # Safety
/// `speculator` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_speculator_commit_rate_ppm(
    speculator: *const specrt_speculator,
) -> u32 {
    value_call(0, || {
        Ok(handle::borrow(speculator, "speculator")?.commit_rate_ppm())
    })
}

/// How many non-empty reports were recorded (0 with a last error on a bad handle).
///
/// # Safety
/// `speculator` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_speculator_samples(speculator: *const specrt_speculator) -> u64 {
    value_call(
        0,
        || Ok(handle::borrow(speculator, "speculator")?.samples()),
    )
}

/// The threshold in parts per million (0 with a last error on a bad handle).
///
/// # Safety
/// `speculator` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_speculator_threshold_ppm(
    speculator: *const specrt_speculator,
) -> u32 {
    value_call(0, || {
        Ok(handle::borrow(speculator, "speculator")?.threshold_ppm())
    })
}
