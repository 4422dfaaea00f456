//! Host-to-GPU upload throughput per method, as JSON rows.

use specrt::gpu::context::Gpu;
use std::time::Instant;

fn wait(gpu: &Gpu, submission: wgpu::SubmissionIndex) {
    gpu.device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: None,
        })
        .expect("the GPU finishes the upload");
}

fn storage(gpu: &Gpu, size: u64) -> wgpu::Buffer {
    gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("upload target"),
        size,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// Best of three of `f`, GB/s for `bytes`.
fn best_gbps(bytes: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let best = (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    bytes as f64 / best / 1e9
}

/// GB/s of copying `data` into a GPU storage buffer and waiting for it, per method.
pub fn rows(gpu: &Gpu, data: &[u8]) -> String {
    let size = data.len() as u64;
    let target = storage(gpu, size);
    let write_buffer = best_gbps(data.len(), || {
        gpu.queue.write_buffer(&target, 0, data);
        wait(gpu, gpu.queue.submit([]));
    });
    let write_buffer_with = best_gbps(data.len(), || {
        let mut view = gpu
            .queue
            .write_buffer_with(&target, 0, wgpu::BufferSize::new(size).unwrap())
            .expect("a staging view");
        view.copy_from_slice(data);
        drop(view);
        wait(gpu, gpu.queue.submit([]));
    });
    // One staging buffer kept mapped between uploads: copy, unmap, GPU copy, map again.
    let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("upload staging"),
        size,
        usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: true,
    });
    let reused_staging = best_gbps(data.len(), || {
        staging
            .get_mapped_range_mut(..)
            .expect("mapped")
            .copy_from_slice(data);
        staging.unmap();
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&staging, 0, &target, 0, size);
        let submission = gpu.queue.submit([encoder.finish()]);
        staging.map_async(wgpu::MapMode::Write, .., |r| r.expect("mapped again"));
        wait(gpu, submission);
        gpu.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .expect("mapped again");
    });
    // A fresh buffer created mapped, as an init upload does.
    let mapped_at_creation = best_gbps(data.len(), || {
        let fresh = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("upload fresh"),
            size,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: true,
        });
        fresh
            .get_mapped_range_mut(..)
            .expect("mapped")
            .copy_from_slice(data);
        fresh.unmap();
        wait(gpu, gpu.queue.submit([]));
    });
    let host_memcpy = {
        let mut copy = vec![0u8; data.len()];
        best_gbps(data.len(), || copy.copy_from_slice(data))
    };
    format!(
        "{{\"bytes\": {size}, \"queue_write_buffer\": {write_buffer:.2}, \"queue_write_buffer_with\": {write_buffer_with:.2}, \"reused_mapped_staging\": {reused_staging:.2}, \"mapped_at_creation\": {mapped_at_creation:.2}, \"host_memcpy\": {host_memcpy:.2}}}"
    )
}
