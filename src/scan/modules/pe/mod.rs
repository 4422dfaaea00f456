//! YARA's `pe` module: the headers, sections, data directories, overlay and Authenticode
//! signatures of Windows PE files.
//!
//! # Parsing as YARA does
//!
//! A PE file starts with a DOS header whose `e_lfanew` points at the NT headers: the `PE\0\0`
//! signature, the file header (machine, section count, characteristics) and the optional
//! header (entry point, image base, alignments, versions, sizes, and the data directories).
//! The section table follows the optional header, at `e_lfanew + 24 + SizeOfOptionalHeader`.
//! The input is a PE when the DOS magic is `MZ`, `e_lfanew` is not negative, the signature is
//! `PE\0\0`, and a 32-bit optional header (and a 64-bit one when its magic says PE32+) fits
//! in the file; then `is_pe` is 1 and the header fields are set. Otherwise only `is_pe` (0)
//! and the constants are defined, and every other field is undefined.
//!
//! YARA's leniency is kept: at most 96 sections, and the first one that does not fit in the
//! file ends the table; at most 16 data directories, each only when it fits; the entry point is
//! converted from a relative virtual address to a file offset by YARA's rules (the section
//! containing it, with its raw offset rounded down to the file alignment when that is below
//! 0x200, and addresses below every section mapped as they are), and is -1 when it maps
//! outside the file. The overlay is what follows the section whose raw data ends last.
//!
//! Signatures ([`signatures`]) are read from the security directory, whose address is a file
//! offset.
//!
//! The other parts, each in its own module, follow YARA's parsing in the same order: the rich
//! signature ([`rich`]), the debug directory's PDB path ([`debug`]), resources and version
//! information ([`resources`]), signatures, imports with `imphash` ([`imports`]) and exports
//! ([`exports`]).

pub mod constants;
mod debug;
mod exports;
mod headers;
mod imports;
mod reader;
mod resources;
mod rich;
pub mod signatures;

use super::schema::{member, Arg, Kind, Member, Overload, Ret};
use super::{CallArgs, Input, Object, Returned};

pub use headers::rva_to_offset;

/// Most sections YARA reads.
pub(crate) const MAX_SECTIONS: usize = 96;

const VERSION: Kind = Kind::Struct(&[member("major", Kind::Int), member("minor", Kind::Int)]);

const SECTION: Kind = Kind::Struct(&[
    member("name", Kind::Text),
    member("full_name", Kind::Text),
    member("characteristics", Kind::Int),
    member("virtual_address", Kind::Int),
    member("virtual_size", Kind::Int),
    member("raw_data_offset", Kind::Int),
    member("raw_data_size", Kind::Int),
    member("pointer_to_relocations", Kind::Int),
    member("pointer_to_line_numbers", Kind::Int),
    member("number_of_relocations", Kind::Int),
    member("number_of_line_numbers", Kind::Int),
]);

const DIRECTORY: Kind = Kind::Struct(&[
    member("virtual_address", Kind::Int),
    member("size", Kind::Int),
]);

const SIGNATURE: Kind = Kind::Struct(&[
    member("thumbprint", Kind::Text),
    member("issuer", Kind::Text),
    member("subject", Kind::Text),
    member("version", Kind::Int),
    member("algorithm", Kind::Text),
    member("algorithm_oid", Kind::Text),
    member("serial", Kind::Text),
    member("not_before", Kind::Int),
    member("not_after", Kind::Int),
    member(
        "valid_on",
        Kind::Function(&[Overload {
            args: &[Arg::Int],
            ret: Ret::Int,
            call: valid_on,
        }]),
    ),
]);

/// The module's fields and functions (its constants are in [`constants::CONSTANTS`]).
pub const DECLARATIONS: &[Member] = &[
    member("is_pe", Kind::Int),
    member("machine", Kind::Int),
    member("number_of_sections", Kind::Int),
    member("timestamp", Kind::Int),
    member("pointer_to_symbol_table", Kind::Int),
    member("number_of_symbols", Kind::Int),
    member("size_of_optional_header", Kind::Int),
    member("characteristics", Kind::Int),
    member("entry_point", Kind::Int),
    member("entry_point_raw", Kind::Int),
    member("image_base", Kind::Int),
    member("number_of_rva_and_sizes", Kind::Int),
    member("opthdr_magic", Kind::Int),
    member("linker_version", VERSION),
    member("size_of_code", Kind::Int),
    member("size_of_initialized_data", Kind::Int),
    member("size_of_uninitialized_data", Kind::Int),
    member("base_of_code", Kind::Int),
    member("base_of_data", Kind::Int),
    member("section_alignment", Kind::Int),
    member("file_alignment", Kind::Int),
    member("os_version", VERSION),
    member("image_version", VERSION),
    member("subsystem_version", VERSION),
    member("win32_version_value", Kind::Int),
    member("size_of_image", Kind::Int),
    member("size_of_headers", Kind::Int),
    member("checksum", Kind::Int),
    member("subsystem", Kind::Int),
    member("dll_characteristics", Kind::Int),
    member("size_of_stack_reserve", Kind::Int),
    member("size_of_stack_commit", Kind::Int),
    member("size_of_heap_reserve", Kind::Int),
    member("size_of_heap_commit", Kind::Int),
    member("loader_flags", Kind::Int),
    member("data_directories", Kind::Array(&DIRECTORY)),
    member("sections", Kind::Array(&SECTION)),
    member(
        "overlay",
        Kind::Struct(&[member("offset", Kind::Int), member("size", Kind::Int)]),
    ),
    member("number_of_signatures", Kind::Int),
    member("signatures", Kind::Array(&SIGNATURE)),
    member(
        "is_dll",
        Kind::Function(&[Overload {
            args: &[],
            ret: Ret::Int,
            call: is_dll,
        }]),
    ),
    member(
        "is_32bit",
        Kind::Function(&[Overload {
            args: &[],
            ret: Ret::Int,
            call: is_32bit,
        }]),
    ),
    member(
        "is_64bit",
        Kind::Function(&[Overload {
            args: &[],
            ret: Ret::Int,
            call: is_64bit,
        }]),
    ),
    member(
        "rva_to_offset",
        Kind::Function(&[Overload {
            args: &[Arg::Int],
            ret: Ret::Int,
            call: rva_to_offset_function,
        }]),
    ),
    member(
        "section_index",
        Kind::Function(&[
            Overload {
                args: &[Arg::Text],
                ret: Ret::Int,
                call: section_index_by_name,
            },
            Overload {
                args: &[Arg::Int],
                ret: Ret::Int,
                call: section_index_by_offset,
            },
        ]),
    ),
];

/// Every declaration of the module: its fields and functions, its constants, and those of
/// each part.
pub(crate) const GROUPS: [&[Member]; 7] = [
    DECLARATIONS,
    constants::CONSTANTS,
    rich::MEMBERS,
    debug::MEMBERS,
    resources::MEMBERS,
    imports::MEMBERS,
    exports::MEMBERS,
];

/// The module's values for `input`.
pub fn load(input: &Input<'_>) -> Object {
    let mut pe = Object::structure();
    pe.set("is_pe", 0i64);
    // Only a file that starts like a PE is read whole.
    if input.bytes(0, 2).as_deref() != Some(b"MZ") {
        return pe;
    }
    let Some(data) = input.head() else {
        return pe;
    };
    if let Some(headers) = headers::Headers::find(&data) {
        headers.describe(&data, input.size, &mut pe);
        rich::describe(&headers, &data, input.size, &mut pe);
        debug::describe(&headers, &data, input.size, &mut pe);
        resources::describe(&headers, &data, input.size, &mut pe);
        signatures::describe(&headers, &data, input.size, &mut pe);
        imports::describe(&headers, &data, input.size, &mut pe);
        exports::describe(&headers, &data, input.size, &mut pe);
    }
    pe
}

/// `pe.PE32+` optional header magic.
const OPTIONAL_HEADER_64_MAGIC: i64 = 0x20b;
/// `IMAGE_FILE_DLL`.
const FILE_DLL: i64 = 0x2000;

fn is_dll(call: &CallArgs<'_>) -> Option<Returned> {
    let characteristics = call.module.member("characteristics").int()?;
    Some(Returned::Int(characteristics & FILE_DLL))
}

fn bitness(call: &CallArgs<'_>, wide: bool) -> Option<Returned> {
    let magic = call.module.member("opthdr_magic").int()?;
    Some(Returned::Int(
        ((magic == OPTIONAL_HEADER_64_MAGIC) == wide) as i64,
    ))
}

fn is_32bit(call: &CallArgs<'_>) -> Option<Returned> {
    bitness(call, false)
}

fn is_64bit(call: &CallArgs<'_>) -> Option<Returned> {
    bitness(call, true)
}

fn rva_to_offset_function(call: &CallArgs<'_>) -> Option<Returned> {
    let rva = u64::try_from(call.int(0)).ok()?;
    let offset = rva_to_offset(call.module, call.input.size, rva)?;
    Some(Returned::Int(offset as i64))
}

/// The sections `section_index` looks at: at most [`MAX_SECTIONS`] of `number_of_sections`.
fn indexed_sections(pe: &Object) -> Option<impl Iterator<Item = (usize, &Object)>> {
    let n = pe.member("number_of_sections").int()?;
    let n = usize::try_from(n).unwrap_or(0).min(MAX_SECTIONS);
    let sections = pe.member("sections");
    Some((0..n).map(move |i| (i, sections.item(i as i64))))
}

fn section_index_by_name(call: &CallArgs<'_>) -> Option<Returned> {
    // YARA compares C strings: both names end at their first zero byte.
    let until_nul = |t: &[u8]| t.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
    let wanted = until_nul(call.text(0));
    let (index, _) = indexed_sections(call.module)?.find(|(_, s)| {
        s.member("name")
            .text()
            .is_some_and(|name| until_nul(name) == wanted)
    })?;
    Some(Returned::Int(index as i64))
}

fn section_index_by_offset(call: &CallArgs<'_>) -> Option<Returned> {
    let at = call.int(0);
    let (index, _) = indexed_sections(call.module)?.find(|(_, s)| {
        let (Some(offset), Some(size)) = (
            s.member("raw_data_offset").int(),
            s.member("raw_data_size").int(),
        ) else {
            return false;
        };
        at >= offset && at < offset + size
    })?;
    Some(Returned::Int(index as i64))
}

fn valid_on(call: &CallArgs<'_>) -> Option<Returned> {
    let not_before = call.owner.member("not_before").int()?;
    let not_after = call.owner.member("not_after").int()?;
    let at = call.int(0);
    Some(Returned::Int((at >= not_before && at <= not_after) as i64))
}
