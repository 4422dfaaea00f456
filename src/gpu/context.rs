//! The GPU context: one wgpu instance, adapter, device and queue.

use super::buffers::BufferPool;
use crate::policy::AutotuneStore;
use crate::{Error, Result};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

static NEXT_CONTEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Which adapter a context prefers when no index is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PowerPreference {
    /// Discrete GPUs first, then integrated, virtual, software.
    #[default]
    HighPerformance,
    /// Integrated GPUs first.
    LowPower,
}

/// How to choose and open the GPU.
#[derive(Clone, Debug)]
pub struct ContextOptions {
    /// Backends to consider; empty means every primary backend.
    pub backends: wgpu::Backends,
    /// Ordering of adapters when `adapter_index` is `None`.
    pub power: PowerPreference,
    /// Index into the list of acceptable adapters, in enumeration order.
    pub adapter_index: Option<usize>,
    /// Whether a software adapter (lavapipe, llvmpipe, WARP) is acceptable.
    pub allow_software: bool,
    /// Whether to open a context with no GPU when no adapter is found (CPU backends only).
    pub cpu_fallback: bool,
    /// Autotune store file loaded at creation and saved by [`GpuContext::save_autotune`].
    pub autotune_store_path: Option<PathBuf>,
}

impl Default for ContextOptions {
    fn default() -> Self {
        Self {
            backends: wgpu::Backends::empty(),
            power: PowerPreference::HighPerformance,
            adapter_index: None,
            allow_software: true,
            cpu_fallback: false,
            autotune_store_path: None,
        }
    }
}

/// What an engine wants to know about the adapter.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    /// wgpu's adapter description.
    pub info: wgpu::AdapterInfo,
    /// The device's limits (the adapter's best).
    pub limits: wgpu::Limits,
    /// Whether GPU timestamp queries are available.
    pub timestamp_queries: bool,
}

impl AdapterSummary {
    /// The most bytes one storage buffer binding can hold on this device.
    pub fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}

/// The launch costs the persistent-kernel decision weighs (docs/SPEC.md section 9), measured on a
/// context once or set by the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaunchOverheads {
    /// Wall time of one standard launch (upload, dispatch, wait, readback), ns.
    pub per_launch_ns: u64,
    /// Wall time of setting up and running an empty persistent dispatch, ns.
    pub persistent_setup_ns: u64,
}

/// The GPU half of a context.
pub struct Gpu {
    /// The opened device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Adapter facts.
    pub summary: AdapterSummary,
    /// A small host-writable buffer kept for the device's lifetime. wgpu's allocator frees an
    /// emptied block of upload memory unless it is the last one, and its block size grows to
    /// 128 MiB once staging buffers of that size exist; without a permanent tenant in the first
    /// block, each `Queue::write_buffer` (the scan parameters) would then map a fresh 128 MiB
    /// block and free it after the copy, which makes every later scan several times slower.
    _upload_block_tenant: wgpu::Buffer,
    /// Reused buffers.
    pub pool: BufferPool,
}

/// One wgpu device and queue (or none, for a CPU-fallback context), safe to share between threads.
pub struct GpuContext {
    id: u64,
    gpu: Option<Gpu>,
    adapter_id: String,
    lost: Arc<AtomicBool>,
    lost_reason: Arc<Mutex<String>>,
    autotune: Option<(PathBuf, Mutex<AutotuneStore>)>,
    overheads: Mutex<Option<LaunchOverheads>>,
}

impl GpuContext {
    /// Opens the adapter the options choose. `Error::NoAdapter` when none fits (unless
    /// `cpu_fallback`), listing what was found.
    pub fn new(options: &ContextOptions) -> Result<Self> {
        let backends = if options.backends.is_empty() {
            wgpu::Backends::PRIMARY
        } else {
            options.backends
        };
        let _gate = super::gate::shared();
        let all = super::instance::adapters(backends);
        let seen: Vec<String> = all
            .iter()
            .map(|a| {
                let i = a.get_info();
                format!("{} ({:?}, {:?})", i.name, i.device_type, i.backend)
            })
            .collect();
        let autotune = options
            .autotune_store_path
            .as_ref()
            .map(|path| Ok::<_, Error>((path.clone(), Mutex::new(AutotuneStore::load(path)?))))
            .transpose()?;
        let mut context = match choose_adapter(all, options) {
            Some(adapter) => Self::open(adapter)?,
            None if options.cpu_fallback => Self {
                id: 0,
                gpu: None,
                adapter_id: "cpu".into(),
                lost: Arc::default(),
                lost_reason: Arc::default(),
                autotune: None,
                overheads: Mutex::new(None),
            },
            None => {
                return Err(Error::NoAdapter(format!(
                "no acceptable adapter among [{}] on backends {backends:?}{}; install a GPU driver \
                 (or mesa-vulkan-drivers for lavapipe), allow software adapters, or enable the CPU fallback",
                seen.join(", "),
                if options.allow_software { "" } else { " (software adapters refused)" },
            )))
            }
        };
        context.id = NEXT_CONTEXT_ID.fetch_add(1, Ordering::Relaxed);
        context.autotune = autotune;
        Ok(context)
    }

    /// A process-unique id of this context (programs remember the context they belong to).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The launch overheads: those set with [`GpuContext::set_launch_overheads`], else the ones
    /// `measure` returns, measured once and cached.
    pub fn launch_overheads(
        &self,
        measure: impl FnOnce() -> Result<LaunchOverheads>,
    ) -> Result<LaunchOverheads> {
        let mut cached = self.overheads.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = *cached {
            return Ok(known);
        }
        let measured = measure()?;
        *cached = Some(measured);
        Ok(measured)
    }

    /// Overrides the measured launch overheads.
    pub fn set_launch_overheads(&self, overheads: LaunchOverheads) {
        *self.overheads.lock().unwrap_or_else(|p| p.into_inner()) = Some(overheads);
    }

    /// The autotune store opened from the options' path, if any.
    pub fn autotune_store(&self) -> Option<MutexGuard<'_, AutotuneStore>> {
        self.autotune
            .as_ref()
            .map(|(_, store)| store.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Saves the autotune store to its path when dirty; `false` when clean or when there is none.
    pub fn save_autotune(&self) -> Result<bool> {
        match &self.autotune {
            Some((path, store)) => store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .save_if_dirty(path),
            None => Ok(false),
        }
    }

    fn open(adapter: wgpu::Adapter) -> Result<Self> {
        let info = adapter.get_info();
        let limits = adapter.limits();
        let timestamp_queries = adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let mut features = wgpu::Features::empty();
        if timestamp_queries {
            features |= wgpu::Features::TIMESTAMP_QUERY;
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("specrt"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::Gpu(format!("opening {}: {e}", info.name)))?;

        let lost = Arc::new(AtomicBool::new(false));
        let lost_reason = Arc::new(Mutex::new(String::new()));
        {
            let (lost, reason) = (lost.clone(), lost_reason.clone());
            device.set_device_lost_callback(move |why, message| {
                *reason.lock().unwrap_or_else(|p| p.into_inner()) = format!("{why:?}: {message}");
                lost.store(true, Ordering::Release);
            });
        }
        // Errors outside our error scopes must never reach wgpu's default handler, which panics.
        device.on_uncaptured_error(Arc::new(|error: wgpu::Error| {
            super::capture::note_uncaptured(error);
        }));
        let upload_block_tenant = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("specrt upload block tenant"),
            size: 256,
            usage: super::staging::STAGING_USAGE,
            mapped_at_creation: false,
        });
        Ok(Self {
            id: 0,
            autotune: None,
            overheads: Mutex::new(None),
            adapter_id: adapter_id(&info),
            gpu: Some(Gpu {
                device,
                queue,
                summary: AdapterSummary {
                    info,
                    limits,
                    timestamp_queries,
                },
                pool: BufferPool::default(),
                _upload_block_tenant: upload_block_tenant,
            }),
            lost,
            lost_reason,
        })
    }

    /// The GPU, or an error when this is a CPU-fallback context or the device was lost.
    pub fn gpu(&self) -> Result<&Gpu> {
        self.check_alive()?;
        self.gpu.as_ref().ok_or_else(|| {
            Error::Unsupported("GPU programs on a context with no adapter (CPU fallback)".into())
        })
    }

    /// Adapter facts, `None` for a CPU-fallback context.
    pub fn summary(&self) -> Option<&AdapterSummary> {
        self.gpu.as_ref().map(|g| &g.summary)
    }

    /// Stable adapter id for the autotune store: backend, vendor, device and driver version.
    pub fn adapter_id(&self) -> &str {
        &self.adapter_id
    }

    /// Whether the device was lost; make a new context then.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// `Error::DeviceLost` once the device is lost.
    pub fn check_alive(&self) -> Result<()> {
        if self.is_lost() {
            let reason = self.lost_reason.lock().unwrap_or_else(|p| p.into_inner());
            return Err(Error::DeviceLost(format!(
                "the GPU device was lost ({reason})"
            )));
        }
        Ok(())
    }

    /// Destroys the device, as a driver reset would: every later GPU call reports device loss.
    pub fn destroy_device(&self) {
        if let Some(gpu) = &self.gpu {
            let _gate = super::gate::shared();
            gpu.device.destroy();
            // Some backends report the loss from the next poll; make it visible now.
            let _ = gpu.device.poll(wgpu::PollType::Poll);
            if !self.is_lost() {
                *self.lost_reason.lock().unwrap_or_else(|p| p.into_inner()) =
                    "Destroyed: the device was destroyed".into();
                self.lost.store(true, Ordering::Release);
            }
        }
    }
}

impl Drop for GpuContext {
    fn drop(&mut self) {
        // The device, its queue and pooled buffers go through the gate (see `gate`).
        let gpu = self.gpu.take();
        super::gate::exclusive(move || drop(gpu));
    }
}

/// Acceptable adapters (software only when allowed), then by index or power preference.
fn choose_adapter(all: Vec<wgpu::Adapter>, options: &ContextOptions) -> Option<wgpu::Adapter> {
    let mut acceptable: Vec<wgpu::Adapter> = all
        .into_iter()
        .filter(|a| options.allow_software || a.get_info().device_type != wgpu::DeviceType::Cpu)
        .collect();
    if let Some(index) = options.adapter_index {
        return (index < acceptable.len()).then(|| acceptable.swap_remove(index));
    }
    let rank = |t: wgpu::DeviceType| match (options.power, t) {
        (PowerPreference::HighPerformance, wgpu::DeviceType::DiscreteGpu) => 0,
        (PowerPreference::LowPower, wgpu::DeviceType::IntegratedGpu) => 0,
        (_, wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu) => 1,
        (_, wgpu::DeviceType::VirtualGpu | wgpu::DeviceType::Other) => 2,
        (_, wgpu::DeviceType::Cpu) => 3,
    };
    // Stable sort keeps enumeration order among equals.
    acceptable.sort_by_key(|a| rank(a.get_info().device_type));
    acceptable.into_iter().next()
}

/// `backend-vendor-device-driver-version`, lowercase, with only `[a-z0-9._-]`.
pub fn adapter_id(info: &wgpu::AdapterInfo) -> String {
    let raw = format!(
        "{:?}-{:04x}-{:04x}-{}-{}",
        info.backend, info.vendor, info.device, info.driver, info.driver_info
    );
    raw.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
