//! Exports: `pe.number_of_exports`, `pe.export_details`, `pe.dll_name`,
//! `pe.export_timestamp` and the functions `exports` and `exports_index`, as YARA 4.2.3
//! reads and answers them.
//!
//! # The export directory
//!
//! Data directory 0 gives the relative virtual address and size of an
//! `IMAGE_EXPORT_DIRECTORY` (40 bytes): characteristics, a timestamp, a version, `Name` (the
//! address of the DLL's name), `Base` (the first ordinal), `NumberOfFunctions`,
//! `NumberOfNames`, then the addresses of three arrays: `AddressOfFunctions` (one 4-byte
//! address per exported function, indexed by ordinal minus `Base`), `AddressOfNames` (one
//! 4-byte name address per named export) and `AddressOfNameOrdinals` (one 2-byte function
//! index per name). An address that falls inside the export directory itself is a forwarder:
//! the address of a `DLL.function` string.
//!
//! YARA's reading, kept here:
//!
//! - addresses become file offsets by [`rva_to_offset`] (YARA's `pe_rva_to_offset`);
//!   `number_of_exports` is 0 for any PE, and stays 0 when the directory is missing, its
//!   address is 0 or unmapped, or the 40 bytes do not fit in the file;
//! - `export_timestamp` is then set, and `dll_name` when its address maps to a non-zero
//!   offset: the bytes up to a zero byte or the end of the file, without a length limit;
//! - at most 8192 functions are read (`MAX_PE_EXPORTS`). Nothing more is set (and
//!   `number_of_exports` stays 0) when 4 bytes per function do not fit after the DLL name's
//!   offset (YARA's unsigned arithmetic takes an unmapped name as offset -1), when the names
//!   (if any) are unmapped or do not fit, or when the name-ordinal or function array is
//!   unmapped or does not hold one entry per function;
//! - export `i` has ordinal `Base + i` (32-bit, wrapping); when its address maps strictly
//!   inside the directory's file range it has a `forward_name`, else an `offset` (-1 when
//!   unmapped); its `name` is that of the first name index `j` below `min(NumberOfNames,
//!   number of functions)` whose ordinal entry is `i`, when that name's address maps to a
//!   non-zero offset. Names and forwarders end at a zero byte, the end of the file or 512
//!   bytes (`MAX_EXPORT_NAME_LENGTH`).
//!
//! # Functions
//!
//! `exports(name)`, `exports(/regex/)`, `exports(ordinal)` and `exports_index(name)`,
//! `exports_index(ordinal)`, `exports_index(/regex/)` (YARA's overload orders) walk
//! `export_details` in order. Names compare case-insensitively over their whole length (a
//! zero byte in the argument never matches). A regular expression finds a name when it
//! matches from a position before the name's end, where YARA's scan starts ([`Matcher`]): an
//! empty match at the end alone (`/$/` on `Alpha`) finds nothing, except in an empty name.
//! With no exports, `exports` gives 0 and `exports_index` is undefined. An ordinal of 0 or
//! above `number_of_exports` is never found, whatever the ordinal base (YARA compares it with
//! the count): with `Base` 5, the ordinals 5 to 7 of three exports are never found by
//! ordinal. `exports_index` gives the index of the first export found, undefined when none
//! is. All are undefined for an input that is not a PE.

use super::headers::Headers;
use super::imports::Matcher;
use super::reader::{c_string, le32, slice as bytes};
use super::rva_to_offset;
use crate::scan::modules::schema::{member, Arg, Kind, Member, Overload, Ret};
use crate::scan::modules::{CallArgs, Object, Returned};

/// Most exports YARA reads (`MAX_PE_EXPORTS`).
const MAX_PE_EXPORTS: u32 = 8192;
/// Longest export or forwarder name kept (`MAX_EXPORT_NAME_LENGTH`).
const MAX_EXPORT_NAME_LENGTH: usize = 512;
/// `IMAGE_DIRECTORY_ENTRY_EXPORT`.
const EXPORT_DIRECTORY: usize = 0;
/// Size of an `IMAGE_EXPORT_DIRECTORY`.
const EXPORT_DIRECTORY_SIZE: u64 = 40;

const EXPORT_DETAIL: Kind = Kind::Struct(&[
    member("offset", Kind::Int),
    member("name", Kind::Text),
    member("forward_name", Kind::Text),
    member("ordinal", Kind::Int),
]);

/// The members this part declares, as YARA 4.2.3 does.
pub(super) const MEMBERS: &[Member] = &[
    member(
        "exports",
        Kind::Function(&[
            Overload {
                args: &[Arg::Text],
                ret: Ret::Int,
                call: exports_name,
            },
            Overload {
                args: &[Arg::Regex],
                ret: Ret::Int,
                call: exports_regex,
            },
            Overload {
                args: &[Arg::Int],
                ret: Ret::Int,
                call: exports_ordinal,
            },
        ]),
    ),
    member(
        "exports_index",
        Kind::Function(&[
            Overload {
                args: &[Arg::Text],
                ret: Ret::Int,
                call: exports_index_name,
            },
            Overload {
                args: &[Arg::Int],
                ret: Ret::Int,
                call: exports_index_ordinal,
            },
            Overload {
                args: &[Arg::Regex],
                ret: Ret::Int,
                call: exports_index_regex,
            },
        ]),
    ),
    member("number_of_exports", Kind::Int),
    member("dll_name", Kind::Text),
    member("export_timestamp", Kind::Int),
    member("export_details", Kind::Array(&EXPORT_DETAIL)),
];

/// Sets this part's fields of `pe` (whose header and section fields are already set), for an
/// input of `size` bytes whose first bytes are `data`.
pub(super) fn describe(headers: &Headers<'_>, data: &[u8], size: u64, pe: &mut Object) {
    let mut found = Found::default();
    // Stops where YARA returns early, keeping what was found before.
    let _ = read(headers, data, size, pe, &mut found);
    if let Some(timestamp) = found.timestamp {
        pe.set("export_timestamp", timestamp);
    }
    if let Some(name) = found.dll_name {
        pe.set("dll_name", name);
    }
    let details = found.details.unwrap_or_default();
    pe.set("number_of_exports", details.len() as u64);
    pe.set("export_details", Object::Array(details));
}

/// What the export directory gives, as far as YARA reads it.
#[derive(Default)]
struct Found {
    timestamp: Option<u32>,
    dll_name: Option<Vec<u8>>,
    details: Option<Vec<Object>>,
}

/// Reads the export directory into `found` (YARA's `pe_parse_exports`); None where YARA
/// returns early.
fn read(
    headers: &Headers<'_>,
    data: &[u8],
    size: u64,
    pe: &Object,
    found: &mut Found,
) -> Option<()> {
    let data_size = data.len() as u64;
    let offset = |rva: u32| rva_to_offset(pe, size, u64::from(rva));
    // YARA's `available_space`.
    let available = |at: u64| data_size.saturating_sub(at);
    let (address, length) = headers.directory(data, EXPORT_DIRECTORY)?;
    if address == 0 {
        return None;
    }
    let start = offset(address)?;
    let directory = bytes(data, start, EXPORT_DIRECTORY_SIZE)?;
    let field = |at: usize| le32(directory, at);
    let count = field(20).min(MAX_PE_EXPORTS);
    let base = field(16);
    let names_count = field(24);
    found.timestamp = Some(field(4));
    let name_at = offset(field(12));
    if let Some(at) = name_at.filter(|&at| at > 0) {
        found.dll_name = Some(c_string(data, at, usize::MAX).to_vec());
    }
    // `data_size - offset` in YARA's unsigned arithmetic, an unmapped offset being -1.
    let after_name = data_size.wrapping_sub(name_at.unwrap_or(u64::MAX));
    if u64::from(count) * 4 > after_name {
        return None;
    }
    let names_at = if names_count > 0 {
        let at = offset(field(32))?;
        if u64::from(names_count) * 4 > data_size.wrapping_sub(at) {
            return None;
        }
        Some(at)
    } else {
        None
    };
    let ordinals_at = offset(field(36))?;
    if available(ordinals_at) < 2 * u64::from(count) {
        return None;
    }
    let functions_at = offset(field(28))?;
    if available(functions_at) < 4 * u64::from(count) {
        return None;
    }
    let named = names_count.min(count);
    // For each function index, the first name index naming it.
    let mut first_name: Vec<Option<u32>> = vec![None; count as usize];
    if names_at.is_some() {
        for j in 0..named {
            let at = ordinals_at.saturating_add(2 * u64::from(j));
            let Some(index) = bytes(data, at, 2).and_then(|b| <[u8; 2]>::try_from(b).ok()) else {
                break;
            };
            if let Some(slot) = first_name.get_mut(usize::from(u16::from_le_bytes(index))) {
                slot.get_or_insert(j);
            }
        }
    }
    let end = start.saturating_add(u64::from(length));
    let mut details = Vec::with_capacity(first_name.len());
    for (i, name_index) in (0u32..).zip(first_name) {
        let mut export = Object::structure();
        export.set("ordinal", base.wrapping_add(i));
        let entry = functions_at.saturating_add(4 * u64::from(i));
        let rva = bytes(data, entry, 4).map_or(0, |b| le32(b, 0));
        match offset(rva) {
            Some(at) if at > start && at < end => {
                export.set(
                    "forward_name",
                    c_string(data, at, MAX_EXPORT_NAME_LENGTH).to_vec(),
                );
            }
            at => export.set("offset", at.map_or(-1, |at| at as i64)),
        }
        let name = name_index
            .zip(names_at)
            .and_then(|(j, names)| bytes(data, names.saturating_add(4 * u64::from(j)), 4))
            .and_then(|b| offset(le32(b, 0)))
            .filter(|&at| at > 0);
        if let Some(at) = name {
            export.set("name", c_string(data, at, MAX_EXPORT_NAME_LENGTH).to_vec());
        }
        details.push(export);
    }
    found.details = Some(details);
    Some(())
}

/// The exports of the module's values: `number_of_exports` and `export_details` (None when
/// the input is not a PE).
fn exports(module: &Object) -> Option<(i64, &Object)> {
    let count = module.member("number_of_exports").int()?;
    Some((count, module.member("export_details")))
}

/// The index of the first export whose name satisfies `wanted`.
fn index_by_name(count: i64, details: &Object, wanted: impl Fn(&[u8]) -> bool) -> Option<i64> {
    (0..count)
        .find(|&i| matches!(details.item(i).member("name").text(), Some(name) if wanted(name)))
}

/// The index of the first export of `ordinal`: never for 0 or above the count.
fn index_by_ordinal(count: i64, details: &Object, ordinal: i64) -> Option<i64> {
    if ordinal == 0 || ordinal > count {
        return None;
    }
    (0..count).find(|&i| details.item(i).member("ordinal").int() == Some(ordinal))
}

/// `exports(...)`: 1 when `index` finds an export, else 0.
fn exports_found(
    call: &CallArgs<'_>,
    index: impl Fn(i64, &Object) -> Option<i64>,
) -> Option<Returned> {
    let (count, details) = exports(call.module)?;
    Some(Returned::Int(i64::from(
        count != 0 && index(count, details).is_some(),
    )))
}

/// `exports_index(...)`: the index `index` finds, undefined without exports.
fn exports_index(
    call: &CallArgs<'_>,
    index: impl Fn(i64, &Object) -> Option<i64>,
) -> Option<Returned> {
    let (count, details) = exports(call.module)?;
    if count == 0 {
        return None;
    }
    index(count, details).map(Returned::Int)
}

fn exports_name(call: &CallArgs<'_>) -> Option<Returned> {
    let wanted = call.text(0);
    exports_found(call, |count, details| {
        index_by_name(count, details, |name| name.eq_ignore_ascii_case(wanted))
    })
}

fn exports_regex(call: &CallArgs<'_>) -> Option<Returned> {
    let regex = Matcher::new(call, 0);
    exports_found(call, |count, details| {
        index_by_name(count, details, |name| regex.found(name))
    })
}

fn exports_ordinal(call: &CallArgs<'_>) -> Option<Returned> {
    let ordinal = call.int(0);
    exports_found(call, |count, details| {
        index_by_ordinal(count, details, ordinal)
    })
}

fn exports_index_name(call: &CallArgs<'_>) -> Option<Returned> {
    let wanted = call.text(0);
    exports_index(call, |count, details| {
        index_by_name(count, details, |name| name.eq_ignore_ascii_case(wanted))
    })
}

fn exports_index_ordinal(call: &CallArgs<'_>) -> Option<Returned> {
    let ordinal = call.int(0);
    exports_index(call, |count, details| {
        index_by_ordinal(count, details, ordinal)
    })
}

fn exports_index_regex(call: &CallArgs<'_>) -> Option<Returned> {
    let regex = Matcher::new(call, 0);
    exports_index(call, |count, details| {
        index_by_name(count, details, |name| regex.found(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::modules::{schema, ArgValue, Input};
    use crate::scan::regex::TextRegex;

    fn put(image: &mut [u8], at: usize, bytes: &[u8]) {
        image[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn put16(image: &mut [u8], at: usize, value: u16) {
        put(image, at, &value.to_le_bytes());
    }

    fn put32(image: &mut [u8], at: usize, value: u32) {
        put(image, at, &value.to_le_bytes());
    }

    /// The file offset of `rva` in the section of [`image`].
    fn at(rva: u32) -> usize {
        0x200 + (rva - 0x1000) as usize
    }

    /// A PE32 file of 0x600 bytes: DOS header, NT headers (16 directories, those of
    /// `directories` set as (entry, address, size)) and one section `.data` at address 0x1000,
    /// file offset 0x200, 0x400 bytes.
    fn image(directories: &[(usize, u32, u32)]) -> Vec<u8> {
        let mut b = vec![0u8; 0x600];
        put(&mut b, 0, b"MZ");
        put32(&mut b, 0x3c, 0x40);
        put(&mut b, 0x40, b"PE\0\0");
        let file = 0x44;
        put16(&mut b, file, 0x14c);
        put16(&mut b, file + 2, 1);
        put16(&mut b, file + 16, 0xe0);
        put16(&mut b, file + 18, 0x2102);
        let optional = 0x58;
        put16(&mut b, optional, 0x10b);
        put32(&mut b, optional + 28, 0x1000_0000);
        put32(&mut b, optional + 32, 0x1000);
        put32(&mut b, optional + 36, 0x200);
        put32(&mut b, optional + 56, 0x2000);
        put32(&mut b, optional + 60, 0x200);
        put32(&mut b, optional + 92, 16);
        for &(entry, address, size) in directories {
            put32(&mut b, optional + 96 + 8 * entry, address);
            put32(&mut b, optional + 100 + 8 * entry, size);
        }
        let section = optional + 0xe0;
        put(&mut b, section, b".data");
        put32(&mut b, section + 8, 0x400);
        put32(&mut b, section + 12, 0x1000);
        put32(&mut b, section + 16, 0x400);
        put32(&mut b, section + 20, 0x200);
        put32(&mut b, section + 36, 0x6000_0020);
        b
    }

    /// [`image`] of `test.dll` exporting, from ordinal base 1: `Alpha` (0x1300), a forwarder
    /// to `OTHER.Func`, `Beta` (0x1310) and an unnamed export at address 0.
    fn exports_image() -> Vec<u8> {
        let mut b = image(&[(EXPORT_DIRECTORY, 0x1000, 0x200)]);
        let d = at(0x1000);
        put32(&mut b, d + 4, 0x5f5e_1000);
        put32(&mut b, d + 12, 0x1100);
        put32(&mut b, d + 16, 1);
        put32(&mut b, d + 20, 4);
        put32(&mut b, d + 24, 2);
        put32(&mut b, d + 28, 0x1040);
        put32(&mut b, d + 32, 0x1060);
        put32(&mut b, d + 36, 0x1070);
        for (i, address) in [0x1300, 0x1120, 0x1310, 0].into_iter().enumerate() {
            put32(&mut b, at(0x1040) + 4 * i, address);
        }
        put32(&mut b, at(0x1060), 0x1130);
        put32(&mut b, at(0x1064), 0x1140);
        put16(&mut b, at(0x1070), 2);
        put16(&mut b, at(0x1072), 0);
        put(&mut b, at(0x1100), b"test.dll\0");
        put(&mut b, at(0x1120), b"OTHER.Func\0");
        put(&mut b, at(0x1130), b"Beta\0");
        put(&mut b, at(0x1140), b"Alpha\0");
        b
    }

    /// The module's values for `data` (an input of `size` bytes), when it is a PE.
    fn load(data: &[u8], size: u64) -> Option<Object> {
        let headers = Headers::find(data)?;
        let mut pe = Object::structure();
        headers.describe(data, size, &mut pe);
        describe(&headers, data, size, &mut pe);
        Some(pe)
    }

    /// Calls overload `index` of function `name` over the values `pe`.
    fn call(pe: &Object, name: &str, index: usize, args: &[ArgValue<'_>]) -> Option<Returned> {
        let read = |_: u64, _: u64| -> Option<Vec<u8>> { None };
        let input = Input {
            size: 0,
            read: &read,
            whole: None,
        };
        let member = schema::find(MEMBERS, name).expect("declared");
        let Kind::Function(overloads) = member.kind else {
            panic!("`{name}` is not a function");
        };
        let overload = &overloads[index];
        assert_eq!(overload.args.len(), args.len(), "arguments of `{name}`");
        (overload.call)(&CallArgs {
            module: pe,
            owner: pe,
            input: &input,
            args,
        })
    }

    fn int(value: i64) -> Option<Returned> {
        Some(Returned::Int(value))
    }

    fn regex(text: &[u8]) -> TextRegex {
        TextRegex::compile(text, false, false).unwrap()
    }

    /// Calls every overload once (for inputs that must not panic), with the regular
    /// expressions `any` and `empty` (one that matches the empty string).
    fn exercise(pe: &Object, any: &TextRegex, empty: &TextRegex) {
        for name in ["exports", "exports_index"] {
            let _ = call(pe, name, 0, &[ArgValue::Text(b"a")]);
        }
        let _ = call(pe, "exports", 1, &[ArgValue::Regex(any)]);
        let _ = call(pe, "exports", 2, &[ArgValue::Int(1)]);
        let _ = call(pe, "exports_index", 1, &[ArgValue::Int(1)]);
        let _ = call(pe, "exports_index", 2, &[ArgValue::Regex(empty)]);
    }

    #[test]
    fn declarations_follow_yara() {
        let names: Vec<_> = MEMBERS.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            [
                "exports",
                "exports_index",
                "number_of_exports",
                "dll_name",
                "export_timestamp",
                "export_details"
            ]
        );
        let args = |name: &str| {
            let Kind::Function(overloads) = schema::find(MEMBERS, name).unwrap().kind else {
                panic!("`{name}` is a function");
            };
            overloads.iter().map(|o| o.args).collect::<Vec<_>>()
        };
        assert_eq!(
            args("exports"),
            [&[Arg::Text][..], &[Arg::Regex], &[Arg::Int]]
        );
        assert_eq!(
            args("exports_index"),
            [&[Arg::Text][..], &[Arg::Int], &[Arg::Regex]]
        );
    }

    #[test]
    fn export_fields() {
        let data = exports_image();
        let pe = load(&data, data.len() as u64).unwrap();
        assert_eq!(pe.member("number_of_exports").int(), Some(4));
        assert_eq!(pe.member("dll_name").text(), Some(&b"test.dll"[..]));
        assert_eq!(pe.member("export_timestamp").int(), Some(0x5f5e_1000));
        let details = pe.member("export_details");
        assert_eq!(details.len(), 4);
        let text = |i: i64, field: &str| details.item(i).member(field).text().map(<[u8]>::to_vec);
        let number = |i: i64, field: &str| details.item(i).member(field).int();
        assert_eq!(number(0, "ordinal"), Some(1));
        assert_eq!(number(0, "offset"), Some(0x500));
        assert_eq!(text(0, "name"), Some(b"Alpha".to_vec()));
        assert_eq!(text(0, "forward_name"), None);
        assert_eq!(number(1, "ordinal"), Some(2));
        assert_eq!(number(1, "offset"), None);
        assert_eq!(text(1, "forward_name"), Some(b"OTHER.Func".to_vec()));
        assert_eq!(text(1, "name"), None);
        assert_eq!(number(2, "ordinal"), Some(3));
        assert_eq!(number(2, "offset"), Some(0x510));
        assert_eq!(text(2, "name"), Some(b"Beta".to_vec()));
        assert_eq!(number(3, "ordinal"), Some(4));
        // Address 0 lies below the first section: mapped as is.
        assert_eq!(number(3, "offset"), Some(0));
        assert_eq!(text(3, "name"), None);
    }

    #[test]
    fn export_functions() {
        let data = exports_image();
        let pe = load(&data, data.len() as u64).unwrap();
        let (beta, pha, q) = (regex(b"^Be"), regex(b"pha$"), regex(b"^q"));
        let text = |name: &str, index, t: &[u8]| call(&pe, name, index, &[ArgValue::Text(t)]);
        let number = |name: &str, i: i64| call(&pe, name, 1, &[ArgValue::Int(i)]);
        let re = |name: &str, index, r: &TextRegex| call(&pe, name, index, &[ArgValue::Regex(r)]);
        assert_eq!(text("exports", 0, b"alpha"), int(1));
        assert_eq!(text("exports", 0, b"Alpha\0"), int(0));
        assert_eq!(text("exports", 0, b"Gamma"), int(0));
        assert_eq!(text("exports", 0, b"OTHER.Func"), int(0));
        assert_eq!(re("exports", 1, &beta), int(1));
        assert_eq!(re("exports", 1, &q), int(0));
        let ordinal = |i: i64| call(&pe, "exports", 2, &[ArgValue::Int(i)]);
        assert_eq!(ordinal(3), int(1));
        assert_eq!(ordinal(4), int(1));
        assert_eq!(ordinal(5), int(0));
        assert_eq!(ordinal(0), int(0));
        assert_eq!(text("exports_index", 0, b"BETA"), int(2));
        assert_eq!(text("exports_index", 0, b"x"), None);
        assert_eq!(number("exports_index", 4), int(3));
        assert_eq!(number("exports_index", 9), None);
        assert_eq!(re("exports_index", 2, &pha), int(0));
        assert_eq!(re("exports_index", 2, &q), None);
    }

    #[test]
    fn ordinals_above_the_count_are_never_found() {
        let mut data = exports_image();
        put32(&mut data, at(0x1000) + 16, 5);
        let pe = load(&data, data.len() as u64).unwrap();
        let details = pe.member("export_details");
        assert_eq!(details.item(0).member("ordinal").int(), Some(5));
        assert_eq!(call(&pe, "exports", 2, &[ArgValue::Int(5)]), int(0));
        assert_eq!(call(&pe, "exports", 2, &[ArgValue::Int(4)]), int(0));
        assert_eq!(call(&pe, "exports_index", 1, &[ArgValue::Int(5)]), None);
    }

    #[test]
    fn names_past_the_name_count_are_ignored() {
        let mut data = exports_image();
        put32(&mut data, at(0x1000) + 24, 1);
        let pe = load(&data, data.len() as u64).unwrap();
        let details = pe.member("export_details");
        assert_eq!(details.item(0).member("name"), &Object::Undefined);
        assert_eq!(details.item(2).member("name").text(), Some(&b"Beta"[..]));
    }

    #[test]
    fn early_stops_keep_what_was_read() {
        let mut data = exports_image();
        // Name ordinals at an address past the file.
        put32(&mut data, at(0x1000) + 36, 0x9000);
        let pe = load(&data, data.len() as u64).unwrap();
        assert_eq!(pe.member("number_of_exports").int(), Some(0));
        assert_eq!(pe.member("dll_name").text(), Some(&b"test.dll"[..]));
        assert!(pe.member("export_timestamp").int().is_some());
        assert!(pe.member("export_details").is_empty());
        assert_eq!(call(&pe, "exports", 0, &[ArgValue::Text(b"Alpha")]), int(0));
        assert_eq!(call(&pe, "exports", 2, &[ArgValue::Int(1)]), int(0));
        assert_eq!(
            call(&pe, "exports_index", 0, &[ArgValue::Text(b"Alpha")]),
            None
        );
    }

    #[test]
    fn without_exports() {
        let data = image(&[]);
        let pe = load(&data, data.len() as u64).unwrap();
        assert_eq!(pe.member("number_of_exports").int(), Some(0));
        assert_eq!(pe.member("dll_name"), &Object::Undefined);
        assert_eq!(pe.member("export_timestamp"), &Object::Undefined);
        assert_eq!(call(&pe, "exports", 0, &[ArgValue::Text(b"a")]), int(0));
        assert_eq!(call(&pe, "exports_index", 1, &[ArgValue::Int(1)]), None);
        let module = Object::structure();
        assert_eq!(call(&module, "exports", 0, &[ArgValue::Text(b"a")]), None);
        assert_eq!(call(&module, "exports", 2, &[ArgValue::Int(1)]), None);
    }

    #[test]
    fn truncated_images_do_not_panic() {
        let (any, empty) = (regex(b"."), regex(b"x*"));
        let data = exports_image();
        for len in 0..=data.len() {
            let head = &data[..len];
            for size in [len as u64, data.len() as u64] {
                if let Some(pe) = load(head, size) {
                    exercise(&pe, &any, &empty);
                }
            }
        }
    }

    #[test]
    fn corrupted_images_do_not_panic() {
        let (any, empty) = (regex(b"."), regex(b"x*"));
        let data = exports_image();
        let values = [0, 1, 0x1000, 0x1070, 0x7fff_ffff, 0x8000_0000, u32::MAX];
        for at in (0x200..data.len()).step_by(4) {
            for value in values {
                let mut bad = data.clone();
                put32(&mut bad, at, value);
                let pe = load(&bad, bad.len() as u64).unwrap();
                exercise(&pe, &any, &empty);
            }
        }
    }
}
