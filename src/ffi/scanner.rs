//! C ABI: scanners, rule sets compiled for a GPU or the CPU.

use super::args;
use super::boundary::{status_call, value_call};
use super::context::specrt_context;
use super::handle::{self, tags, Handle};
use super::ruleset::{c_string, specrt_ruleset};
use super::status::specrt_status;
use crate::scan::logic::{MetaValue, RuleLogic};
use crate::scan::Scanner;
use std::ffi::CString;
use std::ops::Deref;

/// A compiled rule set with its GPU tables. Thread safety: any number of threads may scan with
/// one scanner at once.
pub struct specrt_scanner {
    _opaque: [u8; 0],
}

impl Handle for specrt_scanner {
    type Inner = ScannerInner;
    const TAG: u8 = tags::SCANNER;
    const NAME: &'static str = "specrt_scanner";
}

/// C copies of the names of a YARA rule set.
pub(crate) struct RuleNames {
    pub(crate) name: CString,
    pub(crate) tags: CString,
    pub(crate) strings: Vec<CString>,
    /// Per `meta:` entry: the key, and the text value's bytes plus a NUL (just the NUL for
    /// other values).
    pub(crate) meta: Vec<(CString, Vec<u8>)>,
}

/// The Rust side of a scanner handle: the scanner, plus C copies of its rules' names.
pub struct ScannerInner {
    scanner: Scanner,
    pub(crate) names: Vec<RuleNames>,
    /// C copies of the namespaces' names.
    pub(crate) namespaces: Vec<CString>,
}

impl ScannerInner {
    /// Wraps `scanner`.
    pub fn new(scanner: Scanner) -> Self {
        let names = scanner
            .rules()
            .logic
            .as_deref()
            .map(|logic: &RuleLogic| {
                logic
                    .rules
                    .iter()
                    .map(|r| RuleNames {
                        name: c_string(&r.name),
                        tags: c_string(&r.tags.join(" ")),
                        strings: r.strings.iter().map(|s| c_string(&s.name)).collect(),
                        meta: r
                            .meta
                            .iter()
                            .map(|(key, value)| {
                                let mut text = match value {
                                    MetaValue::Text(t) => t.clone(),
                                    _ => Vec::new(),
                                };
                                text.push(0);
                                (c_string(key), text)
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let namespaces = scanner
            .rules()
            .logic
            .as_deref()
            .map(|logic| logic.namespaces.iter().map(|n| c_string(n)).collect())
            .unwrap_or_default();
        Self {
            scanner,
            names,
            namespaces,
        }
    }
}

impl Deref for ScannerInner {
    type Target = Scanner;
    fn deref(&self) -> &Scanner {
        &self.scanner
    }
}

/// Compiles `ruleset` into a scanner. With a `context` that has a GPU, the rule tables and
/// kernels go to that GPU (the scanner keeps the context alive); with NULL or a CPU-fallback
/// context, the scanner uses the CPU backend.
///
/// # Safety
/// `context` must be NULL or a specrt handle; `ruleset` a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_scanner_new(
    context: *const specrt_context,
    ruleset: *const specrt_ruleset,
    out: *mut *mut specrt_scanner,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let context = if context.is_null() {
            None
        } else {
            Some(handle::borrow(context, "context")?.clone())
        };
        let rules = handle::borrow(ruleset, "ruleset")?.lock().clone();
        *out =
            handle::into_raw::<specrt_scanner>(ScannerInner::new(Scanner::new(context, &rules)?))?;
        Ok(())
    })
}

/// Frees a scanner. NULL is accepted and ignored.
///
/// # Safety
/// `scanner` must be NULL or a live scanner not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_scanner_free(scanner: *mut specrt_scanner) {
    status_call(|| handle::free(scanner));
}

/// Whether the scanner can scan on a GPU (false with a last error on a bad handle).
///
/// # Safety
/// `scanner` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_scanner_has_gpu(scanner: *const specrt_scanner) -> bool {
    value_call(false, || Ok(handle::borrow(scanner, "scanner")?.has_gpu()))
}
