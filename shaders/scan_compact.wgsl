// Compaction of the serial scan: the indirect dispatch arguments of the two confirm passes and
// the tiles that overflowed the candidate queue, in
// `work` = [candidate groups, 1, 1, overflowed tiles, 1, 1, overflowed tile indices...].
@group(0) @binding(3) var<storage, read> tiles: array<u32>;
@group(0) @binding(4) var<storage, read> queue: array<u32>;
@group(0) @binding(5) var<storage, read_write> work: array<atomic<u32>>;

// Workgroups of the candidate pass at most (each invocation then takes several candidates).
const MAX_CANDIDATE_GROUPS: u32 = 65535u;

fn emit(pattern: u32, start: u32) {}

@compute @workgroup_size(256)
fn scan_compact(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x == 0u) {
        let candidates = min(queue[0], params.queue_capacity);
        atomicStore(&work[0], min((candidates + 255u) / 256u, MAX_CANDIDATE_GROUPS));
    }
    let tile = id.x;
    if (tile < params.tile_count && tiles[tile] != 0u) {
        let slot = atomicAdd(&work[3], 1u);
        atomicStore(&work[6u + slot], tile);
    }
}
