//! C ABI: the GPU context (wgpu instance, adapter, device, queue).

use super::args;
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::status::specrt_status;
use crate::gpu::{ContextOptions, GpuContext, PowerPreference};
use crate::Error;
use std::ffi::c_char;

/// A set of `SPECRT_BACKEND_*` bits.
pub type specrt_backends = u32;
/// Vulkan.
pub const SPECRT_BACKEND_VULKAN: specrt_backends = 1;
/// Metal.
pub const SPECRT_BACKEND_METAL: specrt_backends = 2;
/// Direct3D 12.
pub const SPECRT_BACKEND_DX12: specrt_backends = 4;
/// OpenGL / OpenGL ES.
pub const SPECRT_BACKEND_GL: specrt_backends = 8;

/// Adapter ordering: one of the `SPECRT_POWER_*` values.
pub type specrt_power_preference = u32;
/// Discrete GPUs first (the default).
pub const SPECRT_POWER_HIGH_PERFORMANCE: specrt_power_preference = 0;
/// Integrated GPUs first.
pub const SPECRT_POWER_LOW_POWER: specrt_power_preference = 1;

/// Kind of adapter: one of the `SPECRT_DEVICE_TYPE_*` values.
pub type specrt_device_type = u32;
/// Unknown kind.
pub const SPECRT_DEVICE_TYPE_OTHER: specrt_device_type = 0;
/// A GPU sharing memory with the CPU.
pub const SPECRT_DEVICE_TYPE_INTEGRATED: specrt_device_type = 1;
/// A GPU with its own memory.
pub const SPECRT_DEVICE_TYPE_DISCRETE: specrt_device_type = 2;
/// A virtualised GPU.
pub const SPECRT_DEVICE_TYPE_VIRTUAL: specrt_device_type = 3;
/// A software rasteriser running on the CPU (lavapipe, llvmpipe, WARP).
pub const SPECRT_DEVICE_TYPE_CPU: specrt_device_type = 4;
/// No adapter: a CPU-fallback context.
pub const SPECRT_DEVICE_TYPE_NONE: specrt_device_type = 5;

/// How `specrt_context_new` chooses and opens the GPU. Start from
/// `specrt_context_options_default()` and change what you need.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_context_options {
    /// `SPECRT_BACKEND_*` bits to consider; 0 means every primary backend of the platform.
    pub backends: specrt_backends,
    /// `SPECRT_POWER_*`: adapter ordering when `adapter_index` is negative.
    pub power_preference: specrt_power_preference,
    /// Index into the acceptable adapters in enumeration order, or -1 to choose by preference.
    pub adapter_index: i32,
    /// Whether a software adapter (lavapipe, llvmpipe) is acceptable.
    pub allow_software: bool,
    /// Whether to open a context with no GPU when no adapter fits (for the CPU scan backend).
    pub cpu_fallback: bool,
    /// NUL-terminated path of the autotune store file to load (created on save), or NULL.
    pub autotune_store_path: *const c_char,
}

/// Adapter facts and key limits.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_adapter_info {
    /// Adapter name, NUL-terminated (truncated to fit).
    pub name: [c_char; 256],
    /// Driver name, NUL-terminated.
    pub driver: [c_char; 128],
    /// Driver version text, NUL-terminated.
    pub driver_info: [c_char; 128],
    /// PCI vendor id (0x10de NVIDIA, 0x1002 AMD, 0x8086 Intel), 0 when unknown.
    pub vendor: u32,
    /// PCI device id, 0 when unknown.
    pub device: u32,
    /// `SPECRT_DEVICE_TYPE_*`.
    pub device_type: specrt_device_type,
    /// The one `SPECRT_BACKEND_*` bit of the backend in use; 0 for a CPU-fallback context.
    pub backend: specrt_backends,
    /// Largest storage buffer binding, bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Largest workgroup count per dispatch dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Largest invocations per workgroup.
    pub max_compute_invocations_per_workgroup: u32,
    /// Most storage buffers per shader stage (inputs + outputs of a program).
    pub max_storage_buffers_per_shader_stage: u32,
    /// Whether GPU timestamp queries are available.
    pub timestamp_queries: bool,
}

/// One wgpu device and queue, or none for a CPU-fallback context.
///
/// Thread safety: any number of threads may dispatch on one context at the same time.
/// Device loss: every GPU operation on a lost context (programs, dispatches, scans) returns
/// `SPECRT_ERROR_DEVICE_LOST` and `specrt_context_is_lost` says so; queries such as
/// `specrt_context_adapter_info` still answer. Free it and create a new one.
pub struct specrt_context {
    _opaque: [u8; 0],
}

impl Handle for specrt_context {
    type Inner = std::sync::Arc<GpuContext>;
    const TAG: u8 = tags::CONTEXT;
    const NAME: &'static str = "specrt_context";
}

/// The default options: every primary backend, high performance, software adapters allowed,
/// no CPU fallback, no autotune store.
#[no_mangle]
pub extern "C" fn specrt_context_options_default() -> specrt_context_options {
    specrt_context_options {
        backends: 0,
        power_preference: SPECRT_POWER_HIGH_PERFORMANCE,
        adapter_index: -1,
        allow_software: true,
        cpu_fallback: false,
        autotune_store_path: std::ptr::null(),
    }
}

unsafe fn to_options(o: &specrt_context_options) -> crate::Result<ContextOptions> {
    let known =
        SPECRT_BACKEND_VULKAN | SPECRT_BACKEND_METAL | SPECRT_BACKEND_DX12 | SPECRT_BACKEND_GL;
    if o.backends & !known != 0 {
        return Err(Error::invalid(format!(
            "backends 0x{:x} has unknown SPECRT_BACKEND_* bits",
            o.backends
        )));
    }
    let mut backends = wgpu::Backends::empty();
    for (bit, backend) in [
        (SPECRT_BACKEND_VULKAN, wgpu::Backends::VULKAN),
        (SPECRT_BACKEND_METAL, wgpu::Backends::METAL),
        (SPECRT_BACKEND_DX12, wgpu::Backends::DX12),
        (SPECRT_BACKEND_GL, wgpu::Backends::GL),
    ] {
        if o.backends & bit != 0 {
            backends |= backend;
        }
    }
    let power = match o.power_preference {
        SPECRT_POWER_HIGH_PERFORMANCE => PowerPreference::HighPerformance,
        SPECRT_POWER_LOW_POWER => PowerPreference::LowPower,
        other => {
            return Err(Error::invalid(format!(
                "power_preference {other} is not a SPECRT_POWER_* value"
            )))
        }
    };
    let autotune_store_path = if o.autotune_store_path.is_null() {
        None
    } else {
        Some(args::c_str(o.autotune_store_path, "autotune_store_path")?.into())
    };
    Ok(ContextOptions {
        backends,
        power,
        adapter_index: usize::try_from(o.adapter_index).ok(),
        allow_software: o.allow_software,
        cpu_fallback: o.cpu_fallback,
        autotune_store_path,
    })
}

/// Opens a context. `options` may be NULL for the defaults. `SPECRT_ERROR_NO_ADAPTER` (with the
/// adapters that were found) when none fits and `cpu_fallback` is false.
///
/// # Safety
/// `options` must be NULL or valid; `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_context_new(
    options: *const specrt_context_options,
    out: *mut *mut specrt_context,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let options = match options.as_ref() {
            Some(o) => to_options(o)?,
            None => to_options(&specrt_context_options_default())?,
        };
        *out = handle::into_raw::<specrt_context>(std::sync::Arc::new(GpuContext::new(&options)?))?;
        Ok(())
    })
}

/// Releases a context. Programs made on it stay valid to free but can no longer dispatch;
/// scanners made on it keep the device open until they are freed. NULL is accepted and ignored.
///
/// # Safety
/// `context` must be NULL or a live context not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_context_free(context: *mut specrt_context) {
    status_call(|| handle::free(context));
}

/// Fills `*out` with the adapter's facts and limits (a CPU-fallback context reports
/// `SPECRT_DEVICE_TYPE_NONE` and zero limits).
///
/// # Safety
/// `context` must be a specrt handle; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_context_adapter_info(
    context: *const specrt_context,
    out: *mut specrt_adapter_info,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let ctx = handle::borrow(context, "context")?;
        let mut info = specrt_adapter_info {
            name: [0; 256],
            driver: [0; 128],
            driver_info: [0; 128],
            vendor: 0,
            device: 0,
            device_type: SPECRT_DEVICE_TYPE_NONE,
            backend: 0,
            max_storage_buffer_binding_size: 0,
            max_buffer_size: 0,
            max_compute_workgroups_per_dimension: 0,
            max_compute_invocations_per_workgroup: 0,
            max_storage_buffers_per_shader_stage: 0,
            timestamp_queries: false,
        };
        match ctx.summary() {
            Some(s) => {
                args::write_fixed_str(&mut info.name, &s.info.name);
                args::write_fixed_str(&mut info.driver, &s.info.driver);
                args::write_fixed_str(&mut info.driver_info, &s.info.driver_info);
                info.vendor = s.info.vendor;
                info.device = s.info.device;
                info.device_type = match s.info.device_type {
                    wgpu::DeviceType::Other => SPECRT_DEVICE_TYPE_OTHER,
                    wgpu::DeviceType::IntegratedGpu => SPECRT_DEVICE_TYPE_INTEGRATED,
                    wgpu::DeviceType::DiscreteGpu => SPECRT_DEVICE_TYPE_DISCRETE,
                    wgpu::DeviceType::VirtualGpu => SPECRT_DEVICE_TYPE_VIRTUAL,
                    wgpu::DeviceType::Cpu => SPECRT_DEVICE_TYPE_CPU,
                };
                info.backend = match s.info.backend {
                    wgpu::Backend::Vulkan => SPECRT_BACKEND_VULKAN,
                    wgpu::Backend::Metal => SPECRT_BACKEND_METAL,
                    wgpu::Backend::Dx12 => SPECRT_BACKEND_DX12,
                    wgpu::Backend::Gl => SPECRT_BACKEND_GL,
                    _ => 0,
                };
                info.max_storage_buffer_binding_size = s.limits.max_storage_buffer_binding_size;
                info.max_buffer_size = s.limits.max_buffer_size;
                info.max_compute_workgroups_per_dimension =
                    s.limits.max_compute_workgroups_per_dimension;
                info.max_compute_invocations_per_workgroup =
                    s.limits.max_compute_invocations_per_workgroup;
                info.max_storage_buffers_per_shader_stage =
                    s.limits.max_storage_buffers_per_shader_stage;
                info.timestamp_queries = s.timestamp_queries;
            }
            None => args::write_fixed_str(&mut info.name, "cpu fallback (no adapter)"),
        }
        *out = info;
        Ok(())
    })
}

/// Copies the stable adapter id used as the autotune store's adapter key
/// (`backend-vendor-device-driver-version`, or `cpu`) into `buf`, snprintf-style: `*needed`
/// receives the size with the NUL; `buf` NULL and `cap` 0 only asks the size; a smaller `cap` is
/// `SPECRT_ERROR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `buf` must be NULL or valid for `cap` bytes; `needed` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_context_adapter_id(
    context: *const specrt_context,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> specrt_status {
    status_call(|| {
        let ctx = handle::borrow(context, "context")?;
        args::write_c_string(ctx.adapter_id(), buf, cap, needed)
    })
}

/// Whether the context's device was lost (false, with a last error, on a bad handle).
///
/// # Safety
/// `context` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_context_is_lost(context: *const specrt_context) -> bool {
    value_call(false, || Ok(handle::borrow(context, "context")?.is_lost()))
}

/// Saves the context's autotune store (from `autotune_store_path`) when it changed; `*wrote`
/// says whether it did. Without a store path it writes nothing and returns `SPECRT_OK`.
///
/// # Safety
/// `context` must be a specrt handle; `wrote` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_context_save_autotune(
    context: *const specrt_context,
    wrote: *mut bool,
) -> specrt_status {
    status_call(|| {
        let wrote = args::out(wrote, "wrote")?;
        *wrote = handle::borrow(context, "context")?.save_autotune()?;
        Ok(())
    })
}

/// Sets the launch overheads the persistent-kernel decision uses on this context, instead of
/// measuring them (see `specrt_scan_batch`): `per_launch_ns` for one standard launch,
/// `persistent_setup_ns` for setting up and running a persistent dispatch.
///
/// # Safety
/// `context` must be a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_context_set_launch_overheads(
    context: *const specrt_context,
    per_launch_ns: u64,
    persistent_setup_ns: u64,
) -> specrt_status {
    status_call(|| {
        handle::borrow(context, "context")?.set_launch_overheads(crate::gpu::LaunchOverheads {
            per_launch_ns,
            persistent_setup_ns,
        });
        Ok(())
    })
}
