//! YARA's `hash` module: digests and checksums of a range of the input or of a text.
//!
//! Every function has two overloads, in YARA's order: `(offset, size)` over the scanned input,
//! then `(text)` over a text.
//!
//! - `md5`, `sha1`, `sha256`: the digest as lowercase hexadecimal text
//!   (`hash.md5("abc") == "900150983cd24fb0d6963f7d28e17f72"`).
//! - `checksum32`: the sum of the bytes, as unsigned numbers, modulo 2^32.
//! - `crc32`: the standard CRC-32 of zip, PNG and Ethernet (reflected polynomial `0xEDB88320`,
//!   initial value and final XOR `0xFFFFFFFF`): YARA's `hash.c` carries that CRC's table, so
//!   `hash.crc32("123456789") == 0xCBF43926`.
//!
//! # Ranges, as YARA 4.2.3 reads them
//!
//! YARA sees the input as one memory block at base 0. For `(offset, size)` (`for_range`, which
//! the `math` module shares):
//!
//! - a negative offset or size is undefined;
//! - an offset at or past the end of the input is undefined, so every range of an empty input
//!   is undefined, even `(0, 0)`;
//! - otherwise the range is cut at the end of the input: `hash.md5(10, filesize)` digests the
//!   bytes from 10 to the end, and a size of 0 inside the input digests no bytes (the digest of
//!   the empty text, not undefined).
//!
//! The bytes are read a block (1 MiB) at a time, so the digest of a huge range holds one block
//! in memory; a block that cannot be read (an I/O error) makes the result undefined. YARA
//! caches range digests per `(offset, size)`; that changes nothing visible and is not kept.

use crate::scan::modules::schema::{member, Arg, Kind, Member, Overload, Ret};
use crate::scan::modules::{CallArgs, Input, Returned};
use sha2::Digest;

/// The arguments of the range overloads: offset and size.
const RANGE: &[Arg] = &[Arg::Int, Arg::Int];

/// The argument of the text overloads.
const TEXT: &[Arg] = &[Arg::Text];

/// The module's functions, in YARA 4.2.3's declaration order.
pub const DECLARATIONS: &[Member] = &[
    member(
        "md5",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Text,
                call: digest_range::<md5::Md5>,
            },
            Overload {
                args: TEXT,
                ret: Ret::Text,
                call: digest_text::<md5::Md5>,
            },
        ]),
    ),
    member(
        "sha1",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Text,
                call: digest_range::<sha1::Sha1>,
            },
            Overload {
                args: TEXT,
                ret: Ret::Text,
                call: digest_text::<sha1::Sha1>,
            },
        ]),
    ),
    member(
        "sha256",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Text,
                call: digest_range::<sha2::Sha256>,
            },
            Overload {
                args: TEXT,
                ret: Ret::Text,
                call: digest_text::<sha2::Sha256>,
            },
        ]),
    ),
    member(
        "checksum32",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Int,
                call: checksum32_range,
            },
            Overload {
                args: TEXT,
                ret: Ret::Int,
                call: checksum32_text,
            },
        ]),
    ),
    member(
        "crc32",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Int,
                call: crc32_range,
            },
            Overload {
                args: TEXT,
                ret: Ret::Int,
                call: crc32_text,
            },
        ]),
    ),
];

/// Calls `f` with the bytes of the input range YARA's `(offset, length)` arguments name, in
/// order, a block at a time. `None` (undefined) when the offset or the length is negative, when
/// the offset is not inside the input (always so for an empty input), or when a block cannot
/// be read; a range running past the end of the input is cut there, and a length of 0 inside
/// the input calls `f` with nothing. Shared by the `hash` and `math` range functions.
pub(super) fn for_range(
    input: &Input<'_>,
    offset: i64,
    length: i64,
    f: impl FnMut(&[u8]),
) -> Option<()> {
    let start = u64::try_from(offset).ok()?;
    let length = u64::try_from(length).ok()?;
    if start >= input.size {
        return None;
    }
    input
        .blocks(start, length.min(input.size - start), f)
        .then_some(())
}

/// `bytes` as lowercase hexadecimal text, two digits a byte.
fn hex(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|&b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .collect()
}

/// `md5(offset, size)`, `sha1(...)`, `sha256(...)`: the digest `D` of an input range, in hex.
fn digest_range<D: Digest>(call: &CallArgs<'_>) -> Option<Returned> {
    let mut hasher = D::new();
    for_range(call.input, call.int(0), call.int(1), |block| {
        hasher.update(block)
    })?;
    Some(Returned::Text(hex(&hasher.finalize())))
}

/// `md5(text)`, `sha1(text)`, `sha256(text)`: the digest `D` of a text, in hex.
fn digest_text<D: Digest>(call: &CallArgs<'_>) -> Option<Returned> {
    Some(Returned::Text(hex(&D::digest(call.text(0)))))
}

/// `sum` plus the bytes of `bytes`, modulo 2^32 (C's `uint32_t` addition).
fn add_bytes(sum: u32, bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(sum, |sum, &b| sum.wrapping_add(u32::from(b)))
}

/// `checksum32(offset, size)`.
fn checksum32_range(call: &CallArgs<'_>) -> Option<Returned> {
    let mut sum = 0;
    for_range(call.input, call.int(0), call.int(1), |block| {
        sum = add_bytes(sum, block)
    })?;
    Some(Returned::Int(sum.into()))
}

/// `checksum32(text)`.
fn checksum32_text(call: &CallArgs<'_>) -> Option<Returned> {
    Some(Returned::Int(add_bytes(0, call.text(0)).into()))
}

/// `crc32(offset, size)`.
fn crc32_range(call: &CallArgs<'_>) -> Option<Returned> {
    let mut hasher = crc32fast::Hasher::new();
    for_range(call.input, call.int(0), call.int(1), |block| {
        hasher.update(block)
    })?;
    Some(Returned::Int(hasher.finalize().into()))
}

/// `crc32(text)`.
fn crc32_text(call: &CallArgs<'_>) -> Option<Returned> {
    Some(Returned::Int(crc32fast::hash(call.text(0)).into()))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::scan::modules::{schema, ArgValue, Object};

    /// Calls overload `index` of function `name` of a module declared by `declarations`, over
    /// the input `data` (shared by the tests of the `math`, `string` and `time` modules).
    pub(in crate::scan::modules) fn call(
        declarations: &'static [Member],
        name: &str,
        index: usize,
        data: &[u8],
        args: &[ArgValue<'_>],
    ) -> Option<Returned> {
        let read = |s: u64, e: u64| Some(data[s as usize..e as usize].to_vec());
        let input = Input {
            size: data.len() as u64,
            read: &read,
            whole: None,
        };
        let member = schema::find(declarations, name).expect("declared");
        let Kind::Function(overloads) = member.kind else {
            panic!("`{name}` is not a function");
        };
        let overload = &overloads[index];
        assert_eq!(overload.args.len(), args.len(), "arguments of `{name}`");
        (overload.call)(&CallArgs {
            module: &Object::structure(),
            owner: &Object::structure(),
            input: &input,
            args,
        })
    }

    /// Overload `index` of `name` of this module over `data`.
    fn hash(name: &str, index: usize, data: &[u8], args: &[ArgValue<'_>]) -> Option<Returned> {
        call(DECLARATIONS, name, index, data, args)
    }

    /// The range overload of `name` over `data[offset..offset + size]`.
    fn range(name: &str, data: &[u8], offset: i64, size: i64) -> Option<Returned> {
        hash(name, 0, data, &[ArgValue::Int(offset), ArgValue::Int(size)])
    }

    /// The text overload of `name` of `text`.
    fn text(name: &str, text: &[u8]) -> Option<Returned> {
        hash(name, 1, b"", &[ArgValue::Text(text)])
    }

    fn hex_text(digest: &str) -> Option<Returned> {
        Some(Returned::Text(digest.as_bytes().to_vec()))
    }

    #[test]
    fn declarations_follow_yara() {
        let names: Vec<_> = DECLARATIONS.iter().map(|m| m.name).collect();
        assert_eq!(names, ["md5", "sha1", "sha256", "checksum32", "crc32"]);
        for member in DECLARATIONS {
            let Kind::Function(overloads) = member.kind else {
                panic!("{} is not a function", member.name);
            };
            assert_eq!(overloads.len(), 2);
            assert_eq!(overloads[0].args, [Arg::Int, Arg::Int]);
            assert_eq!(overloads[1].args, [Arg::Text]);
        }
    }

    #[test]
    fn digests_of_texts_are_the_known_vectors() {
        let md5_abc = "900150983cd24fb0d6963f7d28e17f72";
        assert_eq!(text("md5", b"abc"), hex_text(md5_abc));
        let md5_empty = "d41d8cd98f00b204e9800998ecf8427e";
        assert_eq!(text("md5", b""), hex_text(md5_empty));
        let sha1_abc = "a9993e364706816aba3e25717850c26c9cd0d89d";
        assert_eq!(text("sha1", b"abc"), hex_text(sha1_abc));
        let sha256_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(text("sha256", b""), hex_text(sha256_empty));
        let sha256_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(text("sha256", b"abc"), hex_text(sha256_abc));
    }

    #[test]
    fn checksums_of_texts() {
        assert_eq!(
            text("crc32", b"123456789"),
            Some(Returned::Int(0xCBF4_3926))
        );
        assert_eq!(text("crc32", b""), Some(Returned::Int(0)));
        assert_eq!(
            text("checksum32", b"abc"),
            Some(Returned::Int(97 + 98 + 99))
        );
        // Bytes are added as unsigned numbers, not as C's signed `char`.
        assert_eq!(text("checksum32", b"\xff\x01"), Some(Returned::Int(256)));
    }

    #[test]
    fn ranges_are_cut_at_the_end_of_the_input() {
        let data = b"xxabc";
        let md5_abc = hex_text("900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(range("md5", data, 2, 3), md5_abc);
        assert_eq!(range("md5", data, 2, 1000), md5_abc);
        assert_eq!(range("md5", data, 2, i64::MAX), md5_abc);
        let digits = b"123456789";
        assert_eq!(
            range("crc32", digits, 0, 9),
            Some(Returned::Int(0xCBF4_3926))
        );
        assert_eq!(range("checksum32", digits, 8, 5), Some(Returned::Int(57)));
    }

    #[test]
    fn a_zero_size_inside_the_input_digests_nothing() {
        let md5_empty = hex_text("d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(range("md5", b"abc", 1, 0), md5_empty);
        assert_eq!(range("crc32", b"abc", 2, 0), Some(Returned::Int(0)));
        assert_eq!(range("checksum32", b"abc", 0, 0), Some(Returned::Int(0)));
    }

    #[test]
    fn ranges_outside_the_input_are_undefined() {
        for name in ["md5", "sha1", "sha256", "checksum32", "crc32"] {
            assert_eq!(range(name, b"abc", -1, 2), None, "{name}");
            assert_eq!(range(name, b"abc", 0, -1), None, "{name}");
            assert_eq!(range(name, b"abc", 3, 0), None, "{name}");
            assert_eq!(range(name, b"abc", 4, 1), None, "{name}");
            assert_eq!(range(name, b"", 0, 0), None, "{name}");
        }
    }

    #[test]
    fn ranges_longer_than_a_block_are_read_in_order() {
        let data: Vec<u8> = (0..(5u32 << 19) + 7).map(|i| (i % 251) as u8).collect();
        let size = data.len() as i64;
        for name in ["md5", "sha1", "sha256", "checksum32", "crc32"] {
            assert_eq!(range(name, &data, 0, size), text(name, &data), "{name}");
            assert_eq!(
                range(name, &data, 3, size),
                text(name, &data[3..]),
                "{name}"
            );
        }
    }

    #[test]
    fn checksum32_wraps_modulo_2_to_the_32() {
        // 16_843_010 * 255 = 2^32 + 254.
        let data = vec![0xffu8; 16_843_010];
        let size = data.len() as i64;
        assert_eq!(
            range("checksum32", &data, 0, size),
            Some(Returned::Int(254))
        );
    }
}
