//! Cutting an input into chunks that each fit one GPU binding. Every input offset is owned by
//! exactly one chunk, which reports the matches starting there; a chunk's data extends past its
//! owned range by the longest pattern (plus a byte for the fullword test), and starts a little
//! before it, so no match across a boundary is lost or doubled.

use crate::{Error, Result};

/// Context kept before a chunk's owned range (bytes; a multiple of the binding alignment).
pub const CONTEXT_BEFORE: u64 = 256;

/// One chunk of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// First input byte the chunk reads.
    pub data_start: u64,
    /// One past the last input byte it reads.
    pub data_end: u64,
    /// First input offset it owns.
    pub owned_start: u64,
    /// One past the last offset it owns.
    pub owned_end: u64,
}

/// Chunks of an input of `total` bytes whose data fits in `max_chunk_data` bytes, for patterns of
/// at most `max_len` bytes.
pub fn plan(total: u64, max_chunk_data: u64, max_len: u64) -> Result<Vec<Chunk>> {
    let after = max_len + 2;
    let owned =
        max_chunk_data.saturating_sub(CONTEXT_BEFORE + after) / CONTEXT_BEFORE * CONTEXT_BEFORE;
    if owned == 0 {
        return Err(Error::TooLarge(format!(
            "chunks of {max_chunk_data} bytes cannot hold a {max_len}-byte pattern with its context; \
             use shorter strings or a larger binding"
        )));
    }
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < total {
        let end = (start + owned).min(total);
        chunks.push(Chunk {
            data_start: start.saturating_sub(CONTEXT_BEFORE),
            data_end: (end + after).min(total),
            owned_start: start,
            owned_end: end,
        });
        start = end;
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_offset_once_and_fit() {
        for total in [0u64, 1, 255, 256, 10_000, 1 << 20] {
            let chunks = plan(total, 4096, 100).unwrap();
            let mut next = 0;
            for c in &chunks {
                assert_eq!(c.owned_start, next);
                assert!(c.owned_end > c.owned_start);
                assert!(c.data_end - c.data_start <= 4096);
                assert_eq!(c.data_start % CONTEXT_BEFORE, 0);
                assert!(c.data_end >= (c.owned_end + 102).min(total));
                next = c.owned_end;
            }
            assert_eq!(next, total);
        }
        assert!(plan(10, 300, 100).is_err());
    }
}
