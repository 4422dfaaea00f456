//! The scanner: a compiled rule set with its CPU searcher and, when the context has a GPU, its
//! GPU tables; scans of memory, GPU-resident buffers and files.
//!
//! This module drives the backends (which chunk goes where, the GPU's dispatch path, the
//! tuner); what they find becomes a [`ScanResult`] in `matches`.

mod matches;

use super::atoms::AtomStatistics;
use super::bounded::BoundedMatches;
use super::compile::CompiledRules;
use super::cpu::CpuSearcher;
use super::gpu::{ChunkData, ChunkOutput, GpuScanner, KernelShape, PendingChunk, DEFAULT_SHAPE};
use super::regex::gpu::{CpuCost, RegexGpu};
use super::results::{ChunkPath, ChunkReport, Match, ScanResult};
use super::rules::RuleSet;
use super::stream::{plan, Chunk};
use super::tune::{Bucket, Plan, Tuner};
use crate::gpu::capture::capture;
use crate::gpu::dispatch::choose_path;
use crate::gpu::staging::Staging;
use crate::gpu::{DispatchPath, GpuContext};
use crate::policy::{AdaptiveSpeculator, SpeculationMode};
use crate::{Error, Result};
use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Default chunk size of the CPU backend (its unit of parallelism and progress), bytes.
pub const CPU_CHUNK_BYTES: u64 = 8 << 20;
/// Default cap on GPU chunk data, bytes.
pub const GPU_CHUNK_BYTES: u64 = 128 << 20;
/// Default match limit.
pub const DEFAULT_MAX_MATCHES: usize = 1 << 20;
/// Matches one GPU chunk captures: all of them up to this bound, so that the match limit keeps
/// the first matches in sort order on every backend. A chunk of a host scan that finds more is
/// searched again on the CPU; on a GPU-resident scan the kept subset is then unspecified
/// (counts stay exact).
pub(crate) const MAX_CHUNK_CAPACITY: u32 = 1 << 22;
/// Most anchor hits of regular-expression strings one scan keeps for verification; past it,
/// the strings concerned are marked capped (see [`super::bounded`]).
pub(crate) const MAX_REGEX_CANDIDATES: usize = 1 << 24;

/// Which backend scans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// The GPU when the context has a hardware adapter, else the CPU: a software adapter (such
    /// as llvmpipe) scans far slower than the CPU backend, so it is used only when asked for.
    #[default]
    Auto,
    /// The GPU, software adapters included; an error without one.
    Gpu,
    /// The CPU.
    Cpu,
}

/// Where the anchor hits of regular-expression strings are verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegexVerification {
    /// On the GPU when the input was scanned there and the CPU would spend at least a
    /// millisecond on its candidates whose automata fit the GPU's tables (from the CPU's
    /// measured recent time per candidate: a round trip costs more than the CPU spends on a
    /// few cheap ones); the others on the CPU.
    #[default]
    Auto,
    /// Always on the CPU.
    Cpu,
    /// Every candidate whose automata fit on the GPU, whenever the scanner has one (whatever
    /// the backend that scanned); the others on the CPU.
    Gpu,
}

/// Whether the context's adapter is a software rasterizer (such as llvmpipe or SwiftShader).
fn is_software(ctx: &GpuContext) -> bool {
    ctx.summary()
        .is_some_and(|s| s.info.device_type == wgpu::DeviceType::Cpu)
}

/// Why a scan ran on the backend it ran on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendReason {
    /// The caller asked for this backend (or for a dispatch mode only the GPU has).
    #[default]
    Requested,
    /// Automatic choice: the context has a hardware GPU.
    HardwareGpu,
    /// Automatic choice: the context's adapter is a software rasterizer, slower than the CPU
    /// backend.
    SoftwareGpu,
    /// Automatic choice: the scanner has no GPU.
    NoGpu,
    /// The rule set has no strings: there is nothing to search for on any backend.
    NothingToSearch,
}

impl BackendReason {
    /// The reason in a sentence (static text, also handed to C).
    pub fn describe(self) -> &'static std::ffi::CStr {
        match self {
            Self::Requested => c"the backend was requested",
            Self::HardwareGpu => c"automatic choice: the context has a hardware GPU",
            Self::SoftwareGpu => {
                c"automatic choice: the only adapter is a software rasterizer, slower than the CPU \
                  backend (request the GPU backend to use it)"
            }
            Self::NoGpu => c"automatic choice: the scanner has no GPU",
            Self::NothingToSearch => c"the rules have no strings: nothing to search for",
        }
    }
}

/// Per-scan settings.
#[derive(Clone, Copy, Debug)]
pub struct ScanOptions {
    /// Fused, serial, or the speculator's choice, per chunk.
    pub mode: SpeculationMode,
    /// Which backend.
    pub backend: Backend,
    /// Most matches returned; the rest are counted as dropped.
    pub max_matches: usize,
    /// Upper bound on a chunk's data, bytes (0: the device's and the defaults' limit).
    pub max_chunk_bytes: u64,
    /// Whether GPU chunks take part in self-tuning (racing kernel variants until a choice is
    /// settled for their shape; settled choices are always used).
    pub tune: bool,
    /// yara's fast mode (`yara -f`): a string whose condition only asks whether it matched
    /// (`$x`, `of`) reports its first match only. Rule results are the same.
    pub fast: bool,
    /// Longest one input's scan may take (yara's `-a`): checked between chunks and after the
    /// conditions, an input past it fails with [`Error::Timeout`]. None: no limit.
    pub timeout: Option<std::time::Duration>,
    /// Where regular-expression candidates are verified.
    pub regex_verification: RegexVerification,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            mode: SpeculationMode::Auto,
            backend: Backend::Auto,
            max_matches: DEFAULT_MAX_MATCHES,
            max_chunk_bytes: 0,
            tune: true,
            fast: false,
            timeout: None,
            regex_verification: RegexVerification::Auto,
        }
    }
}

/// A chunk's scan submitted to the GPU, and what completing it needs.
struct SubmittedChunk<'a> {
    pending: PendingChunk,
    data: ChunkData<'a>,
    chunk: &'a Chunk,
    path: DispatchPath,
    bucket: Bucket,
    shape: KernelShape,
    /// The shape to race against `shape` on this chunk, when the tuner plans a race.
    candidate: Option<KernelShape>,
}

/// A chunk's GPU output and how it was produced.
struct ChunkRun {
    out: ChunkOutput,
    shape: KernelShape,
    raced: bool,
}

/// Called with each chunk's matches (sorted); returns false to stop the scan.
pub type MatchSink<'a> = dyn FnMut(&[Match]) -> bool + 'a;
/// Called after each chunk with (bytes done, bytes total); returns false to stop the scan.
pub type Progress<'a> = dyn FnMut(u64, u64) -> bool + 'a;

/// A compiled rule set ready to scan, on the GPU of its context or on the CPU.
///
/// Thread safety: scans may run on any number of threads at once.
pub struct Scanner {
    rules: CompiledRules,
    cpu: CpuSearcher,
    /// The dense automata of the regular expressions on the GPU, built on first use (an error
    /// as its message).
    regex_gpu: OnceLock<std::result::Result<Option<RegexGpu>, String>>,
    /// The CPU's recent time per regular-expression candidate (for the automatic choice).
    regex_cpu_cost: CpuCost,
    /// The GPU tables, then the context: fields drop in order, so the tables go first.
    gpu: Option<(GpuScanner, Arc<GpuContext>)>,
    speculator: AdaptiveSpeculator,
    tuner: Tuner,
}

impl Scanner {
    /// Compiles `rules`; with a GPU context, uploads its tables and kernels there.
    pub fn new(context: Option<Arc<GpuContext>>, rules: &RuleSet) -> Result<Self> {
        let compiled = CompiledRules::compile(rules)?;
        // The CPU automaton is built while the GPU tables upload and the pipelines compile.
        let (cpu, gpu) = std::thread::scope(|scope| {
            let cpu = scope.spawn(|| CpuSearcher::new(&compiled));
            let gpu = match context {
                Some(ctx) if ctx.summary().is_some() && !compiled.patterns.is_empty() => {
                    GpuScanner::new(&ctx, &compiled).map(|scanner| Some((scanner, ctx)))
                }
                _ => Ok(None),
            };
            (cpu.join().expect("CPU automaton builder"), gpu)
        });
        Ok(Self {
            cpu: cpu?,
            tuner: Tuner::new(compiled.patterns.len()),
            rules: compiled,
            regex_gpu: OnceLock::new(),
            regex_cpu_cost: CpuCost::default(),
            gpu: gpu?,
            speculator: AdaptiveSpeculator::default(),
        })
    }

    /// The compiled rules.
    pub fn rules(&self) -> &CompiledRules {
        &self.rules
    }

    /// Atom statistics of the compiled rules and what their atoms cost on `sample` (candidates
    /// and verifications, counted by the CPU backend's search).
    pub fn atom_statistics(&self, sample: &[u8]) -> AtomStatistics {
        self.cpu.statistics(&self.rules, sample)
    }

    /// How many atoms of the regular-expression strings (per form) have automata on the GPU,
    /// of how many: the candidates of the others are always verified on the CPU. Builds the
    /// GPU tables if they are not built yet; (0, atoms) without a GPU.
    pub fn regex_atoms_on_gpu(&self) -> Result<(usize, usize)> {
        let atoms = self
            .rules
            .regexes
            .iter()
            .flat_map(|r| r.regex.forms.iter())
            .map(|f| f.splits.len())
            .sum();
        let on_gpu = match self.regex_gpu() {
            Some(Ok(Some(tables))) => tables.atoms(),
            Some(Err(message)) => return Err(Error::Gpu(message.clone())),
            _ => 0,
        };
        Ok((on_gpu, atoms))
    }

    /// The GPU tables of the regular expressions, built on first use (None: no GPU).
    pub(crate) fn regex_gpu(&self) -> Option<&std::result::Result<Option<RegexGpu>, String>> {
        let (_, ctx) = self.gpu.as_ref()?;
        Some(
            self.regex_gpu
                .get_or_init(|| RegexGpu::new(ctx, &self.rules).map_err(|e| e.to_string())),
        )
    }

    /// The speculator that routes this scanner's GPU chunks.
    pub fn speculator(&self) -> &AdaptiveSpeculator {
        &self.speculator
    }

    /// Whether scans can use a GPU.
    pub fn has_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// Whether `options` scan on the GPU (errors for impossible combinations).
    pub(crate) fn use_gpu_for(&self, options: &ScanOptions) -> Result<bool> {
        self.choose_backend(options).map(|(gpu, _)| gpu)
    }

    /// Whether a scan with `options` runs on the GPU, and why.
    pub(crate) fn choose_backend(&self, options: &ScanOptions) -> Result<(bool, BackendReason)> {
        if self.rules.patterns.is_empty() {
            return Ok((false, BackendReason::NothingToSearch));
        }
        let force = options.mode == SpeculationMode::Force;
        let speculative_on_cpu =
            || Error::Unsupported("speculative dispatch on backend cpu".into());
        match (options.backend, &self.gpu) {
            (Backend::Cpu, _) if force => Err(speculative_on_cpu()),
            (Backend::Cpu, _) => Ok((false, BackendReason::Requested)),
            (Backend::Gpu, None) => Err(Error::NoAdapter(
                "this scanner has no GPU (its context has no adapter); use the CPU backend".into(),
            )),
            (Backend::Gpu, Some(_)) => Ok((true, BackendReason::Requested)),
            (Backend::Auto, None) if force => Err(speculative_on_cpu()),
            (Backend::Auto, None) => Ok((false, BackendReason::NoGpu)),
            // The fused path exists only on the GPU: forcing it asks for the GPU.
            (Backend::Auto, Some(_)) if force => Ok((true, BackendReason::Requested)),
            (Backend::Auto, Some((_, ctx))) if is_software(ctx) => {
                Ok((false, BackendReason::SoftwareGpu))
            }
            (Backend::Auto, Some(_)) => Ok((true, BackendReason::HardwareGpu)),
        }
    }

    /// Scans `data`; `on_match` receives each chunk's matches and may stop the scan.
    pub fn scan(
        &self,
        data: &[u8],
        options: &ScanOptions,
        on_match: Option<&mut MatchSink>,
        progress: Option<&mut Progress>,
    ) -> Result<ScanResult> {
        self.scan_input(Input::Memory(data), options, on_match, progress)
    }

    fn scan_input(
        &self,
        input: Input,
        options: &ScanOptions,
        on_match: Option<&mut MatchSink>,
        progress: Option<&mut Progress>,
    ) -> Result<ScanResult> {
        let started = Instant::now();
        let (gpu, reason) = self.choose_backend(options)?;
        let mut on_match = on_match;
        // The progress report between chunks also watches the clock (with a time limit).
        let mut user_progress = progress;
        let mut timed_out = false;
        let mut watch = |done: u64, total: u64| {
            if options.timeout.is_some_and(|t| started.elapsed() > t) {
                timed_out = true;
                return false;
            }
            user_progress.as_mut().is_none_or(|p| p(done, total))
        };
        let progress: Option<&mut Progress> = Some(&mut watch);
        let mut result = if gpu {
            self.scan_gpu_host(input, options, &mut on_match, progress)?
        } else {
            self.scan_cpu(input, options, &mut on_match, progress)?
        };
        result.set_backend(gpu, reason);
        let read = |start: u64, end: u64| input.read(start, end).ok();
        let whole = match input {
            Input::Memory(data) => Some(data),
            Input::File { .. } => None,
        };
        let late = self.finish_rules(&mut result, input.len(), &read, whole, options)?;
        if let Some(limit) = options
            .timeout
            .filter(|&t| timed_out || started.elapsed() > t)
        {
            return Err(Error::Timeout(format!(
                "the scan of {} bytes took longer than {limit:?}",
                input.len()
            )));
        }
        if let Some(sink) = on_match
            .as_mut()
            .filter(|_| !result.stopped && !late.is_empty())
        {
            result.stopped = !sink(&late);
        }
        result.timings.total_ns = started.elapsed().as_nanos() as u64;
        Ok(result)
    }

    /// Scans `len` bytes already resident in `buffer` on this scanner's GPU (no upload).
    pub fn scan_resident(
        &self,
        buffer: &wgpu::Buffer,
        len: u64,
        options: &ScanOptions,
    ) -> Result<ScanResult> {
        if self.rules.logic.as_ref().is_some_and(|l| l.reads_input) {
            return Err(Error::Unsupported(
                "conditions that read input bytes (uintN, modules) on a GPU-resident scan; scan \
                 from host memory or a file, or use the matches-only resident scan"
                    .into(),
            ));
        }
        if !self.rules.regexes.is_empty() {
            return Err(Error::Unsupported(
                "regular-expression strings on a GPU-resident scan (their candidates are \
                 verified against host bytes); scan from host memory or a file, or use the \
                 matches-only resident scan"
                    .into(),
            ));
        }
        let started = Instant::now();
        let mut result = self.scan_resident_matches(buffer, len, options)?;
        self.finish_rules(&mut result, len, &|_, _| None, None, options)?;
        result.timings.total_ns = started.elapsed().as_nanos() as u64;
        Ok(result)
    }

    /// Scans `len` bytes already resident in `buffer` for matches only: the rules' conditions
    /// are not evaluated (`rules` stays empty), so any rule set works, also one whose
    /// conditions read input bytes. For engines that evaluate conditions themselves, and to
    /// measure the kernels alone.
    pub fn scan_resident_matches(
        &self,
        buffer: &wgpu::Buffer,
        len: u64,
        options: &ScanOptions,
    ) -> Result<ScanResult> {
        let (ctx, gpu) = self.gpu_parts()?;
        let started = Instant::now();
        let chunks = plan(
            len,
            self.gpu_chunk_limit(ctx, options)?,
            self.rules.max_len as u64,
        )?;
        let mut result = ScanResult::default();
        result.set_backend(true, BackendReason::Requested);
        // Chunk k+1 is submitted before chunk k's matches are taken, so the GPU scans it while
        // the host sorts and resolves them (its path is chosen before chunk k's report reaches
        // the speculator: the adaptive choice lags one chunk).
        let mut in_flight: Option<SubmittedChunk> = None;
        for chunk in chunks.iter().map(Some).chain([None]) {
            let next = match chunk {
                Some(chunk) => {
                    let path = choose_path(ctx, &self.speculator, options.mode, true)?;
                    let data = ChunkData::Buffer(buffer, chunk.data_start);
                    Some(self.submit_chunk(ctx, gpu, data, chunk, path, options)?)
                }
                None => None,
            };
            if let Some(submitted) = std::mem::replace(&mut in_flight, next) {
                let (chunk, path) = (submitted.chunk, submitted.path);
                let run = self.complete_chunk(ctx, gpu, submitted)?;
                self.take_gpu_chunk(&mut result, chunk, path, run, options, None)?;
            }
        }
        // Anchor hits of regular-expression strings need host bytes to become matches.
        result.regex_candidates = Vec::new();
        result.timings.total_ns = started.elapsed().as_nanos() as u64;
        Ok(result)
    }

    /// Scans the file at `path`, reading it chunk by chunk (its size when opened is what is
    /// scanned; a file that shrinks meanwhile is an I/O error).
    pub fn scan_file(
        &self,
        path: &Path,
        options: &ScanOptions,
        on_match: Option<&mut MatchSink>,
        progress: Option<&mut Progress>,
    ) -> Result<ScanResult> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(path, "opening the file to scan", e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(path, "reading the file's size", e))?;
        if !meta.is_file() {
            // Pipes, devices and the like: read whole.
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut &file, &mut data)
                .map_err(|e| Error::io(path, "reading the input", e))?;
            return self.scan(&data, options, on_match, progress);
        }
        let input = Input::File {
            file: &file,
            path,
            len: meta.len(),
        };
        self.scan_input(input, options, on_match, progress)
    }

    pub(crate) fn gpu_chunk_limit(&self, ctx: &GpuContext, options: &ScanOptions) -> Result<u64> {
        let mut limit = GpuScanner::max_chunk_data(ctx)?.min(GPU_CHUNK_BYTES);
        if options.max_chunk_bytes > 0 {
            limit = limit.min(options.max_chunk_bytes);
        }
        Ok(limit)
    }

    /// The context and GPU scanner, or `Error::NoAdapter`.
    pub(crate) fn gpu_parts(&self) -> Result<(&GpuContext, &GpuScanner)> {
        self.gpu
            .as_ref()
            .map(|(gpu, ctx)| (ctx.as_ref(), gpu))
            .ok_or_else(|| Error::NoAdapter("this scanner has no GPU".into()))
    }

    /// Scans one chunk with the workgroup size the tuner picks; while the chunk's bucket is
    /// being tuned, also runs the candidate variant on it and reports both times.
    /// `prepare_next` runs while the GPU works (the next chunk's upload).
    #[allow(clippy::too_many_arguments)]
    fn run_chunk(
        &self,
        ctx: &GpuContext,
        gpu: &GpuScanner,
        data: ChunkData,
        chunk: &Chunk,
        path: DispatchPath,
        options: &ScanOptions,
        prepare_next: impl FnOnce() -> Result<()>,
    ) -> Result<ChunkRun> {
        let submitted = self.submit_chunk(ctx, gpu, data, chunk, path, options)?;
        prepare_next()?;
        self.complete_chunk(ctx, gpu, submitted)
    }

    /// Submits a chunk's scan with the shape the tuner plans for its size.
    fn submit_chunk<'a>(
        &self,
        ctx: &GpuContext,
        gpu: &GpuScanner,
        data: ChunkData<'a>,
        chunk: &'a Chunk,
        path: DispatchPath,
        options: &ScanOptions,
    ) -> Result<SubmittedChunk<'a>> {
        let bucket = self.tuner.bucket(chunk.data_end - chunk.data_start);
        let plan = if options.tune {
            self.tuner.plan(ctx, bucket)
        } else {
            Plan::Use(DEFAULT_SHAPE)
        };
        let (shape, candidate) = match plan {
            Plan::Use(shape) => (shape, None),
            Plan::Race { current, candidate } => (current, Some(candidate)),
        };
        Ok(SubmittedChunk {
            pending: gpu.submit(ctx, data, chunk, path, MAX_CHUNK_CAPACITY, shape)?,
            data,
            chunk,
            path,
            bucket,
            shape,
            candidate,
        })
    }

    /// Waits for a submitted chunk; when the tuner planned a race, runs the chunk again with
    /// the candidate shape and records both times.
    fn complete_chunk(
        &self,
        ctx: &GpuContext,
        gpu: &GpuScanner,
        submitted: SubmittedChunk,
    ) -> Result<ChunkRun> {
        let SubmittedChunk {
            pending,
            data,
            chunk,
            path,
            bucket,
            shape,
            candidate,
        } = submitted;
        let out = gpu.finish(ctx, pending)?;
        if let Some(candidate) = candidate {
            let raced = gpu.finish(
                ctx,
                gpu.submit(ctx, data, chunk, path, MAX_CHUNK_CAPACITY, candidate)?,
            )?;
            let time = |o: &ChunkOutput| o.gpu_ns.unwrap_or(o.kernel_ns);
            self.tuner
                .record(ctx, bucket, shape, candidate, time(&out), time(&raced))?;
        }
        Ok(ChunkRun {
            out,
            shape,
            raced: candidate.is_some(),
        })
    }

    /// Adds a GPU chunk's matches. When the chunk found more than its match storage holds and
    /// `input` is on the host, the chunk is searched again on the CPU, so the kept matches are
    /// exactly the first ones in sort order whatever the count.
    fn take_gpu_chunk(
        &self,
        result: &mut ScanResult,
        chunk: &Chunk,
        path: DispatchPath,
        run: ChunkRun,
        options: &ScanOptions,
        input: Option<Input>,
    ) -> Result<()> {
        let ChunkRun { out, shape, raced } = run;
        self.speculator.record(out.report);
        let overflowed = out.total > out.matches.len() as u64;
        let found = match input {
            Some(input) if overflowed => {
                let window = input.read(chunk.data_start, chunk.data_end)?;
                self.search_cpu_chunk(&window, chunk)
            }
            _ => {
                let mut found = BoundedMatches::new();
                for &(pattern, start, _) in &out.matches {
                    found.push(
                        pattern,
                        self.to_match(pattern, chunk.data_start + start as u64),
                    );
                }
                found
            }
        };
        // Without a host copy to search again, matches the GPU counted but did not capture
        // stay counted only.
        let uncaptured = out.total.saturating_sub(found.total());
        result.timings.kernel_ns += out.kernel_ns;
        result.timings.readback_ns += out.readback_ns;
        let stage = |i: usize| out.pass_ns.get(i).copied().unwrap_or(0);
        result.timings.prefilter_gpu_ns += stage(0);
        result.timings.confirm_gpu_ns += stage(1);
        let total = found.total() + uncaptured;
        let excess = found.excess();
        self.add_bounded(
            result,
            found.stored,
            &excess,
            total,
            options.max_matches,
            ChunkReport {
                workgroup_size: shape.lanes,
                tile: shape.tile,
                raced,
                ..ChunkReport::of(chunk, ChunkPath::Gpu(path), Some(out.report))
            },
        );
        Ok(())
    }

    /// Streams the input through two GPU buffers: chunk k+1 is read and copied while chunk k runs.
    fn scan_gpu_host(
        &self,
        input: Input,
        options: &ScanOptions,
        on_match: &mut Option<&mut MatchSink>,
        mut progress: Option<&mut Progress>,
    ) -> Result<ScanResult> {
        let (gpu, ctx) = self.gpu.as_ref().expect("checked by use_gpu");
        let device_gpu = ctx.gpu()?;
        let chunks = plan(
            input.len(),
            self.gpu_chunk_limit(ctx, options)?,
            self.rules.max_len as u64,
        )?;
        let mut result = ScanResult::default();
        let biggest = chunks
            .iter()
            .map(|c| c.data_end - c.data_start)
            .max()
            .unwrap_or(0);
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let buffers = [(); 2].map(|_| {
            device_gpu
                .pool
                .acquire(&device_gpu.device, usage, biggest.max(4) + 4)
        });
        let staging = [
            Staging::acquire(ctx, biggest + 4)?,
            Staging::acquire(ctx, biggest + 4)?,
        ]
        .map(std::cell::RefCell::new);
        let upload_chunk = |k: usize, result: &mut ScanResult| {
            let t = Instant::now();
            let bytes = input.read(chunks[k].data_start, chunks[k].data_end)?;
            result.timings.read_ns += t.elapsed().as_nanos() as u64;
            let t = Instant::now();
            capture(&device_gpu.device, "uploading a chunk", || {
                staging[k % 2]
                    .borrow_mut()
                    .upload(ctx, &bytes, &buffers[k % 2])
            })?;
            result.timings.upload_ns += t.elapsed().as_nanos() as u64;
            Ok::<(), Error>(())
        };
        if !chunks.is_empty() {
            upload_chunk(0, &mut result)?;
        }
        for (k, chunk) in chunks.iter().enumerate() {
            let path = choose_path(ctx, &self.speculator, options.mode, true)?;
            let chunk_data = ChunkData::Buffer(&buffers[k % 2], 0);
            let run = self.run_chunk(ctx, gpu, chunk_data, chunk, path, options, || {
                if k + 1 < chunks.len() {
                    upload_chunk(k + 1, &mut result)?;
                }
                Ok(())
            })?;
            let before = result.matches.len();
            self.take_gpu_chunk(&mut result, chunk, path, run, options, Some(input))?;
            if !deliver(
                &mut result,
                before,
                on_match,
                &mut progress,
                chunk.owned_end,
                input.len(),
            ) {
                break;
            }
        }
        device_gpu.pool.release(buffers);
        for s in staging {
            s.into_inner().release(ctx);
        }
        Ok(result)
    }

    /// Scans chunks on all CPU threads, a batch of one chunk per thread at a time; results and
    /// callbacks stay in input order.
    fn scan_cpu(
        &self,
        input: Input,
        options: &ScanOptions,
        on_match: &mut Option<&mut MatchSink>,
        mut progress: Option<&mut Progress>,
    ) -> Result<ScanResult> {
        let limit = if options.max_chunk_bytes > 0 {
            options.max_chunk_bytes
        } else {
            CPU_CHUNK_BYTES
        };
        let max_len = self.rules.max_len as u64;
        let chunks = plan(input.len(), limit.max(max_len * 2 + 1024), max_len)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut result = ScanResult::default();
        for batch in chunks.chunks(threads) {
            let t = Instant::now();
            let found: Vec<(BoundedMatches, u64)> = std::thread::scope(|scope| {
                let workers: Vec<_> = batch
                    .iter()
                    .map(|chunk| {
                        scope.spawn(move || {
                            let read = Instant::now();
                            let window = input.read(chunk.data_start, chunk.data_end)?;
                            let read_ns = read.elapsed().as_nanos() as u64;
                            Ok((self.search_cpu_chunk(&window, chunk), read_ns))
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().expect("CPU scan worker"))
                    .collect::<Result<_>>()
            })?;
            result.timings.kernel_ns += t.elapsed().as_nanos() as u64;
            for (chunk, (found, read_ns)) in batch.iter().zip(found) {
                result.timings.read_ns += read_ns;
                let before = result.matches.len();
                self.add_cpu_chunk(
                    &mut result,
                    found,
                    options.max_matches,
                    ChunkReport::of(chunk, ChunkPath::Cpu, None),
                );
                if !deliver(
                    &mut result,
                    before,
                    on_match,
                    &mut progress,
                    chunk.owned_end,
                    input.len(),
                ) {
                    return Ok(result);
                }
            }
        }
        Ok(result)
    }

    /// Matches of `chunk`, whose bytes (`data_start..data_end`) are `window`.
    pub(crate) fn search_cpu_chunk(&self, window: &[u8], chunk: &Chunk) -> BoundedMatches {
        let base = chunk.data_start;
        let owned = (chunk.owned_start - base) as usize..(chunk.owned_end - base) as usize;
        let mut found = BoundedMatches::new();
        self.cpu
            .search(&self.rules, window, owned, &mut |pattern, start| {
                found.push(pattern, self.to_match(pattern, base + start as u64));
            });
        found
    }
}

/// What a scan reads: memory, or a file read chunk by chunk (never mapped, so a file that
/// shrinks during the scan is an error, not a fault).
#[derive(Clone, Copy)]
enum Input<'a> {
    Memory(&'a [u8]),
    File {
        file: &'a std::fs::File,
        path: &'a Path,
        len: u64,
    },
}

impl<'a> Input<'a> {
    fn len(&self) -> u64 {
        match self {
            Input::Memory(data) => data.len() as u64,
            Input::File { len, .. } => *len,
        }
    }

    /// The bytes of `start..end` (within `len()`).
    fn read(&self, start: u64, end: u64) -> Result<std::borrow::Cow<'a, [u8]>> {
        match self {
            Input::Memory(data) => Ok(std::borrow::Cow::Borrowed(
                &data[start as usize..end as usize],
            )),
            Input::File { file, path, .. } => {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0; (end - start) as usize];
                file.read_exact_at(&mut buf, start).map_err(|e| {
                    let action = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        "reading the file: it shrank while being scanned"
                    } else {
                        "reading the file"
                    };
                    Error::io(*path, action, e)
                })?;
                Ok(std::borrow::Cow::Owned(buf))
            }
        }
    }
}

/// Reads bytes `start..end` of `data` (None past its end).
pub(crate) fn slice_reader<'a>(data: &'a [u8]) -> impl Fn(u64, u64) -> Option<Cow<'a, [u8]>> + 'a {
    move |start, end| {
        data.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
            .map(Cow::Borrowed)
    }
}

/// Hands a chunk's new matches to the sink and reports progress; false when either stops.
fn deliver(
    result: &mut ScanResult,
    before: usize,
    on_match: &mut Option<&mut MatchSink>,
    progress: &mut Option<&mut Progress>,
    done: u64,
    total: u64,
) -> bool {
    let go_on = on_match
        .as_mut()
        .is_none_or(|sink| sink(&result.matches[before..]))
        && progress.as_mut().is_none_or(|p| p(done, total));
    result.stopped |= !go_on;
    go_on
}
