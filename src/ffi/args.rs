//! Checked access to C arguments: output pointers, strings, byte buffers, fixed char arrays.

use crate::{Error, Result};
use std::ffi::{c_char, CStr};

/// Checks that an output pointer is not NULL and returns it as a writable reference.
///
/// # Safety
/// `ptr` must be NULL or valid for writes of a `T`.
pub unsafe fn out<'a, T>(ptr: *mut T, arg: &'static str) -> Result<&'a mut T> {
    ptr.as_mut().ok_or(Error::NullPointer(arg))
}

/// Reads a struct argument passed by pointer.
///
/// # Safety
/// `ptr` must be NULL or valid for reads of a `T`.
pub unsafe fn input<'a, T>(ptr: *const T, arg: &'static str) -> Result<&'a T> {
    ptr.as_ref().ok_or(Error::NullPointer(arg))
}

/// Reads a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` must be NULL or a NUL-terminated string.
pub unsafe fn c_str<'a>(ptr: *const c_char, arg: &'static str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::NullPointer(arg));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| Error::invalid(format!("`{arg}` is not valid UTF-8")))
}

/// Views a `(pointer, length)` byte buffer; NULL is accepted only with length 0.
///
/// # Safety
/// `ptr` must be NULL or valid for reads of `len` bytes.
pub unsafe fn bytes<'a>(ptr: *const u8, len: usize, arg: &'static str) -> Result<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Error::NullPointer(arg))
        };
    }
    if len > isize::MAX as usize {
        return Err(Error::TooLarge(format!("`{arg}` length {len}")));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// Element `index` of `items`, or an invalid-argument error naming `what` (e.g. "item index")
/// and the number of elements.
pub fn element<'a, T>(items: &'a [T], index: usize, what: &str) -> Result<&'a T> {
    items.get(index).ok_or_else(|| {
        Error::invalid(format!(
            "{what} {index} is out of range (there are {})",
            items.len()
        ))
    })
}

/// Reads a fixed-size, NUL-terminated char array field as UTF-8.
pub fn fixed_str<const N: usize>(field: &[c_char; N], name: &'static str) -> Result<String> {
    let raw: Vec<u8> = field.iter().map(|&c| c as u8).collect();
    let end = raw.iter().position(|&b| b == 0).ok_or_else(|| {
        Error::invalid(format!("`{name}` has no NUL terminator within {N} bytes"))
    })?;
    String::from_utf8(raw[..end].to_vec())
        .map_err(|_| Error::invalid(format!("`{name}` is not valid UTF-8")))
}

/// Writes `text` plus a NUL into a fixed-size char array, truncating at a UTF-8 character
/// boundary when it does not fit.
pub fn write_fixed_str<const N: usize>(field: &mut [c_char; N], text: &str) {
    let mut end = text.len().min(N - 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    field.fill(0);
    for (dst, &src) in field.iter_mut().zip(&text.as_bytes()[..end]) {
        *dst = src as c_char;
    }
}

/// Copies `text` and a NUL into a caller buffer, snprintf-style: `*needed` always receives the
/// size including the NUL; `buf` NULL with `cap` 0 only asks the size; a smaller `cap` is
/// `Error::BufferTooSmall` and leaves `buf` untouched.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `cap` bytes; `needed` must be valid for a write.
pub unsafe fn write_c_string(
    text: &str,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> Result<()> {
    let needed = out(needed, "needed")?;
    let size = text.len() + 1;
    *needed = size;
    if buf.is_null() && cap == 0 {
        return Ok(());
    }
    let buf = out(buf, "buf")?;
    if cap < size {
        return Err(Error::BufferTooSmall {
            needed: size,
            capacity: cap,
        });
    }
    let dst = std::slice::from_raw_parts_mut((buf as *mut c_char).cast::<u8>(), size);
    dst[..text.len()].copy_from_slice(text.as_bytes());
    dst[text.len()] = 0;
    Ok(())
}
