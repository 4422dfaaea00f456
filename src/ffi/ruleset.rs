//! C ABI: the rule set handle, built string by string (YARA source: `yara`), saved and loaded.

use super::args;
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::status::specrt_status;
use crate::scan::yara::SkippedRule;
use crate::scan::{RuleSet, StringFlags};
use crate::Error;
use std::ffi::{c_char, CString};
use std::sync::Mutex;

/// Flags of a scan string: `SPECRT_STRING_*` bits.
pub type specrt_string_flags = u32;
/// ASCII letters match in either case.
pub const SPECRT_STRING_NOCASE: specrt_string_flags = 1;
/// Match the UTF-16LE form (each byte followed by a zero byte).
pub const SPECRT_STRING_WIDE: specrt_string_flags = 2;
/// With `SPECRT_STRING_WIDE`, also match the plain form.
pub const SPECRT_STRING_ASCII: specrt_string_flags = 4;
/// Match only between non-alphanumeric characters.
pub const SPECRT_STRING_FULLWORD: specrt_string_flags = 8;

/// Longest string, bytes (before the wide form doubles it).
pub const SPECRT_MAX_STRING_BYTES: u32 = 4096;
/// Most strings in a rule set.
pub const SPECRT_MAX_STRINGS: u32 = 1048576;

const _: () = assert!(SPECRT_MAX_STRING_BYTES as usize == crate::scan::rules::MAX_STRING_BYTES);
const _: () = assert!(SPECRT_MAX_STRINGS as usize == crate::scan::rules::MAX_STRINGS);

/// Strings grouped into rules, built with `specrt_ruleset_add_string` and compiled by
/// `specrt_scanner_new`. Thread safety: calls lock it.
pub struct specrt_ruleset {
    _opaque: [u8; 0],
}

/// The Rust side of a rule set handle: the rules, and what compiling YARA source skipped.
pub struct RuleSetInner {
    /// The rules.
    pub(crate) rules: Mutex<RuleSet>,
    /// Rules left out by `specrt_ruleset_compile` (C strings for `specrt_ruleset_skipped`).
    pub(crate) skipped: Vec<SkippedC>,
}

impl RuleSetInner {
    /// A handle's inner value for `rules`.
    pub(crate) fn new(rules: RuleSet, skipped: Vec<SkippedC>) -> Self {
        Self {
            rules: Mutex::new(rules),
            skipped,
        }
    }

    /// The rules, locked (a poisoned lock still gives them: every change is one call).
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, RuleSet> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Handle for specrt_ruleset {
    type Inner = RuleSetInner;
    const TAG: u8 = tags::RULESET;
    const NAME: &'static str = "specrt_ruleset";
}

/// A skipped rule with C copies of its texts.
pub struct SkippedC {
    pub(crate) rule: CString,
    pub(crate) construct: CString,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

impl From<SkippedRule> for SkippedC {
    fn from(s: SkippedRule) -> Self {
        Self {
            rule: c_string(&s.rule),
            construct: c_string(&s.construct),
            line: u32::try_from(s.line).unwrap_or(u32::MAX),
            column: u32::try_from(s.column).unwrap_or(u32::MAX),
        }
    }
}

/// A C string of `text` (identifiers hold no NUL; any other NUL is cut there).
pub(crate) fn c_string(text: &str) -> CString {
    let end = text.find('\0').unwrap_or(text.len());
    CString::new(&text[..end]).expect("no NUL left")
}

/// Creates an empty rule set.
///
/// # Safety
/// `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_new(out: *mut *mut specrt_ruleset) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = handle::into_raw::<specrt_ruleset>(RuleSetInner::new(RuleSet::new(), Vec::new()))?;
        Ok(())
    })
}

/// Frees a rule set (scanners made from it stay valid). NULL is accepted and ignored.
///
/// # Safety
/// `ruleset` must be NULL or a live rule set not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_free(ruleset: *mut specrt_ruleset) {
    status_call(|| handle::free(ruleset));
}

/// Adds string `string_id` to rule `rule_id` (created on first use): `len` bytes (1 to
/// `SPECRT_MAX_STRING_BYTES`) and an optional per-byte `mask` (NULL for an exact string; a data
/// byte `d` matches when `d & mask[i] == bytes[i] & mask[i]`), with `SPECRT_STRING_*` flags.
///
/// # Safety
/// `bytes` (and `mask` when not NULL) must be valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_add_string(
    ruleset: *mut specrt_ruleset,
    rule_id: u32,
    string_id: u32,
    bytes: *const u8,
    mask: *const u8,
    len: usize,
    flags: specrt_string_flags,
) -> specrt_status {
    status_call(|| {
        let known = SPECRT_STRING_NOCASE
            | SPECRT_STRING_WIDE
            | SPECRT_STRING_ASCII
            | SPECRT_STRING_FULLWORD;
        if flags & !known != 0 {
            return Err(Error::invalid(format!(
                "flags 0x{flags:x} has unknown SPECRT_STRING_* bits"
            )));
        }
        let bytes = args::bytes(bytes, len, "bytes")?;
        let mask = if mask.is_null() {
            &[][..]
        } else {
            args::bytes(mask, len, "mask")?
        };
        let flags = StringFlags {
            nocase: flags & SPECRT_STRING_NOCASE != 0,
            wide: flags & SPECRT_STRING_WIDE != 0,
            ascii: flags & SPECRT_STRING_ASCII != 0,
            fullword: flags & SPECRT_STRING_FULLWORD != 0,
        };
        handle::borrow(ruleset.cast_const(), "ruleset")?
            .lock()
            .add_string(rule_id, string_id, bytes, mask, flags)
    })
}

/// Number of strings in the rule set (0 with a last error on a bad handle).
///
/// # Safety
/// `ruleset` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_string_count(ruleset: *const specrt_ruleset) -> usize {
    value_call(0, || {
        Ok(handle::borrow(ruleset, "ruleset")?.lock().string_count())
    })
}

/// Saves a rule set (compiled from YARA source or built with `specrt_ruleset_add_string`) to
/// `path`, so that other processes load it with `specrt_ruleset_load` instead of compiling
/// again (as `yarac` does). The file is written to a temporary name and renamed. The list of
/// skipped rules is not saved.
///
/// # Safety
/// `ruleset` must be NULL or a specrt handle; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_save(
    ruleset: *const specrt_ruleset,
    path: *const c_char,
) -> specrt_status {
    status_call(|| {
        let inner = handle::borrow(ruleset, "ruleset")?;
        let path = std::path::PathBuf::from(args::c_str(path, "path")?);
        let rules = inner.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules.save(&path)
    })
}

/// Loads a rule set saved by `specrt_ruleset_save`. A file of another kind, of another format
/// version, truncated or altered is refused with `SPECRT_ERROR_PARSE` and a message that says
/// which; an unreadable file is `SPECRT_ERROR_IO`.
///
/// # Safety
/// `path` must be NUL-terminated; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_load(
    path: *const c_char,
    out: *mut *mut specrt_ruleset,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let path = std::path::PathBuf::from(args::c_str(path, "path")?);
        let rules = crate::scan::RuleSet::load(&path)?;
        *out = handle::into_raw::<specrt_ruleset>(RuleSetInner::new(rules, Vec::new()))?;
        Ok(())
    })
}
