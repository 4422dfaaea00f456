//! C ABI: the prefilter/confirm dispatch entry point, its confirm callback and its outcome.

use super::args;
use super::boundary::{status_call, value_call};
use super::context::specrt_context;
use super::handle::{self, tags, Handle};
use super::program::specrt_program;
use super::report::specrt_report;
use super::speculator::{specrt_speculation_mode, specrt_speculator};
use super::status::{specrt_status, SPECRT_OK};
use crate::gpu::dispatch::{
    dispatch_prefilter_confirm, ConfirmRequest, DispatchPath, DispatchPlan,
};
use crate::gpu::run::RunTimings;
use crate::policy::{SpeculationMode, SpeculationReport};
use crate::{Error, Result};
use std::ffi::c_void;
use std::sync::Mutex;

/// Which path produced an outcome: one of the `SPECRT_PATH_*` values.
pub type specrt_path = u32;
/// The fused speculative program.
pub const SPECRT_PATH_FUSED: specrt_path = 1;
/// The prefilter program, then the engine's confirm callback.
pub const SPECRT_PATH_SERIAL: specrt_path = 2;
/// A single program run by `specrt_program_dispatch`.
pub const SPECRT_PATH_SINGLE: specrt_path = 3;

/// `prefilter_tail_output` value for a prefilter that writes no tail.
pub const SPECRT_NO_TAIL: u32 = 0xFFFF_FFFF;
/// Most outputs a confirm callback may set.
pub const SPECRT_MAX_CONFIRM_OUTPUTS: u32 = 32;

/// A read-only byte view.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_bytes {
    /// First byte (may be NULL when `len` is 0).
    pub data: *const u8,
    /// Length in bytes.
    pub len: usize,
}

/// The inputs of a dispatch, in binding order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_input_list {
    /// `count` byte views.
    pub items: *const specrt_bytes,
    /// Number of inputs.
    pub count: usize,
}

impl specrt_input_list {
    /// The inputs as Rust slices.
    pub(crate) unsafe fn views<'a>(&self) -> Result<Vec<&'a [u8]>> {
        if self.count == 0 {
            return Ok(Vec::new());
        }
        if self.items.is_null() {
            return Err(Error::NullPointer("inputs->items"));
        }
        std::slice::from_raw_parts(self.items, self.count)
            .iter()
            .map(|b| args::bytes(b.data, b.len, "inputs->items[i].data"))
            .collect()
    }
}

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

/// What the serial path gives the confirm callback; valid only during the callback. Its calls
/// may come from any thread the callback uses.
pub struct specrt_confirm_io {
    _opaque: [u8; 0],
}

/// The engine's confirm step of the serial path. Read the prefilter outputs (and inputs) with
/// `specrt_confirm_io_*`, set the confirmed outputs with `specrt_confirm_io_set_output` (indices
/// 0..n-1, n = the fused program's output count when the plan has one), and return `SPECRT_OK`.
/// Another `SPECRT_ERROR_*` code aborts the dispatch, which returns that code; any other non-zero
/// value aborts it with `SPECRT_ERROR_CALLBACK`.
pub type specrt_confirm_fn = Option<
    unsafe extern "C" fn(io: *mut specrt_confirm_io, user_data: *mut c_void) -> specrt_status,
>;

/// The result of a dispatch: path, outputs, counter report and timings. Owned by the caller;
/// free with `specrt_dispatch_outcome_free`. Immutable, so it may be read from any thread.
pub struct specrt_dispatch_outcome {
    _opaque: [u8; 0],
}

/// The Rust side of a confirm io handle: borrowed views of one dispatch.
pub struct ConfirmIo {
    inputs: Vec<(*const u8, usize)>,
    prefilter_outputs: Vec<(*const u8, usize)>,
    outputs: Mutex<Vec<Option<Vec<u8>>>>,
}

impl Handle for specrt_confirm_io {
    type Inner = ConfirmIo;
    const TAG: u16 = tags::CONFIRM_IO;
    const NAME: &'static str = "specrt_confirm_io";
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
    const TAG: u16 = tags::DISPATCH_OUTCOME;
    const NAME: &'static str = "specrt_dispatch_outcome";
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

/// Calls the engine's confirm callback with an io handle over `req`.
unsafe fn run_confirm(
    confirm: specrt_confirm_fn,
    user_data: *mut c_void,
    req: &ConfirmRequest,
) -> Result<Vec<Vec<u8>>> {
    let confirm = confirm.ok_or(Error::NullPointer("confirm (the serial path needs it)"))?;
    let view = |b: &[u8]| (b.as_ptr(), b.len());
    let io = handle::into_raw::<specrt_confirm_io>(ConfirmIo {
        inputs: req.inputs.iter().map(|b| view(b)).collect(),
        prefilter_outputs: req.prefilter_outputs.iter().map(|b| view(b)).collect(),
        outputs: Mutex::new(Vec::new()),
    })?;
    let status = confirm(io, user_data);
    let outputs = handle::borrow(io, "io")
        .map(|io| std::mem::take(&mut *io.outputs.lock().unwrap_or_else(|p| p.into_inner())));
    handle::free(io)?;
    if status != SPECRT_OK {
        return Err(Error::Callback {
            status,
            message: format!(
                "the confirm callback returned {} ({status})",
                std::ffi::CStr::from_ptr(super::status::specrt_status_str(status))
                    .to_string_lossy()
            ),
        });
    }
    outputs?
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.ok_or_else(|| Error::Callback {
                status: 0,
                message: format!("the confirm callback set a later output but not output {i}"),
            })
        })
        .collect()
}

fn view_at(views: &[(*const u8, usize)], index: u32, what: &str) -> Result<specrt_bytes> {
    let &(data, len) = args::element(views, index as usize, &format!("{what} index"))?;
    Ok(specrt_bytes { data, len })
}

/// Number of dispatch inputs (0 with a last error on a bad handle).
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_input_count(io: *const specrt_confirm_io) -> u32 {
    value_call(0, || Ok(handle::borrow(io, "io")?.inputs.len() as u32))
}

/// The dispatch's input `index` as a byte view, valid during the callback.
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_input(
    io: *const specrt_confirm_io,
    index: u32,
    out: *mut specrt_bytes,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = view_at(&handle::borrow(io, "io")?.inputs, index, "input")?;
        Ok(())
    })
}

/// Number of prefilter outputs (0 with a last error on a bad handle).
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_prefilter_output_count(
    io: *const specrt_confirm_io,
) -> u32 {
    value_call(0, || {
        Ok(handle::borrow(io, "io")?.prefilter_outputs.len() as u32)
    })
}

/// Prefilter output `index` (its tail included) as a byte view, valid during the callback.
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_prefilter_output(
    io: *const specrt_confirm_io,
    index: u32,
    out: *mut specrt_bytes,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = view_at(
            &handle::borrow(io, "io")?.prefilter_outputs,
            index,
            "prefilter output",
        )?;
        Ok(())
    })
}

/// Sets confirmed output `index` to a copy of `data[0..len]` (a later call replaces it).
/// `index` must be below `SPECRT_MAX_CONFIRM_OUTPUTS`.
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback; `data` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_set_output(
    io: *mut specrt_confirm_io,
    index: u32,
    data: *const u8,
    len: usize,
) -> specrt_status {
    status_call(|| {
        let io = handle::borrow(io.cast_const(), "io")?;
        if index >= SPECRT_MAX_CONFIRM_OUTPUTS {
            return Err(Error::invalid(format!(
                "output index {index} is not below SPECRT_MAX_CONFIRM_OUTPUTS ({SPECRT_MAX_CONFIRM_OUTPUTS})"
            )));
        }
        let bytes = args::bytes(data, len, "data")?.to_vec();
        let mut outputs = io.outputs.lock().unwrap_or_else(|p| p.into_inner());
        if outputs.len() <= index as usize {
            outputs.resize(index as usize + 1, None);
        }
        outputs[index as usize] = Some(bytes);
        Ok(())
    })
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
