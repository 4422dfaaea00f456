//! wgpu errors captured in error scopes and turned into specrt errors, never panics.

use crate::{Error, Result};

/// Receives errors wgpu raises outside any error scope, instead of wgpu's default handler, which
/// panics. Every GPU call of specrt runs inside [`capture`], so such errors can only come from
/// dropping objects; they have no caller to report to and are discarded.
pub fn note_uncaptured(_error: wgpu::Error) {}

/// Runs `body` inside out-of-memory, validation and internal error scopes on `device`. An error
/// of `body`'s own comes first (it is the more specific); then the first error wgpu reported.
pub fn capture<T>(
    device: &wgpu::Device,
    what: &str,
    body: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
    let result = body();
    let errors = [
        pollster::block_on(internal.pop()),
        pollster::block_on(validation.pop()),
        pollster::block_on(oom.pop()),
    ];
    let value = result?;
    match errors.into_iter().flatten().next() {
        Some(error) => Err(convert(what, error)),
        None => Ok(value),
    }
}

/// A specrt error for a wgpu error raised while doing `what`.
pub fn convert(what: &str, error: wgpu::Error) -> Error {
    match error {
        wgpu::Error::OutOfMemory { .. } => Error::OutOfMemory(format!(
            "{what}: the GPU ran out of memory; use smaller inputs or free other GPU work"
        )),
        wgpu::Error::Validation { description, .. } => {
            Error::Gpu(format!("{what}: validation failed: {}", description.trim()))
        }
        wgpu::Error::Internal { description, .. } => {
            Error::Gpu(format!("{what}: internal error: {}", description.trim()))
        }
    }
}
