//! One program run: upload inputs, clear outputs, dispatch, read outputs back, in one submit.
//!
//! Inputs are bound with their length rounded up to a multiple of 4 bytes (at least 4), the
//! padding zeroed; outputs are zeroed before the dispatch and read back with their rule size
//! exactly (the GPU buffer is padded to a multiple of 4). Buffers come from the context's pool.

use super::capture::capture;
use super::context::{Gpu, GpuContext};
use super::program::Program;
use crate::{Error, Result};
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

/// Longest a run waits for the GPU before reporting it as hung.
pub(crate) const GPU_TIMEOUT: Duration = Duration::from_secs(120);
/// Alignment of each output's slot in the readback buffer.
const READBACK_ALIGN: u64 = 256;

/// Wall-clock time of a run's stages, nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunTimings {
    /// Writing inputs into GPU buffers.
    pub upload_ns: u64,
    /// Recording, submitting and waiting for the GPU.
    pub execute_ns: u64,
    /// Copying outputs out of the mapped readback buffer.
    pub readback_ns: u64,
}

/// The outputs of a run and how long it took.
#[derive(Clone, Debug, Default)]
pub struct RunResult {
    /// One byte vector per program output.
    pub outputs: Vec<Vec<u8>>,
    /// Stage timings.
    pub timings: RunTimings,
}

/// Bound size of a buffer holding `len` bytes: a multiple of 4, at least 4.
fn padded(len: u64) -> u64 {
    len.max(4).next_multiple_of(4)
}

fn nanos(since: Instant) -> u64 {
    since.elapsed().as_nanos().min(u64::MAX as u128) as u64
}

/// Runs `program` on `inputs` and returns its outputs.
pub fn run_program(ctx: &GpuContext, program: &Program, inputs: &[&[u8]]) -> Result<RunResult> {
    let gpu = ctx.gpu()?;
    if program.context_id != ctx.id() {
        return Err(Error::invalid(format!(
            "program `{}` was created on another context; create it on this one",
            program.desc.entry_point
        )));
    }
    if inputs.len() != program.input_count() {
        return Err(Error::invalid(format!(
            "program `{}` takes {} input(s), {} given",
            program.desc.entry_point,
            program.input_count(),
            inputs.len()
        )));
    }
    let lens: Vec<usize> = inputs.iter().map(|i| i.len()).collect();
    let limits = &gpu.summary.limits;
    let max_binding = gpu.summary.max_binding();
    let output_sizes = program
        .desc
        .outputs
        .iter()
        .map(|rule| rule.eval(&lens))
        .collect::<Result<Vec<u64>>>()?;
    for (what, size) in lens
        .iter()
        .map(|&l| ("an input", padded(l as u64)))
        .chain(output_sizes.iter().map(|&s| ("an output", padded(s))))
    {
        if size > max_binding {
            return Err(Error::TooLarge(format!(
                "{what} of {size} bytes exceeds this adapter's storage binding limit of {max_binding} bytes; split the data"
            )));
        }
    }
    let groups = workgroups(program, &lens, limits)?;
    let what = format!("running `{}`", program.desc.entry_point);
    capture(&gpu.device, &what, || {
        execute(ctx, gpu, program, inputs, &output_sizes, groups)
    })
}

fn workgroups(program: &Program, lens: &[usize], limits: &wgpu::Limits) -> Result<[u32; 3]> {
    let x = program.desc.workgroups_x.eval(lens)?;
    let groups = [
        x,
        program.desc.workgroups_y.max(1) as u64,
        program.desc.workgroups_z.max(1) as u64,
    ];
    let max = limits.max_compute_workgroups_per_dimension as u64;
    if let Some(too_big) = groups.iter().find(|&&g| g > max) {
        return Err(Error::TooLarge(format!(
            "`{}` needs {too_big} workgroups in one dimension; this adapter allows {max}: give each workgroup more work or use y",
            program.desc.entry_point
        )));
    }
    Ok(groups.map(|g| g as u32))
}

fn execute(
    ctx: &GpuContext,
    gpu: &Gpu,
    program: &Program,
    inputs: &[&[u8]],
    output_sizes: &[u64],
    groups: [u32; 3],
) -> Result<RunResult> {
    use wgpu::BufferUsages as U;
    let (device, queue, pool) = (&gpu.device, &gpu.queue, &gpu.pool);
    let mut timings = RunTimings::default();

    let started = Instant::now();
    let input_buffers: Vec<wgpu::Buffer> = inputs
        .iter()
        .map(|data| {
            let buffer = pool.acquire(device, U::STORAGE | U::COPY_DST, padded(data.len() as u64));
            upload(queue, &buffer, data);
            buffer
        })
        .collect();
    timings.upload_ns = nanos(started);

    let started = Instant::now();
    let bound_sizes: Vec<u64> = output_sizes.iter().map(|&s| padded(s)).collect();
    let output_buffers: Vec<wgpu::Buffer> = bound_sizes
        .iter()
        .map(|&size| pool.acquire(device, U::STORAGE | U::COPY_SRC | U::COPY_DST, size))
        .collect();
    let slots: Vec<u64> = bound_sizes
        .iter()
        .scan(0u64, |offset, &size| {
            let at = *offset;
            *offset += size.next_multiple_of(READBACK_ALIGN);
            Some(at)
        })
        .collect();
    let readback_size = slots.last().map_or(0, |&at| at) + bound_sizes.last().copied().unwrap_or(0);
    let readback = pool.acquire(device, U::MAP_READ | U::COPY_DST, readback_size);

    let bindings: Vec<wgpu::BindGroupEntry> = input_buffers
        .iter()
        .zip(inputs.iter().map(|d| padded(d.len() as u64)))
        .chain(output_buffers.iter().zip(bound_sizes.iter().copied()))
        .enumerate()
        .map(|(i, (buffer, size))| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer,
                offset: 0,
                size: NonZeroU64::new(size),
            }),
        })
        .collect();
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("specrt run"),
        layout: &program.bind_group_layout,
        entries: &bindings,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    for (buffer, &size) in output_buffers.iter().zip(&bound_sizes) {
        encoder.clear_buffer(buffer, 0, Some(size));
    }
    if groups.iter().all(|&g| g > 0) {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&program.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
    }
    for ((buffer, &size), &at) in output_buffers.iter().zip(&bound_sizes).zip(&slots) {
        encoder.copy_buffer_to_buffer(buffer, 0, &readback, at, size);
    }
    let submission = queue.submit([encoder.finish()]);
    let mapped = map_read(ctx, device, &readback, readback_size, submission)?;
    timings.execute_ns = nanos(started);

    let started = Instant::now();
    let outputs = slots
        .iter()
        .zip(output_sizes)
        .map(|(&at, &size)| mapped[at as usize..(at + size) as usize].to_vec())
        .collect();
    timings.readback_ns = nanos(started);

    pool.release(
        input_buffers
            .into_iter()
            .chain(output_buffers)
            .chain([readback]),
    );
    Ok(RunResult { outputs, timings })
}

/// Waits for `submission`, maps the first `size` bytes of the MAP_READ `buffer`, copies them out
/// and unmaps it. Device loss and timeouts become errors.
pub fn map_read(
    ctx: &GpuContext,
    device: &wgpu::Device,
    buffer: &wgpu::Buffer,
    size: u64,
    submission: wgpu::SubmissionIndex,
) -> Result<Vec<u8>> {
    let _gate = super::gate::shared();
    let (sender, receiver) = std::sync::mpsc::channel();
    buffer.map_async(wgpu::MapMode::Read, 0..size, move |r| {
        let _ = sender.send(r);
    });
    let lost_or = |what: String| ctx.check_alive().err().unwrap_or(Error::Gpu(what));
    device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: Some(GPU_TIMEOUT),
        })
        .map_err(|e| lost_or(format!("waiting for the GPU: {e}")))?;
    receiver
        .recv_timeout(GPU_TIMEOUT)
        .map_err(|_| lost_or("the readback never completed".into()))?
        .map_err(|e| lost_or(format!("mapping the readback buffer: {e}")))?;
    let bytes = buffer
        .get_mapped_range(0..size)
        .map_err(|e| Error::Gpu(format!("reading the readback buffer: {e}")))?
        .to_vec();
    buffer.unmap();
    Ok(bytes)
}

/// Writes `data` at the start of `buffer`, zero-padding it to a multiple of 4 (at least 4).
pub fn upload(queue: &wgpu::Queue, buffer: &wgpu::Buffer, data: &[u8]) {
    let aligned = data.len() / 4 * 4;
    if aligned > 0 {
        queue.write_buffer(buffer, 0, &data[..aligned]);
    }
    if aligned < data.len() || data.is_empty() {
        let mut tail = [0u8; 4];
        tail[..data.len() - aligned].copy_from_slice(&data[aligned..]);
        queue.write_buffer(buffer, aligned as u64, &tail);
    }
}
