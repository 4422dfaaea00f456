//! Host-to-GPU uploads through mapped staging buffers that are reused from upload to upload
//! (pooled, and mapped again as soon as their copy is done) and filled by several threads at
//! once: about twice the throughput of `Queue::write_buffer`, which allocates and fills a fresh
//! staging buffer on one thread per call.

use super::context::GpuContext;
use super::run::GPU_TIMEOUT;
use crate::{Error, Result};
use std::sync::mpsc::{channel, Receiver};

/// Bytes below which one thread copies.
const PARALLEL_COPY_MIN: usize = 8 << 20;
/// Most copying threads.
const MAX_COPY_THREADS: usize = 8;

/// The usage of staging buffers (the pool keeps them mapped while idle).
pub const STAGING_USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::MAP_WRITE.union(wgpu::BufferUsages::COPY_SRC);

type MapResult = std::result::Result<(), wgpu::BufferAsyncError>;

/// A mapped staging buffer and, after an upload, its pending re-mapping.
pub struct Staging {
    buffer: wgpu::Buffer,
    remap: Option<(wgpu::SubmissionIndex, Receiver<MapResult>)>,
}

impl Staging {
    /// A staging buffer of at least `size` bytes, from the context's pool.
    pub fn acquire(ctx: &GpuContext, size: u64) -> Result<Self> {
        let gpu = ctx.gpu()?;
        Ok(Self {
            buffer: gpu
                .pool
                .acquire_mapped(&gpu.device, STAGING_USAGE, size.max(4)),
            remap: None,
        })
    }

    /// Copies `data` (zero-padded to a multiple of 4) to the start of `dst` through this buffer;
    /// the copy is submitted before anything submitted afterwards.
    pub fn upload(&mut self, ctx: &GpuContext, data: &[u8], dst: &wgpu::Buffer) -> Result<()> {
        let len = self.write(ctx, data)?;
        self.copy_to(ctx, dst, len)
    }

    /// Writes `data` (zero-padded to a multiple of 4) into this buffer, waiting first for its
    /// last copy; returns the padded length, for [`Staging::copy_to`]. The write can happen on
    /// another thread than the copy's submission.
    pub fn write(&mut self, ctx: &GpuContext, data: &[u8]) -> Result<u64> {
        self.wait_mapped(ctx)?;
        let padded = (data.len() as u64).max(4).next_multiple_of(4);
        let mut view = self
            .buffer
            .get_mapped_range_mut(0..padded)
            .map_err(|e| Error::Gpu(format!("mapping a staging buffer: {e}")))?;
        let mut target = view.slice(..);
        let tail = target.split_off(data.len()..);
        parallel_copy(target, data);
        if let Some(mut tail) = tail {
            tail.fill(0);
        }
        Ok(padded)
    }

    /// Submits the copy of the first `len` written bytes to the start of `dst`, and the
    /// buffer's mapping again for the next write.
    pub fn copy_to(&mut self, ctx: &GpuContext, dst: &wgpu::Buffer, len: u64) -> Result<()> {
        let gpu = ctx.gpu()?;
        self.buffer.unmap();
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&self.buffer, 0, dst, 0, len);
        let submission = gpu.queue.submit([encoder.finish()]);
        let (sender, receiver) = channel();
        self.buffer.map_async(wgpu::MapMode::Write, .., move |r| {
            let _ = sender.send(r);
        });
        self.remap = Some((submission, receiver));
        Ok(())
    }

    /// Waits until the buffer is mapped again after its last upload's copy.
    fn wait_mapped(&mut self, ctx: &GpuContext) -> Result<()> {
        let Some((submission, receiver)) = self.remap.take() else {
            return Ok(());
        };
        let gpu = ctx.gpu()?;
        let _gate = super::gate::shared();
        let lost_or = |what: String| ctx.check_alive().err().unwrap_or(Error::Gpu(what));
        gpu.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: Some(GPU_TIMEOUT),
            })
            .map_err(|e| lost_or(format!("waiting for an upload: {e}")))?;
        receiver
            .recv_timeout(GPU_TIMEOUT)
            .map_err(|_| lost_or("a staging buffer was never mapped again".into()))?
            .map_err(|e| lost_or(format!("mapping a staging buffer again: {e}")))
    }

    /// Returns the buffer to the pool once it is mapped again (dropped if that fails).
    pub fn release(mut self, ctx: &GpuContext) {
        if self.wait_mapped(ctx).is_ok() {
            if let Ok(gpu) = ctx.gpu() {
                gpu.pool.release([self.buffer]);
            }
        }
    }
}

/// Copies `src` into `dst` (same length), on several threads for large copies (in pieces of
/// `PIECE` bytes: a piece of mapped memory can move to another thread, a slice of it cannot).
fn parallel_copy(dst: wgpu::WriteOnly<'_, [u8]>, src: &[u8]) {
    const PIECE: usize = 1 << 20;
    let threads = (src.len() / PARALLEL_COPY_MIN)
        .clamp(1, MAX_COPY_THREADS)
        .min(std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 1 {
        let mut dst = dst;
        dst.copy_from_slice(src);
        return;
    }
    let (pieces, mut rest) = dst.into_chunks::<PIECE>();
    let whole = src.len() / PIECE * PIECE;
    rest.copy_from_slice(&src[whole..]);
    let mut pieces: Vec<(usize, wgpu::WriteOnly<'_, [u8; PIECE]>)> =
        pieces.into_iter().enumerate().collect();
    let per_thread = pieces.len().div_ceil(threads);
    std::thread::scope(|scope| {
        while !pieces.is_empty() {
            let group = pieces.split_off(pieces.len().saturating_sub(per_thread));
            scope.spawn(move || {
                for (i, piece) in group {
                    let mut piece: wgpu::WriteOnly<'_, [u8]> = piece.into();
                    piece.copy_from_slice(&src[i * PIECE..(i + 1) * PIECE]);
                }
            });
        }
    });
}
