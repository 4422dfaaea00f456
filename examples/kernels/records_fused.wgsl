// Fused prefilter + confirm of the "records" example: every tile runs the expensive check
// speculatively and commits its results only when the tile passes the prefilter. Output: one u32
// per record (1 when confirmed), then the tail [committed tiles, rolled-back tiles].
@group(0) @binding(0) var<storage, read> records: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;

const TILE: u32 = 64u;
var<workgroup> tile_hit: atomic<u32>;

fn cheap_check(key: u32) -> bool {
    return (key & 0xffu) == 0x5au;
}

fn expensive_check(value: u32) -> bool {
    var h = value;
    for (var round = 0u; round < 64u; round++) {
        h = (h ^ (h >> 16u)) * 0x45d9f3bu;
    }
    return (h & 3u) == 0u;
}

@compute @workgroup_size(64)
fn fused(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let index = group.x * TILE + lane;
    let in_range = index < arrayLength(&records);
    var passes = false;
    var confirmed = false;
    if (in_range) {
        let record = records[index];
        passes = cheap_check(record.x);
        // Speculative: the expensive check runs before the tile's verdict is known.
        confirmed = expensive_check(record.y) && passes;
    }
    if (passes) {
        atomicOr(&tile_hit, 1u);
    }
    workgroupBarrier();
    let hit = atomicLoad(&tile_hit);
    if (hit == 1u && confirmed) {
        atomicStore(&out[index], 1u);
    }
    if (lane == 0u) {
        let tail = arrayLength(&out) - 2u;
        atomicAdd(&out[tail + 1u - hit], 1u);
    }
}
