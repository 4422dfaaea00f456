//! The DOS and NT headers, the section table and the data directories, read with the layouts
//! of the `object` crate and YARA's checks.

use super::{Object, MAX_SECTIONS};
use object::pe::{
    ImageDataDirectory, ImageDosHeader, ImageFileHeader, ImageNtHeaders32, ImageOptionalHeader32,
    ImageOptionalHeader64, ImageSectionHeader,
};
use object::pod::{from_bytes, Pod};
use object::LittleEndian as LE;
use std::mem::size_of;

/// Most bytes of all sections' full names together.
const MAX_FULL_NAME_BYTES: usize = 1 << 20;
/// Data directories YARA lists.
const MAX_DIRECTORIES: usize = 16;
/// Size of YARA's `IMAGE_OPTIONAL_HEADER32` / `64`, data directories included.
const OPTIONAL_32_SIZE: usize = size_of::<ImageOptionalHeader32>() + 16 * DIRECTORY_SIZE;
const OPTIONAL_64_SIZE: usize = size_of::<ImageOptionalHeader64>() + 16 * DIRECTORY_SIZE;
const DIRECTORY_SIZE: usize = size_of::<ImageDataDirectory>();
/// Offset of the optional header from the NT headers (signature and file header).
const OPTIONAL_OFFSET: usize = 4 + size_of::<ImageFileHeader>();

/// The optional header's fields, whichever its width.
pub(super) struct Optional {
    pub magic: u16,
    pub entry_point: u32,
    pub file_alignment: u32,
    pub number_of_rva_and_sizes: u32,
    /// File offset of the first data directory.
    pub directories_at: usize,
}

/// The located headers of a PE file.
pub struct Headers<'a> {
    nt_at: usize,
    file: &'a ImageFileHeader,
    pub(super) optional: Optional,
    optional32: Option<&'a ImageOptionalHeader32>,
    optional64: Option<&'a ImageOptionalHeader64>,
}

/// A `T` at `at` in `data`, when it fits.
fn read<T: Pod>(data: &[u8], at: usize) -> Option<&T> {
    let bytes = data.get(at..at.checked_add(size_of::<T>())?)?;
    from_bytes::<T>(bytes).ok().map(|(t, _)| t)
}

impl<'a> Headers<'a> {
    /// The headers of `data`, when it is a PE file by YARA's checks.
    pub fn find(data: &'a [u8]) -> Option<Self> {
        let dos: &ImageDosHeader = read(data, 0)?;
        if dos.e_magic.get(LE) != object::pe::IMAGE_DOS_SIGNATURE {
            return None;
        }
        let nt_at = usize::try_from(i32::try_from(dos.e_lfanew.get(LE)).ok()?).ok()?;
        let nt: &ImageNtHeaders32 = read(data, nt_at)?;
        if nt.signature.get(LE) != object::pe::IMAGE_NT_SIGNATURE {
            return None;
        }
        let optional_at = nt_at + OPTIONAL_OFFSET;
        data.get(optional_at..optional_at + OPTIONAL_32_SIZE)?;
        let magic = nt.optional_header.magic.get(LE);
        let wide = magic == object::pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC;
        let (optional32, optional64, optional) = if wide {
            data.get(optional_at..optional_at + OPTIONAL_64_SIZE)?;
            let o: &ImageOptionalHeader64 = read(data, optional_at)?;
            let optional = Optional {
                magic,
                entry_point: o.address_of_entry_point.get(LE),
                file_alignment: o.file_alignment.get(LE),
                number_of_rva_and_sizes: o.number_of_rva_and_sizes.get(LE),
                directories_at: optional_at + size_of::<ImageOptionalHeader64>(),
            };
            (None, Some(o), optional)
        } else {
            let o: &ImageOptionalHeader32 = read(data, optional_at)?;
            let optional = Optional {
                magic,
                entry_point: o.address_of_entry_point.get(LE),
                file_alignment: o.file_alignment.get(LE),
                number_of_rva_and_sizes: o.number_of_rva_and_sizes.get(LE),
                directories_at: optional_at + size_of::<ImageOptionalHeader32>(),
            };
            (Some(o), None, optional)
        };
        Some(Self {
            nt_at,
            file: &nt.file_header,
            optional,
            optional32,
            optional64,
        })
    }

    /// Data directory `entry`, as YARA's `pe_get_directory_entry` finds it: absent when the
    /// header lists fewer directories (except the CLR one of 32-bit files) or it lies past
    /// the end of the file. (virtual address, size).
    pub fn directory(&self, data: &[u8], entry: usize) -> Option<(u32, u32)> {
        let clr = entry == object::pe::IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR;
        if (!clr || self.optional64.is_some())
            && (self.optional.number_of_rva_and_sizes as usize) < entry
        {
            return None;
        }
        let d: &ImageDataDirectory =
            read(data, self.optional.directories_at + entry * DIRECTORY_SIZE)?;
        Some((d.virtual_address.get(LE), d.size.get(LE)))
    }

    /// The section headers YARA reads: up to [`MAX_SECTIONS`], stopping at the first that
    /// does not fit in the file.
    fn sections(&self, data: &'a [u8]) -> Vec<&'a ImageSectionHeader> {
        let first =
            self.nt_at + OPTIONAL_OFFSET + self.file.size_of_optional_header.get(LE) as usize;
        let count = (self.file.number_of_sections.get(LE) as usize).min(MAX_SECTIONS);
        (0..count)
            .map_while(|i| read(data, first + i * size_of::<ImageSectionHeader>()))
            .collect()
    }

    /// Sets the header, section, directory and overlay fields of `pe` (an input of `size`
    /// bytes whose first bytes are `data`).
    pub fn describe(&self, data: &'a [u8], size: u64, pe: &mut Object) {
        let f = self.file;
        pe.set("is_pe", 1i64);
        pe.set("machine", f.machine.get(LE));
        pe.set("number_of_sections", f.number_of_sections.get(LE));
        pe.set("timestamp", f.time_date_stamp.get(LE));
        pe.set("pointer_to_symbol_table", f.pointer_to_symbol_table.get(LE));
        pe.set("number_of_symbols", f.number_of_symbols.get(LE));
        pe.set("size_of_optional_header", f.size_of_optional_header.get(LE));
        pe.set("characteristics", f.characteristics.get(LE));
        pe.set("entry_point_raw", self.optional.entry_point);
        pe.set(
            "number_of_rva_and_sizes",
            self.optional.number_of_rva_and_sizes,
        );
        pe.set("opthdr_magic", self.optional.magic);
        self.describe_optional(pe);
        self.describe_directories(data, pe);
        let sections = self.sections(data);
        self.describe_sections(data, &sections, pe);
        let declared = (self.file.number_of_sections.get(LE) as usize).min(MAX_SECTIONS);
        let alignment = self.optional.file_alignment;
        pe.set(SECTION_MAP, section_map(declared, alignment, &sections));
        describe_overlay(&sections, size, pe);
        // The entry point needs the section table (already set).
        let entry =
            rva_to_offset(pe, size, self.optional.entry_point as u64).map_or(-1, |o| o as i64);
        pe.set("entry_point", entry);
    }

    fn describe_optional(&self, pe: &mut Object) {
        let version = |major: u16, minor: u16| {
            let mut v = Object::structure();
            v.set("major", major);
            v.set("minor", minor);
            v
        };
        macro_rules! common {
            ($o:expr) => {{
                let o = $o;
                pe.set("image_base", o.image_base.get(LE) as u64);
                pe.set(
                    "linker_version",
                    version(o.major_linker_version as u16, o.minor_linker_version as u16),
                );
                pe.set("size_of_code", o.size_of_code.get(LE));
                pe.set(
                    "size_of_initialized_data",
                    o.size_of_initialized_data.get(LE),
                );
                pe.set(
                    "size_of_uninitialized_data",
                    o.size_of_uninitialized_data.get(LE),
                );
                pe.set("base_of_code", o.base_of_code.get(LE));
                pe.set("section_alignment", o.section_alignment.get(LE));
                pe.set("file_alignment", o.file_alignment.get(LE));
                pe.set(
                    "os_version",
                    version(
                        o.major_operating_system_version.get(LE),
                        o.minor_operating_system_version.get(LE),
                    ),
                );
                pe.set(
                    "image_version",
                    version(o.major_image_version.get(LE), o.minor_image_version.get(LE)),
                );
                pe.set(
                    "subsystem_version",
                    version(
                        o.major_subsystem_version.get(LE),
                        o.minor_subsystem_version.get(LE),
                    ),
                );
                pe.set("win32_version_value", o.win32_version_value.get(LE));
                pe.set("size_of_image", o.size_of_image.get(LE));
                pe.set("size_of_headers", o.size_of_headers.get(LE));
                pe.set("checksum", o.check_sum.get(LE));
                pe.set("subsystem", o.subsystem.get(LE));
                pe.set("dll_characteristics", o.dll_characteristics.get(LE));
                pe.set(
                    "size_of_stack_reserve",
                    o.size_of_stack_reserve.get(LE) as u64,
                );
                pe.set(
                    "size_of_stack_commit",
                    o.size_of_stack_commit.get(LE) as u64,
                );
                pe.set(
                    "size_of_heap_reserve",
                    o.size_of_heap_reserve.get(LE) as u64,
                );
                pe.set("size_of_heap_commit", o.size_of_heap_commit.get(LE) as u64);
                pe.set("loader_flags", o.loader_flags.get(LE));
            }};
        }
        if let Some(o) = self.optional64 {
            common!(o);
        } else if let Some(o) = self.optional32 {
            common!(o);
            pe.set("base_of_data", o.base_of_data.get(LE));
        }
    }

    fn describe_directories(&self, data: &[u8], pe: &mut Object) {
        // YARA reads the count as a signed int: a huge count lists none.
        let count = (self.optional.number_of_rva_and_sizes as i32).clamp(0, MAX_DIRECTORIES as i32);
        let directories = (0..count as usize)
            .map_while(|i| {
                read::<ImageDataDirectory>(data, self.optional.directories_at + i * DIRECTORY_SIZE)
            })
            .map(|d| {
                let mut o = Object::structure();
                o.set("virtual_address", d.virtual_address.get(LE));
                o.set("size", d.size.get(LE));
                o
            })
            .collect();
        pe.set("data_directories", Object::Array(directories));
    }

    fn describe_sections(&self, data: &[u8], sections: &[&ImageSectionHeader], pe: &mut Object) {
        // Full names may all point at one long string: their bytes together stay bounded
        // (YARA copies each), and a name past the budget is undefined.
        let mut budget = MAX_FULL_NAME_BYTES;
        let items = sections
            .iter()
            .map(|s| {
                let mut o = Object::structure();
                // YARA strips trailing zero bytes only: a zero inside the name stays.
                let length = s.name.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                let name = s.name[..length].to_vec();
                if let Some(full) = self.full_section_name(data, &name) {
                    if full.len() <= budget {
                        budget -= full.len();
                        o.set("full_name", full);
                    }
                }
                o.set("name", name);
                o.set("characteristics", s.characteristics.get(LE));
                o.set("raw_data_size", s.size_of_raw_data.get(LE));
                o.set("raw_data_offset", s.pointer_to_raw_data.get(LE));
                o.set("virtual_address", s.virtual_address.get(LE));
                o.set("virtual_size", s.virtual_size.get(LE));
                o.set("pointer_to_relocations", s.pointer_to_relocations.get(LE));
                o.set("pointer_to_line_numbers", s.pointer_to_linenumbers.get(LE));
                o.set("number_of_relocations", s.number_of_relocations.get(LE));
                o.set("number_of_line_numbers", s.number_of_linenumbers.get(LE));
                o
            })
            .collect();
        pe.set("sections", Object::Array(items));
    }

    /// A section's full name: a name `/N` with a COFF symbol table names the string at offset
    /// N of the string table that follows the symbols (printable characters up to a zero
    /// byte; none when it runs off the file or holds another character).
    fn full_section_name(&self, data: &[u8], name: &[u8]) -> Option<Vec<u8>> {
        let symbols = self.file.pointer_to_symbol_table.get(LE) as u64;
        if symbols == 0 || name.first() != Some(&b'/') {
            return Some(name.to_vec());
        }
        const SYMBOL_SIZE: u64 = 18;
        let digits = name[1..]
            .iter()
            .take(7)
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |n, &d| n * 10 + (d - b'0') as u64);
        let table = symbols + self.file.number_of_symbols.get(LE) as u64 * SYMBOL_SIZE;
        let start = usize::try_from(table + digits).ok()?;
        let tail = data.get(start..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        let full = &tail[..end];
        full.iter()
            .all(|&b| (0x20..0x7f).contains(&b))
            .then(|| full.to_vec())
    }
}

/// The overlay: data past the end of the section whose raw data ends last (by offset + size;
/// offset and size 0 without one).
fn describe_overlay(sections: &[&ImageSectionHeader], size: u64, pe: &mut Object) {
    let (mut highest_offset, mut highest_size) = (0u64, 0u64);
    for s in sections {
        let (offset, raw) = (
            s.pointer_to_raw_data.get(LE) as u64,
            s.size_of_raw_data.get(LE) as u64,
        );
        if offset + raw > highest_offset + highest_size {
            (highest_offset, highest_size) = (offset, raw);
        }
    }
    let end = highest_offset + highest_size;
    let (offset, length) = if end != 0 && size > end {
        (end, size - end)
    } else {
        (0, 0)
    };
    let mut overlay = Object::structure();
    overlay.set("offset", offset);
    overlay.set("size", length);
    pe.set("overlay", overlay);
}

/// Hidden member of the module's values (rules cannot name it: it is not declared) holding the
/// section table in the form [`rva_to_offset`] reads: the header's section count (at most
/// [`MAX_SECTIONS`]), the file alignment, then (virtual address, virtual size, raw offset, raw
/// size) of each section read, as little-endian `u32`s. The parsers of imports, exports,
/// resources and the debug directory convert addresses many times per file.
pub(super) const SECTION_MAP: &str = "#section_map";

/// Packs the section table for [`rva_to_offset`].
fn section_map(declared: usize, file_alignment: u32, sections: &[&ImageSectionHeader]) -> Vec<u8> {
    let mut map = Vec::with_capacity(8 + 16 * sections.len());
    map.extend_from_slice(&(declared as u32).to_le_bytes());
    map.extend_from_slice(&file_alignment.to_le_bytes());
    for s in sections {
        for field in [
            s.virtual_address.get(LE),
            s.virtual_size.get(LE),
            s.pointer_to_raw_data.get(LE),
            s.size_of_raw_data.get(LE),
        ] {
            map.extend_from_slice(&field.to_le_bytes());
        }
    }
    map
}

/// The file offset of relative virtual address `rva` in a PE of `size` bytes whose values are
/// `pe`, by YARA's `pe_rva_to_offset`; None where YARA gives -1.
pub fn rva_to_offset(pe: &Object, size: u64, rva: u64) -> Option<u64> {
    let map = pe.member(SECTION_MAP).text()?;
    let word = |at: usize| -> u64 {
        map.get(at..at + 4)
            .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("4")) as u64)
    };
    let declared = word(0) as usize;
    let sections = map.len().saturating_sub(8) / 16;
    if sections < declared {
        // A section header past the end of the file: YARA gives up.
        return None;
    }
    let alignment = word(4).min(0x200);
    let mut lowest_rva = u32::MAX as u64;
    let (mut section_rva, mut section_offset, mut section_raw) = (0u64, 0u64, 0u64);
    for i in 0..declared {
        let at = 8 + 16 * i;
        let (va, virtual_size) = (word(at), word(at + 4));
        lowest_rva = lowest_rva.min(va);
        if rva >= va && rva - va < virtual_size && section_rva <= va {
            section_rva = va;
            section_offset = word(at + 8);
            section_raw = word(at + 12);
            if alignment != 0 {
                section_offset -= section_offset % alignment;
            }
        }
    }
    if rva < lowest_rva {
        (section_rva, section_offset, section_raw) = (0, 0, size);
    }
    if rva - section_rva >= section_raw {
        return None;
    }
    let offset = section_offset + (rva - section_rva);
    (offset < size).then_some(offset)
}
