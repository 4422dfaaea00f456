//! The CPU anchors on the benchmark's inputs: `yara` (Debian's package) and Vectorscan (through
//! `benches/c/hs_bench.c`), both on all CPU threads. Their paths come from `SPECRT_BENCH_YARA` and
//! `SPECRT_BENCH_HS`; an anchor without one is reported as null.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The anchor tools and a scratch directory for their inputs.
pub struct Anchors {
    yara: Option<PathBuf>,
    hs: Option<PathBuf>,
    dir: PathBuf,
    threads: usize,
}

/// The rule files of one string set.
pub struct AnchorRules {
    yara: PathBuf,
    hs: PathBuf,
}

fn tool(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.exists())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Wall seconds of a command (stdout discarded); panics when it fails.
fn seconds(cmd: &mut Command) -> f64 {
    let t = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the anchor runs");
    assert!(status.success(), "{cmd:?} failed");
    t.elapsed().as_secs_f64()
}

impl Anchors {
    /// From the environment; inputs go under the system temporary directory.
    pub fn from_env(threads: usize) -> Self {
        let dir = std::env::temp_dir().join(format!("specrt-bench-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pieces")).unwrap();
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        Self {
            yara: tool("SPECRT_BENCH_YARA"),
            hs: tool("SPECRT_BENCH_HS"),
            dir,
            threads,
        }
    }

    /// Whether any anchor will run.
    pub fn any(&self) -> bool {
        self.yara.is_some() || self.hs.is_some()
    }

    /// Rule files for `needles`: one YARA rule per 10 strings (as the benchmark's rule set), and
    /// the literal list for Vectorscan.
    pub fn rules(&self, needles: &[Vec<u8>]) -> AnchorRules {
        let yara = self.dir.join(format!("rules-{}.yar", needles.len()));
        let hs = self.dir.join(format!("strings-{}.hex", needles.len()));
        let mut text = String::new();
        for (r, group) in needles.chunks(10).enumerate() {
            text.push_str(&format!("rule r{r} {{\n  strings:\n"));
            for (i, n) in group.iter().enumerate() {
                let bytes: Vec<String> = n.iter().map(|b| format!("{b:02X}")).collect();
                text.push_str(&format!("    $s{i} = {{ {} }}\n", bytes.join(" ")));
            }
            text.push_str("  condition:\n    any of them\n}\n");
        }
        std::fs::write(&yara, text).unwrap();
        let lines: Vec<String> = needles.iter().map(|n| hex(n)).collect();
        std::fs::write(&hs, lines.join("\n") + "\n").unwrap();
        AnchorRules { yara, hs }
    }

    /// GB/s of each anchor over `data`, as a JSON object (null for a missing anchor).
    pub fn run(&self, rules: &AnchorRules, data: &[u8]) -> String {
        if !self.any() {
            return "{\"yara_gbps\": null, \"vectorscan_gbps\": null}".into();
        }
        // One piece per thread, so that `yara -p` keeps every thread busy.
        let pieces: Vec<PathBuf> = data
            .chunks(data.len().div_ceil(self.threads).max(1))
            .enumerate()
            .map(|(i, piece)| {
                let path = self.dir.join("pieces").join(format!("piece-{i:03}.bin"));
                std::fs::write(&path, piece).unwrap();
                path
            })
            .collect();
        let yara = self.yara.as_ref().map(|yara| {
            let run = |target: &Path| {
                (0..2)
                    .map(|_| {
                        seconds(
                            Command::new(yara)
                                .arg("-w")
                                .arg("-p")
                                .arg(self.threads.to_string())
                                .arg(&rules.yara)
                                .arg(target),
                        )
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let scan = run(&self.dir.join("pieces")) - run(&self.dir.join("empty"));
            data.len() as f64 / scan.max(1e-6) / 1e9
        });
        let hs = self.hs.as_ref().map(|hs| {
            let out = Command::new(hs)
                .arg(&rules.hs)
                .arg(self.threads.to_string())
                .args(&pieces)
                .output()
                .expect("hs_bench runs");
            assert!(out.status.success(), "hs_bench failed: {out:?}");
            let text = String::from_utf8_lossy(&out.stdout);
            let value = text
                .split("\"gbps\": ")
                .nth(1)
                .and_then(|rest| rest.split([',', '}']).next())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .expect("hs_bench prints gbps");
            value
        });
        let show = |v: Option<f64>| v.map_or("null".to_string(), |v| format!("{v:.3}"));
        format!(
            "{{\"yara_gbps\": {}, \"vectorscan_gbps\": {}}}",
            show(yara),
            show(hs)
        )
    }
}

impl Drop for Anchors {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
