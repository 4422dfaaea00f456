//! The wgpu runtime: a context, the engine's own WGSL programs, and the prefilter/confirm
//! dispatch entry point routed by the speculator.
//!
//! - [`instance`]: the process's wgpu instances, created without window-system extensions;
//! - [`context`]: adapter choice, device and queue, adapter info and id, device loss;
//! - [`capture`]: wgpu errors captured in scopes and turned into [`crate::Error`]s;
//! - [`gate`]: driver calls held apart from the destruction of GPU objects;
//! - [`buffers`]: the pool of reused GPU and readback buffers;
//! - [`program`]: a WGSL compute program and its binding layout and size rules;
//! - [`run`]: one program run (upload, dispatch, readback) in one submit;
//! - [`dispatch`]: the fused or serial prefilter/confirm entry point.

pub mod buffers;
pub mod capture;
pub mod context;
pub mod dispatch;
pub mod gate;
pub mod instance;
pub mod program;
pub mod run;
pub mod staging;

pub use context::{AdapterSummary, ContextOptions, GpuContext, LaunchOverheads, PowerPreference};
pub use dispatch::{dispatch_prefilter_confirm, DispatchOutcome, DispatchPath, DispatchPlan};
pub use program::{Program, ProgramDesc, SizeRule};
