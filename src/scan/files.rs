//! Scanning many files: small files packed into large GPU chunks.
//!
//! A scanner farm sees thousands of files of a few KB to a few MB. Scanned one by one, each file
//! costs a GPU submission and two round trips (wait for the kernel, then read the matches back),
//! and the GPU idles in between: on real rule sets the kernels took 2 % of the time. Here files
//! go through a four-stage pipeline instead, each stage on its own thread:
//!
//! 1. **pack**: files are read, in parallel, into a host buffer of up to one GPU chunk, one after
//!    the other with [`GAP`] bytes of [`GAP_FILL`] between them;
//! 2. **stage**: the pack is copied into a mapped staging buffer, while the next pack is read;
//! 3. **scan**: the pack is uploaded and scanned as one chunk by the usual kernels (fused or
//!    serial, as the speculator decides), while the next pack is being read and staged;
//! 4. **evaluate**: each match goes back to the file it lies in (a match that would cross from
//!    one file into the gap or the next file is dropped), then each file's strings are resolved
//!    and its conditions evaluated, in parallel, with the file's bytes still in host memory for
//!    `uintN` reads.
//!
//! The gap keeps every check that looks past a match identical to a scan of the file alone: a
//! fullword test sees a byte that is neither alphanumeric nor zero, so it passes as at the end
//! of a file, for plain strings (no alphanumeric neighbour) and wide ones (no alphanumeric
//! character followed, or preceded, by a zero byte). A file larger than a quarter of a pack is cut into pieces as a
//! streamed scan cuts its input ([`super::stream::plan`]: overlapping by the longest pattern,
//! each offset owned by one piece); its pieces travel through the pipeline like small files, and
//! its result is complete, and its conditions evaluated (reading the file for `uintN`), once its
//! last piece is in. Results reach the caller's callback on the calling thread, one file at a
//! time, in completion order. On the CPU backend, files are scanned by [`Scanner::scan_file`] on
//! all threads.

use super::results::{ChunkPath, ChunkReport, Match, ScanResult, ScanTimings};
use super::scanner::{slice_reader, BackendReason, ScanOptions, Scanner};
use super::stream::Chunk;
use crate::gpu::capture::capture;
use crate::gpu::dispatch::choose_path;
use crate::gpu::staging::Staging;
use crate::gpu::DispatchPath;
use crate::{Error, Result};
use std::borrow::Cow;
use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::Instant;

/// Bytes between two packed files.
pub const GAP: u64 = 4;
/// The value of the gap bytes: neither alphanumeric nor zero (see the module documentation).
pub const GAP_FILL: u8 = 0x01;
/// Largest pack, bytes (smaller when the device binds less).
pub const PACK_BYTES: u64 = 128 << 20;
/// Packs in flight: being read, being staged, being scanned, being evaluated, and one waiting.
const PACKS_IN_FLIGHT: usize = 5;

/// Called with each file's index in the caller's list and its result; returns false to stop.
pub type FileSink<'a> = dyn FnMut(usize, Result<ScanResult>) -> bool + 'a;

/// A piece of a file: a whole small file, or one chunk of a large one.
#[derive(Clone, Copy, Debug)]
struct Piece {
    /// Index of the file in the caller's list.
    index: usize,
    /// The file's bytes the piece holds, and the offsets it owns (see [`Chunk`]).
    chunk: Chunk,
    /// Pieces of this file in all.
    of: u32,
    /// The file's size.
    file_len: u64,
}

impl Piece {
    fn len(&self) -> u64 {
        self.chunk.data_end - self.chunk.data_start
    }
}

/// One piece's place in a pack.
struct Slot {
    piece: Piece,
    /// Offset of its first byte in the pack.
    offset: u64,
    /// Reading it failed.
    error: Option<Error>,
    /// Time spent reading it, ns.
    read_ns: u64,
}

/// A large file's result while its pieces come in.
struct Partial {
    result: Result<ScanResult>,
    left: u32,
}

/// Files read into one host buffer.
struct Pack {
    data: Vec<u8>,
    slots: Vec<Slot>,
}

/// A pack written into a staging buffer, ready to be copied to the GPU.
struct Staged {
    pack: Pack,
    staging: Staging,
    /// Bytes written (padded).
    len: u64,
    /// Time spent writing, ns.
    write_ns: u64,
}

/// Staging buffers of the pipeline: one being written while another is copied.
const STAGING_BUFFERS: usize = 2;

/// What scanning a pack produced.
struct Scanned {
    pack: Pack,
    /// (pattern, start within the pack) of the captured matches, or None when the pack found
    /// more than it could capture (its files are then searched on the CPU).
    matches: Option<Vec<(u32, u32)>>,
    path: DispatchPath,
    upload_ns: u64,
    kernel_ns: u64,
    readback_ns: u64,
    pass_ns: Vec<u64>,
}

/// The files' sizes: (index, size) of the regular files; the others are reported at once
/// through `early`.
fn sizes(paths: &[PathBuf], early: &mut Vec<(usize, Error)>) -> Vec<(usize, u64)> {
    let mut files = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => files.push((i, m.len())),
            Ok(_) => early.push((
                i,
                Error::io(
                    path,
                    "scanning",
                    std::io::Error::other("not a regular file; scan it with scan_file"),
                ),
            )),
            Err(e) => early.push((i, Error::io(path, "reading the file's size", e))),
        }
    }
    files
}

/// Pieces of (index, size) files for packs of `limit` bytes.
fn pieces(files: &[(usize, u64)], limit: u64, max_len: u64) -> Result<Vec<Piece>> {
    let mut out = Vec::new();
    for &(index, file_len) in files {
        let chunks = if file_len <= limit / 4 {
            vec![Chunk {
                data_start: 0,
                data_end: file_len,
                owned_start: 0,
                owned_end: file_len,
            }]
        } else {
            super::stream::plan(file_len, limit - 2 * GAP, max_len)?
        };
        let of = chunks.len() as u32;
        out.extend(chunks.into_iter().map(|chunk| Piece {
            index,
            chunk,
            of,
            file_len,
        }));
    }
    Ok(out)
}

/// Hands each finished file to `on_file` on this thread until the senders are done; after
/// `on_file` returns false, sets `stop` and drops the rest.
fn report_files(
    done: Receiver<(usize, Result<ScanResult>)>,
    stop: &AtomicBool,
    on_file: &mut FileSink,
) {
    for (i, r) in done {
        if !stop.load(Ordering::Relaxed) && !on_file(i, r) {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// Reads bytes `at..at + buf.len()` of `path`; an error when it shrank or cannot be read.
fn read_range(path: &Path, at: u64, buf: &mut [u8]) -> Result<()> {
    let file =
        std::fs::File::open(path).map_err(|e| Error::io(path, "opening the file to scan", e))?;
    file.read_exact_at(buf, at).map_err(|e| {
        let action = if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "reading the file: it shrank while being scanned"
        } else {
            "reading the file"
        };
        Error::io(path, action, e)
    })
}

impl Scanner {
    /// Scans the files of `paths`, calling `on_file(index, result)` for each on this thread, in
    /// completion order; `on_file` returning false stops the scan (files not yet reported are
    /// then skipped). On a GPU, files are packed into large chunks (see the module
    /// documentation); each file's result equals that of [`Scanner::scan_file`] (on a GPU
    /// only regular files are accepted; others are reported as errors). With
    /// [`ScanOptions::timeout`] each file is scanned on its own, so that the limit is the
    /// file's.
    pub fn scan_files(
        &self,
        paths: &[PathBuf],
        options: &ScanOptions,
        on_file: &mut FileSink,
    ) -> Result<()> {
        let (gpu, reason) = self.choose_backend(options)?;
        if !gpu || options.timeout.is_some() {
            // A time limit is per file: each file is then a scan of its own.
            return self.scan_files_one_by_one(paths, options, on_file);
        }
        let on_file = &mut |i: usize, result: Result<ScanResult>| {
            on_file(
                i,
                result.map(|mut r| {
                    r.set_backend(true, reason);
                    r
                }),
            )
        };
        let stop = AtomicBool::new(false);
        let (done_tx, done_rx) = channel::<(usize, Result<ScanResult>)>();
        let mut early = Vec::new();
        let files = sizes(paths, &mut early);
        for (i, e) in early {
            if !on_file(i, Err(e)) {
                return Ok(());
            }
        }
        std::thread::scope(|scope| -> Result<()> {
            let stop = &stop;
            let files = &files;
            let pipeline =
                scope.spawn(move || self.pack_pipeline(paths, files, options, done_tx, stop));
            report_files(done_rx, stop, on_file);
            pipeline.join().expect("pack pipeline")
        })
    }

    /// The many-file scan of the CPU backend and of scans with a time limit: `scan_file` on
    /// all threads.
    fn scan_files_one_by_one(
        &self,
        paths: &[PathBuf],
        options: &ScanOptions,
        on_file: &mut FileSink,
    ) -> Result<()> {
        let stop = AtomicBool::new(false);
        let next = AtomicUsize::new(0);
        let (done_tx, done_rx) = channel::<(usize, Result<ScanResult>)>();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::scope(|scope| {
            for _ in 0..threads.min(paths.len()) {
                let done = done_tx.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= paths.len() || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = self.scan_file(&paths[i], options, None, None);
                    if done.send((i, r)).is_err() {
                        break;
                    }
                });
            }
            drop(done_tx);
            report_files(done_rx, &stop, on_file);
        });
        Ok(())
    }

    /// The pack -> scan -> evaluate pipeline over (index, size) files.
    fn pack_pipeline(
        &self,
        paths: &[PathBuf],
        files: &[(usize, u64)],
        options: &ScanOptions,
        done: Sender<(usize, Result<ScanResult>)>,
        stop: &AtomicBool,
    ) -> Result<()> {
        let (ctx, _) = self.gpu_parts()?;
        let limit = self.gpu_chunk_limit(ctx, options)?.min(PACK_BYTES);
        let pieces = pieces(files, limit, self.rules().max_len as u64)?;
        // Consecutive pieces, each pack at most `limit` bytes with the gaps.
        let mut plans: Vec<Vec<(Piece, u64)>> = vec![Vec::new()];
        let mut used = 0;
        for piece in pieces {
            let need = piece.len().next_multiple_of(4) + GAP;
            if used + need > limit && !plans.last().unwrap().is_empty() {
                plans.push(Vec::new());
                used = 0;
            }
            plans.last_mut().unwrap().push((piece, used));
            used += need;
        }
        let (free_tx, free_rx) = channel::<Vec<u8>>();
        for _ in 0..PACKS_IN_FLIGHT {
            let _ = free_tx.send(Vec::new());
        }
        let (staging_tx, staging_rx) = channel::<Staging>();
        for _ in 0..STAGING_BUFFERS {
            staging_tx
                .send(Staging::acquire(ctx, limit + 4)?)
                .expect("receiver alive");
        }
        let (read_tx, read_rx) = sync_channel::<Pack>(1);
        let (packed_tx, packed_rx) = sync_channel::<Result<Staged>>(1);
        let (scanned_tx, scanned_rx) = sync_channel::<Scanned>(1);
        let staging_rx = std::thread::scope(|scope| {
            scope.spawn(move || {
                for plan in plans {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(buffer) = free_rx.recv() else {
                        break;
                    };
                    if read_tx.send(read_pack(paths, &plan, buffer)).is_err() {
                        break;
                    }
                }
            });
            let stager = scope.spawn(move || {
                for pack in read_rx {
                    let Ok(mut staging) = staging_rx.recv() else {
                        break;
                    };
                    let started = Instant::now();
                    let staged = staging.write(ctx, &pack.data).map(|len| Staged {
                        pack,
                        staging,
                        len,
                        write_ns: started.elapsed().as_nanos() as u64,
                    });
                    let failed = staged.is_err();
                    if packed_tx.send(staged).is_err() || failed {
                        break;
                    }
                }
                staging_rx
            });
            let evaluator = scope.spawn(move || {
                let mut partial = HashMap::new();
                for scanned in scanned_rx {
                    let data = self.evaluate_pack(scanned, paths, options, &mut partial, &done);
                    let _ = free_tx.send(data);
                }
            });
            let scanned = self.scan_packs(packed_rx, &staging_tx, &scanned_tx, options, limit);
            drop(scanned_tx);
            drop(staging_tx);
            evaluator.join().expect("pack evaluator");
            let staging_rx = stager.join().expect("pack stager");
            scanned.map(|()| staging_rx)
        })?;
        for staging in staging_rx.try_iter() {
            staging.release(ctx);
        }
        Ok(())
    }

    /// Copies each staged pack to the GPU and scans it; the next pack is submitted before the
    /// current one is waited for, so the GPU always has the next pack queued.
    fn scan_packs(
        &self,
        packs: Receiver<Result<Staged>>,
        staging_free: &Sender<Staging>,
        scanned: &std::sync::mpsc::SyncSender<Scanned>,
        options: &ScanOptions,
        limit: u64,
    ) -> Result<()> {
        let (ctx, gpu) = self.gpu_parts()?;
        let device_gpu = ctx.gpu()?;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let buffers = [(); 2].map(|_| {
            device_gpu
                .pool
                .acquire(&device_gpu.device, usage, limit + 4)
        });
        let result = (|| -> Result<()> {
            let mut in_flight: Option<(super::gpu::PendingChunk, Pack, DispatchPath, u64)> = None;
            for (k, staged) in packs.into_iter().enumerate() {
                let Staged {
                    pack,
                    mut staging,
                    len,
                    write_ns,
                } = staged?;
                let buffer = &buffers[k % 2];
                let t = Instant::now();
                capture(&device_gpu.device, "uploading a pack of files", || {
                    staging.copy_to(ctx, buffer, len)
                })?;
                let upload_ns = write_ns + t.elapsed().as_nanos() as u64;
                let _ = staging_free.send(staging);
                let data_len = pack.data.len() as u64;
                let chunk = Chunk {
                    data_start: 0,
                    data_end: data_len,
                    owned_start: 0,
                    owned_end: data_len,
                };
                let path = choose_path(ctx, self.speculator(), options.mode, true)?;
                let data = super::gpu::ChunkData::Buffer(buffer, 0);
                let pending = gpu.submit(
                    ctx,
                    data,
                    &chunk,
                    path,
                    super::scanner::MAX_CHUNK_CAPACITY,
                    super::gpu::DEFAULT_SHAPE,
                )?;
                if let Some(previous) = in_flight.replace((pending, pack, path, upload_ns)) {
                    if !self.finish_pack(ctx, previous, scanned)? {
                        return Ok(());
                    }
                }
            }
            if let Some(last) = in_flight {
                self.finish_pack(ctx, last, scanned)?;
            }
            Ok(())
        })();
        device_gpu.pool.release(buffers);
        result
    }

    /// Waits for a pack's scan and hands it on; false when the evaluator is gone.
    fn finish_pack(
        &self,
        ctx: &crate::gpu::GpuContext,
        (pending, pack, path, upload_ns): (super::gpu::PendingChunk, Pack, DispatchPath, u64),
        scanned: &std::sync::mpsc::SyncSender<Scanned>,
    ) -> Result<bool> {
        let (_, gpu) = self.gpu_parts()?;
        let out = gpu.finish(ctx, pending)?;
        self.speculator().record(out.report);
        let overflowed = out.total > out.matches.len() as u64;
        let item = Scanned {
            pack,
            matches: (!overflowed).then(|| out.matches.iter().map(|&(p, s, _)| (p, s)).collect()),
            path,
            upload_ns,
            kernel_ns: out.kernel_ns,
            readback_ns: out.readback_ns,
            pass_ns: out.pass_ns,
        };
        Ok(scanned.send(item).is_ok())
    }

    /// Splits a scanned pack into its pieces' results: whole files are sent at once (evaluated
    /// in parallel), pieces of large files are added to their file's partial result, in order,
    /// and the file is sent with its last piece. Returns the host buffer.
    fn evaluate_pack(
        &self,
        scanned: Scanned,
        paths: &[PathBuf],
        options: &ScanOptions,
        partial: &mut HashMap<usize, Partial>,
        done: &Sender<(usize, Result<ScanResult>)>,
    ) -> Vec<u8> {
        let Scanned {
            pack,
            matches,
            path,
            upload_ns,
            kernel_ns,
            readback_ns,
            pass_ns,
        } = scanned;
        // Each match to its piece (the last slot starting at or before it), when it ends inside
        // the piece's bytes and starts in the offsets the piece owns.
        let mut per_slot: Vec<Vec<Match>> = vec![Vec::new(); pack.slots.len()];
        if let Some(matches) = &matches {
            for &(pattern, start) in matches {
                let start = start as u64;
                let slot = pack.slots.partition_point(|s| s.offset <= start) - 1;
                let s = &pack.slots[slot];
                let len = self.rules().patterns[pattern as usize].bytes.len() as u64;
                let at = s.piece.chunk.data_start + (start - s.offset);
                let c = &s.piece.chunk;
                if start + len <= s.offset + s.piece.len()
                    && (c.owned_start..c.owned_end).contains(&at)
                {
                    per_slot[slot].push(self.to_match(pattern, at));
                }
            }
        }
        let pack_bytes = pack.data.len().max(1) as u64;
        let data = &pack.data;
        // One piece's result (its matches added, conditions not yet evaluated).
        let piece_result = |slot: &Slot, found: Vec<Match>| -> ScanResult {
            let c = slot.piece.chunk;
            let bytes = &data[slot.offset as usize..(slot.offset + slot.piece.len()) as usize];
            let mut result = ScanResult::default();
            match matches {
                Some(_) => {
                    let total = found.len() as u64;
                    self.add_found(
                        &mut result,
                        found,
                        total,
                        options.max_matches,
                        ChunkReport::of(&c, ChunkPath::Gpu(path), None),
                    );
                }
                None => self.add_cpu_chunk(
                    &mut result,
                    self.search_cpu_chunk(bytes, &c),
                    options.max_matches,
                    ChunkReport::of(&c, ChunkPath::Cpu, None),
                ),
            }
            let share = |ns: u64| ns * slot.piece.len() / pack_bytes;
            let t = &mut result.timings;
            t.read_ns = slot.read_ns;
            t.upload_ns = share(upload_ns);
            t.kernel_ns = share(kernel_ns);
            t.readback_ns = share(readback_ns);
            t.prefilter_gpu_ns = share(pass_ns.first().copied().unwrap_or(0));
            t.confirm_gpu_ns = share(pass_ns.get(1).copied().unwrap_or(0));
            result
        };
        let mut slots: Vec<(Slot, Vec<Match>)> = pack.slots.into_iter().zip(per_slot).collect();
        // Pieces of large files, in order, on this thread.
        for (slot, found) in slots.iter_mut().filter(|(s, _)| s.piece.of > 1) {
            let index = slot.piece.index;
            let entry = partial.entry(index).or_insert_with(|| Partial {
                result: Ok(ScanResult::default()),
                left: slot.piece.of,
            });
            entry.left -= 1;
            if let Some(e) = slot.error.take() {
                entry.result = Err(e);
            }
            if let Ok(whole) = &mut entry.result {
                let piece = piece_result(slot, std::mem::take(found));
                merge(whole, piece, options.max_matches);
            }
            if entry.left == 0 {
                let Partial { result, .. } = partial.remove(&index).expect("entry");
                let result = result.map(|mut r| {
                    let started = Instant::now();
                    let file = std::fs::File::open(&paths[index]).ok();
                    let len = slot.piece.file_len;
                    let read = |start: u64, end: u64| -> Option<Cow<[u8]>> {
                        (start <= end && end <= len).then_some(())?;
                        let mut buf = vec![0; (end - start) as usize];
                        file.as_ref()?.read_exact_at(&mut buf, start).ok()?;
                        Some(Cow::Owned(buf))
                    };
                    // Packs are GPU scans: the regular-expression verification reads the
                    // backend (`scan_files` sets the reason).
                    r.set_backend(true, BackendReason::Requested);
                    self.finish_rules(&mut r, len, &read, None, options)?;
                    r.timings.total_ns += started.elapsed().as_nanos() as u64;
                    Ok(r)
                });
                let result = result.and_then(|r| r);
                let _ = done.send((index, result));
            }
        }
        // Whole files, in parallel.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let work = Mutex::new(
            slots
                .into_iter()
                .filter(|(s, _)| s.piece.of == 1)
                .collect::<Vec<_>>(),
        );
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let Some((mut slot, found)) =
                        work.lock().unwrap_or_else(|p| p.into_inner()).pop()
                    else {
                        break;
                    };
                    let started = Instant::now();
                    let result = match slot.error.take() {
                        Some(e) => Err(e),
                        None => {
                            let mut result = piece_result(&slot, found);
                            let bytes = &data
                                [slot.offset as usize..(slot.offset + slot.piece.len()) as usize];
                            let read = slice_reader(bytes);
                            result.set_backend(true, BackendReason::Requested);
                            self.finish_rules(
                                &mut result,
                                slot.piece.len(),
                                &read,
                                Some(bytes),
                                options,
                            )
                            .map(|_| {
                                let t = &mut result.timings;
                                t.total_ns = t.read_ns
                                    + t.upload_ns
                                    + t.kernel_ns
                                    + t.readback_ns
                                    + started.elapsed().as_nanos() as u64;
                                result
                            })
                        }
                    };
                    if done.send((slot.piece.index, result)).is_err() {
                        break;
                    }
                });
            }
        });
        pack.data
    }
}

/// Adds a large file's piece result to the file's result (chunks in order).
fn merge(whole: &mut ScanResult, piece: ScanResult, limit: usize) {
    let ScanResult {
        mut matches,
        dropped,
        mut chunks,
        timings,
        tally,
        seen_rules,
        capped,
        regex_candidates,
        regex_candidates_dropped,
        chain_parts,
        chain_parts_dropped,
        ..
    } = piece;
    whole.seen_rules.extend(seen_rules);
    whole.keep_chain_parts(chain_parts);
    whole.chain_parts_dropped.extend(chain_parts_dropped);
    for candidate in regex_candidates {
        whole.keep_candidate(candidate);
    }
    whole
        .regex_candidates_dropped
        .extend(regex_candidates_dropped);
    for c in capped {
        if !whole.capped.contains(&c) {
            whole.capped.push(c);
        }
    }
    let before_cap = matches.len();
    whole.keep_under_cap(&mut matches);
    let kept = matches.len().min(limit.saturating_sub(whole.matches.len()));
    whole.dropped += dropped + (before_cap - kept) as u64;
    whole.truncated |= whole.dropped > 0;
    whole.matches.extend(matches.into_iter().take(kept));
    whole.bytes += chunks.iter().map(|c| c.bytes).sum::<u64>();
    whole.chunks.append(&mut chunks);
    whole.timings.add(&ScanTimings {
        total_ns: timings.read_ns + timings.upload_ns + timings.kernel_ns + timings.readback_ns,
        ..timings
    });
    if let Some(tally) = tally {
        match &mut whole.tally {
            Some(w) => w.merge(&tally),
            None => whole.tally = Some(tally),
        }
    }
}

/// A piece of no bytes, to close the list of a pack's gaps.
const EMPTY_PIECE: Piece = Piece {
    index: 0,
    chunk: Chunk {
        data_start: 0,
        data_end: 0,
        owned_start: 0,
        owned_end: 0,
    },
    of: 1,
    file_len: 0,
};

/// Bytes one reading thread takes at a time.
const READ_PIECE: u64 = 8 << 20;

/// Reads the pieces of `plan` ((piece, offset in the pack) each) into `buffer`, in parallel,
/// large pieces in several reads.
fn read_pack(paths: &[PathBuf], plan: &[(Piece, u64)], mut buffer: Vec<u8>) -> Pack {
    let end = plan.last().map_or(0, |(p, offset)| offset + p.len());
    // The buffer is reused: only the gaps between pieces need filling (the reads fill the rest),
    // which saves clearing a whole pack each time.
    let size = end.next_multiple_of(4) as usize;
    if buffer.len() < size {
        buffer.resize(size, 0);
    }
    buffer.truncate(size);
    let mut gap_start = 0;
    for (piece, offset) in plan.iter().chain([&(EMPTY_PIECE, size as u64)]) {
        buffer[gap_start..*offset as usize].fill(GAP_FILL);
        gap_start = (offset + piece.len()) as usize;
    }
    // Disjoint slices of at most READ_PIECE bytes: (slot, offset in the file, slice).
    let mut reads = Vec::new();
    let mut rest: &mut [u8] = &mut buffer;
    let mut at = 0;
    for (slot, (piece, offset)) in plan.iter().enumerate() {
        let (_, tail) = rest.split_at_mut((offset - at) as usize);
        let (mut bytes, tail) = tail.split_at_mut(piece.len() as usize);
        rest = tail;
        at = offset + piece.len();
        let mut file_at = piece.chunk.data_start;
        while !bytes.is_empty() {
            let (part, more) = bytes.split_at_mut(bytes.len().min(READ_PIECE as usize));
            reads.push((slot, file_at, part));
            file_at += READ_PIECE;
            bytes = more;
        }
    }
    let mut slots: Vec<Slot> = plan
        .iter()
        .map(|&(piece, offset)| Slot {
            piece,
            offset,
            error: None,
            read_ns: 0,
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    reads.reverse();
    let reads_count = reads.len();
    let work = Mutex::new(reads);
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(reads_count) {
            scope.spawn(|| loop {
                let Some((slot, file_at, part)) =
                    work.lock().unwrap_or_else(|p| p.into_inner()).pop()
                else {
                    break;
                };
                let started = Instant::now();
                let error = read_range(&paths[plan[slot].0.index], file_at, part).err();
                if error.is_some() {
                    part.fill(0);
                }
                let ns = started.elapsed().as_nanos() as u64;
                outcomes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((slot, error, ns));
            });
        }
    });
    for (slot, error, ns) in outcomes.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let s = &mut slots[slot];
        s.read_ns += ns;
        if s.error.is_none() {
            s.error = error;
        }
    }
    Pack {
        data: buffer,
        slots,
    }
}
