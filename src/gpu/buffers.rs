//! A pool of GPU buffers reused across dispatches, so steady state creates no buffer per call.

use std::collections::HashMap;
use std::sync::Mutex;

/// Smallest pooled capacity, bytes.
const MIN_CAPACITY: u64 = 256;
/// Buffers kept per (usage, capacity) class.
const KEEP_PER_CLASS: usize = 8;

/// Buffers grouped by usage and power-of-two capacity.
#[derive(Default)]
pub struct BufferPool {
    free: Mutex<HashMap<(u32, u64), Vec<wgpu::Buffer>>>,
    created: std::sync::atomic::AtomicU64,
}

/// The capacity class that holds `size` bytes.
pub fn capacity_for(size: u64) -> u64 {
    size.max(MIN_CAPACITY).next_power_of_two()
}

impl BufferPool {
    /// A buffer with `usage` and at least `size` bytes: a pooled one when available.
    pub fn acquire(
        &self,
        device: &wgpu::Device,
        usage: wgpu::BufferUsages,
        size: u64,
    ) -> wgpu::Buffer {
        self.acquire_with(device, usage, size, false)
    }

    /// A buffer created mapped (MAP_WRITE staging): a pooled one is mapped too, since staging
    /// buffers are returned to the pool only once mapped again.
    pub fn acquire_mapped(
        &self,
        device: &wgpu::Device,
        usage: wgpu::BufferUsages,
        size: u64,
    ) -> wgpu::Buffer {
        self.acquire_with(device, usage, size, true)
    }

    fn acquire_with(
        &self,
        device: &wgpu::Device,
        usage: wgpu::BufferUsages,
        size: u64,
        mapped_at_creation: bool,
    ) -> wgpu::Buffer {
        let capacity = capacity_for(size);
        let reused = self
            .free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&(usage.bits(), capacity))
            .and_then(Vec::pop);
        reused.unwrap_or_else(|| {
            self.created
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("specrt pooled buffer"),
                size: capacity,
                usage,
                mapped_at_creation,
            })
        })
    }

    /// Returns buffers to the pool (beyond the per-class cap they are dropped).
    pub fn release(&self, buffers: impl IntoIterator<Item = wgpu::Buffer>) {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        for buffer in buffers {
            let class = free
                .entry((buffer.usage().bits(), buffer.size()))
                .or_default();
            if class.len() < KEEP_PER_CLASS {
                class.push(buffer);
            }
        }
    }

    /// How many buffers the pool ever created (a steady-state loop keeps this constant).
    pub fn created(&self) -> u64 {
        self.created.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(capacity_for(0), 256);
        assert_eq!(capacity_for(257), 512);
        assert_eq!(capacity_for(4096), 4096);
    }
}
