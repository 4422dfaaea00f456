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

/// Untuned resident scans of the first `len` bytes of `buffer` on the GPU (`mode`'s path) for
/// `seconds`: the GPU's clocks drop whenever it idles and ramp up only under sustained load, so
/// timed runs come after this.
pub fn warm_up_resident(
    scanner: &specrt::scan::Scanner,
    buffer: &wgpu::Buffer,
    len: u64,
    mode: specrt::policy::SpeculationMode,
    seconds: f64,
) {
    let options = specrt::scan::ScanOptions {
        backend: specrt::scan::Backend::Gpu,
        mode,
        tune: false,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    while started.elapsed().as_secs_f64() < seconds {
        scanner
            .scan_resident_matches(buffer, len, &options)
            .expect("warm-up resident scan");
    }
}
