//! Verification of regular-expression candidates on the GPU, for the atoms whose automata fit
//! the dense tables of [`super::dense`].
//!
//! The candidates of one input are verified in batches. A batch uploads the data around its
//! candidates (each candidate's [`WINDOW_CONTEXT`] on both sides, overlapping windows merged,
//! cut at the input's ends) and one [`GpuCandidate`] per candidate, and runs
//! `shaders/scan_regex.wgsl`: one lane per candidate, which appends its matches to a list.
//! The list is sized for a few matches per candidate; a batch that finds more runs again with
//! room for all of them. The tables stay on the GPU from the first verification on.
//!
//! A GPU verification costs a submission and a round trip (tens of microseconds on a discrete
//! GPU, plus the data's upload) where the CPU verifies most candidates of real files in about
//! a microsecond, since most die within a few bytes; but a candidate whose automata run far
//! (a prefix like `[a-z]+` over text, which yara's exhaustive backward search walks up to
//! 4,096 bytes, reporting every start) costs the CPU far more. So the automatic choice
//! ([`crate::scan::RegexVerification::Auto`]) is measured, not guessed: [`CpuCost`] keeps the
//! CPU's recent time per candidate, and an input's candidates go to the GPU when the CPU
//! would spend at least [`AUTO_MIN_CPU_NS`] on them.

use super::dense::DenseTables;
use super::matcher::{SCAN_LIMIT, WINDOW_CONTEXT};
use super::verify::{Candidate, ReadRange};
use crate::gpu::capture::capture;
use crate::gpu::context::GpuContext;
use crate::gpu::run::{map_read, upload};
use crate::gpu::{Program, ProgramDesc, SizeRule};
use crate::scan::compile::CompiledRules;
use crate::scan::gpu::entry;
use crate::{Error, Result};

const KERNEL: &str = include_str!("../../../shaders/scan_regex.wgsl");
/// Lanes per workgroup (`@workgroup_size` in the kernel).
const LANES: u32 = 64;
/// CPU time that an input's candidates must be expected to cost before the automatic choice
/// verifies them on the GPU, nanoseconds.
pub(crate) const AUTO_MIN_CPU_NS: f64 = 1e6;
/// Weight of the past in [`CpuCost`] at each new input.
const COST_DECAY: f64 = 0.9;
/// Most data bytes one batch uploads.
const MAX_BATCH_DATA: u64 = 64 << 20;
/// Most candidates in one batch: each finds at most SCAN_LIMIT + 1 matches, so the kernel's
/// 32-bit match counter cannot wrap.
const MAX_BATCH_CANDIDATES: usize = 1 << 19;
/// Most matches one batch may return; a batch that finds more is verified on the CPU, which
/// keeps at most one match per start.
const MAX_BATCH_MATCHES: u64 = 1 << 24;
/// Match slots per candidate in a batch's first run.
const SLOTS_PER_CANDIDATE: u64 = 4;

/// One candidate as the kernel reads it (`RegexCandidate`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct GpuCandidate {
    /// Byte of the batch's data where the anchor is.
    data_at: u32,
    /// Bytes of the input before the anchor in the batch's data.
    before: u32,
    /// Bytes of the input from the anchor on in the batch's data.
    after: u32,
    /// Index of the atom's automata in the tables.
    split: u32,
}

/// One match as the kernel writes it (`RegexMatch`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct GpuMatch {
    /// Index of its candidate in the batch.
    candidate: u32,
    /// Bytes from the match's start to the anchor.
    back: u32,
    /// Length.
    len: u32,
    _pad: u32,
}

/// The head of the kernel's match list (`Found` without its array).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct FoundHead {
    /// Matches found (also those past the list's end).
    count: u32,
    _pad: [u32; 3],
}

/// The CPU's recent verification time per candidate: candidates and nanoseconds summed over
/// the inputs verified on the CPU, the past decaying by [`COST_DECAY`] at each input.
#[derive(Debug, Default)]
pub(crate) struct CpuCost {
    sums: std::sync::Mutex<(f64, f64)>,
}

impl CpuCost {
    /// Records that `candidates` took `ns` on the CPU.
    pub fn record(&self, candidates: usize, ns: u64) {
        if candidates == 0 {
            return;
        }
        let mut sums = self.sums.lock().unwrap_or_else(|p| p.into_inner());
        sums.0 = sums.0 * COST_DECAY + candidates as f64;
        sums.1 = sums.1 * COST_DECAY + ns as f64;
    }

    /// Expected CPU time of `candidates`, nanoseconds (0 before any measurement).
    pub fn estimate(&self, candidates: usize) -> f64 {
        let sums = self.sums.lock().unwrap_or_else(|p| p.into_inner());
        if sums.0 == 0.0 {
            return 0.0;
        }
        candidates as f64 * sums.1 / sums.0
    }
}

/// The dense tables of a rule set on one GPU, and the kernel that walks them.
pub(crate) struct RegexGpu {
    tables: DenseTables,
    program: Program,
    splits: wgpu::Buffer,
    words: wgpu::Buffer,
}

/// Candidates verified on the GPU, in candidate order, each with its matches.
#[derive(Debug, Default)]
pub struct GpuVerified {
    /// The candidates (sorted).
    pub candidates: Vec<Candidate>,
    /// Per candidate, its matches (start, length) in the CPU's order.
    pub matches: Vec<Vec<(u64, u32)>>,
    /// Candidates left to the CPU: those of batches that found more than
    /// [`MAX_BATCH_MATCHES`].
    pub declined: Vec<Candidate>,
}

impl RegexGpu {
    /// Builds the tables of `rules`' expressions and uploads them (None: no atom fits).
    pub fn new(ctx: &GpuContext, rules: &CompiledRules) -> Result<Option<Self>> {
        let mut tables = DenseTables::default();
        for (r, regex) in rules.regexes.iter().enumerate() {
            for (f, form) in regex.regex.forms.iter().enumerate() {
                for (s, split) in form.splits.iter().enumerate() {
                    tables.add(
                        (r as u32, f as u16, s as u16),
                        &split.prefix,
                        &split.suffix,
                        form.mode,
                        form.fullword,
                    );
                }
            }
        }
        if tables.splits.is_empty() {
            return Ok(None);
        }
        let program = Program::new_engine(
            ctx,
            ProgramDesc {
                wgsl: format!("const SCAN_LIMIT: u32 = {SCAN_LIMIT}u;\n{KERNEL}"),
                entry_point: "verify".into(),
                inputs: 4,
                // The match list, sized per batch by `run`.
                outputs: vec![SizeRule::fixed(std::mem::size_of::<FoundHead>() as u64)],
                workgroups_x: SizeRule::fixed(1),
                workgroups_y: 1,
                workgroups_z: 1,
            },
        )?;
        let gpu = ctx.gpu()?;
        let resident = |what: &str, bytes: &[u8]| {
            let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(what),
                size: (bytes.len() as u64).max(4).next_multiple_of(4),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            upload(&gpu.queue, &buffer, bytes);
            buffer
        };
        let splits = resident("regex splits", bytemuck::cast_slice(&tables.splits));
        let words = resident("regex automata", bytemuck::cast_slice(&tables.words));
        Ok(Some(Self {
            tables,
            program,
            splits,
            words,
        }))
    }

    /// How many atoms have GPU automata.
    pub fn atoms(&self) -> usize {
        self.tables.splits.len()
    }

    /// Whether the candidate's atom has GPU automata.
    pub fn fits(&self, c: &Candidate) -> bool {
        self.tables.index.contains_key(&(c.regex, c.form, c.split))
    }

    /// Verifies `candidates` (all fitting, sorted) of an input of `total` bytes read through
    /// `read`. Candidates whose data cannot be read are left out of the result (the CPU
    /// verification skips them too).
    pub fn verify(
        &self,
        ctx: &GpuContext,
        candidates: &[Candidate],
        total: u64,
        read: &ReadRange,
    ) -> Result<GpuVerified> {
        let mut out = GpuVerified::default();
        let mut rest = candidates;
        while !rest.is_empty() {
            let batch = Batch::gather(self, &mut rest, total, read);
            let Some(found) = self.run(ctx, &batch)? else {
                out.declined.extend(&batch.candidates);
                continue;
            };
            let first = out.candidates.len();
            out.candidates.extend(&batch.candidates);
            out.matches.resize(out.candidates.len(), Vec::new());
            for m in found {
                let c = &batch.candidates[m.candidate as usize];
                out.matches[first + m.candidate as usize].push((c.offset - m.back as u64, m.len));
            }
        }
        Ok(out)
    }

    /// Runs the kernel on one batch: its matches, grouped by candidate in emission order (None:
    /// more than [`MAX_BATCH_MATCHES`], or than the adapter binds).
    fn run(&self, ctx: &GpuContext, batch: &Batch) -> Result<Option<Vec<GpuMatch>>> {
        if batch.gpu.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let bindable = ctx
            .gpu()?
            .summary
            .max_binding()
            .saturating_sub(std::mem::size_of::<FoundHead>() as u64)
            / std::mem::size_of::<GpuMatch>() as u64;
        let most = MAX_BATCH_MATCHES.min(bindable);
        let mut slots = (batch.gpu.len() as u64 * SLOTS_PER_CANDIDATE).min(most);
        loop {
            let (count, mut matches) = self.dispatch(ctx, batch, slots)?;
            if count as u64 <= slots {
                // Lanes append concurrently; within one candidate, in the order it found them.
                matches.sort_by_key(|m| m.candidate);
                return Ok(Some(matches));
            }
            if count as u64 > most {
                return Ok(None);
            }
            slots = count as u64;
        }
    }

    /// One dispatch with room for `slots` matches: (matches found, those stored).
    fn dispatch(
        &self,
        ctx: &GpuContext,
        batch: &Batch,
        slots: u64,
    ) -> Result<(u32, Vec<GpuMatch>)> {
        use wgpu::BufferUsages as U;
        let gpu = ctx.gpu()?;
        let (device, queue, pool) = (&gpu.device, &gpu.queue, &gpu.pool);
        let head = std::mem::size_of::<FoundHead>() as u64;
        let found_size = head + slots * std::mem::size_of::<GpuMatch>() as u64;
        let max_binding = gpu.summary.max_binding();
        if found_size > max_binding || batch.data.len() as u64 > max_binding {
            return Err(Error::TooLarge(format!(
                "a regular-expression verification batch needs {found_size} bytes of matches and {} of data; this adapter binds at most {max_binding}",
                batch.data.len()
            )));
        }
        capture(device, "verifying regular expressions", || {
            let candidates_bytes: &[u8] = bytemuck::cast_slice(&batch.gpu);
            let inputs = [candidates_bytes, &batch.data[..]].map(|bytes| {
                let buffer = pool.acquire(device, U::STORAGE | U::COPY_DST, padded(bytes.len()));
                upload(queue, &buffer, bytes);
                (buffer, padded(bytes.len()))
            });
            let found = pool.acquire(device, U::STORAGE | U::COPY_SRC | U::COPY_DST, found_size);
            let readback = pool.acquire(device, U::MAP_READ | U::COPY_DST, found_size);
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("specrt regex verification"),
                layout: &self.program.bind_group_layout,
                entries: &[
                    entry(0, &self.splits, self.splits.size()),
                    entry(1, &self.words, self.words.size()),
                    entry(2, &inputs[0].0, inputs[0].1),
                    entry(3, &inputs[1].0, inputs[1].1),
                    entry(4, &found, found_size),
                ],
            });
            let mut encoder = device.create_command_encoder(&Default::default());
            encoder.clear_buffer(&found, 0, Some(found_size));
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&self.program.pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups((batch.gpu.len() as u32).div_ceil(LANES), 1, 1);
            }
            encoder.copy_buffer_to_buffer(&found, 0, &readback, 0, found_size);
            let submission = queue.submit([encoder.finish()]);
            let bytes = map_read(ctx, device, &readback, found_size, submission);
            let [(a, _), (b, _)] = inputs;
            pool.release([a, b, found, readback]);
            let bytes = bytes?;
            let count = bytemuck::pod_read_unaligned::<FoundHead>(&bytes[..head as usize]).count;
            let stored = (count as u64).min(slots) as usize;
            let matches = bytes[head as usize..]
                .chunks_exact(std::mem::size_of::<GpuMatch>())
                .take(stored)
                .map(bytemuck::pod_read_unaligned::<GpuMatch>)
                .collect();
            Ok((count, matches))
        })
    }
}

/// Bound size of a buffer holding `len` bytes: a multiple of 4, at least 4.
fn padded(len: usize) -> u64 {
    (len as u64).max(4).next_multiple_of(4)
}

/// The candidates of one dispatch and the data around them.
struct Batch {
    /// The candidates (those whose data could be read).
    candidates: Vec<Candidate>,
    /// The same, as the kernel reads them.
    gpu: Vec<GpuCandidate>,
    /// The merged windows, end to end.
    data: Vec<u8>,
}

/// A stretch of the input copied into a batch's data.
struct Span {
    /// Input offset of its first byte.
    start: u64,
    /// Input offset past its last byte.
    end: u64,
    /// Where it begins in the batch's data.
    data: usize,
}

impl Batch {
    /// Takes candidates from the front of `rest` until the batch is full.
    fn gather(tables: &RegexGpu, rest: &mut &[Candidate], total: u64, read: &ReadRange) -> Self {
        let mut batch = Batch {
            candidates: Vec::new(),
            gpu: Vec::new(),
            data: Vec::new(),
        };
        let copy = |data: &mut Vec<u8>, start: u64, end: u64| -> bool {
            match read(start, end) {
                Some(bytes) if bytes.len() as u64 == end - start => {
                    data.extend_from_slice(&bytes);
                    true
                }
                _ => false,
            }
        };
        let mut span: Option<Span> = None;
        let mut taken = 0;
        for c in rest.iter() {
            if batch.gpu.len() >= MAX_BATCH_CANDIDATES || batch.data.len() as u64 >= MAX_BATCH_DATA
            {
                break;
            }
            taken += 1;
            let need_start = c.offset.saturating_sub(WINDOW_CONTEXT);
            let need_end = (c.offset + WINDOW_CONTEXT).min(total);
            // Candidates come nearly in offset order: most extend the current span.
            let joined = match &mut span {
                Some(w) if w.start <= need_start && need_start <= w.end => {
                    if need_end > w.end && copy(&mut batch.data, w.end, need_end) {
                        w.end = need_end;
                    }
                    w.end >= need_end
                }
                _ => false,
            };
            if !joined {
                let data = batch.data.len();
                if !copy(&mut batch.data, need_start, need_end) {
                    continue;
                }
                span = Some(Span {
                    start: need_start,
                    end: need_end,
                    data,
                });
            }
            let w = span.as_ref().expect("a span holds the candidate");
            batch.candidates.push(*c);
            batch.gpu.push(GpuCandidate {
                data_at: (w.data as u64 + c.offset - w.start) as u32,
                before: (c.offset - w.start) as u32,
                after: (w.end - c.offset) as u32,
                split: tables.tables.index[&(c.regex, c.form, c.split)],
            });
        }
        *rest = &rest[taken..];
        batch
    }
}
