//! The crash-safe, locked, merging save of the autotune store.
//!
//! A save takes an exclusive advisory lock on `<path>.lock`, re-reads the file, applies this
//! store's changes on top of it, writes the result to a temporary file in the same directory,
//! fsyncs it, renames it over the store file and fsyncs the directory. A writer killed at any
//! moment leaves the old file or the new one, never a truncated one.

use super::file::{read_store_file, render_store, Records};
use super::record::AutotuneRecord;
use super::MAX_STORE_FILE_BYTES;
use crate::policy::key::AutotuneKey;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file that serialises writers of `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Applies `changes` (Some = put, None = forget) to the file at `path` under the writers' lock and
/// returns the records now on disk.
pub fn merge_and_write(
    path: &Path,
    changes: &BTreeMap<AutotuneKey, Option<AutotuneRecord>>,
) -> Result<Records> {
    if path.file_name().is_none() {
        return Err(Error::invalid(format!(
            "{}: the store path must name a file",
            path.display()
        )));
    }
    let resolved = resolve(path);
    let path = resolved.as_path();
    let lock = lock_writers(path)?;
    remove_stale_temporaries(path);
    let mut records = read_store_file(path)
        .map_err(|e| match e {
            Error::Parse { .. } | Error::TooLarge(_) => Error::invalid(format!(
                "refusing to overwrite an unreadable store file ({e}); move it aside and save again"
            )),
            other => other,
        })?
        .unwrap_or_default();
    for (key, change) in changes {
        match change {
            Some(record) => records.insert(key.clone(), record.clone()),
            None => records.remove(key),
        };
    }
    let text = render_store(&records);
    if text.len() as u64 > MAX_STORE_FILE_BYTES {
        return Err(Error::TooLarge(format!(
            "{}: saving would make the autotune store {} bytes, over the {MAX_STORE_FILE_BYTES}-byte limit that loading enforces; forget stale records first",
            path.display(),
            text.len()
        )));
    }
    replace_atomically(path, text.as_bytes())?;
    drop(lock);
    Ok(records)
}

/// The file a save really replaces: symbolic links followed, so that writers naming the store
/// through different links share one lock and the link itself survives the rename.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    // The file does not exist yet, or is a link to a file that does not: follow links by hand,
    // then resolve the directory.
    let mut path = path.to_path_buf();
    for _ in 0..16 {
        match std::fs::read_link(&path) {
            Ok(target) => path = directory_of(&path).join(target),
            Err(_) => break,
        }
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// Opens `<path>.lock` and holds an exclusive lock on it until the file is dropped.
fn lock_writers(path: &Path) -> Result<File> {
    let lock_path = lock_path(path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, "creating the store lock file", e))?;
    file.lock()
        .map_err(|e| Error::io(&lock_path, "locking the store lock file", e))?;
    Ok(file)
}

/// The directory holding `path` (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Prefix of the temporary files a save of `path` writes next to it.
fn temporary_prefix(path: &Path) -> String {
    format!(
        ".{}.specrt-tmp-",
        path.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// Removes temporary files left by writers of `path` that were killed mid-save. Only the holder
/// of the writers' lock creates them, so under the lock any that exist are orphans. Best effort.
fn remove_stale_temporaries(path: &Path) {
    let prefix = temporary_prefix(path);
    let Ok(entries) = std::fs::read_dir(directory_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to a temporary sibling of `path`, fsyncs it, renames it over `path` and fsyncs
/// the directory. On error the old file is untouched and the temporary file is removed.
fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = directory_of(path);
    let mut temp = tempfile::Builder::new()
        .prefix(&temporary_prefix(path))
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, "creating a temporary store file", e))?;
    let permissions = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| default_permissions());
    let written = temp
        .write_all(bytes)
        .and_then(|()| temp.as_file().set_permissions(permissions))
        .and_then(|()| temp.as_file().sync_all());
    written.map_err(|e| Error::io(temp.path(), "writing the temporary store file", e))?;
    temp.persist(path)
        .map_err(|e| Error::io(path, "renaming the new store file into place", e.error))?;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(&dir, "syncing the store directory", e))
}

#[cfg(unix)]
fn default_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> std::fs::Permissions {
    tempfile::tempfile()
        .and_then(|f| f.metadata())
        .map(|m| m.permissions())
        .expect("a temporary file has permissions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_symlinked_store_keeps_its_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.toml");
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        merge_and_write(&link, &BTreeMap::new()).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "schema = 1\n");
    }

    #[test]
    fn a_save_over_the_size_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        let record = AutotuneRecord::default();
        let changes: BTreeMap<AutotuneKey, Option<AutotuneRecord>> = (0..40_000u64)
            .map(|i| {
                let spec = crate::policy::SpecCacheKey {
                    shader_hash: i,
                    ..Default::default()
                };
                (
                    AutotuneKey::new(&spec, "adapter-with-a-long-name"),
                    Some(record.clone()),
                )
            })
            .collect();
        let e = merge_and_write(&path, &changes).unwrap_err();
        assert!(matches!(e, Error::TooLarge(_)), "{e}");
        assert!(!path.exists());
    }

    #[test]
    fn orphaned_temporaries_are_removed_under_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        let orphan = dir.path().join(".s.toml.specrt-tmp-abc123");
        let other = dir.path().join(".t.toml.specrt-tmp-abc123");
        std::fs::write(&orphan, "half").unwrap();
        std::fs::write(&other, "another store's").unwrap();
        merge_and_write(&path, &BTreeMap::new()).unwrap();
        assert!(!orphan.exists());
        assert!(other.exists());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "schema = 1\n");
    }
}
