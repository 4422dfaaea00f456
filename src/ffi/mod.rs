//! The C ABI declared in `include/specrt.h`.
//!
//! Conventions: every fallible export returns a `specrt_status` (0 = `SPECRT_OK`) and leaves a
//! message for `specrt_last_error`; outputs come last and are written only on success; handles
//! are opaque, type-tagged and freed by a `_free` call that accepts NULL; no panic crosses the
//! boundary. The modules below are thin over `crate::policy`.
#![allow(non_camel_case_types)]

pub mod args;
pub mod autotune;
#[cfg(feature = "gpu")]
pub mod batch;
pub mod boundary;
#[cfg(feature = "gpu")]
pub mod compiler;
#[cfg(feature = "gpu")]
pub mod confirm_io;
#[cfg(feature = "gpu")]
pub mod context;
#[cfg(feature = "gpu")]
pub mod dispatch;
pub mod handle;
#[cfg(feature = "gpu")]
pub mod inputs;
pub mod last_error;
#[cfg(feature = "gpu")]
pub mod outcome;
pub mod persistent;
#[cfg(feature = "gpu")]
pub mod program;
pub mod race;
pub(crate) mod registry;
pub mod report;
#[cfg(feature = "gpu")]
pub mod ruleset;
#[cfg(feature = "gpu")]
pub mod scan;
#[cfg(feature = "gpu")]
pub mod scan_options;
#[cfg(feature = "gpu")]
pub mod scan_result;
#[cfg(feature = "gpu")]
pub mod scanner;
pub mod speculator;
pub mod status;
pub mod version;
pub mod window;
#[cfg(feature = "gpu")]
pub mod yara;

#[cfg(feature = "test-hooks")]
pub mod test_hooks;
