//! Verification of a scan's anchor hits: from candidates (which expression, which form and
//! atom, where) to yara's matches, reading the data around each candidate.
//!
//! Candidates are verified in data order, so that the rule for several lengths at one offset
//! (the first stays; the last for greedy expressions) follows yara's order of atom
//! occurrences. The data is read in windows of at least [`READ_BLOCK`] bytes that cover the
//! context of every candidate in them, so a file is read about once whatever the number of
//! candidates. Expressions without atoms are matched at every position, block by block.

use super::gpu::GpuVerified;
use super::matcher::{SplitCaches, Window, WINDOW_CONTEXT};
use super::RegexString;
use crate::Result;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Smallest window read for verification, bytes.
pub(crate) const READ_BLOCK: u64 = 1 << 20;
/// Most matches stored per expression (yara's per-string limit).
pub(crate) const MAX_MATCHES: usize = 1_000_000;

/// One anchor hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Candidate {
    /// Data offset where its atom ends (candidates are verified in this order, as yara's
    /// automaton reports atoms where they end).
    pub atom_end: u64,
    /// Data offset of the anchor.
    pub offset: u64,
    /// Index of the expression.
    pub regex: u32,
    /// Its form (plain or wide).
    pub form: u16,
    /// Its atom.
    pub split: u16,
}

/// Reads data bytes `start..end` (None on failure).
pub type ReadRange<'a> = dyn Fn(u64, u64) -> Option<Cow<'a, [u8]>> + 'a;

/// The matches of the expressions: per expression, (offset, length) ascending, and whether it
/// reached [`MAX_MATCHES`].
#[derive(Debug, Default)]
pub struct Verified {
    /// Matches per expression index.
    pub matches: BTreeMap<u32, Vec<(u64, u32)>>,
    /// Expressions that reached the cap.
    pub capped: Vec<u32>,
    /// Candidates verified here (not on the GPU).
    pub cpu_candidates: usize,
    /// Time spent verifying them, nanoseconds.
    pub cpu_candidates_ns: u64,
}

/// Verifies `candidates` of `regexes` (and matches the expressions without atoms, listed in
/// `unanchored`, everywhere) over data of `total` bytes read through `read`; `on_gpu` are
/// other candidates, already verified.
pub fn verify(
    regexes: &[&RegexString],
    unanchored: &[u32],
    candidates: Vec<Candidate>,
    on_gpu: GpuVerified,
    total: u64,
    read: &ReadRange,
) -> Result<Verified> {
    // Each candidate, with the index of its GPU matches where it has them.
    let mut candidates: Vec<(Candidate, Option<usize>)> = candidates
        .into_iter()
        .map(|c| (c, None))
        .chain(
            on_gpu
                .candidates
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c, Some(i))),
        )
        .collect();
    candidates.sort_unstable();
    candidates.dedup_by_key(|(c, _)| *c);
    let mut found: HashMap<u32, BTreeMap<u64, u32>> = HashMap::new();
    let mut capped = Vec::new();
    let mut caches: HashMap<(u32, u16, Option<u16>), SplitCaches> = HashMap::new();
    // yara reports no empty match; past the cap, the matches that start first are kept.
    let mut record = |regex: u32, start: u64, len: u32| {
        if len == 0 {
            return;
        }
        let greedy = regexes[regex as usize].greedy;
        let map = found.entry(regex).or_default();
        if let Some(existing) = map.get_mut(&start) {
            if greedy {
                *existing = len;
            }
            return;
        }
        if map.len() >= MAX_MATCHES {
            if !capped.contains(&regex) {
                capped.push(regex);
            }
            match map.last_key_value() {
                Some((&last, _)) if last > start => {
                    map.pop_last();
                }
                _ => return,
            }
        }
        map.insert(start, len);
    };
    let mut window: Option<(u64, Cow<[u8]>)> = None;
    let started = std::time::Instant::now();
    let mut cpu_candidates = 0;
    for (c, gpu) in candidates {
        if let Some(i) = gpu {
            for &(start, len) in &on_gpu.matches[i] {
                record(c.regex, start, len);
            }
            continue;
        }
        cpu_candidates += 1;
        let need_start = c.offset.saturating_sub(WINDOW_CONTEXT);
        let need_end = (c.offset + WINDOW_CONTEXT).min(total);
        let covered = window.as_ref().is_some_and(|(base, bytes)| {
            *base <= need_start && base + bytes.len() as u64 >= need_end
        });
        if !covered {
            let end = (need_end.max(c.offset + READ_BLOCK)).min(total);
            let Some(bytes) = read(need_start, end) else {
                continue;
            };
            window = Some((need_start, bytes));
        }
        let (base, bytes) = window.as_ref().expect("window read");
        let regex = regexes[c.regex as usize];
        let form = &regex.forms[c.form as usize];
        let caches = caches
            .entry((c.regex, c.form, Some(c.split)))
            .or_insert_with(|| form.caches(Some(c.split as usize)));
        let view = Window {
            bytes,
            base: *base,
            total,
        };
        form.verify(
            Some(c.split as usize),
            view,
            c.offset,
            caches,
            &mut |s, l| record(c.regex, s, l),
        )?;
    }
    let cpu_candidates_ns = started.elapsed().as_nanos() as u64;
    for &regex in unanchored {
        let r = regexes[regex as usize];
        for (f, form) in r.forms.iter().enumerate() {
            let caches = caches
                .entry((regex, f as u16, None))
                .or_insert_with(|| form.caches(None));
            // Blocks from the end of the data to its start: the backward scan of the starts
            // carries its state from each block to the one before.
            let mut state = None;
            let mut end = total;
            while end > 0 {
                let start = end.saturating_sub(READ_BLOCK);
                let read_start = start.saturating_sub(WINDOW_CONTEXT);
                let read_end = (end + WINDOW_CONTEXT).min(total);
                let Some(bytes) = read(read_start, read_end) else {
                    break;
                };
                let view = Window {
                    bytes: &bytes,
                    base: read_start,
                    total,
                };
                let mut starts = Vec::new();
                form.match_starts(view, start, end, &mut state, caches, &mut |at| {
                    starts.push(at)
                })?;
                for &at in starts.iter().rev() {
                    form.verify(None, view, at, caches, &mut |s, l| record(regex, s, l))?;
                }
                end = start;
            }
        }
    }
    Ok(Verified {
        matches: found
            .into_iter()
            .map(|(regex, map)| (regex, map.into_iter().collect()))
            .collect(),
        capped,
        cpu_candidates,
        cpu_candidates_ns,
    })
}
