//! C ABI: the confirm callback of the serial path and the io handle it reads and writes through.

use super::args;
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::inputs::specrt_bytes;
use super::status::{specrt_status, SPECRT_OK};
use crate::gpu::dispatch::ConfirmRequest;
use crate::{Error, Result};
use std::ffi::c_void;
use std::sync::Mutex;

/// Most outputs a confirm callback may set.
pub const SPECRT_MAX_CONFIRM_OUTPUTS: u32 = 32;

/// What the serial path gives the confirm callback; valid only during the callback. Its calls
/// may come from any thread the callback uses.
pub struct specrt_confirm_io {
    _opaque: [u8; 0],
}

/// The engine's confirm step of the serial path. Read the prefilter outputs (and inputs) with
/// `specrt_confirm_io_*`, set the confirmed outputs with `specrt_confirm_io_set_output` (indices
/// 0..n-1, n = the fused program's output count when the plan has one), and return `SPECRT_OK`.
/// Another `SPECRT_ERROR_*` code aborts the dispatch, which returns that code; any other non-zero
/// value aborts it with `SPECRT_ERROR_CALLBACK`.
pub type specrt_confirm_fn = Option<
    unsafe extern "C" fn(io: *mut specrt_confirm_io, user_data: *mut c_void) -> specrt_status,
>;

/// The Rust side of a confirm io handle: borrowed views of one dispatch.
pub struct ConfirmIo {
    inputs: Vec<(*const u8, usize)>,
    prefilter_outputs: Vec<(*const u8, usize)>,
    outputs: Mutex<Vec<Option<Vec<u8>>>>,
}

impl Handle for specrt_confirm_io {
    type Inner = ConfirmIo;
    const TAG: u8 = tags::CONFIRM_IO;
    const NAME: &'static str = "specrt_confirm_io";
}

/// Calls the engine's confirm callback with an io handle over `req`.
pub(crate) unsafe fn run_confirm(
    confirm: specrt_confirm_fn,
    user_data: *mut c_void,
    req: &ConfirmRequest,
) -> Result<Vec<Vec<u8>>> {
    let confirm = confirm.ok_or(Error::NullPointer("confirm (the serial path needs it)"))?;
    let view = |b: &[u8]| (b.as_ptr(), b.len());
    let io = handle::into_raw::<specrt_confirm_io>(ConfirmIo {
        inputs: req.inputs.iter().map(|b| view(b)).collect(),
        prefilter_outputs: req.prefilter_outputs.iter().map(|b| view(b)).collect(),
        outputs: Mutex::new(Vec::new()),
    })?;
    let status = confirm(io, user_data);
    let outputs = handle::borrow(io, "io")
        .map(|io| std::mem::take(&mut *io.outputs.lock().unwrap_or_else(|p| p.into_inner())));
    handle::free(io)?;
    if status != SPECRT_OK {
        return Err(Error::Callback {
            status,
            message: format!(
                "the confirm callback returned {} ({status})",
                std::ffi::CStr::from_ptr(super::status::specrt_status_str(status))
                    .to_string_lossy()
            ),
        });
    }
    outputs?
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.ok_or_else(|| Error::Callback {
                status: 0,
                message: format!("the confirm callback set a later output but not output {i}"),
            })
        })
        .collect()
}

fn view_at(views: &[(*const u8, usize)], index: u32, what: &str) -> Result<specrt_bytes> {
    let &(data, len) = args::element(views, index as usize, &format!("{what} index"))?;
    Ok(specrt_bytes { data, len })
}

/// Number of dispatch inputs (0 with a last error on a bad handle).
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_input_count(io: *const specrt_confirm_io) -> u32 {
    value_call(0, || Ok(handle::borrow(io, "io")?.inputs.len() as u32))
}

/// The dispatch's input `index` as a byte view, valid during the callback.
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_input(
    io: *const specrt_confirm_io,
    index: u32,
    out: *mut specrt_bytes,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = view_at(&handle::borrow(io, "io")?.inputs, index, "input")?;
        Ok(())
    })
}

/// Number of prefilter outputs (0 with a last error on a bad handle).
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_prefilter_output_count(
    io: *const specrt_confirm_io,
) -> u32 {
    value_call(0, || {
        Ok(handle::borrow(io, "io")?.prefilter_outputs.len() as u32)
    })
}

/// Prefilter output `index` (its tail included) as a byte view, valid during the callback.
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_prefilter_output(
    io: *const specrt_confirm_io,
    index: u32,
    out: *mut specrt_bytes,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = view_at(
            &handle::borrow(io, "io")?.prefilter_outputs,
            index,
            "prefilter output",
        )?;
        Ok(())
    })
}

/// Sets confirmed output `index` to a copy of `data[0..len]` (a later call replaces it).
/// `index` must be below `SPECRT_MAX_CONFIRM_OUTPUTS`.
///
/// # Safety
/// `io` must be the handle passed to the running confirm callback; `data` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn specrt_confirm_io_set_output(
    io: *mut specrt_confirm_io,
    index: u32,
    data: *const u8,
    len: usize,
) -> specrt_status {
    status_call(|| {
        let io = handle::borrow(io.cast_const(), "io")?;
        if index >= SPECRT_MAX_CONFIRM_OUTPUTS {
            return Err(Error::invalid(format!(
                "output index {index} is not below SPECRT_MAX_CONFIRM_OUTPUTS ({SPECRT_MAX_CONFIRM_OUTPUTS})"
            )));
        }
        let bytes = args::bytes(data, len, "data")?.to_vec();
        let mut outputs = io.outputs.lock().unwrap_or_else(|p| p.into_inner());
        if outputs.len() <= index as usize {
            outputs.resize(index as usize + 1, None);
        }
        outputs[index as usize] = Some(bytes);
        Ok(())
    })
}
