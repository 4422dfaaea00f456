//! One autotune record: the tuned configuration of a kernel variant.

use crate::{Error, Result};

/// The tuned configuration of one kernel variant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AutotuneRecord {
    /// Workgroup size.
    pub workgroup_size: [u32; 3],
    /// Unroll factor.
    pub unroll: u32,
    /// Tile shape, `[0, 0, 0]` when the kernel is not tile-shaped.
    pub tile: [u32; 3],
    /// The day it was measured, `YYYY-MM-DD`, or empty.
    pub recorded_at: String,
}

impl AutotuneRecord {
    /// Checks that `recorded_at` is empty or a `YYYY-MM-DD` date.
    pub fn validate(&self) -> Result<()> {
        if is_valid_date(&self.recorded_at) {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "recorded_at {:?} is not a YYYY-MM-DD date; use a date such as \"2026-05-02\" or leave it empty",
                self.recorded_at
            )))
        }
    }
}

/// Whether `text` is empty or a `YYYY-MM-DD` date with month 01-12 and day 01-31.
pub fn is_valid_date(text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
        })
    };
    matches!(
        (digits(0..4), digits(5..7), digits(8..10)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for ok in ["", "2026-05-02", "1999-12-31"] {
            assert!(is_valid_date(ok), "{ok}");
        }
        for bad in [
            "2026-5-02",
            "2026-13-01",
            "2026-00-10",
            "2026-01-32",
            "abcd-ef-gh",
            "2026-05-02x",
        ] {
            assert!(!is_valid_date(bad), "{bad}");
        }
    }
}
