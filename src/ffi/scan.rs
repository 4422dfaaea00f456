//! C ABI: rule sets, scanners, scans of memory and files, and their results.

use super::args;
use super::boundary::{status_call, value_call};
use super::context::specrt_context;
use super::dispatch::{specrt_path, SPECRT_PATH_FUSED, SPECRT_PATH_SERIAL};
use super::handle::{self, tags, Handle};
use super::last_error::set_last_error;
use super::report::specrt_report;
use super::speculator::{specrt_speculation_mode, SPECRT_SPECULATION_AUTO};
use super::status::{specrt_status, status_of, SPECRT_OK};
use crate::gpu::DispatchPath;
use crate::policy::{SpeculationMode, SpeculationReport};
use crate::scan::results::ChunkPath;
use crate::scan::{
    Backend, BackendReason, Match, RuleSet, ScanOptions, ScanResult, Scanner, StringFlags,
};
use crate::{Error, Result};
use std::ffi::{c_char, c_int, c_void};
use std::sync::Mutex;

/// Flags of a scan string: `SPECRT_STRING_*` bits.
pub type specrt_string_flags = u32;
/// ASCII letters match in either case.
pub const SPECRT_STRING_NOCASE: specrt_string_flags = 1;
/// Match the UTF-16LE form (each byte followed by a zero byte).
pub const SPECRT_STRING_WIDE: specrt_string_flags = 2;
/// With `SPECRT_STRING_WIDE`, also match the plain form.
pub const SPECRT_STRING_ASCII: specrt_string_flags = 4;
/// Match only between non-alphanumeric characters.
pub const SPECRT_STRING_FULLWORD: specrt_string_flags = 8;

/// Which backend a scan uses: one of the `SPECRT_SCAN_BACKEND_*` values.
pub type specrt_scan_backend = u32;
/// The GPU when the scanner's context has a hardware adapter, else the CPU (a software adapter
/// such as llvmpipe is slower than the CPU backend: request `SPECRT_SCAN_BACKEND_GPU` for it).
pub const SPECRT_SCAN_BACKEND_AUTO: specrt_scan_backend = 0;
/// The GPU, software adapters included (`SPECRT_ERROR_NO_ADAPTER` without one).
pub const SPECRT_SCAN_BACKEND_GPU: specrt_scan_backend = 1;
/// The CPU.
pub const SPECRT_SCAN_BACKEND_CPU: specrt_scan_backend = 2;

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

fn reason_code(reason: BackendReason) -> specrt_backend_reason {
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

/// A chunk scanned by the CPU backend.
pub const SPECRT_PATH_CPU: specrt_path = 4;

/// Longest string, bytes (before the wide form doubles it).
pub const SPECRT_MAX_STRING_BYTES: u32 = 4096;
/// Most strings in a rule set.
pub const SPECRT_MAX_STRINGS: u32 = 1048576;

const _: () = assert!(SPECRT_MAX_STRING_BYTES as usize == crate::scan::rules::MAX_STRING_BYTES);
const _: () = assert!(SPECRT_MAX_STRINGS as usize == crate::scan::rules::MAX_STRINGS);
/// Most matches of one string a chunk of a scan stores; past that they are counted only (the
/// summary's `capped_strings` says how many strings reached it).
pub const SPECRT_MAX_STRING_MATCHES: u32 = 1000000;
const _: () = assert!(SPECRT_MAX_STRING_MATCHES == crate::scan::bounded::MAX_STRING_MATCHES);

/// Strings grouped into rules, built with `specrt_ruleset_add_string` and compiled by
/// `specrt_scanner_new`. Thread safety: calls lock it.
pub struct specrt_ruleset {
    _opaque: [u8; 0],
}

/// A compiled rule set with its GPU tables. Thread safety: any number of threads may scan with
/// one scanner at once.
pub struct specrt_scanner {
    _opaque: [u8; 0],
}

/// The result of one scan; owned by the caller, freed with `specrt_scan_result_free`.
pub struct specrt_scan_result {
    _opaque: [u8; 0],
}

/// The Rust side of a rule set handle: the rules, and what compiling YARA source skipped.
pub struct RuleSetInner {
    /// The rules.
    pub(crate) rules: Mutex<RuleSet>,
    /// Rules left out by `specrt_ruleset_compile` (C strings for `specrt_ruleset_skipped`).
    pub(crate) skipped: Vec<super::yara::SkippedC>,
}

impl RuleSetInner {
    /// A handle's inner value for `rules`.
    pub(crate) fn new(rules: RuleSet, skipped: Vec<super::yara::SkippedC>) -> Self {
        Self {
            rules: Mutex::new(rules),
            skipped,
        }
    }

    /// The rules, locked (a poisoned lock still gives them: every change is one call).
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, RuleSet> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Handle for specrt_ruleset {
    type Inner = RuleSetInner;
    const TAG: u16 = tags::RULESET;
    const NAME: &'static str = "specrt_ruleset";
}

impl Handle for specrt_scanner {
    type Inner = super::yara::ScannerInner;
    const TAG: u16 = tags::SCANNER;
    const NAME: &'static str = "specrt_scanner";
}

/// The Rust side of a result handle.
pub struct ScanResultInner {
    pub(crate) result: ScanResult,
    matches: Vec<specrt_match>,
}

impl Handle for specrt_scan_result {
    type Inner = ScanResultInner;
    const TAG: u16 = tags::SCAN_RESULT;
    const NAME: &'static str = "specrt_scan_result";
}

/// One occurrence of a string.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct specrt_match {
    /// Offset in the input, bytes.
    pub offset: u64,
    /// The rule's id.
    pub rule_id: u32,
    /// The string's id within its rule.
    pub string_id: u32,
    /// Length of the matched bytes.
    pub length: u32,
}

impl From<&Match> for specrt_match {
    fn from(m: &Match) -> Self {
        specrt_match {
            offset: m.offset,
            rule_id: m.rule_id,
            string_id: m.string_id,
            length: m.length,
        }
    }
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
}

/// What a scan did, in totals.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct specrt_scan_summary {
    /// Bytes scanned.
    pub bytes: u64,
    /// Matches kept.
    pub match_count: u64,
    /// Whether the match limit dropped some.
    pub truncated: bool,
    /// How many were dropped.
    pub dropped: u64,
    /// Whether a callback stopped the scan early.
    pub stopped: bool,
    /// Chunks scanned.
    pub chunk_count: u32,
    /// Chunks on the fused GPU path.
    pub fused_chunks: u32,
    /// Chunks on the serial GPU path.
    pub serial_chunks: u32,
    /// Chunks on the CPU.
    pub cpu_chunks: u32,
    /// GPU chunks that also ran a candidate kernel variant for self-tuning.
    pub raced_chunks: u32,
    /// Workgroup size of the last GPU chunk's kernels (0 without GPU chunks).
    pub workgroup_size: u32,
    /// Tile size (anchor positions per workgroup) of the last GPU chunk's kernels.
    pub tile: u32,
    /// Tile reports of the GPU chunks, summed.
    pub report: specrt_report,
    /// Host-to-GPU copy time, ns.
    pub upload_ns: u64,
    /// Kernel (or CPU search) time, ns.
    pub kernel_ns: u64,
    /// Readback time, ns.
    pub readback_ns: u64,
    /// Whole scan, ns.
    pub total_ns: u64,
    /// Strings with more matches in a chunk than `SPECRT_MAX_STRING_MATCHES`: their matches
    /// past that are counted (conditions see them) but not stored.
    pub capped_strings: u64,
    /// The backend the scan ran on: `SPECRT_SCAN_BACKEND_GPU` or `SPECRT_SCAN_BACKEND_CPU`.
    pub backend: specrt_scan_backend,
    /// Why (`specrt_backend_reason_str` says it in a sentence).
    pub backend_reason: specrt_backend_reason,
}

/// One chunk of a scan.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct specrt_scan_chunk {
    /// Offset of the chunk's first owned byte.
    pub offset: u64,
    /// Bytes it owns.
    pub bytes: u64,
    /// `SPECRT_PATH_FUSED`, `SPECRT_PATH_SERIAL` or `SPECRT_PATH_CPU`.
    pub path: specrt_path,
    /// Its tile report (GPU chunks).
    pub report: specrt_report,
}

/// Receives each chunk's matches (sorted by offset, rule, string, length) during a scan; the
/// array is valid only during the call. Return non-zero to stop the scan.
pub type specrt_match_fn = Option<
    unsafe extern "C" fn(
        matches: *const specrt_match,
        count: usize,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Receives (bytes done, bytes total) after each chunk of a file scan. Return non-zero to stop.
pub type specrt_progress_fn =
    Option<unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void) -> c_int>;

/// Default scan options: Auto mode and backend, 1048576 matches, the device's chunk size.
#[no_mangle]
pub extern "C" fn specrt_scan_options_default() -> specrt_scan_options {
    specrt_scan_options {
        mode: SPECRT_SPECULATION_AUTO,
        backend: SPECRT_SCAN_BACKEND_AUTO,
        max_matches: crate::scan::scanner::DEFAULT_MAX_MATCHES as u64,
        max_chunk_bytes: 0,
        tune: true,
    }
}

/// Creates an empty rule set.
///
/// # Safety
/// `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_new(out: *mut *mut specrt_ruleset) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = handle::into_raw::<specrt_ruleset>(RuleSetInner::new(RuleSet::new(), Vec::new()))?;
        Ok(())
    })
}

/// Frees a rule set (scanners made from it stay valid). NULL is accepted and ignored.
///
/// # Safety
/// `ruleset` must be NULL or a live rule set not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_free(ruleset: *mut specrt_ruleset) {
    status_call(|| handle::free(ruleset));
}

/// Adds string `string_id` to rule `rule_id` (created on first use): `len` bytes (1 to
/// `SPECRT_MAX_STRING_BYTES`) and an optional per-byte `mask` (NULL for an exact string; a data
/// byte `d` matches when `d & mask[i] == bytes[i] & mask[i]`), with `SPECRT_STRING_*` flags.
///
/// # Safety
/// `bytes` (and `mask` when not NULL) must be valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_add_string(
    ruleset: *mut specrt_ruleset,
    rule_id: u32,
    string_id: u32,
    bytes: *const u8,
    mask: *const u8,
    len: usize,
    flags: specrt_string_flags,
) -> specrt_status {
    status_call(|| {
        let known = SPECRT_STRING_NOCASE
            | SPECRT_STRING_WIDE
            | SPECRT_STRING_ASCII
            | SPECRT_STRING_FULLWORD;
        if flags & !known != 0 {
            return Err(Error::invalid(format!(
                "flags 0x{flags:x} has unknown SPECRT_STRING_* bits"
            )));
        }
        let bytes = args::bytes(bytes, len, "bytes")?;
        let mask = if mask.is_null() {
            &[][..]
        } else {
            args::bytes(mask, len, "mask")?
        };
        let flags = StringFlags {
            nocase: flags & SPECRT_STRING_NOCASE != 0,
            wide: flags & SPECRT_STRING_WIDE != 0,
            ascii: flags & SPECRT_STRING_ASCII != 0,
            fullword: flags & SPECRT_STRING_FULLWORD != 0,
        };
        handle::borrow(ruleset.cast_const(), "ruleset")?
            .lock()
            .add_string(rule_id, string_id, bytes, mask, flags)
    })
}

/// Number of strings in the rule set (0 with a last error on a bad handle).
///
/// # Safety
/// `ruleset` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_string_count(ruleset: *const specrt_ruleset) -> usize {
    value_call(0, || {
        Ok(handle::borrow(ruleset, "ruleset")?.lock().string_count())
    })
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
        *out = handle::into_raw::<specrt_scanner>(super::yara::ScannerInner::new(Scanner::new(
            context, &rules,
        )?))?;
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

fn to_options(o: &specrt_scan_options) -> Result<ScanOptions> {
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
    })
}

/// Shared tail of the scan entry points: options, callbacks, and the result handle.
unsafe fn run_scan(
    options: *const specrt_scan_options,
    on_match: specrt_match_fn,
    progress: specrt_progress_fn,
    user_data: *mut c_void,
    out: *mut *mut specrt_scan_result,
    scan: impl FnOnce(
        &ScanOptions,
        Option<&mut crate::scan::scanner::MatchSink>,
        Option<&mut crate::scan::scanner::Progress>,
    ) -> Result<ScanResult>,
) -> Result<()> {
    let out = args::out(out, "out")?;
    let options = match options.as_ref() {
        Some(o) => to_options(o)?,
        None => to_options(&specrt_scan_options_default())?,
    };
    let mut sink = |matches: &[Match]| match on_match {
        Some(f) => {
            let view: Vec<specrt_match> = matches.iter().map(Into::into).collect();
            f(view.as_ptr(), view.len(), user_data) == 0
        }
        None => true,
    };
    let mut report = |done: u64, total: u64| match progress {
        Some(f) => f(done, total, user_data) == 0,
        None => true,
    };
    let result = scan(
        &options,
        on_match
            .is_some()
            .then_some(&mut sink as &mut crate::scan::scanner::MatchSink),
        progress
            .is_some()
            .then_some(&mut report as &mut crate::scan::scanner::Progress),
    )?;
    let matches = result.matches.iter().map(Into::into).collect();
    *out = handle::into_raw::<specrt_scan_result>(ScanResultInner { result, matches })?;
    Ok(())
}

/// Scans `len` bytes of `data` (any size: large inputs are streamed to the GPU in overlapping
/// chunks). `options` may be NULL for the defaults; `on_match` (may be NULL) receives each
/// chunk's matches and may stop the scan. Force on a CPU-only scanner is
/// `SPECRT_ERROR_UNSUPPORTED`.
///
/// # Safety
/// `data` must be valid for `len` bytes; other pointers valid or NULL where allowed.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan(
    scanner: *const specrt_scanner,
    data: *const u8,
    len: usize,
    options: *const specrt_scan_options,
    on_match: specrt_match_fn,
    user_data: *mut c_void,
    out: *mut *mut specrt_scan_result,
) -> specrt_status {
    status_call(|| {
        let scanner = handle::borrow(scanner, "scanner")?;
        let data = args::bytes(data, len, "data")?;
        run_scan(options, on_match, None, user_data, out, |o, m, p| {
            scanner.scan(data, o, m, p)
        })
    })
}

/// Scans the file at `path`, reading it chunk by chunk (never memory-mapped); `progress` (may
/// be NULL) receives (bytes done, total) after each chunk and may stop the scan, like
/// `on_match`. The size at open time is scanned; a file that shrinks during the scan is
/// `SPECRT_ERROR_IO` ("it shrank while being scanned"). Pipes, devices and other non-regular
/// files are read whole first.
///
/// # Safety
/// `path` must be NUL-terminated; other pointers valid or NULL where allowed.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_file(
    scanner: *const specrt_scanner,
    path: *const c_char,
    options: *const specrt_scan_options,
    on_match: specrt_match_fn,
    progress: specrt_progress_fn,
    user_data: *mut c_void,
    out: *mut *mut specrt_scan_result,
) -> specrt_status {
    status_call(|| {
        let scanner = handle::borrow(scanner, "scanner")?;
        let path = std::path::PathBuf::from(args::c_str(path, "path")?);
        run_scan(options, on_match, progress, user_data, out, |o, m, p| {
            scanner.scan_file(&path, o, m, p)
        })
    })
}

/// Receives one file's outcome of `specrt_scan_files`: its index in the caller's list, and
/// either `SPECRT_OK` with its result, or an error status with `result` NULL and the message in
/// `specrt_last_error()`. `result` is valid only during the call (the library frees it after).
/// Return non-zero to stop the scan.
pub type specrt_file_result_fn = Option<
    unsafe extern "C" fn(
        index: usize,
        status: specrt_status,
        result: *const specrt_scan_result,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Scans `count` files: on a GPU, small files are packed into large chunks and scanned in a
/// pipeline (read, scan and evaluate overlap), which is much faster than one `specrt_scan_file`
/// per file; on the CPU backend, files are scanned on all threads. `on_file` (required) is
/// called on this thread for every file, in completion order, with that file's result, equal
/// to what `specrt_scan_file` returns for it; a file that cannot be read is reported through
/// `on_file` with its error, and the scan goes on. Returns `SPECRT_OK` also when `on_file`
/// stopped the scan (files not yet reported are then left out); an error status when the scan
/// as a whole failed (such as a lost device).
///
/// # Safety
/// `paths` must hold `count` NUL-terminated strings; other pointers valid or NULL where
/// allowed.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_files(
    scanner: *const specrt_scanner,
    paths: *const *const c_char,
    count: usize,
    options: *const specrt_scan_options,
    on_file: specrt_file_result_fn,
    user_data: *mut c_void,
) -> specrt_status {
    status_call(|| {
        let scanner = handle::borrow(scanner, "scanner")?;
        let on_file = on_file.ok_or(Error::NullPointer(
            "on_file is NULL; pass a function that receives each file",
        ))?;
        if paths.is_null() {
            return Err(Error::NullPointer("paths is NULL"));
        }
        let list: &[*const c_char] = if count == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(paths, count)
        };
        let paths = list
            .iter()
            .map(|&p| args::c_str(p, "paths[i]").map(std::path::PathBuf::from))
            .collect::<Result<Vec<_>>>()?;
        let options = match options.as_ref() {
            Some(o) => to_options(o)?,
            None => to_options(&specrt_scan_options_default())?,
        };
        let publish = |result: ScanResult| {
            let matches = result.matches.iter().map(Into::into).collect();
            handle::into_raw::<specrt_scan_result>(ScanResultInner { result, matches })
        };
        scanner.scan_files(
            &paths,
            &options,
            &mut |index, outcome| match outcome.and_then(publish) {
                Ok(handle) => {
                    let go_on = on_file(index, SPECRT_OK, handle, user_data) == 0;
                    let _ = handle::free(handle);
                    go_on
                }
                Err(e) => {
                    set_last_error(&e.to_string());
                    on_file(index, status_of(&e), std::ptr::null(), user_data) == 0
                }
            },
        )
    })
}

/// Number of matches kept (0 with a last error on a bad handle).
///
/// # Safety
/// `result` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_match_count(
    result: *const specrt_scan_result,
) -> usize {
    value_call(0, || Ok(handle::borrow(result, "result")?.matches.len()))
}

/// The matches, sorted by (offset, rule id, string id, length); valid until the result is freed.
/// NULL with a last error on a bad handle (and possibly NULL when there are none).
///
/// # Safety
/// `result` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_matches(
    result: *const specrt_scan_result,
) -> *const specrt_match {
    value_call(std::ptr::null(), || {
        Ok(handle::borrow(result, "result")?.matches.as_ptr())
    })
}

fn path_code(path: ChunkPath) -> specrt_path {
    match path {
        ChunkPath::Gpu(DispatchPath::Fused) => SPECRT_PATH_FUSED,
        ChunkPath::Gpu(DispatchPath::Serial) => SPECRT_PATH_SERIAL,
        ChunkPath::Cpu => SPECRT_PATH_CPU,
    }
}

/// Totals of the scan: bytes, matches, truncation, chunks per path, summed tile report, timings.
///
/// # Safety
/// `result` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_summary(
    result: *const specrt_scan_result,
    out: *mut specrt_scan_summary,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let r = &handle::borrow(result, "result")?.result;
        let count = |path| r.chunks.iter().filter(|c| c.path == path).count() as u32;
        let report =
            r.chunks
                .iter()
                .filter_map(|c| c.report)
                .fold(SpeculationReport::default(), |a, b| {
                    SpeculationReport::new(
                        a.committed_tiles.saturating_add(b.committed_tiles),
                        a.rolled_back_tiles.saturating_add(b.rolled_back_tiles),
                    )
                });
        *out = specrt_scan_summary {
            bytes: r.bytes,
            match_count: r.matches.len() as u64,
            truncated: r.truncated,
            dropped: r.dropped,
            stopped: r.stopped,
            chunk_count: r.chunks.len() as u32,
            fused_chunks: count(ChunkPath::Gpu(DispatchPath::Fused)),
            serial_chunks: count(ChunkPath::Gpu(DispatchPath::Serial)),
            cpu_chunks: count(ChunkPath::Cpu),
            raced_chunks: r.chunks.iter().filter(|c| c.raced).count() as u32,
            workgroup_size: r
                .chunks
                .iter()
                .rev()
                .map(|c| c.workgroup_size)
                .find(|&w| w > 0)
                .unwrap_or(0),
            tile: r
                .chunks
                .iter()
                .rev()
                .map(|c| c.tile)
                .find(|&t| t > 0)
                .unwrap_or(0),
            report: report.into(),
            upload_ns: r.timings.upload_ns,
            kernel_ns: r.timings.kernel_ns,
            readback_ns: r.timings.readback_ns,
            total_ns: r.timings.total_ns,
            capped_strings: r.capped.len() as u64,
            backend: match r.backend {
                Backend::Gpu => SPECRT_SCAN_BACKEND_GPU,
                Backend::Cpu => SPECRT_SCAN_BACKEND_CPU,
                Backend::Auto => SPECRT_SCAN_BACKEND_AUTO,
            },
            backend_reason: reason_code(r.backend_reason),
        };
        Ok(())
    })
}

/// Chunk `index` of the scan (see `specrt_scan_summary.chunk_count`).
///
/// # Safety
/// `result` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_chunk(
    result: *const specrt_scan_result,
    index: u32,
    out: *mut specrt_scan_chunk,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let r = &handle::borrow(result, "result")?.result;
        let c = args::element(&r.chunks, index as usize, "chunk index")?;
        *out = specrt_scan_chunk {
            offset: c.offset,
            bytes: c.bytes,
            path: path_code(c.path),
            report: c.report.unwrap_or_default().into(),
        };
        Ok(())
    })
}

/// Frees a scan result. NULL is accepted and ignored.
///
/// # Safety
/// `result` must be NULL or a live result not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_free(result: *mut specrt_scan_result) {
    status_call(|| handle::free(result));
}

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
    const TAG: u16 = tags::BATCH_RESULT;
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
    items: *const super::dispatch::specrt_bytes,
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
