//! C ABI: library version. The header's `SPECRT_VERSION_*` macros come from the same Cargo.toml.

use std::ffi::c_char;

/// The version as `"MAJOR.MINOR.PATCH"`. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn specrt_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The version as `MAJOR * 10000 + MINOR * 100 + PATCH`, equal to `SPECRT_VERSION_NUMBER`.
#[no_mangle]
pub extern "C" fn specrt_version_number() -> u32 {
    version_number()
}

/// `MAJOR * 10000 + MINOR * 100 + PATCH` of this crate.
pub const fn version_number() -> u32 {
    const fn parse(s: &str) -> u32 {
        let b = s.as_bytes();
        let mut i = 0;
        let mut n = 0;
        while i < b.len() {
            n = n * 10 + (b[i] - b'0') as u32;
            i += 1;
        }
        n
    }
    parse(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
        + parse(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + parse(env!("CARGO_PKG_VERSION_PATCH"))
}
