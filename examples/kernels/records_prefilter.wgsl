// Prefilter of the "records" example: one workgroup per tile of 64 records; a tile is a hit when
// any record's key passes the cheap check (low byte 0x5a). Output: one u32 per tile (1 = hit),
// then the tail [hit tiles, other tiles].
@group(0) @binding(0) var<storage, read> records: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> tiles: array<atomic<u32>>;

const TILE: u32 = 64u;
var<workgroup> tile_hit: atomic<u32>;

fn cheap_check(key: u32) -> bool {
    return (key & 0xffu) == 0x5au;
}

@compute @workgroup_size(64)
fn prefilter(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let tile = group.x;
    let index = tile * TILE + lane;
    if (index < arrayLength(&records) && cheap_check(records[index].x)) {
        atomicOr(&tile_hit, 1u);
    }
    workgroupBarrier();
    if (lane == 0u) {
        let hit = atomicLoad(&tile_hit);
        atomicStore(&tiles[tile], hit);
        let tail = arrayLength(&tiles) - 2u;
        atomicAdd(&tiles[tail + 1u - hit], 1u);
    }
}
