// Persistent batch scan: a fixed grid of invocations pulls work units from a device-side queue
// (an atomic head) until it is empty; the host sizes the grid so that UNITS_PER_INVOCATION pulls
// each cover the queue (software rasterisers such as llvmpipe cap the loop iterations of one
// invocation, so no invocation runs unbounded). A unit is up to UNIT positions of one item; the invocation
// scans them with the item as its whole input (prefilter and confirm fused; no match crosses
// items) and tags matches with the item index. Short units keep every invocation's work small
// and the kernel free of barriers.
//
// table = [items: (byte offset, length) x item_count][units: (item, first position) x unit_count]
// queue = [head, units with a prefilter hit, units without]
// matches = [count, 0, (pattern, start, item) triples]
@group(0) @binding(3) var<storage, read> table: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> matches: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> queue: array<atomic<u32>>;

const UNIT: u32 = 256u;
const UNITS_PER_INVOCATION: u32 = 4u;

fn emit(pattern: u32, start: u32) {
    let index = atomicAdd(&matches[0], 1u);
    if (index < params.max_matches) {
        atomicStore(&matches[2u + index * 3u], pattern);
        atomicStore(&matches[3u + index * 3u], start);
        atomicStore(&matches[4u + index * 3u], view_item);
    }
}

@compute @workgroup_size(256)
fn scan_batch() {
    for (var round = 0u; round < UNITS_PER_INVOCATION; round++) {
        let unit = atomicAdd(&queue[0], 1u);
        if (unit >= params.tile_count) {
            break;
        }
        let work = table[params.item_count + unit];
        let item = table[work.x];
        view_base = item.x;
        view_len = item.y;
        view_owned_begin = 0u;
        view_owned_end = item.y;
        view_item = work.x;
        var hit = false;
        let end = min(work.y + UNIT, view_len);
        for (var p = work.y; p < end; p++) {
            let folded = fold4(view_word(p));
            if (position_hit(p, folded)) {
                hit = true;
                confirm_position(p, folded);
            }
        }
        atomicAdd(&queue[select(2u, 1u, hit)], 1u);
    }
}
