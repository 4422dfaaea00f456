//! The CPU backend: Aho-Corasick over the case-folded anchors, then full verification: the same
//! candidates and checks as the GPU kernels, so both produce the same matches.

use super::compile::{verify, CompiledRules};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// A CPU searcher built once per compiled rule set.
pub struct CpuSearcher {
    automaton: Option<AhoCorasick>,
    /// Pattern indices per automaton pattern id.
    groups: Vec<(u32, Vec<u32>)>,
    /// Patterns with no anchor, tried at every offset.
    unanchored: Vec<u32>,
}

impl CpuSearcher {
    /// Builds the automaton of the anchors of `rules`.
    pub fn new(rules: &CompiledRules) -> crate::Result<Self> {
        let mut groups = Vec::new();
        let mut needles: Vec<Vec<u8>> = Vec::new();
        let mut unanchored = Vec::new();
        for ((len, value), members) in rules.anchor_groups() {
            if len == 0 {
                unanchored = members;
                continue;
            }
            needles.push(value.to_le_bytes()[..len as usize].to_vec());
            groups.push((len, members));
        }
        let automaton = if needles.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&needles)
                    .or_else(|_| {
                        AhoCorasick::builder()
                            .ascii_case_insensitive(true)
                            .match_kind(MatchKind::Standard)
                            .build(&needles)
                    })
                    .map_err(|e| {
                        crate::Error::invalid(format!("building the CPU automaton: {e}"))
                    })?,
            )
        };
        Ok(Self {
            automaton,
            groups,
            unanchored,
        })
    }

    /// Calls `found(pattern, start)` for every match whose start lies in `owned` (offsets within
    /// `data`).
    pub fn search(
        &self,
        rules: &CompiledRules,
        data: &[u8],
        owned: std::ops::Range<usize>,
        found: &mut dyn FnMut(u32, usize),
    ) {
        let mut try_at = |pattern: u32, start: usize| {
            if owned.contains(&start) && verify(&rules.patterns[pattern as usize], data, start) {
                found(pattern, start);
            }
        };
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(data) {
                let (_, members) = &self.groups[m.pattern().as_usize()];
                for &p in members {
                    let offset = rules.patterns[p as usize].anchor_offset as usize;
                    if let Some(start) = m.start().checked_sub(offset) {
                        try_at(p, start);
                    }
                }
            }
        }
        for &p in &self.unanchored {
            for start in owned.clone() {
                try_at(p, start);
            }
        }
    }
}
