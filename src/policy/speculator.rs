//! Adaptive speculator: commit-rate EMA with hysteresis (docs/SPEC.md section 3).

use super::report::{SpeculationReport, DEFAULT_THRESHOLD_PCT};
use super::sync::{AtomicU64, Ordering};

/// The state word: bits 0-19 the commit-rate EMA in ppm (at most 1,000,000), bit 20 the enabled
/// flag, bits 21-63 the number of samples (saturating), so that `record` is one atomic update.
const EMA_MASK: u64 = (1 << 20) - 1;
const ENABLED_BIT: u64 = 1 << 20;
const SAMPLE_SHIFT: u32 = 21;
const MAX_SAMPLES: u64 = u64::MAX >> SAMPLE_SHIFT;

/// Decides dispatch by dispatch whether the next dispatch takes the fused speculative path.
///
/// Every operation is atomic: the EMA, the enabled flag and the sample count live in one atomic
/// word updated by a single read-modify-write, so concurrent [`record`](Self::record) calls never
/// lose a sample.
#[derive(Debug)]
pub struct AdaptiveSpeculator {
    threshold_ppm: u32,
    enable_at: u32,
    disable_at: u32,
    /// EMA, enabled flag and sample count (see `EMA_MASK`).
    state: AtomicU64,
}

impl Default for AdaptiveSpeculator {
    fn default() -> Self {
        Self::new(DEFAULT_THRESHOLD_PCT)
    }
}

impl AdaptiveSpeculator {
    /// A speculator with the given commit-rate threshold in percent, starting enabled.
    pub fn new(threshold_pct: u32) -> Self {
        let threshold_ppm = threshold_pct.saturating_mul(10_000);
        let margin = threshold_ppm / 4;
        Self {
            threshold_ppm,
            enable_at: threshold_ppm.saturating_add(margin),
            disable_at: threshold_ppm.saturating_sub(margin),
            state: AtomicU64::new(ENABLED_BIT | (threshold_ppm as u64).min(EMA_MASK)),
        }
    }

    /// Feeds one dispatch's report. Reports with no attempted tiles are ignored.
    pub fn record(&self, report: SpeculationReport) {
        if report.attempted_tiles() == 0 {
            return;
        }
        let observed = report.commit_rate_ppm() as i64;
        let step = |state: u64| {
            let old = (state & EMA_MASK) as i64;
            let ema = (old + ((observed - old) >> 2)).clamp(0, EMA_MASK as i64) as u32;
            let mut enabled = state & ENABLED_BIT != 0;
            if !enabled && ema >= self.enable_at {
                enabled = true;
            } else if enabled && ema < self.disable_at {
                enabled = false;
            }
            let samples = ((state >> SAMPLE_SHIFT) + 1).min(MAX_SAMPLES);
            Some(samples << SAMPLE_SHIFT | if enabled { ENABLED_BIT } else { 0 } | ema as u64)
        };
        // The closure never returns None, so fetch_update cannot fail.
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, step);
    }

    /// Whether the next dispatch should take the fused speculative path.
    #[inline]
    pub fn should_speculate(&self) -> bool {
        self.state.load(Ordering::Acquire) & ENABLED_BIT != 0
    }

    /// The commit-rate EMA in parts per million.
    pub fn commit_rate_ppm(&self) -> u32 {
        (self.state.load(Ordering::Acquire) & EMA_MASK) as u32
    }

    /// How many non-empty reports were recorded.
    pub fn samples(&self) -> u64 {
        self.state.load(Ordering::Acquire) >> SAMPLE_SHIFT
    }

    /// The threshold in parts per million.
    pub fn threshold_ppm(&self) -> u32 {
        self.threshold_ppm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn feed(s: &AdaptiveSpeculator, n: usize, committed: u32, rolled_back: u32) {
        for _ in 0..n {
            s.record(SpeculationReport::new(committed, rolled_back));
        }
    }

    #[test]
    fn spec_vectors() {
        let s = AdaptiveSpeculator::new(15);
        assert!(s.should_speculate());
        assert_eq!((s.commit_rate_ppm(), s.samples()), (150_000, 0));

        let s = AdaptiveSpeculator::new(20);
        s.record(SpeculationReport::new(1, 99));
        assert_eq!(s.commit_rate_ppm(), 152_500);
        assert!(s.should_speculate());
        s.record(SpeculationReport::new(1, 99));
        assert_eq!(s.commit_rate_ppm(), 116_875);
        assert!(!s.should_speculate());

        let s = AdaptiveSpeculator::new(20);
        feed(&s, 20, 1, 99);
        assert!(!s.should_speculate());
        assert!(s.commit_rate_ppm() < 150_000);
        feed(&s, 20, 80, 20);
        assert!(s.should_speculate());

        let s = AdaptiveSpeculator::new(20);
        feed(&s, 50, 20, 80);
        assert!(s.should_speculate());

        let s = AdaptiveSpeculator::new(15);
        feed(&s, 17, 3, 5);
        assert_eq!(s.samples(), 17);

        let s = AdaptiveSpeculator::new(90);
        feed(&s, 16, 0, 100);
        assert!(!s.should_speculate());
    }

    #[test]
    fn empty_reports_are_ignored() {
        let s = AdaptiveSpeculator::new(20);
        feed(&s, 5, 0, 0);
        assert_eq!((s.commit_rate_ppm(), s.samples()), (200_000, 0));
    }

    #[test]
    fn huge_threshold_saturates() {
        let s = AdaptiveSpeculator::new(u32::MAX);
        assert_eq!(s.threshold_ppm(), u32::MAX);
        feed(&s, 3, 1, 0);
        assert!(s.commit_rate_ppm() < u32::MAX && s.commit_rate_ppm() > 1_000_000);
        assert!(!s.should_speculate());
    }

    #[test]
    fn concurrent_records_lose_no_sample() {
        let s = std::sync::Arc::new(AdaptiveSpeculator::new(20));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let s = s.clone();
                std::thread::spawn(move || feed(&s, 10_000, t, 8 - t))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(s.samples(), 80_000);
    }

    proptest! {
        #[test]
        fn ema_stays_in_range(threshold in any::<u32>(),
                              reports in proptest::collection::vec((any::<u32>(), any::<u32>()), 0..64)) {
            let s = AdaptiveSpeculator::new(threshold);
            let mut expected_samples = 0;
            for (c, r) in reports {
                let report = SpeculationReport::new(c, r);
                let before = s.commit_rate_ppm() as i64;
                s.record(report);
                if report.attempted_tiles() > 0 {
                    expected_samples += 1;
                    // The EMA moves towards the observation and never past it.
                    let obs = report.commit_rate_ppm() as i64;
                    let after = s.commit_rate_ppm() as i64;
                    prop_assert!(after >= before.min(obs) && after <= before.max(obs));
                }
            }
            prop_assert_eq!(s.samples(), expected_samples);
        }

        #[test]
        fn concurrent_record_from_8_threads(per_thread in 1usize..300, committed in 0u32..100) {
            let s = std::sync::Arc::new(AdaptiveSpeculator::new(15));
            let handles: Vec<_> = (0..8).map(|_| {
                let s = s.clone();
                std::thread::spawn(move || feed(&s, per_thread, committed, 100 - committed))
            }).collect();
            for h in handles { h.join().unwrap(); }
            prop_assert_eq!(s.samples(), 8 * per_thread as u64);
        }
    }
}
