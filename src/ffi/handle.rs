//! Type-tagged opaque handles.
//!
//! A handle given to C is a word registered in the table of live handles
//! ([`super::registry`]) with its object's type tag. Every call looks the word up there before
//! touching the object, so a NULL, freed, foreign or wrongly typed handle is an error with a
//! message, and validation never reads memory that was freed.

use super::registry::{self, Stale};
use crate::{Error, Result};

/// A Rust object exposed to C as the opaque type `Self`.
pub trait Handle: Sized {
    /// The object behind the handle.
    type Inner;
    /// The tag that identifies this handle type (unique, non-zero).
    const TAG: u8;
    /// The C type name, for messages.
    const NAME: &'static str;
}

/// The tag of each handle type; values never change.
pub(crate) mod tags {
    /// `specrt_speculator`.
    pub(crate) const SPECULATOR: u8 = 0x1;
    /// `specrt_autotune_store`.
    pub(crate) const AUTOTUNE_STORE: u8 = 0x2;
    /// `specrt_paired_window`.
    pub(crate) const PAIRED_WINDOW: u8 = 0x3;
    /// `specrt_context`.
    pub(crate) const CONTEXT: u8 = 0x4;
    /// `specrt_program`.
    pub(crate) const PROGRAM: u8 = 0x5;
    /// `specrt_confirm_io`.
    pub(crate) const CONFIRM_IO: u8 = 0x6;
    /// `specrt_dispatch_outcome`.
    pub(crate) const DISPATCH_OUTCOME: u8 = 0x7;
    /// `specrt_ruleset`.
    pub(crate) const RULESET: u8 = 0x8;
    /// `specrt_scanner`.
    pub(crate) const SCANNER: u8 = 0x9;
    /// `specrt_scan_result`.
    pub(crate) const SCAN_RESULT: u8 = 0xa;
    /// `specrt_batch_result`.
    pub(crate) const BATCH_RESULT: u8 = 0xb;
    /// `specrt_compiler`.
    pub(crate) const COMPILER: u8 = 0xc;
}

/// What each handle tag is, for messages about a handle of the wrong type.
static KNOWN_TAGS: &[(u8, &str)] = &[
    (tags::SPECULATOR, "it is a specrt_speculator"),
    (tags::AUTOTUNE_STORE, "it is a specrt_autotune_store"),
    (tags::PAIRED_WINDOW, "it is a specrt_paired_window"),
    (tags::CONTEXT, "it is a specrt_context"),
    (tags::PROGRAM, "it is a specrt_program"),
    (tags::CONFIRM_IO, "it is a specrt_confirm_io"),
    (tags::DISPATCH_OUTCOME, "it is a specrt_dispatch_outcome"),
    (tags::RULESET, "it is a specrt_ruleset"),
    (tags::SCANNER, "it is a specrt_scanner"),
    (tags::SCAN_RESULT, "it is a specrt_scan_result"),
    (tags::BATCH_RESULT, "it is a specrt_batch_result"),
    (tags::COMPILER, "it is a specrt_compiler"),
];

/// Moves `value` to the heap, registers it and returns its handle.
pub fn into_raw<H: Handle>(value: H::Inner) -> Result<*mut H> {
    let object = Box::into_raw(Box::new(value));
    match registry::insert(object.cast(), H::TAG) {
        Ok(word) => Ok(word as *mut H),
        Err(e) => {
            // SAFETY: the object was never published; this call still owns it.
            drop(unsafe { Box::from_raw(object) });
            Err(e)
        }
    }
}

/// The object behind `ptr` when it is a live handle of type `H`, else None: the fast path of
/// hot queries, whose error path then goes through [`borrow`] for the message.
///
/// # Safety
/// The handle must not be freed by another thread while the returned reference is in use.
#[inline(always)]
pub unsafe fn peek<'a, H: Handle>(ptr: *const H) -> Option<&'a H::Inner> {
    registry::lookup(ptr as usize, H::TAG).map(|object| &*object.cast::<H::Inner>())
}

/// The error for `ptr`, which is not a live handle of type `H`.
fn invalid<H: Handle>(ptr: *const H, arg: &'static str, stale: Stale) -> Error {
    if ptr.is_null() {
        return Error::NullPointer(arg);
    }
    let found = match stale {
        Stale::Foreign => "it is not a specrt handle",
        Stale::Freed => "it was already freed",
        Stale::OtherType(tag) => KNOWN_TAGS
            .iter()
            .find(|(known, _)| *known == tag)
            .map_or("it is not a specrt handle", |(_, name)| name),
    };
    Error::InvalidHandle {
        arg,
        expected: H::NAME,
        found,
    }
}

/// Borrows the object behind `ptr`.
///
/// # Safety
/// The handle must not be freed by another thread while the returned reference is in use.
pub unsafe fn borrow<'a, H: Handle>(ptr: *const H, arg: &'static str) -> Result<&'a H::Inner> {
    peek::<H>(ptr).ok_or_else(|| invalid(ptr, arg, registry::diagnose(ptr as usize)))
}

/// Frees the handle; NULL is ignored, and anything but a live handle of type `H` is an error
/// that frees nothing.
///
/// # Safety
/// No other thread may use the handle while it is freed.
pub unsafe fn free<H: Handle>(ptr: *mut H) -> Result<()> {
    if ptr.is_null() {
        return Ok(());
    }
    let object =
        registry::remove(ptr as usize, H::TAG).map_err(|stale| invalid(ptr, "handle", stale))?;
    drop(Box::from_raw(object.cast::<H::Inner>()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handle_type_has_its_own_non_zero_tag() {
        let mut tags: Vec<u8> = KNOWN_TAGS.iter().map(|(tag, _)| *tag).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), KNOWN_TAGS.len());
        assert!(!tags.contains(&0));
    }
}
