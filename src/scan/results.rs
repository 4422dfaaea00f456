//! Scan results: matches, truncation, and what each chunk did.

use super::chain::PartMatch;
use super::logic::Tally;
use super::regex::verify::Candidate;
use super::scanner::{Backend, BackendReason};
use crate::gpu::DispatchPath;
use crate::policy::SpeculationReport;
use std::collections::BTreeSet;

/// One occurrence of a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Match {
    /// Offset in the input, bytes (first field: results sort by offset).
    pub offset: u64,
    /// Caller's rule id.
    pub rule_id: u32,
    /// Caller's string id.
    pub string_id: u32,
    /// Length of the matched bytes.
    pub length: u32,
}

/// Which backend scanned a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkPath {
    /// The GPU, on the fused or serial path.
    Gpu(DispatchPath),
    /// The CPU backend.
    Cpu,
}

/// What one chunk did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkReport {
    /// Input offset of the chunk's first owned byte.
    pub offset: u64,
    /// Bytes the chunk owns.
    pub bytes: u64,
    /// The path it took.
    pub path: ChunkPath,
    /// Its tile report (GPU only).
    pub report: Option<SpeculationReport>,
    /// Workgroup size of the kernels that produced its results (GPU only).
    pub workgroup_size: u32,
    /// Tile size (anchor positions per workgroup) of those kernels (GPU only).
    pub tile: u32,
    /// Whether it also ran a candidate variant for self-tuning.
    pub raced: bool,
}

impl ChunkReport {
    /// The report of `chunk` scanned on `path`.
    pub fn of(
        chunk: &super::stream::Chunk,
        path: ChunkPath,
        report: Option<SpeculationReport>,
    ) -> Self {
        Self {
            offset: chunk.owned_start,
            bytes: chunk.owned_end - chunk.owned_start,
            path,
            report,
            workgroup_size: 0,
            tile: 0,
            raced: false,
        }
    }
}

/// Wall-clock time of a scan's stages, nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanTimings {
    /// Reading the input from its file (zero for memory).
    pub read_ns: u64,
    /// Host-to-GPU copies (file reads included on the GPU backend's streaming path).
    pub upload_ns: u64,
    /// Kernels (submit to completion), or the CPU search.
    pub kernel_ns: u64,
    /// Match readback.
    pub readback_ns: u64,
    /// GPU time of the prefilter pass (serial path) or of the fused pass, from GPU timestamps
    /// where the adapter has them.
    pub prefilter_gpu_ns: u64,
    /// GPU time of the compaction and confirm passes of the serial path, from GPU timestamps.
    pub confirm_gpu_ns: u64,
    /// Verifying the candidates of regular-expression strings (on the CPU, and on the GPU
    /// where they went there).
    pub regex_ns: u64,
    /// The part of `regex_ns` spent on GPU verification (gathering the data around the
    /// candidates, the upload, the kernel and the readback).
    pub regex_gpu_ns: u64,
    /// Evaluating the rules' conditions.
    pub evaluate_ns: u64,
    /// The whole scan.
    pub total_ns: u64,
}

impl ScanTimings {
    /// Adds the stage times of `other` (another part of the same input, or another input).
    pub fn add(&mut self, other: &ScanTimings) {
        self.read_ns += other.read_ns;
        self.upload_ns += other.upload_ns;
        self.kernel_ns += other.kernel_ns;
        self.readback_ns += other.readback_ns;
        self.prefilter_gpu_ns += other.prefilter_gpu_ns;
        self.confirm_gpu_ns += other.confirm_gpu_ns;
        self.regex_ns += other.regex_ns;
        self.regex_gpu_ns += other.regex_gpu_ns;
        self.evaluate_ns += other.evaluate_ns;
        self.total_ns += other.total_ns;
    }
}

/// Everything a scan found, sorted by (offset, rule id, string id, length).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanResult {
    /// The matches (at most the caller's limit).
    pub matches: Vec<Match>,
    /// Whether matches were dropped because of the limit.
    pub truncated: bool,
    /// How many were dropped.
    pub dropped: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// One entry per chunk.
    pub chunks: Vec<ChunkReport>,
    /// Stage timings.
    pub timings: ScanTimings,
    /// Whether a match callback stopped the scan early.
    pub stopped: bool,
    /// Ids of the rules that match, ascending. A YARA rule matches when its condition holds
    /// (private rules are left out; a false global rule leaves none); a programmatic rule when
    /// any of its strings matched. Counted over every match, including those past the limit;
    /// a scan stopped early evaluates what it saw.
    pub rules: Vec<u32>,
    /// (rule id, string id) of the strings with more matches in a chunk than the per-string
    /// cap ([`super::bounded::MAX_STRING_MATCHES`]): their matches past the cap are counted,
    /// not stored. The string id of a YARA rule set is the string's index in its rule.
    pub capped: Vec<(u32, u32)>,
    /// Messages the `console` module wrote while the conditions ran, in order (yara hands
    /// them to its callback; `specrt-scan` prints them).
    pub console: Vec<Vec<u8>>,
    /// The backend the scan ran on: `Gpu` or `Cpu` (`Auto` only in a result built by hand).
    pub backend: Backend,
    /// Why it ran there.
    pub backend_reason: BackendReason,
    /// Regular-expression candidates verified on the GPU (the others were verified on the
    /// CPU; see [`super::RegexVerification`]).
    pub regex_gpu_candidates: u64,
    /// Matches stored per (rule id, string id), for the per-string cap.
    pub(crate) stored_per_string: std::collections::HashMap<(u32, u32), u32>,
    /// Per-string tallies of a YARA rule set, for its conditions.
    pub(crate) tally: Option<Tally>,
    /// Rules with a match, for a programmatic rule set.
    pub(crate) seen_rules: BTreeSet<u32>,
    /// Anchor hits of regular-expression strings, verified when the input is complete (at
    /// most [`super::scanner::MAX_REGEX_CANDIDATES`]).
    pub(crate) regex_candidates: Vec<Candidate>,
    /// Regular expressions that lost candidates to that cap (reported capped).
    pub(crate) regex_candidates_dropped: BTreeSet<u32>,
    /// Matches of chained strings' parts, joined when the input is complete (at most
    /// [`super::chain::MAX_PART_MATCHES`] per part, [`super::chain::MAX_CHAIN_PART_MATCHES`]
    /// in all).
    pub(crate) chain_parts: Vec<PartMatch>,
    /// How many matches `chain_parts` holds per (rule id, string id, part).
    pub(crate) chain_part_counts: std::collections::HashMap<(u32, u32, u32), u32>,
    /// (rule id, string id) of chained strings that lost part matches to that cap.
    pub(crate) chain_parts_dropped: BTreeSet<(u32, u32)>,
}

impl ScanResult {
    /// Keeps `candidate` unless the scan holds [`super::scanner::MAX_REGEX_CANDIDATES`].
    pub(crate) fn keep_candidate(&mut self, candidate: Candidate) {
        if self.regex_candidates.len() < super::scanner::MAX_REGEX_CANDIDATES {
            self.regex_candidates.push(candidate);
        } else {
            self.regex_candidates_dropped.insert(candidate.regex);
        }
    }

    /// Keeps the part matches in `parts` within the caps of [`super::chain`].
    pub(crate) fn keep_chain_parts(&mut self, parts: Vec<PartMatch>) {
        for part in parts {
            let count = self
                .chain_part_counts
                .entry((part.rule_id, part.string_id, part.part))
                .or_default();
            if *count < super::chain::MAX_PART_MATCHES
                && self.chain_parts.len() < super::chain::MAX_CHAIN_PART_MATCHES
            {
                *count += 1;
                self.chain_parts.push(part);
            } else {
                self.chain_parts_dropped
                    .insert((part.rule_id, part.string_id));
            }
        }
    }

    /// Records the backend the scan ran on (`gpu` or the CPU) and why.
    pub(crate) fn set_backend(&mut self, gpu: bool, reason: BackendReason) {
        self.backend = if gpu { Backend::Gpu } else { Backend::Cpu };
        self.backend_reason = reason;
    }

    /// Drops from `found` the matches of strings that already have
    /// [`super::bounded::MAX_STRING_MATCHES`] stored (marking them capped), and counts the
    /// others as stored.
    pub(crate) fn keep_under_cap(&mut self, found: &mut Vec<Match>) {
        let cap = super::bounded::MAX_STRING_MATCHES;
        let stored = &mut self.stored_per_string;
        let capped = &mut self.capped;
        found.retain(|m| {
            let n = stored.entry((m.rule_id, m.string_id)).or_insert(0);
            if *n < cap {
                *n += 1;
                true
            } else {
                if !capped.contains(&(m.rule_id, m.string_id)) {
                    capped.push((m.rule_id, m.string_id));
                }
                false
            }
        });
    }

    /// Adds one chunk's matches (sorted, the per-string cap and the limit applied) and its
    /// report.
    pub fn add_chunk(
        &mut self,
        found: Vec<Match>,
        total_found: u64,
        limit: usize,
        report: ChunkReport,
    ) {
        self.add_matches(found, total_found, limit);
        self.bytes += report.bytes;
        self.chunks.push(report);
    }

    /// Adds matches (the per-string cap and the limit applied), keeping them sorted.
    pub(crate) fn add_matches(&mut self, mut found: Vec<Match>, total_found: u64, limit: usize) {
        found.sort_unstable();
        self.keep_under_cap(&mut found);
        let room = limit.saturating_sub(self.matches.len());
        let kept = found.len().min(room);
        self.dropped += total_found - kept as u64;
        self.truncated |= total_found > kept as u64;
        found.truncate(kept);
        let sorted = self
            .matches
            .last()
            .is_none_or(|last| found.first().is_none_or(|f| last <= f));
        self.matches.extend(found);
        if !sorted {
            self.matches.sort_unstable();
        }
    }
}
