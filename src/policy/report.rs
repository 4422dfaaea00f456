//! Speculation report and counter tail (docs/SPEC.md section 1).

use crate::{Error, Result};

/// Default commit-rate threshold in percent.
pub const DEFAULT_THRESHOLD_PCT: u32 = 15;
/// Size in bytes of a counter tail: `committed` then `rolled_back`, u32 little-endian each.
pub const COUNTER_TAIL_LEN: usize = 8;

/// What a fused prefilter/confirm dispatch reports about its tiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SpeculationReport {
    /// Tiles whose confirm output survived the commit gate.
    pub committed_tiles: u32,
    /// Tiles the confirmer ran on but the prefilter rejected.
    pub rolled_back_tiles: u32,
}

impl SpeculationReport {
    /// A report of `committed` and `rolled_back` tiles.
    pub const fn new(committed_tiles: u32, rolled_back_tiles: u32) -> Self {
        Self {
            committed_tiles,
            rolled_back_tiles,
        }
    }

    /// `committed + rolled_back`, saturating at `u32::MAX`.
    pub const fn attempted_tiles(&self) -> u32 {
        self.committed_tiles.saturating_add(self.rolled_back_tiles)
    }

    /// Committed share of attempted tiles in parts per million (0 when nothing was attempted).
    pub const fn commit_rate_ppm(&self) -> u32 {
        let attempted = self.attempted_tiles() as u64;
        if attempted == 0 {
            return 0;
        }
        // committed <= attempted (saturation keeps it so), hence the result fits in u32.
        ((self.committed_tiles as u64 * 1_000_000) / attempted) as u32
    }

    /// Commit rate in whole percent (floor).
    pub const fn commit_rate_pct(&self) -> u32 {
        self.commit_rate_ppm() / 10_000
    }

    /// Whether the commit rate reaches `threshold_pct` percent.
    pub const fn worthwhile(&self, threshold_pct: u32) -> bool {
        self.commit_rate_ppm() >= threshold_pct.saturating_mul(10_000)
    }
}

/// Reads the report from the last 8 bytes of a fused kernel's counter output.
///
/// Fails when `bytes` is shorter than 8 bytes or its length is not a multiple of 4.
pub fn parse_counter_tail(bytes: &[u8]) -> Result<SpeculationReport> {
    if bytes.len() < COUNTER_TAIL_LEN || !bytes.len().is_multiple_of(4) {
        return Err(Error::CounterTail(format!(
            "a buffer of {} bytes has no valid tail; it needs at least {COUNTER_TAIL_LEN} bytes and a length that is a multiple of 4",
            bytes.len()
        )));
    }
    let tail = &bytes[bytes.len() - COUNTER_TAIL_LEN..];
    let word = |i: usize| u32::from_le_bytes([tail[i], tail[i + 1], tail[i + 2], tail[i + 3]]);
    Ok(SpeculationReport::new(word(0), word(4)))
}

/// Encodes a report as the 8-byte counter tail.
pub fn encode_counter_tail(report: SpeculationReport) -> [u8; COUNTER_TAIL_LEN] {
    let mut out = [0u8; COUNTER_TAIL_LEN];
    out[..4].copy_from_slice(&report.committed_tiles.to_le_bytes());
    out[4..].copy_from_slice(&report.rolled_back_tiles.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_vectors() {
        let r = SpeculationReport::new(1, 3);
        assert_eq!((r.commit_rate_ppm(), r.commit_rate_pct()), (250_000, 25));
        let r = SpeculationReport::new(20, 80);
        assert!(r.worthwhile(20));
        assert!(!r.worthwhile(25));
        assert_eq!(SpeculationReport::new(0, 1024).commit_rate_ppm(), 0);
        let r = SpeculationReport::new(1024, 0);
        assert_eq!(r.commit_rate_ppm(), 1_000_000);
        assert!(r.worthwhile(99));
        let empty = SpeculationReport::default();
        assert_eq!(empty.commit_rate_ppm(), 0);
        assert!(!empty.worthwhile(1));
    }

    #[test]
    fn attempted_saturates_and_rate_stays_bounded() {
        let r = SpeculationReport::new(u32::MAX, 7);
        assert_eq!(r.attempted_tiles(), u32::MAX);
        assert_eq!(r.commit_rate_ppm(), 1_000_000);
        assert!(r.worthwhile(100) && !r.worthwhile(101));
        assert!(!SpeculationReport::new(1, 0).worthwhile(u32::MAX));
    }

    #[test]
    fn tail_vectors() {
        let mut buf = [0u8; 32];
        buf[24..28].copy_from_slice(&42u32.to_le_bytes());
        buf[28..32].copy_from_slice(&100u32.to_le_bytes());
        assert_eq!(
            parse_counter_tail(&buf).unwrap(),
            SpeculationReport::new(42, 100)
        );
        assert!(parse_counter_tail(&buf[..7]).is_err());
        assert!(parse_counter_tail(&[0u8; 9]).is_err());
        assert!(parse_counter_tail(&[]).is_err());
        let r = SpeculationReport::new(0xdead_beef, 7);
        assert_eq!(parse_counter_tail(&encode_counter_tail(r)).unwrap(), r);
    }
}
