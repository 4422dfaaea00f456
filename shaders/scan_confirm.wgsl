// Confirm of the serial scan's tiles that overflowed the candidate queue: one workgroup per tile
// (an indirect dispatch sized by the compaction), verifying every candidate of the tile. The
// serial path's tiles are large (64 positions per lane), so the bytes are read straight from
// `data` rather than staged; this pass runs only when the queue overflows.
@group(0) @binding(3) var<storage, read> work: array<u32>;
@group(0) @binding(4) var<storage, read_write> matches: array<atomic<u32>>;

fn emit(pattern: u32, start: u32) {
    let index = atomicAdd(&matches[0], 1u);
    if (index < params.max_matches) {
        atomicStore(&matches[2u + index * 2u], pattern);
        atomicStore(&matches[3u + index * 2u], start);
    }
}

@compute @workgroup_size(LANES)
fn scan_confirm(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    view_chunk();
    stage_filter(lane);
    workgroupBarrier();
    let tile = work[6u + group.x];
    for (var k = 0u; k < TILE / LANES; k++) {
        let p = tile * TILE + k * LANES + lane;
        if (p < view_len) {
            let folded = fold4(view_word(p));
            if (position_hit(p, folded)) {
                confirm_position(p, folded);
            }
        }
    }
}
