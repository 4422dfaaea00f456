//! C ABI: scans of memory and files, and their callbacks.

use super::args;
use super::boundary::status_call;
use super::handle;
use super::last_error::set_last_error;
use super::scan_options::{specrt_scan_options, specrt_scan_options_default, to_options};
use super::scan_result::{specrt_match, specrt_scan_result, ScanResultInner};
use super::scanner::specrt_scanner;
use super::status::{specrt_status, status_of, SPECRT_OK};
use crate::scan::{Match, ScanOptions, ScanResult};
use crate::{Error, Result};
use std::ffi::{c_char, c_int, c_void};

/// Receives each chunk's matches (sorted by offset, rule, string, length) during a scan; the
/// array is valid only during the call. Return non-zero to stop the scan.
pub type specrt_match_fn = Option<
    unsafe extern "C" fn(
        matches: *const specrt_match,
        count: usize,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Receives (bytes done, bytes total) after each chunk of a file scan. Return non-zero to stop.
pub type specrt_progress_fn =
    Option<unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void) -> c_int>;

/// Shared tail of the scan entry points: options, callbacks, and the result handle.
unsafe fn run_scan(
    options: *const specrt_scan_options,
    on_match: specrt_match_fn,
    progress: specrt_progress_fn,
    user_data: *mut c_void,
    out: *mut *mut specrt_scan_result,
    scan: impl FnOnce(
        &ScanOptions,
        Option<&mut crate::scan::scanner::MatchSink>,
        Option<&mut crate::scan::scanner::Progress>,
    ) -> Result<ScanResult>,
) -> Result<()> {
    let out = args::out(out, "out")?;
    let options = match options.as_ref() {
        Some(o) => to_options(o)?,
        None => to_options(&specrt_scan_options_default())?,
    };
    let mut sink = |matches: &[Match]| match on_match {
        Some(f) => {
            let view: Vec<specrt_match> = matches.iter().map(Into::into).collect();
            f(view.as_ptr(), view.len(), user_data) == 0
        }
        None => true,
    };
    let mut report = |done: u64, total: u64| match progress {
        Some(f) => f(done, total, user_data) == 0,
        None => true,
    };
    let result = scan(
        &options,
        on_match
            .is_some()
            .then_some(&mut sink as &mut crate::scan::scanner::MatchSink),
        progress
            .is_some()
            .then_some(&mut report as &mut crate::scan::scanner::Progress),
    )?;
    let matches = result.matches.iter().map(Into::into).collect();
    *out = handle::into_raw::<specrt_scan_result>(ScanResultInner { result, matches })?;
    Ok(())
}

/// Scans `len` bytes of `data` (any size: large inputs are streamed to the GPU in overlapping
/// chunks). `options` may be NULL for the defaults; `on_match` (may be NULL) receives each
/// chunk's matches and may stop the scan. Force on a CPU-only scanner is
/// `SPECRT_ERROR_UNSUPPORTED`.
///
/// # Safety
/// `data` must be valid for `len` bytes; other pointers valid or NULL where allowed.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan(
    scanner: *const specrt_scanner,
    data: *const u8,
    len: usize,
    options: *const specrt_scan_options,
    on_match: specrt_match_fn,
    user_data: *mut c_void,
    out: *mut *mut specrt_scan_result,
) -> specrt_status {
    status_call(|| {
        let scanner = handle::borrow(scanner, "scanner")?;
        let data = args::bytes(data, len, "data")?;
        run_scan(options, on_match, None, user_data, out, |o, m, p| {
            scanner.scan(data, o, m, p)
        })
    })
}

/// Scans the file at `path`, reading it chunk by chunk (never memory-mapped); `progress` (may
/// be NULL) receives (bytes done, total) after each chunk and may stop the scan, like
/// `on_match`. The size at open time is scanned; a file that shrinks during the scan is
/// `SPECRT_ERROR_IO` ("it shrank while being scanned"). Pipes, devices and other non-regular
/// files are read whole first.
///
/// # Safety
/// `path` must be NUL-terminated; other pointers valid or NULL where allowed.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_file(
    scanner: *const specrt_scanner,
    path: *const c_char,
    options: *const specrt_scan_options,
    on_match: specrt_match_fn,
    progress: specrt_progress_fn,
    user_data: *mut c_void,
    out: *mut *mut specrt_scan_result,
) -> specrt_status {
    status_call(|| {
        let scanner = handle::borrow(scanner, "scanner")?;
        let path = std::path::PathBuf::from(args::c_str(path, "path")?);
        run_scan(options, on_match, progress, user_data, out, |o, m, p| {
            scanner.scan_file(&path, o, m, p)
        })
    })
}

/// Receives one file's outcome of `specrt_scan_files`: its index in the caller's list, and
/// either `SPECRT_OK` with its result, or an error status with `result` NULL and the message in
/// `specrt_last_error()`. `result` is valid only during the call (the library frees it after).
/// Return non-zero to stop the scan.
pub type specrt_file_result_fn = Option<
    unsafe extern "C" fn(
        index: usize,
        status: specrt_status,
        result: *const specrt_scan_result,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Scans `count` files: on a GPU, small files are packed into large chunks and scanned in a
/// pipeline (read, scan and evaluate overlap), which is much faster than one `specrt_scan_file`
/// per file; on the CPU backend, files are scanned on all threads. `on_file` (required) is
/// called on this thread for every file, in completion order, with that file's result, equal
/// to what `specrt_scan_file` returns for it; a file that cannot be read is reported through
/// `on_file` with its error, and the scan goes on. Returns `SPECRT_OK` also when `on_file`
/// stopped the scan (files not yet reported are then left out); an error status when the scan
/// as a whole failed (such as a lost device).
///
/// # Safety
/// `paths` must hold `count` NUL-terminated strings; other pointers valid or NULL where
/// allowed.
#[no_mangle]
pub unsafe extern "C" fn specrt_scan_files(
    scanner: *const specrt_scanner,
    paths: *const *const c_char,
    count: usize,
    options: *const specrt_scan_options,
    on_file: specrt_file_result_fn,
    user_data: *mut c_void,
) -> specrt_status {
    status_call(|| {
        let scanner = handle::borrow(scanner, "scanner")?;
        let on_file = on_file.ok_or(Error::NullPointer(
            "on_file is NULL; pass a function that receives each file",
        ))?;
        if paths.is_null() {
            return Err(Error::NullPointer("paths is NULL"));
        }
        let list: &[*const c_char] = if count == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(paths, count)
        };
        let paths = list
            .iter()
            .map(|&p| args::c_str(p, "paths[i]").map(std::path::PathBuf::from))
            .collect::<Result<Vec<_>>>()?;
        let options = match options.as_ref() {
            Some(o) => to_options(o)?,
            None => to_options(&specrt_scan_options_default())?,
        };
        let publish = |result: ScanResult| {
            let matches = result.matches.iter().map(Into::into).collect();
            handle::into_raw::<specrt_scan_result>(ScanResultInner { result, matches })
        };
        scanner.scan_files(
            &paths,
            &options,
            &mut |index, outcome| match outcome.and_then(publish) {
                Ok(handle) => {
                    let go_on = on_file(index, SPECRT_OK, handle, user_data) == 0;
                    let _ = handle::free(handle);
                    go_on
                }
                Err(e) => {
                    set_last_error(&e.to_string());
                    on_file(index, status_of(&e), std::ptr::null(), user_data) == 0
                }
            },
        )
    })
}
