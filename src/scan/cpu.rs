//! The CPU backend: Aho-Corasick over the case-folded anchors, then full verification: the same
//! candidates and checks as the GPU kernels, so both produce the same matches.

use super::atoms::{AtomStatistics, BUSIEST_ATOMS, MAX_ATOM};
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

    /// The atom statistics of `rules` and their cost on `sample`: candidate positions (where
    /// some atom occurs), (position, pattern) verifications and matches.
    pub fn statistics(&self, rules: &CompiledRules, sample: &[u8]) -> AtomStatistics {
        let mut stats = AtomStatistics {
            patterns: rules.patterns.len() as u64,
            sample_bytes: sample.len() as u64,
            ..Default::default()
        };
        let groups = rules.anchor_groups();
        stats.distinct_atoms = groups.keys().filter(|(len, _)| *len > 0).count() as u64;
        for p in &rules.patterns {
            stats.by_length[(p.anchor_len as usize).min(MAX_ATOM)] += 1;
            if p.anchor_len > 0 {
                let window = &p.anchor.to_le_bytes()[..p.anchor_len as usize];
                let bits = super::atoms::quality(window) / 4;
                stats.by_quality_bits[(bits as usize / 4).min(7)] += 1;
            }
        }
        let mut hits_per_atom = vec![0u64; self.groups.len()];
        if let Some(ac) = &self.automaton {
            let mut last_end = usize::MAX;
            for m in ac.find_overlapping_iter(sample) {
                hits_per_atom[m.pattern().as_usize()] += 1;
                if m.end() != last_end {
                    stats.candidate_positions += 1;
                    last_end = m.end();
                }
                let (_, members) = &self.groups[m.pattern().as_usize()];
                for &p in members {
                    let offset = rules.patterns[p as usize].anchor_offset as usize;
                    if let Some(start) = m.start().checked_sub(offset) {
                        stats.verifications += 1;
                        stats.matches += verify(&rules.patterns[p as usize], sample, start) as u64;
                    }
                }
            }
        }
        let mut ranked: Vec<usize> = (0..self.groups.len()).collect();
        ranked.sort_by_key(|&i| std::cmp::Reverse(hits_per_atom[i]));
        stats.busiest_atoms = ranked
            .into_iter()
            .take(BUSIEST_ATOMS)
            .filter(|&i| hits_per_atom[i] > 0)
            .map(|i| {
                let (len, members) = &self.groups[i];
                let p = &rules.patterns[members[0] as usize];
                let atom = p.anchor.to_le_bytes()[..*len as usize].to_vec();
                (atom, hits_per_atom[i], members.len() as u64)
            })
            .collect();
        let unanchored = self.unanchored.len() as u64 * sample.len() as u64;
        stats.verifications += unanchored;
        if unanchored > 0 {
            stats.candidate_positions = sample.len() as u64;
        }
        stats
    }
}
