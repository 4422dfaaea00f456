//! The autotune store across processes: concurrent writers lose no key, and a writer killed at
//! random moments never leaves an unreadable file. Children are this test binary re-run with
//! `SPECRT_STORE_CHILD` set.

use specrt::policy::{AutotuneKey, AutotuneRecord, AutotuneStore, SpecCacheKey};
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

const WRITERS: u64 = 8;
const KEYS_PER_WRITER: u64 = 25;

fn key(writer: u64, n: u64) -> AutotuneKey {
    let spec = SpecCacheKey {
        shader_hash: writer << 32 | n,
        ..Default::default()
    };
    // Long adapter ids make the file large, so a kill often lands mid-write.
    AutotuneKey::new(&spec, format!("writer-{writer}-{}", "x".repeat(160)))
}

fn record(n: u64) -> AutotuneRecord {
    AutotuneRecord {
        workgroup_size: [64, 1, 1],
        unroll: n as u32,
        tile: [8, 8, 1],
        recorded_at: "2026-11-21".into(),
    }
}

/// Child body: one store loaded once, a distinct key put and saved per iteration.
fn writer(path: &Path, id: u64, count: Option<u64>) {
    let mut store = AutotuneStore::load(path).expect("child load");
    let mut n = 0;
    while count.is_none_or(|c| n < c) {
        store.put(key(id, n), record(n));
        store.save_if_dirty(path).expect("child save");
        n += 1;
    }
}

#[test]
fn child_entry() {
    let Ok(role) = std::env::var("SPECRT_STORE_CHILD") else {
        return;
    };
    let path = std::env::var("SPECRT_STORE_PATH").unwrap();
    let id: u64 = std::env::var("SPECRT_STORE_ID").unwrap().parse().unwrap();
    match role.as_str() {
        "bounded" => writer(Path::new(&path), id, Some(KEYS_PER_WRITER)),
        "forever" => writer(Path::new(&path), id, None),
        other => panic!("unknown child role {other}"),
    }
}

fn spawn(role: &str, path: &Path, id: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env("SPECRT_STORE_CHILD", role)
        .env("SPECRT_STORE_PATH", path)
        .env("SPECRT_STORE_ID", id.to_string())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn child")
}

#[test]
fn concurrent_writers_lose_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.toml");
    let children: Vec<Child> = (0..WRITERS).map(|id| spawn("bounded", &path, id)).collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let store = AutotuneStore::load(&path).unwrap();
    assert_eq!(store.len() as u64, WRITERS * KEYS_PER_WRITER);
    for id in 0..WRITERS {
        for n in 0..KEYS_PER_WRITER {
            assert_eq!(
                store.get(&key(id, n)),
                Some(&record(n)),
                "writer {id} key {n}"
            );
        }
    }
}

#[test]
fn writer_killed_at_random_moments_never_leaves_a_torn_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.toml");
    let mut seen = 0;
    // A deterministic spread of kill delays from 0 to ~40 ms.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..40 {
        let mut child = spawn("forever", &path, round);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 40_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let store = AutotuneStore::load(&path)
            .unwrap_or_else(|e| panic!("round {round}: unreadable store after SIGKILL: {e}"));
        assert!(store.len() >= seen, "round {round}: records were lost");
        seen = store.len();
    }
    assert!(seen > 0, "no writer ever completed a save");
    // Orphaned temporaries are cleaned up by the next save.
    let mut store = AutotuneStore::load(&path).unwrap();
    store.put(key(999, 0), record(0));
    store.save_if_dirty(&path).unwrap();
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().contains("specrt-tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
}
