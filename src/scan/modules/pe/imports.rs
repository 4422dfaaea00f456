//! Imports: `pe.number_of_imports`, `pe.import_details`, the delayed imports, the `imports`
//! functions and `imphash`, as YARA 4.2.3 reads and answers them.
//!
//! # The import directory
//!
//! Data directory 1 gives the relative virtual address of an array of 20-byte
//! `IMAGE_IMPORT_DESCRIPTOR`s: `OriginalFirstThunk` (the import lookup table), a timestamp,
//! a forwarder chain, `Name` (the address of the DLL's name, a zero-terminated string) and
//! `FirstThunk` (the import address table). The array ends at a descriptor whose `Name` is 0.
//! A lookup table is an array of thunks (4 bytes in PE32, 8 in PE32+) ending with a zero
//! thunk: a thunk with its top bit set imports by ordinal (its low 16 bits), any other is the
//! address of an `IMAGE_IMPORT_BY_NAME` (a 2-byte hint, then the name).
//!
//! YARA's reading, kept here:
//!
//! - addresses become file offsets by [`rva_to_offset`] (YARA's `pe_rva_to_offset`), and a
//!   structure is read only when it fits in the file;
//! - a DLL name is valid when it has at least one byte, ends with a zero byte inside the file
//!   and holds no byte below 0x20 nor any of `"*<>?|`. A descriptor with an invalid name is
//!   skipped and not counted; one whose name address maps outside the file is counted;
//! - the lookup table is `OriginalFirstThunk`'s, or `FirstThunk`'s when the former maps to
//!   offset 0 or outside the file;
//! - at most 16384 descriptors are counted and 16384 thunks read in all (`MAX_PE_IMPORTS`);
//!   a function name is at most 512 bytes, cut at its first zero byte and at the end of the
//!   file; a name that does not fit (its `IMAGE_IMPORT_BY_NAME` past the end) drops the
//!   function, which is still counted;
//! - an import by ordinal is named after the ordinal: by pefile's table for `ws2_32.dll`,
//!   `wsock32.dll` and `oleaut32.dll` (a case-insensitive prefix of the DLL name), else
//!   `ordN`;
//! - `number_of_imports` counts the descriptors read (with valid or unmapped names), and
//!   `number_of_imported_functions` the thunks read. `import_details` lists only the DLLs with
//!   at least one function, in file order;
//! - YARA's `pe_set_imports` never resets its function counter between DLLs: the functions of
//!   the `k`-th DLL sit at the indexes following those of the DLLs before it (the first indexes
//!   of its `functions` are undefined), and its `number_of_functions` is that running total.
//!   So `import_details[1].functions[0]` is undefined whenever DLL 0 has functions;
//! - `ordinal` is set for imports by ordinal only.
//!
//! # The delay-load directory
//!
//! Data directory 13 gives an array of 32-byte `IMAGE_DELAYLOAD_DESCRIPTOR`s: attributes, the
//! name's address, the module handle's, the import address table's, the import name table's,
//! the bound table's, the unload table's and a timestamp. YARA stops at a descriptor all
//! zeros, at attributes above 1, and at one whose name table or address table lies at or past
//! `SizeOfImage` or whose name or name table lies below 64; in a PE32 whose attributes are 0
//! (Visual C++ 6.0), addresses above the image base are virtual addresses and lose it, as do a
//! name table's entries whenever the attributes are 0. A descriptor with an invalid DLL name is
//! skipped. The name and address tables are read side by side until either holds 0 or cannot
//! be read; a name entry with the ordinal flag is an import by ordinal, any other the address
//! of a hint and a name (an empty name when it maps outside the file). YARA 4.2.3 has no limit
//! there; this reads at most 16384 descriptors and 16384 functions, as for standard imports.
//!
//! YARA 4.2.3 counts them in `number_of_delayed_imports` and
//! `number_of_delayed_imported_functions`, but writes the details under a name it does not
//! declare (`delayed_import_details`), so `delay_import_details` (with its member
//! `number_of_function`) is declared and always empty. The `imports` functions with
//! `pe.IMPORT_DELAYED` do see the delayed imports.
//!
//! # Functions
//!
//! In YARA's overload order: `imports(dll, function)`, `imports(dll, ordinal)`,
//! `imports(dll)` (the number of functions imported from that DLL), `imports(/dll/,
//! /function/)` (the number of functions whose DLL and name both match), then the same four
//! with an import-type flag first (`pe.IMPORT_STANDARD` = 1, `pe.IMPORT_DELAYED` = 2, any mix of
//! those bits). The forms without a flag read standard imports only. DLL and function names
//! compare case-insensitively (YARA's `strcasecmp`), as C strings: a text argument ends at its
//! first zero byte. A regular expression counts a name only when a match ends past the name's
//! first byte (YARA tests `yr_re_match(...) > 0`, the end of the match): a match of the empty
//! string at the start alone (`/^/`) does not count, nor does anything in an empty name.
//!
//! `imphash()` is the MD5 (lowercase hex) of the standard imports as `dll.function` entries
//! joined by commas, lowercased, where the DLL name loses everything from its first dot when
//! that dot starts `.dll`, `.ocx` or `.sys` (any case).
//!
//! The functions read lists that [`describe`] stores in the module's values under member names
//! that are not identifiers (`#imports`, `#delayed_imports`), so no rule can name them: YARA's
//! functions likewise read its internal lists, not `import_details`. [`Matcher`] (shared with
//! the exports) reproduces YARA's `yr_re_match` results from the crate's regular expressions.
//!
//! # Bounds beyond YARA's
//!
//! Memory stays bounded on hostile input: DLL names (each up to the file's size) are kept up
//! to 16 MiB in all, a DLL past that is counted but not listed; the running-total indexes of
//! `import_details` take at most 2^20 array items in all, a DLL past that has no `functions`
//! array. Where many descriptors name overlapping long runs of bytes, each byte of a run is
//! scanned once. Regular expressions see whole DLL names, where YARA stops matching after
//! 4096 bytes.

use super::headers::Headers;
use super::reader::{c_string, le32, slice as bytes};
use super::rva_to_offset;
use crate::scan::modules::schema::{member, Arg, Kind, Member, Overload, Ret};
use crate::scan::modules::{ArgValue, CallArgs, Object, Returned};
use crate::scan::regex::{hir, syntax, TextRegex};
use md5::{Digest, Md5};
use regex_automata::meta::Regex;
use regex_automata::nfa::thompson::WhichCaptures;
use std::collections::BTreeMap;

/// Most import descriptors counted, and thunks read in all (YARA's `MAX_PE_IMPORTS`).
const MAX_PE_IMPORTS: usize = 16384;
/// Longest function name kept.
const MAX_FUNCTION_NAME: usize = 512;
/// Most bytes of DLL names kept in the lists (a bound of this crate, not YARA's).
const MAX_NAME_BYTES: usize = 16 << 20;
/// Most items of all `import_details[i].functions` arrays together (a bound of this crate).
const MAX_DETAIL_ITEMS: usize = 1 << 20;
/// `IMAGE_DIRECTORY_ENTRY_IMPORT`.
const IMPORT_DIRECTORY: usize = 1;
/// `IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT`.
const DELAY_IMPORT_DIRECTORY: usize = 13;
/// Size of an `IMAGE_IMPORT_DESCRIPTOR`.
const IMPORT_DESCRIPTOR_SIZE: u64 = 20;
/// Size of an `IMAGE_DELAYLOAD_DESCRIPTOR`.
const DELAY_DESCRIPTOR_SIZE: u64 = 32;
/// Size of an `IMAGE_IMPORT_BY_NAME` (hint, one name byte, padding).
const IMPORT_BY_NAME_SIZE: u64 = 4;
/// Size of an `IMAGE_DOS_HEADER`: delayed names and name tables below it are invalid.
const DOS_HEADER_SIZE: u32 = 64;
/// The PE32+ optional header magic.
const OPTIONAL_HEADER_64_MAGIC: u16 = 0x20b;
/// `IMAGE_ORDINAL_FLAG32`.
const ORDINAL_FLAG_32: u64 = 0x8000_0000;
/// `IMAGE_ORDINAL_FLAG64`.
const ORDINAL_FLAG_64: u64 = 0x8000_0000_0000_0000;
/// YARA's `YR_UNDEFINED`: a delay-load table entry holding it ends the table.
const YR_UNDEFINED: u64 = 0xFFFA_BADA_FABA_DAFF;
/// `pe.IMPORT_STANDARD`.
const IMPORT_STANDARD: i64 = 1;
/// `pe.IMPORT_DELAYED`.
const IMPORT_DELAYED: i64 = 2;
/// Shortest run of DLL-name bytes [`NameRuns`] remembers.
const MIN_REMEMBERED_RUN: usize = 64;
/// Lowercase hexadecimal digits.
const HEX: &[u8; 16] = b"0123456789abcdef";
/// The internal list of standard imports the functions read.
const STANDARD: &str = "#imports";
/// The internal list of delayed imports the functions read.
const DELAYED: &str = "#delayed_imports";

const FUNCTION: Kind = Kind::Struct(&[member("name", Kind::Text), member("ordinal", Kind::Int)]);

const IMPORT_DETAIL: Kind = Kind::Struct(&[
    member("library_name", Kind::Text),
    member("number_of_functions", Kind::Int),
    member("functions", Kind::Array(&FUNCTION)),
]);

/// As YARA 4.2.3 declares it (`number_of_function`, singular); it is never filled.
const DELAY_IMPORT_DETAIL: Kind = Kind::Struct(&[
    member("library_name", Kind::Text),
    member("number_of_function", Kind::Int),
    member("functions", Kind::Array(&FUNCTION)),
]);

/// The members this part declares, as YARA 4.2.3 does (the `IMPORT_*` constants are declared
/// with the module's constants).
pub(super) const MEMBERS: &[Member] = &[
    member(
        "imphash",
        Kind::Function(&[Overload {
            args: &[],
            ret: Ret::Text,
            call: imphash,
        }]),
    ),
    member(
        "imports",
        Kind::Function(&[
            Overload {
                args: &[Arg::Text, Arg::Text],
                ret: Ret::Int,
                call: imports_function,
            },
            Overload {
                args: &[Arg::Text, Arg::Int],
                ret: Ret::Int,
                call: imports_ordinal,
            },
            Overload {
                args: &[Arg::Text],
                ret: Ret::Int,
                call: imports_dll,
            },
            Overload {
                args: &[Arg::Regex, Arg::Regex],
                ret: Ret::Int,
                call: imports_regex,
            },
            Overload {
                args: &[Arg::Int, Arg::Text, Arg::Text],
                ret: Ret::Int,
                call: imports_typed_function,
            },
            Overload {
                args: &[Arg::Int, Arg::Text, Arg::Int],
                ret: Ret::Int,
                call: imports_typed_ordinal,
            },
            Overload {
                args: &[Arg::Int, Arg::Text],
                ret: Ret::Int,
                call: imports_typed_dll,
            },
            Overload {
                args: &[Arg::Int, Arg::Regex, Arg::Regex],
                ret: Ret::Int,
                call: imports_typed_regex,
            },
        ]),
    ),
    member("number_of_imports", Kind::Int),
    member("number_of_imported_functions", Kind::Int),
    member("number_of_delayed_imports", Kind::Int),
    member("number_of_delayed_imported_functions", Kind::Int),
    member("import_details", Kind::Array(&IMPORT_DETAIL)),
    member("delay_import_details", Kind::Array(&DELAY_IMPORT_DETAIL)),
];

/// Sets this part's fields of `pe` (whose header and section fields are already set), for an
/// input of `size` bytes whose first bytes are `data`.
pub(super) fn describe(headers: &Headers<'_>, data: &[u8], size: u64, pe: &mut Object) {
    let (standard, delayed) = {
        let mut reader = Reader::new(headers, data, size, pe);
        let standard = reader.standard(headers);
        let delayed = reader.delayed(headers);
        (standard, delayed)
    };
    pe.set("number_of_imports", standard.dlls_counted as u64);
    pe.set(
        "number_of_imported_functions",
        standard.functions_counted as u64,
    );
    pe.set("import_details", import_details(&standard.dlls));
    pe.set("number_of_delayed_imports", delayed.dlls_counted as u64);
    pe.set(
        "number_of_delayed_imported_functions",
        delayed.functions_counted as u64,
    );
    pe.set("delay_import_details", Object::Array(Vec::new()));
    pe.set(STANDARD, internal_list(standard.dlls));
    pe.set(DELAYED, internal_list(delayed.dlls));
}

/// An imported function.
struct Function {
    /// Its name (by ordinal: the name of the ordinal).
    name: Vec<u8>,
    /// Its ordinal, when imported by ordinal.
    ordinal: Option<u16>,
}

/// A DLL and the functions imported from it.
struct Dll {
    name: Vec<u8>,
    functions: Vec<Function>,
}

/// One kind of imports as read.
#[derive(Default)]
struct Imports {
    /// Descriptors counted (`number_of_imports`, `number_of_delayed_imports`).
    dlls_counted: usize,
    /// Functions counted.
    functions_counted: usize,
    /// The DLLs listed.
    dlls: Vec<Dll>,
}

/// Reads the import tables of one file.
struct Reader<'a> {
    data: &'a [u8],
    pe: &'a Object,
    size: u64,
    wide: bool,
    image_base: u64,
    size_of_image: u64,
    names: NameRuns<'a>,
    name_budget: usize,
}

impl<'a> Reader<'a> {
    fn new(headers: &Headers<'_>, data: &'a [u8], size: u64, pe: &'a Object) -> Self {
        let field = |name: &str| pe.member(name).int().map_or(0, |v| v as u64);
        Self {
            data,
            pe,
            size,
            wide: headers.optional.magic == OPTIONAL_HEADER_64_MAGIC,
            image_base: field("image_base"),
            size_of_image: field("size_of_image"),
            names: NameRuns {
                data,
                runs: BTreeMap::new(),
            },
            name_budget: MAX_NAME_BYTES,
        }
    }

    /// The file offset of `rva`.
    fn offset(&self, rva: u64) -> Option<u64> {
        rva_to_offset(self.pe, self.size, rva)
    }

    /// A thunk or table entry (4 or 8 bytes) at file offset `at`.
    fn pointer(&self, at: u64) -> Option<u64> {
        if self.wide {
            bytes(self.data, at, 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes)
        } else {
            bytes(self.data, at, 4)
                .and_then(|b| b.try_into().ok())
                .map(|b| u64::from(u32::from_le_bytes(b)))
        }
    }

    /// The valid DLL name at file offset `at` (YARA's `pe_valid_dll_name`).
    fn dll_name(&mut self, at: u64) -> Option<&'a [u8]> {
        let data = self.data;
        let at = usize::try_from(at).ok()?;
        let stop = self.names.stop(at);
        if stop > at && data.get(stop) == Some(&0) {
            data.get(at..stop)
        } else {
            None
        }
    }

    /// Lists `name` with `functions`, while the name budget lasts.
    fn keep(&mut self, dlls: &mut Vec<Dll>, name: &[u8], functions: Vec<Function>) {
        if let Some(left) = self.name_budget.checked_sub(name.len()) {
            self.name_budget = left;
            dlls.push(Dll {
                name: name.to_vec(),
                functions,
            });
        }
    }

    /// The standard imports (YARA's `pe_parse_imports`).
    fn standard(&mut self, headers: &Headers<'_>) -> Imports {
        let data = self.data;
        let mut imports = Imports::default();
        let Some((address, _)) = headers.directory(data, IMPORT_DIRECTORY) else {
            return imports;
        };
        if address == 0 {
            return imports;
        }
        let Some(mut at) = self.offset(u64::from(address)) else {
            return imports;
        };
        while imports.dlls_counted < MAX_PE_IMPORTS {
            let Some(descriptor) = bytes(data, at, IMPORT_DESCRIPTOR_SIZE) else {
                break;
            };
            let name_rva = le32(descriptor, 12);
            if name_rva == 0 {
                break;
            }
            at = at.saturating_add(IMPORT_DESCRIPTOR_SIZE);
            if let Some(name_at) = self.offset(u64::from(name_rva)) {
                let Some(dll) = self.dll_name(name_at) else {
                    // Skipped without being counted.
                    continue;
                };
                let functions = self.thunks(descriptor, dll, &mut imports.functions_counted);
                if !functions.is_empty() {
                    self.keep(&mut imports.dlls, dll, functions);
                }
            }
            imports.dlls_counted += 1;
        }
        imports
    }

    /// The functions of one import descriptor (YARA's `pe_parse_import_descriptor`), counting
    /// each thunk read in `counted`.
    fn thunks(&self, descriptor: &[u8], dll: &[u8], counted: &mut usize) -> Vec<Function> {
        let mut functions = Vec::new();
        let table = match self.offset(u64::from(le32(descriptor, 0))) {
            Some(offset) if offset > 0 => Some(offset),
            _ => self.offset(u64::from(le32(descriptor, 16))),
        };
        let Some(mut at) = table else {
            return functions;
        };
        let (step, flag) = if self.wide {
            (8, ORDINAL_FLAG_64)
        } else {
            (4, ORDINAL_FLAG_32)
        };
        while *counted < MAX_PE_IMPORTS {
            let Some(thunk) = self.pointer(at) else {
                break;
            };
            if thunk == 0 {
                break;
            }
            if thunk & flag == 0 {
                if let Some(name) = self.offset(thunk).and_then(|o| self.import_by_name(o)) {
                    functions.push(Function {
                        name,
                        ordinal: None,
                    });
                }
            } else {
                let ordinal = (thunk & 0xffff) as u16;
                functions.push(Function {
                    name: ordinal_name(dll, ordinal),
                    ordinal: Some(ordinal),
                });
            }
            *counted += 1;
            at = at.saturating_add(step);
        }
        functions
    }

    /// The name of the `IMAGE_IMPORT_BY_NAME` at file offset `at`, when the structure fits.
    fn import_by_name(&self, at: u64) -> Option<Vec<u8>> {
        bytes(self.data, at, IMPORT_BY_NAME_SIZE)?;
        Some(c_string(self.data, at.saturating_add(2), MAX_FUNCTION_NAME).to_vec())
    }

    /// YARA's `pe_normalize_delay_import_value`: a virtual address above the image base
    /// becomes relative to it.
    fn normalize(&self, value: u64) -> u64 {
        if value != 0 && value > self.image_base {
            value - self.image_base
        } else {
            value
        }
    }

    /// A delay-load table entry at `rva` (YARA's `pe_parse_delay_import_pointer`): None when it
    /// cannot be read, or holds YARA's undefined value.
    fn delay_pointer(&self, rva: u64) -> Option<u64> {
        let at = self.offset(rva)?;
        self.pointer(at).filter(|&value| value != YR_UNDEFINED)
    }

    /// The delayed imports (YARA's `pe_parse_delayed_imports`, with this crate's limits).
    fn delayed(&mut self, headers: &Headers<'_>) -> Imports {
        let data = self.data;
        let mut imports = Imports::default();
        let Some((address, _)) = headers.directory(data, DELAY_IMPORT_DIRECTORY) else {
            return imports;
        };
        if address == 0 {
            return imports;
        }
        let Some(mut at) = self.offset(u64::from(address)) else {
            return imports;
        };
        let (step, flag) = if self.wide {
            (8u64, ORDINAL_FLAG_64)
        } else {
            (4u64, ORDINAL_FLAG_32)
        };
        while imports.dlls_counted < MAX_PE_IMPORTS {
            let Some(descriptor) = bytes(data, at, DELAY_DESCRIPTOR_SIZE) else {
                break;
            };
            at = at.saturating_add(DELAY_DESCRIPTOR_SIZE);
            let field = |i: usize| le32(descriptor, 4 * i);
            if (0..8).all(|i| field(i) == 0) {
                break;
            }
            let attributes = field(0);
            if attributes > 1 {
                break;
            }
            // Visual C++ 6.0 descriptors of PE32 files hold virtual addresses.
            let old = !self.wide && attributes == 0;
            let fix = |value: u32| {
                if old {
                    self.normalize(u64::from(value)) as u32
                } else {
                    value
                }
            };
            let name_rva = fix(field(1));
            let address_table = fix(field(3));
            let name_table = fix(field(4));
            if u64::from(name_table) >= self.size_of_image
                || u64::from(address_table) >= self.size_of_image
                || name_rva < DOS_HEADER_SIZE
                || name_table < DOS_HEADER_SIZE
            {
                break;
            }
            let Some(name_at) = self.offset(u64::from(name_rva)) else {
                continue;
            };
            let Some(dll) = self.dll_name(name_at) else {
                continue;
            };
            let mut functions = Vec::new();
            let (mut name_entry, mut address_entry) =
                (u64::from(name_table), u64::from(address_table));
            while imports.functions_counted < MAX_PE_IMPORTS {
                let (Some(name_address), Some(function_address)) = (
                    self.delay_pointer(name_entry),
                    self.delay_pointer(address_entry),
                ) else {
                    break;
                };
                if name_address == 0 || function_address == 0 {
                    break;
                }
                if name_address & flag == 0 {
                    let rva = if attributes == 0 {
                        self.normalize(name_address)
                    } else {
                        name_address
                    };
                    // Past the hint; a name outside the file is empty.
                    let name = self
                        .offset(rva.wrapping_add(2))
                        .map(|o| c_string(data, o, MAX_FUNCTION_NAME).to_vec())
                        .unwrap_or_default();
                    functions.push(Function {
                        name,
                        ordinal: None,
                    });
                } else {
                    let ordinal = (name_address & 0xffff) as u16;
                    functions.push(Function {
                        name: ordinal_name(dll, ordinal),
                        ordinal: Some(ordinal),
                    });
                }
                imports.functions_counted += 1;
                name_entry = name_entry.wrapping_add(step);
                address_entry = address_entry.wrapping_add(step);
            }
            imports.dlls_counted += 1;
            self.keep(&mut imports.dlls, dll, functions);
        }
        imports
    }
}

/// Where runs of DLL-name bytes end, remembered so that the bytes of a long run are scanned
/// once however many descriptors point into it.
struct NameRuns<'a> {
    data: &'a [u8],
    /// Start of a run of at least [`MIN_REMEMBERED_RUN`] bytes → the offset of the first byte
    /// at or after it that ends a name (or the length of the data when none does). Runs are
    /// disjoint.
    runs: BTreeMap<usize, usize>,
}

impl NameRuns<'_> {
    /// The offset of the first byte at or after `at` that ends or spoils a DLL name: a zero
    /// byte, a control byte or one of `"*<>?|` (the data's length when there is none).
    fn stop(&mut self, at: usize) -> usize {
        let len = self.data.len();
        if at >= len {
            return len;
        }
        if let Some((_, &end)) = self.runs.range(..=at).next_back() {
            if at <= end {
                return end;
            }
        }
        let next = self
            .runs
            .range(at + 1..)
            .next()
            .map(|(&start, &end)| (start, end));
        let limit = next.map_or(len, |(start, _)| start);
        let scanned = self.data.get(at..limit).unwrap_or_default();
        let end = match scanned.iter().position(|&b| ends_name(b)) {
            Some(p) => at + p,
            None => match next {
                // The run continues into the next one: merge them.
                Some((start, end)) => {
                    self.runs.remove(&start);
                    end
                }
                None => len,
            },
        };
        // Short runs cost little to scan again; long ones are remembered (so at most one
        // entry per 64 bytes of data).
        if end - at >= MIN_REMEMBERED_RUN {
            self.runs.insert(at, end);
        }
        end
    }
}

/// Whether byte `b` ends (a zero byte) or spoils a DLL name.
fn ends_name(b: u8) -> bool {
    b < 0x20 || matches!(b, b'"' | b'*' | b'<' | b'>' | b'?' | b'|')
}

/// The name YARA gives an import by ordinal (its `ord_lookup`).
fn ordinal_name(dll: &[u8], ordinal: u16) -> Vec<u8> {
    let starts_with = |prefix: &[u8]| {
        dll.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    let table = if starts_with(b"ws2_32.dll") || starts_with(b"wsock32.dll") {
        WS2_32
    } else if starts_with(b"oleaut32.dll") {
        OLEAUT32
    } else {
        &[]
    };
    table
        .iter()
        .rev()
        .find(|(first, _)| *first <= ordinal)
        .and_then(|(first, names)| names.split(' ').nth(usize::from(ordinal - first)))
        .map_or_else(
            || format!("ord{ordinal}").into_bytes(),
            |name| name.as_bytes().to_vec(),
        )
}

/// `import_details`: YARA's `pe_set_imports`, whose function counter runs on across DLLs.
fn import_details(dlls: &[Dll]) -> Object {
    let mut items = Vec::with_capacity(dlls.len());
    let mut before = 0usize;
    let mut budget = MAX_DETAIL_ITEMS;
    for dll in dlls {
        let total = before + dll.functions.len();
        let mut detail = Object::structure();
        detail.set("library_name", dll.name.clone());
        detail.set("number_of_functions", total as u64);
        if let Some(left) = budget.checked_sub(total) {
            budget = left;
            let mut functions = vec![Object::Undefined; before];
            functions.extend(dll.functions.iter().map(function_object));
            detail.set("functions", Object::Array(functions));
        }
        items.push(detail);
        before = total;
    }
    Object::Array(items)
}

/// One imported function as a structure: `name`, and `ordinal` when imported by ordinal.
fn function_object(function: &Function) -> Object {
    let mut o = Object::structure();
    o.set("name", function.name.clone());
    if let Some(ordinal) = function.ordinal {
        o.set("ordinal", ordinal);
    }
    o
}

/// The internal list the functions read: per DLL, `name` and `functions` (without the
/// running-total indexes).
fn internal_list(dlls: Vec<Dll>) -> Object {
    Object::Array(
        dlls.into_iter()
            .map(|dll| {
                let mut o = Object::structure();
                o.set("name", dll.name);
                o.set(
                    "functions",
                    Object::Array(dll.functions.iter().map(function_object).collect()),
                );
                o
            })
            .collect(),
    )
}

/// The internal list `which` of the module's values: None when the input is not a PE file.
fn list<'o>(module: &'o Object, which: &str) -> Option<&'o [Object]> {
    match module.member(which) {
        Object::Array(items) => Some(items),
        _ => None,
    }
}

/// The functions of a DLL of an internal list.
fn functions(dll: &Object) -> &[Object] {
    match dll.member("functions") {
        Object::Array(items) => items,
        _ => &[],
    }
}

/// The name of a DLL or function of an internal list.
fn name_of(o: &Object) -> &[u8] {
    o.member("name").text().unwrap_or_default()
}

/// A text argument as the C string YARA passes on: up to its first zero byte.
fn c_argument(text: &[u8]) -> &[u8] {
    text.split(|&b| b == 0).next().unwrap_or_default()
}

/// The DLLs named `dll` (case-insensitively) of `dlls`.
fn named<'o>(dlls: &'o [Object], dll: &'o [u8]) -> impl Iterator<Item = &'o Object> {
    dlls.iter()
        .filter(move |d| name_of(d).eq_ignore_ascii_case(dll))
}

/// YARA's `pe_imports`: whether `function` is imported from `dll`.
fn has_function(dlls: &[Object], dll: &[u8], function: &[u8]) -> bool {
    named(dlls, dll).any(|d| {
        functions(d)
            .iter()
            .any(|f| name_of(f).eq_ignore_ascii_case(function))
    })
}

/// YARA's `pe_imports_ordinal`: whether `ordinal` is imported from `dll`.
fn has_ordinal(dlls: &[Object], dll: &[u8], ordinal: i64) -> bool {
    named(dlls, dll).any(|d| {
        functions(d)
            .iter()
            .any(|f| f.member("ordinal").int() == Some(ordinal))
    })
}

/// YARA's `pe_imports_dll`: how many functions are imported from `dll`.
fn count_dll(dlls: &[Object], dll: &[u8]) -> i64 {
    named(dlls, dll).map(|d| functions(d).len() as i64).sum()
}

/// YARA's `pe_imports_regexp`: how many functions match `function` in DLLs matching `dll`.
fn count_regex(dlls: &[Object], dll: &Matcher<'_>, function: &Matcher<'_>) -> i64 {
    dlls.iter()
        .filter(|d| dll.counts(name_of(d)))
        .map(|d| {
            functions(d)
                .iter()
                .filter(|f| function.counts(name_of(f)))
                .count() as i64
        })
        .sum()
}

/// A regular-expression argument matched as YARA's `yr_re_match`, which scans from each
/// position before the end of a text and gives the end of the match it settles on, or -1.
pub(super) struct Matcher<'r> {
    regex: Option<&'r TextRegex>,
    /// For an expression that can match the empty string: a searcher reporting match spans,
    /// to tell apart the empty matches YARA does not see or does not count.
    spans: Option<Regex>,
}

impl<'r> Matcher<'r> {
    /// The matcher of regular-expression argument `i` of `call`.
    pub(super) fn new(call: &CallArgs<'r>, i: usize) -> Self {
        let regex = call.args.get(i).and_then(ArgValue::regex);
        Self {
            regex,
            spans: regex.and_then(empty_capable),
        }
    }

    /// `yr_re_match(regex, text) != -1` (as `exports` tests it): a match starts before the
    /// end of `text`, or `text` is empty and matches.
    pub(super) fn found(&self, text: &[u8]) -> bool {
        let Some(regex) = self.regex else {
            return false;
        };
        match &self.spans {
            // Every match is at least one byte long, so it starts before the end.
            None => regex.is_match(text),
            // The leftmost match starts first.
            Some(spans) => spans
                .find(text)
                .is_some_and(|m| m.start() < text.len() || text.is_empty()),
        }
    }

    /// `yr_re_match(regex, text) > 0` (as `imports` tests it): a match ends past the first
    /// byte of `text`.
    pub(super) fn counts(&self, text: &[u8]) -> bool {
        let Some(regex) = self.regex else {
            return false;
        };
        if text.is_empty() {
            return false;
        }
        match &self.spans {
            // Every match is at least one byte long, so it ends past the first byte.
            None => regex.is_match(text),
            // After an empty match at the start (YARA's first fiber matching at once), the
            // search goes on from the next byte, as YARA's fibers started there do.
            Some(spans) => spans
                .find_iter(text)
                .take_while(|m| m.start() < text.len())
                .any(|m| m.end() > 0),
        }
    }
}

/// A span-reporting searcher for `regex` when it can match the empty string (None when it
/// cannot, or cannot be built).
fn empty_capable(regex: &TextRegex) -> Option<Regex> {
    let (text, nocase, dot_all) = regex.source();
    let parsed = syntax::parse(text).ok()?;
    let tree = hir::translate(
        &parsed.root,
        hir::Mode {
            nocase,
            dot_all,
            wide: false,
        },
    );
    if tree.properties().minimum_len() != Some(0) {
        return None;
    }
    Regex::builder()
        .configure(
            Regex::config()
                .utf8_empty(false)
                .which_captures(WhichCaptures::Implicit),
        )
        .build_from_hir(&tree)
        .ok()
}

/// The standard and delayed lists selected by import-type `flags`.
fn selected(module: &Object, flags: i64) -> Option<[&[Object]; 2]> {
    let standard = list(module, STANDARD)?;
    let delayed = list(module, DELAYED)?;
    Some([
        if flags & IMPORT_STANDARD != 0 {
            standard
        } else {
            &[]
        },
        if flags & IMPORT_DELAYED != 0 {
            delayed
        } else {
            &[]
        },
    ])
}

fn imports_function(call: &CallArgs<'_>) -> Option<Returned> {
    let standard = list(call.module, STANDARD)?;
    let (dll, function) = (c_argument(call.text(0)), c_argument(call.text(1)));
    Some(Returned::Int(i64::from(has_function(
        standard, dll, function,
    ))))
}

fn imports_ordinal(call: &CallArgs<'_>) -> Option<Returned> {
    let standard = list(call.module, STANDARD)?;
    let dll = c_argument(call.text(0));
    Some(Returned::Int(i64::from(has_ordinal(
        standard,
        dll,
        call.int(1),
    ))))
}

fn imports_dll(call: &CallArgs<'_>) -> Option<Returned> {
    let standard = list(call.module, STANDARD)?;
    Some(Returned::Int(count_dll(standard, c_argument(call.text(0)))))
}

fn imports_regex(call: &CallArgs<'_>) -> Option<Returned> {
    let standard = list(call.module, STANDARD)?;
    let (dll, function) = (Matcher::new(call, 0), Matcher::new(call, 1));
    Some(Returned::Int(count_regex(standard, &dll, &function)))
}

fn imports_typed_function(call: &CallArgs<'_>) -> Option<Returned> {
    let lists = selected(call.module, call.int(0))?;
    let (dll, function) = (c_argument(call.text(1)), c_argument(call.text(2)));
    let found = lists.iter().any(|l| has_function(l, dll, function));
    Some(Returned::Int(i64::from(found)))
}

fn imports_typed_ordinal(call: &CallArgs<'_>) -> Option<Returned> {
    let lists = selected(call.module, call.int(0))?;
    let (dll, ordinal) = (c_argument(call.text(1)), call.int(2));
    let found = lists.iter().any(|l| has_ordinal(l, dll, ordinal));
    Some(Returned::Int(i64::from(found)))
}

fn imports_typed_dll(call: &CallArgs<'_>) -> Option<Returned> {
    let lists = selected(call.module, call.int(0))?;
    let dll = c_argument(call.text(1));
    Some(Returned::Int(lists.iter().map(|l| count_dll(l, dll)).sum()))
}

fn imports_typed_regex(call: &CallArgs<'_>) -> Option<Returned> {
    let lists = selected(call.module, call.int(0))?;
    let (dll, function) = (Matcher::new(call, 1), Matcher::new(call, 2));
    let count: i64 = lists.iter().map(|l| count_regex(l, &dll, &function)).sum();
    Some(Returned::Int(count))
}

/// One `imphash` entry: `dll.function` lowercased, the DLL name cut at its first dot when
/// that dot starts `.dll`, `.ocx` or `.sys`.
fn imphash_entry(dll: &[u8], function: &[u8]) -> Vec<u8> {
    let stem = match dll.iter().position(|&b| b == b'.') {
        Some(dot)
            if dll.get(dot..dot + 4).is_some_and(|ext| {
                [&b".ocx"[..], b".sys", b".dll"]
                    .iter()
                    .any(|known| ext.eq_ignore_ascii_case(known))
            }) =>
        {
            dll.get(..dot).unwrap_or_default()
        }
        _ => dll,
    };
    let mut entry = stem.to_ascii_lowercase();
    entry.push(b'.');
    entry.extend(function.to_ascii_lowercase());
    entry
}

fn imphash(call: &CallArgs<'_>) -> Option<Returned> {
    let standard = list(call.module, STANDARD)?;
    let mut md5 = Md5::new();
    let mut first = true;
    for dll in standard {
        for function in functions(dll) {
            if !first {
                md5.update(b",");
            }
            md5.update(imphash_entry(name_of(dll), name_of(function)));
            first = false;
        }
    }
    let digest = md5.finalize();
    let text: Vec<u8> = digest
        .iter()
        .flat_map(|&b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]])
        .collect();
    Some(Returned::Text(text))
}

// pefile's names for the ordinals YARA's `ord_lookup` knows: runs of consecutive ordinals, each
// as its first ordinal and its names separated by spaces.

/// `ws2_32.dll` and `wsock32.dll`.
const WS2_32: &[(u16, &str)] = &[
    (
        1,
        "accept bind closesocket connect getpeername getsockname getsockopt htonl htons \
         ioctlsocket inet_addr inet_ntoa listen ntohl ntohs recv recvfrom select send \
         sendto setsockopt shutdown socket GetAddrInfoW GetNameInfoW WSApSetPostRoutine \
         FreeAddrInfoW WPUCompleteOverlappedRequest WSAAccept WSAAddressToStringA \
         WSAAddressToStringW WSACloseEvent WSAConnect WSACreateEvent WSADuplicateSocketA \
         WSADuplicateSocketW WSAEnumNameSpaceProvidersA WSAEnumNameSpaceProvidersW \
         WSAEnumNetworkEvents WSAEnumProtocolsA WSAEnumProtocolsW WSAEventSelect \
         WSAGetOverlappedResult WSAGetQOSByName WSAGetServiceClassInfoA \
         WSAGetServiceClassInfoW WSAGetServiceClassNameByClassIdA \
         WSAGetServiceClassNameByClassIdW WSAHtonl WSAHtons gethostbyaddr gethostbyname \
         getprotobyname getprotobynumber getservbyname getservbyport gethostname \
         WSAInstallServiceClassA WSAInstallServiceClassW WSAIoctl WSAJoinLeaf \
         WSALookupServiceBeginA WSALookupServiceBeginW WSALookupServiceEnd \
         WSALookupServiceNextA WSALookupServiceNextW WSANSPIoctl WSANtohl WSANtohs \
         WSAProviderConfigChange WSARecv WSARecvDisconnect WSARecvFrom \
         WSARemoveServiceClass WSAResetEvent WSASend WSASendDisconnect WSASendTo \
         WSASetEvent WSASetServiceA WSASetServiceW WSASocketA WSASocketW \
         WSAStringToAddressA WSAStringToAddressW WSAWaitForMultipleEvents \
         WSCDeinstallProvider WSCEnableNSProvider WSCEnumProtocols WSCGetProviderPath \
         WSCInstallNameSpace WSCInstallProvider WSCUnInstallNameSpace WSCUpdateProvider \
         WSCWriteNameSpaceOrder WSCWriteProviderOrder freeaddrinfo getaddrinfo \
         getnameinfo",
    ),
    (
        101,
        "WSAAsyncSelect WSAAsyncGetHostByAddr WSAAsyncGetHostByName \
         WSAAsyncGetProtoByNumber WSAAsyncGetProtoByName WSAAsyncGetServByPort \
         WSAAsyncGetServByName WSACancelAsyncRequest WSASetBlockingHook \
         WSAUnhookBlockingHook WSAGetLastError WSASetLastError WSACancelBlockingCall \
         WSAIsBlocking WSAStartup WSACleanup",
    ),
    (151, "__WSAFDIsSet"),
    (500, "WEP"),
];
/// `oleaut32.dll`.
const OLEAUT32: &[(u16, &str)] = &[
    (
        2,
        "SysAllocString SysReAllocString SysAllocStringLen SysReAllocStringLen \
         SysFreeString SysStringLen VariantInit VariantClear VariantCopy VariantCopyInd \
         VariantChangeType VariantTimeToDosDateTime DosDateTimeToVariantTime \
         SafeArrayCreate SafeArrayDestroy SafeArrayGetDim SafeArrayGetElemsize \
         SafeArrayGetUBound SafeArrayGetLBound SafeArrayLock SafeArrayUnlock \
         SafeArrayAccessData SafeArrayUnaccessData SafeArrayGetElement \
         SafeArrayPutElement SafeArrayCopy DispGetParam DispGetIDsOfNames DispInvoke \
         CreateDispTypeInfo CreateStdDispatch RegisterActiveObject RevokeActiveObject \
         GetActiveObject SafeArrayAllocDescriptor SafeArrayAllocData \
         SafeArrayDestroyDescriptor SafeArrayDestroyData SafeArrayRedim \
         SafeArrayAllocDescriptorEx SafeArrayCreateEx SafeArrayCreateVectorEx \
         SafeArraySetRecordInfo SafeArrayGetRecordInfo VarParseNumFromStr \
         VarNumFromParseNum VarI2FromUI1 VarI2FromI4 VarI2FromR4 VarI2FromR8 VarI2FromCy \
         VarI2FromDate VarI2FromStr VarI2FromDisp VarI2FromBool SafeArraySetIID \
         VarI4FromUI1 VarI4FromI2 VarI4FromR4 VarI4FromR8 VarI4FromCy VarI4FromDate \
         VarI4FromStr VarI4FromDisp VarI4FromBool SafeArrayGetIID VarR4FromUI1 \
         VarR4FromI2 VarR4FromI4 VarR4FromR8 VarR4FromCy VarR4FromDate VarR4FromStr \
         VarR4FromDisp VarR4FromBool SafeArrayGetVartype VarR8FromUI1 VarR8FromI2 \
         VarR8FromI4 VarR8FromR4 VarR8FromCy VarR8FromDate VarR8FromStr VarR8FromDisp \
         VarR8FromBool VarFormat VarDateFromUI1 VarDateFromI2 VarDateFromI4 VarDateFromR4 \
         VarDateFromR8 VarDateFromCy VarDateFromStr VarDateFromDisp VarDateFromBool \
         VarFormatDateTime VarCyFromUI1 VarCyFromI2 VarCyFromI4 VarCyFromR4 VarCyFromR8 \
         VarCyFromDate VarCyFromStr VarCyFromDisp VarCyFromBool VarFormatNumber \
         VarBstrFromUI1 VarBstrFromI2 VarBstrFromI4 VarBstrFromR4 VarBstrFromR8 \
         VarBstrFromCy VarBstrFromDate VarBstrFromDisp VarBstrFromBool VarFormatPercent \
         VarBoolFromUI1 VarBoolFromI2 VarBoolFromI4 VarBoolFromR4 VarBoolFromR8 \
         VarBoolFromDate VarBoolFromCy VarBoolFromStr VarBoolFromDisp VarFormatCurrency \
         VarWeekdayName VarMonthName VarUI1FromI2 VarUI1FromI4 VarUI1FromR4 VarUI1FromR8 \
         VarUI1FromCy VarUI1FromDate VarUI1FromStr VarUI1FromDisp VarUI1FromBool \
         VarFormatFromTokens VarTokenizeFormatString VarAdd VarAnd VarDiv DllCanUnloadNow \
         DllGetClassObject DispCallFunc VariantChangeTypeEx SafeArrayPtrOfIndex \
         SysStringByteLen SysAllocStringByteLen DllRegisterServer VarEqv VarIdiv VarImp \
         VarMod VarMul VarOr VarPow VarSub CreateTypeLib LoadTypeLib LoadRegTypeLib \
         RegisterTypeLib QueryPathOfRegTypeLib LHashValOfNameSys LHashValOfNameSysA \
         VarXor VarAbs VarFix OaBuildVersion ClearCustData VarInt VarNeg VarNot VarRound \
         VarCmp VarDecAdd VarDecDiv VarDecMul CreateTypeLib2 VarDecSub VarDecAbs \
         LoadTypeLibEx SystemTimeToVariantTime VariantTimeToSystemTime UnRegisterTypeLib \
         VarDecFix VarDecInt VarDecNeg VarDecFromUI1 VarDecFromI2 VarDecFromI4 \
         VarDecFromR4 VarDecFromR8 VarDecFromDate VarDecFromCy VarDecFromStr \
         VarDecFromDisp VarDecFromBool GetErrorInfo SetErrorInfo CreateErrorInfo \
         VarDecRound VarDecCmp VarI2FromI1 VarI2FromUI2 VarI2FromUI4 VarI2FromDec \
         VarI4FromI1 VarI4FromUI2 VarI4FromUI4 VarI4FromDec VarR4FromI1 VarR4FromUI2 \
         VarR4FromUI4 VarR4FromDec VarR8FromI1 VarR8FromUI2 VarR8FromUI4 VarR8FromDec \
         VarDateFromI1 VarDateFromUI2 VarDateFromUI4 VarDateFromDec VarCyFromI1 \
         VarCyFromUI2 VarCyFromUI4 VarCyFromDec VarBstrFromI1 VarBstrFromUI2 \
         VarBstrFromUI4 VarBstrFromDec VarBoolFromI1 VarBoolFromUI2 VarBoolFromUI4 \
         VarBoolFromDec VarUI1FromI1 VarUI1FromUI2 VarUI1FromUI4 VarUI1FromDec \
         VarDecFromI1 VarDecFromUI2 VarDecFromUI4 VarI1FromUI1 VarI1FromI2 VarI1FromI4 \
         VarI1FromR4 VarI1FromR8 VarI1FromDate VarI1FromCy VarI1FromStr VarI1FromDisp \
         VarI1FromBool VarI1FromUI2 VarI1FromUI4 VarI1FromDec VarUI2FromUI1 VarUI2FromI2 \
         VarUI2FromI4 VarUI2FromR4 VarUI2FromR8 VarUI2FromDate VarUI2FromCy VarUI2FromStr \
         VarUI2FromDisp VarUI2FromBool VarUI2FromI1 VarUI2FromUI4 VarUI2FromDec \
         VarUI4FromUI1 VarUI4FromI2 VarUI4FromI4 VarUI4FromR4 VarUI4FromR8 VarUI4FromDate \
         VarUI4FromCy VarUI4FromStr VarUI4FromDisp VarUI4FromBool VarUI4FromI1 \
         VarUI4FromUI2 VarUI4FromDec BSTR_UserSize BSTR_UserMarshal BSTR_UserUnmarshal \
         BSTR_UserFree VARIANT_UserSize VARIANT_UserMarshal VARIANT_UserUnmarshal \
         VARIANT_UserFree LPSAFEARRAY_UserSize LPSAFEARRAY_UserMarshal \
         LPSAFEARRAY_UserUnmarshal LPSAFEARRAY_UserFree LPSAFEARRAY_Size \
         LPSAFEARRAY_Marshal LPSAFEARRAY_Unmarshal VarDecCmpR8 VarCyAdd \
         DllUnregisterServer OACreateTypeLib2",
    ),
    (
        303,
        "VarCyMul VarCyMulI4 VarCySub VarCyAbs VarCyFix VarCyInt VarCyNeg VarCyRound \
         VarCyCmp VarCyCmpR8 VarBstrCat VarBstrCmp VarR8Pow VarR4CmpR8 VarR8Round VarCat \
         VarDateFromUdateEx",
    ),
    (322, "GetRecordInfoFromGuids GetRecordInfoFromTypeInfo"),
    (
        325,
        "SetVarConversionLocaleSetting GetVarConversionLocaleSetting SetOaNoCache",
    ),
    (
        329,
        "VarCyMulI8 VarDateFromUdate VarUdateFromDate GetAltMonthNames VarI8FromUI1 \
         VarI8FromI2 VarI8FromR4 VarI8FromR8 VarI8FromCy VarI8FromDate VarI8FromStr \
         VarI8FromDisp VarI8FromBool VarI8FromI1 VarI8FromUI2 VarI8FromUI4 VarI8FromDec \
         VarI2FromI8 VarI2FromUI8 VarI4FromI8 VarI4FromUI8",
    ),
    (
        360,
        "VarR4FromI8 VarR4FromUI8 VarR8FromI8 VarR8FromUI8 VarDateFromI8 VarDateFromUI8 \
         VarCyFromI8 VarCyFromUI8 VarBstrFromI8 VarBstrFromUI8 VarBoolFromI8 \
         VarBoolFromUI8 VarUI1FromI8 VarUI1FromUI8 VarDecFromI8 VarDecFromUI8 VarI1FromI8 \
         VarI1FromUI8 VarUI2FromI8 VarUI2FromUI8",
    ),
    (401, "OleLoadPictureEx OleLoadPictureFileEx"),
    (
        411,
        "SafeArrayCreateVector SafeArrayCopyData VectorFromBstr BstrFromVector \
         OleIconToCursor OleCreatePropertyFrameIndirect OleCreatePropertyFrame \
         OleLoadPicture OleCreatePictureIndirect OleCreateFontIndirect OleTranslateColor \
         OleLoadPictureFile OleSavePictureFile OleLoadPicturePath VarUI4FromI8 \
         VarUI4FromUI8 VarI8FromUI8 VarUI8FromI8 VarUI8FromUI1 VarUI8FromI2 VarUI8FromR4 \
         VarUI8FromR8 VarUI8FromCy VarUI8FromDate VarUI8FromStr VarUI8FromDisp \
         VarUI8FromBool VarUI8FromI1 VarUI8FromUI2 VarUI8FromUI4 VarUI8FromDec \
         RegisterTypeLibForUser UnRegisterTypeLibForUser",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::modules::{schema, Input};

    /// Overload indexes of `imports`, in YARA's order.
    const BY_NAME: usize = 0;
    const BY_ORDINAL: usize = 1;
    const BY_DLL: usize = 2;
    const BY_REGEX: usize = 3;
    const TYPED_BY_NAME: usize = 4;
    const TYPED_BY_ORDINAL: usize = 5;
    const TYPED_BY_DLL: usize = 6;
    const TYPED_BY_REGEX: usize = 7;

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

    /// A PE32 file of 0x600 bytes: DOS header, NT headers (image base 0x400000, size of image
    /// 0x2000, file alignment 0x200, 16 directories, those of `directories` set as (entry,
    /// address, size)) and one section `.data` at address 0x1000, file offset 0x200, 0x400
    /// bytes.
    fn image(directories: &[(usize, u32, u32)]) -> Vec<u8> {
        let mut b = vec![0u8; 0x600];
        put(&mut b, 0, b"MZ");
        put32(&mut b, 0x3c, 0x40);
        put(&mut b, 0x40, b"PE\0\0");
        let file = 0x44;
        put16(&mut b, file, 0x14c);
        put16(&mut b, file + 2, 1);
        put16(&mut b, file + 16, 0xe0);
        put16(&mut b, file + 18, 0x0102);
        let optional = 0x58;
        put16(&mut b, optional, 0x10b);
        put32(&mut b, optional + 28, 0x40_0000);
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
        put32(&mut b, section + 36, 0xc000_0040);
        b
    }

    /// [`image`] importing `KERNEL32.dll` by name (`GetProcAddress`, `LoadLibraryA`) and
    /// `WS2_32.dll` by ordinal (3, 115, 999), with a descriptor of invalid name and one of no
    /// functions; and delay-loading `USER32.dll` (`MessageBoxA`, ordinal 5).
    fn imports_image() -> Vec<u8> {
        let mut b = image(&[
            (IMPORT_DIRECTORY, 0x1000, 0x64),
            (DELAY_IMPORT_DIRECTORY, 0x1200, 0x40),
        ]);
        let descriptors = [
            (0x1100, 0x1080), // KERNEL32.dll
            (0x1110, 0x1090), // WS2_32.dll
            (0x1100, 0x10a0), // bad*name.dll: skipped, not counted
            (0x1120, 0x10b0), // empty.dll: no functions, counted
        ];
        for (i, (thunks, name)) in descriptors.into_iter().enumerate() {
            let d = at(0x1000) + 20 * i;
            put32(&mut b, d, thunks);
            put32(&mut b, d + 12, name);
            put32(&mut b, d + 16, thunks);
        }
        put(&mut b, at(0x1080), b"KERNEL32.dll\0");
        put(&mut b, at(0x1090), b"WS2_32.dll\0");
        put(&mut b, at(0x10a0), b"bad*name.dll\0");
        put(&mut b, at(0x10b0), b"empty.dll\0");
        put32(&mut b, at(0x1100), 0x1180);
        put32(&mut b, at(0x1104), 0x11a0);
        put32(&mut b, at(0x1110), 0x8000_0003);
        put32(&mut b, at(0x1114), 0x8000_0073);
        put32(&mut b, at(0x1118), 0x8000_03e7);
        put(&mut b, at(0x1182), b"GetProcAddress\0");
        put(&mut b, at(0x11a2), b"LoadLibraryA\0");
        let d = at(0x1200);
        put32(&mut b, d, 1);
        put32(&mut b, d + 4, 0x1240);
        put32(&mut b, d + 12, 0x1260);
        put32(&mut b, d + 16, 0x1270);
        put(&mut b, at(0x1240), b"USER32.dll\0");
        put32(&mut b, at(0x1260), 1);
        put32(&mut b, at(0x1264), 1);
        put32(&mut b, at(0x1270), 0x1290);
        put32(&mut b, at(0x1274), 0x8000_0005);
        put(&mut b, at(0x1292), b"MessageBoxA\0");
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

    fn regex(text: &[u8], nocase: bool) -> TextRegex {
        TextRegex::compile(text, nocase, false).unwrap()
    }

    /// Calls every overload once (for inputs that must not panic), with the regular
    /// expressions `any` and `empty` (one that matches the empty string).
    fn exercise(pe: &Object, any: &TextRegex, empty: &TextRegex) {
        let (text, dll) = (ArgValue::Text(b"a.dll"), ArgValue::Text(b"f"));
        let (re, empty) = (ArgValue::Regex(any), ArgValue::Regex(empty));
        let _ = call(pe, "imports", BY_NAME, &[text, dll]);
        let _ = call(pe, "imports", BY_ORDINAL, &[text, ArgValue::Int(1)]);
        let _ = call(pe, "imports", BY_DLL, &[text]);
        let _ = call(pe, "imports", BY_REGEX, &[re, empty]);
        let _ = call(
            pe,
            "imports",
            TYPED_BY_NAME,
            &[ArgValue::Int(-1), text, dll],
        );
        let _ = call(
            pe,
            "imports",
            TYPED_BY_ORDINAL,
            &[ArgValue::Int(-1), text, ArgValue::Int(1)],
        );
        let _ = call(pe, "imports", TYPED_BY_DLL, &[ArgValue::Int(-1), text]);
        let _ = call(
            pe,
            "imports",
            TYPED_BY_REGEX,
            &[ArgValue::Int(-1), empty, re],
        );
        let _ = call(pe, "imphash", 0, &[]);
    }

    #[test]
    fn declarations_follow_yara() {
        let names: Vec<_> = MEMBERS.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            [
                "imphash",
                "imports",
                "number_of_imports",
                "number_of_imported_functions",
                "number_of_delayed_imports",
                "number_of_delayed_imported_functions",
                "import_details",
                "delay_import_details",
            ]
        );
        let Kind::Function(overloads) = schema::find(MEMBERS, "imports").unwrap().kind else {
            panic!("`imports` is a function");
        };
        let args: Vec<_> = overloads.iter().map(|o| o.args).collect();
        use crate::scan::modules::schema::Arg::{Int as I, Regex as R, Text as S};
        assert_eq!(
            args,
            [
                &[S, S][..],
                &[S, I],
                &[S],
                &[R, R],
                &[I, S, S],
                &[I, S, I],
                &[I, S],
                &[I, R, R],
            ]
        );
    }

    #[test]
    fn import_fields() {
        let data = imports_image();
        let pe = load(&data, data.len() as u64).unwrap();
        assert_eq!(pe.member("number_of_imports").int(), Some(3));
        assert_eq!(pe.member("number_of_imported_functions").int(), Some(5));
        let details = pe.member("import_details");
        assert_eq!(details.len(), 2);
        let kernel32 = details.item(0);
        assert_eq!(
            kernel32.member("library_name").text(),
            Some(&b"KERNEL32.dll"[..])
        );
        assert_eq!(kernel32.member("number_of_functions").int(), Some(2));
        let functions = kernel32.member("functions");
        assert_eq!(functions.len(), 2);
        assert_eq!(
            functions.item(0).member("name").text(),
            Some(&b"GetProcAddress"[..])
        );
        assert_eq!(functions.item(0).member("ordinal"), &Object::Undefined);
        assert_eq!(
            functions.item(1).member("name").text(),
            Some(&b"LoadLibraryA"[..])
        );
        // YARA's running function index: WS2_32's functions follow KERNEL32's.
        let ws2_32 = details.item(1);
        assert_eq!(
            ws2_32.member("library_name").text(),
            Some(&b"WS2_32.dll"[..])
        );
        assert_eq!(ws2_32.member("number_of_functions").int(), Some(5));
        let functions = ws2_32.member("functions");
        assert_eq!(functions.len(), 5);
        assert_eq!(functions.item(0), &Object::Undefined);
        assert_eq!(functions.item(1), &Object::Undefined);
        let expected: [(&[u8], i64); 3] =
            [(b"closesocket", 3), (b"WSAStartup", 115), (b"ord999", 999)];
        for (i, (name, ordinal)) in expected.into_iter().enumerate() {
            let f = functions.item(i as i64 + 2);
            assert_eq!(f.member("name").text(), Some(name));
            assert_eq!(f.member("ordinal").int(), Some(ordinal));
        }
        // Counted, never detailed (YARA 4.2.3 writes them under an undeclared name).
        assert_eq!(pe.member("number_of_delayed_imports").int(), Some(1));
        assert_eq!(
            pe.member("number_of_delayed_imported_functions").int(),
            Some(2)
        );
        assert!(pe.member("delay_import_details").is_empty());
    }

    #[test]
    fn imports_functions() {
        let data = imports_image();
        let pe = load(&data, data.len() as u64).unwrap();
        let imports = |index: usize, args: &[ArgValue<'_>]| call(&pe, "imports", index, args);
        let t = |text: &'static [u8]| ArgValue::Text(text);
        let i = ArgValue::Int;
        assert_eq!(
            imports(BY_NAME, &[t(b"kernel32.DLL"), t(b"getprocaddress")]),
            int(1)
        );
        assert_eq!(
            imports(BY_NAME, &[t(b"kernel32.dll\0x"), t(b"LoadLibraryA")]),
            int(1)
        );
        assert_eq!(
            imports(BY_NAME, &[t(b"KERNEL32.dll"), t(b"VirtualAlloc")]),
            int(0)
        );
        assert_eq!(
            imports(BY_NAME, &[t(b"USER32.dll"), t(b"MessageBoxA")]),
            int(0)
        );
        assert_eq!(imports(BY_ORDINAL, &[t(b"ws2_32.dll"), i(115)]), int(1));
        assert_eq!(imports(BY_ORDINAL, &[t(b"ws2_32.dll"), i(116)]), int(0));
        assert_eq!(imports(BY_ORDINAL, &[t(b"KERNEL32.dll"), i(0)]), int(0));
        assert_eq!(imports(BY_DLL, &[t(b"Ws2_32.DLL")]), int(3));
        assert_eq!(imports(BY_DLL, &[t(b"empty.dll")]), int(0));
        let (kernel, get) = (regex(b"kernel32", true), regex(b"^Get", false));
        let (any, start, empty) = (regex(b".", false), regex(b"^", false), regex(b"x*", false));
        let r = ArgValue::Regex;
        assert_eq!(imports(BY_REGEX, &[r(&kernel), r(&get)]), int(1));
        assert_eq!(imports(BY_REGEX, &[r(&any), r(&any)]), int(5));
        // YARA counts a name only when a match ends past its first byte.
        assert_eq!(imports(BY_REGEX, &[r(&start), r(&any)]), int(0));
        assert_eq!(imports(BY_REGEX, &[r(&any), r(&empty)]), int(5));
        assert_eq!(
            imports(TYPED_BY_NAME, &[i(2), t(b"user32.dll"), t(b"messageboxa")]),
            int(1)
        );
        assert_eq!(
            imports(TYPED_BY_NAME, &[i(1), t(b"user32.dll"), t(b"MessageBoxA")]),
            int(0)
        );
        assert_eq!(
            imports(TYPED_BY_NAME, &[i(-1), t(b"USER32.DLL"), t(b"MessageBoxA")]),
            int(1)
        );
        assert_eq!(
            imports(
                TYPED_BY_NAME,
                &[i(-1), t(b"kernel32.dll"), t(b"LoadLibraryA")]
            ),
            int(1)
        );
        assert_eq!(
            imports(
                TYPED_BY_NAME,
                &[i(0), t(b"kernel32.dll"), t(b"LoadLibraryA")]
            ),
            int(0)
        );
        assert_eq!(
            imports(TYPED_BY_ORDINAL, &[i(2), t(b"user32.dll"), i(5)]),
            int(1)
        );
        assert_eq!(
            imports(TYPED_BY_ORDINAL, &[i(1), t(b"ws2_32.dll"), i(3)]),
            int(1)
        );
        assert_eq!(imports(TYPED_BY_DLL, &[i(2), t(b"user32.dll")]), int(2));
        assert_eq!(imports(TYPED_BY_DLL, &[i(-1), t(b"KERNEL32.DLL")]), int(2));
        let (user, ordinal) = (regex(b"user", true), regex(b"^ord", false));
        assert_eq!(
            imports(TYPED_BY_REGEX, &[i(2), r(&user), r(&ordinal)]),
            int(1)
        );
        assert_eq!(imports(TYPED_BY_REGEX, &[i(-1), r(&any), r(&any)]), int(7));
        assert_eq!(imports(TYPED_BY_REGEX, &[i(1), r(&user), r(&any)]), int(0));
    }

    #[test]
    fn imphash_of_the_standard_imports() {
        let data = imports_image();
        let pe = load(&data, data.len() as u64).unwrap();
        // md5("kernel32.getprocaddress,kernel32.loadlibrarya,ws2_32.closesocket,
        // ws2_32.wsastartup,ws2_32.ord999"): delayed imports are left out.
        assert_eq!(
            call(&pe, "imphash", 0, &[]),
            Some(Returned::Text(b"b807cfb11064ee50eb88497527b7c548".to_vec()))
        );
        let bare = load(&image(&[]), 0x600).unwrap();
        assert_eq!(bare.member("number_of_imports").int(), Some(0));
        assert_eq!(bare.member("number_of_delayed_imports").int(), Some(0));
        assert_eq!(
            call(&bare, "imphash", 0, &[]),
            Some(Returned::Text(b"d41d8cd98f00b204e9800998ecf8427e".to_vec()))
        );
    }

    #[test]
    fn imphash_entries() {
        assert_eq!(imphash_entry(b"KERNEL32.dll", b"Sleep"), b"kernel32.sleep");
        assert_eq!(imphash_entry(b"drv.SYS", b"X"), b"drv.x");
        assert_eq!(imphash_entry(b"a.OcXy", b"f"), b"a.f");
        assert_eq!(imphash_entry(b"my.lib.dll", b"F"), b"my.lib.dll.f");
        assert_eq!(imphash_entry(b"short.dl", b"f"), b"short.dl.f");
        assert_eq!(imphash_entry(b"noext", b""), b"noext.");
    }

    #[test]
    fn ordinal_names() {
        let name = |dll: &[u8], ordinal| String::from_utf8(ordinal_name(dll, ordinal)).unwrap();
        assert_eq!(name(b"WS2_32.dll", 3), "closesocket");
        assert_eq!(name(b"ws2_32.dllx", 1), "accept");
        assert_eq!(name(b"wsock32.DLL", 500), "WEP");
        assert_eq!(name(b"ws2_32.dll", 151), "__WSAFDIsSet");
        assert_eq!(name(b"ws2_32.dll", 116), "WSACleanup");
        assert_eq!(name(b"ws2_32.dll", 100), "ord100");
        assert_eq!(name(b"ws2_32.dll", 120), "ord120");
        assert_eq!(name(b"ws2_32.dll", 0), "ord0");
        assert_eq!(name(b"ws2_32", 3), "ord3");
        assert_eq!(name(b"OLEAUT32.dll", 2), "SysAllocString");
        assert_eq!(name(b"oleaut32.dll", 115), "VarBstrFromDisp");
        assert_eq!(name(b"oleaut32.dll", 443), "UnRegisterTypeLibForUser");
        assert_eq!(name(b"oleaut32.dll", 302), "ord302");
        assert_eq!(name(b"oleaut32.dll", 1), "ord1");
        assert_eq!(name(b"kernel32.dll", 1), "ord1");
        let count = |table: &[(u16, &str)]| -> usize {
            table
                .iter()
                .map(|(_, names)| names.split(' ').count())
                .sum()
        };
        assert_eq!(count(WS2_32), 117);
        assert_eq!(count(OLEAUT32), 398);
    }

    #[test]
    fn regular_expressions_as_yara_matches_them() {
        let check = |pattern: &[u8], text: &[u8]| {
            let re = regex(pattern, false);
            let args = [ArgValue::Regex(&re)];
            let read = |_: u64, _: u64| -> Option<Vec<u8>> { None };
            let input = Input {
                size: 0,
                read: &read,
                whole: None,
            };
            let module = Object::structure();
            let call = CallArgs {
                module: &module,
                owner: &module,
                input: &input,
                args: &args,
            };
            let matcher = Matcher::new(&call, 0);
            (matcher.found(text), matcher.counts(text))
        };
        // (`!= -1`, `> 0`)
        assert_eq!(check(b"x*", b"a"), (true, false));
        assert_eq!(check(b"x*", b"ab"), (true, true));
        assert_eq!(check(b"x*", b""), (true, false));
        assert_eq!(check(b"^", b"abc"), (true, false));
        assert_eq!(check(b"$", b"abc"), (false, false));
        assert_eq!(check(b"$", b""), (true, false));
        assert_eq!(check(b"c$", b"abc"), (true, true));
        assert_eq!(check(b"a", b""), (false, false));
        assert_eq!(check(b"b", b"abc"), (true, true));
        assert_eq!(check(b"d", b"abc"), (false, false));
    }

    #[test]
    fn dll_name_runs() {
        let data = b"ab\0cd*e\x7fz";
        let mut runs = NameRuns {
            data,
            runs: BTreeMap::new(),
        };
        assert_eq!(runs.stop(1), 2);
        assert_eq!(runs.stop(0), 2);
        assert_eq!(runs.stop(2), 2);
        assert_eq!(runs.stop(4), 5);
        assert_eq!(runs.stop(3), 5);
        assert_eq!(runs.stop(8), 9);
        assert_eq!(runs.stop(6), 9);
        assert_eq!(runs.stop(9), 9);
        let long = vec![b'a'; 10_000];
        let mut runs = NameRuns {
            data: &long,
            runs: BTreeMap::new(),
        };
        for at in (0..10_000).rev() {
            assert_eq!(runs.stop(at), 10_000);
        }
        assert_eq!(runs.runs.len(), 1);
    }

    #[test]
    fn running_index_budget() {
        let dlls: Vec<Dll> = (0..2000)
            .map(|i| Dll {
                name: format!("d{i}.dll").into_bytes(),
                functions: vec![Function {
                    name: b"f".to_vec(),
                    ordinal: None,
                }],
            })
            .collect();
        let details = import_details(&dlls);
        assert_eq!(details.len(), 2000);
        let first = details.item(0);
        assert_eq!(first.member("functions").len(), 1);
        let last = details.item(1999);
        assert_eq!(last.member("number_of_functions").int(), Some(2000));
        assert_eq!(last.member("functions"), &Object::Undefined);
        assert_eq!(details.item(1000).member("functions").len(), 1001);
    }

    #[test]
    fn not_a_pe() {
        let module = Object::structure();
        assert_eq!(call(&module, "imphash", 0, &[]), None);
        let args = [ArgValue::Text(b"a.dll")];
        assert_eq!(call(&module, "imports", BY_DLL, &args), None);
    }

    #[test]
    fn truncated_images_do_not_panic() {
        let (any, empty) = (regex(b".", false), regex(b"x*", false));
        let data = imports_image();
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
        let (any, empty) = (regex(b".", false), regex(b"x*", false));
        let data = imports_image();
        let values = [
            0,
            1,
            0x40,
            0x1000,
            0x11a0,
            0x7fff_ffff,
            0x8000_0000,
            u32::MAX,
        ];
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
