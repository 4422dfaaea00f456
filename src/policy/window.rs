//! Paired speculation window (docs/SPEC.md section 8).

use super::autotune::AutotuneStore;
use super::key::SpecCacheKey;
use super::race::{record_variant_race, VariantDecision, VariantRace};
use super::verdict::{decide_speculation, SpeculationObservation, Verdict};
use crate::{Error, Result};

/// A running mean over u64 samples: a u32 count and a u128 total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RunningMean {
    count: u32,
    total: u128,
}

impl RunningMean {
    fn with(self, sample: u64) -> Option<Self> {
        Some(Self {
            count: self.count.checked_add(1)?,
            total: self.total.checked_add(u128::from(sample))?,
        })
    }

    /// floor(total / count), 0 when empty. The mean of u64 samples fits in u64.
    fn mean(&self) -> u64 {
        match self.count {
            0 => 0,
            n => (self.total / u128::from(n)) as u64,
        }
    }
}

/// Accumulates conservative/speculative pairs for one rewrite candidate and shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairedWindow {
    conservative: RunningMean,
    speculative: RunningMean,
    speculative_compile_ns: u64,
}

/// What one recorded sample produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairedUpdate {
    /// The sample's race decision (its winner went to the store).
    pub decision: VariantDecision,
    /// The verdict on the window after this sample.
    pub verdict: Verdict,
    /// The window's observation after this sample.
    pub observation: SpeculationObservation,
}

impl PairedWindow {
    /// An empty window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of complete pairs: the smaller of the two sample counts.
    pub fn len(&self) -> u32 {
        self.conservative.count.min(self.speculative.count)
    }

    /// Whether no complete pair was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The window as a verdict input.
    pub fn observation(&self) -> SpeculationObservation {
        SpeculationObservation {
            baseline_dispatches: self.conservative.count,
            baseline_mean_ns: self.conservative.mean(),
            speculative_dispatches: self.speculative.count,
            speculative_mean_ns: self.speculative.mean(),
            side_compile_cost_ns: self.speculative_compile_ns,
        }
    }

    /// Adds one pair, records its race in `store`, and returns the race decision and the verdict.
    ///
    /// Overflow of a count, total or the compile sum, or an invalid record, is an error that
    /// leaves the window and the store unchanged.
    pub fn record_sample(
        &mut self,
        store: &mut AutotuneStore,
        conservative_key: &SpecCacheKey,
        speculative_key: &SpecCacheKey,
        adapter_id: &str,
        sample: &VariantRace,
    ) -> Result<PairedUpdate> {
        let next = Self {
            conservative: self
                .conservative
                .with(sample.conservative_dispatch_ns)
                .ok_or_else(|| Error::Overflow("conservative sample count or total".into()))?,
            speculative: self
                .speculative
                .with(sample.speculative_dispatch_ns)
                .ok_or_else(|| Error::Overflow("speculative sample count or total".into()))?,
            speculative_compile_ns: self
                .speculative_compile_ns
                .checked_add(sample.speculative_compile_ns)
                .ok_or_else(|| Error::Overflow("accumulated speculative compile ns".into()))?,
        };
        let decision =
            record_variant_race(store, conservative_key, speculative_key, adapter_id, sample)?;
        *self = next;
        let observation = self.observation();
        Ok(PairedUpdate {
            decision,
            verdict: decide_speculation(&observation),
            observation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::race::Variant;

    fn keys() -> (SpecCacheKey, SpecCacheKey) {
        let spec = |h| SpecCacheKey {
            shader_hash: h,
            ..Default::default()
        };
        (spec(1), spec(2))
    }

    fn sample(cons: u64, spec: u64, compile: u64) -> VariantRace {
        VariantRace {
            conservative_dispatch_ns: cons,
            speculative_dispatch_ns: spec,
            speculative_compile_ns: compile,
            ..Default::default()
        }
    }

    fn run(n: usize, s: &VariantRace) -> (PairedWindow, AutotuneStore, PairedUpdate) {
        let (ck, sk) = keys();
        let (mut w, mut store) = (PairedWindow::new(), AutotuneStore::new());
        let mut last = None;
        for _ in 0..n {
            last = Some(w.record_sample(&mut store, &ck, &sk, "a", s).unwrap());
        }
        (w, store, last.unwrap())
    }

    #[test]
    fn spec_vectors() {
        let (w, _, u) = run(1, &sample(100_000, 50_000, 0));
        assert_eq!(u.verdict, Verdict::KeepRacing);
        assert_eq!(
            (
                u.observation.baseline_dispatches,
                u.observation.speculative_dispatches
            ),
            (1, 1)
        );
        assert_eq!(w.len(), 1);

        let (_, store, u) = run(8, &sample(100_000, 50_000, 0));
        assert_eq!(u.verdict, Verdict::Adopt);
        assert_eq!(u.decision.winner, Variant::Speculative);
        assert_eq!(store.len(), 1);

        let (_, _, u) = run(8, &sample(50_000, 100_000, 0));
        assert_eq!(u.verdict, Verdict::Reject);

        let (_, _, u) = run(8, &sample(100_000, 50_000, 1_000_000));
        assert_eq!(u.verdict, Verdict::Reject);
        assert_eq!(u.observation.side_compile_cost_ns, 8_000_000);
    }

    #[test]
    fn empty_window() {
        let w = PairedWindow::new();
        assert!(w.is_empty());
        assert_eq!(w.observation(), SpeculationObservation::default());
    }

    #[test]
    fn overflow_leaves_window_and_store_unchanged() {
        let (ck, sk) = keys();
        let mut store = AutotuneStore::new();
        let mut w = PairedWindow::new();
        w.record_sample(&mut store, &ck, &sk, "a", &sample(1, 2, u64::MAX))
            .unwrap();
        let (before_w, before_s) = (w.clone(), store.clone());
        let err = w
            .record_sample(&mut store, &ck, &sk, "b", &sample(1, 2, 1))
            .unwrap_err();
        assert!(matches!(err, Error::Overflow(_)));
        assert_eq!((w, store), (before_w, before_s));

        let mut w = PairedWindow {
            conservative: RunningMean {
                count: u32::MAX,
                total: 0,
            },
            ..Default::default()
        };
        let mut store = AutotuneStore::new();
        let before = w.clone();
        assert!(w
            .record_sample(&mut store, &ck, &sk, "a", &sample(1, 1, 0))
            .is_err());
        assert_eq!(w, before);
        assert!(store.is_empty());
    }

    #[test]
    fn means_floor() {
        let (ck, sk) = keys();
        let mut store = AutotuneStore::new();
        let mut w = PairedWindow::new();
        w.record_sample(&mut store, &ck, &sk, "a", &sample(1, u64::MAX, 0))
            .unwrap();
        w.record_sample(&mut store, &ck, &sk, "a", &sample(2, u64::MAX, 0))
            .unwrap();
        let o = w.observation();
        assert_eq!((o.baseline_mean_ns, o.speculative_mean_ns), (1, u64::MAX));
    }
}
