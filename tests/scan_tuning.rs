//! Self-tuning: a first process races kernel variants until each shape bucket is settled and
//! saves the winners to the autotune store; a second process loads them and races nothing.
//! The two processes are this test binary re-run with `SPECRT_TUNING_ROLE` set.

mod common;

use specrt::gpu::{ContextOptions, GpuContext};
use specrt::scan::{RuleSet, ScanOptions, Scanner, StringFlags};
use std::process::Command;
use std::sync::Arc;

const CHUNK: u64 = 16 * 1024;

fn scan_role(store: &str) {
    let options = ContextOptions {
        autotune_store_path: Some(store.into()),
        ..Default::default()
    };
    let ctx = match GpuContext::new(&options) {
        Ok(ctx) => Arc::new(ctx),
        Err(e) => panic!("no GPU context: {e}"),
    };
    let mut rules = RuleSet::new();
    for i in 0..50u32 {
        rules
            .add_string(
                i / 10,
                i,
                format!("needle-{i:03}").as_bytes(),
                &[],
                StringFlags::default(),
            )
            .unwrap();
    }
    let scanner = Scanner::new(Some(ctx), &rules).unwrap();
    let data: Vec<u8> = (0..8 * CHUNK).map(|i| (i * 7 % 251) as u8).collect();
    let options = ScanOptions {
        max_chunk_bytes: CHUNK,
        backend: common::gpu_backend(&scanner),
        ..Default::default()
    };
    let mut raced = 0;
    let mut lanes = 0;
    // Scan until every bucket is settled (each race needs at least 8 pairs per candidate).
    for _ in 0..400 {
        let r = scanner.scan(&data, &options, None, None).unwrap();
        let now = r.chunks.iter().filter(|c| c.raced).count();
        raced += now;
        lanes = r.chunks[0].workgroup_size;
        if now == 0 {
            break;
        }
    }
    println!("RESULT raced={raced} lanes={lanes}");
}

#[test]
fn child_entry() {
    if let (Ok(_), Ok(store)) = (
        std::env::var("SPECRT_TUNING_ROLE"),
        std::env::var("SPECRT_TUNING_STORE"),
    ) {
        scan_role(&store);
    }
}

fn run_child(store: &std::path::Path) -> (usize, u32) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env("SPECRT_TUNING_ROLE", "scan")
        .env("SPECRT_TUNING_STORE", store)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, rest)| rest))
        .expect("child result");
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    (field("raced=") as usize, field("lanes=") as u32)
}

#[test]
fn a_second_process_reuses_the_winners_without_racing() {
    if common::context().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("autotune.toml");
    let (raced_first, lanes_first) = run_child(&store);
    assert!(raced_first > 0, "the first process raced");
    let text = std::fs::read_to_string(&store).expect("the winners were saved");
    assert!(text.contains("[[record]]"));
    let (raced_second, lanes_second) = run_child(&store);
    assert_eq!(raced_second, 0, "the second process raced a known shape");
    assert_eq!(
        lanes_second, lanes_first,
        "the second process uses the saved winner"
    );
}
