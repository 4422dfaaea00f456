//! The panic boundary every export runs inside.

use super::last_error::set_last_error;
use super::status::{specrt_status, status_of, SPECRT_OK};
use crate::{Error, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`, turning an error or a panic into a status and this thread's last error.
pub fn status_call(body: impl FnOnce() -> Result<()>) -> specrt_status {
    match run(body) {
        Ok(()) => SPECRT_OK,
        Err(e) => report(&e),
    }
}

/// Runs `body` for an export that returns a value: on an error or a panic, records the last
/// error and returns `fallback`.
pub fn value_call<T>(fallback: T, body: impl FnOnce() -> Result<T>) -> T {
    run(body).unwrap_or_else(|e| {
        report(&e);
        fallback
    })
}

fn run<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".into());
        Err(Error::Panic(what))
    })
}

fn report(error: &Error) -> specrt_status {
    set_last_error(&error.to_string());
    status_of(error)
}
