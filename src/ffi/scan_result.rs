//! C ABI: the result of a scan: its matches, matching rules, totals and chunks.

use super::args;
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::outcome::{specrt_path, SPECRT_PATH_FUSED, SPECRT_PATH_SERIAL};
use super::report::specrt_report;
use super::scan_options::{
    reason_code, specrt_backend_reason, specrt_scan_backend, SPECRT_SCAN_BACKEND_AUTO,
    SPECRT_SCAN_BACKEND_CPU, SPECRT_SCAN_BACKEND_GPU,
};
use super::status::specrt_status;
use crate::gpu::DispatchPath;
use crate::policy::SpeculationReport;
use crate::scan::results::ChunkPath;
use crate::scan::{Backend, Match, ScanResult};

/// A chunk scanned by the CPU backend.
pub const SPECRT_PATH_CPU: specrt_path = 4;

/// Most matches of one string a chunk of a scan stores; past that they are counted only (the
/// summary's `capped_strings` says how many strings reached it).
pub const SPECRT_MAX_STRING_MATCHES: u32 = 1000000;
const _: () = assert!(SPECRT_MAX_STRING_MATCHES == crate::scan::bounded::MAX_STRING_MATCHES);

/// The result of one scan; owned by the caller, freed with `specrt_scan_result_free`.
pub struct specrt_scan_result {
    _opaque: [u8; 0],
}

/// The Rust side of a result handle.
pub struct ScanResultInner {
    pub(crate) result: ScanResult,
    pub(crate) matches: Vec<specrt_match>,
}

impl Handle for specrt_scan_result {
    type Inner = ScanResultInner;
    const TAG: u8 = tags::SCAN_RESULT;
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

/// Number of rules that matched (0 with a last error on a bad handle). A YARA rule matches when
/// its condition holds (private rules are never listed; a false global rule leaves none); a
/// rule built with `specrt_ruleset_add_string` when any of its strings matched. Conditions see
/// every match, including those the match limit dropped.
///
/// # Safety
/// `result` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_rule_count(result: *const specrt_scan_result) -> usize {
    value_call(0, || {
        Ok(handle::borrow(result, "result")?.result.rules.len())
    })
}

/// The ids of the rules that matched, ascending; valid until the result is freed. NULL with a
/// last error on a bad handle (and possibly NULL when there are none).
///
/// # Safety
/// `result` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_rules(result: *const specrt_scan_result) -> *const u32 {
    value_call(std::ptr::null(), || {
        Ok(handle::borrow(result, "result")?.result.rules.as_ptr())
    })
}

/// Number of messages the `console` module wrote while the result's conditions ran (0 with a
/// last error on a bad handle).
///
/// # Safety
/// `result` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_console_count(
    result: *const specrt_scan_result,
) -> usize {
    value_call(0, || {
        Ok(handle::borrow(result, "result")?.result.console.len())
    })
}

/// `console` message `index` (0 to `specrt_scan_result_console_count() - 1`, in the order the
/// conditions wrote them): `*message` points at its `*length` bytes (not NUL-terminated),
/// valid until the result is freed. yara prints each message on its own line.
///
/// # Safety
/// `result` must be NULL or a specrt handle; `message` and `length` valid pointers or NULL.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_result_console_message(
    result: *const specrt_scan_result,
    index: usize,
    message: *mut *const u8,
    length: *mut usize,
) -> specrt_status {
    status_call(|| {
        let (message, length) = (args::out(message, "message")?, args::out(length, "length")?);
        let messages = &handle::borrow(result, "result")?.result.console;
        let m = args::element(messages, index, "message index")?;
        *message = m.as_ptr();
        *length = m.len();
        Ok(())
    })
}
