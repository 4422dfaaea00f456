//! The thread-local message of the last failed call.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Stores `message` as this thread's last error (interior NULs become spaces).
pub fn set_last_error(message: &str) {
    let bytes: Vec<u8> = message
        .bytes()
        .map(|b| if b == 0 { b' ' } else { b })
        .collect();
    let text = CString::new(bytes).unwrap_or_default();
    // During thread teardown the slot may be gone: then the message is dropped.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

/// This thread's last error message as a Rust string (empty when none).
pub fn last_error_message() -> String {
    LAST_ERROR
        .try_with(|slot| slot.borrow().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The message of the most recent call on this thread that returned an error status, or `""`
/// when none did. The text says what was wrong and how to fix it. Never NULL; owned by specrt and
/// valid until the next specrt call on this thread; copy it to keep it.
#[no_mangle]
pub extern "C" fn specrt_last_error() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}
