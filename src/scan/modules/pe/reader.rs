//! Bounded reads of a PE file's bytes, shared by the parts of the module: every offset comes
//! from the file, so each read checks that it lies in the data and never panics.

/// Whether `len` bytes at `at` lie in `data` (YARA's `fits_in_pe`).
pub(super) fn fits(data: &[u8], at: u64, len: u64) -> bool {
    at.checked_add(len)
        .is_some_and(|end| end <= data.len() as u64)
}

/// The `len` bytes at file offset `at`, when they lie in `data`.
pub(super) fn slice(data: &[u8], at: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(at).ok()?;
    data.get(start..start.checked_add(usize::try_from(len).ok()?)?)
}

/// The little-endian `u16` at `at`, when it lies in `data`.
pub(super) fn u16_at(data: &[u8], at: u64) -> Option<u16> {
    Some(u16::from_le_bytes(slice(data, at, 2)?.try_into().ok()?))
}

/// The little-endian `u32` at `at`, when it lies in `data`.
pub(super) fn u32_at(data: &[u8], at: u64) -> Option<u32> {
    Some(u32::from_le_bytes(slice(data, at, 4)?.try_into().ok()?))
}

/// The little-endian `u32` at `at` of `bytes` (0 past the end).
pub(super) fn le32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at.saturating_add(4))
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// The bytes at file offset `at` up to the first zero byte, at most `max` of them, cut at the
/// end of `data` (empty when `at` lies outside it).
pub(super) fn c_string(data: &[u8], at: u64, max: usize) -> &[u8] {
    let tail = usize::try_from(at)
        .ok()
        .and_then(|at| data.get(at..))
        .unwrap_or_default();
    let tail = tail.get(..max).unwrap_or(tail);
    tail.split(|&b| b == 0).next().unwrap_or_default()
}
