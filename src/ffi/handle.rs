//! Type-tagged opaque handles.
//!
//! A handle given to C points at a `Tagged<T>`: a tag word then the object. Each call checks the
//! tag before use, so a handle of the wrong type, or one already freed, is an error instead of
//! memory corruption (a freed handle is detected while its memory has not been reused).

use crate::{Error, Result};

/// A Rust object exposed to C as the opaque type `Self`.
pub trait Handle: Sized {
    /// The object behind the handle.
    type Inner;
    /// The tag that identifies this handle type.
    const TAG: u64;
    /// The C type name, for messages.
    const NAME: &'static str;
}

#[repr(C)]
struct Tagged<T> {
    tag: u64,
    value: T,
}

/// Written over the tag of a freed handle.
const FREED_TAG: u64 = 0x5350_4543_4445_4144; // "SPECDEAD"

/// The tag of each handle type; values never change.
pub(crate) mod tags {
    /// `specrt_speculator`.
    pub(crate) const SPECULATOR: u64 = 0x5350_4543_0000_0001;
    /// `specrt_autotune_store`.
    pub(crate) const AUTOTUNE_STORE: u64 = 0x5350_4543_0000_0002;
    /// `specrt_paired_window`.
    pub(crate) const PAIRED_WINDOW: u64 = 0x5350_4543_0000_0003;
    /// `specrt_context`.
    pub(crate) const CONTEXT: u64 = 0x5350_4543_0000_0004;
    /// `specrt_program`.
    pub(crate) const PROGRAM: u64 = 0x5350_4543_0000_0005;
    /// `specrt_confirm_io`.
    pub(crate) const CONFIRM_IO: u64 = 0x5350_4543_0000_0006;
    /// `specrt_dispatch_outcome`.
    pub(crate) const DISPATCH_OUTCOME: u64 = 0x5350_4543_0000_0007;
    /// `specrt_ruleset`.
    pub(crate) const RULESET: u64 = 0x5350_4543_0000_0008;
    /// `specrt_scanner`.
    pub(crate) const SCANNER: u64 = 0x5350_4543_0000_0009;
    /// `specrt_scan_result`.
    pub(crate) const SCAN_RESULT: u64 = 0x5350_4543_0000_000a;
    /// `specrt_batch_result`.
    pub(crate) const BATCH_RESULT: u64 = 0x5350_4543_0000_000b;
}

/// What each handle tag is, for messages about a handle of the wrong type.
static KNOWN_TAGS: &[(u64, &str)] = &[
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
];

/// Moves `value` to the heap and returns its handle.
pub fn into_raw<H: Handle>(value: H::Inner) -> *mut H {
    Box::into_raw(Box::new(Tagged { tag: H::TAG, value })).cast()
}

/// The object behind `ptr` when it is a live handle of type `H`, else None: the fast path of
/// hot queries, whose error path then goes through [`borrow`] for the message.
///
/// # Safety
/// `ptr` must be NULL or point to at least 8 readable bytes (any specrt handle does).
#[inline(always)]
pub unsafe fn peek<'a, H: Handle>(ptr: *const H) -> Option<&'a H::Inner> {
    if ptr.is_null() || std::ptr::read_volatile(ptr.cast::<u64>()) != H::TAG {
        return None;
    }
    Some(&(*ptr.cast::<Tagged<H::Inner>>()).value)
}

/// Borrows the object behind `ptr`.
///
/// # Safety
/// `ptr` must be NULL or point to at least 8 readable bytes (any specrt handle does).
pub unsafe fn borrow<'a, H: Handle>(ptr: *const H, arg: &'static str) -> Result<&'a H::Inner> {
    if ptr.is_null() {
        return Err(Error::NullPointer(arg));
    }
    let tagged = ptr.cast::<Tagged<H::Inner>>();
    let tag = std::ptr::read_volatile(ptr.cast::<u64>());
    if tag != H::TAG {
        let found = match tag {
            FREED_TAG => "it was already freed",
            t => KNOWN_TAGS
                .iter()
                .find(|(known, _)| *known == t)
                .map_or("it is not a specrt handle", |(_, name)| name),
        };
        return Err(Error::InvalidHandle {
            arg,
            expected: H::NAME,
            found,
        });
    }
    Ok(&(*tagged).value)
}

/// Frees the handle; NULL and handles of another type are ignored (the latter with a last error).
///
/// # Safety
/// `ptr` must be NULL or a live handle returned by specrt.
pub unsafe fn free<H: Handle>(ptr: *mut H) -> Result<()> {
    if ptr.is_null() {
        return Ok(());
    }
    borrow::<H>(ptr, "handle")?;
    let mut boxed = Box::from_raw(ptr.cast::<Tagged<H::Inner>>());
    std::ptr::write_volatile(&mut boxed.tag, FREED_TAG);
    drop(boxed);
    Ok(())
}
