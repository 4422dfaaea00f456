// Confirm of the serial scan's candidates: one invocation per queued position (an indirect
// dispatch sized by the compaction; each invocation steps over the queue by the grid's size
// when the queue holds more than one candidate per invocation).
@group(0) @binding(3) var<storage, read> queue: array<u32>;
@group(0) @binding(4) var<storage, read_write> matches: array<atomic<u32>>;

fn emit(pattern: u32, start: u32) {
    let index = atomicAdd(&matches[0], 1u);
    if (index < params.max_matches) {
        atomicStore(&matches[2u + index * 2u], pattern);
        atomicStore(&matches[3u + index * 2u], start);
    }
}

@compute @workgroup_size(256)
fn scan_candidates(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    view_chunk();
    let count = min(queue[0], params.queue_capacity);
    let stride = groups.x * 256u;
    for (var i = id.x; i < count; i += stride) {
        let p = queue[1u + i];
        if (p != NO_CANDIDATE) {
            confirm_position(p, fold4(view_word(p)));
        }
    }
}
