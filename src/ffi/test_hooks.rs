//! Exports that exist only in test builds (feature `test-hooks`), never in the shipped header.

use super::boundary::status_call;
use super::status::specrt_status;

/// Panics inside the boundary, to prove that a panic becomes `SPECRT_ERROR_PANIC`.
#[no_mangle]
pub extern "C" fn specrt_test_force_panic() -> specrt_status {
    status_call(|| panic!("forced by specrt_test_force_panic"))
}

/// Destroys the context's device, as a driver reset would, to test device-loss handling.
///
/// # Safety
/// `context` must be NULL or a specrt handle.
#[cfg(feature = "gpu")]
#[no_mangle]
pub unsafe extern "C" fn specrt_test_lose_device(
    context: *const super::context::specrt_context,
) -> specrt_status {
    status_call(|| {
        super::handle::borrow(context, "context")?.destroy_device();
        Ok(())
    })
}
