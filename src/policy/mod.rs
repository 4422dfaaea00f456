//! The policy core: GPU dispatch decisions as small, thread-safe objects, with no GPU and no FFI.
//!
//! Every behaviour here is specified in docs/SPEC.md; each module names its section.

pub mod autotune;
pub mod key;
pub mod mode;
pub mod persistent;
pub mod race;
pub mod report;
pub mod speculator;
pub mod sync;
pub mod verdict;
pub mod window;

pub use autotune::{AutotuneRecord, AutotuneStore};
pub use key::{AutotuneKey, KeyDigest, SpecCacheKey};
pub use mode::SpeculationMode;
pub use persistent::{decide_persistent_kernel, PersistentDecision, PersistentInputs};
pub use race::{record_variant_race, Variant, VariantDecision, VariantRace};
pub use report::{encode_counter_tail, parse_counter_tail, SpeculationReport};
pub use speculator::AdaptiveSpeculator;
pub use verdict::{decide_speculation, SpeculationObservation, Verdict};
pub use window::{PairedUpdate, PairedWindow};
