//! The Rich signature, `pe.rich_signature` with its functions `version` and `toolid`, and the
//! PE checksum, `pe.calculate_checksum()`.
//!
//! # The Rich signature
//!
//! Microsoft's linkers write, between the DOS stub and the NT headers, a record of the tools
//! that built the file: the marker `DanS`, three padding words, then one pair of 32-bit words
//! per tool (its id and version, `id << 16 | version`, then how many times it was used), then
//! the marker `Rich` and a 32-bit key. Every word before `Rich` is XORed with the key.
//!
//! YARA finds it from the NT headers backwards. It looks for `Rich` at `e_lfanew - 4`,
//! `e_lfanew - 8`, and so on, not below the 64-byte DOS header, so the last `Rich` before the
//! NT headers on that 4-byte grid is taken; the word after it is the key, and a key of 0 means
//! no signature. It then looks further back on the same grid, again not below offset 64, for
//! a word that XORed with the key is `DanS`. The three words after that one must be equal, and
//! the first of them XORed with the `DanS` word must give `DanS`. Then:
//!
//! - `offset` is the file offset of `DanS`, and `length` the number of bytes from there up to
//!   `Rich` (not included);
//! - `key` is the first padding word (the key);
//! - `raw_data` is those bytes as they are, `clear_data` each of their words XORed with the key.
//!
//! Without a signature, every member is undefined.
//!
//! `rich_signature.version(version[, toolid])` and `rich_signature.toolid(toolid[, version])`
//! add the use counts of the entries of `clear_data` (from offset 16, 8 bytes each,
//! `(length - 16) / 8` of them) whose version (low 16 bits of the first word) and tool id (high
//! 16 bits) are those given; they are undefined without a signature. YARA's quirks are kept: an
//! argument equal to YARA's undefined value (0xFFFABADAFABADAFF) matches every entry, and when
//! both are, the result is 0.
//!
//! # The checksum
//!
//! `pe.calculate_checksum()` is YARA's version of the optional header's checksum: the sum of
//! the file's little-endian 32-bit words (a last partial word padded with zeros), each addition
//! folding the carry above 32 bits back in, then the sum folded to 16 bits twice, plus the file
//! size. The word at the optional header's `CheckSum` field (`e_lfanew + 88`) is left out only
//! when that offset is a multiple of 4, as YARA compares word offsets with it: with an unaligned
//! `e_lfanew` the field counts. It reads the whole input, not only the bytes modules parse, and
//! is undefined for a file that is not a PE.

use super::headers::Headers;
use super::reader::{slice, u16_at, u32_at};
use crate::scan::modules::schema::{member, Arg, Kind, Member, Overload, Ret};
use crate::scan::modules::{CallArgs, Object, Returned};

/// `DanS`, the Rich signature's first word once decoded.
const DANS: u32 = 0x536e_6144;
/// `Rich`, the marker after the signature.
const RICH: u32 = 0x6863_6952;
/// Size of the DOS header: the Rich signature is looked for after it.
const DOS_HEADER_SIZE: u64 = 64;
/// The DOS magic, `MZ`.
const DOS_MAGIC: u16 = 0x5a4d;
/// Offset of `e_lfanew` in the DOS header.
const E_LFANEW: u64 = 0x3c;
/// Size of the signature's header: `DanS` and three padding words.
const RICH_HEADER_SIZE: usize = 16;
/// Size of one entry: id and version, then the count.
const RICH_ENTRY_SIZE: usize = 8;
/// Offset of the optional header's `CheckSum` from the NT headers: the signature (4), the file
/// header (20), then 64 bytes into the optional header, for PE32 and PE32+ alike.
const CHECKSUM_OFFSET: u64 = 4 + 20 + 64;
/// YARA's undefined integer, which the rich functions take as "any".
const UNDEFINED: i64 = 0xFFFA_BADA_FABA_DAFF_u64 as i64;

const RICH_SIGNATURE: Kind = Kind::Struct(&[
    member("offset", Kind::Int),
    member("length", Kind::Int),
    member("key", Kind::Int),
    member("raw_data", Kind::Text),
    member("clear_data", Kind::Text),
    member(
        "version",
        Kind::Function(&[
            Overload {
                args: &[Arg::Int],
                ret: Ret::Int,
                call: rich_version,
            },
            Overload {
                args: &[Arg::Int, Arg::Int],
                ret: Ret::Int,
                call: rich_version_toolid,
            },
        ]),
    ),
    member(
        "toolid",
        Kind::Function(&[
            Overload {
                args: &[Arg::Int],
                ret: Ret::Int,
                call: rich_toolid,
            },
            Overload {
                args: &[Arg::Int, Arg::Int],
                ret: Ret::Int,
                call: rich_toolid_version,
            },
        ]),
    ),
]);

/// The members this part declares: `rich_signature` (with its functions) and
/// `calculate_checksum`.
pub(super) const MEMBERS: &[Member] = &[
    member("rich_signature", RICH_SIGNATURE),
    member(
        "calculate_checksum",
        Kind::Function(&[Overload {
            args: &[],
            ret: Ret::Int,
            call: calculate_checksum,
        }]),
    ),
];

/// Sets this part's fields of `pe` (whose header and section fields are already set): the
/// Rich signature of `data`, the input's first bytes, when it has one.
pub(super) fn describe(_headers: &Headers<'_>, data: &[u8], _size: u64, pe: &mut Object) {
    if let Some(rich) = rich_signature(data) {
        pe.set("rich_signature", rich);
    }
}

/// The Rich signature of `data` (YARA's `pe_parse_rich_signature`).
fn rich_signature(data: &[u8]) -> Option<Object> {
    let len = data.len() as u64;
    if len < DOS_HEADER_SIZE || u16_at(data, 0)? != DOS_MAGIC {
        return None;
    }
    let nt = u64::from(u32_at(data, E_LFANEW)?);
    if !(4..=len + 4).contains(&nt) {
        return None;
    }
    // `Rich`, backwards from the NT headers.
    let mut at = nt - 4;
    let rich = loop {
        if at < DOS_HEADER_SIZE {
            return None;
        }
        if u32_at(data, at) == Some(RICH) {
            break at;
        }
        at = at.checked_sub(4)?;
    };
    let key = u32_at(data, rich + 4).unwrap_or(0);
    if key == 0 {
        return None;
    }
    // `DanS`, further back.
    let mut at = rich.checked_sub(4)?;
    let start = loop {
        if at < DOS_HEADER_SIZE {
            return None;
        }
        if u32_at(data, at).is_some_and(|word| (word ^ key) == DANS) {
            break at;
        }
        at = at.checked_sub(4)?;
    };
    let dans = u32_at(data, start)?;
    let key1 = u32_at(data, start + 4)?;
    let key2 = u32_at(data, start + 8)?;
    let key3 = u32_at(data, start + 12)?;
    if key1 != key2 || key2 != key3 || (dans ^ key1) != DANS {
        return None;
    }
    let raw = slice(data, start, rich - start)?;
    let clear: Vec<u8> = raw
        .chunks_exact(4)
        .flat_map(|word| {
            (u32::from_le_bytes(word.try_into().unwrap_or_default()) ^ key1).to_le_bytes()
        })
        .collect();
    let mut signature = Object::structure();
    signature.set("offset", start);
    signature.set("length", rich - start);
    signature.set("key", key1);
    signature.set("raw_data", raw.to_vec());
    signature.set("clear_data", clear);
    Some(signature)
}

/// The sum of the use counts of the Rich entries whose version and tool id are `version` and
/// `toolid` (each `UNDEFINED` for any): YARA's `_rich_version`.
fn rich_count(call: &CallArgs<'_>, version: i64, toolid: i64) -> Option<Returned> {
    let signature = call.module.member("rich_signature");
    let length = signature.member("length").int()?;
    let clear = signature.member("clear_data").text()?;
    if version == UNDEFINED && toolid == UNDEFINED {
        return Some(Returned::Int(0));
    }
    // The checks that find a signature make it at least 16 bytes long.
    let count = length
        .checked_sub(RICH_HEADER_SIZE as i64)
        .and_then(|rest| usize::try_from(rest / RICH_ENTRY_SIZE as i64).ok())
        .unwrap_or(0);
    let entries = clear.get(RICH_HEADER_SIZE..).unwrap_or_default();
    let mut total = 0u64;
    for entry in entries.chunks_exact(RICH_ENTRY_SIZE).take(count) {
        let (id_version, times) = entry.split_at(4);
        let id_version = u32::from_le_bytes(id_version.try_into().unwrap_or_default());
        let times = u32::from_le_bytes(times.try_into().unwrap_or_default());
        // YARA compares the arguments as unsigned 64-bit numbers.
        let version_matches =
            version == UNDEFINED || version as u64 == u64::from(id_version & 0xffff);
        let toolid_matches = toolid == UNDEFINED || toolid as u64 == u64::from(id_version >> 16);
        if version_matches && toolid_matches {
            total = total.wrapping_add(u64::from(times));
        }
    }
    Some(Returned::Int(total as i64))
}

/// `rich_signature.version(version)`.
fn rich_version(call: &CallArgs<'_>) -> Option<Returned> {
    rich_count(call, call.int(0), UNDEFINED)
}

/// `rich_signature.version(version, toolid)`.
fn rich_version_toolid(call: &CallArgs<'_>) -> Option<Returned> {
    rich_count(call, call.int(0), call.int(1))
}

/// `rich_signature.toolid(toolid)`.
fn rich_toolid(call: &CallArgs<'_>) -> Option<Returned> {
    rich_count(call, UNDEFINED, call.int(0))
}

/// `rich_signature.toolid(toolid, version)`.
fn rich_toolid_version(call: &CallArgs<'_>) -> Option<Returned> {
    rich_count(call, call.int(1), call.int(0))
}

/// `pe.calculate_checksum()`: YARA's checksum of the whole input, undefined unless it is a PE.
fn calculate_checksum(call: &CallArgs<'_>) -> Option<Returned> {
    if call.module.member("is_pe").int() != Some(1) {
        return None;
    }
    let input = call.input;
    let lfanew = input.bytes(E_LFANEW, 4)?;
    let lfanew = u32::from_le_bytes(lfanew.as_slice().try_into().ok()?);
    let mut checksum = Checksum::new(u64::from(lfanew) + CHECKSUM_OFFSET);
    if !input.blocks(0, input.size, |block| checksum.feed(block)) {
        return None;
    }
    Some(Returned::Int(checksum.finish(input.size) as i64))
}

/// YARA's `calculate_checksum`, fed the input in pieces of any size.
struct Checksum {
    /// The running sum, folded back under 2^32 after each addition.
    sum: u64,
    /// Index of the next 32-bit word.
    word: u64,
    /// File offset of the `CheckSum` field, whose word is left out when it starts one.
    skip: u64,
    /// The bytes of a word not complete yet.
    pending: [u8; 4],
    /// How many bytes of `pending` are set.
    filled: usize,
}

impl Checksum {
    fn new(skip: u64) -> Self {
        Self {
            sum: 0,
            word: 0,
            skip,
            pending: [0; 4],
            filled: 0,
        }
    }

    /// Adds the next word (unless it is the `CheckSum` field).
    fn add(&mut self, bytes: [u8; 4]) {
        if self.word.checked_mul(4) != Some(self.skip) {
            self.sum += u64::from(u32::from_le_bytes(bytes));
            if self.sum > 0xffff_ffff {
                self.sum = (self.sum & 0xffff_ffff) + (self.sum >> 32);
            }
        }
        self.word += 1;
    }

    /// Adds the next bytes of the input.
    fn feed(&mut self, mut bytes: &[u8]) {
        if self.filled > 0 {
            while self.filled < 4 {
                let Some((&byte, rest)) = bytes.split_first() else {
                    return;
                };
                self.pending[self.filled] = byte;
                self.filled += 1;
                bytes = rest;
            }
            self.filled = 0;
            self.add(self.pending);
        }
        let mut words = bytes.chunks_exact(4);
        for word in &mut words {
            self.add(word.try_into().unwrap_or_default());
        }
        let rest = words.remainder();
        self.pending = [0; 4];
        for (slot, &byte) in self.pending.iter_mut().zip(rest) {
            *slot = byte;
        }
        self.filled = rest.len();
    }

    /// The checksum of an input of `size` bytes, all fed.
    fn finish(mut self, size: u64) -> u64 {
        if self.filled > 0 {
            let mut last = [0u8; 4];
            for (slot, &byte) in last.iter_mut().zip(&self.pending[..self.filled]) {
                *slot = byte;
            }
            self.add(last);
        }
        let mut sum = (self.sum & 0xffff) + (self.sum >> 16);
        sum += sum >> 16;
        sum &= 0xffff;
        sum.wrapping_add(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::modules::{ArgValue, Input};

    fn put(image: &mut Vec<u8>, at: usize, bytes: &[u8]) {
        let end = at + bytes.len();
        if image.len() < end {
            image.resize(end, 0);
        }
        image[at..end].copy_from_slice(bytes);
    }

    fn put16(image: &mut Vec<u8>, at: usize, value: u16) {
        put(image, at, &value.to_le_bytes());
    }

    fn put32(image: &mut Vec<u8>, at: usize, value: u32) {
        put(image, at, &value.to_le_bytes());
    }

    /// A PE32 image with its NT headers at `nt` and one section of 0x200 bytes at file offset
    /// 0x200, mapped at 0x1000.
    fn image(nt: usize) -> Vec<u8> {
        let mut image = vec![0u8; 0x400];
        put(&mut image, 0, b"MZ");
        put32(&mut image, 0x3c, nt as u32);
        put(&mut image, nt, b"PE\0\0");
        let file = nt + 4;
        put16(&mut image, file, 0x14c);
        put16(&mut image, file + 2, 1);
        put16(&mut image, file + 16, 0xe0);
        put16(&mut image, file + 18, 0x0102);
        let optional = file + 20;
        put16(&mut image, optional, 0x10b);
        put32(&mut image, optional + 16, 0x1000);
        put32(&mut image, optional + 28, 0x40_0000);
        put32(&mut image, optional + 32, 0x1000);
        put32(&mut image, optional + 36, 0x200);
        put32(&mut image, optional + 56, 0x2000);
        put32(&mut image, optional + 60, 0x200);
        put32(&mut image, optional + 64, 0xdead_beef);
        put32(&mut image, optional + 92, 16);
        let header = optional + 0xe0;
        put(&mut image, header, b".text\0\0\0");
        put32(&mut image, header + 8, 0x200);
        put32(&mut image, header + 12, 0x1000);
        put32(&mut image, header + 16, 0x200);
        put32(&mut image, header + 20, 0x200);
        put32(&mut image, header + 36, 0x6000_0020);
        for (i, byte) in image[0x200..].iter_mut().enumerate() {
            *byte = (i * 7 + 3) as u8;
        }
        image
    }

    const KEY: u32 = 0x5c3a_7e21;
    /// Tool 260 version 30729 five times, tool 261 version 30729 three times, tool 260
    /// version 27412 twice.
    const ENTRIES: [(u32, u32); 3] = [
        ((260 << 16) | 30729, 5),
        ((261 << 16) | 30729, 3),
        ((260 << 16) | 27412, 2),
    ];

    /// An image whose Rich signature starts at 0x80 (its `Rich` at 0xa8), NT headers at 0xc0.
    fn rich_image() -> Vec<u8> {
        let mut image = image(0xc0);
        let mut at = 0x80;
        for word in [DANS ^ KEY, KEY, KEY, KEY] {
            put32(&mut image, at, word);
            at += 4;
        }
        for (id_version, times) in ENTRIES {
            put32(&mut image, at, id_version ^ KEY);
            put32(&mut image, at + 4, times ^ KEY);
            at += 8;
        }
        put32(&mut image, at, RICH);
        put32(&mut image, at + 4, KEY);
        image
    }

    fn load(data: &[u8]) -> Option<Object> {
        let headers = Headers::find(data)?;
        let mut pe = Object::structure();
        headers.describe(data, data.len() as u64, &mut pe);
        describe(&headers, data, data.len() as u64, &mut pe);
        Some(pe)
    }

    /// The overloads of function `name`, declared at `members`.
    fn overloads(members: &'static [Member], name: &str) -> &'static [Overload] {
        match members.iter().find(|m| m.name == name) {
            Some(&Member {
                kind: Kind::Function(overloads),
                ..
            }) => overloads,
            _ => panic!("no function {name}"),
        }
    }

    /// Calls `overload` with the module values `pe` of input `data`.
    fn call(overload: &Overload, pe: &Object, data: &[u8], args: &[i64]) -> Option<Returned> {
        let args: Vec<ArgValue<'_>> = args.iter().map(|&a| ArgValue::Int(a)).collect();
        let read = |s: u64, e: u64| data.get(s as usize..e as usize).map(<[u8]>::to_vec);
        let input = Input {
            size: data.len() as u64,
            read: &read,
            whole: None,
        };
        let owner = pe.member("rich_signature");
        (overload.call)(&CallArgs {
            module: pe,
            owner,
            input: &input,
            args: &args,
        })
    }

    fn rich_function(name: &str, arguments: usize) -> &'static Overload {
        let Kind::Struct(members) = RICH_SIGNATURE else {
            panic!("a structure");
        };
        overloads(members, name)
            .iter()
            .find(|o| o.args.len() == arguments)
            .expect("an overload")
    }

    fn checksum_function() -> &'static Overload {
        &overloads(MEMBERS, "calculate_checksum")[0]
    }

    /// YARA's loop, word by word over the whole of `data`.
    fn reference_checksum(data: &[u8], checksum_at: usize) -> i64 {
        let mut sum = 0u64;
        for i in 0..=data.len() / 4 {
            if 4 * i == checksum_at {
                continue;
            }
            let mut word = [0u8; 4];
            for (slot, byte) in word.iter_mut().zip(data.iter().skip(4 * i)) {
                *slot = *byte;
            }
            sum += u64::from(u32::from_le_bytes(word));
            if sum > 0xffff_ffff {
                sum = (sum & 0xffff_ffff) + (sum >> 32);
            }
        }
        sum = (sum & 0xffff) + (sum >> 16);
        sum += sum >> 16;
        sum &= 0xffff;
        (sum + data.len() as u64) as i64
    }

    #[test]
    fn the_rich_signature_is_found_and_decoded() {
        let data = rich_image();
        let pe = load(&data).expect("a PE");
        let rich = pe.member("rich_signature");
        assert_eq!(rich.member("offset").int(), Some(0x80));
        assert_eq!(rich.member("length").int(), Some(40));
        assert_eq!(rich.member("key").int(), Some(i64::from(KEY)));
        assert_eq!(rich.member("raw_data").text(), Some(&data[0x80..0xa8]));
        let mut clear = b"DanS".to_vec();
        clear.extend_from_slice(&[0; 12]);
        for (id_version, times) in ENTRIES {
            clear.extend_from_slice(&id_version.to_le_bytes());
            clear.extend_from_slice(&times.to_le_bytes());
        }
        assert_eq!(rich.member("clear_data").text(), Some(&clear[..]));
    }

    #[test]
    fn version_and_toolid_add_the_counts() {
        let data = rich_image();
        let pe = load(&data).expect("a PE");
        let count =
            |name: &str, args: &[i64]| call(rich_function(name, args.len()), &pe, &data, args);
        let int = |i: i64| Some(Returned::Int(i));
        assert_eq!(count("version", &[30729]), int(8));
        assert_eq!(count("version", &[30729, 260]), int(5));
        assert_eq!(count("version", &[27412]), int(2));
        assert_eq!(count("version", &[1]), int(0));
        assert_eq!(count("version", &[-1]), int(0));
        assert_eq!(count("toolid", &[260]), int(7));
        assert_eq!(count("toolid", &[261]), int(3));
        assert_eq!(count("toolid", &[260, 27412]), int(2));
        assert_eq!(count("toolid", &[261, 27412]), int(0));
        // YARA's undefined value as an argument matches anything, and both give 0.
        assert_eq!(count("toolid", &[UNDEFINED, 30729]), int(8));
        assert_eq!(count("version", &[UNDEFINED]), int(0));
    }

    #[test]
    fn without_a_signature_everything_is_undefined() {
        let data = image(0xc0);
        let pe = load(&data).expect("a PE");
        assert_eq!(pe.member("rich_signature"), &Object::Undefined);
        assert_eq!(call(rich_function("version", 1), &pe, &data, &[1]), None);
        assert_eq!(call(rich_function("toolid", 2), &pe, &data, &[1, 2]), None);
        // A key of 0 means no signature.
        let mut data = rich_image();
        put32(&mut data, 0xac, 0);
        assert_eq!(
            load(&data).expect("a PE").member("rich_signature"),
            &Object::Undefined
        );
        // Padding words that differ.
        let mut data = rich_image();
        put32(&mut data, 0x88, KEY ^ 1);
        assert_eq!(
            load(&data).expect("a PE").member("rich_signature"),
            &Object::Undefined
        );
        // `Rich` off the 4-byte grid of the NT headers.
        let mut data = image(0xc2);
        put32(&mut data, 0x80, DANS ^ KEY);
        put32(&mut data, 0x84, KEY);
        put32(&mut data, 0x88, KEY);
        put32(&mut data, 0x8c, KEY);
        put32(&mut data, 0x90, RICH);
        put32(&mut data, 0x94, KEY);
        assert_eq!(
            load(&data).expect("a PE").member("rich_signature"),
            &Object::Undefined
        );
    }

    #[test]
    fn the_checksum_is_yaras() {
        let checksum = checksum_function();
        for (nt, extra) in [(0xc0, 0), (0xc0, 1), (0xc0, 3), (0xc2, 2)] {
            let mut data = if nt == 0xc0 { rich_image() } else { image(nt) };
            data.extend((0..extra).map(|i| 0xf0 + i as u8));
            let pe = load(&data).expect("a PE");
            let expected = reference_checksum(&data, nt + 88);
            assert_eq!(
                call(checksum, &pe, &data, &[]),
                Some(Returned::Int(expected))
            );
        }
        // The aligned field is left out; an unaligned one counts.
        let mut data = rich_image();
        let before = call(checksum, &load(&data).expect("a PE"), &data, &[]);
        put32(&mut data, 0xc0 + 88, 0x1234_5678);
        let after = call(checksum, &load(&data).expect("a PE"), &data, &[]);
        assert_eq!(before, after);
        let mut data = image(0xc2);
        let before = call(checksum, &load(&data).expect("a PE"), &data, &[]);
        put32(&mut data, 0xc2 + 88, 0x1234_5678);
        let after = call(checksum, &load(&data).expect("a PE"), &data, &[]);
        assert_ne!(before, after);
        // Not a PE: undefined.
        let plain = Object::structure();
        assert_eq!(call(checksum, &plain, &data, &[]), None);
    }

    #[test]
    fn the_checksum_folds_carries_and_pads_the_last_word() {
        // 1 + 3 (the word at 4 left out), folded, plus 9 bytes.
        let mut sum = Checksum::new(4);
        sum.feed(&[1, 0, 0, 0, 2, 0, 0, 0, 3]);
        assert_eq!(sum.finish(9), 4 + 9);
        // 0xffffffff + 2 carries into 1 + 1; then 16-bit folding: 2, plus 8 bytes.
        let mut sum = Checksum::new(u64::MAX);
        sum.feed(&[0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0]);
        assert_eq!(sum.finish(8), 2 + 8);
        // 0x0001_fffe folds to 0xffff; plus 4 bytes.
        let mut sum = Checksum::new(u64::MAX);
        sum.feed(&[0xfe, 0xff, 0x01, 0x00]);
        assert_eq!(sum.finish(4), 0xffff + 4);
        // Pieces split anywhere give the same sum.
        let data: Vec<u8> = (0..103u32).map(|i| (i * 37 + 11) as u8).collect();
        let whole = {
            let mut sum = Checksum::new(8);
            sum.feed(&data);
            sum.finish(data.len() as u64)
        };
        for split in [1usize, 2, 3, 5, 7] {
            let mut sum = Checksum::new(8);
            for piece in data.chunks(split) {
                sum.feed(piece);
            }
            assert_eq!(sum.finish(data.len() as u64), whole, "pieces of {split}");
        }
        assert_eq!(whole as i64, reference_checksum(&data, 8));
    }

    #[test]
    fn truncated_and_damaged_images_never_panic() {
        let data = rich_image();
        let version = rich_function("version", 2);
        let checksum = checksum_function();
        for len in 0..data.len() {
            let cut = &data[..len];
            assert!(rich_signature(cut).is_none() || len >= 0xb0);
            if let Some(pe) = load(cut) {
                let _ = call(version, &pe, cut, &[30729, 260]);
                let _ = call(checksum, &pe, cut, &[]);
            }
        }
        for at in 0..0x100 {
            for value in [0x00, 0x80, 0xff] {
                let mut damaged = data.clone();
                if let Some(byte) = damaged.get_mut(at) {
                    *byte = value;
                }
                let _ = rich_signature(&damaged);
                if let Some(pe) = load(&damaged) {
                    let _ = call(version, &pe, &damaged, &[30729, 260]);
                }
            }
        }
    }
}
