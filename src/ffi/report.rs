//! C ABI: speculation report and counter tail (docs/SPEC.md section 1).

use super::args;
use super::boundary::status_call;
use super::status::specrt_status;
use crate::policy::report::{self, SpeculationReport, COUNTER_TAIL_LEN};

/// Tile counts reported by a fused prefilter/confirm dispatch.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct specrt_report {
    /// Tiles whose confirm output survived the commit gate.
    pub committed_tiles: u32,
    /// Tiles the confirmer ran on but the prefilter rejected.
    pub rolled_back_tiles: u32,
}

impl From<specrt_report> for SpeculationReport {
    fn from(r: specrt_report) -> Self {
        SpeculationReport::new(r.committed_tiles, r.rolled_back_tiles)
    }
}

impl From<SpeculationReport> for specrt_report {
    fn from(r: SpeculationReport) -> Self {
        specrt_report {
            committed_tiles: r.committed_tiles,
            rolled_back_tiles: r.rolled_back_tiles,
        }
    }
}

/// `committed + rolled_back`, saturating at `UINT32_MAX`.
#[no_mangle]
pub extern "C" fn specrt_report_attempted_tiles(report: specrt_report) -> u32 {
    SpeculationReport::from(report).attempted_tiles()
}

/// Committed share of attempted tiles in parts per million, floor; 0 when nothing was attempted.
#[no_mangle]
pub extern "C" fn specrt_report_commit_rate_ppm(report: specrt_report) -> u32 {
    SpeculationReport::from(report).commit_rate_ppm()
}

/// Commit rate in whole percent, floor.
#[no_mangle]
pub extern "C" fn specrt_report_commit_rate_pct(report: specrt_report) -> u32 {
    SpeculationReport::from(report).commit_rate_pct()
}

/// Whether the commit rate reaches `threshold_pct` percent.
#[no_mangle]
pub extern "C" fn specrt_report_worthwhile(report: specrt_report, threshold_pct: u32) -> bool {
    SpeculationReport::from(report).worthwhile(threshold_pct)
}

/// Parses the report from the last 8 bytes of a fused kernel's counter output (`committed` then
/// `rolled_back`, u32 little-endian each).
///
/// Returns `SPECRT_ERROR_COUNTER_TAIL` when `len` is below 8 or not a multiple of 4, and
/// `SPECRT_ERROR_NULL_POINTER` when `out` is NULL or `bytes` is NULL with a non-zero `len`.
///
/// # Safety
/// `bytes` must be valid for reads of `len` bytes; `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_counter_tail_parse(
    bytes: *const u8,
    len: usize,
    out: *mut specrt_report,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let parsed = report::parse_counter_tail(args::bytes(bytes, len, "bytes")?)?;
        *out = parsed.into();
        Ok(())
    })
}

/// Writes the 8-byte counter tail of `report` into `out`.
///
/// # Safety
/// `out` must be valid for writes of 8 bytes.
#[no_mangle]
pub unsafe extern "C" fn specrt_counter_tail_encode(
    report: specrt_report,
    out: *mut u8,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out.cast::<[u8; COUNTER_TAIL_LEN]>(), "out")?;
        *out = report::encode_counter_tail(report.into());
        Ok(())
    })
}

/// Default commit-rate threshold of a speculator, in percent.
pub const SPECRT_DEFAULT_THRESHOLD_PCT: u32 = 15;
/// Size in bytes of a counter tail.
pub const SPECRT_COUNTER_TAIL_LEN: usize = 8;

const _: () = assert!(SPECRT_DEFAULT_THRESHOLD_PCT == report::DEFAULT_THRESHOLD_PCT);
const _: () = assert!(SPECRT_COUNTER_TAIL_LEN == COUNTER_TAIL_LEN);
