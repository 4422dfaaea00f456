//! The GPU backend: the rule tables uploaded once, and per chunk either the fused kernel or the
//! serial prefilter -> compaction -> indirect confirm sequence, each recorded in one command
//! buffer and submitted once. Kernels are in `shaders/`.

use super::compile::CompiledRules;
use super::stream::Chunk;
use crate::gpu::capture::capture;
use crate::gpu::context::{Gpu, GpuContext};
use crate::gpu::gate::Gated;
use crate::gpu::run::map_read;
use crate::gpu::{DispatchPath, Program, ProgramDesc, SizeRule};
use crate::policy::SpeculationReport;
use crate::Result;
use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const COMMON: &str = include_str!("../../shaders/scan_common.wgsl");
const FUSED: &str = include_str!("../../shaders/scan_fused.wgsl");
const PREFILTER: &str = include_str!("../../shaders/scan_prefilter.wgsl");
const COMPACT: &str = include_str!("../../shaders/scan_compact.wgsl");
const CONFIRM: &str = include_str!("../../shaders/scan_confirm.wgsl");
const CANDIDATES: &str = include_str!("../../shaders/scan_candidates.wgsl");
const BATCH: &str = include_str!("../../shaders/scan_batch.wgsl");

/// Work units one invocation of the batch kernel pulls at most (`UNITS_PER_INVOCATION`).
pub const BATCH_UNITS_PER_INVOCATION: u32 = 4;
/// Positions of an item in one work unit of the batch kernel (`UNIT` in the shader).
pub const BATCH_UNIT: u32 = 256;

/// Anchor positions per tile (one workgroup) of the default kernels, as in the shaders.
pub const TILE: u64 = 4096;
/// The smallest tile of any variant (bounds the chunk size: one workgroup per tile).
pub const MIN_TILE: u64 = 2048;
const HASH_A: u32 = 0x9e37_79b1;
const HASH_B: u32 = 0x85eb_ca77;
const HASH_C: u32 = 0xc2b2_ae3d;
const HASH_D: u32 = 0x27d4_eb2f;
/// Words of the staged Bloom filter of the 3- and 4-byte anchors at least and at most; within these,
/// the largest power of two the device's workgroup memory holds beside a tile and the filter
/// of the shorter anchors. Larger filters than 8 KB cost more in occupancy (workgroups per
/// multiprocessor) than they save in false positives: on the H200 with the development rule
/// sets, the serial kernels ran at 53-54 GB/s with 16 KB, 63-68 GB/s with 8 KB and 60 GB/s with
/// 4 KB.
const SMALL_WORDS_MIN: u32 = 1024;
const SMALL_WORDS_MAX: u32 = 2048;
/// Words of the staged filter of the anchors of 1 and 2 bytes (`SHORT_WORDS` in the shaders).
const SHORT_WORDS: u32 = 512;
const SHORT_SHIFT: u32 = 32 - (SHORT_WORDS * 32).ilog2();
const BIG_BITMAP_WORDS: usize = (1 << 24) / 32;
/// Workgroup memory of the kernels besides the tile and the filters, bytes (counters).
const OTHER_WORKGROUP_BYTES: u32 = 64;
/// Candidate queue entries per byte of chunk data (one per 8 positions), besides a floor.
const QUEUE_POSITIONS_PER_ENTRY: u64 = 8;
const QUEUE_MIN_ENTRIES: u64 = 1 << 16;
/// Positions per lane of the serial path's kernels (the prefilter's 64-bit hit set). On the
/// H200 with the development rule sets the serial kernels ran at 82-85 GB/s with 16,384-position
/// tiles (256 lanes of 64) against 47-70 GB/s with 4,096 (the fused kernel's best), each
/// measured in one run: the prefilter's per-tile round of counting and queue reservation (two
/// barriers and a global atomic), which most tiles of real data need, then comes four times
/// less often.
const SERIAL_LANE_POSITIONS: u32 = 64;
/// Timestamp queries of a chunk scan: two per pass, at most two passes.
const STAMPS: u32 = 4;
/// Byte offset of the eagerly read matches in a chunk's head buffer (after the count, the tail
/// and the timestamps).
const HEAD_ENTRIES: u64 = 16 + STAMPS as u64 * 8;
/// Matches copied into the head buffer with the count, so that a chunk with at most this many
/// is read back in one round trip.
const EAGER_ENTRIES: u32 = 1 << 16;

/// Word offsets of the table sections in the rules buffer, as in `Params` in the shaders.
#[derive(Clone, Copy, Debug, Default)]
struct Layout {
    anchor_lengths: u32,
    table_mask: u32,
    unanchored_first: u32,
    unanchored_count: u32,
    bitmaps: [u32; 4],
    table: u32,
    items: u32,
    patterns: u32,
    values: u32,
    masks: u32,
    small_filter: u32,
    short_filter: u32,
}

/// The parameters of one scan dispatch: `Params` in `shaders/scan_common.wgsl`, field for field.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    data_len: u32,
    owned_begin: u32,
    owned_end: u32,
    max_matches: u32,
    tile_count: u32,
    table_mask: u32,
    unanchored_first: u32,
    unanchored_count: u32,
    bitmaps: [u32; 4],
    table: u32,
    items: u32,
    patterns: u32,
    values: u32,
    masks: u32,
    small_filter: u32,
    short_filter: u32,
    item_count: u32,
    queue_capacity: u32,
}

const PARAMS_SIZE: u64 = std::mem::size_of::<Params>() as u64;

/// The size of the staged Bloom filter of the 4-byte anchors, words (a power of two), and the
/// shift that maps a 32-bit hash to one of its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SmallFilter {
    words: u32,
    shift: u32,
}

impl SmallFilter {
    /// The largest filter that fits in `workgroup_bytes` beside a tile of the largest shape.
    fn for_device(workgroup_bytes: u32) -> Self {
        let tile_bytes = (TILE as u32 / 4 + 1) * 4;
        let room = workgroup_bytes
            .saturating_sub(tile_bytes + SHORT_WORDS * 4 + OTHER_WORKGROUP_BYTES)
            / 4;
        let words = if room >= SMALL_WORDS_MIN {
            (1 << room.ilog2()).min(SMALL_WORDS_MAX)
        } else {
            SMALL_WORDS_MIN
        };
        Self {
            words,
            shift: 32 - (words * 32).ilog2(),
        }
    }

    /// The two bits of a 3- or 4-byte anchor, keyed by its first three bytes (as
    /// `long_filter_hit` in the shaders tests them).
    fn bits(self, value: u32) -> [u32; 2] {
        let key = value & 0x00ff_ffff;
        [HASH_C, HASH_D].map(|h| key.wrapping_mul(h) >> self.shift)
    }
}

/// What the scan kernels are compiled for besides their shape: the device's staged filter and
/// the rule set's anchor lengths, rendered into the common source as constants, so that the
/// driver drops the tests of the lengths the rules do not use. On the H200 with the
/// development rule sets (GPU kept busy), the serial path's prefilter and confirm took 6.1 and
/// 2.8 ms per GiB with the lengths read from `Params` at each position, 5.0 and 2.4 ms with
/// them rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Specialization {
    small: SmallFilter,
    /// Bit n: the rules have anchors of n bytes.
    anchor_lengths: u32,
    /// Some patterns have no anchor (every position is a candidate).
    unanchored: bool,
}

/// The bit of an anchor of 1 or 2 bytes in the staged filter of short anchors.
fn short_filter_bit(value: u32, len: u32) -> u32 {
    (value.wrapping_mul(HASH_C) ^ len.wrapping_mul(HASH_A)) >> SHORT_SHIFT
}

fn table_slot(value: u32, len: u32) -> u32 {
    (value.wrapping_mul(HASH_A) ^ len.wrapping_mul(HASH_B)) >> 7
}

fn set_bit(words: &mut [u32], base: usize, index: u32) {
    words[base + (index >> 5) as usize] |= 1 << (index & 31);
}

/// Lays out bitmaps, anchor table, pattern list and pattern bytes in one u32 buffer.
fn build_tables(rules: &CompiledRules, small: SmallFilter) -> (Vec<u32>, Layout) {
    let groups = rules.anchor_groups();
    let mut words: Vec<u32> = Vec::new();
    let mut layout = Layout::default();
    // Bitmaps of the anchor lengths in use.
    for len in 1..=4u32 {
        if !groups.keys().any(|&(l, _)| l == len) {
            continue;
        }
        layout.anchor_lengths |= 1 << len;
        let size = match len {
            1 => 8,
            2 => 2048,
            _ => BIG_BITMAP_WORDS,
        };
        let base = words.len();
        layout.bitmaps[len as usize - 1] = base as u32;
        words.resize(base + size, 0);
        for &(l, value) in groups.keys().filter(|(l, _)| *l == len) {
            match l {
                1..=3 => set_bit(&mut words, base, value),
                _ => {
                    set_bit(&mut words, base, value.wrapping_mul(HASH_A) >> 8);
                    set_bit(&mut words, base, value.wrapping_mul(HASH_B) >> 8);
                }
            }
        }
    }
    // The filters staged in workgroup memory: the 4-byte anchors, the shorter ones.
    layout.small_filter = words.len() as u32;
    let base = words.len();
    words.resize(base + small.words as usize, 0);
    for &(_, value) in groups.keys().filter(|(l, _)| *l >= 3) {
        for bit in small.bits(value) {
            set_bit(&mut words, base, bit);
        }
    }
    layout.short_filter = words.len() as u32;
    let base = words.len();
    words.resize(base + SHORT_WORDS as usize, 0);
    for &(len, value) in groups.keys().filter(|(l, _)| (1..3).contains(l)) {
        set_bit(&mut words, base, short_filter_bit(value, len));
    }
    // Items: pattern indices grouped by anchor; the table points into them.
    let mut items: Vec<u32> = Vec::new();
    let anchored = groups.iter().filter(|((l, _), _)| *l > 0).count();
    let table_size = (anchored * 2).max(16).next_power_of_two();
    layout.table_mask = table_size as u32 - 1;
    let mut table = vec![[0u32; 4]; table_size];
    for (&(len, value), members) in &groups {
        let first = items.len() as u32;
        items.extend(members);
        if len == 0 {
            layout.unanchored_first = first;
            layout.unanchored_count = members.len() as u32;
            continue;
        }
        let mut slot = table_slot(value, len) & layout.table_mask;
        while table[slot as usize][3] != 0 {
            slot = (slot + 1) & layout.table_mask;
        }
        table[slot as usize] = [value, len, first, members.len() as u32];
    }
    layout.table = words.len() as u32;
    words.extend(table.iter().flatten());
    layout.items = words.len() as u32;
    words.extend(&items);
    // Patterns: [word offset, length, anchor offset, flags], then values and masks, each
    // pattern's padded to whole words with zero masks (so verification compares words).
    let mut values: Vec<u8> = Vec::new();
    let mut masks: Vec<u8> = Vec::new();
    layout.patterns = words.len() as u32;
    for p in &rules.patterns {
        words.extend([
            values.len() as u32 / 4,
            p.bytes.len() as u32,
            p.anchor_offset,
            p.flags,
        ]);
        values.extend(&p.bytes);
        masks.extend(&p.mask);
        let padded = values.len().next_multiple_of(4);
        values.resize(padded, 0);
        masks.resize(padded, 0);
    }
    let pack = |bytes: &[u8]| -> Vec<u32> {
        bytes
            .chunks(4)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (8 * i))
            })
            .collect()
    };
    layout.values = words.len() as u32;
    words.extend(pack(&values));
    layout.masks = words.len() as u32;
    words.extend(pack(&masks));
    (words, layout)
}

/// The GPU side of a scanner: pipelines and the resident rule tables.
pub struct GpuScanner {
    /// Pipelines per kernel shape (the tuning knobs), built on first use.
    variants: Mutex<HashMap<KernelShape, Arc<Variant>>>,
    compact: Program,
    candidates: Program,
    batch: Program,
    rules: Gated<wgpu::Buffer>,
    layout: Layout,
    special: Specialization,
}

/// What one chunk's GPU pass produced.
pub struct ChunkOutput {
    /// (pattern index, start within the chunk data or the item, item index) of the captured
    /// matches.
    pub matches: Vec<(u32, u32, u32)>,
    /// Matches found, captured or not.
    pub total: u64,
    /// The tile report.
    pub report: SpeculationReport,
    /// Kernel and readback time, ns.
    pub kernel_ns: u64,
    /// Kernel time from GPU timestamps, ns, where the adapter has them.
    pub gpu_ns: Option<u64>,
    /// GPU time per pass from timestamps (fused: one; serial: prefilter, then compaction and
    /// confirm), ns; empty without timestamps.
    pub pass_ns: Vec<u64>,
    /// Readback time, ns.
    pub readback_ns: u64,
}

/// Where a chunk's bytes are on the GPU.
#[derive(Clone, Copy)]
pub enum ChunkData<'a> {
    /// A buffer and the byte offset of the chunk's data in it (a multiple of 256).
    Buffer(&'a wgpu::Buffer, u64),
}

/// The tunable shape of the scan kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelShape {
    /// Invocations per workgroup.
    pub lanes: u32,
    /// Anchor positions per tile (per workgroup); each lane covers `tile / lanes` of them.
    pub tile: u32,
}

/// The shape of the kernels before any tuning.
pub const DEFAULT_SHAPE: KernelShape = KernelShape {
    lanes: 256,
    tile: TILE as u32,
};
/// Shapes the tuner races against the current choice, in order: workgroup size, then tile size.
pub const CANDIDATE_SHAPES: [KernelShape; 3] = [
    KernelShape {
        lanes: 128,
        tile: 4096,
    },
    KernelShape {
        lanes: 64,
        tile: 4096,
    },
    KernelShape {
        lanes: 256,
        tile: MIN_TILE as u32,
    },
];

/// The scan pipelines of one kernel shape.
pub struct Variant {
    shape: KernelShape,
    fused: Program,
    prefilter: Program,
    confirm: Program,
}

/// One scan kernel to compile: its source after the common part, entry point, read-only
/// bindings (after data, params and rules) and read-write bindings.
struct KernelSource {
    source: &'static str,
    entry: &'static str,
    inputs: u32,
    outputs: usize,
}

const FUSED_KERNEL: KernelSource = KernelSource {
    source: FUSED,
    entry: "scan_fused",
    inputs: 3,
    outputs: 2,
};
const PREFILTER_KERNEL: KernelSource = KernelSource {
    source: PREFILTER,
    entry: "scan_prefilter",
    inputs: 3,
    outputs: 2,
};
const CONFIRM_KERNEL: KernelSource = KernelSource {
    source: CONFIRM,
    entry: "scan_confirm",
    inputs: 4,
    outputs: 1,
};
const COMPACT_KERNEL: KernelSource = KernelSource {
    source: COMPACT,
    entry: "scan_compact",
    inputs: 5,
    outputs: 1,
};
const CANDIDATES_KERNEL: KernelSource = KernelSource {
    source: CANDIDATES,
    entry: "scan_candidates",
    inputs: 4,
    outputs: 1,
};
const BATCH_KERNEL: KernelSource = KernelSource {
    source: BATCH,
    entry: "scan_batch",
    inputs: 4,
    outputs: 2,
};

/// The common source rendered for `shape` and `special`.
fn common_source(shape: KernelShape, special: Specialization) -> String {
    let small = special.small;
    COMMON
        .replace(
            "const LANES: u32 = 256u;",
            &format!("const LANES: u32 = {}u;", shape.lanes),
        )
        .replace(
            "const TILE: u32 = 4096u;",
            &format!("const TILE: u32 = {}u;", shape.tile),
        )
        .replace(
            "const SMALL_WORDS: u32 = 1024u;",
            &format!("const SMALL_WORDS: u32 = {}u;", small.words),
        )
        .replace(
            "const SMALL_SHIFT: u32 = 17u;",
            &format!("const SMALL_SHIFT: u32 = {}u;", small.shift),
        )
        .replace(
            "const ANCHOR_LENGTHS: u32 = 0x1eu;",
            &format!(
                "const ANCHOR_LENGTHS: u32 = {:#x}u;",
                special.anchor_lengths
            ),
        )
        .replace(
            "const HAS_UNANCHORED: bool = true;",
            &format!("const HAS_UNANCHORED: bool = {};", special.unanchored),
        )
}

/// Compiles scan kernels, each with its shape (constants in the source, so the driver can
/// unroll the per-lane loops), on one thread each: pipeline creation is most of a scanner's
/// set-up time.
fn scan_programs<const N: usize>(
    ctx: &GpuContext,
    kernels: [(&KernelSource, KernelShape); N],
    special: Specialization,
) -> Result<[Program; N]> {
    let built: Vec<Result<Program>> = std::thread::scope(|scope| {
        let workers: Vec<_> = kernels
            .iter()
            .map(|&(k, shape)| {
                scope.spawn(move || {
                    Program::new_engine(
                        ctx,
                        ProgramDesc {
                            wgsl: format!("{}\n{}", common_source(shape, special), k.source),
                            entry_point: k.entry.into(),
                            inputs: k.inputs,
                            outputs: vec![SizeRule::fixed(4); k.outputs],
                            workgroups_x: SizeRule::fixed(1),
                            ..Default::default()
                        },
                    )
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("pipeline compiler"))
            .collect()
    });
    let built = built.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(built
        .try_into()
        .unwrap_or_else(|_| unreachable!("one program per kernel")))
}

impl KernelShape {
    /// The shape of the serial path's kernels (prefilter, and confirm of overflowed tiles):
    /// the same lanes, each covering 64 positions of a tile.
    pub fn serial(self) -> KernelShape {
        KernelShape {
            lanes: self.lanes,
            tile: self.lanes * SERIAL_LANE_POSITIONS,
        }
    }

    /// Whether the kernels can take this shape: each lane covers whole words of a tile and at
    /// most 64 positions (the prefilter's hit set), and the tile is a whole number of words.
    pub fn check(self) -> Result<()> {
        let per_lane = self.tile / self.lanes.max(1);
        let fits = self.lanes > 0
            && self.lanes <= 1024
            && self.tile.is_multiple_of(self.lanes)
            && per_lane.is_multiple_of(4)
            && (4..=64).contains(&per_lane)
            && self.tile as u64 >= MIN_TILE;
        if fits {
            Ok(())
        } else {
            Err(crate::Error::invalid(format!(
                "kernel shape of {} lanes and {}-position tiles: each lane must cover 4 to 64 \
                 positions, a multiple of 4, and tiles at least {MIN_TILE}",
                self.lanes, self.tile
            )))
        }
    }
}

impl Variant {
    fn new(ctx: &GpuContext, shape: KernelShape, special: Specialization) -> Result<Self> {
        shape.check()?;
        let serial = shape.serial();
        let [fused, prefilter, confirm] = scan_programs(
            ctx,
            [
                (&FUSED_KERNEL, shape),
                (&PREFILTER_KERNEL, serial),
                (&CONFIRM_KERNEL, serial),
            ],
            special,
        )?;
        Ok(Self {
            shape,
            fused,
            prefilter,
            confirm,
        })
    }
}

/// A stable 64-bit FNV-1a hash (the autotune store's keys must not change between builds).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Hash of the scan kernels' source, part of every tuning key.
pub fn kernels_hash() -> u64 {
    stable_hash(format!("{COMMON}{FUSED}{PREFILTER}{COMPACT}{CONFIRM}{CANDIDATES}").as_bytes())
}

impl GpuScanner {
    /// Compiles the kernels on `ctx` and uploads the tables of `rules`.
    pub fn new(ctx: &GpuContext, rules: &CompiledRules) -> Result<Self> {
        let gpu = ctx.gpu()?;
        let small = SmallFilter::for_device(gpu.summary.limits.max_compute_workgroup_storage_size);
        let (words, layout) = build_tables(rules, small);
        let special = Specialization {
            small,
            anchor_lengths: layout.anchor_lengths,
            unanchored: layout.unanchored_count > 0,
        };
        let rules_buffer = capture(&gpu.device, "uploading the rule tables", || {
            let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("specrt rule tables"),
                size: (words.len() * 4) as u64,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            gpu.queue
                .write_buffer(&buffer, 0, bytemuck::cast_slice(&words));
            Ok(buffer)
        })?;
        let serial = DEFAULT_SHAPE.serial();
        let [fused, prefilter, confirm, compact, candidates, batch] = scan_programs(
            ctx,
            [
                (&FUSED_KERNEL, DEFAULT_SHAPE),
                (&PREFILTER_KERNEL, serial),
                (&CONFIRM_KERNEL, serial),
                (&COMPACT_KERNEL, DEFAULT_SHAPE),
                (&CANDIDATES_KERNEL, DEFAULT_SHAPE),
                (&BATCH_KERNEL, DEFAULT_SHAPE),
            ],
            special,
        )?;
        let default = Arc::new(Variant {
            shape: DEFAULT_SHAPE,
            fused,
            prefilter,
            confirm,
        });
        Ok(Self {
            variants: Mutex::new(HashMap::from([(DEFAULT_SHAPE, default)])),
            compact,
            candidates,
            batch,
            rules: Gated::new(rules_buffer),
            layout,
            special,
        })
    }

    /// The pipelines of `shape`, compiled on first use.
    pub fn variant(&self, ctx: &GpuContext, shape: KernelShape) -> Result<Arc<Variant>> {
        let mut variants = self.variants.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = variants.get(&shape) {
            return Ok(v.clone());
        }
        let v = Arc::new(Variant::new(ctx, shape, self.special)?);
        variants.insert(shape, v.clone());
        Ok(v)
    }

    /// The largest chunk data this device can bind (and dispatch in one grid).
    pub fn max_chunk_data(ctx: &GpuContext) -> Result<u64> {
        let summary = &ctx.gpu()?.summary;
        let binding = summary.max_binding();
        let grid = summary.limits.max_compute_workgroups_per_dimension as u64 * MIN_TILE;
        Ok(binding.min(grid) / 256 * 256)
    }

    /// Records and submits the scan of one chunk whose bytes are already on the GPU; the caller
    /// may prepare the next chunk before calling [`GpuScanner::finish`].
    pub fn submit(
        &self,
        ctx: &GpuContext,
        data: ChunkData,
        chunk: &Chunk,
        path: DispatchPath,
        capacity: u32,
        shape: KernelShape,
    ) -> Result<PendingChunk> {
        let gpu = ctx.gpu()?;
        let variant = self.variant(ctx, shape)?;
        capture(&gpu.device, "submitting a chunk scan", || {
            Ok(self.record(gpu, &variant, data, chunk, path, capacity))
        })
    }

    /// Waits for a submitted chunk and reads its matches back.
    pub fn finish(&self, ctx: &GpuContext, pending: PendingChunk) -> Result<ChunkOutput> {
        let gpu = ctx.gpu()?;
        capture(&gpu.device, "reading a chunk scan back", || {
            read_results(ctx, gpu, pending)
        })
    }

    /// The dispatch's `Params`: its own fields from `dispatch`, the table layout's from here.
    fn params(&self, dispatch: Params) -> Params {
        let l = &self.layout;
        Params {
            table_mask: l.table_mask,
            unanchored_first: l.unanchored_first,
            unanchored_count: l.unanchored_count,
            bitmaps: l.bitmaps,
            table: l.table,
            items: l.items,
            patterns: l.patterns,
            values: l.values,
            masks: l.masks,
            small_filter: l.small_filter,
            short_filter: l.short_filter,
            ..dispatch
        }
    }

    /// Submits one persistent dispatch over `data`, which holds the items at the (4-aligned)
    /// offsets and lengths of `items`; the device-side queue holds one unit per `BATCH_UNIT`
    /// positions of each item.
    pub fn submit_batch(
        &self,
        ctx: &GpuContext,
        data: &[u8],
        items: &[[u32; 2]],
        capacity: u32,
    ) -> Result<PendingChunk> {
        use wgpu::BufferUsages as U;
        let units: Vec<[u32; 2]> = items
            .iter()
            .enumerate()
            .flat_map(|(i, &[_, len])| {
                (0..len.div_ceil(BATCH_UNIT)).map(move |u| [i as u32, u * BATCH_UNIT])
            })
            .collect();
        let (item_count, unit_count) = (items.len() as u32, units.len() as u32);
        let items: Vec<[u32; 2]> = items.iter().chain(&units).copied().collect();
        let items = items.as_slice();
        let gpu = ctx.gpu()?;
        capture(&gpu.device, "submitting a batch scan", || {
            let (device, queue, pool) = (&gpu.device, &gpu.queue, &gpu.pool);
            let started = Instant::now();
            let data_size = (data.len() as u64).max(4).next_multiple_of(4);
            let data_buffer = pool.acquire(device, U::STORAGE | U::COPY_DST, data_size);
            crate::gpu::run::upload(queue, &data_buffer, data);
            let table_bytes: &[u8] = bytemuck::cast_slice(items);
            let table_size = (table_bytes.len() as u64).max(8);
            let table = pool.acquire(device, U::STORAGE | U::COPY_DST, table_size);
            crate::gpu::run::upload(queue, &table, table_bytes);
            let params = self.params(Params {
                data_len: data.len() as u32,
                max_matches: capacity,
                tile_count: unit_count,
                item_count,
                ..Default::default()
            });
            let params_buffer = pool.acquire(device, U::STORAGE | U::COPY_DST, PARAMS_SIZE);
            queue.write_buffer(&params_buffer, 0, bytemuck::bytes_of(&params));
            let matches_size = 8 + capacity as u64 * 12;
            let matches =
                pool.acquire(device, U::STORAGE | U::COPY_SRC | U::COPY_DST, matches_size);
            let counters = pool.acquire(device, U::STORAGE | U::COPY_SRC | U::COPY_DST, 12);
            let head = pool.acquire(device, U::MAP_READ | U::COPY_DST, 16);
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("specrt batch scan"),
                layout: &self.batch.bind_group_layout,
                entries: &[
                    entry(0, &data_buffer, data_size),
                    entry(1, &params_buffer, PARAMS_SIZE),
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: self.rules.as_entire_binding(),
                    },
                    entry(3, &table, table_size),
                    entry(4, &matches, matches_size),
                    entry(5, &counters, 12),
                ],
            });
            let mut encoder = device.create_command_encoder(&Default::default());
            encoder.clear_buffer(&matches, 0, Some(8));
            encoder.clear_buffer(&counters, 0, Some(12));
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&self.batch.pipeline);
                pass.set_bind_group(0, &group, &[]);
                // A grid whose invocations, pulling up to their share each, cover the queue.
                let grid = unit_count.div_ceil(256 * BATCH_UNITS_PER_INVOCATION).max(1);
                pass.dispatch_workgroups(grid, 1, 1);
            }
            encoder.copy_buffer_to_buffer(&matches, 0, &head, 0, 8);
            encoder.copy_buffer_to_buffer(&counters, 4, &head, 8, 8);
            let submission = queue.submit([encoder.finish()]);
            Ok(PendingChunk {
                submission,
                started,
                capacity,
                entry_words: 3,
                head_size: 16,
                stamped_passes: 0,
                eager: 0,
                query_set: None,
                matches,
                head,
                spare: vec![data_buffer, table, params_buffer, counters],
            })
        })
    }

    fn record(
        &self,
        gpu: &Gpu,
        variant: &Variant,
        data: ChunkData,
        chunk: &Chunk,
        path: DispatchPath,
        capacity: u32,
    ) -> PendingChunk {
        use wgpu::BufferUsages as U;
        let (device, queue, pool) = (&gpu.device, &gpu.queue, &gpu.pool);
        let data_len = chunk.data_end - chunk.data_start;
        // Tiles of the path's kernels: the serial path's are larger (see `KernelShape::serial`).
        let tile = match path {
            DispatchPath::Fused => variant.shape.tile,
            DispatchPath::Serial => variant.shape.serial().tile,
        };
        let tiles = data_len.div_ceil(tile as u64) as u32;
        // The candidate queue of the serial path: [reserved, positions...].
        let queue_capacity = match path {
            DispatchPath::Fused => 0,
            DispatchPath::Serial => queue_capacity(gpu, data_len),
        };
        let params = self.params(Params {
            data_len: data_len as u32,
            owned_begin: (chunk.owned_start - chunk.data_start) as u32,
            owned_end: (chunk.owned_end - chunk.data_start) as u32,
            max_matches: capacity,
            tile_count: tiles,
            queue_capacity,
            ..Default::default()
        });
        let params_buffer = pool.acquire(device, U::STORAGE | U::COPY_DST, PARAMS_SIZE);
        queue.write_buffer(&params_buffer, 0, bytemuck::bytes_of(&params));
        let matches_size = 8 + capacity as u64 * 8;
        let matches = pool.acquire(device, U::STORAGE | U::COPY_SRC | U::COPY_DST, matches_size);
        let tail_size = (tiles as u64 + 2) * 4;
        let tail = pool.acquire(device, U::STORAGE | U::COPY_SRC | U::COPY_DST, tail_size);
        let work_size = (tiles as u64 + WORK_HEADER_WORDS) * 4;
        let work = pool.acquire(device, U::STORAGE | U::INDIRECT | U::COPY_DST, work_size);
        let candidates_size = (queue_capacity as u64 + 1) * 4;
        let candidates = pool.acquire(device, U::STORAGE | U::COPY_DST, candidates_size);
        let eager = capacity.min(EAGER_ENTRIES);
        let head_size = HEAD_ENTRIES + eager as u64 * 8;
        let head = pool.acquire(device, U::MAP_READ | U::COPY_DST, head_size);
        // GPU timestamps around each pass (the fused pass; or the prefilter pass, then the
        // compaction and confirm pass), where the adapter has them.
        let stamps = gpu.summary.timestamp_queries.then(|| {
            let set = device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("specrt scan timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: STAMPS,
            });
            (
                set,
                pool.acquire(device, U::QUERY_RESOLVE | U::COPY_SRC, STAMPS as u64 * 8),
            )
        });
        let pass_descriptor = |first: u32| wgpu::ComputePassDescriptor {
            label: Some("specrt scan"),
            timestamp_writes: stamps
                .as_ref()
                .map(|(set, _)| wgpu::ComputePassTimestampWrites {
                    query_set: set,
                    beginning_of_pass_write_index: Some(first),
                    end_of_pass_write_index: Some(first + 1),
                }),
        };

        let ChunkData::Buffer(data_buffer, data_offset) = data;
        fn whole(b: &wgpu::Buffer, size: u64) -> wgpu::BindingResource<'_> {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: b,
                offset: 0,
                size: NonZeroU64::new(size.max(4).next_multiple_of(4)),
            })
        }
        let data_binding = wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: data_buffer,
            offset: data_offset,
            size: NonZeroU64::new(data_len.max(4).next_multiple_of(4)),
        });
        let bind = |program: &Program, outputs: Vec<wgpu::BindingResource>| {
            let mut entries = vec![
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: data_binding.clone(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: whole(&params_buffer, PARAMS_SIZE),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: self.rules.as_entire_binding(),
                },
            ];
            for (i, resource) in outputs.into_iter().enumerate() {
                entries.push(wgpu::BindGroupEntry {
                    binding: 3 + i as u32,
                    resource,
                });
            }
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("specrt scan"),
                layout: &program.bind_group_layout,
                entries: &entries,
            })
        };

        let started = Instant::now();
        let mut encoder = device.create_command_encoder(&Default::default());
        encoder.clear_buffer(&matches, 0, Some(8));
        encoder.clear_buffer(&tail, 0, Some(tail_size));
        match path {
            DispatchPath::Fused => {
                let group = bind(
                    &variant.fused,
                    vec![whole(&matches, matches_size), whole(&tail, 8)],
                );
                let mut pass = encoder.begin_compute_pass(&pass_descriptor(0));
                pass.set_pipeline(&variant.fused.pipeline);
                pass.set_bind_group(0, &group, &[]);
                pass.dispatch_workgroups(tiles, 1, 1);
                drop(pass);
                encoder.copy_buffer_to_buffer(&tail, 0, &head, 8, 8);
            }
            DispatchPath::Serial => {
                queue.write_buffer(&work, 0, bytemuck::cast_slice(&[0u32, 1, 1, 0, 1, 1]));
                encoder.clear_buffer(&candidates, 0, Some(4));
                let pre = bind(
                    &variant.prefilter,
                    vec![whole(&tail, tail_size), whole(&candidates, candidates_size)],
                );
                let compact = bind(
                    &self.compact,
                    vec![
                        whole(&tail, tail_size),
                        whole(&candidates, candidates_size),
                        whole(&work, work_size),
                    ],
                );
                let confirm_candidates = bind(
                    &self.candidates,
                    vec![
                        whole(&candidates, candidates_size),
                        whole(&matches, matches_size),
                    ],
                );
                let confirm_tiles = bind(
                    &variant.confirm,
                    vec![whole(&work, work_size), whole(&matches, matches_size)],
                );
                let mut pass = encoder.begin_compute_pass(&pass_descriptor(0));
                pass.set_pipeline(&variant.prefilter.pipeline);
                pass.set_bind_group(0, &pre, &[]);
                pass.dispatch_workgroups(tiles, 1, 1);
                drop(pass);
                let mut pass = encoder.begin_compute_pass(&pass_descriptor(2));
                pass.set_pipeline(&self.compact.pipeline);
                pass.set_bind_group(0, &compact, &[]);
                pass.dispatch_workgroups(tiles.div_ceil(256), 1, 1);
                pass.set_pipeline(&self.candidates.pipeline);
                pass.set_bind_group(0, &confirm_candidates, &[]);
                pass.dispatch_workgroups_indirect(&work, 0);
                pass.set_pipeline(&variant.confirm.pipeline);
                pass.set_bind_group(0, &confirm_tiles, &[]);
                pass.dispatch_workgroups_indirect(&work, WORK_TILE_ARGS);
                drop(pass);
                encoder.copy_buffer_to_buffer(&tail, tiles as u64 * 4, &head, 8, 8);
            }
        }
        encoder.copy_buffer_to_buffer(&matches, 0, &head, 0, 8);
        if eager > 0 {
            encoder.copy_buffer_to_buffer(&matches, 8, &head, HEAD_ENTRIES, eager as u64 * 8);
        }
        let mut spare = vec![params_buffer, tail, work, candidates];
        let passes = match path {
            DispatchPath::Fused => 1,
            DispatchPath::Serial => 2,
        };
        let query_set = stamps.map(|(set, resolve)| {
            encoder.resolve_query_set(&set, 0..passes * 2, &resolve, 0);
            encoder.copy_buffer_to_buffer(&resolve, 0, &head, 16, passes as u64 * 16);
            spare.push(resolve);
            set
        });
        let submission = queue.submit([encoder.finish()]);
        PendingChunk {
            submission,
            started,
            capacity,
            entry_words: 2,
            head_size,
            stamped_passes: if query_set.is_some() {
                passes as usize
            } else {
                0
            },
            eager,
            query_set,
            matches,
            head,
            spare,
        }
    }
}

/// Words before the overflowed tiles' indices in the serial path's `work` buffer: the indirect
/// arguments of the candidate pass, then those of the tile pass (see `scan_compact.wgsl`).
const WORK_HEADER_WORDS: u64 = 6;
/// Byte offset of the tile pass's indirect arguments in `work`.
const WORK_TILE_ARGS: u64 = 12;

/// Entries of the candidate queue for `data_len` bytes: one per `QUEUE_POSITIONS_PER_ENTRY`
/// positions (real rule sets pass about one position in a hundred), within what the device
/// binds. Tiles past it are confirmed whole, so a small queue costs time, never matches.
fn queue_capacity(gpu: &Gpu, data_len: u64) -> u32 {
    let bindable = gpu.summary.max_binding() / 4 - 1;
    (data_len / QUEUE_POSITIONS_PER_ENTRY + QUEUE_MIN_ENTRIES)
        .min(bindable)
        .min(u32::MAX as u64 - 1) as u32
}

/// A submitted chunk scan and the buffers it holds.
pub struct PendingChunk {
    submission: wgpu::SubmissionIndex,
    started: Instant,
    capacity: u32,
    entry_words: usize,
    /// 16 bytes (count, tail), then two GPU timestamps per pass where the adapter has them,
    /// then, from `HEAD_ENTRIES`, the first `eager` matches.
    head_size: u64,
    /// Passes with timestamps in the head.
    stamped_passes: usize,
    /// Matches copied into the head.
    eager: u32,
    /// Kept alive until the submission completes.
    query_set: Option<wgpu::QuerySet>,
    matches: wgpu::Buffer,
    head: wgpu::Buffer,
    spare: Vec<wgpu::Buffer>,
}

/// A bind group entry for the first `size` bytes of `buffer` (rounded up to a multiple of 4).
pub(crate) fn entry(binding: u32, buffer: &wgpu::Buffer, size: u64) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer,
            offset: 0,
            size: NonZeroU64::new(size.max(4).next_multiple_of(4)),
        }),
    }
}

fn read_results(ctx: &GpuContext, gpu: &Gpu, pending: PendingChunk) -> Result<ChunkOutput> {
    use wgpu::BufferUsages as U;
    let (device, queue, pool) = (&gpu.device, &gpu.queue, &gpu.pool);
    let PendingChunk {
        submission,
        started,
        capacity,
        entry_words,
        head_size,
        stamped_passes,
        eager,
        query_set,
        matches,
        head,
        spare,
    } = pending;
    let head_words: Vec<u32> =
        bytemuck::pod_collect_to_vec(&map_read(ctx, device, &head, head_size, submission)?);
    drop(query_set);
    // Per pass: (end - begin) timestamps, in nanoseconds.
    let period = queue.get_timestamp_period() as f64;
    let stamp = |i: usize| head_words[i] as u64 | (head_words[i + 1] as u64) << 32;
    let pass_ns: Vec<u64> = (0..stamped_passes)
        .map(|k| 4 + 4 * k)
        .map(|i| (stamp(i + 2).saturating_sub(stamp(i)) as f64 * period) as u64)
        .collect();
    let gpu_ns = (!pass_ns.is_empty()).then(|| pass_ns.iter().sum());
    let kernel_ns = started.elapsed().as_nanos() as u64;

    let started = Instant::now();
    let total = head_words[0] as u64;
    let report = SpeculationReport::new(head_words[2], head_words[3]);
    let captured = total.min(capacity as u64) as usize;
    let mut found = Vec::with_capacity(captured);
    let entry = |w: &[u32]| (w[0], w[1], w.get(2).copied().unwrap_or(0));
    if captured > 0 && captured <= eager as usize {
        let first = HEAD_ENTRIES as usize / 4;
        let words = &head_words[first..first + captured * entry_words];
        found.extend(words.chunks_exact(entry_words).map(entry));
    } else if captured > 0 {
        let bytes = (captured * entry_words * 4) as u64;
        let entries = pool.acquire(device, U::MAP_READ | U::COPY_DST, bytes);
        let mut encoder = device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&matches, 8, &entries, 0, bytes);
        let submission = queue.submit([encoder.finish()]);
        let words: Vec<u32> =
            bytemuck::pod_collect_to_vec(&map_read(ctx, device, &entries, bytes, submission)?);
        found.extend(words.chunks_exact(entry_words).map(entry));
        pool.release([entries]);
    }
    let readback_ns = started.elapsed().as_nanos() as u64;
    pool.release(spare.into_iter().chain([matches, head]));
    Ok(ChunkOutput {
        matches: found,
        total,
        report,
        kernel_ns,
        gpu_ns,
        pass_ns,
        readback_ns,
    })
}
