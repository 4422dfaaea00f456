//! Bounded match storage: hostile inputs (a file of zeros and a rule on `"\x00"`, one byte
//! repeated for gigabytes) must not grow memory with the input.
//!
//! Like yara, which stops storing a string's matches at 1,000,000 and warns, a chunk's search
//! stores at most [`MAX_STRING_MATCHES`] matches of each pattern, and a scan's result at most
//! that many of each string; past that, matches are only counted. The counts reach the rules' conditions (`#a`, `N of`), so
//! conditions see every match, where yara stops counting too. Memory is then bounded by the
//! rule set (patterns times the cap), never by the input. The result says which strings were
//! capped ([`super::results::ScanResult::capped`]).
//!
//! What a capped string does not have: the offsets past the cap, so `$a at N` and `$a in
//! (N..M)` only see the stored ones (as in yara); and for a string of several patterns (hex
//! alternatives or jumps, `ascii wide`), matches past the cap are counted per pattern, so two
//! patterns of one string at one offset count twice there.

use super::results::Match;

/// Most matches of one pattern a chunk stores (yara's per-string limit).
pub const MAX_STRING_MATCHES: u32 = 1_000_000;

/// One chunk's matches: the stored ones and, per pattern past the cap, how many more.
#[derive(Debug, Default)]
pub struct BoundedMatches {
    /// Stored matches, in the order found.
    pub stored: Vec<Match>,
    /// Matches stored per pattern (indexed by pattern; grown on demand).
    per_pattern: Vec<u32>,
    /// Matches past the cap per pattern (indexed by pattern; grown on demand).
    past_cap: Vec<u64>,
    cap: u32,
}

impl BoundedMatches {
    /// An empty store with the default cap.
    pub fn new() -> Self {
        Self::with_cap(MAX_STRING_MATCHES)
    }

    /// An empty store that keeps at most `cap` matches per pattern.
    pub fn with_cap(cap: u32) -> Self {
        Self {
            cap,
            ..Default::default()
        }
    }

    /// Stores `m` of `pattern`, or counts it when the pattern is at its cap.
    pub fn push(&mut self, pattern: u32, m: Match) {
        let p = pattern as usize;
        if p >= self.per_pattern.len() {
            self.per_pattern.resize(p + 1, 0);
        }
        if self.per_pattern[p] < self.cap {
            self.per_pattern[p] += 1;
            self.stored.push(m);
        } else {
            if p >= self.past_cap.len() {
                self.past_cap.resize(p + 1, 0);
            }
            self.past_cap[p] += 1;
        }
    }

    /// (pattern, matches past the cap) of the capped patterns.
    pub fn excess(&self) -> Vec<(u32, u64)> {
        self.past_cap
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(p, &n)| (p as u32, n))
            .collect()
    }

    /// Matches found, stored or not.
    pub fn total(&self) -> u64 {
        self.stored.len() as u64 + self.past_cap.iter().sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(offset: u64) -> Match {
        Match {
            offset,
            rule_id: 0,
            string_id: 0,
            length: 1,
        }
    }

    #[test]
    fn stores_up_to_the_cap_per_pattern_and_counts_the_rest() {
        let mut b = BoundedMatches::with_cap(3);
        for i in 0..10 {
            b.push(7, m(i));
        }
        b.push(2, m(0));
        assert_eq!(b.stored.len(), 4);
        assert_eq!(b.excess(), vec![(7, 7)]);
        assert_eq!(b.total(), 11);
        assert_eq!(b.stored[..3], [m(0), m(1), m(2)]);
    }
}
