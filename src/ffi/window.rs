//! C ABI: the paired speculation window (docs/SPEC.md section 8).

use super::args;
use super::autotune::{lock_store, specrt_autotune_store, specrt_spec_cache_key};
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::race::{
    race_arguments, specrt_speculation_observation, specrt_variant_decision, specrt_variant_race,
    specrt_verdict, verdict_code,
};
use super::status::specrt_status;
use crate::policy::PairedWindow;
use crate::Result;
use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard};

/// Accumulates conservative/speculative timing pairs for one rewrite candidate and shape.
///
/// Thread safety: calls lock the window; it may be shared by threads.
pub struct specrt_paired_window {
    _opaque: [u8; 0],
}

impl Handle for specrt_paired_window {
    type Inner = Mutex<PairedWindow>;
    const TAG: u8 = tags::PAIRED_WINDOW;
    const NAME: &'static str = "specrt_paired_window";
}

/// What one recorded sample produced.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_paired_update {
    /// The sample's race decision (its winner's record went to the store).
    pub decision: specrt_variant_decision,
    /// The verdict on the window after this sample.
    pub verdict: specrt_verdict,
    /// The window's observation after this sample.
    pub observation: specrt_speculation_observation,
}

unsafe fn lock_window<'a>(
    window: *const specrt_paired_window,
) -> Result<MutexGuard<'a, PairedWindow>> {
    let mutex = handle::borrow(window, "window")?;
    Ok(mutex.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Creates an empty window.
///
/// # Safety
/// `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_paired_window_new(
    out: *mut *mut specrt_paired_window,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = handle::into_raw::<specrt_paired_window>(Mutex::new(PairedWindow::new()))?;
        Ok(())
    })
}

/// Frees a window. NULL is accepted and ignored.
///
/// # Safety
/// `window` must be NULL or a live window not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_paired_window_free(window: *mut specrt_paired_window) {
    status_call(|| handle::free(window));
}

/// Number of complete pairs (the smaller of the two sample counts); 0 with a last error on a bad
/// handle.
///
/// # Safety
/// `window` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_paired_window_len(window: *const specrt_paired_window) -> u32 {
    value_call(0, || Ok(lock_window(window)?.len()))
}

/// The window's observation: counts, floor means and accumulated speculative compile cost.
///
/// # Safety
/// Pointers must be valid.
#[no_mangle]
pub unsafe extern "C" fn specrt_paired_window_observation(
    window: *const specrt_paired_window,
    out: *mut specrt_speculation_observation,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = lock_window(window)?.observation().into();
        Ok(())
    })
}

/// Adds one timing pair, records its race in `store` (as `specrt_record_variant_race`), and
/// returns the race decision, the verdict on the updated window and its observation.
/// `SPECRT_ERROR_OVERFLOW` when a count, total or the compile sum would overflow; then neither
/// the window nor the store changes.
///
/// # Safety
/// Pointers must be valid; `adapter_id` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_paired_window_record_sample(
    window: *mut specrt_paired_window,
    store: *mut specrt_autotune_store,
    conservative_key: *const specrt_spec_cache_key,
    speculative_key: *const specrt_spec_cache_key,
    adapter_id: *const c_char,
    sample: *const specrt_variant_race,
    out: *mut specrt_paired_update,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let (cons, spec, adapter, sample) = race_arguments(
            conservative_key,
            speculative_key,
            adapter_id,
            sample,
            "sample",
        )?;
        let mut window = lock_window(window)?;
        let mut store = lock_store(store, "store")?;
        let update = window.record_sample(&mut store, &cons, &spec, adapter, &sample)?;
        *out = specrt_paired_update {
            decision: (&update.decision).into(),
            verdict: verdict_code(update.verdict),
            observation: update.observation.into(),
        };
        Ok(())
    })
}
