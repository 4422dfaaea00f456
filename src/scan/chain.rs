//! Chained strings: hex strings cut at their long jumps, found part by part and joined.
//!
//! A hex string such as `{ 4D 5A [300-] 50 45 00 00 }` cannot be expanded into fixed patterns
//! (one per jump length, an unbounded number) nor matched as one bounded expression. As yara
//! does, the compiler cuts it at every top-level jump longer than [`CHAIN_THRESHOLD`] bytes (or
//! unbounded) into *parts* (`4D 5A` and `50 45 00 00`) and the *gaps* between them (`300..`).
//! Each part is an ordinary string for the backends: its own atoms, fixed patterns or
//! expression, found anywhere in the input on the GPU or the CPU. Its matches are kept aside
//! (never reported, never counted) until the input is complete; then [`join`] turns them into
//! the string's matches.
//!
//! The join follows yara's semantics (its `_yr_scan_verify_chained_string_match`): a match of
//! part *i + 1* continues a match of part *i* when it starts between `min` and `max` bytes after
//! that match ends. A match of the head (the first part) becomes one match of the string when a
//! chain of continuing matches reaches the tail (the last part); yara confirms it at the first
//! such tail it meets, so the string's match starts where the head match starts and ends where
//! the *nearest* reachable tail match ends, and each head match yields at most one match.
//!
//! The join runs backwards over the parts. For every match of the tail its own start is its
//! nearest reachable tail. For a match of part *i* the nearest reachable tail is the minimum
//! over the matches of part *i + 1* that start inside its gap window, a range-minimum query
//! over part *i + 1*'s matches sorted by offset, answered by a segment tree. Each part costs
//! O(n log n) for n matches, whatever the gaps (unbounded ones included): no pair of matches
//! is ever compared directly.

/// Jumps longer than this many bytes (either bound) cut a hex string into chained parts, as
/// yara's `YR_STRING_CHAINING_THRESHOLD`.
pub(crate) const CHAIN_THRESHOLD: u64 = 200;

/// Most matches of one part one input keeps for the join (yara's per-string limit). A string
/// whose parts lose matches to this cap or to [`MAX_CHAIN_PART_MATCHES`] is reported capped:
/// matches that need the lost ones are not found.
pub(crate) const MAX_PART_MATCHES: u32 = 1_000_000;

/// Most part matches of all chained strings one input keeps for the join (96 MiB).
pub(crate) const MAX_CHAIN_PART_MATCHES: usize = 4_000_000;

/// How far the next part of a chained string may start from the end of the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainGap {
    /// Fewest bytes between them.
    pub min: u64,
    /// Most bytes between them (`None`: unbounded, `[n-]`).
    pub max: Option<u64>,
}

impl ChainGap {
    /// The offsets where the next part may start after a match ending at `end`.
    fn window(self, end: u64) -> (u64, u64) {
        let lo = end.saturating_add(self.min);
        let hi = self.max.map_or(u64::MAX, |max| end.saturating_add(max));
        (lo, hi)
    }
}

/// A match of one part of a chained string, kept until the input is complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartMatch {
    /// The rule.
    pub rule_id: u32,
    /// The string's index in its rule.
    pub string_id: u32,
    /// Which part (0 is the head).
    pub part: u32,
    /// Where the part's match starts.
    pub offset: u64,
    /// Its length.
    pub length: u32,
}

/// The matches of one chained string: `parts[i]` are the (offset, length) matches of part `i`
/// (any order, duplicates allowed), `gaps[i]` the gap between parts `i` and `i + 1`. Returns
/// the string's (offset, length) matches, by offset.
pub fn join(parts: &mut [Vec<(u64, u32)>], gaps: &[ChainGap]) -> Vec<(u64, u32)> {
    debug_assert_eq!(parts.len(), gaps.len() + 1);
    for list in parts.iter_mut() {
        // One match per offset: the first found (the scanner resolves variants per offset).
        list.sort_by_key(|&(offset, _)| offset);
        list.dedup_by_key(|&mut (offset, _)| offset);
    }
    let Some((tail, rest)) = parts.split_last() else {
        return Vec::new();
    };
    let mut next_offsets: Vec<u64> = tail.iter().map(|&(offset, _)| offset).collect();
    // For each match of the part after the current one: (start, end) of its nearest reachable
    // tail match, the one with the smallest start (yara meets tails in about offset order).
    let mut next_key: Vec<Option<(u64, u64)>> = tail
        .iter()
        .map(|&(offset, length)| Some((offset, offset + u64::from(length))))
        .collect();
    for (part, gap) in rest.iter().zip(gaps).rev() {
        let tree = MinTree::new(&next_key);
        let key: Vec<Option<(u64, u64)>> = part
            .iter()
            .map(|&(offset, length)| {
                let (lo, hi) = gap.window(offset + u64::from(length));
                let first = next_offsets.partition_point(|&o| o < lo);
                let last = next_offsets.partition_point(|&o| o <= hi);
                tree.min(first, last)
            })
            .collect();
        next_offsets = part.iter().map(|&(offset, _)| offset).collect();
        next_key = key;
    }
    parts[0]
        .iter()
        .zip(next_key)
        .filter_map(|(&(offset, _), key)| {
            let (_, end) = key?;
            let length = u32::try_from(end - offset).unwrap_or(u32::MAX);
            Some((offset, length))
        })
        .collect()
}

/// A segment tree over optional (tail start, tail end) keys answering "smallest key in
/// `first..last`".
struct MinTree {
    size: usize,
    nodes: Vec<Option<(u64, u64)>>,
}

impl MinTree {
    fn new(keys: &[Option<(u64, u64)>]) -> Self {
        let size = keys.len().max(1);
        let mut nodes = vec![None; 2 * size];
        nodes[size..size + keys.len()].copy_from_slice(keys);
        for i in (1..size).rev() {
            nodes[i] = smaller(nodes[2 * i], nodes[2 * i + 1]);
        }
        Self { size, nodes }
    }

    fn min(&self, first: usize, last: usize) -> Option<(u64, u64)> {
        let (mut lo, mut hi) = (first + self.size, last + self.size);
        let mut best = None;
        while lo < hi {
            if lo & 1 == 1 {
                best = smaller(best, self.nodes[lo]);
                lo += 1;
            }
            if hi & 1 == 1 {
                hi -= 1;
                best = smaller(best, self.nodes[hi]);
            }
            lo /= 2;
            hi /= 2;
        }
        best
    }
}

fn smaller(a: Option<(u64, u64)>, b: Option<(u64, u64)>) -> Option<(u64, u64)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(min: u64, max: Option<u64>) -> ChainGap {
        ChainGap { min, max }
    }

    /// The join by brute force: for each head, the nearest tail over every chain of matches.
    fn naive(parts: &[Vec<(u64, u32)>], gaps: &[ChainGap]) -> Vec<(u64, u32)> {
        fn nearest(
            parts: &[Vec<(u64, u32)>],
            gaps: &[ChainGap],
            i: usize,
            m: (u64, u32),
        ) -> Option<(u64, u64)> {
            let end = m.0 + u64::from(m.1);
            if i + 1 == parts.len() {
                return Some((m.0, end));
            }
            let (lo, hi) = gaps[i].window(end);
            parts[i + 1]
                .iter()
                .filter(|n| (lo..=hi).contains(&n.0))
                .filter_map(|&n| nearest(parts, gaps, i + 1, n))
                .min()
        }
        parts[0]
            .iter()
            .filter_map(|&h| nearest(parts, gaps, 0, h).map(|(_, end)| (h.0, (end - h.0) as u32)))
            .collect()
    }

    #[test]
    fn each_head_ends_at_its_nearest_reachable_tail() {
        // Heads at 0 and 10 (2 bytes), tails at 5, 300, 400 (3 bytes); gap 250..=400.
        let mut parts = vec![vec![(10, 2), (0, 2)], vec![(400, 3), (5, 3), (300, 3)]];
        let gaps = [gap(250, Some(400))];
        // Head 0 ends at 2: window 252..=402 -> tail 300. Head 10 ends at 12: 262..=412 -> 300.
        assert_eq!(join(&mut parts, &gaps), vec![(0, 303), (10, 293)]);
    }

    #[test]
    fn unbounded_gaps_reach_any_later_tail_and_none_before() {
        let mut parts = vec![vec![(100, 1), (5000, 1)], vec![(50, 1), (4000, 2)]];
        let gaps = [gap(300, None)];
        // Head 100 -> tail 4000 (first start >= 401); head 5000 has no tail after it.
        assert_eq!(join(&mut parts, &gaps), vec![(100, 3902)]);
    }

    #[test]
    fn middle_parts_must_chain_in_order() {
        // Three parts: the middle at 500 continues head 0 but the tail at 520 is too near.
        let mut parts = vec![vec![(0, 1)], vec![(500, 4)], vec![(520, 1), (900, 1)]];
        let gaps = [gap(201, None), gap(300, Some(450))];
        assert_eq!(join(&mut parts, &gaps), vec![(0, 901)]);
        let mut parts = vec![vec![(0, 1)], vec![(500, 4)], vec![(520, 1)]];
        assert_eq!(join(&mut parts, &gaps), vec![]);
    }

    #[test]
    fn the_join_agrees_with_brute_force() {
        // A small deterministic generator: offsets and lengths from a linear congruence.
        let mut state = 12345u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for round in 0..300 {
            let count = 2 + (round % 3);
            let mut parts: Vec<Vec<(u64, u32)>> = (0..count)
                .map(|_| {
                    (0..next(12))
                        .map(|_| (next(2000), 1 + next(5) as u32))
                        .collect()
                })
                .collect();
            let gaps: Vec<ChainGap> = (1..count)
                .map(|_| {
                    let min = next(400);
                    gap(min, (next(3) > 0).then(|| min + next(600)))
                })
                .collect();
            for list in &mut parts {
                list.sort_by_key(|m| m.0);
                list.dedup_by_key(|m| m.0);
            }
            let expected = naive(&parts, &gaps);
            assert_eq!(join(&mut parts, &gaps), expected, "round {round}");
        }
    }
}
