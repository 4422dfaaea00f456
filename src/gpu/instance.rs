//! The process's wgpu instances, created for compute only.
//!
//! wgpu's Vulkan backend enables every window-system surface extension the loader offers
//! (`VK_KHR_wayland_surface`, `VK_KHR_xcb_surface`, ...). Implicit Vulkan layers react to them:
//! Mesa's device-select layer, installed with every Mesa driver, connects to the Wayland display
//! when the Wayland extension is on, and libwayland prints `error: XDG_RUNTIME_DIR is invalid or
//! not set` to the host's stderr on machines without a desktop session. specrt never presents
//! to a window, so on Linux it creates the Vulkan instance itself through wgpu-hal, with the
//! platform surface extensions removed from the list before `vkCreateInstance`:
//!
//! - `VK_KHR_surface` and `VK_EXT_swapchain_colorspace` stay: wgpu always enables the device
//!   extension `VK_KHR_swapchain`, which requires them, and no layer reacts to them.
//! - wgpu-hal reads the platform extensions only when a surface is created from a window handle
//!   (it checks the instance's extension list first and fails cleanly), which specrt never does.
//!
//! Other backends (and Vulkan on other systems) come from `wgpu::Instance::new` as before. One
//! instance set is kept per backend set for the whole process: drivers bound the number of
//! instances a process may create, and a host may recreate its context many times (after a
//! device loss, say).

use std::sync::Mutex;

/// Every adapter of `backends`, Vulkan's first.
pub fn adapters(backends: wgpu::Backends) -> Vec<wgpu::Adapter> {
    shared_instances(backends)
        .iter()
        .flat_map(|(instance, of)| pollster::block_on(instance.enumerate_adapters(*of)))
        .collect()
}

/// The instances that together cover `backends`, each with the backends it serves.
fn shared_instances(backends: wgpu::Backends) -> Vec<(wgpu::Instance, wgpu::Backends)> {
    type Cache = Vec<(wgpu::Backends, Vec<(wgpu::Instance, wgpu::Backends)>)>;
    static INSTANCES: Mutex<Cache> = Mutex::new(Vec::new());
    let mut cache = INSTANCES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, instances)) = cache.iter().find(|(b, _)| *b == backends) {
        return instances.clone();
    }
    let mut instances = Vec::new();
    let mut rest = backends;
    if cfg!(target_os = "linux") && backends.contains(wgpu::Backends::VULKAN) {
        // Vulkan only through the compute instance: wgpu's own would enable the window-system
        // extensions again.
        rest -= wgpu::Backends::VULKAN;
        if let Some(vulkan) = compute_vulkan_instance() {
            instances.push((vulkan, wgpu::Backends::VULKAN));
        }
    }
    if !rest.is_empty() {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
        descriptor.backends = rest;
        instances.push((wgpu::Instance::new(descriptor), rest));
    }
    cache.push((backends, instances.clone()));
    instances
}

/// Platform surface extensions left out of the Vulkan instance.
#[cfg(target_os = "linux")]
const WINDOW_SYSTEM_EXTENSIONS: &[&std::ffi::CStr] = &[
    c"VK_KHR_xlib_surface",
    c"VK_KHR_xcb_surface",
    c"VK_KHR_wayland_surface",
    c"VK_KHR_display",
    c"VK_KHR_get_display_properties2",
    c"VK_EXT_acquire_drm_display",
    c"VK_EXT_direct_mode_display",
];

/// A Vulkan instance without window-system extensions; None when the system has no usable
/// Vulkan loader or driver (the instance set then has no Vulkan adapters, as wgpu's own
/// instance would have none).
#[cfg(target_os = "linux")]
fn compute_vulkan_instance() -> Option<wgpu::Instance> {
    use wgpu::hal::vulkan;
    let descriptor = wgpu::hal::InstanceDescriptor {
        name: "specrt",
        // What wgpu::Instance::new would use, and what wgpu-core assumes for an instance made
        // from a hal one.
        flags: wgpu::InstanceFlags::default(),
        memory_budget_thresholds: wgpu::MemoryBudgetThresholds::default(),
        backend_options: wgpu::BackendOptions::default(),
        telemetry: None,
        display: None,
    };
    let leave_out_window_systems: Box<vulkan::CreateInstanceCallback<'static>> = Box::new(
        |args: vulkan::CreateInstanceCallbackArgs<'_, '_, 'static>| {
            args.extensions
                .retain(|name| !WINDOW_SYSTEM_EXTENSIONS.contains(name));
        },
    );
    // SAFETY: only platform surface extensions are removed, and wgpu-hal uses them only when a
    // surface is created from a window handle, which specrt never does (module docs).
    let hal = unsafe {
        vulkan::Instance::init_with_callback(&descriptor, Some(leave_out_window_systems))
    }
    .ok()?;
    // SAFETY: a valid Vulkan instance just created; wgpu takes ownership of it.
    Some(unsafe { wgpu::Instance::from_hal::<wgpu::hal::api::Vulkan>(hal) })
}

#[cfg(not(target_os = "linux"))]
fn compute_vulkan_instance() -> Option<wgpu::Instance> {
    None
}
