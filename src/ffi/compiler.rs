//! C ABI: a YARA compiler that takes several sources, each in a namespace, with `include`
//! resolved from files or by the engine's callback (yara's `YR_COMPILER`).

use super::args;
use super::boundary::status_call;
use super::handle::{self, tags, Handle};
use super::ruleset::{specrt_ruleset, RuleSetInner, SkippedC};
use super::status::specrt_status;
use super::yara::{specrt_compile_options, CompileSettings};
use crate::scan::yara::{
    Compiler, FileIncludes, IncludeResolver, NoIncludes, Source, DEFAULT_NAMESPACE,
    MAX_SOURCE_BYTES,
};
use crate::{Error, Result};
use std::ffi::{c_char, c_void, CString};
use std::sync::Mutex;

/// Finds the text of `include "name"`: returns `*source_len` bytes of YARA source (need not
/// be NUL-terminated, valid until the free callback gets them), or NULL when there is none.
/// `including_origin` names the source that includes it. Called on the thread adding the
/// source.
pub type specrt_include_callback = Option<
    unsafe extern "C" fn(
        name: *const c_char,
        including_origin: *const c_char,
        user_data: *mut c_void,
        source_len: *mut usize,
    ) -> *const c_char,
>;

/// Releases a text the include callback returned (may be NULL when nothing needs freeing).
pub type specrt_include_free_callback =
    Option<unsafe extern "C" fn(source: *const c_char, user_data: *mut c_void)>;

/// A compilation of several YARA sources into one rule set: create it with
/// `specrt_compiler_new`, add sources with `specrt_compiler_add_source` or
/// `specrt_compiler_add_file`, then `specrt_compiler_build`. Thread safety: calls lock it.
pub struct specrt_compiler {
    _opaque: [u8; 0],
}

/// The include callback an engine registered.
#[derive(Clone, Copy)]
struct IncludeCallback {
    find: unsafe extern "C" fn(
        *const c_char,
        *const c_char,
        *mut c_void,
        *mut usize,
    ) -> *const c_char,
    free: specrt_include_free_callback,
    user_data: *mut c_void,
}

impl IncludeResolver for IncludeCallback {
    fn include(
        &mut self,
        name: &str,
        from: &str,
    ) -> std::result::Result<(String, Vec<u8>), String> {
        let c_name = CString::new(name).map_err(|_| "the name holds a NUL byte".to_string())?;
        let c_from = CString::new(from).unwrap_or_default();
        let mut len = 0usize;
        // SAFETY: the engine registered `find` for exactly these arguments.
        let text =
            unsafe { (self.find)(c_name.as_ptr(), c_from.as_ptr(), self.user_data, &mut len) };
        if text.is_null() {
            return Err("the include callback found no such source".into());
        }
        let copy = if len > MAX_SOURCE_BYTES {
            Err(format!(
                "the include callback returned {len} bytes; at most {MAX_SOURCE_BYTES}"
            ))
        } else {
            // SAFETY: the callback returns `len` readable bytes.
            Ok(unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) }.to_vec())
        };
        if let Some(free) = self.free {
            // SAFETY: `text` came from `find`, and is released once.
            unsafe { free(text, self.user_data) };
        }
        Ok((name.to_string(), copy?))
    }
}

/// The Rust side of a compiler handle.
pub struct CompilerInner {
    state: Mutex<CompilerState>,
}

struct CompilerState {
    /// None once built.
    compiler: Option<Compiler>,
    origin: String,
    includes: bool,
    callback: Option<IncludeCallback>,
}

// SAFETY: the callback's user data is the engine's to make thread-safe; the compiler only
// calls it while the handle's lock is held.
unsafe impl Send for CompilerState {}

impl Handle for specrt_compiler {
    type Inner = CompilerInner;
    const TAG: u8 = tags::COMPILER;
    const NAME: &'static str = "specrt_compiler";
}

impl CompilerState {
    fn add(&mut self, source: Source) -> Result<()> {
        let compiler = self
            .compiler
            .as_mut()
            .ok_or_else(|| Error::invalid("this compiler was already built; create a new one"))?;
        match (self.includes, self.callback) {
            (false, _) => compiler.add_with(&source, &mut NoIncludes),
            (true, Some(mut callback)) => compiler.add_with(&source, &mut callback),
            (true, None) => compiler.add_with(&source, &mut FileIncludes),
        }
    }
}

/// The namespace argument: NULL for yara's default.
unsafe fn namespace_of(namespace_: *const c_char) -> Result<String> {
    if namespace_.is_null() {
        return Ok(DEFAULT_NAMESPACE.into());
    }
    let name = args::c_str(namespace_, "namespace_")?;
    if name.is_empty() {
        return Err(Error::invalid(
            "namespace_ is empty; pass NULL for the default",
        ));
    }
    Ok(name.to_string())
}

/// Creates a compiler with `options` (NULL for the defaults: externals, skipping and
/// `SPECRT_COMPILE_NO_INCLUDES` apply to every source; `origin` names sources added as text
/// without one).
///
/// # Safety
/// `options` must be NULL or valid; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_compiler_new(
    options: *const specrt_compile_options,
    out: *mut *mut specrt_compiler,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let settings = CompileSettings::of(options)?;
        let state = CompilerState {
            compiler: Some(Compiler::new(settings.options)),
            origin: settings.origin,
            includes: settings.includes,
            callback: None,
        };
        *out = handle::into_raw::<specrt_compiler>(CompilerInner {
            state: Mutex::new(state),
        })?;
        Ok(())
    })
}

/// Frees a compiler. NULL is accepted and ignored.
///
/// # Safety
/// `compiler` must be NULL or a live compiler not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_compiler_free(compiler: *mut specrt_compiler) {
    status_call(|| handle::free(compiler));
}

/// Makes `include "name"` call `callback` instead of reading files (NULL `callback`: files
/// again). `free_callback` (may be NULL) releases each text `callback` returned.
///
/// # Safety
/// `compiler` must be a specrt handle; the callbacks must be safe to call with `user_data`
/// while sources are added.
#[no_mangle]
pub unsafe extern "C" fn specrt_compiler_set_include_callback(
    compiler: *mut specrt_compiler,
    callback: specrt_include_callback,
    free_callback: specrt_include_free_callback,
    user_data: *mut c_void,
) -> specrt_status {
    status_call(|| {
        let inner = handle::borrow(compiler, "compiler")?;
        let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        state.callback = callback.map(|find| IncludeCallback {
            find,
            free: free_callback,
            user_data,
        });
        Ok(())
    })
}

/// Adds YARA source text (`len` bytes, need not be NUL-terminated) to `namespace_` (NULL:
/// "default"), named `origin` in messages (NULL: the options' origin). The source is parsed
/// now: its errors come from this call (`SPECRT_ERROR_PARSE`, `SPECRT_ERROR_UNSUPPORTED`,
/// "origin:line:column: what"), and after an error the compiler refuses further calls.
///
/// # Safety
/// `compiler` must be a specrt handle; `source` valid for `len` bytes; `namespace_` and
/// `origin` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_compiler_add_source(
    compiler: *mut specrt_compiler,
    source: *const c_char,
    len: usize,
    namespace_: *const c_char,
    origin: *const c_char,
) -> specrt_status {
    status_call(|| {
        let inner = handle::borrow(compiler, "compiler")?;
        if len > MAX_SOURCE_BYTES {
            return Err(Error::TooLarge(format!(
                "{len} bytes of YARA source; at most {MAX_SOURCE_BYTES}"
            )));
        }
        let text = args::bytes(source.cast(), len, "source")?.to_vec();
        let namespace = namespace_of(namespace_)?;
        let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        let origin = if origin.is_null() {
            state.origin.clone()
        } else {
            args::c_str(origin, "origin")?.to_string()
        };
        state.add(Source {
            text,
            origin,
            namespace,
        })
    })
}

/// Adds the YARA file at `path` to `namespace_` (NULL: "default"); its includes are found
/// from its directory. Errors as `specrt_compiler_add_source`, and `SPECRT_ERROR_IO` when the
/// file cannot be read.
///
/// # Safety
/// `compiler` must be a specrt handle; `path` NUL-terminated; `namespace_` NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_compiler_add_file(
    compiler: *mut specrt_compiler,
    path: *const c_char,
    namespace_: *const c_char,
) -> specrt_status {
    status_call(|| {
        let inner = handle::borrow(compiler, "compiler")?;
        let path_text = args::c_str(path, "path")?;
        let namespace = namespace_of(namespace_)?;
        let file = std::path::Path::new(path_text);
        let size = std::fs::metadata(file)
            .map_err(|e| Error::io(file, "reading the YARA file", e))?
            .len();
        if size > MAX_SOURCE_BYTES as u64 {
            return Err(Error::TooLarge(format!(
                "{path_text}: {size} bytes of YARA source; at most {MAX_SOURCE_BYTES}"
            )));
        }
        let text = std::fs::read(file).map_err(|e| Error::io(file, "reading the YARA file", e))?;
        let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        state.add(Source {
            text,
            origin: path_text.to_string(),
            namespace,
        })
    })
}

/// Builds the rule set of every source added (for `specrt_scanner_new`; free it with
/// `specrt_ruleset_free`). Rule ids follow the order the sources were added in; rules skipped
/// under `SPECRT_COMPILE_SKIP_UNSUPPORTED` are listed by `specrt_ruleset_skipped`. A compiler
/// builds once.
///
/// # Safety
/// `compiler` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_compiler_build(
    compiler: *mut specrt_compiler,
    out: *mut *mut specrt_ruleset,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let inner = handle::borrow(compiler, "compiler")?;
        let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        let compiler = state
            .compiler
            .take()
            .ok_or_else(|| Error::invalid("this compiler was already built; create a new one"))?;
        let compiled = compiler.build()?;
        let skipped = compiled.skipped.into_iter().map(SkippedC::from).collect();
        *out = handle::into_raw::<specrt_ruleset>(RuleSetInner::new(compiled.rules, skipped))?;
        Ok(())
    })
}
