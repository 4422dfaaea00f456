//! Text-string modifiers that turn one string into several fixed patterns: `xor` and `base64`.
//!
//! The scanner matches fixed byte patterns, so these modifiers are expanded at compile time
//! into the patterns YARA searches for, in YARA's order (the first pattern that matches at an
//! offset is the one reported):
//!
//! - `xor`, `xor(k)`, `xor(lo-hi)`: the string XOR-ed with every single-byte key of the range
//!   (0-255 by default, so the plain text is included). The key applies after `wide`: the
//!   interleaved zero bytes become key bytes. With `ascii wide` both forms are searched, ASCII
//!   first.
//! - `base64`, `base64wide`, each with an optional 64-character alphabet: the string as it
//!   appears inside base64 text at each of the three alignments. The string is encoded after 0,
//!   1 or 2 filler bytes; the output characters that depend on the filler or on the bytes after
//!   the string are cut off (`i + 1` leading characters after `i` filler bytes, `pad + 1`
//!   trailing ones where the encoding needs `pad` padding characters), as Lee Holmes described
//!   and YARA does (it skips the one-filler alignment of a one-byte string). `base64wide`
//!   widens the encoded text. With `wide`, the wide form of the string is encoded; with
//!   `ascii wide` both forms, wide first, as YARA orders them.
//!
//! Both produce explicit bytes: the patterns carry no `wide` or `nocase` scanner flag.

use super::hex::Variant;

/// YARA's default base64 alphabet.
pub const STANDARD_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The UTF-16LE form of ASCII bytes: each followed by a zero byte.
pub fn widen(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|&b| [b, 0]).collect()
}

fn exact(bytes: Vec<u8>) -> Variant {
    let mask = vec![0xff; bytes.len()];
    (bytes, mask)
}

/// The forms of `text` a string with `ascii` / `wide` searches for, ASCII first (neither
/// flag means ASCII).
fn forms(text: &[u8], ascii: bool, wide: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if ascii || !wide {
        out.push(text.to_vec());
    }
    if wide {
        out.push(widen(text));
    }
    out
}

/// The patterns of `text` with `xor(lo-hi)`: per form (ASCII first), one per key in order.
pub fn xor_patterns(text: &[u8], ascii: bool, wide: bool, keys: (u8, u8)) -> Vec<Variant> {
    let mut out = Vec::new();
    for form in forms(text, ascii, wide) {
        for key in keys.0..=keys.1 {
            out.push(exact(form.iter().map(|b| b ^ key).collect()));
        }
    }
    out
}

/// Standard base64 of `bytes` with `alphabet`, `=`-padded.
fn encode(bytes: &[u8], alphabet: &[u8; 64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let sextets = [
            b[0] >> 2,
            (b[0] & 0x03) << 4 | b[1] >> 4,
            (b[1] & 0x0f) << 2 | b[2] >> 6,
            b[2] & 0x3f,
        ];
        for (i, &s) in sextets.iter().enumerate() {
            out.push(if i <= group.len() {
                alphabet[s as usize]
            } else {
                b'='
            });
        }
    }
    out
}

/// The encodings of `text` at the three alignments, trimmed to the characters that depend on
/// `text` alone.
fn base64_alignments(text: &[u8], alphabet: &[u8; 64]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for filler in 0..=2usize {
        if filler == 1 && text.len() == 1 {
            continue;
        }
        let mut padded = vec![b'A'; filler];
        padded.extend_from_slice(text);
        let encoded = encode(&padded, alphabet);
        let pad = (3 - padded.len() % 3) % 3;
        let leading = if filler == 0 { 0 } else { filler + 1 };
        let trailing = if pad == 0 { 0 } else { pad + 1 };
        let end = encoded.len().saturating_sub(trailing);
        if leading < end {
            out.push(encoded[leading..end].to_vec());
        }
    }
    out
}

/// The patterns of `text` with `base64` (`plain`) and / or `base64wide` (`wide_output`)
/// under `ascii` / `wide`, in YARA's order: the wide form's encodings first, then the ASCII
/// form's; per form, `base64` before `base64wide`.
pub fn base64_patterns(
    text: &[u8],
    ascii: bool,
    wide: bool,
    plain: Option<&[u8; 64]>,
    wide_output: Option<&[u8; 64]>,
) -> Vec<Variant> {
    let mut sources = Vec::new();
    if wide {
        sources.push(widen(text));
    }
    if ascii || !wide {
        sources.push(text.to_vec());
    }
    let mut out = Vec::new();
    for source in &sources {
        if let Some(alphabet) = plain {
            out.extend(base64_alignments(source, alphabet).into_iter().map(exact));
        }
        if let Some(alphabet) = wide_output {
            out.extend(
                base64_alignments(source, alphabet)
                    .into_iter()
                    .map(|e| exact(widen(&e))),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: Vec<Variant>) -> Vec<String> {
        v.into_iter()
            .map(|(b, _)| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }

    #[test]
    fn base64_gives_the_three_alignments_of_yaras_documentation() {
        let got = base64_patterns(
            b"This program cannot",
            false,
            false,
            Some(STANDARD_ALPHABET),
            None,
        );
        assert_eq!(
            texts(got),
            [
                "VGhpcyBwcm9ncmFtIGNhbm5vd",
                "RoaXMgcHJvZ3JhbSBjYW5ub3",
                "UaGlzIHByb2dyYW0gY2Fubm90"
            ]
        );
    }

    #[test]
    fn base64_of_one_byte_skips_one_alignment_and_wide_output_widens() {
        assert_eq!(
            base64_patterns(b"a", false, false, Some(STANDARD_ALPHABET), None).len(),
            2
        );
        let wide = base64_patterns(b"abc", false, false, None, Some(STANDARD_ALPHABET));
        assert_eq!(wide[0].0, widen(b"YWJj"));
    }

    #[test]
    fn xor_applies_after_wide_and_includes_key_zero() {
        let v = xor_patterns(b"ab", true, true, (0, 255));
        assert_eq!(v.len(), 512);
        assert_eq!(v[0].0, b"ab");
        assert_eq!(v[256 + 1].0, [b'a' ^ 1, 1, b'b' ^ 1, 1]);
        assert_eq!(
            xor_patterns(b"ab", false, false, (7, 7))[0].0,
            [b'a' ^ 7, b'b' ^ 7]
        );
    }
}
