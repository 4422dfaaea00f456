//! Persistent-kernel decision (docs/SPEC.md section 9).

use std::fmt;

/// Typical native launch overhead, ns, when nothing was measured.
pub const NATIVE_LAUNCH_OVERHEAD_NS: u64 = 5_000;
/// Typical native persistent-kernel setup, ns.
pub const NATIVE_PERSISTENT_SETUP_NS: u64 = 50_000;
/// Typical portable (queue submit) launch overhead, ns.
pub const PORTABLE_LAUNCH_OVERHEAD_NS: u64 = 25_000;
/// Typical portable persistent-kernel setup, ns.
pub const PORTABLE_PERSISTENT_SETUP_NS: u64 = 200_000;

/// What the decision weighs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PersistentInputs {
    /// Items in the batch.
    pub batch_size: u32,
    /// Cost of one standard launch, ns.
    pub per_launch_overhead_ns: u64,
    /// Kernel time per item, ns (does not affect the decision).
    pub per_item_kernel_ns: u64,
    /// One-time setup of a persistent kernel, ns.
    pub persistent_setup_overhead_ns: u64,
}

/// One launch per item, or one persistent kernel for the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PersistentDecision {
    /// One standard launch per item.
    StandardLaunches,
    /// One persistent kernel, saving `savings_ns` of launch overhead.
    PersistentKernel {
        /// Predicted savings, ns.
        savings_ns: u64,
    },
}

/// Chooses between standard launches and a persistent kernel.
pub fn decide_persistent_kernel(inputs: &PersistentInputs) -> PersistentDecision {
    if inputs.batch_size <= 1 || inputs.per_launch_overhead_ns == 0 {
        return PersistentDecision::StandardLaunches;
    }
    let standard = u64::from(inputs.batch_size).saturating_mul(inputs.per_launch_overhead_ns);
    if standard <= inputs.persistent_setup_overhead_ns {
        PersistentDecision::StandardLaunches
    } else {
        PersistentDecision::PersistentKernel {
            savings_ns: standard - inputs.persistent_setup_overhead_ns,
        }
    }
}

impl fmt::Display for PersistentDecision {
    /// `standard-launches` or `persistent-kernel:<savings_ns>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StandardLaunches => f.write_str("standard-launches"),
            Self::PersistentKernel { savings_ns } => write!(f, "persistent-kernel:{savings_ns}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use PersistentDecision::*;

    fn d(batch: u32, launch: u64, item: u64, setup: u64) -> PersistentDecision {
        decide_persistent_kernel(&PersistentInputs {
            batch_size: batch,
            per_launch_overhead_ns: launch,
            per_item_kernel_ns: item,
            persistent_setup_overhead_ns: setup,
        })
    }

    #[test]
    fn spec_vectors() {
        assert_eq!(d(1, 5000, 1000, 1000), StandardLaunches);
        assert_eq!(d(0, 5000, 1000, 50000), StandardLaunches);
        assert_eq!(d(5, 5000, 1000, 50000), StandardLaunches);
        assert_eq!(d(10, 5000, 1000, 50000), StandardLaunches);
        assert_eq!(
            d(100, 5000, 1000, 50000),
            PersistentKernel {
                savings_ns: 450_000
            }
        );
        assert_eq!(
            d(10, 25000, 5000, 200000),
            PersistentKernel { savings_ns: 50_000 }
        );
        assert_eq!(d(1000, 0, 100, 50000), StandardLaunches);
        assert!(matches!(
            d(u32::MAX, u64::MAX / 2, 1, 50000),
            PersistentKernel { .. }
        ));
        assert_eq!(StandardLaunches.to_string(), "standard-launches");
        assert_eq!(
            PersistentKernel {
                savings_ns: 450_000
            }
            .to_string(),
            "persistent-kernel:450000"
        );
    }

    proptest! {
        #[test]
        fn monotone_in_batch_size(a: u32, b: u32, launch: u64, item: u64, setup: u64) {
            let (small, large) = (a.min(b), a.max(b));
            let savings = |batch| match d(batch, launch, item, setup) {
                StandardLaunches => None,
                PersistentKernel { savings_ns } => Some(savings_ns),
            };
            match (savings(small), savings(large)) {
                (Some(s), Some(l)) => prop_assert!(l >= s),
                (Some(_), None) => prop_assert!(false, "persistent at {} but not at {}", small, large),
                _ => {}
            }
        }

        #[test]
        fn item_time_does_not_matter(batch: u32, launch: u64, i1: u64, i2: u64, setup: u64) {
            prop_assert_eq!(d(batch, launch, i1, setup), d(batch, launch, i2, setup));
        }
    }
}
