//! Batches of many small inputs: one persistent dispatch whose workgroups pull items from a
//! device-side queue, or one scan per item, as the persistent-kernel decision (docs/SPEC.md section 9)
//! says given this context's measured launch overheads.

use super::results::{ChunkPath, ChunkReport, Match, ScanResult};
use super::scanner::{slice_reader, BackendReason, ScanOptions, Scanner};
use crate::gpu::LaunchOverheads;
use crate::policy::{
    decide_persistent_kernel, PersistentDecision, PersistentInputs, SpeculationMode,
};
use crate::Result;
use std::time::Instant;

/// Items larger than this are scanned on their own (tiled and streamed), not packed into a batch
/// where one invocation scans each item.
pub const LARGE_ITEM_BYTES: usize = 64 << 10;
/// Bytes packed into one persistent dispatch at most.
const GROUP_BYTES: usize = 64 << 20;
/// Match capacity of one persistent dispatch; a group that finds more is rescanned per item.
const GROUP_CAPACITY: u32 = 1 << 22;

/// What one item of a batch found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemResult {
    /// Its matches, sorted, at most the match limit.
    pub matches: Vec<Match>,
    /// Whether the limit dropped some.
    pub truncated: bool,
    /// How many were dropped.
    pub dropped: u64,
    /// Ids of the rules that match the item (as in [`ScanResult::rules`]).
    pub rules: Vec<u32>,
}

impl From<ScanResult> for ItemResult {
    fn from(r: ScanResult) -> Self {
        Self {
            matches: r.matches,
            truncated: r.truncated,
            dropped: r.dropped,
            rules: r.rules,
        }
    }
}

/// The result of a batch scan.
#[derive(Clone, Debug)]
pub struct BatchResult {
    /// One entry per item, in input order.
    pub items: Vec<ItemResult>,
    /// The decision taken.
    pub decision: PersistentDecision,
    /// What it was based on.
    pub inputs: PersistentInputs,
    /// Whether the persistent kernel ran (false: one scan per item).
    pub persistent: bool,
    /// Wall time of the batch, ns.
    pub total_ns: u64,
}

impl Scanner {
    /// Scans every item on its own terms (offsets relative to the item, no match across items),
    /// with one persistent dispatch or one scan per item, whichever the persistent decision picks.
    /// `SpeculationMode::Disable` always scans per item (the persistent kernel is fused).
    pub fn scan_batch(&self, items: &[&[u8]], options: &ScanOptions) -> Result<BatchResult> {
        let started = Instant::now();
        let gpu = self.use_gpu_for(options)?;
        let overheads = match gpu {
            true => self.launch_overheads()?,
            false => LaunchOverheads::default(),
        };
        let inputs = PersistentInputs {
            batch_size: u32::try_from(items.len()).unwrap_or(u32::MAX),
            per_launch_overhead_ns: overheads.per_launch_ns,
            per_item_kernel_ns: 0,
            persistent_setup_overhead_ns: overheads.persistent_setup_ns,
        };
        let decision = decide_persistent_kernel(&inputs);
        let persistent = gpu
            && options.mode != SpeculationMode::Disable
            && matches!(decision, PersistentDecision::PersistentKernel { .. });
        let results = if persistent {
            self.persistent_batch(items, options)?
        } else {
            self.per_item(items, options)?
        };
        Ok(BatchResult {
            items: results,
            decision,
            inputs,
            persistent,
            total_ns: started.elapsed().as_nanos() as u64,
        })
    }

    /// The context's launch overheads, measured with this scanner's kernels on first use.
    pub fn launch_overheads(&self) -> Result<LaunchOverheads> {
        let (ctx, _) = self.gpu_parts()?;
        ctx.launch_overheads(|| {
            let tiny = [0u8; 64];
            let options = ScanOptions {
                mode: SpeculationMode::Force,
                ..Default::default()
            };
            let median = |f: &mut dyn FnMut() -> Result<()>| -> Result<u64> {
                f()?; // warm-up
                let mut times = Vec::new();
                for _ in 0..7 {
                    let t = Instant::now();
                    f()?;
                    times.push(t.elapsed().as_nanos() as u64);
                }
                times.sort_unstable();
                Ok(times[times.len() / 2])
            };
            Ok(LaunchOverheads {
                per_launch_ns: median(&mut || self.scan(&tiny, &options, None, None).map(|_| ()))?,
                persistent_setup_ns: median(&mut || {
                    self.persistent_batch(&[&tiny], &options).map(|_| ())
                })?,
            })
        })
    }

    fn per_item(&self, items: &[&[u8]], options: &ScanOptions) -> Result<Vec<ItemResult>> {
        items
            .iter()
            .map(|item| Ok(self.scan(item, options, None, None)?.into()))
            .collect()
    }

    /// The result of one packed item from its raw matches.
    fn item_result(
        &self,
        found: Vec<Match>,
        item: &[u8],
        options: &ScanOptions,
    ) -> Result<ItemResult> {
        let limit = options.max_matches;
        let mut result = ScanResult::default();
        let total = found.len() as u64;
        let report = ChunkReport {
            offset: 0,
            bytes: item.len() as u64,
            path: ChunkPath::Cpu,
            report: None,
            workgroup_size: 0,
            tile: 0,
            raced: false,
        };
        self.add_found(&mut result, found, total, limit, report);
        // Found by the batch kernel: the regular-expression verification reads the backend.
        result.set_backend(true, BackendReason::Requested);
        let read = slice_reader(item);
        self.finish_rules(&mut result, item.len() as u64, &read, Some(item), options)?;
        Ok(result.into())
    }

    fn persistent_batch(&self, items: &[&[u8]], options: &ScanOptions) -> Result<Vec<ItemResult>> {
        let (ctx, gpu) = self.gpu_parts()?;
        let mut results: Vec<Option<ItemResult>> = vec![None; items.len()];
        let mut group: Vec<usize> = Vec::new();
        let mut packed: Vec<u8> = Vec::new();
        let mut table: Vec<[u32; 2]> = Vec::new();
        let flush = |group: &mut Vec<usize>,
                     packed: &mut Vec<u8>,
                     table: &mut Vec<[u32; 2]>,
                     results: &mut Vec<Option<ItemResult>>|
         -> Result<()> {
            if group.is_empty() {
                return Ok(());
            }
            let out = gpu.finish(ctx, gpu.submit_batch(ctx, packed, table, GROUP_CAPACITY)?)?;
            self.speculator().record(out.report);
            if out.total > GROUP_CAPACITY as u64 {
                // More matches than one dispatch holds: rescan these items one by one.
                for (&index, result) in group.iter().zip(self.per_item(
                    &group.iter().map(|&i| items[i]).collect::<Vec<_>>(),
                    options,
                )?) {
                    results[index] = Some(result);
                }
            } else {
                let mut found: Vec<Vec<Match>> = vec![Vec::new(); group.len()];
                for &(pattern, start, item) in &out.matches {
                    found[item as usize].push(self.to_match(pattern, start as u64));
                }
                for (&index, f) in group.iter().zip(found) {
                    results[index] = Some(self.item_result(f, items[index], options)?);
                }
            }
            group.clear();
            packed.clear();
            table.clear();
            Ok(())
        };
        for (index, item) in items.iter().enumerate() {
            if item.len() > LARGE_ITEM_BYTES {
                let r = self.scan(
                    item,
                    &ScanOptions {
                        mode: SpeculationMode::Force,
                        ..*options
                    },
                    None,
                    None,
                )?;
                results[index] = Some(r.into());
                continue;
            }
            if packed.len() + item.len() + 4 > GROUP_BYTES {
                flush(&mut group, &mut packed, &mut table, &mut results)?;
            }
            table.push([packed.len() as u32, item.len() as u32]);
            packed.extend_from_slice(item);
            packed.resize(packed.len().next_multiple_of(4), 0);
            group.push(index);
        }
        flush(&mut group, &mut packed, &mut table, &mut results)?;
        Ok(results.into_iter().map(|r| r.unwrap_or_default()).collect())
    }
}
