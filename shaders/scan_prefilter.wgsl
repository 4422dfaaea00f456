// Prefilter of the serial scan: one flag per tile (1 when any position passes the anchor
// bitmaps), then the tail [hit tiles, other tiles].
@group(0) @binding(3) var<storage, read_write> tiles: array<atomic<u32>>;

var<workgroup> tile_hit: atomic<u32>;

fn emit(pattern: u32, start: u32) {}

@compute @workgroup_size(LANES)
fn scan_prefilter(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    view_chunk();
    if (scan_tile(group.x, lane, false)) {
        atomicOr(&tile_hit, 1u);
    }
    workgroupBarrier();
    if (lane == 0u) {
        let hit = atomicLoad(&tile_hit);
        atomicStore(&tiles[group.x], hit);
        atomicAdd(&tiles[params.tile_count + 1u - hit], 1u);
    }
}
