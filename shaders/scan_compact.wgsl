// Compaction of the serial scan: the indices of the hit tiles, and the indirect dispatch
// arguments [count, 1, 1] of the confirm pass, in `work` = [x, y, z, tile indices...].
@group(0) @binding(3) var<storage, read> tiles: array<u32>;
@group(0) @binding(4) var<storage, read_write> work: array<atomic<u32>>;

fn emit(pattern: u32, start: u32) {}

@compute @workgroup_size(256)
fn scan_compact(@builtin(global_invocation_id) id: vec3<u32>) {
    let tile = id.x;
    if (tile < params.tile_count && tiles[tile] != 0u) {
        let slot = atomicAdd(&work[0], 1u);
        atomicStore(&work[3u + slot], tile);
    }
}
