//! The debug directory's program database path: `pe.pdb_path`.
//!
//! # The structures
//!
//! The debug data directory holds the relative virtual address and size of an array of
//! `IMAGE_DEBUG_DIRECTORY` entries, 28 bytes each: characteristics, a time stamp, a major and a
//! minor version, the type, the size of the data, the data's relative virtual address
//! (`AddressOfRawData`) and its file offset (`PointerToRawData`). An entry of type 2
//! (`IMAGE_DEBUG_TYPE_CODEVIEW`) points to a CodeView record, which starts with a signature:
//!
//! - `RSDS` (PDB 7.0): a 16-byte GUID and a 32-bit age, then the path, at offset 24;
//! - `NB10` (PDB 2.0): a 32-bit offset, a 32-bit signature and a 32-bit age, then the path, at
//!   offset 16;
//! - `MTOC`: a 16-byte UUID, then the path, at offset 20.
//!
//! # YARA's rules, as kept here
//!
//! - The directory entry must exist, with a size that is not 0 and a multiple of 28, and an
//!   address that is not 0 and maps into the file.
//! - Entries are read in order until one does not fit in the file; those of another type are
//!   skipped.
//! - The record is found by `AddressOfRawData` when it is not 0 and maps into the file at an
//!   offset other than 0; otherwise by `PointerToRawData` when that is not 0; otherwise the
//!   entry is skipped.
//! - The record's header (8 bytes) must fit, and so must its fixed part with the path's first
//!   byte (17 bytes for `NB10`, 25 for `RSDS`, 21 for `MTOC`); another signature is skipped.
//! - The path ends at its first zero byte, at the end of the file, or after 1024 bytes. The
//!   first path of 1 to 1023 bytes is `pdb_path`; an empty one, or one of 1024 bytes without a
//!   terminator, moves on to the next entry. Without one, `pdb_path` is undefined.

use super::headers::Headers;
use super::reader::{fits, u32_at};
use super::rva_to_offset;
use crate::scan::modules::schema::{member, Kind, Member};
use crate::scan::modules::Object;

/// `IMAGE_DIRECTORY_ENTRY_DEBUG`.
const DEBUG_DIRECTORY: usize = 6;
/// Size of an `IMAGE_DEBUG_DIRECTORY`.
const ENTRY_SIZE: u32 = 28;
/// `IMAGE_DEBUG_TYPE_CODEVIEW`.
const TYPE_CODEVIEW: u32 = 2;
/// Size of a CodeView record's header: its signature and a 32-bit offset.
const CODEVIEW_HEADER_SIZE: u64 = 8;
/// `RSDS`, `NB10` and `MTOC`, with the offset of each record's path.
const PDB70: u32 = 0x5344_5352;
const PDB70_PATH: u64 = 24;
const PDB20: u32 = 0x3031_424e;
const PDB20_PATH: u64 = 16;
const MTOC: u32 = 0x434f_544d;
const MTOC_PATH: u64 = 20;
/// YARA's `MAX_PATH`: a path must be shorter.
const MAX_PATH: usize = 1024;

/// The members this part declares: `pdb_path`.
pub(super) const MEMBERS: &[Member] = &[member("pdb_path", Kind::Text)];

/// Sets this part's fields of `pe` (whose header and section fields are already set), for an
/// input of `size` bytes whose first bytes are `data`.
pub(super) fn describe(headers: &Headers<'_>, data: &[u8], size: u64, pe: &mut Object) {
    if let Some(path) = pdb_path(headers, data, size, pe) {
        pe.set("pdb_path", path);
    }
}

/// The path of the first CodeView record with a usable one (YARA's
/// `pe_parse_debug_directory`).
fn pdb_path(headers: &Headers<'_>, data: &[u8], size: u64, pe: &Object) -> Option<Vec<u8>> {
    let (address, length) = headers.directory(data, DEBUG_DIRECTORY)?;
    if length == 0 || !length.is_multiple_of(ENTRY_SIZE) || address == 0 {
        return None;
    }
    let table = rva_to_offset(pe, size, u64::from(address))?;
    for i in 0..u64::from(length / ENTRY_SIZE) {
        let entry = table + i * u64::from(ENTRY_SIZE);
        let (Some(kind), Some(raw_address), Some(raw_pointer)) = (
            u32_at(data, entry + 12),
            u32_at(data, entry + 20),
            u32_at(data, entry + 24),
        ) else {
            // The entry does not fit: the table ends.
            break;
        };
        if kind != TYPE_CODEVIEW {
            continue;
        }
        // YARA's "not found" (-1) and offset 0 both fall back to the file offset.
        let mut record = if raw_address == 0 {
            0
        } else {
            rva_to_offset(pe, size, u64::from(raw_address)).unwrap_or(0)
        };
        if record == 0 {
            record = u64::from(raw_pointer);
        }
        if record == 0 || !fits(data, record, CODEVIEW_HEADER_SIZE) {
            continue;
        }
        let path_at = match u32_at(data, record) {
            Some(PDB20) => PDB20_PATH,
            Some(PDB70) => PDB70_PATH,
            Some(MTOC) => MTOC_PATH,
            _ => continue,
        };
        // The fixed part and the path's first byte.
        if !fits(data, record, path_at + 1) {
            continue;
        }
        let Some(path) = usize::try_from(record + path_at)
            .ok()
            .and_then(|at| data.get(at..))
        else {
            continue;
        };
        let window = &path[..path.len().min(MAX_PATH)];
        let length = window.iter().position(|&b| b == 0).unwrap_or(window.len());
        if length > 0 && length < MAX_PATH {
            return Some(window[..length].to_vec());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A PE32 image: NT headers at 0x80, one section whose raw data `section` lies at file
    /// offset 0x200 and is mapped at 0x1000, and the debug directory entry set to `directory`.
    fn image(section: &[u8], directory: (u32, u32)) -> Vec<u8> {
        const NT: usize = 0x80;
        let mut image = vec![0u8; 0x200];
        put(&mut image, 0, b"MZ");
        put32(&mut image, 0x3c, NT as u32);
        put(&mut image, NT, b"PE\0\0");
        let file = NT + 4;
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
        put32(&mut image, optional + 56, 0x4000);
        put32(&mut image, optional + 60, 0x200);
        put32(&mut image, optional + 92, 16);
        put32(&mut image, optional + 96 + 8 * DEBUG_DIRECTORY, directory.0);
        put32(
            &mut image,
            optional + 100 + 8 * DEBUG_DIRECTORY,
            directory.1,
        );
        let header = optional + 0xe0;
        put(&mut image, header, b".rdata\0\0");
        put32(&mut image, header + 8, section.len() as u32);
        put32(&mut image, header + 12, 0x1000);
        let raw = section.len().div_ceil(0x200) * 0x200;
        put32(&mut image, header + 16, raw as u32);
        put32(&mut image, header + 20, 0x200);
        put32(&mut image, header + 36, 0x4000_0040);
        put(&mut image, 0x200, section);
        image.resize(0x200 + raw, 0);
        image
    }

    /// Writes a debug directory entry of type `kind` at `at` of `section`.
    fn entry(section: &mut Vec<u8>, at: usize, kind: u32, address: u32, pointer: u32) {
        put32(section, at + 12, kind);
        put32(section, at + 16, 0x40);
        put32(section, at + 20, address);
        put32(section, at + 24, pointer);
    }

    /// An RSDS record with `path` (and its terminator) at `at` of `section`.
    fn rsds(section: &mut Vec<u8>, at: usize, path: &[u8]) {
        put(section, at, b"RSDS");
        put(section, at + 4, &[0x11; 16]);
        put32(section, at + 20, 1);
        put(section, at + 24, path);
        put(section, at + 24 + path.len(), &[0]);
    }

    fn load(data: &[u8]) -> Option<Object> {
        let headers = Headers::find(data)?;
        let mut pe = Object::structure();
        headers.describe(data, data.len() as u64, &mut pe);
        describe(&headers, data, data.len() as u64, &mut pe);
        Some(pe)
    }

    /// A COFF entry, then a CodeView entry whose RSDS record is at 0x1040 (file 0x240).
    fn rsds_image() -> Vec<u8> {
        let mut section = vec![0u8; 0x100];
        entry(&mut section, 0, 1, 0x1080, 0x280);
        entry(&mut section, 28, TYPE_CODEVIEW, 0x1040, 0x240);
        rsds(&mut section, 0x40, b"C:\\build\\demo.pdb");
        image(&section, (0x1000, 56))
    }

    #[test]
    fn the_rsds_path_is_found() {
        let pe = load(&rsds_image()).expect("a PE");
        assert_eq!(
            pe.member("pdb_path").text(),
            Some(&b"C:\\build\\demo.pdb"[..])
        );
    }

    #[test]
    fn nb10_and_mtoc_records_and_the_file_offset_fallback() {
        // NB10 through its file offset only; an unmapped address falls back to it too.
        for address in [0, 0x9000] {
            let mut section = vec![0u8; 0x100];
            entry(&mut section, 0, TYPE_CODEVIEW, address, 0x280);
            put(&mut section, 0x80, b"NB10");
            put(&mut section, 0x90, b"old.pdb\0");
            let pe = load(&image(&section, (0x1000, 28))).expect("a PE");
            assert_eq!(pe.member("pdb_path").text(), Some(&b"old.pdb"[..]));
        }
        // An empty RSDS path moves on to the next entry, an MTOC record.
        let mut section = vec![0u8; 0x100];
        entry(&mut section, 0, TYPE_CODEVIEW, 0x1040, 0);
        rsds(&mut section, 0x40, b"");
        entry(&mut section, 28, TYPE_CODEVIEW, 0x1080, 0);
        put(&mut section, 0x80, b"MTOC");
        put(&mut section, 0x94, b"mtoc.pdb\0");
        let pe = load(&image(&section, (0x1000, 56))).expect("a PE");
        assert_eq!(pe.member("pdb_path").text(), Some(&b"mtoc.pdb"[..]));
    }

    #[test]
    fn paths_must_be_shorter_than_max_path() {
        for (length, found) in [(1023, true), (1024, false)] {
            let mut section = vec![0u8; 0x40];
            entry(&mut section, 0, TYPE_CODEVIEW, 0x1040, 0);
            rsds(&mut section, 0x40, &vec![b'a'; length]);
            let pe = load(&image(&section, (0x1000, 28))).expect("a PE");
            let path = pe.member("pdb_path").text().map(<[u8]>::len);
            assert_eq!(path, found.then_some(length), "a path of {length} bytes");
        }
        // A path that runs to the end of the file is taken as it is.
        let mut section = vec![0u8; 0x200];
        let record = 0x200 - 24 - 5;
        entry(&mut section, 0, TYPE_CODEVIEW, 0x1000 + record as u32, 0);
        put(&mut section, record, b"RSDS");
        put(&mut section, record + 24, b"tail!");
        let data = image(&section, (0x1000, 28));
        assert_eq!(data.len(), 0x400);
        let pe = load(&data).expect("a PE");
        assert_eq!(pe.member("pdb_path").text(), Some(&b"tail!"[..]));
    }

    #[test]
    fn bad_directories_give_nothing() {
        let data = rsds_image();
        for directory in [(0x1000, 55), (0x1000, 0), (0, 56), (0x9000, 56)] {
            let mut data = data.clone();
            put32(&mut data, 0x80 + 24 + 96 + 8 * DEBUG_DIRECTORY, directory.0);
            put32(
                &mut data,
                0x80 + 24 + 100 + 8 * DEBUG_DIRECTORY,
                directory.1,
            );
            let pe = load(&data).expect("a PE");
            assert_eq!(pe.member("pdb_path"), &Object::Undefined, "{directory:?}");
        }
    }

    #[test]
    fn truncated_and_damaged_images_never_panic() {
        let data = rsds_image();
        for len in 0..data.len() {
            let _ = load(&data[..len]);
        }
        for at in 0x200..0x300 {
            for value in [0x00, 0x80, 0xff] {
                let mut damaged = data.clone();
                if let Some(byte) = damaged.get_mut(at) {
                    *byte = value;
                }
                let _ = load(&damaged);
            }
        }
    }
}
