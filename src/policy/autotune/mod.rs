//! Autotune records and the persistent autotune store (docs/SPEC.md section 5).
//!
//! - [`record`]: one tuned configuration and its validation;
//! - [`file`]: the schema-1 TOML format, parsed with positions in errors;
//! - [`persist`]: the crash-safe, locked, merging save;
//! - this module: the in-memory store that remembers which keys it touched.

pub mod file;
pub mod persist;
pub mod record;

pub use record::AutotuneRecord;

use super::key::{AutotuneKey, SpecCacheKey};
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest store file that [`AutotuneStore::load`] accepts.
pub const MAX_STORE_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A map from autotune key to record, loaded from and saved to a schema-1 TOML file.
///
/// The store remembers the keys it put or forgot since it was loaded or last saved, so a save can
/// merge with what other processes saved meanwhile: those keys follow this store, every other key
/// follows the file on disk.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AutotuneStore {
    records: BTreeMap<AutotuneKey, AutotuneRecord>,
    /// Keys changed since load or save: `Some` for a put, `None` for a forget.
    touched: BTreeMap<AutotuneKey, Option<AutotuneRecord>>,
}

impl AutotuneStore {
    /// An empty, clean store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads `path`. A missing file is an empty store; a file over 4 MiB, unreadable or malformed
    /// is an error naming the file and position.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let records = file::read_store_file(path.as_ref())?.unwrap_or_default();
        Ok(Self {
            records,
            touched: BTreeMap::new(),
        })
    }

    /// The record stored for `key`, if any.
    pub fn get(&self, key: &AutotuneKey) -> Option<&AutotuneRecord> {
        self.records.get(key)
    }

    /// Convenience: the record for `spec` measured on `adapter`.
    pub fn get_spec(&self, spec: &SpecCacheKey, adapter: &str) -> Option<&AutotuneRecord> {
        self.get(&AutotuneKey::new(spec, adapter))
    }

    /// Inserts or overwrites the record for `key`; marks the store dirty.
    pub fn put(&mut self, key: AutotuneKey, record: AutotuneRecord) {
        self.touched.insert(key.clone(), Some(record.clone()));
        self.records.insert(key, record);
    }

    /// Removes the record for `key`; returns whether it was present. Marks the store dirty only
    /// when something was removed.
    pub fn forget(&mut self, key: &AutotuneKey) -> bool {
        let removed = self.records.remove(key).is_some();
        if removed {
            self.touched.insert(key.clone(), None);
        }
        removed
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether puts or forgets happened since load or the last save.
    pub fn is_dirty(&self) -> bool {
        !self.touched.is_empty()
    }

    /// Every record, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&AutotuneKey, &AutotuneRecord)> {
        self.records.iter()
    }

    /// Saves to `path` when dirty; returns whether it wrote.
    ///
    /// Under an exclusive lock on `<path>.lock`, the file is re-read, this store's changes are
    /// applied on top of it, and the result replaces the file atomically (temporary file in the
    /// same directory, fsync, rename, fsync of the directory). Afterwards this store holds the
    /// merged records and is clean. On error nothing changes, in memory or on disk.
    pub fn save_if_dirty(&mut self, path: impl AsRef<Path>) -> Result<bool> {
        if !self.is_dirty() {
            return Ok(false);
        }
        let merged = persist::merge_and_write(path.as_ref(), &self.touched)?;
        self.records = merged;
        self.touched.clear();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64, adapter: &str) -> AutotuneKey {
        let spec = SpecCacheKey {
            shader_hash: n,
            ..Default::default()
        };
        AutotuneKey::new(&spec, adapter)
    }

    fn rec(unroll: u32) -> AutotuneRecord {
        AutotuneRecord {
            workgroup_size: [64, 1, 1],
            unroll,
            tile: [0, 0, 0],
            recorded_at: "2026-11-21".into(),
        }
    }

    #[test]
    fn put_get_forget_dirty() {
        let mut s = AutotuneStore::new();
        assert!(s.is_empty() && !s.is_dirty());
        s.put(key(1, "a"), rec(1));
        assert!(s.is_dirty());
        assert_eq!(s.get(&key(1, "a")), Some(&rec(1)));
        assert_eq!(s.get(&key(1, "b")), None);
        s.put(key(1, "a"), rec(2));
        assert_eq!((s.len(), s.get(&key(1, "a")).unwrap().unroll), (1, 2));
        assert!(!s.forget(&key(9, "a")));
        assert!(s.forget(&key(1, "a")));
        assert!(s.is_empty());
    }

    #[test]
    fn forget_of_absent_key_leaves_clean_store_clean() {
        let mut s = AutotuneStore::new();
        assert!(!s.forget(&key(1, "a")));
        assert!(!s.is_dirty());
    }

    #[test]
    fn save_load_round_trip_and_clean_save_is_noop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.toml");
        let mut s = AutotuneStore::load(&path).unwrap();
        assert!(s.is_empty());
        assert!(!s.save_if_dirty(&path).unwrap());
        assert!(!path.exists());
        s.put(key(1, "vk-a"), rec(4));
        s.put(key(2, "vk \"quoted\""), rec(8));
        assert!(s.save_if_dirty(&path).unwrap());
        assert!(!s.is_dirty());
        assert!(!s.save_if_dirty(&path).unwrap());
        let loaded = AutotuneStore::load(&path).unwrap();
        assert_eq!(loaded.records, s.records);
        assert!(!loaded.is_dirty());
    }

    #[test]
    fn save_merges_with_other_writers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.toml");
        let mut a = AutotuneStore::load(&path).unwrap();
        let mut b = AutotuneStore::load(&path).unwrap();
        a.put(key(1, "x"), rec(1));
        a.put(key(3, "x"), rec(3));
        a.save_if_dirty(&path).unwrap();
        b.put(key(2, "x"), rec(2));
        b.put(key(3, "x"), rec(33));
        b.save_if_dirty(&path).unwrap();
        // b holds a's key 1, and its own value wins for key 3 which it touched.
        assert_eq!(b.len(), 3);
        assert_eq!(b.get(&key(3, "x")).unwrap().unroll, 33);
        // a forgets key 1: the deletion propagates; b's key 2 survives.
        assert!(a.forget(&key(1, "x")));
        a.save_if_dirty(&path).unwrap();
        let disk = AutotuneStore::load(&path).unwrap();
        assert_eq!(disk.get(&key(1, "x")), None);
        assert_eq!(disk.get(&key(2, "x")).unwrap().unroll, 2);
        assert_eq!(disk.get(&key(3, "x")).unwrap().unroll, 33);
    }

    #[test]
    fn failed_save_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.toml");
        std::fs::write(&path, "schema = 1\n[[record]]\nkey = 12\n").unwrap();
        let mut s = AutotuneStore::new();
        s.put(key(1, "x"), rec(1));
        let err = s.save_if_dirty(&path).unwrap_err().to_string();
        assert!(err.contains("store.toml:3:"), "{err}");
        assert!(s.is_dirty());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "schema = 1\n[[record]]\nkey = 12\n"
        );
    }
}
