//! Input copied into a GPU buffer once, for resident scans (shared by the scan benchmarks).

/// `data` copied into a new storage buffer on `gpu` (in 64 MiB writes).
pub fn upload_resident(gpu: &specrt::gpu::context::Gpu, data: &[u8]) -> wgpu::Buffer {
    let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("bench resident input"),
        size: (data.len() as u64 + 4).next_multiple_of(4),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    for (i, piece) in data.chunks(64 << 20).enumerate() {
        gpu.queue
            .write_buffer(&buffer, (i as u64) * (64 << 20), piece);
    }
    buffer
}
