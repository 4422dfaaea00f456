// Shared part of the scanner kernels (prepended to each kernel's source by specrt).
//
// A chunk of input is scanned in tiles of TILE anchor positions. At each position the
// case-folded bytes are tested against the anchor filters (the prefilter). Kernels that stage
// tiles test two Bloom filters in workgroup memory: one of the first three bytes of the 3- and
// 4-byte anchors (two bits each), one of the shorter anchors (one bit each, keyed by length). They cost no global memory
// access, and every lane does the same work; only the positions that pass them (on real rule
// sets about 2 %, most of them true candidates) go on to the exact bitmaps of the rule tables,
// in global memory, which keep random data free of false candidates. On a hit the anchor table gives the patterns with that
// anchor, and each is verified in full, a word at a time, at the position minus its anchor
// offset (the confirm). A match is reported when its start lies in the chunk's owned range.

struct Params {
    data_len: u32,
    owned_begin: u32,
    owned_end: u32,
    max_matches: u32,
    tile_count: u32,
    table_mask: u32,
    unanchored_first: u32,
    unanchored_count: u32,
    bitmap1: u32,
    bitmap2: u32,
    bitmap3: u32,
    bitmap4: u32,
    table: u32,
    items: u32,
    patterns: u32,
    values: u32,
    masks: u32,
    small_filter: u32,
    short_filter: u32,
    item_count: u32,
    queue_capacity: u32,
}

// Anchor positions per tile (one workgroup): the other tuning knob, rewritten like LANES.
const TILE: u32 = 4096u;
// Invocations per workgroup: the tuning knob; specrt compiles a variant per value by rewriting
// this line (each lane covers TILE / LANES positions of its tile).
const LANES: u32 = 256u;
const FLAG_FULLWORD: u32 = 1u;
const FLAG_WIDE: u32 = 2u;
const HASH_A: u32 = 0x9e3779b1u;
const HASH_B: u32 = 0x85ebca77u;
const HASH_C: u32 = 0xc2b2ae3du;
const HASH_D: u32 = 0x27d4eb2fu;
// Words of the Bloom filter of the 3- and 4-byte anchors, sized by the device's workgroup memory
// (rewritten by specrt like LANES), and the shift that turns a 32-bit hash into one of its
// bit indices.
const SMALL_WORDS: u32 = 1024u;
const SMALL_SHIFT: u32 = 17u;
// Words of the filter of the anchors of 1 and 2 bytes, and its shift.
const SHORT_WORDS: u32 = 512u;
const SHORT_SHIFT: u32 = 18u;
// The anchor lengths of the rule set (bit n: anchors of n bytes) and whether some of its
// patterns have no anchor, rewritten by specrt per rule set like LANES: the driver then drops
// the tests of the lengths the rules do not use.
const ANCHOR_LENGTHS: u32 = 0x1eu;
const HAS_UNANCHORED: bool = true;
// A queue entry that holds no candidate.
const NO_CANDIDATE: u32 = 0xffffffffu;

// The tile's bytes (plus one word of look-ahead) and the anchor filters, staged in workgroup
// memory.
var<workgroup> tile_words: array<u32, TILE / 4u + 1u>;
var<workgroup> small_filter: array<u32, SMALL_WORDS>;
var<workgroup> short_filter: array<u32, SHORT_WORDS>;
// Whether the filters were staged (kernels that do not stage tiles skip them).
var<private> small_filter_ready: bool;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> params: Params;
@group(0) @binding(2) var<storage, read> rules: array<u32>;

// The input being scanned: a chunk (the whole `data` binding) or one item of a batch. Offsets
// below are relative to `view_base` (a multiple of 4 bytes); `view_item` tags batch matches.
var<private> view_base: u32;
var<private> view_len: u32;
var<private> view_owned_begin: u32;
var<private> view_owned_end: u32;
var<private> view_item: u32;

// Views the whole chunk described by `params`.
fn view_chunk() {
    view_base = 0u;
    view_len = params.data_len;
    view_owned_begin = params.owned_begin;
    view_owned_end = params.owned_end;
    view_item = 0u;
}

fn data_byte(i: u32) -> u32 {
    let at = view_base + i;
    return (data[at >> 2u] >> ((at & 3u) * 8u)) & 0xffu;
}

// Four bytes at view offset p, little-endian, read from `data` in two aligned loads; bytes past
// the end of the data are unspecified (callers mask them out). The second load stays inside the
// binding: the kernels run without wgpu's bounds checks.
fn data_word(p: u32) -> u32 {
    let at = view_base + p;
    let w = at >> 2u;
    let shift = (at & 3u) * 8u;
    if (shift == 0u) {
        return data[w];
    }
    let next = data[min(w + 1u, arrayLength(&data) - 1u)];
    return (data[w] >> shift) | (next << (32u - shift));
}

// ASCII lower-casing of the four bytes of v (bytes 'A'..'Z' get bit 0x20).
fn fold4(v: u32) -> u32 {
    let low7 = v & 0x7f7f7f7fu;
    let above_z = low7 + 0x25252525u; // bit 7 set where the byte's low 7 bits exceed 'Z'
    let from_a = low7 + 0x3f3f3f3fu;  // bit 7 set where they are at least 'A'
    let upper = from_a & ~above_z & ~v & 0x80808080u;
    return v | (upper >> 2u);
}

fn bit(base: u32, index: u32) -> bool {
    return ((rules[base + (index >> 5u)] >> (index & 31u)) & 1u) != 0u;
}

fn low_bytes(v: u32, len: u32) -> u32 {
    if (len >= 4u) {
        return v;
    }
    return v & ((1u << (len * 8u)) - 1u);
}

fn has_bit(filter_word: u32, index: u32) -> bool {
    return ((filter_word >> (index & 31u)) & 1u) != 0u;
}

// Whether an anchor of 3 or 4 bytes may start with the three bytes `key` (the staged Bloom
// filter, as `build_tables` in specrt sets it: one filter for both lengths, one test).
fn long_filter_hit(key: u32) -> bool {
    let a = (key * HASH_C) >> SMALL_SHIFT;
    let b = (key * HASH_D) >> SMALL_SHIFT;
    return has_bit(small_filter[a >> 5u], a) && has_bit(small_filter[b >> 5u], b);
}

// Whether an anchor of 1 or 2 bytes with value `value` may be in the staged filter of short
// anchors.
fn short_filter_hit(value: u32, len: u32) -> bool {
    let s = ((value * HASH_C) ^ (len * HASH_A)) >> SHORT_SHIFT;
    return has_bit(short_filter[s >> 5u], s);
}

// Whether the anchor of length `len` at a position with folded bytes v is in the exact bitmap
// of that length (for 4-byte anchors, a two-hash Bloom filter of 2^24 bits).
fn bitmap_hit(v: u32, len: u32) -> bool {
    let value = low_bytes(v, len);
    switch len {
        case 1u: { return bit(params.bitmap1, value); }
        case 2u: { return bit(params.bitmap2, value); }
        case 3u: { return bit(params.bitmap3, value); }
        default: {
            return bit(params.bitmap4, (v * HASH_A) >> 8u) && bit(params.bitmap4, (v * HASH_B) >> 8u);
        }
    }
}

fn table_slot(value: u32, len: u32) -> u32 {
    return ((value * HASH_A) ^ (len * HASH_B)) >> 7u;
}

fn is_alnum(b: u32) -> bool {
    return (b >= 0x30u && b <= 0x39u) || (b >= 0x41u && b <= 0x5au) || (b >= 0x61u && b <= 0x7au);
}

fn fullword_ok(start: u32, len: u32, wide: bool) -> bool {
    let end = start + len;
    let n = view_len;
    if (wide) {
        let before = start >= 2u && data_byte(start - 1u) == 0u && is_alnum(data_byte(start - 2u));
        let after = end + 1u < n && is_alnum(data_byte(end)) && data_byte(end + 1u) == 0u;
        return !(before || after);
    }
    let before = start >= 1u && is_alnum(data_byte(start - 1u));
    let after = end < n && is_alnum(data_byte(end));
    return !(before || after);
}

// Whether pattern `pattern` matches at `start` (which must lie in the owned range). Its values
// and masks are padded to whole words with zero masks, so the bytes past its end, whatever
// they are, compare equal.
fn verify(pattern: u32, start: u32) -> bool {
    let base = params.patterns + pattern * 4u;
    let word_offset = rules[base];
    let len = rules[base + 1u];
    let flags = rules[base + 3u];
    if (start < view_owned_begin || start >= view_owned_end || start + len > view_len) {
        return false;
    }
    let values = params.values + word_offset;
    let masks = params.masks + word_offset;
    for (var k = 0u; k * 4u < len; k++) {
        if ((data_word(start + k * 4u) & rules[masks + k]) != rules[values + k]) {
            return false;
        }
    }
    if ((flags & FLAG_FULLWORD) != 0u) {
        return fullword_ok(start, len, (flags & FLAG_WIDE) != 0u);
    }
    return true;
}

// The prefilter at position p: does any anchor length hit the filters (or are there patterns
// without an anchor)? The staged filters when they are staged, then the exact bitmaps.
fn position_hit(p: u32, folded: u32) -> bool {
    if (HAS_UNANCHORED) {
        return true;
    }
    // The exact bitmaps only behind the staged filters, where there are some: on real rule sets
    // few positions pass them, and most of those are true candidates. The anchors of 3 and 4
    // bytes share one Bloom filter keyed by their first three bytes: one test for both.
    var long_pass = true;
    if (small_filter_ready && (ANCHOR_LENGTHS & 0x18u) != 0u) {
        long_pass = long_filter_hit(folded & 0xffffffu);
    }
    // One call per length, so that each has a constant length.
    return length_hit(p, folded, 1u, long_pass) || length_hit(p, folded, 2u, long_pass) ||
        length_hit(p, folded, 3u, long_pass) || length_hit(p, folded, 4u, long_pass);
}

// Whether an anchor of `len` bytes may start at p: the staged filter of its length (`long_pass`
// for 3 and 4 bytes), then the exact bitmap.
fn length_hit(p: u32, folded: u32, len: u32, long_pass: bool) -> bool {
    if ((ANCHOR_LENGTHS & (1u << len)) == 0u || p + len > view_len) {
        return false;
    }
    var staged = long_pass;
    if (len < 3u && small_filter_ready) {
        staged = short_filter_hit(low_bytes(folded, len), len);
    }
    return staged && bitmap_hit(folded, len);
}

// The confirm at position p: looks up each anchor length and verifies the candidates; patterns
// without an anchor are tried with p as their start.
fn confirm_position(p: u32, folded: u32) {
    for (var len = 1u; len <= 4u; len++) {
        if ((ANCHOR_LENGTHS & (1u << len)) == 0u || p + len > view_len || !bitmap_hit(folded, len)) {
            continue;
        }
        let value = low_bytes(folded, len);
        var slot = table_slot(value, len) & params.table_mask;
        loop {
            let entry = params.table + slot * 4u;
            let count = rules[entry + 3u];
            if (count == 0u) {
                break;
            }
            if (rules[entry] == value && rules[entry + 1u] == len) {
                let first = rules[entry + 2u];
                for (var i = 0u; i < count; i++) {
                    let pattern = rules[params.items + first + i];
                    let anchor_offset = rules[params.patterns + pattern * 4u + 2u];
                    if (p >= anchor_offset && verify(pattern, p - anchor_offset)) {
                        emit(pattern, p - anchor_offset);
                    }
                }
                break;
            }
            slot = (slot + 1u) & params.table_mask;
        }
    }
    for (var i = 0u; i < params.unanchored_count; i++) {
        let pattern = rules[params.items + params.unanchored_first + i];
        if (verify(pattern, p)) {
            emit(pattern, p);
        }
    }
}

// Stages the anchor filters in workgroup memory (visible after the next barrier).
fn stage_filter(lane: u32) {
    for (var i = lane; i < SMALL_WORDS; i += LANES) {
        small_filter[i] = rules[params.small_filter + i];
    }
    for (var i = lane; i < SHORT_WORDS; i += LANES) {
        short_filter[i] = rules[params.short_filter + i];
    }
    small_filter_ready = true;
}

// Stages the tile's bytes in workgroup memory, after a barrier so the previous tile's readers
// are done. Call from uniform control flow.
fn stage_tile_words(tile: u32, lane: u32) {
    workgroupBarrier();
    let first_word = tile * (TILE / 4u);
    for (var i = lane; i < TILE / 4u + 1u; i += LANES) {
        tile_words[i] = view_data_word(first_word + i);
    }
    workgroupBarrier();
}

// Aligned word `w` of the view, read straight from `data` (consecutive lanes read consecutive
// words); zero past the view's end.
fn view_data_word(w: u32) -> u32 {
    if (w >= (view_len + 3u) / 4u) {
        return 0u;
    }
    return data[view_base / 4u + w];
}

// Four bytes at view offset p read straight from `data` (bytes past the view read as zero); for
// kernels that do not stage tiles.
fn view_word(p: u32) -> u32 {
    let v = data_word(p);
    if (p + 4u <= view_len) {
        return v;
    }
    return low_bytes(v, view_len - p);
}

// Four bytes from tile-local offset q, little-endian, from workgroup memory.
fn tile_word(q: u32) -> u32 {
    let w = q >> 2u;
    let shift = (q & 3u) * 8u;
    if (shift == 0u) {
        return tile_words[w];
    }
    return (tile_words[w] >> shift) | (tile_words[w + 1u] << (32u - shift));
}

// Scans this lane's positions of `tile` (staged first); confirms hits when `confirm` is set.
// Returns whether any position passed the prefilter.
fn scan_tile(tile: u32, lane: u32, confirm: bool) -> bool {
    stage_filter(lane);
    stage_tile_words(tile, lane);
    var any = false;
    for (var k = 0u; k < TILE / LANES; k++) {
        let q = k * LANES + lane;
        let p = tile * TILE + q;
        if (p < view_len) {
            let folded = fold4(tile_word(q));
            if (position_hit(p, folded)) {
                any = true;
                if (confirm) {
                    confirm_position(p, folded);
                }
            }
        }
    }
    return any;
}
