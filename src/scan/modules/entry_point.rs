//! `entrypoint`: YARA's deprecated keyword for the file offset of a PE or ELF input's entry
//! point, as YARA 4.2.3 computes it for a file or buffer scan.
//!
//! # What it is
//!
//! Before YARA had modules, a rule found code at a program's first instruction with the
//! keyword `entrypoint`: `$a at entrypoint`, `$a in (entrypoint..entrypoint + 10)`. It needs
//! no `import`, and YARA warns when it compiles it ("Using deprecated "entrypoint" keyword"):
//! `pe.entry_point` and `elf.entry_point` replace it. The keyword lives on with its own code
//! (libyara's `exefiles.c`), much older and looser than the modules' parsers, so its values
//! differ from theirs on many files; this module reproduces that code, not the modules.
//!
//! YARA computes the value once per scan, before any rule runs, from the scanned bytes (the
//! first memory block, which for a file or buffer scan is the whole input). It is an unsigned
//! 64-bit number that the condition reads as a signed one; only YARA's undefined marker
//! (0xfffabadafabadaff) makes it undefined. Anything that is neither a PE nor an ELF file as
//! defined below is undefined, but a file recognised as PE or ELF whose entry point cannot be
//! mapped gets **0**, not undefined, so `$a at entrypoint` then tests the input's first
//! bytes.
//!
//! # PE files
//!
//! The input is a PE file when it is at least 64 bytes long (the DOS header), starts with
//! `MZ`, its `e_lfanew` (at 0x3C) is not negative read as a signed 32-bit number, the input
//! holds the 4-byte signature and the 20-byte file header at `e_lfanew`, the signature is
//! `PE\0\0`, the machine is i386 (0x14c) or AMD64 (0x8664), and the input is *longer* than
//! `e_lfanew + 24 + 224` (224: the PE32 optional header, also for PE32+ files). The optional
//! header's magic is not looked at. The entry point is the optional header's
//! `AddressOfEntryPoint`, a relative virtual address (RVA), mapped to a file offset thus:
//!
//! - The section headers follow the optional header (`e_lfanew + 24 + SizeOfOptionalHeader`);
//!   at most the first 60 of `NumberOfSections` are read. Each one read must end strictly
//!   before the end of the input, or the value is 0.
//! - Of those whose `VirtualAddress` is at most the RVA, the one with the highest
//!   `VirtualAddress` is chosen (the last one among equals); the offset is its
//!   `PointerToRawData` plus the RVA's distance from its `VirtualAddress`. Section sizes are
//!   not looked at, so an RVA past a section's end still maps into it, and the offset may lie
//!   past the end of the input.
//! - With no such section (no sections, or an RVA below them all) the offset is the RVA.
//!
//! # ELF files
//!
//! The input is an ELF file when it starts with `\x7fELF` and its class (byte 4) is 1 with
//! at least 52 bytes (the 32-bit header) or 2 with at least 64 bytes (the 64-bit header).
//! The byte order byte is not looked at: every field is read little-endian, so a big-endian
//! file's fields are byte-swapped (its `ET_EXEC` reads as 0x200, and its table offsets are
//! usually past the end, giving 0). The entry point is `e_entry`, a virtual address:
//!
//! - An `ET_EXEC` file maps it through the program headers: `e_phoff` and `e_phnum` must not
//!   be 0 and the table (32 or 56 bytes per entry, whatever `e_phentsize` says) must lie in
//!   the input, or the value is 0. The first segment, of any type, whose
//!   `[p_vaddr, p_vaddr + p_memsz)` holds the address gives `p_offset` plus the address's
//!   distance from `p_vaddr`; none gives 0.
//! - Any other file type maps it through the section headers likewise (`e_shoff`, `e_shnum`,
//!   40 or 64 bytes per entry): the first section that is neither `SHT_NULL` nor `SHT_NOBITS`
//!   and whose `[sh_addr, sh_addr + sh_size)` holds the address gives `sh_offset` plus its
//!   distance from `sh_addr`; none gives 0.
//! - In a 32-bit file the end of the range is computed in 32 bits, so a range that wraps
//!   past 4 GiB holds nothing; in a 64-bit file the end and the offset wrap at 64 bits, so
//!   the value may be any 64-bit number (negative in a condition, or undefined when it is the
//!   marker itself).
//!
//! Where a C integer type's width matters (`unsigned long` in YARA's wrap checks), this is
//! YARA built for a 64-bit Linux or macOS host, where those checks never trigger for 32-bit
//! files.
//!
//! # Compared with `pe.entry_point` and `elf.entry_point`
//!
//! The `pe` module accepts any machine and an input exactly as long as its headers (a PE32+
//! file's optional header being the larger); it maps an RVA only into a section that holds
//! it (by virtual and raw size, the raw offset rounded down to the file alignment) and gives
//! undefined for an RVA it cannot map or an offset past the end of the file. The `elf` module
//! maps `e_entry` through the same tables by the same first-match rules, but honours the byte
//! order, needs the input to be longer than the header, and gives undefined for an `e_entry`
//! of 0 and wherever this keyword gives 0 (a table missing or past the end, an address no
//! entry holds). So a file may have a defined `pe.entry_point` and a 0 or undefined
//! `entrypoint`, or the reverse.

/// YARA's integer for *undefined* (`YR_UNDEFINED`).
const YR_UNDEFINED: u64 = 0xFFFA_BADA_FABA_DAFF;

/// `sizeof(IMAGE_DOS_HEADER)`.
const DOS_HEADER_SIZE: usize = 64;
/// Offset of `e_lfanew` in the DOS header.
const LFANEW_OFFSET: usize = 0x3C;
/// `IMAGE_DOS_SIGNATURE` (`MZ`).
const DOS_SIGNATURE: u16 = 0x5A4D;
/// `IMAGE_NT_SIGNATURE` (`PE\0\0`).
const NT_SIGNATURE: u32 = 0x0000_4550;
/// `IMAGE_FILE_MACHINE_I386`.
const MACHINE_I386: u16 = 0x014C;
/// `IMAGE_FILE_MACHINE_AMD64`.
const MACHINE_AMD64: u16 = 0x8664;
/// `sizeof(Signature) + sizeof(IMAGE_FILE_HEADER)`: the optional header's offset in the NT
/// headers.
const NT_FIXED_SIZE: usize = 4 + 20;
/// `sizeof(IMAGE_OPTIONAL_HEADER32)`, which YARA requires of PE32+ files too.
const OPTIONAL_HEADER32_SIZE: usize = 224;
/// `sizeof(IMAGE_SECTION_HEADER)`.
const SECTION_HEADER_SIZE: usize = 40;
/// Most section headers YARA reads.
const MAX_PE_SECTIONS: u16 = 60;

/// `ELF_MAGIC` read little-endian (`\x7fELF`).
const ELF_MAGIC: u32 = 0x464C_457F;
/// `sizeof(elf_ident_t)`.
const ELF_IDENT_SIZE: usize = 16;
/// `ELF_CLASS_32`.
const ELF_CLASS_32: u8 = 1;
/// `ELF_CLASS_64`.
const ELF_CLASS_64: u8 = 2;
/// `sizeof(elf32_header_t)`.
const ELF32_HEADER_SIZE: usize = 52;
/// `sizeof(elf64_header_t)`.
const ELF64_HEADER_SIZE: usize = 64;
/// `ELF_ET_EXEC`.
const ET_EXEC: u16 = 2;
/// `ELF_SHT_NULL`.
const SHT_NULL: u32 = 0;
/// `ELF_SHT_NOBITS`.
const SHT_NOBITS: u32 = 8;
/// `sizeof(elf32_program_header_t)`.
const ELF32_PROGRAM_HEADER_SIZE: u64 = 32;
/// `sizeof(elf32_section_header_t)`.
const ELF32_SECTION_HEADER_SIZE: u64 = 40;
/// `sizeof(elf64_program_header_t)`.
const ELF64_PROGRAM_HEADER_SIZE: u64 = 56;
/// `sizeof(elf64_section_header_t)`.
const ELF64_SECTION_HEADER_SIZE: u64 = 64;

/// The file offset of the entry point of the PE or ELF file `data`, as YARA's `entrypoint`
/// gives it; None where YARA gives undefined.
pub fn entry_point_offset(data: &[u8]) -> Option<u64> {
    let value = yara_entry_point_offset(data);
    (value != YR_UNDEFINED).then_some(value)
}

/// YARA's `yr_get_entry_point_offset`: the value, [`YR_UNDEFINED`] included.
fn yara_entry_point_offset(data: &[u8]) -> u64 {
    if let Some(nt) = pe_header(data) {
        // Every field read lies in the input (`pe_header` and the section loop check), so
        // the fallback is never taken.
        return pe_entry_point(data, nt).unwrap_or(0);
    }
    // The ELF readers too only read what the header and table checks proved present.
    match elf_class(data) {
        Some(ELF_CLASS_32) => elf32_entry_point(data).unwrap_or(0),
        Some(ELF_CLASS_64) => elf64_entry_point(data).unwrap_or(0),
        _ => YR_UNDEFINED,
    }
}

/// `N` bytes of `data` at `at`, if all lie in it.
fn bytes_at<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// The little-endian `u16` at `at`.
fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    bytes_at(data, at).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `at`.
fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    bytes_at(data, at).map(u32::from_le_bytes)
}

/// The little-endian `u64` at `at`.
fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    bytes_at(data, at).map(u64::from_le_bytes)
}

/// YARA's `yr_get_pe_header`: the offset of the NT headers (`e_lfanew`) when `data` is a PE
/// file by YARA's checks.
fn pe_header(data: &[u8]) -> Option<usize> {
    if data.len() < DOS_HEADER_SIZE || u16_at(data, 0)? != DOS_SIGNATURE {
        return None;
    }
    let lfanew = i32::from_le_bytes(bytes_at(data, LFANEW_OFFSET)?);
    // A negative `e_lfanew` is refused.
    let nt = usize::try_from(lfanew).ok()?;
    let fixed_end = nt.checked_add(NT_FIXED_SIZE)?;
    if data.len() < fixed_end {
        return None;
    }
    let headers_end = fixed_end.checked_add(OPTIONAL_HEADER32_SIZE)?;
    let signature = u32_at(data, nt)?;
    let machine = u16_at(data, nt.checked_add(4)?)?;
    let known_machine = machine == MACHINE_I386 || machine == MACHINE_AMD64;
    (signature == NT_SIGNATURE && known_machine && data.len() > headers_end).then_some(nt)
}

/// YARA's `yr_pe_rva_to_offset` applied to `AddressOfEntryPoint`, for the NT headers at `nt`
/// (None only if a field lay outside `data`, which the checks exclude).
fn pe_entry_point(data: &[u8], nt: usize) -> Option<u64> {
    // YARA bounds the section headers by the bytes from the NT headers on.
    let remaining = data.len().checked_sub(nt)?;
    let number_of_sections = u16_at(data, nt.checked_add(6)?)?;
    let size_of_optional_header = u16_at(data, nt.checked_add(20)?)?;
    let rva = u64::from(u32_at(data, nt.checked_add(NT_FIXED_SIZE + 16)?)?);
    let first_section = NT_FIXED_SIZE + usize::from(size_of_optional_header);
    let (mut section_rva, mut section_offset) = (0u32, 0u32);
    for i in 0..usize::from(number_of_sections.min(MAX_PE_SECTIONS)) {
        // The header's offset from the NT headers; at most 24 + 0xffff + 59 * 40.
        let relative = first_section + i * SECTION_HEADER_SIZE;
        if relative + SECTION_HEADER_SIZE >= remaining {
            // A section header that does not end before the end of the input: 0.
            return Some(0);
        }
        let header = nt.checked_add(relative)?;
        let virtual_address = u32_at(data, header.checked_add(12)?)?;
        let pointer_to_raw_data = u32_at(data, header.checked_add(20)?)?;
        if rva >= u64::from(virtual_address) && section_rva <= virtual_address {
            section_rva = virtual_address;
            section_offset = pointer_to_raw_data;
        }
    }
    // `rva >= section_rva` always holds; neither term exceeds 32 bits.
    Some(u64::from(section_offset).wrapping_add(rva.wrapping_sub(u64::from(section_rva))))
}

/// YARA's `yr_get_elf_type`: the class (1 or 2) when `data` is an ELF file by YARA's checks.
fn elf_class(data: &[u8]) -> Option<u8> {
    if data.len() < ELF_IDENT_SIZE || u32_at(data, 0)? != ELF_MAGIC {
        return None;
    }
    let class = *data.get(4)?;
    let header_size = match class {
        ELF_CLASS_32 => ELF32_HEADER_SIZE,
        ELF_CLASS_64 => ELF64_HEADER_SIZE,
        _ => return None,
    };
    (data.len() >= header_size).then_some(class)
}

/// Where a table of `count` entries of `entry_size` bytes at `offset` starts, when it lies
/// in `data` by YARA's checks (the offset and count must not be 0, the end must neither wrap
/// nor pass the end of the input).
fn elf_table(data: &[u8], offset: u64, entry_size: u64, count: u16) -> Option<usize> {
    if offset == 0 || count == 0 {
        return None;
    }
    let end = offset.checked_add(entry_size * u64::from(count))?;
    if end > u64::try_from(data.len()).ok()? {
        return None;
    }
    usize::try_from(offset).ok()
}

/// The start of entry `index` of a table starting at `table`.
fn elf_entry(table: usize, entry_size: u64, index: u16) -> Option<usize> {
    let relative = usize::try_from(entry_size * u64::from(index)).ok()?;
    table.checked_add(relative)
}

/// YARA's `yr_elf_rva_to_offset_32` applied to `e_entry` (None only if a field lay outside
/// `data`, which the checks exclude).
fn elf32_entry_point(data: &[u8]) -> Option<u64> {
    let file_type = u16_at(data, 16)?;
    let rva = u64::from(u32_at(data, 24)?);
    if file_type == ET_EXEC {
        let (offset, count) = (u32_at(data, 28)?, u16_at(data, 44)?);
        let size = ELF32_PROGRAM_HEADER_SIZE;
        let Some(table) = elf_table(data, u64::from(offset), size, count) else {
            return Some(0);
        };
        for i in 0..count {
            let at = elf_entry(table, size, i)?;
            let p_offset = u32_at(data, at.checked_add(4)?)?;
            let p_vaddr = u32_at(data, at.checked_add(8)?)?;
            let p_memsz = u32_at(data, at.checked_add(20)?)?;
            // The end is a 32-bit sum: a segment that wraps past 4 GiB holds nothing.
            let end = p_vaddr.wrapping_add(p_memsz);
            if (u64::from(p_vaddr)..u64::from(end)).contains(&rva) {
                return Some(u64::from(p_offset) + (rva - u64::from(p_vaddr)));
            }
        }
    } else {
        let (offset, count) = (u32_at(data, 32)?, u16_at(data, 48)?);
        let size = ELF32_SECTION_HEADER_SIZE;
        let Some(table) = elf_table(data, u64::from(offset), size, count) else {
            return Some(0);
        };
        for i in 0..count {
            let at = elf_entry(table, size, i)?;
            let sh_type = u32_at(data, at.checked_add(4)?)?;
            let sh_addr = u32_at(data, at.checked_add(12)?)?;
            let sh_offset = u32_at(data, at.checked_add(16)?)?;
            let sh_size = u32_at(data, at.checked_add(20)?)?;
            let end = sh_addr.wrapping_add(sh_size);
            if sh_type != SHT_NULL
                && sh_type != SHT_NOBITS
                && (u64::from(sh_addr)..u64::from(end)).contains(&rva)
            {
                // YARA's wrap check (`ULONG_MAX - offset < distance`) cannot trigger with a
                // 64-bit `unsigned long`, and the sum fits in 33 bits.
                return Some(u64::from(sh_offset) + (rva - u64::from(sh_addr)));
            }
        }
    }
    Some(0)
}

/// YARA's `yr_elf_rva_to_offset_64` applied to `e_entry` (None only if a field lay outside
/// `data`, which the checks exclude).
fn elf64_entry_point(data: &[u8]) -> Option<u64> {
    let file_type = u16_at(data, 16)?;
    let rva = u64_at(data, 24)?;
    if file_type == ET_EXEC {
        let (offset, count) = (u64_at(data, 32)?, u16_at(data, 56)?);
        let size = ELF64_PROGRAM_HEADER_SIZE;
        let Some(table) = elf_table(data, offset, size, count) else {
            return Some(0);
        };
        for i in 0..count {
            let at = elf_entry(table, size, i)?;
            let p_offset = u64_at(data, at.checked_add(8)?)?;
            let p_vaddr = u64_at(data, at.checked_add(16)?)?;
            let p_memsz = u64_at(data, at.checked_add(40)?)?;
            if (p_vaddr..p_vaddr.wrapping_add(p_memsz)).contains(&rva) {
                return Some(p_offset.wrapping_add(rva - p_vaddr));
            }
        }
    } else {
        let (offset, count) = (u64_at(data, 40)?, u16_at(data, 60)?);
        let size = ELF64_SECTION_HEADER_SIZE;
        let Some(table) = elf_table(data, offset, size, count) else {
            return Some(0);
        };
        for i in 0..count {
            let at = elf_entry(table, size, i)?;
            let sh_type = u32_at(data, at.checked_add(4)?)?;
            let sh_addr = u64_at(data, at.checked_add(16)?)?;
            let sh_offset = u64_at(data, at.checked_add(24)?)?;
            let sh_size = u64_at(data, at.checked_add(32)?)?;
            if sh_type != SHT_NULL
                && sh_type != SHT_NOBITS
                && (sh_addr..sh_addr.wrapping_add(sh_size)).contains(&rva)
            {
                return Some(sh_offset.wrapping_add(rva - sh_addr));
            }
        }
    }
    Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An image being built, its integers in one byte order.
    struct Image {
        bytes: Vec<u8>,
        big: bool,
    }

    impl Image {
        fn new(len: usize, big: bool) -> Self {
            Self {
                bytes: vec![0; len],
                big,
            }
        }

        fn put(&mut self, at: usize, bytes: &[u8]) {
            self.bytes[at..at + bytes.len()].copy_from_slice(bytes);
        }

        fn u16(&mut self, at: usize, value: u16) {
            let bytes = if self.big {
                value.to_be_bytes()
            } else {
                value.to_le_bytes()
            };
            self.put(at, &bytes);
        }

        fn u32(&mut self, at: usize, value: u32) {
            let bytes = if self.big {
                value.to_be_bytes()
            } else {
                value.to_le_bytes()
            };
            self.put(at, &bytes);
        }

        fn u64(&mut self, at: usize, value: u64) {
            let bytes = if self.big {
                value.to_be_bytes()
            } else {
                value.to_le_bytes()
            };
            self.put(at, &bytes);
        }
    }

    /// The NT headers' offset in the PE images.
    const NT: usize = 0x80;

    /// A PE image of `len` bytes, PE32 for i386 or (`wide`) PE32+ for AMD64, entering at RVA
    /// `entry`, with `sections` as (virtual address, raw data offset), 0x200 bytes each.
    fn pe(len: usize, wide: bool, entry: u32, sections: &[(u32, u32)]) -> Vec<u8> {
        let (machine, optional_size, magic) = if wide {
            (MACHINE_AMD64, 0xF0u16, 0x20Bu16)
        } else {
            (MACHINE_I386, 0xE0, 0x10B)
        };
        let mut image = Image::new(len, false);
        image.put(0, b"MZ");
        image.u32(LFANEW_OFFSET, NT as u32);
        image.put(NT, b"PE\0\0");
        image.u16(NT + 4, machine);
        image.u16(NT + 6, sections.len() as u16);
        image.u16(NT + 20, optional_size);
        image.u16(NT + 24, magic);
        image.u32(NT + 40, entry);
        let first = NT + 24 + usize::from(optional_size);
        for (i, &(virtual_address, raw_offset)) in sections.iter().enumerate() {
            let at = first + i * 40;
            image.put(at, b".text\0\0\0");
            image.u32(at + 8, 0x200);
            image.u32(at + 12, virtual_address);
            image.u32(at + 16, 0x200);
            image.u32(at + 20, raw_offset);
        }
        image.bytes
    }

    /// A segment or section: (type, virtual address, file offset, size in memory).
    type Entry = (u32, u64, u64, u64);

    const PT_LOAD: u32 = 1;
    const PT_NOTE: u32 = 4;
    const PT_PHDR: u32 = 6;
    const SHT_PROGBITS: u32 = 1;
    const ET_REL: u16 = 1;
    const ET_DYN: u16 = 3;

    /// The identification of an ELF file of `class`, little- or (`big`) big-endian.
    fn ident(image: &mut Image, class: u8) {
        let data = if image.big { 2 } else { 1 };
        image.put(0, &[0x7F, b'E', b'L', b'F', class, data, 1]);
    }

    /// A 32-bit ELF image of `len` bytes entering at `entry`: the header, then the program
    /// header table of `segments` (if any), then the section header table of `sections`
    /// (if any); an empty table has offset 0.
    fn elf32(
        len: usize,
        big: bool,
        file_type: u16,
        entry: u32,
        segments: &[Entry],
        sections: &[Entry],
    ) -> Vec<u8> {
        let mut image = Image::new(len, big);
        ident(&mut image, ELF_CLASS_32);
        let phoff = ELF32_HEADER_SIZE;
        let shoff = phoff + segments.len() * 32;
        image.u16(16, file_type);
        image.u16(18, 3);
        image.u32(20, 1);
        image.u32(24, entry);
        if !segments.is_empty() {
            image.u32(28, phoff as u32);
        }
        if !sections.is_empty() {
            image.u32(32, shoff as u32);
        }
        image.u16(40, 52);
        image.u16(42, 32);
        image.u16(44, segments.len() as u16);
        image.u16(46, 40);
        image.u16(48, sections.len() as u16);
        for (i, &(kind, address, offset, size)) in segments.iter().enumerate() {
            let at = phoff + i * 32;
            image.u32(at, kind);
            image.u32(at + 4, offset as u32);
            image.u32(at + 8, address as u32);
            image.u32(at + 12, address as u32);
            image.u32(at + 16, size as u32);
            image.u32(at + 20, size as u32);
        }
        for (i, &(kind, address, offset, size)) in sections.iter().enumerate() {
            let at = shoff + i * 40;
            image.u32(at + 4, kind);
            image.u32(at + 12, address as u32);
            image.u32(at + 16, offset as u32);
            image.u32(at + 20, size as u32);
        }
        image.bytes
    }

    /// A 64-bit ELF image laid out as [`elf32`]'s.
    fn elf64(
        len: usize,
        big: bool,
        file_type: u16,
        entry: u64,
        segments: &[Entry],
        sections: &[Entry],
    ) -> Vec<u8> {
        let mut image = Image::new(len, big);
        ident(&mut image, ELF_CLASS_64);
        let phoff = ELF64_HEADER_SIZE;
        let shoff = phoff + segments.len() * 56;
        image.u16(16, file_type);
        image.u16(18, 0x3E);
        image.u32(20, 1);
        image.u64(24, entry);
        if !segments.is_empty() {
            image.u64(32, phoff as u64);
        }
        if !sections.is_empty() {
            image.u64(40, shoff as u64);
        }
        image.u16(52, 64);
        image.u16(54, 56);
        image.u16(56, segments.len() as u16);
        image.u16(58, 64);
        image.u16(60, sections.len() as u16);
        for (i, &(kind, address, offset, size)) in segments.iter().enumerate() {
            let at = phoff + i * 56;
            image.u32(at, kind);
            image.u32(at + 4, 5);
            image.u64(at + 8, offset);
            image.u64(at + 16, address);
            image.u64(at + 24, address);
            image.u64(at + 32, size);
            image.u64(at + 40, size);
        }
        for (i, &(kind, address, offset, size)) in sections.iter().enumerate() {
            let at = shoff + i * 64;
            image.u32(at + 4, kind);
            image.u64(at + 16, address);
            image.u64(at + 24, offset);
            image.u64(at + 32, size);
        }
        image.bytes
    }

    /// A PE32 file: two sections, entering 0x10 into the first (raw data at 0x200); the
    /// section headers end at 0x1C8.
    fn pe32_image() -> Vec<u8> {
        pe(0x400, false, 0x1010, &[(0x1000, 0x200), (0x2000, 0x400)])
    }

    /// A PE32+ file: one section, entering 0x234 into it (raw data at 0x400); the section
    /// header ends at 0x1B0.
    fn pe64_image() -> Vec<u8> {
        pe(0x400, true, 0x1234, &[(0x1000, 0x400)])
    }

    /// A 32-bit `ET_EXEC` file entering 0x80 into its load segment, after a `PT_PHDR`
    /// segment that does not hold it; the program headers end at 116.
    fn elf32_exec_image() -> Vec<u8> {
        let segments: [Entry; 2] = [
            (PT_PHDR, 0x0804_8034, 52, 0x40),
            (PT_LOAD, 0x0804_8000, 0, 0x200),
        ];
        elf32(0x100, false, ET_EXEC, 0x0804_8080, &segments, &[])
    }

    /// A 32-bit `ET_DYN` file whose entry point lies in an `SHT_NULL`, an `SHT_NOBITS` and a
    /// `SHT_PROGBITS` section (raw data at 0x100), and in a segment that is not consulted;
    /// the section headers lie at 84..204.
    fn elf32_dyn_image() -> Vec<u8> {
        let sections: [Entry; 3] = [
            (SHT_NULL, 0x1000, 0x500, 0x100),
            (SHT_NOBITS, 0x1000, 0x600, 0x100),
            (SHT_PROGBITS, 0x1000, 0x100, 0x100),
        ];
        let segments: [Entry; 1] = [(PT_LOAD, 0x1000, 0x700, 0x100)];
        elf32(0x100, false, ET_DYN, 0x1010, &segments, &sections)
    }

    /// A 64-bit `ET_EXEC` file entering 0x78 into its load segment; the program header ends
    /// at 120.
    fn elf64_exec_image() -> Vec<u8> {
        let segments: [Entry; 1] = [(PT_LOAD, 0x40_0000, 0, 0x1000)];
        elf64(0x100, false, ET_EXEC, 0x40_0078, &segments, &[])
    }

    /// A 64-bit `ET_DYN` file entering 0x40 into its section (raw data at 0x200); the
    /// section header lies at 64..128.
    fn elf64_dyn_image() -> Vec<u8> {
        let sections: [Entry; 1] = [(SHT_PROGBITS, 0x1000, 0x200, 0x100)];
        elf64(0x100, false, ET_DYN, 0x1040, &[], &sections)
    }

    /// Checks the value of every prefix of `image` (the whole of it included).
    fn assert_truncations(image: &[u8], expected: impl Fn(usize) -> Option<u64>) {
        for n in 0..=image.len() {
            assert_eq!(
                entry_point_offset(&image[..n]),
                expected(n),
                "first {n} bytes"
            );
        }
    }

    #[test]
    fn pe32_maps_the_entry_point_through_its_section() {
        assert_eq!(entry_point_offset(&pe32_image()), Some(0x210));
        // The headers hold for more than 0x80 + 24 + 224 bytes; the section headers must
        // then end before the end of the input, or the value is 0.
        assert_truncations(&pe32_image(), |n| match n {
            0..=0x178 => None,
            0x179..=0x1C8 => Some(0),
            _ => Some(0x210),
        });
    }

    #[test]
    fn pe32_plus_maps_the_entry_point_through_its_section() {
        assert_eq!(entry_point_offset(&pe64_image()), Some(0x634));
        // The PE32 optional header's size is what the headers need, even for PE32+.
        assert_truncations(&pe64_image(), |n| match n {
            0..=0x178 => None,
            0x179..=0x1B0 => Some(0),
            _ => Some(0x634),
        });
    }

    #[test]
    fn pe_picks_the_highest_section_start_below_the_entry_point() {
        let sections: [(u32, u32); 2] = [(0x2000, 0x400), (0x1000, 0x200)];
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x1010, &sections)),
            Some(0x210)
        );
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x2010, &sections)),
            Some(0x410)
        );
        // Among sections starting at the same address, the last one.
        let twins: [(u32, u32); 2] = [(0x1000, 0x200), (0x1000, 0x300)];
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x1010, &twins)),
            Some(0x310)
        );
        // A section at address 0 takes an entry point below every other section.
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x10, &[(0, 0x40), (0x1000, 0x200)])),
            Some(0x50)
        );
    }

    #[test]
    fn pe_ignores_section_sizes_and_the_end_of_the_file() {
        // 0xF00 past the start of a 0x200-byte section.
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x1F00, &[(0x1000, 0x200)])),
            Some(0x1100)
        );
        // Raw data past the end of the file.
        let sections: [(u32, u32); 2] = [(0x1000, 0x200), (0x2000, 0x400)];
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x2345, &sections)),
            Some(0x745)
        );
    }

    #[test]
    fn pe_without_a_section_below_the_entry_point_gives_the_rva() {
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x1234, &[])),
            Some(0x1234)
        );
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0x10, &[(0x1000, 0x200)])),
            Some(0x10)
        );
        assert_eq!(
            entry_point_offset(&pe(0x400, false, 0, &[(0x1000, 0x200)])),
            Some(0)
        );
        // The smallest input YARA takes: one byte past the PE32 optional header.
        assert_eq!(
            entry_point_offset(&pe(NT + 249, true, 0x1234, &[])),
            Some(0x1234)
        );
        assert_eq!(entry_point_offset(&pe(NT + 248, true, 0x1234, &[])), None);
    }

    #[test]
    fn pe_reads_at_most_60_section_headers() {
        // 60 sections at 0x1000 (raw data at 0x200), then a 61st that would win the tie.
        let mut sections: Vec<(u32, u32)> = vec![(0x1000, 0x200); 60];
        sections.push((0x1000, 0x900));
        let image = pe(0x1000, false, 0x1010, &sections);
        assert_eq!(entry_point_offset(&image), Some(0x210));
        // The 61st header may lie past the end; the 60th must end before it.
        let end_of_60 = NT + 24 + 0xE0 + 60 * 40;
        assert_eq!(entry_point_offset(&image[..end_of_60 + 1]), Some(0x210));
        assert_eq!(entry_point_offset(&image[..end_of_60]), Some(0));
    }

    #[test]
    fn pe_headers_yara_refuses_are_undefined() {
        // Machines other than i386 and AMD64.
        for machine in [0xAA64u16, 0x01C4, 0x0200, 0] {
            let mut image = pe32_image();
            image[NT + 4..NT + 6].copy_from_slice(&machine.to_le_bytes());
            assert_eq!(entry_point_offset(&image), None, "machine {machine:#x}");
        }
        // A wrong signature.
        let mut image = pe32_image();
        image[NT + 3] = 1;
        assert_eq!(entry_point_offset(&image), None);
        // A wrong DOS signature.
        let mut image = pe32_image();
        image[1] = b'X';
        assert_eq!(entry_point_offset(&image), None);
        // A negative or too large `e_lfanew`.
        for lfanew in [0x8000_0000u32, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x400] {
            let mut image = pe32_image();
            image[LFANEW_OFFSET..LFANEW_OFFSET + 4].copy_from_slice(&lfanew.to_le_bytes());
            assert_eq!(entry_point_offset(&image), None, "e_lfanew {lfanew:#x}");
        }
    }

    #[test]
    fn elf32_executable_maps_through_its_segments() {
        assert_eq!(entry_point_offset(&elf32_exec_image()), Some(0x80));
        assert_truncations(&elf32_exec_image(), |n| match n {
            0..=51 => None,
            52..=115 => Some(0),
            _ => Some(0x80),
        });
        // The first segment holding the address, whatever its type.
        let segments: [Entry; 2] = [
            (PT_NOTE, 0x0804_8000, 0x10, 0x100),
            (PT_LOAD, 0x0804_8000, 0, 0x200),
        ];
        let image = elf32(0x100, false, ET_EXEC, 0x0804_8080, &segments, &[]);
        assert_eq!(entry_point_offset(&image), Some(0x90));
    }

    #[test]
    fn elf32_executable_that_does_not_map_gives_0() {
        // An address outside every segment.
        let segments: [Entry; 1] = [(PT_LOAD, 0x0804_8000, 0, 0x200)];
        let image = elf32(0x100, false, ET_EXEC, 0x1000, &segments, &[]);
        assert_eq!(entry_point_offset(&image), Some(0));
        // A segment whose end wraps past 4 GiB holds nothing.
        let segments: [Entry; 1] = [(PT_LOAD, 0xFFFF_F000, 0x100, 0x2000)];
        let image = elf32(0x100, false, ET_EXEC, 0xFFFF_F800, &segments, &[]);
        assert_eq!(entry_point_offset(&image), Some(0));
        // No program headers: the sections are not consulted.
        let sections: [Entry; 1] = [(SHT_PROGBITS, 0x1000, 0x100, 0x100)];
        let image = elf32(0x100, false, ET_EXEC, 0x1010, &[], &sections);
        assert_eq!(entry_point_offset(&image), Some(0));
    }

    #[test]
    fn elf32_other_types_map_through_their_sections() {
        assert_eq!(entry_point_offset(&elf32_dyn_image()), Some(0x110));
        assert_truncations(&elf32_dyn_image(), |n| match n {
            0..=51 => None,
            52..=203 => Some(0),
            _ => Some(0x110),
        });
        let sections: [Entry; 1] = [(SHT_PROGBITS, 0x1000, 0x100, 0x100)];
        let image = elf32(0x100, false, ET_REL, 0x10FF, &[], &sections);
        assert_eq!(entry_point_offset(&image), Some(0x1FF));
        // Past the section's end, or in a section whose end wraps past 4 GiB: 0.
        let image = elf32(0x100, false, ET_REL, 0x1100, &[], &sections);
        assert_eq!(entry_point_offset(&image), Some(0));
        let sections: [Entry; 1] = [(SHT_PROGBITS, 0xFFFF_FF00, 0x100, 0x200)];
        let image = elf32(0x100, false, ET_DYN, 0xFFFF_FF80, &[], &sections);
        assert_eq!(entry_point_offset(&image), Some(0));
        // No section headers.
        let segments: [Entry; 1] = [(PT_LOAD, 0x1000, 0x100, 0x100)];
        let image = elf32(0x100, false, ET_DYN, 0x1010, &segments, &[]);
        assert_eq!(entry_point_offset(&image), Some(0));
    }

    #[test]
    fn elf64_executable_maps_through_its_segments() {
        assert_eq!(entry_point_offset(&elf64_exec_image()), Some(0x78));
        assert_truncations(&elf64_exec_image(), |n| match n {
            0..=63 => None,
            64..=119 => Some(0),
            _ => Some(0x78),
        });
        // A segment whose end wraps past 2^64 holds nothing.
        let segments: [Entry; 1] = [(PT_LOAD, 0xFFFF_FFFF_FFFF_F000, 0x100, 0x2000)];
        let image = elf64(0x100, false, ET_EXEC, 0xFFFF_FFFF_FFFF_F800, &segments, &[]);
        assert_eq!(entry_point_offset(&image), Some(0));
    }

    #[test]
    fn elf64_other_types_map_through_their_sections() {
        assert_eq!(entry_point_offset(&elf64_dyn_image()), Some(0x240));
        assert_truncations(&elf64_dyn_image(), |n| match n {
            0..=63 => None,
            64..=127 => Some(0),
            _ => Some(0x240),
        });
        // A section header table whose end would pass 2^64.
        let mut image = elf64_dyn_image();
        image[40..48].copy_from_slice(&(u64::MAX - 10).to_le_bytes());
        assert_eq!(entry_point_offset(&image), Some(0));
    }

    #[test]
    fn elf64_offsets_wrap_at_64_bits() {
        let section = |offset: u64| -> [Entry; 1] { [(SHT_PROGBITS, 0x1000, offset, 0x100)] };
        let image = elf64(0x100, false, ET_DYN, 0x1020, &[], &section(u64::MAX - 0xF));
        assert_eq!(entry_point_offset(&image), Some(0x10));
        // Above i64::MAX: a negative number in a condition, still defined.
        let image = elf64(0x100, false, ET_DYN, 0x1000, &[], &section(1 << 63));
        assert_eq!(entry_point_offset(&image), Some(1 << 63));
        // YARA's undefined marker itself.
        let image = elf64(0x100, false, ET_DYN, 0x1000, &[], &section(YR_UNDEFINED));
        assert_eq!(entry_point_offset(&image), None);
        let image = elf64(0x100, false, ET_DYN, 0x1001, &[], &section(YR_UNDEFINED));
        assert_eq!(entry_point_offset(&image), Some(YR_UNDEFINED + 1));
    }

    #[test]
    fn elf_byte_order_is_ignored() {
        // Big-endian files are read little-endian: `ET_EXEC` reads as 0x200, so the
        // (byte-swapped, here 0) section header offset is used and the value is 0.
        let segments: [Entry; 1] = [(PT_LOAD, 0x0804_8000, 0, 0x200)];
        let image = elf32(0x100, true, ET_EXEC, 0x0804_8080, &segments, &[]);
        assert_eq!(entry_point_offset(&image), Some(0));
        // A section header table at 64 reads as at 0x4000_0000_0000_0000: past the end.
        let sections: [Entry; 1] = [(SHT_PROGBITS, 0x1000, 0x200, 0x100)];
        let image = elf64(0x100, true, ET_DYN, 0x1040, &[], &sections);
        assert_eq!(entry_point_offset(&image), Some(0));
        // A little-endian file marked big-endian (or anything) maps as before.
        for data in [0u8, 2, 0xFF] {
            let mut image = elf32_exec_image();
            image[5] = data;
            assert_eq!(entry_point_offset(&image), Some(0x80));
            let mut image = elf64_dyn_image();
            image[5] = data;
            assert_eq!(entry_point_offset(&image), Some(0x240));
        }
    }

    #[test]
    fn other_inputs_are_undefined() {
        let mut macho = vec![0u8; 0x400];
        macho[..4].copy_from_slice(&[0xCF, 0xFA, 0xED, 0xFE]);
        let mut mz_only = vec![0u8; 0x400];
        mz_only[..2].copy_from_slice(b"MZ");
        let inputs: [&[u8]; 6] = [b"", b"hello", b"\x7fELF", &[0u8; 4096], &macho, &mz_only];
        for input in inputs {
            assert_eq!(entry_point_offset(input), None);
        }
        // ELF classes other than 1 and 2.
        for class in [0u8, 3, 0xFF] {
            let mut image = elf64_exec_image();
            image[4] = class;
            assert_eq!(entry_point_offset(&image), None, "class {class}");
        }
        // A 64-bit class with only a 32-bit header.
        let mut image = elf32_exec_image();
        image[4] = ELF_CLASS_64;
        assert_eq!(entry_point_offset(&image[..63]), None);
    }

    /// Every image the tests build.
    fn images() -> Vec<Vec<u8>> {
        let mut sections: Vec<(u32, u32)> = vec![(0x1000, 0x200); 60];
        sections.push((0x1000, 0x900));
        vec![
            pe32_image(),
            pe64_image(),
            pe(0x1000, false, 0x1010, &sections),
            elf32_exec_image(),
            elf32_dyn_image(),
            elf64_exec_image(),
            elf64_dyn_image(),
            elf32(
                0x100,
                true,
                ET_EXEC,
                0x0804_8080,
                &[(PT_LOAD, 0x0804_8000, 0, 0x200)],
                &[],
            ),
            elf64(
                0x100,
                true,
                ET_DYN,
                0x1040,
                &[(PT_LOAD, 0x1000, 0x200, 0x100)],
                &[(SHT_PROGBITS, 0x1000, 0x200, 0x100)],
            ),
        ]
    }

    #[test]
    fn truncated_images_never_panic() {
        for image in images() {
            for n in 0..=image.len() {
                let _ = entry_point_offset(&image[..n]);
            }
        }
    }

    #[test]
    fn mutated_images_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for image in images() {
            for _ in 0..2000 {
                let mut mutated = image.clone();
                // Overwrite a few 1-, 2-, 4- or 8-byte fields with random values.
                for _ in 0..1 + next() % 4 {
                    let width = 1usize << (next() % 4);
                    let at = (next() % mutated.len() as u64) as usize;
                    let value = next().to_le_bytes();
                    let end = (at + width).min(mutated.len());
                    mutated[at..end].copy_from_slice(&value[..end - at]);
                }
                let _ = entry_point_offset(&mutated);
                let cut = (next() % (mutated.len() as u64 + 1)) as usize;
                let _ = entry_point_offset(&mutated[..cut]);
            }
        }
    }
}
