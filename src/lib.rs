//! specrt: GPU dispatch decisions and a WGSL prefilter/confirm runtime, with a C ABI.
//!
//! Layers, with dependencies flowing one way (`ffi -> scan -> gpu -> policy`):
//! - [`policy`]: pure Rust dispatch decisions (speculator, counter tails, variant races,
//!   the paired speculation window, the persistent-kernel decision, the autotune store);
//! - `gpu` (feature `gpu`): the wgpu runtime;
//! - `scan` (feature `gpu`): the pattern scanner, with GPU and CPU backends;
//! - [`ffi`]: the C ABI declared in `include/specrt.h`.
#![warn(missing_docs)]

pub mod error;
pub mod ffi;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod policy;
#[cfg(feature = "gpu")]
pub mod scan;

pub use error::{Error, Result};
