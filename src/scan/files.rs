//! Scanning many files: small files packed into large GPU chunks.
//!
//! A scanner farm sees thousands of files of a few KB to a few MB. Scanned one by one, each file
//! costs a GPU submission and two round trips (wait for the kernel, then read the matches back),
//! and the GPU idles in between: on real rule sets the kernels took 2 % of the time. Here files
//! go through a three-stage pipeline instead, each stage on its own thread:
//!
//! 1. **pack**: files are read, in parallel, into a host buffer of up to one GPU chunk, one after
//!    the other with [`GAP`] zero bytes between them;
//! 2. **scan**: the pack is uploaded and scanned as one chunk by the usual kernels (fused or
//!    serial, as the speculator decides), while the next pack is being read;
//! 3. **evaluate**: each match goes back to the file it lies in (a match that would cross from
//!    one file into the gap or the next file is dropped), then each file's strings are resolved
//!    and its conditions evaluated, in parallel, with the file's bytes still in host memory for
//!    `uintN` reads.
//!
//! The zero gap keeps every check that looks past a match identical to a scan of the file alone:
//! a fullword test sees a non-alphanumeric byte, as at the end of a file, and the wide form's
//! test sees two of them. Results reach the caller's callback on the calling thread, one file at
//! a time, in completion order. Files larger than a quarter of a pack stream through
//! [`Scanner::scan_file`] on their own threads, as do all files on the CPU backend.

use super::results::{ChunkPath, ChunkReport, Match, ScanResult};
use super::scanner::{reader, ScanOptions, Scanner};
use super::stream::Chunk;
use crate::gpu::capture::capture;
use crate::gpu::dispatch::choose_path;
use crate::gpu::staging::Staging;
use crate::{Error, Result};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::Instant;

/// Zero bytes between two packed files.
pub const GAP: u64 = 4;
/// Largest pack, bytes (smaller when the device binds less).
pub const PACK_BYTES: u64 = 128 << 20;
/// Packs in flight: one being read, one being scanned, one being evaluated.
const PACKS_IN_FLIGHT: usize = 3;

/// Called with each file's index in the caller's list and its result; returns false to stop.
pub type FileSink<'a> = dyn FnMut(usize, Result<ScanResult>) -> bool + 'a;

/// One file's place in a pack.
struct Slot {
    /// Index in the caller's list.
    index: usize,
    /// Offset of its first byte in the pack.
    offset: u64,
    /// Its size when opened.
    len: u64,
    /// Reading it failed.
    error: Option<Error>,
    /// Time spent reading it, ns.
    read_ns: u64,
}

/// Files read into one host buffer.
struct Pack {
    data: Vec<u8>,
    slots: Vec<Slot>,
}

/// What scanning a pack produced.
struct Scanned {
    pack: Pack,
    /// (pattern, start within the pack) of the captured matches, or None when the pack found
    /// more than it could capture (its files are then searched on the CPU).
    matches: Option<Vec<(u32, u32)>>,
    path: crate::gpu::DispatchPath,
    upload_ns: u64,
    kernel_ns: u64,
    readback_ns: u64,
    pass_ns: Vec<u64>,
}

/// Sizes of the files: (index, size) of those to pack and of those to stream on their own;
/// files that cannot be opened are reported at once through `early`.
fn sort_files(
    paths: &[PathBuf],
    pack_limit: u64,
    early: &mut Vec<(usize, Error)>,
) -> (Vec<(usize, u64)>, Vec<usize>) {
    let mut small = Vec::new();
    let mut large = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() && m.len() <= pack_limit / 4 => small.push((i, m.len())),
            Ok(_) => large.push(i),
            Err(e) => early.push((i, Error::io(path, "reading the file's size", e))),
        }
    }
    (small, large)
}

/// Reads `path` into `buf` (its size when listed); an error when it shrank or cannot be read.
fn read_into(path: &Path, buf: &mut [u8]) -> Result<()> {
    let file =
        std::fs::File::open(path).map_err(|e| Error::io(path, "opening the file to scan", e))?;
    file.read_exact_at(buf, 0).map_err(|e| {
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
    /// then skipped). On a GPU, small files are packed into large chunks (see the module
    /// documentation); each file's result equals that of [`Scanner::scan_file`].
    pub fn scan_files(
        &self,
        paths: &[PathBuf],
        options: &ScanOptions,
        on_file: &mut FileSink,
    ) -> Result<()> {
        let stop = AtomicBool::new(false);
        let (done_tx, done_rx) = channel::<(usize, Result<ScanResult>)>();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut early = Vec::new();
        let (small, large) = if self.use_gpu_for(options)? {
            let (ctx, _) = self.gpu_parts()?;
            let limit = self.gpu_chunk_limit(ctx, options)?.min(PACK_BYTES);
            sort_files(paths, limit, &mut early)
        } else {
            (Vec::new(), (0..paths.len()).collect())
        };
        for (i, e) in early {
            if !on_file(i, Err(e)) {
                return Ok(());
            }
        }
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| -> Result<()> {
            // Large files (and every file on the CPU) stream through scan_file.
            let streamers = if small.is_empty() {
                threads
            } else {
                (threads / 4).max(1)
            };
            for _ in 0..streamers.min(large.len()) {
                let done = done_tx.clone();
                let (next, large, stop) = (&next, &large, &stop);
                scope.spawn(move || loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = large.get(k) else { break };
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = self.scan_file(&paths[i], options, None, None);
                    if done.send((i, r)).is_err() {
                        break;
                    }
                });
            }
            let pipeline = if small.is_empty() {
                None
            } else {
                let done = done_tx.clone();
                let (small, stop) = (&small, &stop);
                Some(scope.spawn(move || self.pack_pipeline(paths, small, options, done, stop)))
            };
            drop(done_tx);
            for (i, r) in done_rx {
                if !stop.load(Ordering::Relaxed) && !on_file(i, r) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
            match pipeline {
                Some(p) => p.join().expect("pack pipeline"),
                None => Ok(()),
            }
        })
    }

    /// The pack -> scan -> evaluate pipeline over `small` (index, size) files.
    fn pack_pipeline(
        &self,
        paths: &[PathBuf],
        small: &[(usize, u64)],
        options: &ScanOptions,
        done: Sender<(usize, Result<ScanResult>)>,
        stop: &AtomicBool,
    ) -> Result<()> {
        let (ctx, _) = self.gpu_parts()?;
        let limit = self.gpu_chunk_limit(ctx, options)?.min(PACK_BYTES);
        // Consecutive files, each pack at most `limit` bytes with the gaps.
        let mut plans: Vec<Vec<(usize, u64, u64)>> = vec![Vec::new()];
        let mut used = 0;
        for &(index, len) in small {
            let need = len.next_multiple_of(4) + GAP;
            if used + need > limit && !plans.last().unwrap().is_empty() {
                plans.push(Vec::new());
                used = 0;
            }
            plans.last_mut().unwrap().push((index, used, len));
            used += need;
        }
        let (free_tx, free_rx) = channel::<Vec<u8>>();
        for _ in 0..PACKS_IN_FLIGHT {
            let _ = free_tx.send(Vec::new());
        }
        let (packed_tx, packed_rx) = sync_channel::<Pack>(1);
        let (scanned_tx, scanned_rx) = sync_channel::<Scanned>(1);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                for plan in plans {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(buffer) = free_rx.recv() else { break };
                    if packed_tx.send(read_pack(paths, &plan, buffer)).is_err() {
                        break;
                    }
                }
            });
            let evaluator = scope.spawn(move || {
                for scanned in scanned_rx {
                    let data = self.evaluate_pack(scanned, options, &done);
                    let _ = free_tx.send(data);
                }
            });
            let scanned = self.scan_packs(packed_rx, &scanned_tx, options);
            drop(scanned_tx);
            evaluator.join().expect("pack evaluator");
            scanned
        })
    }

    /// Uploads and scans each pack, the next pack's upload overlapping the current kernel.
    fn scan_packs(
        &self,
        packs: Receiver<Pack>,
        scanned: &std::sync::mpsc::SyncSender<Scanned>,
        options: &ScanOptions,
    ) -> Result<()> {
        let (ctx, gpu) = self.gpu_parts()?;
        let device_gpu = ctx.gpu()?;
        let limit = self.gpu_chunk_limit(ctx, options)?.min(PACK_BYTES);
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let buffers = [(); 2].map(|_| {
            device_gpu
                .pool
                .acquire(&device_gpu.device, usage, limit + 4)
        });
        let mut staging = [
            Staging::acquire(ctx, limit + 4)?,
            Staging::acquire(ctx, limit + 4)?,
        ];
        let result = (|| -> Result<()> {
            let mut k = 0usize;
            let mut current = match packs.recv() {
                Ok(p) => p,
                Err(_) => return Ok(()),
            };
            let t = Instant::now();
            capture(&device_gpu.device, "uploading a pack of files", || {
                staging[0].upload(ctx, &current.data, &buffers[0])
            })?;
            let mut upload_ns = t.elapsed().as_nanos() as u64;
            loop {
                let len = current.data.len() as u64;
                let chunk = Chunk {
                    data_start: 0,
                    data_end: len,
                    owned_start: 0,
                    owned_end: len,
                };
                let path = choose_path(ctx, self.speculator(), options.mode, true)?;
                let data = super::gpu::ChunkData::Buffer(&buffers[k % 2], 0);
                let capacity = self.chunk_capacity();
                let pending =
                    gpu.submit(ctx, data, &chunk, path, capacity, super::gpu::DEFAULT_SHAPE)?;
                // The next pack is read and uploaded while this one is scanned.
                let next = packs.recv().ok();
                let mut next_upload_ns = 0;
                if let Some(next) = &next {
                    let t = Instant::now();
                    capture(&device_gpu.device, "uploading a pack of files", || {
                        staging[(k + 1) % 2].upload(ctx, &next.data, &buffers[(k + 1) % 2])
                    })?;
                    next_upload_ns = t.elapsed().as_nanos() as u64;
                }
                let out = gpu.finish(ctx, pending)?;
                self.speculator().record(out.report);
                let overflowed = out.total > out.matches.len() as u64;
                let item = Scanned {
                    pack: current,
                    matches: (!overflowed)
                        .then(|| out.matches.iter().map(|&(p, s, _)| (p, s)).collect()),
                    path,
                    upload_ns,
                    kernel_ns: out.kernel_ns,
                    readback_ns: out.readback_ns,
                    pass_ns: out.pass_ns,
                };
                if scanned.send(item).is_err() {
                    return Ok(());
                }
                match next {
                    Some(n) => current = n,
                    None => return Ok(()),
                }
                upload_ns = next_upload_ns;
                k += 1;
            }
        })();
        device_gpu.pool.release(buffers);
        for s in staging {
            s.release(ctx);
        }
        result
    }

    /// Splits a scanned pack into its files' results and sends them; returns the host buffer.
    fn evaluate_pack(
        &self,
        scanned: Scanned,
        options: &ScanOptions,
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
        // Each match to its file: the last slot starting at or before it, when it ends inside.
        let mut per_file: Vec<Vec<Match>> = vec![Vec::new(); pack.slots.len()];
        if let Some(matches) = &matches {
            for &(pattern, start) in matches {
                let start = start as u64;
                let slot = pack.slots.partition_point(|s| s.offset <= start) - 1;
                let s = &pack.slots[slot];
                let len = self.rules().patterns[pattern as usize].bytes.len() as u64;
                if start + len <= s.offset + s.len {
                    per_file[slot].push(self.to_match(pattern, start - s.offset));
                }
            }
        }
        let pack_bytes = pack.data.len().max(1) as u64;
        let share = |ns: u64, len: u64| ns * len / pack_bytes;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let work = Mutex::new(pack.slots.into_iter().zip(per_file).collect::<Vec<_>>());
        let data = &pack.data;
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let Some((slot, found)) = work.lock().unwrap_or_else(|p| p.into_inner()).pop()
                    else {
                        break;
                    };
                    let started = Instant::now();
                    let result = match slot.error {
                        Some(e) => Err(e),
                        None => {
                            let bytes =
                                &data[slot.offset as usize..(slot.offset + slot.len) as usize];
                            let chunk = Chunk {
                                data_start: 0,
                                data_end: slot.len,
                                owned_start: 0,
                                owned_end: slot.len,
                            };
                            let (found, gpu_path) = match matches {
                                Some(_) => (found, ChunkPath::Gpu(path)),
                                None => (self.search_cpu_chunk(bytes, &chunk), ChunkPath::Cpu),
                            };
                            let mut result = ScanResult::default();
                            let total = found.len() as u64;
                            self.add_found(
                                &mut result,
                                found,
                                total,
                                options.max_matches,
                                ChunkReport::of(&chunk, gpu_path, None),
                            );
                            self.finish_rules(&mut result, slot.len, &reader(bytes));
                            let t = &mut result.timings;
                            t.read_ns = slot.read_ns;
                            t.upload_ns = share(upload_ns, slot.len);
                            t.kernel_ns = share(kernel_ns, slot.len);
                            t.readback_ns = share(readback_ns, slot.len);
                            let stage = |i: usize| pass_ns.get(i).map_or(0, |&ns| ns);
                            t.prefilter_gpu_ns = share(stage(0), slot.len);
                            t.confirm_gpu_ns = share(stage(1), slot.len);
                            t.total_ns = t.read_ns
                                + t.upload_ns
                                + t.kernel_ns
                                + t.readback_ns
                                + started.elapsed().as_nanos() as u64;
                            Ok(result)
                        }
                    };
                    if done.send((slot.index, result)).is_err() {
                        break;
                    }
                });
            }
        });
        pack.data
    }
}

/// Reads the files of `plan` ((index, offset, size) each) into `buffer`, in parallel.
fn read_pack(paths: &[PathBuf], plan: &[(usize, u64, u64)], mut buffer: Vec<u8>) -> Pack {
    let end = plan.last().map_or(0, |&(_, offset, len)| offset + len);
    buffer.clear();
    buffer.resize(end.next_multiple_of(4) as usize, 0);
    // Disjoint slices, one per file (the gaps stay zero).
    let mut slices = Vec::with_capacity(plan.len());
    let mut rest: &mut [u8] = &mut buffer;
    let mut at = 0;
    for &(_, offset, len) in plan {
        let (_, tail) = rest.split_at_mut((offset - at) as usize);
        let (file, tail) = tail.split_at_mut(len as usize);
        slices.push(file);
        rest = tail;
        at = offset + len;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let work = Mutex::new(plan.iter().zip(slices).collect::<Vec<_>>());
    let slots = Mutex::new(Vec::with_capacity(plan.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads.min(plan.len()) {
            scope.spawn(|| loop {
                let Some((&(index, offset, len), slice)) =
                    work.lock().unwrap_or_else(|p| p.into_inner()).pop()
                else {
                    break;
                };
                let started = Instant::now();
                let error = read_into(&paths[index], slice).err();
                if error.is_some() {
                    slice.fill(0);
                }
                slots.lock().unwrap_or_else(|p| p.into_inner()).push(Slot {
                    index,
                    offset,
                    len,
                    error,
                    read_ns: started.elapsed().as_nanos() as u64,
                });
            });
        }
    });
    let mut slots = slots.into_inner().unwrap_or_else(|p| p.into_inner());
    slots.sort_by_key(|s| s.offset);
    Pack {
        data: buffer,
        slots,
    }
}
