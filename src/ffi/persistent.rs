//! C ABI: the persistent-kernel decision (docs/SPEC.md section 9).

use super::args;
use super::boundary::status_call;
use super::status::specrt_status;
use crate::policy::{decide_persistent_kernel, PersistentDecision, PersistentInputs};
use crate::Error;
use std::ffi::c_char;

/// Kind of a persistent decision: one of the `SPECRT_PERSISTENT_*` values.
pub type specrt_persistent_kind = u32;
/// One standard launch per item.
pub const SPECRT_PERSISTENT_STANDARD_LAUNCHES: specrt_persistent_kind = 0;
/// One persistent kernel pulling items from a device-side queue.
pub const SPECRT_PERSISTENT_KERNEL: specrt_persistent_kind = 1;

/// What the persistent-kernel decision weighs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct specrt_persistent_inputs {
    /// Items in the batch.
    pub batch_size: u32,
    /// Cost of one standard launch, ns.
    pub per_launch_overhead_ns: u64,
    /// Kernel time per item, ns (does not affect the decision).
    pub per_item_kernel_ns: u64,
    /// One-time setup of a persistent kernel, ns.
    pub persistent_setup_overhead_ns: u64,
}

/// The persistent-kernel decision.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct specrt_persistent_decision {
    /// `SPECRT_PERSISTENT_STANDARD_LAUNCHES` or `SPECRT_PERSISTENT_KERNEL`.
    pub kind: specrt_persistent_kind,
    /// Predicted launch overhead saved, ns; 0 for standard launches.
    pub savings_ns: u64,
}

impl From<PersistentDecision> for specrt_persistent_decision {
    fn from(d: PersistentDecision) -> Self {
        match d {
            PersistentDecision::StandardLaunches => specrt_persistent_decision {
                kind: SPECRT_PERSISTENT_STANDARD_LAUNCHES,
                savings_ns: 0,
            },
            PersistentDecision::PersistentKernel { savings_ns } => specrt_persistent_decision {
                kind: SPECRT_PERSISTENT_KERNEL,
                savings_ns,
            },
        }
    }
}

/// Standard launches or a persistent kernel, from the inputs (docs/SPEC.md section 9). Pure and total.
#[no_mangle]
pub extern "C" fn specrt_decide_persistent_kernel(
    inputs: specrt_persistent_inputs,
) -> specrt_persistent_decision {
    decide_persistent_kernel(&PersistentInputs {
        batch_size: inputs.batch_size,
        per_launch_overhead_ns: inputs.per_launch_overhead_ns,
        per_item_kernel_ns: inputs.per_item_kernel_ns,
        persistent_setup_overhead_ns: inputs.persistent_setup_overhead_ns,
    })
    .into()
}

/// Formats a decision as `standard-launches` or `persistent-kernel:<savings_ns>` into `buf`.
///
/// `*needed` always receives the size needed including the NUL. With `buf` NULL and `cap` 0 the
/// call only reports the size and returns `SPECRT_OK`; when `cap` is smaller than needed it
/// returns `SPECRT_ERROR_BUFFER_TOO_SMALL` and leaves `buf` untouched.
/// `SPECRT_ERROR_INVALID_ARGUMENT` for a `kind` that is not a `SPECRT_PERSISTENT_*` value.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `cap` bytes; `needed` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_persistent_decision_format(
    decision: specrt_persistent_decision,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> specrt_status {
    status_call(|| {
        let decision = match decision.kind {
            SPECRT_PERSISTENT_STANDARD_LAUNCHES => PersistentDecision::StandardLaunches,
            SPECRT_PERSISTENT_KERNEL => PersistentDecision::PersistentKernel {
                savings_ns: decision.savings_ns,
            },
            other => {
                return Err(Error::invalid(format!(
                    "decision kind {other} is not a SPECRT_PERSISTENT_* value"
                )))
            }
        };
        args::write_c_string(&decision.to_string(), buf, cap, needed)
    })
}
