// Confirm of the "records" example: for each record of a hit tile, the expensive check (64 rounds
// of an integer hash of the value). Output: one u32 per record, 1 when confirmed.
@group(0) @binding(0) var<storage, read> records: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> tiles: array<u32>;
@group(0) @binding(2) var<storage, read_write> confirmed: array<u32>;

const TILE: u32 = 64u;

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
fn confirm(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let index = group.x * TILE + lane;
    if (index >= arrayLength(&records) || tiles[group.x] == 0u) {
        return;
    }
    let record = records[index];
    if (cheap_check(record.x) && expensive_check(record.y)) {
        confirmed[index] = 1u;
    }
}
