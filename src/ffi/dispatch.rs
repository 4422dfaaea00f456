//! C ABI: the prefilter/confirm dispatch entry point, its plan and its settings.

use super::args;
use super::boundary::status_call;
use super::confirm_io::{run_confirm, specrt_confirm_fn};
use super::context::specrt_context;
use super::handle;
use super::inputs::specrt_input_list;
use super::outcome::{specrt_dispatch_outcome, Outcome, SPECRT_PATH_FUSED, SPECRT_PATH_SERIAL};
use super::program::specrt_program;
use super::speculator::{specrt_speculation_mode, specrt_speculator};
use super::status::specrt_status;
use crate::gpu::dispatch::{
    dispatch_prefilter_confirm, ConfirmRequest, DispatchPath, DispatchPlan,
};
use crate::policy::SpeculationMode;
use crate::Error;
use std::ffi::c_void;

/// `prefilter_tail_output` value for a prefilter that writes no tail.
pub const SPECRT_NO_TAIL: u32 = 0xFFFF_FFFF;

/// The programs of one prefilter/confirm dispatch and where the fused program's tail is.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_dispatch_plan {
    /// The fused program (prefilter and confirm in one dispatch, commit gated on the prefilter),
    /// or NULL: then Auto always runs serial and Force fails with `SPECRT_ERROR_UNSUPPORTED`.
    pub fused: *const specrt_program,
    /// The prefilter program of the serial path (required).
    pub prefilter: *const specrt_program,
    /// Index of the fused output that ends with the `[committed, rolled_back]` counter tail.
    pub tail_output: u32,
    /// Whether to remove the 8 tail bytes from that output before returning it.
    pub strip_tail: bool,
    /// Index of a prefilter output ending with a `[hit tiles, other tiles]` tail, recorded into
    /// the speculator on the serial path so it notices hit rates rising; `SPECRT_NO_TAIL` if none.
    pub prefilter_tail_output: u32,
}

/// Per-dispatch settings.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_dispatch_config {
    /// `SPECRT_SPECULATION_AUTO`, `_FORCE` or `_DISABLE`.
    pub mode: specrt_speculation_mode,
}

/// Runs one prefilter/confirm dispatch (docs/SPEC.md section 2).
///
/// `SPECRT_SPECULATION_FORCE` runs the fused program (`SPECRT_ERROR_UNSUPPORTED` when the plan has
/// none or the context has no GPU); `_DISABLE` runs the prefilter, then `confirm`; `_AUTO` asks
/// `speculator`. The fused path parses the tail of output `plan->tail_output`
/// (`SPECRT_ERROR_COUNTER_TAIL` when it has none), strips it when asked, and records it into
/// `speculator`. An index out of range is `SPECRT_ERROR_INVALID_ARGUMENT`; a failing callback's
/// status propagates; malformed callback outputs are `SPECRT_ERROR_CALLBACK`.
///
/// Thread safety: one context and one speculator may serve any number of threads at once.
///
/// # Safety
/// Pointers must be valid; `confirm` may be NULL only when the serial path cannot run.
#[no_mangle]
pub unsafe extern "C" fn specrt_dispatch_prefilter_confirm(
    context: *const specrt_context,
    speculator: *mut specrt_speculator,
    plan: *const specrt_dispatch_plan,
    inputs: *const specrt_input_list,
    config: *const specrt_dispatch_config,
    confirm: specrt_confirm_fn,
    user_data: *mut c_void,
    out: *mut *mut specrt_dispatch_outcome,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let ctx = handle::borrow(context, "context")?;
        let spec = handle::borrow(speculator.cast_const(), "speculator")?;
        let p = args::input(plan, "plan")?;
        let config = args::input(config, "config")?;
        let mode = SpeculationMode::from_raw(config.mode).ok_or_else(|| {
            Error::invalid(format!(
                "config->mode {} is not a SPECRT_SPECULATION_* value",
                config.mode
            ))
        })?;
        let fused = if p.fused.is_null() {
            None
        } else {
            Some(handle::borrow(p.fused, "plan->fused")?)
        };
        let rust_plan = DispatchPlan {
            fused,
            prefilter: handle::borrow(p.prefilter, "plan->prefilter")?,
            tail_output: p.tail_output as usize,
            strip_tail: p.strip_tail,
            prefilter_tail_output: (p.prefilter_tail_output != SPECRT_NO_TAIL)
                .then_some(p.prefilter_tail_output as usize),
        };
        let inputs = args::input(inputs, "inputs")?.views()?;
        let mut call_confirm = |req: &ConfirmRequest| run_confirm(confirm, user_data, req);
        let outcome =
            dispatch_prefilter_confirm(ctx, spec, &rust_plan, &inputs, mode, &mut call_confirm)?;
        *out = handle::into_raw::<specrt_dispatch_outcome>(Outcome {
            path: match outcome.path {
                DispatchPath::Fused => SPECRT_PATH_FUSED,
                DispatchPath::Serial => SPECRT_PATH_SERIAL,
            },
            outputs: outcome.outputs,
            report: outcome.report,
            timings: outcome.timings,
            confirm_ns: outcome.confirm_ns,
        })?;
        Ok(())
    })
}
