//! YARA's `elf` module: the header, sections, segments, dynamic entries and symbols of ELF
//! files, as YARA 4.2.3 reports them for a file scan.
//!
//! # The format
//!
//! An ELF file starts with a 16-byte identification: the magic `\x7fELF`, the class (1: 32-bit,
//! 2: 64-bit) and the byte order (1: little-endian, 2: big-endian) of every later field. The
//! header follows (52 bytes in a 32-bit file, 64 in a 64-bit one): the file type (`ET_EXEC`,
//! `ET_DYN`, ...), the machine, the entry point (a virtual address), and the file offset,
//! entry size and entry count of two tables:
//!
//! - the section header table (`e_shoff`, `e_shnum`): per section its name (an offset in
//!   the section-name string table, the section numbered `e_shstrndx`), type, flags, virtual
//!   address, file offset, size and link (the section it refers to);
//! - the program header table (`e_phoff`, `e_phnum`): per segment its type, flags, file offset,
//!   virtual and physical addresses, sizes in the file and in memory, and alignment.
//!
//! A symbol table (`SHT_SYMTAB` or `SHT_DYNSYM`) is an array of symbols (name, value, size,
//! type and binding packed in `st_info`, section index) whose names are offsets in the string
//! table (`SHT_STRTAB`) its link names. A `PT_DYNAMIC` segment holds (tag, value) pairs ended
//! by a `DT_NULL` tag. YARA reads every record at its standard size (40 or 64 bytes per
//! section, 32 or 56 per segment, 8 or 16 per dynamic entry, 16 or 24 per symbol), whatever
//! `e_shentsize` and `e_phentsize` say.
//!
//! # What YARA sets, and when
//!
//! The constants (`elf.ET_EXEC`, `elf.SHT_SYMTAB`, `elf.PT_LOAD`, ...) are set for every input.
//! Everything else is set only when the input has the magic, a class of 1 or 2, a byte order
//! of 1 or 2, and is *longer* than the header (a file of exactly 52 or 64 bytes is not
//! parsed). Then the header fields are always set: `type`, `machine`, `number_of_sections`,
//! `sh_offset`, `sh_entry_size`, `number_of_segments`, `ph_offset`, `ph_entry_size`. The rest
//! follows YARA's checks, kept here as they are:
//!
//! - `entry_point` is set when `e_entry` is not 0 and maps to a file offset. An `ET_EXEC`
//!   file maps it through the segment whose `[p_vaddr, p_vaddr + p_memsz)` contains it; any
//!   other type through the first section, not `SHT_NULL` nor `SHT_NOBITS`, whose
//!   `[sh_addr, sh_addr + sh_size)` contains it (the ends wrap at the class's width). The
//!   table used must have a non-zero offset and count and lie in the file; these checks do
//!   not limit the count, unlike the ones below.
//! - `sections` are set when `e_shnum` is below 0xff00, `e_shstrndx` is below `e_shnum`,
//!   `e_shoff` is inside the file (0 is accepted) and the table fits in the file. A section's
//!   `name` is set only when the name table's offset is neither 0 nor past the end of the file,
//!   `sh_name` is inside the file, the name table's first byte is NUL, and a NUL ends the name
//!   before the end of the *file* (the name table's own size is not used).
//! - `symtab` comes from the last `SHT_SYMTAB` section whose `sh_link` is below `e_shnum`
//!   and names a section header, inside the file, of type `SHT_STRTAB`; `dynsym` likewise from
//!   the last `SHT_DYNSYM`. In a big-endian file YARA compares `sh_link` with `e_shnum` read in
//!   the wrong byte order (0x0500 for 5 sections), so a link past the table can be followed.
//!   The symbols and their string table must both lie in the file; then `symtab_entries` is
//!   `sh_size / entry size` (possibly 0) and every symbol's `value`, `size`, `type`, `bind`
//!   and `shndx` are set, and its `name` when the string table starts with a NUL and a NUL
//!   ends the name inside the string table's `sh_size`.
//! - `segments` are set when `e_phnum` is between 1 and 0xfffe, `e_phoff` is inside the file
//!   and the table fits in it. Each `PT_DYNAMIC` segment's entries are read from its
//!   `p_offset` until a `DT_NULL` (which counts) or the end of the file, whatever its
//!   `p_filesz`; a later `PT_DYNAMIC` segment overwrites `dynamic[0..]` (entries past its own
//!   count stay from the earlier ones) and `dynamic_section_entries` is the last one's count.
//! - An integer equal to YARA's undefined marker (0xfffabadafabadaff) reads as undefined, as
//!   it does in YARA.
//!
//! YARA parses the whole file; here the first [`MAX_MODULE_INPUT`] bytes are the file, so
//! tables past them are checked against that size. Two guards keep a crafted file from
//! costing more than its size suggests, without changing the values of real files: the texts
//! of all names together are limited to `MAX_NAME_BYTES` (many symbols naming one long
//! string would otherwise copy it each time; names past the limit are undefined), and
//! `PT_DYNAMIC` segments over one long run of entries read it once, not once per segment.

use super::schema::{member, Kind, Member};
use super::{Input, Object, MAX_MODULE_INPUT};
use object::elf as abi;
use std::cell::Cell;

/// YARA's integer for *undefined*: a field with this value reads as undefined in YARA.
const YR_UNDEFINED: u64 = 0xFFFA_BADA_FABA_DAFF;

/// Most bytes of section and symbol names one input's values hold (256 MiB): names past
/// it are left undefined, where YARA would copy without bound.
const MAX_NAME_BYTES: u64 = 4 * MAX_MODULE_INPUT;

/// The integer constants the module sets for every input, in YARA's order.
const CONSTANTS: &[(&str, i64)] = &[
    ("ET_NONE", abi::ET_NONE as i64),
    ("ET_REL", abi::ET_REL as i64),
    ("ET_EXEC", abi::ET_EXEC as i64),
    ("ET_DYN", abi::ET_DYN as i64),
    ("ET_CORE", abi::ET_CORE as i64),
    ("EM_NONE", abi::EM_NONE as i64),
    ("EM_M32", abi::EM_M32 as i64),
    ("EM_SPARC", abi::EM_SPARC as i64),
    ("EM_386", abi::EM_386 as i64),
    ("EM_68K", abi::EM_68K as i64),
    ("EM_88K", abi::EM_88K as i64),
    ("EM_860", abi::EM_860 as i64),
    ("EM_MIPS", abi::EM_MIPS as i64),
    ("EM_MIPS_RS3_LE", abi::EM_MIPS_RS3_LE as i64),
    ("EM_PPC", abi::EM_PPC as i64),
    ("EM_PPC64", abi::EM_PPC64 as i64),
    ("EM_ARM", abi::EM_ARM as i64),
    ("EM_X86_64", abi::EM_X86_64 as i64),
    ("EM_AARCH64", abi::EM_AARCH64 as i64),
    ("SHT_NULL", abi::SHT_NULL as i64),
    ("SHT_PROGBITS", abi::SHT_PROGBITS as i64),
    ("SHT_SYMTAB", abi::SHT_SYMTAB as i64),
    ("SHT_STRTAB", abi::SHT_STRTAB as i64),
    ("SHT_RELA", abi::SHT_RELA as i64),
    ("SHT_HASH", abi::SHT_HASH as i64),
    ("SHT_DYNAMIC", abi::SHT_DYNAMIC as i64),
    ("SHT_NOTE", abi::SHT_NOTE as i64),
    ("SHT_NOBITS", abi::SHT_NOBITS as i64),
    ("SHT_REL", abi::SHT_REL as i64),
    ("SHT_SHLIB", abi::SHT_SHLIB as i64),
    ("SHT_DYNSYM", abi::SHT_DYNSYM as i64),
    ("SHF_WRITE", abi::SHF_WRITE as i64),
    ("SHF_ALLOC", abi::SHF_ALLOC as i64),
    ("SHF_EXECINSTR", abi::SHF_EXECINSTR as i64),
    ("PT_NULL", abi::PT_NULL as i64),
    ("PT_LOAD", abi::PT_LOAD as i64),
    ("PT_DYNAMIC", abi::PT_DYNAMIC as i64),
    ("PT_INTERP", abi::PT_INTERP as i64),
    ("PT_NOTE", abi::PT_NOTE as i64),
    ("PT_SHLIB", abi::PT_SHLIB as i64),
    ("PT_PHDR", abi::PT_PHDR as i64),
    ("PT_TLS", abi::PT_TLS as i64),
    ("PT_GNU_EH_FRAME", abi::PT_GNU_EH_FRAME as i64),
    ("PT_GNU_STACK", abi::PT_GNU_STACK as i64),
    ("DT_NULL", abi::DT_NULL as i64),
    ("DT_NEEDED", abi::DT_NEEDED as i64),
    ("DT_PLTRELSZ", abi::DT_PLTRELSZ as i64),
    ("DT_PLTGOT", abi::DT_PLTGOT as i64),
    ("DT_HASH", abi::DT_HASH as i64),
    ("DT_STRTAB", abi::DT_STRTAB as i64),
    ("DT_SYMTAB", abi::DT_SYMTAB as i64),
    ("DT_RELA", abi::DT_RELA as i64),
    ("DT_RELASZ", abi::DT_RELASZ as i64),
    ("DT_RELAENT", abi::DT_RELAENT as i64),
    ("DT_STRSZ", abi::DT_STRSZ as i64),
    ("DT_SYMENT", abi::DT_SYMENT as i64),
    ("DT_INIT", abi::DT_INIT as i64),
    ("DT_FINI", abi::DT_FINI as i64),
    ("DT_SONAME", abi::DT_SONAME as i64),
    ("DT_RPATH", abi::DT_RPATH as i64),
    ("DT_SYMBOLIC", abi::DT_SYMBOLIC as i64),
    ("DT_REL", abi::DT_REL as i64),
    ("DT_RELSZ", abi::DT_RELSZ as i64),
    ("DT_RELENT", abi::DT_RELENT as i64),
    ("DT_PLTREL", abi::DT_PLTREL as i64),
    ("DT_DEBUG", abi::DT_DEBUG as i64),
    ("DT_TEXTREL", abi::DT_TEXTREL as i64),
    ("DT_JMPREL", abi::DT_JMPREL as i64),
    ("DT_BIND_NOW", abi::DT_BIND_NOW as i64),
    ("DT_INIT_ARRAY", abi::DT_INIT_ARRAY as i64),
    ("DT_FINI_ARRAY", abi::DT_FINI_ARRAY as i64),
    ("DT_INIT_ARRAYSZ", abi::DT_INIT_ARRAYSZ as i64),
    ("DT_FINI_ARRAYSZ", abi::DT_FINI_ARRAYSZ as i64),
    ("DT_RUNPATH", abi::DT_RUNPATH as i64),
    ("DT_FLAGS", abi::DT_FLAGS as i64),
    ("DT_ENCODING", abi::DT_ENCODING as i64),
    ("STT_NOTYPE", abi::STT_NOTYPE as i64),
    ("STT_OBJECT", abi::STT_OBJECT as i64),
    ("STT_FUNC", abi::STT_FUNC as i64),
    ("STT_SECTION", abi::STT_SECTION as i64),
    ("STT_FILE", abi::STT_FILE as i64),
    ("STT_COMMON", abi::STT_COMMON as i64),
    ("STT_TLS", abi::STT_TLS as i64),
    ("STB_LOCAL", abi::STB_LOCAL as i64),
    ("STB_GLOBAL", abi::STB_GLOBAL as i64),
    ("STB_WEAK", abi::STB_WEAK as i64),
    ("PF_X", abi::PF_X as i64),
    ("PF_W", abi::PF_W as i64),
    ("PF_R", abi::PF_R as i64),
];

/// The members of a `symtab` or `dynsym` item.
const SYMBOL: Kind = Kind::Struct(&[
    member("name", Kind::Text),
    member("value", Kind::Int),
    member("size", Kind::Int),
    member("type", Kind::Int),
    member("bind", Kind::Int),
    member("shndx", Kind::Int),
]);

/// The `elf` module's declarations, in YARA 4.2.3's order.
pub const DECLARATIONS: &[Member] = &[
    member("ET_NONE", Kind::Int),
    member("ET_REL", Kind::Int),
    member("ET_EXEC", Kind::Int),
    member("ET_DYN", Kind::Int),
    member("ET_CORE", Kind::Int),
    member("EM_NONE", Kind::Int),
    member("EM_M32", Kind::Int),
    member("EM_SPARC", Kind::Int),
    member("EM_386", Kind::Int),
    member("EM_68K", Kind::Int),
    member("EM_88K", Kind::Int),
    member("EM_860", Kind::Int),
    member("EM_MIPS", Kind::Int),
    member("EM_MIPS_RS3_LE", Kind::Int),
    member("EM_PPC", Kind::Int),
    member("EM_PPC64", Kind::Int),
    member("EM_ARM", Kind::Int),
    member("EM_X86_64", Kind::Int),
    member("EM_AARCH64", Kind::Int),
    member("SHT_NULL", Kind::Int),
    member("SHT_PROGBITS", Kind::Int),
    member("SHT_SYMTAB", Kind::Int),
    member("SHT_STRTAB", Kind::Int),
    member("SHT_RELA", Kind::Int),
    member("SHT_HASH", Kind::Int),
    member("SHT_DYNAMIC", Kind::Int),
    member("SHT_NOTE", Kind::Int),
    member("SHT_NOBITS", Kind::Int),
    member("SHT_REL", Kind::Int),
    member("SHT_SHLIB", Kind::Int),
    member("SHT_DYNSYM", Kind::Int),
    member("SHF_WRITE", Kind::Int),
    member("SHF_ALLOC", Kind::Int),
    member("SHF_EXECINSTR", Kind::Int),
    member("type", Kind::Int),
    member("machine", Kind::Int),
    member("entry_point", Kind::Int),
    member("number_of_sections", Kind::Int),
    member("sh_offset", Kind::Int),
    member("sh_entry_size", Kind::Int),
    member("number_of_segments", Kind::Int),
    member("ph_offset", Kind::Int),
    member("ph_entry_size", Kind::Int),
    member(
        "sections",
        Kind::Array(&Kind::Struct(&[
            member("type", Kind::Int),
            member("flags", Kind::Int),
            member("address", Kind::Int),
            member("name", Kind::Text),
            member("size", Kind::Int),
            member("offset", Kind::Int),
        ])),
    ),
    member("PT_NULL", Kind::Int),
    member("PT_LOAD", Kind::Int),
    member("PT_DYNAMIC", Kind::Int),
    member("PT_INTERP", Kind::Int),
    member("PT_NOTE", Kind::Int),
    member("PT_SHLIB", Kind::Int),
    member("PT_PHDR", Kind::Int),
    member("PT_TLS", Kind::Int),
    member("PT_GNU_EH_FRAME", Kind::Int),
    member("PT_GNU_STACK", Kind::Int),
    member("DT_NULL", Kind::Int),
    member("DT_NEEDED", Kind::Int),
    member("DT_PLTRELSZ", Kind::Int),
    member("DT_PLTGOT", Kind::Int),
    member("DT_HASH", Kind::Int),
    member("DT_STRTAB", Kind::Int),
    member("DT_SYMTAB", Kind::Int),
    member("DT_RELA", Kind::Int),
    member("DT_RELASZ", Kind::Int),
    member("DT_RELAENT", Kind::Int),
    member("DT_STRSZ", Kind::Int),
    member("DT_SYMENT", Kind::Int),
    member("DT_INIT", Kind::Int),
    member("DT_FINI", Kind::Int),
    member("DT_SONAME", Kind::Int),
    member("DT_RPATH", Kind::Int),
    member("DT_SYMBOLIC", Kind::Int),
    member("DT_REL", Kind::Int),
    member("DT_RELSZ", Kind::Int),
    member("DT_RELENT", Kind::Int),
    member("DT_PLTREL", Kind::Int),
    member("DT_DEBUG", Kind::Int),
    member("DT_TEXTREL", Kind::Int),
    member("DT_JMPREL", Kind::Int),
    member("DT_BIND_NOW", Kind::Int),
    member("DT_INIT_ARRAY", Kind::Int),
    member("DT_FINI_ARRAY", Kind::Int),
    member("DT_INIT_ARRAYSZ", Kind::Int),
    member("DT_FINI_ARRAYSZ", Kind::Int),
    member("DT_RUNPATH", Kind::Int),
    member("DT_FLAGS", Kind::Int),
    member("DT_ENCODING", Kind::Int),
    member("STT_NOTYPE", Kind::Int),
    member("STT_OBJECT", Kind::Int),
    member("STT_FUNC", Kind::Int),
    member("STT_SECTION", Kind::Int),
    member("STT_FILE", Kind::Int),
    member("STT_COMMON", Kind::Int),
    member("STT_TLS", Kind::Int),
    member("STB_LOCAL", Kind::Int),
    member("STB_GLOBAL", Kind::Int),
    member("STB_WEAK", Kind::Int),
    member("PF_X", Kind::Int),
    member("PF_W", Kind::Int),
    member("PF_R", Kind::Int),
    member(
        "segments",
        Kind::Array(&Kind::Struct(&[
            member("type", Kind::Int),
            member("flags", Kind::Int),
            member("offset", Kind::Int),
            member("virtual_address", Kind::Int),
            member("physical_address", Kind::Int),
            member("file_size", Kind::Int),
            member("memory_size", Kind::Int),
            member("alignment", Kind::Int),
        ])),
    ),
    member("dynamic_section_entries", Kind::Int),
    member(
        "dynamic",
        Kind::Array(&Kind::Struct(&[
            member("type", Kind::Int),
            member("val", Kind::Int),
        ])),
    ),
    member("symtab_entries", Kind::Int),
    member("symtab", Kind::Array(&SYMBOL)),
    member("dynsym_entries", Kind::Int),
    member("dynsym", Kind::Array(&SYMBOL)),
];

/// The module's values for `input`: the constants, and the file's fields when it is an ELF
/// file that passes YARA's checks (see the module documentation).
pub fn load(input: &Input<'_>) -> Object {
    let mut elf = Object::structure();
    for &(name, value) in CONSTANTS {
        elf.set(name, value);
    }
    // Only an ELF file is read whole.
    let magic = input.bytes(0, 4);
    if magic.as_deref() != Some(&abi::ELFMAG[..]) {
        return elf;
    }
    let data = input.head();
    if let Some(file) = data.as_deref().and_then(Elf::new) {
        file.fill(&mut elf);
    }
    elf
}

/// Sets integer member `name` of `object`, unless `value` is YARA's undefined marker.
fn set_int(object: &mut Object, name: &'static str, value: u64) {
    if value != YR_UNDEFINED {
        object.set(name, value);
    }
}

/// An input that passed YARA's checks on the identification: its bytes, byte order and class.
struct Elf<'a> {
    /// The whole input (YARA's `elf_size` is its length).
    data: &'a [u8],
    /// Big-endian fields (`ELFDATA2MSB`).
    big: bool,
    /// A 64-bit file (`ELFCLASS64`).
    wide: bool,
    /// Bytes of names still allowed ([`MAX_NAME_BYTES`]).
    names_left: Cell<u64>,
}

/// The fields of the ELF header YARA reads.
struct Header {
    kind: u64,
    machine: u64,
    entry: u64,
    ph_offset: u64,
    ph_entry_size: u64,
    ph_count: u64,
    sh_offset: u64,
    sh_entry_size: u64,
    sh_count: u64,
    /// `e_shnum` as YARA compares it with `sh_link`: read in the host's (little-endian) order.
    sh_count_raw: u64,
    str_index: u64,
}

/// The fields of a section header YARA reads.
struct Section {
    name: u64,
    kind: u64,
    flags: u64,
    address: u64,
    offset: u64,
    size: u64,
    link: u64,
}

/// A program header.
struct Segment {
    kind: u64,
    flags: u64,
    offset: u64,
    virtual_address: u64,
    physical_address: u64,
    file_size: u64,
    memory_size: u64,
    alignment: u64,
}

/// A symbol table and its string table, as file offsets and sizes.
#[derive(Clone, Copy)]
struct SymbolTable {
    offset: u64,
    size: u64,
    strings: u64,
    strings_size: u64,
}

impl<'a> Elf<'a> {
    /// The input as an ELF file of a class and byte order YARA parses, when it is longer than
    /// the header.
    fn new(data: &'a [u8]) -> Option<Self> {
        let ident = data.get(..16)?;
        if !ident.starts_with(&abi::ELFMAG) {
            return None;
        }
        let wide = match ident.get(4) {
            Some(&abi::ELFCLASS32) => false,
            Some(&abi::ELFCLASS64) => true,
            _ => return None,
        };
        let big = match ident.get(5) {
            Some(&abi::ELFDATA2LSB) => false,
            Some(&abi::ELFDATA2MSB) => true,
            _ => return None,
        };
        let elf = Elf {
            data,
            big,
            wide,
            names_left: Cell::new(MAX_NAME_BYTES),
        };
        (elf.size() > elf.header_size()).then_some(elf)
    }

    /// Bytes in the input.
    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    /// Bytes of an address, offset or `xword` field.
    fn word(&self) -> usize {
        if self.wide {
            8
        } else {
            4
        }
    }

    /// Bytes of the ELF header.
    fn header_size(&self) -> u64 {
        if self.wide {
            64
        } else {
            52
        }
    }

    /// Bytes of a section header.
    fn section_size(&self) -> u64 {
        if self.wide {
            64
        } else {
            40
        }
    }

    /// Bytes of a program header.
    fn segment_size(&self) -> u64 {
        if self.wide {
            56
        } else {
            32
        }
    }

    /// Bytes of a dynamic entry.
    fn dynamic_size(&self) -> u64 {
        if self.wide {
            16
        } else {
            8
        }
    }

    /// Bytes of a symbol.
    fn symbol_size(&self) -> u64 {
        if self.wide {
            24
        } else {
            16
        }
    }

    /// `value` cut to the class's width, as C's arithmetic on the fields wraps.
    fn wrap(&self, value: u64) -> u64 {
        if self.wide {
            value
        } else {
            value & 0xffff_ffff
        }
    }

    /// Whether `len` bytes at `at` lie in the input (YARA's `is_valid_ptr`).
    fn fits(&self, at: u64, len: u64) -> bool {
        at.checked_add(len).is_some_and(|end| end <= self.size())
    }

    /// The `len` bytes at `at`, when they lie in the input.
    fn record(&self, at: u64, len: u64) -> Option<Record<'a>> {
        let start = usize::try_from(at).ok()?;
        let end = usize::try_from(at.checked_add(len)?).ok()?;
        let bytes = self.data.get(start..end)?;
        Some(Record {
            bytes,
            big: self.big,
            wide: self.wide,
        })
    }

    /// Record `index` of a table of `len`-byte records at `table`.
    fn item(&self, table: u64, index: u64, len: u64) -> Option<Record<'a>> {
        self.record(table.checked_add(index.checked_mul(len)?)?, len)
    }

    /// The ELF header.
    fn header(&self) -> Option<Header> {
        let r = self.record(0, self.header_size())?;
        let w = self.word();
        let sh_count = 36 + 3 * w;
        let host = Record { big: false, ..r };
        Some(Header {
            kind: r.u16(16),
            machine: r.u16(18),
            entry: r.word(24),
            ph_offset: r.word(24 + w),
            sh_offset: r.word(24 + 2 * w),
            ph_entry_size: r.u16(30 + 3 * w),
            ph_count: r.u16(32 + 3 * w),
            sh_entry_size: r.u16(34 + 3 * w),
            sh_count: r.u16(sh_count),
            sh_count_raw: host.u16(sh_count),
            str_index: r.u16(38 + 3 * w),
        })
    }

    /// Section header `index` of the table at `table`, when it lies in the input.
    fn section(&self, table: u64, index: u64) -> Option<Section> {
        let r = self.item(table, index, self.section_size())?;
        let w = self.word();
        Some(Section {
            name: r.u32(0),
            kind: r.u32(4),
            flags: r.word(8),
            address: r.word(8 + w),
            offset: r.word(8 + 2 * w),
            size: r.word(8 + 3 * w),
            link: r.u32(8 + 4 * w),
        })
    }

    /// Program header `index` of the table at `table`, when it lies in the input.
    fn segment(&self, table: u64, index: u64) -> Option<Segment> {
        let r = self.item(table, index, self.segment_size())?;
        Some(if self.wide {
            Segment {
                kind: r.u32(0),
                flags: r.u32(4),
                offset: r.word(8),
                virtual_address: r.word(16),
                physical_address: r.word(24),
                file_size: r.word(32),
                memory_size: r.word(40),
                alignment: r.word(48),
            }
        } else {
            Segment {
                kind: r.u32(0),
                offset: r.u32(4),
                virtual_address: r.u32(8),
                physical_address: r.u32(12),
                file_size: r.u32(16),
                memory_size: r.u32(20),
                flags: r.u32(24),
                alignment: r.u32(28),
            }
        })
    }

    /// Sets the module's fields from the file.
    fn fill(&self, elf: &mut Object) {
        let Some(h) = self.header() else {
            return;
        };
        set_int(elf, "type", h.kind);
        set_int(elf, "machine", h.machine);
        set_int(elf, "sh_offset", h.sh_offset);
        set_int(elf, "sh_entry_size", h.sh_entry_size);
        set_int(elf, "number_of_sections", h.sh_count);
        set_int(elf, "ph_offset", h.ph_offset);
        set_int(elf, "ph_entry_size", h.ph_entry_size);
        set_int(elf, "number_of_segments", h.ph_count);
        if let Some(offset) = self.entry_offset(&h) {
            set_int(elf, "entry_point", offset);
        }
        self.sections(&h, elf);
        self.segments(&h, elf);
    }

    /// The check YARA's `elf_rva_to_offset` makes on a header table: a non-zero offset and
    /// count, and the whole table in the input.
    fn mapping_table(&self, offset: u64, count: u64, len: u64) -> bool {
        offset != 0 && count != 0 && count.checked_mul(len).is_some_and(|n| self.fits(offset, n))
    }

    /// The check YARA's parser makes before reading a header table: the offset inside the
    /// input (0 is fine) and the whole table in the input.
    fn parsed_table(&self, offset: u64, count: u64, len: u64) -> bool {
        offset < self.size() && count.checked_mul(len).is_some_and(|n| self.fits(offset, n))
    }

    /// `e_entry` as a file offset, by YARA's `elf_rva_to_offset` for files: through the
    /// segments of an `ET_EXEC` file, through the sections of any other. None for an entry
    /// of 0 (YARA leaves `entry_point` unset) or one that maps nowhere.
    fn entry_offset(&self, h: &Header) -> Option<u64> {
        let rva = h.entry;
        if rva == 0 {
            return None;
        }
        if h.kind == u64::from(abi::ET_EXEC) {
            if !self.mapping_table(h.ph_offset, h.ph_count, self.segment_size()) {
                return None;
            }
            for i in 0..h.ph_count {
                let s = self.segment(h.ph_offset, i)?;
                let end = self.wrap(s.virtual_address.wrapping_add(s.memory_size));
                if (s.virtual_address..end).contains(&rva) {
                    return Some(s.offset.wrapping_add(rva - s.virtual_address));
                }
            }
        } else {
            if !self.mapping_table(h.sh_offset, h.sh_count, self.section_size()) {
                return None;
            }
            for i in 0..h.sh_count {
                let s = self.section(h.sh_offset, i)?;
                let mapped =
                    s.kind != u64::from(abi::SHT_NULL) && s.kind != u64::from(abi::SHT_NOBITS);
                let end = self.wrap(s.address.wrapping_add(s.size));
                if mapped && (s.address..end).contains(&rva) {
                    return Some(s.offset.wrapping_add(rva - s.address));
                }
            }
        }
        None
    }

    /// Sets `sections`, and `symtab` and `dynsym` with their counts.
    fn sections(&self, h: &Header, elf: &mut Object) {
        if h.sh_count >= u64::from(abi::SHN_LORESERVE)
            || h.str_index >= h.sh_count
            || !self.parsed_table(h.sh_offset, h.sh_count, self.section_size())
        {
            return;
        }
        let size = self.size();
        // YARA names sections only when the name table's offset is inside the file and not 0.
        let names = self
            .section(h.sh_offset, h.str_index)
            .filter(|s| s.offset != 0 && s.offset < size)
            .and_then(|s| Strings::new(self.data, s.offset, size));
        let mut items = Vec::with_capacity(h.sh_count as usize);
        let mut symtab = None;
        let mut dynsym = None;
        for i in 0..h.sh_count {
            let Some(s) = self.section(h.sh_offset, i) else {
                break;
            };
            let mut item = Object::structure();
            set_int(&mut item, "type", s.kind);
            set_int(&mut item, "flags", s.flags);
            set_int(&mut item, "address", s.address);
            set_int(&mut item, "size", s.size);
            set_int(&mut item, "offset", s.offset);
            let name = names
                .as_ref()
                .filter(|_| s.name < size)
                .and_then(|names| self.name(names, s.name));
            if let Some(name) = name {
                item.set("name", name);
            }
            let is_symtab = s.kind == u64::from(abi::SHT_SYMTAB);
            if (is_symtab || s.kind == u64::from(abi::SHT_DYNSYM)) && s.link < h.sh_count_raw {
                let strings = self
                    .section(h.sh_offset, s.link)
                    .filter(|l| l.kind == u64::from(abi::SHT_STRTAB));
                if let Some(strings) = strings {
                    let table = SymbolTable {
                        offset: s.offset,
                        size: s.size,
                        strings: strings.offset,
                        strings_size: strings.size,
                    };
                    if is_symtab {
                        symtab = Some(table);
                    } else {
                        dynsym = Some(table);
                    }
                }
            }
            items.push(item);
        }
        elf.set("sections", Object::Array(items));
        let tables = [
            (symtab, "symtab_entries", "symtab"),
            (dynsym, "dynsym_entries", "dynsym"),
        ];
        for (table, count, name) in tables {
            if let Some(symbols) = table.and_then(|t| self.symbols(t)) {
                set_int(elf, count, symbols.len() as u64);
                if !symbols.is_empty() {
                    elf.set(name, Object::Array(symbols));
                }
            }
        }
    }

    /// The symbols of `table`, when it and its string table lie in the input.
    fn symbols(&self, t: SymbolTable) -> Option<Vec<Object>> {
        if !self.fits(t.strings, t.strings_size) || !self.fits(t.offset, t.size) {
            return None;
        }
        let names = Strings::new(self.data, t.strings, t.strings + t.strings_size);
        let len = self.symbol_size();
        let count = t.size / len;
        let mut symbols = Vec::with_capacity(count as usize);
        for j in 0..count {
            let Some(r) = self.item(t.offset, j, len) else {
                break;
            };
            let (name, info, shndx, value, size) = if self.wide {
                (r.u32(0), r.u8(4), r.u16(6), r.word(8), r.word(16))
            } else {
                (r.u32(0), r.u8(12), r.u16(14), r.u32(4), r.u32(8))
            };
            let mut symbol = Object::structure();
            if let Some(text) = names.as_ref().and_then(|names| self.name(names, name)) {
                symbol.set("name", text);
            }
            set_int(&mut symbol, "bind", info >> 4);
            set_int(&mut symbol, "type", info & 0xf);
            set_int(&mut symbol, "shndx", shndx);
            set_int(&mut symbol, "value", value);
            set_int(&mut symbol, "size", size);
            symbols.push(symbol);
        }
        Some(symbols)
    }

    /// Sets `segments`, and `dynamic` with `dynamic_section_entries`.
    fn segments(&self, h: &Header, elf: &mut Object) {
        if h.ph_count == 0
            || h.ph_count >= u64::from(abi::PN_XNUM)
            || !self.parsed_table(h.ph_offset, h.ph_count, self.segment_size())
        {
            return;
        }
        let mut items = Vec::with_capacity(h.ph_count as usize);
        let mut dynamic = Vec::new();
        for i in 0..h.ph_count {
            let Some(s) = self.segment(h.ph_offset, i) else {
                break;
            };
            let mut item = Object::structure();
            set_int(&mut item, "type", s.kind);
            set_int(&mut item, "flags", s.flags);
            set_int(&mut item, "offset", s.offset);
            set_int(&mut item, "virtual_address", s.virtual_address);
            set_int(&mut item, "physical_address", s.physical_address);
            set_int(&mut item, "file_size", s.file_size);
            set_int(&mut item, "memory_size", s.memory_size);
            set_int(&mut item, "alignment", s.alignment);
            if s.kind == u64::from(abi::PT_DYNAMIC) {
                dynamic.push(s.offset);
            }
            items.push(item);
        }
        elf.set("segments", Object::Array(items));
        self.dynamic(&dynamic, elf);
    }

    /// Name `index` of `strings` as a text, while the budget of names lasts.
    fn name(&self, strings: &Strings<'_>, index: u64) -> Option<Object> {
        let left = self.names_left.get();
        let Some(name) = strings.get(index, left) else {
            // The table ends every name with a zero byte, so a name at a valid index that
            // is not found is longer than the budget left: the budget is spent, and later
            // names are not searched for at all.
            if strings.holds(index) {
                self.names_left.set(0);
            }
            return None;
        };
        self.names_left.set(left.saturating_sub(name.len() as u64));
        Some(Object::Text(name.to_vec()))
    }

    /// Sets `dynamic` and `dynamic_section_entries` as YARA's loop over the `PT_DYNAMIC`
    /// segments at `offsets` leaves them: each run overwrites the items from 0, and the count
    /// is the last run's. The final items are read once, from the last run long enough to
    /// reach each one, so many segments over one long table cost no more than the table.
    fn dynamic(&self, offsets: &[u64], elf: &mut Object) {
        let lengths = self.dynamic_lengths(offsets);
        let Some(&last) = lengths.last() else {
            return;
        };
        let len = self.dynamic_size();
        let mut entries: Vec<Object> = Vec::new();
        for (&start, &count) in offsets.iter().zip(&lengths).rev() {
            while (entries.len() as u64) < count {
                let Some(r) = self.item(start, entries.len() as u64, len) else {
                    break;
                };
                let mut entry = Object::structure();
                set_int(&mut entry, "type", r.word(0));
                set_int(&mut entry, "val", r.word(self.word()));
                entries.push(entry);
            }
        }
        set_int(elf, "dynamic_section_entries", last);
        if !entries.is_empty() {
            elf.set("dynamic", Object::Array(entries));
        }
    }

    /// How many dynamic entries YARA reads from each of `offsets`: entries follow one another
    /// until one with tag 0 (which counts) or until the next would pass the end of the input.
    /// Offsets are visited in order within each residue modulo the entry size, so a run that
    /// starts inside the previous one ends where it did and is not read again.
    fn dynamic_lengths(&self, offsets: &[u64]) -> Vec<u64> {
        let len = self.dynamic_size();
        let mut order: Vec<(u64, u64, usize)> = offsets
            .iter()
            .enumerate()
            .map(|(i, &start)| (start % len, start, i))
            .collect();
        order.sort_unstable();
        let mut lengths = vec![0; offsets.len()];
        let mut previous: Option<(u64, u64)> = None;
        for (residue, start, i) in order {
            let end = match previous {
                Some((r, end)) if r == residue && start < end => end,
                _ => self.dynamic_end(start),
            };
            previous = Some((residue, end));
            if let Some(slot) = lengths.get_mut(i) {
                *slot = end.saturating_sub(start) / len;
            }
        }
        lengths
    }

    /// Where YARA's read of dynamic entries from `start` stops: just past the first entry with
    /// tag 0, or at the last whole entry in the input.
    fn dynamic_end(&self, start: u64) -> u64 {
        let len = self.dynamic_size();
        let mut at = start;
        while let Some(r) = self.record(at, len) {
            at += len;
            if r.word(0) == 0 {
                break;
            }
        }
        at
    }
}

/// A string table as YARA's `str_table_entry` reads it: the bytes from its start to a limit
/// (the end of the file for section names, of the table for symbol names).
struct Strings<'a> {
    /// The table up to its last NUL (a name past it has no terminator before the limit).
    table: &'a [u8],
}

impl<'a> Strings<'a> {
    /// The table `base..limit` of `data`, when it is not empty and starts with a NUL (else no
    /// name of it is valid).
    fn new(data: &'a [u8], base: u64, limit: u64) -> Option<Self> {
        let start = usize::try_from(base).ok()?;
        let end = usize::try_from(limit).ok()?;
        let table = data.get(start..end)?;
        if table.first() != Some(&0) {
            return None;
        }
        let terminated = table.iter().rposition(|&b| b == 0)? + 1;
        Some(Strings {
            table: table.get(..terminated)?,
        })
    }

    /// Whether `index` lies in the table (as [`Strings::get`] accepts it).
    fn holds(&self, index: u64) -> bool {
        index <= i32::MAX as u64 && (index as usize) < self.table.len()
    }

    /// The NUL-terminated name at `index`, without its NUL, when it is at most `max` bytes
    /// long (only that much is searched).
    fn get(&self, index: u64, max: u64) -> Option<&'a [u8]> {
        // YARA passes the index as a C `int`: 2^31 and above are negative, and refused.
        if index > i32::MAX as u64 {
            return None;
        }
        let entry = self.table.get(usize::try_from(index).ok()?..)?;
        let window = usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX);
        let len = entry.iter().take(window).position(|&b| b == 0)?;
        entry.get(..len)
    }
}

/// A record of the input, whose fields are read in the file's byte order.
#[derive(Clone, Copy)]
struct Record<'a> {
    bytes: &'a [u8],
    big: bool,
    wide: bool,
}

impl Record<'_> {
    /// The `width`-byte unsigned integer at `at` (0 past the record: callers read only
    /// fields inside the records they took).
    fn uint(&self, at: usize, width: usize) -> u64 {
        let bytes = at
            .checked_add(width)
            .and_then(|end| self.bytes.get(at..end))
            .unwrap_or_default();
        let fold = |value: u64, &byte: &u8| (value << 8) | u64::from(byte);
        if self.big {
            bytes.iter().fold(0, fold)
        } else {
            bytes.iter().rev().fold(0, fold)
        }
    }

    fn u8(&self, at: usize) -> u64 {
        self.uint(at, 1)
    }

    fn u16(&self, at: usize) -> u64 {
        self.uint(at, 2)
    }

    fn u32(&self, at: usize) -> u64 {
        self.uint(at, 4)
    }

    /// An address, offset or `xword`: 4 bytes in a 32-bit file, 8 in a 64-bit one.
    fn word(&self, at: usize) -> u64 {
        self.uint(at, if self.wide { 8 } else { 4 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGBITS: u64 = abi::SHT_PROGBITS as u64;
    const STRTAB: u64 = abi::SHT_STRTAB as u64;
    const SYMTAB: u64 = abi::SHT_SYMTAB as u64;
    const DYNSYM: u64 = abi::SHT_DYNSYM as u64;
    const SHT_DYNAMIC: u64 = abi::SHT_DYNAMIC as u64;
    const PT_LOAD: u64 = abi::PT_LOAD as u64;
    const PT_DYNAMIC: u64 = abi::PT_DYNAMIC as u64;

    /// The module's values for `data`.
    fn load_bytes(data: &[u8]) -> Object {
        let read = |s: u64, e: u64| Some(data[s as usize..e as usize].to_vec());
        let input = Input {
            size: data.len() as u64,
            read: &read,
            whole: None,
        };
        load(&input)
    }

    fn int(value: i64) -> Object {
        Object::Int(value)
    }

    fn text(value: &str) -> Object {
        Object::Text(value.as_bytes().to_vec())
    }

    /// The members set besides the constants.
    fn fields(elf: &Object) -> Vec<&'static str> {
        match elf {
            Object::Struct(members) => members
                .iter()
                .filter(|(name, value)| {
                    *value != Object::Undefined && !CONSTANTS.iter().any(|(c, _)| c == name)
                })
                .map(|(name, _)| *name)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether `object` has the shape `kind` declares (every member it sets is declared).
    fn conforms(object: &Object, kind: &Kind) -> bool {
        match (object, kind) {
            (Object::Int(_), Kind::Int) | (Object::Text(_), Kind::Text) => true,
            (Object::Struct(members), Kind::Struct(declared)) => {
                members.iter().all(|(name, value)| {
                    declared
                        .iter()
                        .any(|m| m.name == *name && conforms(value, &m.kind))
                })
            }
            (Object::Array(items), Kind::Array(item)) => items.iter().all(|i| conforms(i, item)),
            _ => false,
        }
    }

    /// Writes ELF images field by field, in one class and byte order.
    struct Writer {
        image: Vec<u8>,
        big: bool,
        wide: bool,
    }

    impl Writer {
        /// The identification and the header's fixed fields.
        fn new(big: bool, wide: bool) -> Self {
            let mut w = Writer {
                image: Vec::new(),
                big,
                wide,
            };
            let word = w.w();
            w.bytes(0, &abi::ELFMAG);
            w.int(4, 1, if wide { 2 } else { 1 });
            w.int(5, 1, if big { 2 } else { 1 });
            w.int(6, 1, 1);
            w.int(20, 4, 1);
            w.int(28 + 3 * word, 2, if wide { 64 } else { 52 });
            w.int(30 + 3 * word, 2, if wide { 56 } else { 32 });
            w.int(34 + 3 * word, 2, if wide { 64 } else { 40 });
            w
        }

        fn w(&self) -> usize {
            if self.wide {
                8
            } else {
                4
            }
        }

        fn bytes(&mut self, at: usize, bytes: &[u8]) {
            if self.image.len() < at + bytes.len() {
                self.image.resize(at + bytes.len(), 0);
            }
            self.image[at..at + bytes.len()].copy_from_slice(bytes);
        }

        fn int(&mut self, at: usize, width: usize, value: u64) {
            let bytes = if self.big {
                value.to_be_bytes()[8 - width..].to_vec()
            } else {
                value.to_le_bytes()[..width].to_vec()
            };
            self.bytes(at, &bytes);
        }

        fn word(&mut self, at: usize, value: u64) {
            let w = self.w();
            self.int(at, w, value);
        }

        fn header(&mut self, kind: u16, machine: u16, entry: u64) {
            self.int(16, 2, kind.into());
            self.int(18, 2, machine.into());
            self.word(24, entry);
        }

        fn program_headers(&mut self, offset: u64, count: u64) {
            let w = self.w();
            self.word(24 + w, offset);
            self.int(32 + 3 * w, 2, count);
        }

        fn section_headers(&mut self, offset: u64, count: u64, names: u64) {
            let w = self.w();
            self.word(24 + 2 * w, offset);
            self.int(36 + 3 * w, 2, count);
            self.int(38 + 3 * w, 2, names);
        }

        /// Section header `index`: name, type, flags, address, offset, size, link.
        fn section(&mut self, table: usize, index: usize, fields: [u64; 7]) {
            let w = self.w();
            let entry = if self.wide { 64 } else { 40 };
            let at = table + index * entry;
            // The whole header exists, also its fields after `link` (zero).
            self.bytes(at, &vec![0; entry]);
            let [name, kind, flags, address, offset, size, link] = fields;
            self.int(at, 4, name);
            self.int(at + 4, 4, kind);
            self.word(at + 8, flags);
            self.word(at + 8 + w, address);
            self.word(at + 8 + 2 * w, offset);
            self.word(at + 8 + 3 * w, size);
            self.int(at + 8 + 4 * w, 4, link);
        }

        /// Program header `index`: type, flags, offset, virtual and physical addresses, file
        /// and memory sizes, alignment.
        fn segment(&mut self, table: usize, index: usize, fields: [u64; 8]) {
            let [kind, flags, offset, virt, phys, file_size, memory_size, align] = fields;
            if self.wide {
                let at = table + index * 56;
                self.int(at, 4, kind);
                self.int(at + 4, 4, flags);
                let words = [offset, virt, phys, file_size, memory_size, align];
                for (i, value) in words.into_iter().enumerate() {
                    self.word(at + 8 + 8 * i, value);
                }
            } else {
                let at = table + index * 32;
                let words = [
                    kind,
                    offset,
                    virt,
                    phys,
                    file_size,
                    memory_size,
                    flags,
                    align,
                ];
                for (i, value) in words.into_iter().enumerate() {
                    self.int(at + 4 * i, 4, value);
                }
            }
        }

        /// Symbol `index`: name, info, section index, value, size.
        fn symbol(&mut self, table: usize, index: usize, fields: [u64; 5]) {
            let [name, info, shndx, value, size] = fields;
            if self.wide {
                let at = table + index * 24;
                self.int(at, 4, name);
                self.int(at + 4, 1, info);
                self.int(at + 6, 2, shndx);
                self.word(at + 8, value);
                self.word(at + 16, size);
            } else {
                let at = table + index * 16;
                self.int(at, 4, name);
                self.int(at + 4, 4, value);
                self.int(at + 8, 4, size);
                self.int(at + 12, 1, info);
                self.int(at + 14, 2, shndx);
            }
        }

        fn dynamic_entry(&mut self, at: usize, tag: u64, value: u64) {
            let w = self.w();
            self.word(at, tag);
            self.word(at + w, value);
        }
    }

    /// A string table of `names` and each name's offset in it (0 for the empty name).
    fn strtab(names: &[&str]) -> (Vec<u8>, Vec<u64>) {
        let mut table = vec![0];
        let mut offsets = Vec::new();
        for name in names {
            if name.is_empty() {
                offsets.push(0);
            } else {
                offsets.push(table.len() as u64);
                table.extend_from_slice(name.as_bytes());
                table.push(0);
            }
        }
        (table, offsets)
    }

    /// An ELF64 little-endian executable of 0x380 bytes: a loadable segment over the whole
    /// file and a dynamic segment of 3 entries; sections .text, .shstrtab, .dynamic, .symtab
    /// (2 symbols) and .strtab, whose table ends the file.
    fn elf64_le() -> Writer {
        let mut w = Writer::new(false, true);
        w.header(abi::ET_EXEC, abi::EM_X86_64, 0x40_0104);
        w.program_headers(0x40, 2);
        w.segment(
            0x40,
            0,
            [PT_LOAD, 5, 0, 0x40_0000, 0x40_0000, 0x380, 0x380, 0x1000],
        );
        w.segment(
            0x40,
            1,
            [PT_DYNAMIC, 6, 0x180, 0x40_0180, 0x40_0180, 0x30, 0x30, 8],
        );
        w.bytes(0x100, &[0x90; 16]);
        let (names, at) = strtab(&["", ".text", ".shstrtab", ".dynamic", ".symtab", ".strtab"]);
        w.bytes(0x120, &names);
        w.dynamic_entry(0x180, 1, 1);
        w.dynamic_entry(0x190, 10, 6);
        w.dynamic_entry(0x1a0, 0, 0);
        w.bytes(0x1b0, b"\0main\0");
        w.symbol(0x1c0, 1, [1, 0x12, 1, 0x40_0100, 0x10]);
        w.section_headers(0x200, 6, 2);
        w.section(0x200, 0, [0; 7]);
        w.section(0x200, 1, [at[1], PROGBITS, 6, 0x40_0100, 0x100, 0x10, 0]);
        w.section(
            0x200,
            2,
            [at[2], STRTAB, 0, 0, 0x120, names.len() as u64, 0],
        );
        w.section(0x200, 3, [at[3], SHT_DYNAMIC, 3, 0x40_0180, 0x180, 0x30, 5]);
        w.section(0x200, 4, [at[4], SYMTAB, 0, 0, 0x1c0, 48, 5]);
        w.section(0x200, 5, [at[5], STRTAB, 0, 0, 0x1b0, 6, 0]);
        assert_eq!(w.image.len(), 0x380);
        w
    }

    /// An ELF32 big-endian shared object of 0x188 bytes: one loadable segment; sections
    /// .text, .shstrtab, .dynsym (2 symbols) and .dynstr, whose table ends the file.
    fn elf32_be() -> Writer {
        let mut w = Writer::new(true, false);
        w.header(abi::ET_DYN, abi::EM_PPC, 0x1064);
        w.program_headers(0x34, 1);
        w.segment(
            0x34,
            0,
            [PT_LOAD, 5, 0, 0x1000, 0x1000, 0x188, 0x188, 0x1000],
        );
        w.bytes(0x60, &[0x60; 16]);
        let (names, at) = strtab(&["", ".text", ".shstrtab", ".dynsym", ".dynstr"]);
        w.bytes(0x70, &names);
        w.bytes(0x98, b"\0puts\0");
        w.symbol(0xa0, 1, [1, 0x12, 0, 0, 0]);
        w.section_headers(0xc0, 5, 2);
        w.section(0xc0, 0, [0; 7]);
        w.section(0xc0, 1, [at[1], PROGBITS, 6, 0x1060, 0x60, 0x10, 0]);
        w.section(0xc0, 2, [at[2], STRTAB, 0, 0, 0x70, names.len() as u64, 0]);
        w.section(0xc0, 3, [at[3], DYNSYM, 2, 0x10a0, 0xa0, 32, 4]);
        w.section(0xc0, 4, [at[4], STRTAB, 2, 0x1098, 0x98, 6, 0]);
        assert_eq!(w.image.len(), 0x188);
        w
    }

    #[test]
    fn declarations_cover_the_constants() {
        for &(name, _) in CONSTANTS {
            let declared = DECLARATIONS.iter().find(|m| m.name == name);
            assert!(
                matches!(
                    declared,
                    Some(Member {
                        kind: Kind::Int,
                        ..
                    })
                ),
                "{name}"
            );
        }
        let mut names: Vec<_> = DECLARATIONS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DECLARATIONS.len());
        assert_eq!(DECLARATIONS.len(), CONSTANTS.len() + 17);
    }

    #[test]
    fn constants_for_every_input() {
        let mut bad_class = elf64_le().image;
        bad_class[4] = 3;
        let mut bad_order = elf32_be().image;
        bad_order[5] = 0;
        let mut bad_magic = elf64_le().image;
        bad_magic[1] = b'e';
        // A file no longer than its header is not parsed.
        let header64 = elf64_le().image[..64].to_vec();
        let header32 = elf32_be().image[..52].to_vec();
        let inputs: [&[u8]; 7] = [
            b"",
            b"hello, world",
            &bad_class,
            &bad_order,
            &bad_magic,
            &header64,
            &header32,
        ];
        for data in inputs {
            let elf = load_bytes(data);
            assert_eq!(fields(&elf), Vec::<&str>::new(), "{data:?}");
            for &(name, value) in CONSTANTS {
                assert_eq!(elf.member(name), &int(value), "{name}");
            }
            assert_eq!(elf.member("ET_EXEC"), &int(2));
            assert_eq!(elf.member("EM_X86_64"), &int(62));
            assert_eq!(elf.member("EM_AARCH64"), &int(183));
            assert_eq!(elf.member("SHF_EXECINSTR"), &int(4));
            assert_eq!(elf.member("PT_GNU_STACK"), &int(0x6474_e551));
            assert_eq!(elf.member("DT_ENCODING"), &int(32));
            assert_eq!(elf.member("STB_WEAK"), &int(2));
            assert_eq!(elf.member("PF_R"), &int(4));
        }
    }

    #[test]
    fn elf64_little_endian() {
        let elf = load_bytes(&elf64_le().image);
        assert!(conforms(&elf, &Kind::Struct(DECLARATIONS)));
        assert_eq!(elf.member("type"), &int(2));
        assert_eq!(elf.member("machine"), &int(62));
        assert_eq!(elf.member("entry_point"), &int(0x104));
        assert_eq!(elf.member("number_of_sections"), &int(6));
        assert_eq!(elf.member("sh_offset"), &int(0x200));
        assert_eq!(elf.member("sh_entry_size"), &int(64));
        assert_eq!(elf.member("number_of_segments"), &int(2));
        assert_eq!(elf.member("ph_offset"), &int(0x40));
        assert_eq!(elf.member("ph_entry_size"), &int(56));

        let sections = elf.member("sections");
        let names: Vec<Object> = (0..6)
            .map(|i| sections.item(i).member("name").clone())
            .collect();
        let expected = ["", ".text", ".shstrtab", ".dynamic", ".symtab", ".strtab"];
        assert_eq!(names, expected.map(text));
        let code = sections.item(1);
        assert_eq!(code.member("type"), &int(1));
        assert_eq!(code.member("flags"), &int(6));
        assert_eq!(code.member("address"), &int(0x40_0100));
        assert_eq!(code.member("offset"), &int(0x100));
        assert_eq!(code.member("size"), &int(16));

        let segments = elf.member("segments");
        assert_eq!(segments.len(), 2);
        let loadable = segments.item(0);
        assert_eq!(loadable.member("type"), &int(1));
        assert_eq!(loadable.member("flags"), &int(5));
        assert_eq!(loadable.member("offset"), &int(0));
        assert_eq!(loadable.member("virtual_address"), &int(0x40_0000));
        assert_eq!(loadable.member("physical_address"), &int(0x40_0000));
        assert_eq!(loadable.member("file_size"), &int(0x380));
        assert_eq!(loadable.member("memory_size"), &int(0x380));
        assert_eq!(loadable.member("alignment"), &int(0x1000));
        assert_eq!(segments.item(1).member("type"), &int(2));
        assert_eq!(segments.item(1).member("offset"), &int(0x180));

        assert_eq!(elf.member("dynamic_section_entries"), &int(3));
        let dynamic = elf.member("dynamic");
        assert_eq!(dynamic.len(), 3);
        assert_eq!(dynamic.item(0).member("type"), &int(1));
        assert_eq!(dynamic.item(1).member("type"), &int(10));
        assert_eq!(dynamic.item(1).member("val"), &int(6));
        assert_eq!(dynamic.item(2).member("type"), &int(0));

        assert_eq!(elf.member("symtab_entries"), &int(2));
        let main = elf.member("symtab").item(1);
        assert_eq!(elf.member("symtab").item(0).member("name"), &text(""));
        assert_eq!(main.member("name"), &text("main"));
        assert_eq!(main.member("value"), &int(0x40_0100));
        assert_eq!(main.member("size"), &int(16));
        assert_eq!(main.member("type"), &int(2));
        assert_eq!(main.member("bind"), &int(1));
        assert_eq!(main.member("shndx"), &int(1));
        assert_eq!(elf.member("dynsym_entries"), &Object::Undefined);
        assert_eq!(elf.member("dynsym"), &Object::Undefined);
    }

    #[test]
    fn elf32_big_endian() {
        let elf = load_bytes(&elf32_be().image);
        assert!(conforms(&elf, &Kind::Struct(DECLARATIONS)));
        assert_eq!(elf.member("type"), &int(3));
        assert_eq!(elf.member("machine"), &int(20));
        // Not ET_EXEC: the entry maps through .text.
        assert_eq!(elf.member("entry_point"), &int(0x64));
        assert_eq!(elf.member("number_of_sections"), &int(5));
        assert_eq!(elf.member("sh_entry_size"), &int(40));
        assert_eq!(elf.member("ph_entry_size"), &int(32));
        let sections = elf.member("sections");
        assert_eq!(sections.item(1).member("name"), &text(".text"));
        assert_eq!(sections.item(3).member("name"), &text(".dynsym"));
        assert_eq!(sections.item(3).member("address"), &int(0x10a0));
        assert_eq!(sections.item(4).member("type"), &int(3));
        let segment = elf.member("segments").item(0);
        assert_eq!(segment.member("flags"), &int(5));
        assert_eq!(segment.member("virtual_address"), &int(0x1000));
        assert_eq!(segment.member("file_size"), &int(0x188));
        assert_eq!(elf.member("dynsym_entries"), &int(2));
        let puts = elf.member("dynsym").item(1);
        assert_eq!(puts.member("name"), &text("puts"));
        assert_eq!(puts.member("bind"), &int(1));
        assert_eq!(puts.member("type"), &int(2));
        assert_eq!(puts.member("shndx"), &int(0));
        assert_eq!(elf.member("symtab_entries"), &Object::Undefined);
        assert_eq!(elf.member("dynamic_section_entries"), &Object::Undefined);
    }

    #[test]
    fn entry_point_rules() {
        // ET_EXEC maps through the segments: the start of the loadable one is offset 0.
        let mut w = elf64_le();
        w.word(24, 0x40_0000);
        assert_eq!(load_bytes(&w.image).member("entry_point"), &int(0));
        // Any other type maps through the sections, and no section holds 0x400000.
        w.int(16, 2, abi::ET_DYN.into());
        assert_eq!(
            load_bytes(&w.image).member("entry_point"),
            &Object::Undefined
        );
        // ... but .text holds the original entry.
        w.word(24, 0x40_0104);
        assert_eq!(load_bytes(&w.image).member("entry_point"), &int(0x104));
        // An entry of 0 is not converted.
        w.word(24, 0);
        assert_eq!(
            load_bytes(&w.image).member("entry_point"),
            &Object::Undefined
        );

        // Outside every segment.
        let mut w = elf64_le();
        w.word(24, 0x50_0000);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("entry_point"), &Object::Undefined);
        assert_eq!(elf.member("type"), &int(2));

        // e_phoff 0 fails the conversion's check, but the segments are still read (from the
        // header's bytes).
        let mut w = elf64_le();
        w.word(32, 0);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("entry_point"), &Object::Undefined);
        assert_eq!(elf.member("segments").len(), 2);
    }

    #[test]
    fn section_name_rules() {
        let name_field = |index: usize| 0x200 + index * 64;

        // The name table must start with a NUL.
        let mut w = elf64_le();
        w.bytes(0x120, b"x");
        let elf = load_bytes(&w.image);
        assert_eq!(
            elf.member("sections").item(1).member("name"),
            &Object::Undefined
        );
        assert_eq!(elf.member("sections").item(1).member("type"), &int(1));

        // A name table at offset 0 names nothing.
        let mut w = elf64_le();
        w.word(name_field(2) + 24, 0);
        let elf = load_bytes(&w.image);
        assert_eq!(
            elf.member("sections").item(1).member("name"),
            &Object::Undefined
        );
        assert_eq!(elf.member("sections").len(), 6);

        // Names are bounded by the file, not by the name table's size: "main" lies past it.
        let mut w = elf64_le();
        w.int(name_field(1), 4, 0x1b1 - 0x120);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("sections").item(1).member("name"), &text("main"));

        // A name the file ends before its NUL is undefined.
        let mut w = elf64_le();
        w.bytes(0x380, b"A");
        w.int(name_field(1), 4, 0x380 - 0x120);
        let elf = load_bytes(&w.image);
        assert_eq!(
            elf.member("sections").item(1).member("name"),
            &Object::Undefined
        );
        assert_eq!(
            elf.member("sections").item(2).member("name"),
            &text(".shstrtab")
        );
    }

    #[test]
    fn symbol_rules() {
        // Symbol names are bounded by their string table's size.
        let mut w = elf64_le();
        w.word(0x200 + 5 * 64 + 32, 3);
        let elf = load_bytes(&w.image);
        assert_eq!(
            elf.member("symtab").item(1).member("name"),
            &Object::Undefined
        );
        assert_eq!(
            elf.member("symtab").item(1).member("value"),
            &int(0x40_0100)
        );

        // A symbol table past the end of the file: nothing, not even the count.
        let mut w = elf64_le();
        w.word(0x200 + 4 * 64 + 32, 0x1000);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("symtab_entries"), &Object::Undefined);
        assert_eq!(elf.member("symtab"), &Object::Undefined);

        // Smaller than one symbol: a count of 0.
        let mut w = elf64_le();
        w.word(0x200 + 4 * 64 + 32, 23);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("symtab_entries"), &int(0));
        assert_eq!(elf.member("symtab"), &Object::Undefined);

        // A link that does not name a string table.
        let mut w = elf64_le();
        w.int(0x200 + 4 * 64 + 40, 4, 1);
        assert_eq!(
            load_bytes(&w.image).member("symtab_entries"),
            &Object::Undefined
        );

        // Big-endian files compare sh_link with e_shnum in the wrong byte order (0x0500), so a
        // link past the table reads the header after it.
        let mut w = elf32_be();
        w.int(0xc0 + 3 * 40 + 24, 4, 5);
        w.section(0xc0, 5, [0, STRTAB, 0, 0, 0x98, 6, 0]);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("number_of_sections"), &int(5));
        assert_eq!(elf.member("dynsym").item(1).member("name"), &text("puts"));
        // Not so in a little-endian file.
        let mut w = elf64_le();
        w.int(0x200 + 4 * 64 + 40, 4, 6);
        w.section(0x200, 6, [0, STRTAB, 0, 0, 0x1b0, 6, 0]);
        assert_eq!(load_bytes(&w.image).member("symtab"), &Object::Undefined);
    }

    #[test]
    fn dynamic_rules() {
        // A later PT_DYNAMIC segment overwrites the items from 0; the count is its own.
        let mut w = elf64_le();
        w.int(0x40, 4, PT_DYNAMIC);
        w.word(0x40 + 8, 0x180);
        w.word(0x40 + 56 + 8, 0x190);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("dynamic_section_entries"), &int(2));
        let dynamic = elf.member("dynamic");
        assert_eq!(dynamic.len(), 3);
        assert_eq!(dynamic.item(0).member("type"), &int(10));
        assert_eq!(dynamic.item(1).member("type"), &int(0));
        assert_eq!(dynamic.item(2).member("type"), &int(0));

        // Entries run past p_filesz until a DT_NULL: here the zeros of the first symbol.
        let mut w = elf64_le();
        w.dynamic_entry(0x1a0, 7, 7);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("dynamic_section_entries"), &int(5));
        assert_eq!(elf.member("dynamic").item(2).member("val"), &int(7));

        // A PT_DYNAMIC segment past the end of the file: a count of 0.
        let mut w = elf64_le();
        w.word(0x40 + 56 + 8, 0x1_0000);
        let elf = load_bytes(&w.image);
        assert_eq!(elf.member("dynamic_section_entries"), &int(0));
        assert_eq!(elf.member("dynamic"), &Object::Undefined);
    }

    #[test]
    fn dynamic_lengths_match_a_plain_reading() {
        let mut w = Writer::new(false, false);
        for i in 0..64 {
            let tag = if i % 5 == 3 { 0 } else { i + 1 };
            w.int(0x40 + 4 * i as usize, 4, tag);
        }
        let data = w.image;
        let elf = Elf::new(&data).expect("an ELF file");
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..300 {
            let count = 1 + next() % 12;
            let mut offsets: Vec<u64> = (0..count).map(|_| 0x30 + next() % 0x120).collect();
            if round % 7 == 3 {
                offsets.push(u64::MAX);
            }
            let plain: Vec<u64> = offsets
                .iter()
                .map(|&o| (elf.dynamic_end(o) - o) / 8)
                .collect();
            assert_eq!(elf.dynamic_lengths(&offsets), plain, "{offsets:x?}");
        }
    }

    #[test]
    fn undefined_marker_reads_undefined() {
        let mut w = elf64_le();
        w.word(0x200 + 64 + 16, YR_UNDEFINED);
        let elf = load_bytes(&w.image);
        let code = elf.member("sections").item(1);
        assert_eq!(code.member("address"), &Object::Undefined);
        assert_eq!(code.member("offset"), &int(0x100));
    }

    #[test]
    fn name_rules_and_budget() {
        let strings = Strings::new(b"\0abc\0de\0", 0, 8).expect("a table");
        assert_eq!(strings.get(1, 3), Some(&b"abc"[..]));
        assert_eq!(strings.get(1, 2), None);
        assert_eq!(strings.get(5, 2), Some(&b"de"[..]));
        assert_eq!(strings.get(8, 9), None);
        assert_eq!(strings.get(u64::from(u32::MAX), 9), None);
        assert!(Strings::new(b"x\0", 0, 2).is_none());
        assert!(Strings::new(b"\0", 1, 1).is_none());

        let image = elf64_le().image;
        let elf = Elf::new(&image).expect("an ELF file");
        elf.names_left.set(5);
        assert_eq!(elf.name(&strings, 1), Some(text("abc")));
        // "abc" again does not fit in the 2 bytes left: the budget is spent, so "de" (which
        // would fit) is not searched for either; empty names cost nothing.
        assert_eq!(elf.name(&strings, 1), None);
        assert_eq!(elf.names_left.get(), 0);
        assert_eq!(elf.name(&strings, 5), None);
        assert_eq!(elf.name(&strings, 0), Some(text("")));
        // An index past the table does not spend the budget.
        elf.names_left.set(5);
        assert_eq!(elf.name(&strings, 99), None);
        assert_eq!(elf.names_left.get(), 5);
    }

    #[test]
    fn truncated_images_never_panic() {
        for (image, header) in [(elf64_le().image, 64), (elf32_be().image, 52)] {
            for n in 0..=image.len() {
                let elf = load_bytes(&image[..n]);
                assert!(conforms(&elf, &Kind::Struct(DECLARATIONS)), "{n}");
                if n <= header {
                    assert_eq!(fields(&elf), Vec::<&str>::new(), "{n}");
                } else {
                    assert!(elf.member("type").int().is_some(), "{n}");
                }
                if n < image.len() {
                    // The section tables end the images.
                    assert_eq!(elf.member("sections"), &Object::Undefined, "{n}");
                }
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for image in [elf64_le().image, elf32_be().image] {
            for _ in 0..2000 {
                let mut data = image.clone();
                for _ in 0..1 + next() % 6 {
                    let at = (next() % data.len() as u64) as usize;
                    if next() % 3 == 1 {
                        // A run of 0xff: huge offsets, sizes and counts.
                        let end = (at + 8).min(data.len());
                        data[at..end].fill(0xff);
                    } else {
                        data[at] = next() as u8;
                    }
                }
                let n = data.len() - (next() % 4 * (next() % 64)) as usize;
                let elf = load_bytes(&data[..n]);
                assert!(conforms(&elf, &Kind::Struct(DECLARATIONS)));
            }
            // Random bytes after a valid identification.
            for _ in 0..500 {
                let mut data = image[..16].to_vec();
                let len = next() % 512;
                data.extend((0..len).map(|_| next() as u8));
                let elf = load_bytes(&data);
                assert!(conforms(&elf, &Kind::Struct(DECLARATIONS)));
            }
        }
    }
}
