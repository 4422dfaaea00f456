//! A process-wide gate between GPU driver calls and the destruction of GPU objects.
//!
//! Some drivers (seen with NVIDIA's Vulkan driver on an H200) deadlock when one thread destroys a
//! device while others submit work to another device of the same process. Every driver call of
//! specrt holds the gate shared; dropping a context, a program or a scanner's tables holds it
//! exclusively, so the last reference to a device is always released alone.

use std::cell::Cell;
use std::sync::{RwLock, RwLockReadGuard};

static GATE: RwLock<()> = RwLock::new(());

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Holds the gate shared (re-entrant within a thread) until dropped.
pub struct Shared {
    _guard: Option<RwLockReadGuard<'static, ()>>,
}

/// Enters the gate for driver calls.
pub fn shared() -> Shared {
    let depth = DEPTH.with(|d| {
        let v = d.get();
        d.set(v + 1);
        v
    });
    Shared {
        _guard: (depth == 0).then(|| GATE.read().unwrap_or_else(|p| p.into_inner())),
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs `f` (which drops GPU objects) with the gate held exclusively, unless this thread is
/// already inside the gate.
pub fn exclusive<R>(f: impl FnOnce() -> R) -> R {
    if DEPTH.with(Cell::get) > 0 {
        return f();
    }
    let _guard = GATE.write().unwrap_or_else(|p| p.into_inner());
    f()
}

/// A GPU object whose drop goes through the gate exclusively.
#[derive(Debug)]
pub struct Gated<T>(Option<T>);

impl<T> Gated<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self(Some(value))
    }
}

impl<T> std::ops::Deref for Gated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_ref().expect("present until dropped")
    }
}

impl<T> Drop for Gated<T> {
    fn drop(&mut self) {
        let value = self.0.take();
        exclusive(move || drop(value));
    }
}
