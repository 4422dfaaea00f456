//! Status codes. Values are fixed forever; new codes are only ever appended.

use crate::Error;
use std::ffi::c_char;

/// The result of every fallible call: `SPECRT_OK` (0) or one of the `SPECRT_ERROR_*` codes.
pub type specrt_status = i32;

/// Success.
pub const SPECRT_OK: specrt_status = 0;
/// A required pointer argument was NULL.
pub const SPECRT_ERROR_NULL_POINTER: specrt_status = 1;
/// A handle argument is a handle of another type, was already freed, or is not a specrt handle.
/// Handles are checked against a table of live handles, so none of these reads freed memory.
pub const SPECRT_ERROR_INVALID_HANDLE: specrt_status = 2;
/// An argument value is outside its documented domain.
pub const SPECRT_ERROR_INVALID_ARGUMENT: specrt_status = 3;
/// A caller-provided buffer is too small; the call says how much is needed.
pub const SPECRT_ERROR_BUFFER_TOO_SMALL: specrt_status = 4;
/// A counter, total or sum would overflow; the object is unchanged.
pub const SPECRT_ERROR_OVERFLOW: specrt_status = 5;
/// A file could not be opened, read, written, locked or renamed.
pub const SPECRT_ERROR_IO: specrt_status = 6;
/// A file or source text is malformed; the message names file, line and column.
pub const SPECRT_ERROR_PARSE: specrt_status = 7;
/// An input exceeds a documented size limit.
pub const SPECRT_ERROR_TOO_LARGE: specrt_status = 8;
/// A counter tail is missing or malformed.
pub const SPECRT_ERROR_COUNTER_TAIL: specrt_status = 9;
/// The backend or this build cannot do what was asked.
pub const SPECRT_ERROR_UNSUPPORTED: specrt_status = 10;
/// No suitable GPU adapter was found.
pub const SPECRT_ERROR_NO_ADAPTER: specrt_status = 11;
/// A WGSL program failed to compile; the message has line:column.
pub const SPECRT_ERROR_SHADER: specrt_status = 12;
/// A GPU validation or internal error.
pub const SPECRT_ERROR_GPU: specrt_status = 13;
/// The GPU or host ran out of memory.
pub const SPECRT_ERROR_OUT_OF_MEMORY: specrt_status = 14;
/// The GPU device was lost; create a new context.
pub const SPECRT_ERROR_DEVICE_LOST: specrt_status = 15;
/// A host callback returned failure; its status is in the message.
pub const SPECRT_ERROR_CALLBACK: specrt_status = 16;
/// A panic was caught inside specrt; the objects involved are unchanged.
pub const SPECRT_ERROR_PANIC: specrt_status = 17;
/// A scan ran past its time limit (`specrt_scan_options.timeout_ms`, yara's `-a`).
pub const SPECRT_ERROR_TIMEOUT: specrt_status = 18;

/// The status code for an error.
pub fn status_of(error: &Error) -> specrt_status {
    match error {
        Error::NullPointer(_) => SPECRT_ERROR_NULL_POINTER,
        Error::InvalidHandle { .. } => SPECRT_ERROR_INVALID_HANDLE,
        Error::InvalidArgument(_) => SPECRT_ERROR_INVALID_ARGUMENT,
        Error::BufferTooSmall { .. } => SPECRT_ERROR_BUFFER_TOO_SMALL,
        Error::Overflow(_) => SPECRT_ERROR_OVERFLOW,
        Error::Io { .. } => SPECRT_ERROR_IO,
        Error::Parse { .. } | Error::Format(_) => SPECRT_ERROR_PARSE,
        Error::TooLarge(_) => SPECRT_ERROR_TOO_LARGE,
        Error::CounterTail(_) => SPECRT_ERROR_COUNTER_TAIL,
        Error::Unsupported(_) => SPECRT_ERROR_UNSUPPORTED,
        Error::NoAdapter(_) => SPECRT_ERROR_NO_ADAPTER,
        Error::Shader(_) => SPECRT_ERROR_SHADER,
        Error::Gpu(_) => SPECRT_ERROR_GPU,
        Error::OutOfMemory(_) => SPECRT_ERROR_OUT_OF_MEMORY,
        Error::DeviceLost(_) => SPECRT_ERROR_DEVICE_LOST,
        Error::Callback { status, .. } if (1..=SPECRT_ERROR_TIMEOUT).contains(status) => *status,
        Error::Callback { .. } => SPECRT_ERROR_CALLBACK,
        Error::Panic(_) => SPECRT_ERROR_PANIC,
        Error::Timeout(_) => SPECRT_ERROR_TIMEOUT,
    }
}

/// The static name of a status code, such as `"SPECRT_ERROR_NULL_POINTER"`;
/// `"SPECRT_UNKNOWN_STATUS"` for a value that is not a status. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn specrt_status_str(status: specrt_status) -> *const c_char {
    let name: &'static std::ffi::CStr = match status {
        SPECRT_OK => c"SPECRT_OK",
        SPECRT_ERROR_NULL_POINTER => c"SPECRT_ERROR_NULL_POINTER",
        SPECRT_ERROR_INVALID_HANDLE => c"SPECRT_ERROR_INVALID_HANDLE",
        SPECRT_ERROR_INVALID_ARGUMENT => c"SPECRT_ERROR_INVALID_ARGUMENT",
        SPECRT_ERROR_BUFFER_TOO_SMALL => c"SPECRT_ERROR_BUFFER_TOO_SMALL",
        SPECRT_ERROR_OVERFLOW => c"SPECRT_ERROR_OVERFLOW",
        SPECRT_ERROR_IO => c"SPECRT_ERROR_IO",
        SPECRT_ERROR_PARSE => c"SPECRT_ERROR_PARSE",
        SPECRT_ERROR_TOO_LARGE => c"SPECRT_ERROR_TOO_LARGE",
        SPECRT_ERROR_COUNTER_TAIL => c"SPECRT_ERROR_COUNTER_TAIL",
        SPECRT_ERROR_UNSUPPORTED => c"SPECRT_ERROR_UNSUPPORTED",
        SPECRT_ERROR_NO_ADAPTER => c"SPECRT_ERROR_NO_ADAPTER",
        SPECRT_ERROR_SHADER => c"SPECRT_ERROR_SHADER",
        SPECRT_ERROR_GPU => c"SPECRT_ERROR_GPU",
        SPECRT_ERROR_OUT_OF_MEMORY => c"SPECRT_ERROR_OUT_OF_MEMORY",
        SPECRT_ERROR_DEVICE_LOST => c"SPECRT_ERROR_DEVICE_LOST",
        SPECRT_ERROR_CALLBACK => c"SPECRT_ERROR_CALLBACK",
        SPECRT_ERROR_PANIC => c"SPECRT_ERROR_PANIC",
        SPECRT_ERROR_TIMEOUT => c"SPECRT_ERROR_TIMEOUT",
        _ => c"SPECRT_UNKNOWN_STATUS",
    };
    name.as_ptr()
}
