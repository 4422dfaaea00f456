//! The atomics of the lock-free policy objects: std's, or loom's when the crate is built with
//! `RUSTFLAGS="--cfg loom"`, so that `tests/loom_speculator.rs` model-checks the shipped code.

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub use std::sync::atomic::{AtomicU64, Ordering};
