//! Atoms: the short literal factor of each pattern that the prefilter looks for.
//!
//! Every position where an atom occurs is a candidate that costs a verification, so the atom of
//! a pattern is the window of its bytes that is least likely to occur in the data scanned. The
//! model, as in yara's and Hyperscan's atom selection, scores bytes by rarity: each byte value
//! carries its surprisal in real files (`-log2` of its frequency, measured over a few hundred MB
//! of ELF binaries, libraries and shared data, in quarter bits). A window's quality is the sum
//! of its bytes' surprisal, where
//! - a byte repeated inside the window counts for a quarter (runs such as `00 00 00 00` or
//!   `CC CC` are far more common than independent bytes would be);
//! - a letter counts as the two cases together, since anchors are compared case-folded.
//!
//! The expected number of candidates of an atom is about `2^-bits` per position, so a 4-byte
//! atom of rare bytes (30+ bits) yields about one per GB, while `00 00` hits everywhere in a
//! binary. Candidates are then verified in full against the pattern's bytes and masks.
//!
//! Only bytes with an exact mask (or a case-folded letter) can be part of an atom; windows are
//! at most [`MAX_ATOM`] bytes, the width of the GPU prefilter's word. A pattern without any
//! such byte has no atom and is searched on the no-atom path (see [`super::cpu`]).

/// Longest atom, bytes.
pub const MAX_ATOM: usize = 4;

/// Surprisal of each byte value in real files, in quarter bits (`-4 log2 p`).
const QUARTER_BITS: [u8; 256] = [
    8, 24, 27, 29, 28, 30, 32, 34, 28, 31, 30, 36, 35, 37, 28, 25, 30, 36, 37, 39, 36, 37, 39, 39,
    32, 39, 39, 38, 37, 40, 39, 33, 21, 39, 36, 39, 26, 35, 37, 37, 32, 35, 39, 40, 36, 33, 31, 35,
    30, 29, 33, 35, 34, 35, 36, 36, 33, 33, 36, 38, 35, 36, 37, 41, 33, 27, 32, 34, 28, 30, 36, 36,
    21, 30, 40, 38, 28, 34, 35, 37, 33, 41, 36, 33, 33, 35, 37, 38, 37, 41, 39, 37, 36, 36, 40, 30,
    37, 26, 33, 29, 29, 24, 29, 32, 31, 26, 39, 35, 28, 31, 26, 26, 30, 41, 27, 27, 24, 29, 34, 36,
    34, 34, 34, 40, 36, 40, 40, 40, 33, 37, 39, 29, 30, 31, 38, 39, 37, 24, 42, 26, 37, 30, 40, 40,
    36, 42, 42, 42, 39, 41, 42, 42, 39, 41, 42, 43, 40, 42, 43, 42, 39, 42, 43, 42, 40, 42, 41, 42,
    39, 42, 41, 42, 40, 42, 41, 41, 37, 42, 41, 41, 39, 40, 38, 39, 36, 39, 37, 40, 38, 40, 36, 38,
    31, 34, 37, 34, 37, 38, 36, 34, 38, 38, 41, 43, 41, 42, 41, 41, 32, 36, 38, 41, 42, 42, 41, 42,
    38, 41, 41, 40, 42, 42, 40, 37, 34, 39, 39, 40, 37, 40, 39, 39, 28, 33, 39, 37, 38, 39, 39, 37,
    37, 41, 40, 38, 41, 41, 36, 38, 36, 39, 38, 38, 35, 35, 32, 21,
];

/// Surprisal of a case-folded byte (`b` already lower-cased), in quarter bits: both cases of a
/// letter match it.
fn folded_quarter_bits(b: u8) -> u32 {
    let bits = |v: u8| QUARTER_BITS[v as usize] as f64 / 4.0;
    if b.is_ascii_lowercase() {
        let p = 2f64.powf(-bits(b)) + 2f64.powf(-bits(b.to_ascii_uppercase()));
        (-4.0 * p.log2()).round() as u32
    } else {
        QUARTER_BITS[b as usize] as u32
    }
}

/// Quality of a window of case-folded bytes, in quarter bits of surprisal (higher is rarer).
pub fn quality(window: &[u8]) -> u32 {
    window
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let q = folded_quarter_bits(b);
            if window[..i].contains(&b) {
                q / 4
            } else {
                q
            }
        })
        .sum()
}

/// An atom of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Atom {
    /// Offset of the atom in the pattern.
    pub offset: u32,
    /// Length, 1 to [`MAX_ATOM`].
    pub len: u32,
    /// The case-folded bytes, little-endian in a u32.
    pub value: u32,
    /// Its [`quality`].
    pub quality: u32,
}

/// The case-folded value of pattern byte (`value`, `mask`) when it can be part of an atom.
fn atom_byte(value: u8, mask: u8) -> Option<u8> {
    match mask {
        0xff => Some(value.to_ascii_lowercase()),
        0xdf if value.is_ascii_alphabetic() => Some(value.to_ascii_lowercase()),
        _ => None,
    }
}

/// The best atom of a pattern: among all windows of at most [`MAX_ATOM`] atom bytes, the one of
/// highest quality (the earliest on ties); None when no byte qualifies.
pub fn choose(bytes: &[u8], mask: &[u8]) -> Option<Atom> {
    let folded: Vec<Option<u8>> = bytes
        .iter()
        .zip(mask)
        .map(|(&b, &m)| atom_byte(b, m))
        .collect();
    let mut best: Option<Atom> = None;
    for start in 0..folded.len() {
        let run: Vec<u8> = folded[start..]
            .iter()
            .take(MAX_ATOM)
            .map_while(|f| *f)
            .collect();
        if run.is_empty() {
            continue;
        }
        let q = quality(&run);
        if best.is_none_or(|b| q > b.quality) {
            best = Some(Atom {
                offset: start as u32,
                len: run.len() as u32,
                value: run
                    .iter()
                    .enumerate()
                    .fold(0, |acc, (i, &b)| acc | (b as u32) << (8 * i)),
                quality: q,
            });
        }
    }
    best
}

/// Atom statistics of a compiled rule set, and what its atoms cost on a sample of data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AtomStatistics {
    /// Patterns (string variants) in the rule set.
    pub patterns: u64,
    /// Distinct atoms.
    pub distinct_atoms: u64,
    /// Patterns per atom length (index 0: no atom).
    pub by_length: [u64; MAX_ATOM + 1],
    /// Patterns per quality band of 4 bits of surprisal (index i: 4i to 4i+3 bits; the last
    /// band holds 28 bits and more).
    pub by_quality_bits: [u64; 8],
    /// Bytes of the sample.
    pub sample_bytes: u64,
    /// Positions of the sample where some atom occurs (candidates).
    pub candidate_positions: u64,
    /// (candidate, pattern) verifications.
    pub verifications: u64,
    /// Verified matches.
    pub matches: u64,
    /// The atoms with the most candidates in the sample: (atom bytes, candidates, patterns
    /// anchored on it), at most [`BUSIEST_ATOMS`].
    pub busiest_atoms: Vec<(Vec<u8>, u64, u64)>,
}

/// How many of the busiest atoms the statistics list.
pub const BUSIEST_ATOMS: usize = 12;

impl AtomStatistics {
    /// Candidate positions per MB of sample.
    pub fn candidates_per_mb(&self) -> f64 {
        self.candidate_positions as f64 * 1e6 / self.sample_bytes.max(1) as f64
    }

    /// Verifications per MB of sample.
    pub fn verifications_per_mb(&self) -> f64 {
        self.verifications as f64 * 1e6 / self.sample_bytes.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_bytes_beat_common_ones_and_repeats_count_little() {
        assert!(quality(&[0x8b, 0x45, 0xfc, 0xc7]) > quality(&[0, 0, 0, 0]));
        assert!(quality(&[0xcc, 0xcc, 0xcc, 0xcc]) < quality(&[0xcc, 0xc3, 0x90, 0x55]));
        assert!(quality(&[0, 0]) < quality(&[0, 1]));
        // A letter stands for both cases, so it is worth less than its lower case alone.
        assert!(folded_quarter_bits(b'q') < QUARTER_BITS[b'q' as usize] as u32 + 1);
    }

    #[test]
    fn choose_picks_the_rarest_window_and_skips_wildcards() {
        let atom = choose(b"\x00\x00\x00\x00MZ\x90\x00", &[0xff; 8]).unwrap();
        assert_eq!(atom.len, 4);
        assert!(atom.offset >= 2, "{atom:?}");
        let atom = choose(b"ab?cd", &[0xff, 0xff, 0, 0xff, 0xff]).unwrap();
        assert_eq!(atom.len, 2);
        assert_eq!(choose(b"\x10", &[0xf0]), None);
        // Case-folded: the value holds lower-case letters.
        let atom = choose(b"AB", &[0xdf, 0xdf]).unwrap();
        assert_eq!(atom.value, u32::from_le_bytes([b'a', b'b', 0, 0]));
    }

    #[test]
    fn shorter_windows_win_only_when_rarer() {
        // `00 00 00 E8` against `5A 7F`: the rare pair beats the zero run.
        let atom = choose(
            b"\x00\x00\x00\xe8?\x5a\x7f",
            &[0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff],
        );
        assert_eq!(atom.unwrap().offset, 5);
    }
}
