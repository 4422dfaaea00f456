//! C ABI: scanning a batch of independent inputs, and the batch's result and matching rules.

use super::args;
use super::boundary::status_call;
use super::handle::{self, tags, Handle};
use super::scan_options::{specrt_scan_options, specrt_scan_options_default, to_options};
use super::scan_result::specrt_match;
use super::scanner::specrt_scanner;
use super::status::specrt_status;
use crate::{Error, Result};

/// The result of `specrt_scan_batch`; owned by the caller, freed with `specrt_batch_result_free`.
pub struct specrt_batch_result {
    _opaque: [u8; 0],
}

/// The Rust side of a batch result handle.
pub struct BatchResultInner {
    pub(crate) result: crate::scan::batch::BatchResult,
    matches: Vec<Vec<specrt_match>>,
}

impl Handle for specrt_batch_result {
    type Inner = BatchResultInner;
    const TAG: u8 = tags::BATCH_RESULT;
    const NAME: &'static str = "specrt_batch_result";
}

/// How a batch ran and why.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct specrt_batch_summary {
    /// Whether one persistent dispatch scanned the items (false: one scan per item).
    pub persistent: bool,
    /// The persistent-kernel decision (docs/SPEC.md section 9), with its predicted savings.
    pub decision: super::persistent::specrt_persistent_decision,
    /// What it was based on: the batch size and this context's measured launch overheads.
    pub inputs: super::persistent::specrt_persistent_inputs,
    /// Wall time of the batch, ns.
    pub total_ns: u64,
}

/// Scans `count` independent inputs (offsets relative to each item; no match crosses items) with
/// one persistent dispatch, whose workgroups pull the items from a device-side queue, or one scan
/// per item, as the persistent-kernel decision says given this context's launch overheads
/// (measured once on first use; see `specrt_context_set_launch_overheads`). Items over 64 KiB are
/// scanned on their own. `SPECRT_SPECULATION_DISABLE` always scans per item. `options` may be
/// NULL; its match limit applies per item.
///
/// # Safety
/// `items` must point to `count` valid byte views; `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_batch(
    scanner: *const specrt_scanner,
    items: *const super::inputs::specrt_bytes,
    count: usize,
    options: *const specrt_scan_options,
    out: *mut *mut specrt_batch_result,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let scanner = handle::borrow(scanner, "scanner")?;
        let options = match options.as_ref() {
            Some(o) => to_options(o)?,
            None => to_options(&specrt_scan_options_default())?,
        };
        let views: Vec<&[u8]> = if count == 0 {
            Vec::new()
        } else {
            if items.is_null() {
                return Err(Error::NullPointer("items"));
            }
            std::slice::from_raw_parts(items, count)
                .iter()
                .map(|b| args::bytes(b.data, b.len, "items[i].data"))
                .collect::<Result<_>>()?
        };
        let result = scanner.scan_batch(&views, &options)?;
        let matches = result
            .items
            .iter()
            .map(|item| item.matches.iter().map(Into::into).collect())
            .collect();
        *out = handle::into_raw::<specrt_batch_result>(BatchResultInner { result, matches })?;
        Ok(())
    })
}

/// Mode, decision, inputs and time of a batch.
///
/// # Safety
/// `result` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_batch_result_summary(
    result: *const specrt_batch_result,
    out: *mut specrt_batch_summary,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let r = &handle::borrow(result, "result")?.result;
        *out = specrt_batch_summary {
            persistent: r.persistent,
            decision: r.decision.into(),
            inputs: super::persistent::specrt_persistent_inputs {
                batch_size: r.inputs.batch_size,
                per_launch_overhead_ns: r.inputs.per_launch_overhead_ns,
                per_item_kernel_ns: r.inputs.per_item_kernel_ns,
                persistent_setup_overhead_ns: r.inputs.persistent_setup_overhead_ns,
            },
            total_ns: r.total_ns,
        };
        Ok(())
    })
}

/// The matches of item `index` (sorted; valid until the result is freed), their number, and
/// whether the match limit truncated them.
///
/// # Safety
/// `result` must be a specrt handle; the outputs valid for writes.
#[no_mangle]
pub unsafe extern "C" fn specrt_batch_result_item(
    result: *const specrt_batch_result,
    index: usize,
    matches: *mut *const specrt_match,
    count: *mut usize,
    truncated: *mut bool,
) -> specrt_status {
    status_call(|| {
        let (matches, count, truncated) = (
            args::out(matches, "matches")?,
            args::out(count, "count")?,
            args::out(truncated, "truncated")?,
        );
        let r = handle::borrow(result, "result")?;
        let item = args::element(&r.matches, index, "item index")?;
        *matches = item.as_ptr();
        *count = item.len();
        *truncated = r.result.items[index].truncated;
        Ok(())
    })
}

/// Frees a batch result. NULL is accepted and ignored.
///
/// # Safety
/// `result` must be NULL or a live batch result not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_batch_result_free(result: *mut specrt_batch_result) {
    status_call(|| handle::free(result));
}

/// The ids of the rules that matched item `index` of a batch, ascending (valid until the result
/// is freed), and their number.
///
/// # Safety
/// `result` must be a specrt handle; the outputs valid for writes.
#[no_mangle]
pub unsafe extern "C" fn specrt_batch_result_item_rules(
    result: *const specrt_batch_result,
    index: usize,
    rules: *mut *const u32,
    count: *mut usize,
) -> specrt_status {
    status_call(|| {
        let (rules, count) = (args::out(rules, "rules")?, args::out(count, "count")?);
        let items = &handle::borrow(result, "result")?.result.items;
        let item = args::element(items, index, "item index")?;
        *rules = item.rules.as_ptr();
        *count = item.rules.len();
        Ok(())
    })
}
