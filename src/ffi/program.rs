//! C ABI: the engine's WGSL programs, and running one on its own.

use super::args;
use super::boundary::status_call;
use super::context::specrt_context;
use super::handle::{self, tags, Handle};
use super::inputs::specrt_input_list;
use super::outcome::{specrt_dispatch_outcome, Outcome, SPECRT_PATH_SINGLE};
use super::status::specrt_status;
use crate::gpu::run::run_program;
use crate::gpu::{Program, ProgramDesc, SizeRule};
use crate::Error;
use std::ffi::c_char;

/// Most outputs a program may have.
pub const SPECRT_MAX_PROGRAM_OUTPUTS: u32 = 32;

/// A size computed from an input's length:
/// `fixed + unit * ceil(len(inputs[input]) * numerator / denominator)`, or `fixed` alone when
/// `denominator` is 0; a `unit` of 0 counts as 1. One u32 per 8-byte record:
/// `{.unit = 4, .numerator = 1, .denominator = 8}`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct specrt_size_rule {
    /// Constant part, bytes (or workgroups).
    pub fixed: u64,
    /// Index of the input whose length scales the rule.
    pub input: u32,
    /// Bytes (or workgroups) per scaled unit.
    pub unit: u64,
    /// Scale numerator.
    pub numerator: u64,
    /// Scale denominator; 0 for a fixed size.
    pub denominator: u64,
}

/// An engine's WGSL compute program. Bindings, all in `@group(0)`: inputs are read-only storage
/// buffers at bindings `0 .. input_count-1`, outputs read-write storage buffers at the following
/// bindings. Inputs are bound zero-padded to a multiple of 4 bytes (at least 4); outputs are
/// zeroed before each dispatch and returned with exactly their rule's size.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_program_desc {
    /// NUL-terminated WGSL source.
    pub wgsl: *const c_char,
    /// NUL-terminated name of the `@compute` entry point.
    pub entry_point: *const c_char,
    /// Number of inputs.
    pub input_count: u32,
    /// Number of outputs (1 to `SPECRT_MAX_PROGRAM_OUTPUTS`).
    pub output_count: u32,
    /// `output_count` size rules, bytes.
    pub output_sizes: *const specrt_size_rule,
    /// Workgroups in x, as a rule (for example one per 512 input bytes).
    pub workgroups_x: specrt_size_rule,
    /// Workgroups in y (0 counts as 1).
    pub workgroups_y: u32,
    /// Workgroups in z (0 counts as 1).
    pub workgroups_z: u32,
}

/// A compiled program and its cached pipeline, bound to the context it was made on.
///
/// Thread safety: immutable; any number of threads may dispatch it at once.
pub struct specrt_program {
    _opaque: [u8; 0],
}

impl Handle for specrt_program {
    type Inner = Program;
    const TAG: u8 = tags::PROGRAM;
    const NAME: &'static str = "specrt_program";
}

impl From<specrt_size_rule> for SizeRule {
    fn from(r: specrt_size_rule) -> Self {
        SizeRule::per_input(r.input, r.unit, r.numerator, r.denominator, r.fixed)
    }
}

/// Compiles a program on `context`. Bad WGSL is `SPECRT_ERROR_SHADER` with the compiler's
/// `line:column: message`; a missing entry point or a binding mismatch is also
/// `SPECRT_ERROR_SHADER`; a size rule naming a missing input is `SPECRT_ERROR_INVALID_ARGUMENT`.
///
/// # Safety
/// `desc` and its pointers must be valid; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_program_new(
    context: *const specrt_context,
    desc: *const specrt_program_desc,
    out: *mut *mut specrt_program,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let ctx = handle::borrow(context, "context")?;
        let d = args::input(desc, "desc")?;
        if d.output_count == 0 || d.output_count > SPECRT_MAX_PROGRAM_OUTPUTS {
            return Err(Error::invalid(format!(
                "output_count {} is outside 1..={SPECRT_MAX_PROGRAM_OUTPUTS}",
                d.output_count
            )));
        }
        if d.output_sizes.is_null() {
            return Err(Error::NullPointer("desc->output_sizes"));
        }
        let rules = std::slice::from_raw_parts(d.output_sizes, d.output_count as usize);
        let desc = ProgramDesc {
            wgsl: args::c_str(d.wgsl, "desc->wgsl")?.to_string(),
            entry_point: args::c_str(d.entry_point, "desc->entry_point")?.to_string(),
            inputs: d.input_count,
            outputs: rules.iter().map(|&r| r.into()).collect(),
            workgroups_x: d.workgroups_x.into(),
            workgroups_y: d.workgroups_y,
            workgroups_z: d.workgroups_z,
        };
        *out = handle::into_raw::<specrt_program>(Program::new(ctx, desc)?)?;
        Ok(())
    })
}

/// Frees a program. NULL is accepted and ignored.
///
/// # Safety
/// `program` must be NULL or a live program not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_program_free(program: *mut specrt_program) {
    status_call(|| handle::free(program));
}

/// Runs one program on `inputs` (upload, dispatch, readback in one submit) and returns its
/// outputs in an outcome whose path is `SPECRT_PATH_SINGLE`. Useful inside a confirm callback to
/// run the engine's confirm kernel.
///
/// # Safety
/// Pointers must be valid; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_program_dispatch(
    context: *const specrt_context,
    program: *const specrt_program,
    inputs: *const specrt_input_list,
    out: *mut *mut specrt_dispatch_outcome,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let ctx = handle::borrow(context, "context")?;
        let program = handle::borrow(program, "program")?;
        let inputs = args::input(inputs, "inputs")?.views()?;
        let run = run_program(ctx, program, &inputs)?;
        *out = handle::into_raw::<specrt_dispatch_outcome>(Outcome {
            path: SPECRT_PATH_SINGLE,
            outputs: run.outputs,
            report: None,
            timings: run.timings,
            confirm_ns: 0,
        })?;
        Ok(())
    })
}
