//! Speculation verdict: adopt, reject or keep racing (docs/SPEC.md section 7).

/// Dispatches each side needs before a verdict other than KeepRacing.
pub const MIN_DISPATCHES_FOR_VERDICT: u32 = 8;
/// Savings, in basis points of the baseline, needed to adopt.
pub const MIN_ADOPT_SAVINGS_BPS: u128 = 1500;

/// What the paired window has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SpeculationObservation {
    /// Conservative dispatches observed.
    pub baseline_dispatches: u32,
    /// Mean conservative dispatch time, ns.
    pub baseline_mean_ns: u64,
    /// Speculative dispatches observed.
    pub speculative_dispatches: u32,
    /// Mean speculative dispatch time, ns.
    pub speculative_mean_ns: u64,
    /// Compile cost paid for the speculative variant, ns.
    pub side_compile_cost_ns: u64,
}

/// Whether to adopt the speculative variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Not enough evidence yet.
    KeepRacing,
    /// The speculative variant saves at least 15 %.
    Adopt,
    /// The speculative variant is no faster.
    Reject,
}

/// Decides on an observation; pure integer arithmetic, never panics.
pub fn decide_speculation(o: &SpeculationObservation) -> Verdict {
    if o.baseline_dispatches < MIN_DISPATCHES_FOR_VERDICT
        || o.speculative_dispatches < MIN_DISPATCHES_FOR_VERDICT
        || o.baseline_mean_ns == 0
    {
        return Verdict::KeepRacing;
    }
    let amortized = o.side_compile_cost_ns / u64::from(o.speculative_dispatches.max(1));
    let effective = u128::from(o.speculative_mean_ns) + u128::from(amortized);
    let baseline = u128::from(o.baseline_mean_ns);
    if effective >= baseline {
        return Verdict::Reject;
    }
    let savings_bps = (baseline - effective) * 10_000 / baseline;
    if savings_bps >= MIN_ADOPT_SAVINGS_BPS {
        Verdict::Adopt
    } else {
        Verdict::KeepRacing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(b_n: u32, b_ns: u64, s_n: u32, s_ns: u64, compile: u64) -> Verdict {
        decide_speculation(&SpeculationObservation {
            baseline_dispatches: b_n,
            baseline_mean_ns: b_ns,
            speculative_dispatches: s_n,
            speculative_mean_ns: s_ns,
            side_compile_cost_ns: compile,
        })
    }

    #[test]
    fn spec_vectors() {
        use Verdict::*;
        assert_eq!(v(3, 100_000, 100, 50_000, 0), KeepRacing);
        assert_eq!(v(50, 100_000, 50, 50_000, 0), Adopt);
        assert_eq!(v(50, 50_000, 50, 100_000, 0), Reject);
        assert_eq!(v(50, 100_000, 50, 95_000, 0), KeepRacing);
        assert_eq!(v(50, 100_000, 50, 50_000, 1_000_000), Adopt);
        assert_eq!(v(50, 100_000, 8, 50_000, 1_000_000), Reject);
        assert_eq!(v(50, 0, 50, 50_000, 0), KeepRacing);
        assert_eq!(v(u32::MAX, u64::MAX, u32::MAX, u64::MAX, u64::MAX), Reject);
        assert_eq!(v(u32::MAX, 1, u32::MAX, u64::MAX, 0), Reject);
        assert_eq!(v(u32::MAX, u64::MAX, u32::MAX, 1, 0), Adopt);
    }

    #[test]
    fn adopt_boundary_is_exactly_15_percent() {
        assert_eq!(v(8, 10_000, 8, 8_500, 0), Verdict::Adopt);
        assert_eq!(v(8, 10_000, 8, 8_501, 0), Verdict::KeepRacing);
    }

    proptest! {
        #[test]
        fn never_panics(b_n: u32, b_ns: u64, s_n: u32, s_ns: u64, compile: u64) {
            let verdict = v(b_n, b_ns, s_n, s_ns, compile);
            if b_n < 8 || s_n < 8 || b_ns == 0 {
                prop_assert_eq!(verdict, Verdict::KeepRacing);
            }
            if verdict == Verdict::Adopt {
                prop_assert!(s_ns < b_ns);
            }
        }
    }
}
