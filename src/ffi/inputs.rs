//! C ABI: byte views and the input lists of programs and dispatches.

use super::args;
use crate::{Error, Result};

/// A read-only byte view.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_bytes {
    /// First byte (may be NULL when `len` is 0).
    pub data: *const u8,
    /// Length in bytes.
    pub len: usize,
}

/// The inputs of a dispatch, in binding order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_input_list {
    /// `count` byte views.
    pub items: *const specrt_bytes,
    /// Number of inputs.
    pub count: usize,
}

impl specrt_input_list {
    /// The inputs as Rust slices.
    pub(crate) unsafe fn views<'a>(&self) -> Result<Vec<&'a [u8]>> {
        if self.count == 0 {
            return Ok(Vec::new());
        }
        if self.items.is_null() {
            return Err(Error::NullPointer("inputs->items"));
        }
        std::slice::from_raw_parts(self.items, self.count)
            .iter()
            .map(|b| args::bytes(b.data, b.len, "inputs->items[i].data"))
            .collect()
    }
}
