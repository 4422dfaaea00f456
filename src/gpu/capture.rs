//! wgpu errors captured in error scopes and turned into specrt errors, never panics.

use crate::{Error, Result};
use std::sync::Mutex;

static LAST_UNCAPTURED: Mutex<String> = Mutex::new(String::new());

/// Records an error wgpu raised outside any scope (wgpu's default handler would panic).
pub fn note_uncaptured(error: wgpu::Error) {
    *LAST_UNCAPTURED.lock().unwrap_or_else(|p| p.into_inner()) = error.to_string();
}

/// The last error raised outside any scope, if any.
pub fn last_uncaptured() -> Option<String> {
    let text = LAST_UNCAPTURED.lock().unwrap_or_else(|p| p.into_inner());
    (!text.is_empty()).then(|| text.clone())
}

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
