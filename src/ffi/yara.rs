//! C ABI: compiling YARA source into a rule set, the rules it skipped, and the names and tags
//! of a scanner's rules and strings.

use super::args;
use super::boundary::{status_call, value_call};
use super::handle;
use super::ruleset::{specrt_ruleset, RuleSetInner, SkippedC};
use super::scanner::{specrt_scanner, ScannerInner};
use super::status::specrt_status;
use crate::scan::logic::{MetaValue, RuleLogic};
use crate::scan::yara::{
    CompileOptions, Compiler, External, NoIncludes, Source, DEFAULT_NAMESPACE,
};
use crate::{Error, Result};
use std::ffi::c_char;

/// Largest YARA source `specrt_ruleset_compile` accepts, bytes (`SPECRT_ERROR_TOO_LARGE` above).
pub const SPECRT_MAX_YARA_SOURCE_BYTES: u32 = 16 << 20;
/// Most fixed patterns one hex string may expand to (the product of its jump ranges and
/// alternatives; `SPECRT_ERROR_PARSE` above).
pub const SPECRT_MAX_HEX_VARIANTS: u32 = 1024;
/// Most pattern bytes a compiled rule set holds after hex expansion (`SPECRT_ERROR_TOO_LARGE`).
pub const SPECRT_MAX_PATTERN_BYTES: u32 = 256 << 20;

const _: () = assert!(SPECRT_MAX_YARA_SOURCE_BYTES as usize == crate::scan::yara::MAX_SOURCE_BYTES);
const _: () = assert!(SPECRT_MAX_HEX_VARIANTS as usize == crate::scan::yara::MAX_VARIANTS);
const _: () = assert!(SPECRT_MAX_PATTERN_BYTES as usize == crate::scan::yara::MAX_PATTERN_BYTES);

/// Bits of `specrt_compile_options.flags`.
pub type specrt_compile_flags = u32;
/// Skip rules that use unsupported YARA constructs (listed by `specrt_ruleset_skipped`)
/// instead of failing the compilation.
pub const SPECRT_COMPILE_SKIP_UNSUPPORTED: specrt_compile_flags = 1;
/// Refuse `include` statements (by default they read files relative to the including file's
/// directory, or go to the callback of `specrt_compiler_set_include_callback`).
pub const SPECRT_COMPILE_NO_INCLUDES: specrt_compile_flags = 2;
/// Every `SPECRT_COMPILE_*` bit.
const KNOWN_FLAGS: specrt_compile_flags =
    SPECRT_COMPILE_SKIP_UNSUPPORTED | SPECRT_COMPILE_NO_INCLUDES;

/// How `specrt_ruleset_compile` compiles; zero-initialise it (or pass NULL) for the defaults.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_compile_options {
    /// `SPECRT_COMPILE_*` bits.
    pub flags: specrt_compile_flags,
    /// Name of the source in error messages (e.g. its file name); NULL for "rules".
    pub origin: *const c_char,
    /// External variables the conditions may use (`yara -d`), fixed at compile time; NULL when
    /// `external_count` is 0.
    pub externals: *const specrt_external,
    /// Entries of `externals`.
    pub external_count: usize,
}

/// Kinds of `specrt_external` values.
pub type specrt_external_kind = u32;
/// An integer (`specrt_external.integer`).
pub const SPECRT_EXTERNAL_INTEGER: specrt_external_kind = 0;
/// A floating-point number (`specrt_external.number`).
pub const SPECRT_EXTERNAL_FLOAT: specrt_external_kind = 1;
/// `true` or `false` (`specrt_external.boolean`).
pub const SPECRT_EXTERNAL_BOOLEAN: specrt_external_kind = 2;
/// A text (`specrt_external.text`, `text_len` bytes).
pub const SPECRT_EXTERNAL_TEXT: specrt_external_kind = 3;

/// An external variable: a name the conditions may use as a value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_external {
    /// The identifier.
    pub name: *const c_char,
    /// `SPECRT_EXTERNAL_*`.
    pub kind: specrt_external_kind,
    /// The value of an integer.
    pub integer: i64,
    /// The value of a float.
    pub number: f64,
    /// The value of a boolean.
    pub boolean: bool,
    /// The bytes of a text (any bytes; NULL when `text_len` is 0).
    pub text: *const u8,
    /// Bytes of `text`.
    pub text_len: usize,
}

/// What `specrt_compile_options` asks for, checked.
pub(crate) struct CompileSettings {
    /// The compiler's options.
    pub(crate) options: CompileOptions,
    /// The origin of a source given as text.
    pub(crate) origin: String,
    /// Whether `include` may read files (or call the include callback).
    pub(crate) includes: bool,
}

impl CompileSettings {
    /// The settings of `options` (NULL for the defaults).
    ///
    /// # Safety
    /// `options` must be NULL or valid, with valid externals.
    pub(crate) unsafe fn of(options: *const specrt_compile_options) -> Result<Self> {
        let Some(o) = options.as_ref() else {
            return Ok(Self {
                options: CompileOptions::default(),
                origin: "rules".into(),
                includes: true,
            });
        };
        if o.flags & !KNOWN_FLAGS != 0 {
            return Err(Error::invalid(format!(
                "options->flags 0x{:x} has unknown SPECRT_COMPILE_* bits",
                o.flags
            )));
        }
        let origin = if o.origin.is_null() {
            "rules"
        } else {
            args::c_str(o.origin, "options->origin")?
        };
        Ok(Self {
            options: CompileOptions {
                skip_unsupported: o.flags & SPECRT_COMPILE_SKIP_UNSUPPORTED != 0,
                externals: externals_of(o)?,
            },
            origin: origin.to_string(),
            includes: o.flags & SPECRT_COMPILE_NO_INCLUDES == 0,
        })
    }
}

/// The externals of `options`, checked.
///
/// # Safety
/// `options.externals` must be NULL or point at `external_count` entries, each with a valid
/// name and text.
unsafe fn externals_of(options: &specrt_compile_options) -> Result<Vec<(String, External)>> {
    if options.external_count == 0 {
        return Ok(Vec::new());
    }
    if options.externals.is_null() {
        return Err(Error::NullPointer("options->externals"));
    }
    let entries = std::slice::from_raw_parts(options.externals, options.external_count);
    entries
        .iter()
        .map(|e| {
            let name = args::c_str(e.name, "options->externals[].name")?;
            let valid_identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_identifier {
                return Err(Error::invalid(format!(
                    "external variable name `{name}` is not an identifier"
                )));
            }
            let value = match e.kind {
                SPECRT_EXTERNAL_INTEGER => External::Integer(e.integer),
                SPECRT_EXTERNAL_FLOAT => External::Float(e.number),
                SPECRT_EXTERNAL_BOOLEAN => External::Boolean(e.boolean),
                SPECRT_EXTERNAL_TEXT => External::Text(
                    args::bytes(e.text, e.text_len, "options->externals[].text")?.to_vec(),
                ),
                other => {
                    return Err(Error::invalid(format!(
                        "external `{name}` has unknown kind {other} (SPECRT_EXTERNAL_*)"
                    )))
                }
            };
            Ok((name.to_string(), value))
        })
        .collect()
}

/// A rule that `specrt_ruleset_compile` left out, and why. The strings are valid while the
/// rule set lives.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_skipped_rule {
    /// The rule's name ("" for a top-level statement such as `import`).
    pub rule: *const c_char,
    /// 1-based line of the unsupported construct.
    pub line: u32,
    /// 1-based column of the unsupported construct.
    pub column: u32,
    /// What the construct is.
    pub construct: *const c_char,
}

/// A YARA rule of a scanner. The strings are valid while the scanner lives.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_rule_info {
    /// The rule's name.
    pub name: *const c_char,
    /// Its tags, separated by single spaces ("" for none).
    pub tags: *const c_char,
    /// Number of strings (their ids are 0 to string_count - 1).
    pub string_count: u32,
    /// Declared `private` (never in scan results).
    pub is_private: bool,
    /// Declared `global`.
    pub is_global: bool,
    /// Number of `meta:` entries (read with `specrt_scanner_rule_meta`).
    pub meta_count: u32,
    /// Its namespace ("default" unless added with one through `specrt_compiler`).
    pub namespace_: *const c_char,
}

/// Kinds of `specrt_meta` values.
pub type specrt_meta_kind = u32;
/// An integer (`specrt_meta.integer`).
pub const SPECRT_META_INTEGER: specrt_meta_kind = 0;
/// `true` or `false` (`specrt_meta.boolean`).
pub const SPECRT_META_BOOLEAN: specrt_meta_kind = 1;
/// A text string (`specrt_meta.text`, `text_len` bytes).
pub const SPECRT_META_TEXT: specrt_meta_kind = 2;

/// A `meta:` entry of a YARA rule. The strings are valid while the scanner lives.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_meta {
    /// The key.
    pub key: *const c_char,
    /// `SPECRT_META_*`.
    pub kind: specrt_meta_kind,
    /// The value of an integer entry (0 otherwise).
    pub integer: i64,
    /// The value of a boolean entry (false otherwise).
    pub boolean: bool,
    /// The bytes of a text entry, NUL-terminated ("" otherwise); escapes such as `\x00` may
    /// put NUL bytes inside, so use `text_len`.
    pub text: *const c_char,
    /// Bytes of `text` before its terminating NUL.
    pub text_len: usize,
}

/// A string of a YARA rule. The name is valid while the scanner lives.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_string_info {
    /// The identifier including `$` (`$` alone for an anonymous string).
    pub name: *const c_char,
    /// Whether it is a hex string (`yara -s` prints their data as hex bytes).
    pub is_hex: bool,
}

/// Compiles YARA source text (`len` bytes, need not be NUL-terminated) into a rule set for
/// `specrt_scanner_new`. Rule ids are the rules' positions in the source (0, 1, ...; skipped
/// rules take no id) and string ids their positions within the rule. Syntax errors are
/// `SPECRT_ERROR_PARSE`; valid YARA this compiler does not support (regular expressions,
/// modules, `for` loops, `xor`, `base64`, ...) is `SPECRT_ERROR_UNSUPPORTED`, both with
/// "origin:line:column: what" in `specrt_last_error()`, unless `options` asks to skip such
/// rules. `options` may be NULL. Sources over 16 MiB are `SPECRT_ERROR_TOO_LARGE`.
///
/// # Safety
/// `source` must be valid for `len` bytes; `options` NULL or valid; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_compile(
    source: *const c_char,
    len: usize,
    options: *const specrt_compile_options,
    out: *mut *mut specrt_ruleset,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        if len > crate::scan::yara::MAX_SOURCE_BYTES {
            return Err(Error::TooLarge(format!(
                "{len} bytes of YARA source; at most {SPECRT_MAX_YARA_SOURCE_BYTES}"
            )));
        }
        let source = args::bytes(source.cast(), len, "source")?;
        let settings = CompileSettings::of(options)?;
        let source = Source {
            text: source.to_vec(),
            origin: settings.origin.clone(),
            namespace: DEFAULT_NAMESPACE.into(),
        };
        let mut compiler = Compiler::new(settings.options.clone());
        match settings.includes {
            true => compiler.add(&source)?,
            false => compiler.add_with(&source, &mut NoIncludes)?,
        }
        let compiled = compiler.build()?;
        let skipped = compiled.skipped.into_iter().map(SkippedC::from).collect();
        *out = handle::into_raw::<specrt_ruleset>(RuleSetInner::new(compiled.rules, skipped))?;
        Ok(())
    })
}

/// Number of rules `specrt_ruleset_compile` skipped (0 with a last error on a bad handle).
///
/// # Safety
/// `ruleset` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_skipped_count(ruleset: *const specrt_ruleset) -> usize {
    value_call(0, || Ok(handle::borrow(ruleset, "ruleset")?.skipped.len()))
}

/// Skipped rule `index` (0 to `specrt_ruleset_skipped_count() - 1`).
///
/// # Safety
/// `ruleset` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_ruleset_skipped(
    ruleset: *const specrt_ruleset,
    index: usize,
    out: *mut specrt_skipped_rule,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let skipped = &handle::borrow(ruleset, "ruleset")?.skipped;
        let s = args::element(skipped, index, "skipped rule index")?;
        *out = specrt_skipped_rule {
            rule: s.rule.as_ptr(),
            line: s.line,
            column: s.column,
            construct: s.construct.as_ptr(),
        };
        Ok(())
    })
}

/// The YARA logic of a scanner, or an error for a programmatic rule set.
fn logic(scanner: &ScannerInner) -> Result<&RuleLogic> {
    scanner.rules().logic.as_deref().ok_or_else(|| {
        Error::invalid(
            "this scanner's rule set was built with specrt_ruleset_add_string, not compiled \
             from YARA source; its rules have no names",
        )
    })
}

/// Number of rules of a scanner compiled from YARA source (0 with a last error otherwise).
///
/// # Safety
/// `scanner` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_scanner_rule_count(scanner: *const specrt_scanner) -> usize {
    value_call(0, || {
        Ok(logic(handle::borrow(scanner, "scanner")?)?.rules.len())
    })
}

/// Name, tags, string count and modifiers of rule `rule_id` of a scanner compiled from YARA
/// source.
///
/// # Safety
/// `scanner` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_scanner_rule_info(
    scanner: *const specrt_scanner,
    rule_id: u32,
    out: *mut specrt_rule_info,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let inner = handle::borrow(scanner, "scanner")?;
        let rule = args::element(&logic(inner)?.rules, rule_id as usize, "rule id")?;
        let names = &inner.names[rule_id as usize];
        *out = specrt_rule_info {
            name: names.name.as_ptr(),
            tags: names.tags.as_ptr(),
            string_count: rule.strings.len() as u32,
            is_private: rule.private,
            is_global: rule.global,
            meta_count: rule.meta.len() as u32,
            namespace_: inner
                .namespaces
                .get(rule.namespace as usize)
                .map_or(c"default".as_ptr(), |n| n.as_ptr()),
        };
        Ok(())
    })
}

/// Entry `index` (0 to `meta_count - 1`, in source order) of rule `rule_id`'s `meta:`.
///
/// # Safety
/// `scanner` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_scanner_rule_meta(
    scanner: *const specrt_scanner,
    rule_id: u32,
    index: u32,
    out: *mut specrt_meta,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let inner = handle::borrow(scanner, "scanner")?;
        let rule = args::element(&logic(inner)?.rules, rule_id as usize, "rule id")?;
        let (_, value) = args::element(&rule.meta, index as usize, "meta index")?;
        let (key, text) = &inner.names[rule_id as usize].meta[index as usize];
        let (kind, integer, boolean) = match value {
            MetaValue::Integer(i) => (SPECRT_META_INTEGER, *i, false),
            MetaValue::Boolean(b) => (SPECRT_META_BOOLEAN, 0, *b),
            MetaValue::Text(_) => (SPECRT_META_TEXT, 0, false),
        };
        *out = specrt_meta {
            key: key.as_ptr(),
            kind,
            integer,
            boolean,
            text: text.as_ptr().cast(),
            text_len: text.len() - 1,
        };
        Ok(())
    })
}

/// Name and kind of string `string_id` of rule `rule_id` (as in `specrt_match`).
///
/// # Safety
/// `scanner` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_scanner_string_info(
    scanner: *const specrt_scanner,
    rule_id: u32,
    string_id: u32,
    out: *mut specrt_string_info,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let inner = handle::borrow(scanner, "scanner")?;
        let rule = args::element(&logic(inner)?.rules, rule_id as usize, "rule id")?;
        let string = args::element(&rule.strings, string_id as usize, "string id")?;
        *out = specrt_string_info {
            name: inner.names[rule_id as usize].strings[string_id as usize].as_ptr(),
            is_hex: string.is_hex,
        };
        Ok(())
    })
}
