//! C ABI: spec cache keys, autotune records and the autotune store (docs/SPEC.md sections 4 and 5).

use super::args;
use super::boundary::{status_call, value_call};
use super::handle::{self, tags, Handle};
use super::status::specrt_status;
use crate::policy::{AutotuneKey, AutotuneRecord, AutotuneStore, SpecCacheKey};
use crate::Result;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{Mutex, MutexGuard};

/// Largest autotune store file, in bytes, that `specrt_autotune_store_load` accepts.
pub const SPECRT_AUTOTUNE_MAX_FILE_BYTES: u64 = 4194304;

const _: () =
    assert!(SPECRT_AUTOTUNE_MAX_FILE_BYTES == crate::policy::autotune::MAX_STORE_FILE_BYTES);

/// Identity of one specialised kernel variant.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct specrt_spec_cache_key {
    /// Hash of the shader source.
    pub shader_hash: u64,
    /// Hash of the binding layout.
    pub binding_sig: u64,
    /// Workgroup size of the variant.
    pub workgroup_size: [u32; 3],
    /// Hash of the specialisation constants.
    pub spec_hash: u64,
}

/// The tuned configuration of one kernel variant.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct specrt_autotune_record {
    /// Workgroup size.
    pub workgroup_size: [u32; 3],
    /// Unroll factor.
    pub unroll: u32,
    /// Tile shape; `{0, 0, 0}` when the kernel is not tile-shaped.
    pub tile: [u32; 3],
    /// NUL-terminated `YYYY-MM-DD` date of the measurement, or an empty string.
    pub recorded_at: [c_char; 16],
}

impl From<&specrt_spec_cache_key> for SpecCacheKey {
    fn from(k: &specrt_spec_cache_key) -> Self {
        SpecCacheKey {
            shader_hash: k.shader_hash,
            binding_sig: k.binding_sig,
            workgroup_size: k.workgroup_size,
            spec_hash: k.spec_hash,
        }
    }
}

impl specrt_autotune_record {
    /// The Rust record, after checking the date field.
    pub(crate) fn to_record(self) -> Result<AutotuneRecord> {
        let record = AutotuneRecord {
            workgroup_size: self.workgroup_size,
            unroll: self.unroll,
            tile: self.tile,
            recorded_at: args::fixed_str(&self.recorded_at, "recorded_at")?,
        };
        record.validate()?;
        Ok(record)
    }

    /// The C record of a (validated, hence short) Rust record.
    pub(crate) fn from_record(record: &AutotuneRecord) -> Self {
        let mut out = specrt_autotune_record {
            workgroup_size: record.workgroup_size,
            unroll: record.unroll,
            tile: record.tile,
            recorded_at: [0; 16],
        };
        args::write_fixed_str(&mut out.recorded_at, &record.recorded_at);
        out
    }
}

/// Writes the 32 lowercase hex characters of the autotune digest of `key`, plus a NUL, to `out`.
///
/// # Safety
/// `key` must be valid for reads; `out` must be valid for writes of 33 chars.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_key_hex(
    key: *const specrt_spec_cache_key,
    out: *mut c_char,
) -> specrt_status {
    status_call(|| {
        let key = SpecCacheKey::from(args::input(key, "key")?);
        let out = args::out(out.cast::<[c_char; 33]>(), "out")?;
        args::write_fixed_str(out, &key.digest().to_string());
        Ok(())
    })
}

/// Map from (kernel key, adapter id) to tuned record, persisted as a schema-1 TOML file.
///
/// Thread safety: every call locks the store, so one store may be shared by threads. Several
/// processes may save to the same file: saves are locked, atomic and merged, and no process loses
/// another's records.
pub struct specrt_autotune_store {
    _opaque: [u8; 0],
}

impl Handle for specrt_autotune_store {
    type Inner = Mutex<AutotuneStore>;
    const TAG: u8 = tags::AUTOTUNE_STORE;
    const NAME: &'static str = "specrt_autotune_store";
}

/// Locks the store behind a handle. A poisoned lock is recovered: store operations validate
/// before they mutate, so a panic never leaves a half-applied change.
pub(crate) unsafe fn lock_store<'a>(
    store: *const specrt_autotune_store,
    arg: &'static str,
) -> Result<MutexGuard<'a, AutotuneStore>> {
    let mutex = handle::borrow(store, arg)?;
    Ok(mutex.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Creates an empty, clean store.
///
/// # Safety
/// `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_new(
    out: *mut *mut specrt_autotune_store,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        *out = handle::into_raw::<specrt_autotune_store>(Mutex::new(AutotuneStore::new()))?;
        Ok(())
    })
}

/// Loads the store file at `path` (UTF-8). A missing file gives an empty store. A file over
/// 4 MiB is `SPECRT_ERROR_TOO_LARGE`; malformed TOML, a wrong type, a key that is not 32 hex
/// characters or an unknown schema is `SPECRT_ERROR_PARSE` with `file:line:column` in the message.
/// On error `*out` is not written.
///
/// # Safety
/// `path` must be a NUL-terminated string; `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_load(
    path: *const c_char,
    out: *mut *mut specrt_autotune_store,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let store = AutotuneStore::load(args::c_str(path, "path")?)?;
        *out = handle::into_raw::<specrt_autotune_store>(Mutex::new(store))?;
        Ok(())
    })
}

/// Frees a store without saving it. NULL is accepted and ignored.
///
/// # Safety
/// `store` must be NULL or a live store not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_free(store: *mut specrt_autotune_store) {
    status_call(|| handle::free(store));
}

/// Number of records (0 with a last error on a bad handle).
///
/// # Safety
/// `store` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_len(store: *const specrt_autotune_store) -> usize {
    value_call(0, || Ok(lock_store(store, "store")?.len()))
}

/// Whether puts or forgets happened since load or the last save (false on a bad handle).
///
/// # Safety
/// `store` must be NULL or a specrt handle.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_is_dirty(
    store: *const specrt_autotune_store,
) -> bool {
    value_call(false, || Ok(lock_store(store, "store")?.is_dirty()))
}

/// Looks up the record of `key` on `adapter_id`. `*found` says whether one exists; `*out` is
/// written only when it does.
///
/// # Safety
/// Pointers must be valid; `adapter_id` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_get(
    store: *const specrt_autotune_store,
    key: *const specrt_spec_cache_key,
    adapter_id: *const c_char,
    out: *mut specrt_autotune_record,
    found: *mut bool,
) -> specrt_status {
    status_call(|| {
        let (out, found) = (args::out(out, "out")?, args::out(found, "found")?);
        let key = autotune_key(key, adapter_id)?;
        let store = lock_store(store, "store")?;
        let record = store.get(&key);
        if let Some(r) = record {
            *out = specrt_autotune_record::from_record(r);
        }
        *found = record.is_some();
        Ok(())
    })
}

/// Inserts or overwrites the record of `key` on `adapter_id`; marks the store dirty.
/// `SPECRT_ERROR_INVALID_ARGUMENT` when `recorded_at` is not empty or a `YYYY-MM-DD` date.
///
/// # Safety
/// Pointers must be valid; `adapter_id` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_put(
    store: *mut specrt_autotune_store,
    key: *const specrt_spec_cache_key,
    adapter_id: *const c_char,
    record: *const specrt_autotune_record,
) -> specrt_status {
    status_call(|| {
        let key = autotune_key(key, adapter_id)?;
        let record = args::input(record, "record")?.to_record()?;
        lock_store(store, "store")?.put(key, record);
        Ok(())
    })
}

/// Removes the record of `key` on `adapter_id`; `*removed` says whether it was present. Marks the
/// store dirty only when something was removed; the deletion reaches the file on the next save.
///
/// # Safety
/// Pointers must be valid; `adapter_id` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_forget(
    store: *mut specrt_autotune_store,
    key: *const specrt_spec_cache_key,
    adapter_id: *const c_char,
    removed: *mut bool,
) -> specrt_status {
    status_call(|| {
        let removed = args::out(removed, "removed")?;
        let key = autotune_key(key, adapter_id)?;
        *removed = lock_store(store, "store")?.forget(&key);
        Ok(())
    })
}

/// Saves to `path` when dirty; `*wrote` says whether it did. The save holds an exclusive lock on
/// `<path>.lock`, merges with what other processes saved since this store was loaded (this
/// store's puts and forgets win on the keys it touched), and replaces the file atomically
/// (temporary file, fsync, rename, directory fsync). On error neither the file nor the store
/// changes; an unreadable existing file is never overwritten.
///
/// # Safety
/// Pointers must be valid; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_save_if_dirty(
    store: *mut specrt_autotune_store,
    path: *const c_char,
    wrote: *mut bool,
) -> specrt_status {
    status_call(|| {
        let wrote = args::out(wrote, "wrote")?;
        let path = args::c_str(path, "path")?;
        *wrote = lock_store(store, "store")?.save_if_dirty(path)?;
        Ok(())
    })
}

/// Called once per record by `specrt_autotune_store_foreach` with the 32-hex key, the adapter id
/// and the record (all valid only during the call). Return non-zero to stop.
pub type specrt_autotune_visit_fn = Option<
    unsafe extern "C" fn(
        key_hex: *const c_char,
        adapter_id: *const c_char,
        record: *const specrt_autotune_record,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Calls `visit` for every record in key order, on a snapshot taken at the start (so `visit` may
/// call other functions on this store). Stopping early is not an error.
///
/// # Safety
/// `store` must be a specrt handle; `visit` must be a valid function.
#[no_mangle]
pub unsafe extern "C" fn specrt_autotune_store_foreach(
    store: *const specrt_autotune_store,
    visit: specrt_autotune_visit_fn,
    user_data: *mut c_void,
) -> specrt_status {
    status_call(|| {
        let visit = visit.ok_or(crate::Error::NullPointer("visit"))?;
        let snapshot: Vec<(CString, CString, specrt_autotune_record)> = lock_store(store, "store")?
            .iter()
            .map(|(k, r)| {
                (
                    CString::new(k.digest.to_string()).unwrap_or_default(),
                    CString::new(k.adapter.replace('\0', " ")).unwrap_or_default(),
                    specrt_autotune_record::from_record(r),
                )
            })
            .collect();
        for (key, adapter, record) in &snapshot {
            if visit(key.as_ptr(), adapter.as_ptr(), record, user_data) != 0 {
                break;
            }
        }
        Ok(())
    })
}

/// The autotune key of a C key and adapter id.
pub(crate) unsafe fn autotune_key(
    key: *const specrt_spec_cache_key,
    adapter_id: *const c_char,
) -> Result<AutotuneKey> {
    let spec = SpecCacheKey::from(args::input(key, "key")?);
    Ok(AutotuneKey::new(
        &spec,
        args::c_str(adapter_id, "adapter_id")?,
    ))
}
