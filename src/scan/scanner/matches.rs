//! The match side of a scan: what the backends find, turned into a [`ScanResult`].
//!
//! Backends (GPU kernels, the CPU searcher, the batch path) only produce hits: pattern ids and
//! offsets, with counts past the per-pattern cap. Everything after that lives here, on the
//! scan's one `ScanResult`, which owns the matches:
//! 1. anchor hits of regular-expression strings go aside as candidates;
//! 2. YARA rule sets map pattern variants to their strings (the first variant in priority order
//!    at an offset), and chained strings' parts go aside until the input is complete;
//! 3. the rules' tally counts every match (also past the storage cap, which only marks the
//!    string capped), then private strings' matches are dropped and the match limit applies;
//! 4. when the input is complete: candidates are verified, chained parts joined, the
//!    conditions evaluated on the tally, and in fast mode single-match strings keep their
//!    first match.

use super::{RegexVerification, ScanOptions, Scanner};
use crate::scan::bounded::BoundedMatches;
use crate::scan::logic::{RuleLogic, Tally};
use crate::scan::regex::gpu::{GpuVerified, AUTO_MIN_CPU_NS};
use crate::scan::regex::verify::{verify, Candidate, ReadRange};
use crate::scan::regex::RegexString;
use crate::scan::results::{ChunkReport, Match, ScanResult};
use crate::{Error, Result};
use std::time::Instant;

/// `Match::rule_id` of an anchor hit of a regular-expression string (its `string_id` is the
/// pattern): a candidate, not a match.
const ANCHOR_HIT: u32 = u32::MAX;

impl Scanner {
    /// Adds one chunk's (or item's) raw matches to `result`: YARA rule sets map pattern variants
    /// to their strings first; the rules' tallies see every match, the limit applies after.
    pub(crate) fn add_found(
        &self,
        result: &mut ScanResult,
        found: Vec<Match>,
        total: u64,
        limit: usize,
        report: ChunkReport,
    ) {
        self.add_bounded(result, found, &[], total, limit, report)
    }

    /// [`Scanner::add_found`] with the (pattern, count) of matches past the per-pattern cap,
    /// which are counted but not stored (see [`super::bounded`]).
    pub(crate) fn add_bounded(
        &self,
        result: &mut ScanResult,
        found: Vec<Match>,
        excess: &[(u32, u64)],
        total: u64,
        limit: usize,
        report: ChunkReport,
    ) {
        let (found, total, excess) = self.take_anchor_hits(result, found, total, excess);
        self.add_resolved(result, found, &excess, total, limit, Some(report));
    }

    /// Adds matches of strings (no anchor hits) to `result`, with the chunk's report if any.
    fn add_resolved(
        &self,
        result: &mut ScanResult,
        found: Vec<Match>,
        excess: &[(u32, u64)],
        total: u64,
        limit: usize,
        report: Option<ChunkReport>,
    ) {
        let (found, total) = match &self.rules.logic {
            Some(logic) => {
                let raw = found.len() as u64;
                let resolved = logic.resolve(found);
                result.keep_chain_parts(resolved.parts);
                let total = total.saturating_sub(raw - resolved.matches.len() as u64);
                (self.counted(logic, result, resolved.matches), total)
            }
            None => {
                result.seen_rules.extend(found.iter().map(|m| m.rule_id));
                (found, total)
            }
        };
        for &(pattern, n) in excess {
            let m = self.to_match(pattern, 0);
            let string = match &self.rules.logic {
                Some(logic) => {
                    let tally = result.tally.get_or_insert_with(|| logic.tally());
                    logic.count_past_cap(tally, m.rule_id, m.string_id, n)
                }
                None => {
                    result.seen_rules.insert(m.rule_id);
                    m.string_id
                }
            };
            if !result.capped.contains(&(m.rule_id, string)) {
                result.capped.push((m.rule_id, string));
            }
        }
        match report {
            Some(report) => result.add_chunk(found, total, limit, report),
            None => result.add_matches(found, total, limit),
        }
    }

    /// Counts a YARA rule set's string matches in `result`'s tally; returns those to report
    /// (private strings' left out).
    fn counted(
        &self,
        logic: &RuleLogic,
        result: &mut ScanResult,
        matches: Vec<Match>,
    ) -> Vec<Match> {
        let tally = result.tally.get_or_insert_with(|| logic.tally());
        logic.count(tally, &matches);
        logic.without_private(matches)
    }

    /// Joins the part matches of chained strings (see [`super::chain`]) into their strings'
    /// matches and adds them to `result`; returns those it stored.
    fn complete_chains(&self, result: &mut ScanResult, limit: usize) -> Vec<Match> {
        let Some(logic) = &self.rules.logic else {
            return Vec::new();
        };
        for key in std::mem::take(&mut result.chain_parts_dropped) {
            if !result.capped.contains(&key) {
                result.capped.push(key);
            }
        }
        let parts = std::mem::take(&mut result.chain_parts);
        result.chain_part_counts.clear();
        if parts.is_empty() {
            return Vec::new();
        }
        let joined = self.counted(logic, result, logic.join_chains(parts));
        let new: std::collections::HashSet<Match> = joined.iter().copied().collect();
        let total = joined.len() as u64;
        result.add_matches(joined, total, limit);
        result
            .matches
            .iter()
            .filter(|m| new.contains(m))
            .copied()
            .collect()
    }

    /// Moves the anchor hits of regular-expression strings out of `found` (and their counts
    /// past the cap out of `excess`) into the result's candidates.
    fn take_anchor_hits(
        &self,
        result: &mut ScanResult,
        found: Vec<Match>,
        total: u64,
        excess: &[(u32, u64)],
    ) -> (Vec<Match>, u64, Vec<(u32, u64)>) {
        if self.rules.regexes.is_empty() {
            return (found, total, excess.to_vec());
        }
        let mut kept = Vec::with_capacity(found.len());
        let mut hits = 0u64;
        for m in found {
            let anchor = (m.rule_id == ANCHOR_HIT)
                .then(|| self.rules.patterns.get(m.string_id as usize))
                .flatten()
                .and_then(|p| p.regex);
            match anchor {
                Some(a) => {
                    hits += 1;
                    let split = &self.rules.regexes[a.regex as usize].regex.forms[a.form as usize]
                        .splits[a.split as usize];
                    result.keep_candidate(Candidate {
                        atom_end: m.offset + u64::from(split.atom_end),
                        offset: m.offset,
                        regex: a.regex,
                        form: a.form,
                        split: a.split,
                    });
                }
                None => kept.push(m),
            }
        }
        let mut rest = Vec::new();
        for &(pattern, n) in excess {
            match self.rules.patterns[pattern as usize].regex {
                Some(a) => {
                    hits += n;
                    self.mark_regex_capped(result, a.regex);
                }
                None => rest.push((pattern, n)),
            }
        }
        (kept, total.saturating_sub(hits), rest)
    }

    /// Records that regular expression `regex` lost candidates or matches to a cap.
    fn mark_regex_capped(&self, result: &mut ScanResult, regex: u32) {
        let string = self.rules.regexes[regex as usize].string;
        let info = &self.rules.strings[string as usize];
        let key = match &self.rules.logic {
            Some(logic) => (info.rule_id, logic.string_of(info.rule_id, info.string_id)),
            None => (info.rule_id, info.string_id),
        };
        if !result.capped.contains(&key) {
            result.capped.push(key);
        }
    }

    /// Verifies the anchor hits a scan of `total` bytes collected (and matches the expressions
    /// without atoms), reading the input through `read`; adds the matches to `result` and
    /// returns those it stored.
    pub(crate) fn complete_regex(
        &self,
        result: &mut ScanResult,
        total: u64,
        read: &ReadRange,
        options: &ScanOptions,
    ) -> Result<Vec<Match>> {
        if self.rules.regexes.is_empty() {
            return Ok(Vec::new());
        }
        let limit = options.max_matches;
        let started = Instant::now();
        let mut candidates = std::mem::take(&mut result.regex_candidates);
        for regex in std::mem::take(&mut result.regex_candidates_dropped) {
            self.mark_regex_capped(result, regex);
        }
        let on_gpu = self.verify_on_gpu(result, &mut candidates, total, read, options)?;
        let regexes: Vec<&RegexString> = self.rules.regexes.iter().map(|r| &*r.regex).collect();
        let verified = verify(
            &regexes,
            &self.rules.unanchored,
            candidates,
            on_gpu,
            total,
            read,
        )?;
        self.regex_cpu_cost
            .record(verified.cpu_candidates, verified.cpu_candidates_ns);
        for &regex in &verified.capped {
            self.mark_regex_capped(result, regex);
        }
        let mut found = Vec::new();
        for (regex, list) in verified.matches {
            let info = &self.rules.strings[self.rules.regexes[regex as usize].string as usize];
            found.extend(list.into_iter().map(|(offset, length)| Match {
                offset,
                rule_id: info.rule_id,
                string_id: info.string_id,
                length,
            }));
        }
        let total_found = found.len() as u64;
        self.add_resolved(result, found, &[], total_found, limit, None);
        let regex_strings: std::collections::HashSet<(u32, u32)> = self
            .rules
            .regexes
            .iter()
            .map(|r| {
                let info = &self.rules.strings[r.string as usize];
                match &self.rules.logic {
                    Some(logic) => (info.rule_id, logic.string_of(info.rule_id, info.string_id)),
                    None => (info.rule_id, info.string_id),
                }
            })
            .collect();
        let added = result
            .matches
            .iter()
            .filter(|m| regex_strings.contains(&(m.rule_id, m.string_id)))
            .copied()
            .collect();
        result.timings.regex_ns += started.elapsed().as_nanos() as u64;
        Ok(added)
    }

    /// Verifies on the GPU the candidates that `options` sends there (taking them out of
    /// `candidates`).
    fn verify_on_gpu(
        &self,
        result: &mut ScanResult,
        candidates: &mut Vec<Candidate>,
        total: u64,
        read: &ReadRange,
        options: &ScanOptions,
    ) -> Result<GpuVerified> {
        let wanted = match options.regex_verification {
            RegexVerification::Cpu => false,
            RegexVerification::Gpu => true,
            RegexVerification::Auto => {
                result.backend == super::Backend::Gpu
                    && self.regex_cpu_cost.estimate(candidates.len()) >= AUTO_MIN_CPU_NS
            }
        };
        if !wanted {
            return Ok(GpuVerified::default());
        }
        // Built on first use only: a scan that keeps its candidates on the CPU builds nothing.
        let (Some((_, ctx)), Some(tables)) = (&self.gpu, self.regex_gpu()) else {
            return Ok(GpuVerified::default());
        };
        let regex_gpu = match tables {
            Ok(Some(tables)) => tables,
            Err(message) if options.regex_verification == RegexVerification::Gpu => {
                return Err(Error::Gpu(message.clone()))
            }
            _ => return Ok(GpuVerified::default()),
        };
        let (mut fitting, rest): (Vec<Candidate>, Vec<Candidate>) =
            candidates.drain(..).partition(|c| regex_gpu.fits(c));
        *candidates = rest;
        if options.regex_verification == RegexVerification::Auto
            && self.regex_cpu_cost.estimate(fitting.len()) < AUTO_MIN_CPU_NS
        {
            candidates.append(&mut fitting);
            return Ok(GpuVerified::default());
        }
        fitting.sort_unstable();
        fitting.dedup();
        let started = Instant::now();
        let mut verified = regex_gpu.verify(ctx, &fitting, total, read)?;
        candidates.append(&mut verified.declined);
        result.timings.regex_gpu_ns += started.elapsed().as_nanos() as u64;
        result.regex_gpu_candidates += verified.candidates.len() as u64;
        Ok(verified)
    }

    /// Adds a chunk searched on the CPU.
    pub(crate) fn add_cpu_chunk(
        &self,
        result: &mut ScanResult,
        found: BoundedMatches,
        limit: usize,
        report: ChunkReport,
    ) {
        let total = found.total();
        let excess = found.excess();
        self.add_bounded(result, found.stored, &excess, total, limit, report)
    }

    /// Completes a scan of `size` bytes: verifies the regular-expression candidates, then sets
    /// `result.rules`. `read(start, end)` gives input bytes (for the verification and for
    /// conditions that read them); `whole` is the input when it is all in memory. Returns the
    /// regular-expression matches it stored, which come after the chunks' matches.
    pub(crate) fn finish_rules(
        &self,
        result: &mut ScanResult,
        size: u64,
        read: &ReadRange,
        whole: Option<&[u8]>,
        options: &ScanOptions,
    ) -> Result<Vec<Match>> {
        let limit = options.max_matches;
        let mut added = self.complete_regex(result, size, read, options)?;
        let started = Instant::now();
        added.extend(self.complete_chains(result, limit));
        result.rules = match &self.rules.logic {
            Some(logic) => {
                let tally: Tally = result.tally.take().unwrap_or_else(|| logic.tally());
                let (rules, console) = logic.evaluate_logged(&tally, size, read, whole);
                result.console = console;
                rules
            }
            None => std::mem::take(&mut result.seen_rules).into_iter().collect(),
        };
        result.timings.evaluate_ns += started.elapsed().as_nanos() as u64;
        if options.fast {
            self.keep_first_matches(result);
            added.retain(|m| result.matches.binary_search(m).is_ok());
        }
        Ok(added)
    }

    /// Fast mode: leaves single-match strings (see [`ScanOptions::fast`]) their first match.
    fn keep_first_matches(&self, result: &mut ScanResult) {
        let Some(logic) = &self.rules.logic else {
            return;
        };
        let mut seen = std::collections::HashSet::new();
        result.matches.retain(|m| {
            let single = logic.rules[m.rule_id as usize].strings[m.string_id as usize].single_match;
            !single || seen.insert((m.rule_id, m.string_id))
        });
    }

    pub(crate) fn to_match(&self, pattern: u32, start: u64) -> Match {
        let p = &self.rules.patterns[pattern as usize];
        if p.regex.is_some() {
            return Match {
                offset: start,
                rule_id: ANCHOR_HIT,
                string_id: pattern,
                length: 0,
            };
        }
        let s = &self.rules.strings[p.string as usize];
        Match {
            offset: start,
            rule_id: s.rule_id,
            string_id: s.string_id,
            length: p.bytes.len() as u32,
        }
    }
}
