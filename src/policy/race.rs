//! Variant race, conservative against speculative (docs/SPEC.md section 6).

use super::autotune::{AutotuneRecord, AutotuneStore};
use super::key::{AutotuneKey, SpecCacheKey};
use crate::Result;

/// Which of the two raced variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The conservative (serial) variant; wins ties.
    Conservative,
    /// The speculative (fused) variant.
    Speculative,
}

/// Timings and records of one race between the two variants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VariantRace {
    /// Conservative dispatch time, ns.
    pub conservative_dispatch_ns: u64,
    /// Speculative dispatch time, ns.
    pub speculative_dispatch_ns: u64,
    /// Conservative compile time, ns.
    pub conservative_compile_ns: u64,
    /// Speculative compile time, ns.
    pub speculative_compile_ns: u64,
    /// The conservative variant's configuration.
    pub conservative_record: AutotuneRecord,
    /// The speculative variant's configuration.
    pub speculative_record: AutotuneRecord,
}

/// The outcome of a race.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantDecision {
    /// The faster variant.
    pub winner: Variant,
    /// The loser's total minus the winner's total, ns.
    pub saved_ns: u64,
    /// Where the winner's record was stored.
    pub key: AutotuneKey,
}

impl VariantRace {
    /// Compile plus dispatch time of the conservative side (saturating).
    pub fn conservative_total_ns(&self) -> u64 {
        self.conservative_compile_ns
            .saturating_add(self.conservative_dispatch_ns)
    }

    /// Compile plus dispatch time of the speculative side (saturating).
    pub fn speculative_total_ns(&self) -> u64 {
        self.speculative_compile_ns
            .saturating_add(self.speculative_dispatch_ns)
    }

    /// The winner (speculative only when strictly faster) and the time it saves.
    pub fn winner(&self) -> (Variant, u64) {
        let (c, s) = (self.conservative_total_ns(), self.speculative_total_ns());
        if s < c {
            (Variant::Speculative, c - s)
        } else {
            (Variant::Conservative, 0)
        }
    }
}

/// Decides `race` and puts the winner's record under the winner's key for `adapter_id`.
pub fn record_variant_race(
    store: &mut AutotuneStore,
    conservative_key: &SpecCacheKey,
    speculative_key: &SpecCacheKey,
    adapter_id: &str,
    race: &VariantRace,
) -> Result<VariantDecision> {
    let (winner, saved_ns) = race.winner();
    let (spec, record) = match winner {
        Variant::Conservative => (conservative_key, &race.conservative_record),
        Variant::Speculative => (speculative_key, &race.speculative_record),
    };
    record.validate()?;
    let key = AutotuneKey::new(spec, adapter_id);
    store.put(key.clone(), record.clone());
    Ok(VariantDecision {
        winner,
        saved_ns,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn keys() -> (SpecCacheKey, SpecCacheKey) {
        let c = SpecCacheKey {
            shader_hash: 1,
            ..Default::default()
        };
        let s = SpecCacheKey {
            shader_hash: 2,
            ..Default::default()
        };
        (c, s)
    }

    fn race(cd: u64, cc: u64, sd: u64, sc: u64) -> VariantRace {
        VariantRace {
            conservative_dispatch_ns: cd,
            conservative_compile_ns: cc,
            speculative_dispatch_ns: sd,
            speculative_compile_ns: sc,
            conservative_record: AutotuneRecord {
                unroll: 1,
                ..Default::default()
            },
            speculative_record: AutotuneRecord {
                unroll: 2,
                ..Default::default()
            },
        }
    }

    #[test]
    fn spec_vectors() {
        let (ck, sk) = keys();
        let mut store = AutotuneStore::new();
        let d = record_variant_race(&mut store, &ck, &sk, "a", &race(1000, 0, 200, 100)).unwrap();
        assert_eq!((d.winner, d.saved_ns), (Variant::Speculative, 700));
        assert_eq!(store.len(), 1);
        assert_eq!(store.get_spec(&sk, "a").unwrap().unroll, 2);

        let mut store = AutotuneStore::new();
        let d = record_variant_race(&mut store, &ck, &sk, "a", &race(500, 100, 100, 500)).unwrap();
        assert_eq!((d.winner, d.saved_ns), (Variant::Conservative, 0));
        assert_eq!(store.get_spec(&ck, "a").unwrap().unroll, 1);
        assert_eq!(d.key, AutotuneKey::new(&ck, "a"));
    }

    #[test]
    fn totals_saturate() {
        let r = race(u64::MAX, 5, u64::MAX - 1, 0);
        assert_eq!(r.conservative_total_ns(), u64::MAX);
        assert_eq!(r.winner(), (Variant::Speculative, 1));
    }

    #[test]
    fn invalid_record_leaves_store_unchanged() {
        let (ck, sk) = keys();
        let mut store = AutotuneStore::new();
        let mut r = race(10, 0, 1, 0);
        r.speculative_record.recorded_at = "yesterday".into();
        assert!(record_variant_race(&mut store, &ck, &sk, "a", &r).is_err());
        assert!(store.is_empty() && !store.is_dirty());
    }
}
