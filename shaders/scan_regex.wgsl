// Verification of regular-expression candidates on the GPU: one lane per candidate (an atom
// occurrence of one expression's form), walking the dense automata of `src/scan/regex/dense.rs`.
//
// From the anchor, the forward automaton (leftmost-first) reads at most SCAN_LIMIT bytes and
// keeps the last accepting position before it dies: the match's length from the anchor. Then
// the backward automaton (every match) reads the bytes before the anchor, at most SCAN_LIMIT,
// and each accepting position is a match start. This is the CPU's verification
// (`src/scan/regex/matcher.rs`) step for step, so both give the same matches in the same order.
// `SCAN_LIMIT` is prepended by the host.

const ACCEPT: u32 = 0x80000000u;
const DEAD: u32 = 0x7fffffffu;
const NO_AUTOMATON: u32 = 0xffffffffu;
const FLAG_WIDE: u32 = 1u;
const FLAG_FULLWORD: u32 = 2u;
const NONE: u32 = 0xffffffffu;

// One atom's automata (`SplitTable`).
struct RegexSplit {
    forward_classes: u32,
    forward_start: u32,
    backward_classes: u32,
    backward_start: u32,
    flags: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// One candidate (`GpuCandidate`): its anchor at byte `data_at` of `data`, with `before` bytes
// of its input before it and `after` from it in `data`.
struct RegexCandidate {
    data_at: u32,
    before: u32,
    after: u32,
    split: u32,
}

// One match (`GpuMatch`): it starts `back` bytes before candidate `candidate`'s anchor.
struct RegexMatch {
    candidate: u32,
    back: u32,
    len: u32,
    pad: u32,
}

struct Found {
    count: atomic<u32>,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    matches: array<RegexMatch>,
}

@group(0) @binding(0) var<storage, read> splits: array<RegexSplit>;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read> candidates: array<RegexCandidate>;
@group(0) @binding(3) var<storage, read> data: array<u32>;
@group(0) @binding(4) var<storage, read_write> found: Found;

fn byte_at(i: u32) -> u32 {
    return (data[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// The entry after reading byte `b` in the state of entry `entry`.
fn next(classes: u32, entry: u32, b: u32) -> u32 {
    let byte_class = (words[classes + (b >> 2u)] >> ((b & 3u) * 8u)) & 0xffu;
    return words[(entry & ~ACCEPT) + byte_class];
}

fn is_alnum(b: u32) -> bool {
    return (b >= 0x30u && b <= 0x39u) || (b >= 0x41u && b <= 0x5au) || (b >= 0x61u && b <= 0x7au);
}

// yara's fullword rule for the match from `back` bytes before the anchor to `fwd` after it.
fn is_fullword(c: RegexCandidate, wide: bool, back: u32, fwd: u32) -> bool {
    let start = c.data_at - back;
    let end = c.data_at + fwd;
    let room_before = c.before - back;
    if wide {
        let before = room_before >= 2u && byte_at(start - 1u) == 0u && is_alnum(byte_at(start - 2u));
        let after = fwd + 1u < c.after && is_alnum(byte_at(end)) && byte_at(end + 1u) == 0u;
        return !(before || after);
    }
    let before = room_before >= 1u && is_alnum(byte_at(start - 1u));
    let after = fwd < c.after && is_alnum(byte_at(end));
    return !(before || after);
}

fn emit(index: u32, c: RegexCandidate, flags: u32, back: u32, len: u32) {
    if len == 0u {
        return;
    }
    if (flags & FLAG_FULLWORD) != 0u && !is_fullword(c, (flags & FLAG_WIDE) != 0u, back, len - back) {
        return;
    }
    let slot = atomicAdd(&found.count, 1u);
    if slot < arrayLength(&found.matches) {
        found.matches[slot] = RegexMatch(index, back, len, 0u);
    }
}

@compute @workgroup_size(64)
fn verify(@builtin(global_invocation_id) gid: vec3<u32>) {
    let index = gid.x;
    if index >= arrayLength(&candidates) {
        return;
    }
    let c = candidates[index];
    let s = splits[c.split];
    let step = select(1u, 2u, (s.flags & FLAG_WIDE) != 0u);
    let forward_len = min(c.after, SCAN_LIMIT) / step * step;
    var entry = s.forward_start;
    var matched = NONE;
    var p = 0u;
    loop {
        if entry == DEAD {
            break;
        }
        if (entry & ACCEPT) != 0u {
            matched = p;
        }
        if p == forward_len {
            break;
        }
        entry = next(s.forward_classes, entry, byte_at(c.data_at + p));
        p += 1u;
    }
    if matched == NONE {
        return;
    }
    if s.backward_classes == NO_AUTOMATON {
        emit(index, c, s.flags, 0u, matched);
        return;
    }
    let backward_len = min(c.before, SCAN_LIMIT) / step * step;
    entry = s.backward_start;
    var k = 0u;
    loop {
        if entry == DEAD {
            break;
        }
        if (entry & ACCEPT) != 0u {
            emit(index, c, s.flags, k, k + matched);
        }
        if k == backward_len {
            break;
        }
        entry = next(s.backward_classes, entry, byte_at(c.data_at - k - 1u));
        k += 1u;
    }
}
