// Fused scan: every tile runs prefilter and confirm in one dispatch; a tile's matches are
// committed only when its prefilter bit is set, and the tile is counted in the tail
// [committed tiles, rolled-back tiles].
@group(0) @binding(3) var<storage, read_write> matches: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> counters: array<atomic<u32>>;

var<workgroup> tile_hit: atomic<u32>;

fn emit(pattern: u32, start: u32) {
    let index = atomicAdd(&matches[0], 1u);
    if (index < params.max_matches) {
        atomicStore(&matches[2u + index * 2u], pattern);
        atomicStore(&matches[3u + index * 2u], start);
    }
}

@compute @workgroup_size(LANES)
fn scan_fused(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    view_chunk();
    // Workgroup memory starts undefined (no zeroing): the barrier in `scan_tile` orders this.
    if (lane == 0u) {
        atomicStore(&tile_hit, 0u);
    }
    if (scan_tile(group.x, lane, true)) {
        atomicOr(&tile_hit, 1u);
    }
    workgroupBarrier();
    if (lane == 0u) {
        atomicAdd(&counters[1u - atomicLoad(&tile_hit)], 1u);
    }
}
