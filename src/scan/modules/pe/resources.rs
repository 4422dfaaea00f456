//! Resources and version information: `pe.number_of_resources`, `pe.resources[i]`,
//! `pe.resource_timestamp`, `pe.resource_version`, `pe.number_of_version_infos`,
//! `pe.version_info[key]` and `pe.version_info_list[i]`, and the functions `pe.locale(id)` and
//! `pe.language(id)`.
//!
//! # The resource tree
//!
//! The resource data directory holds the relative virtual address of the root
//! `IMAGE_RESOURCE_DIRECTORY` (16 bytes): characteristics, a time stamp, a major and a minor
//! version, then the numbers of named and of id entries. Its `IMAGE_RESOURCE_DIRECTORY_ENTRY`s
//! follow it, 8 bytes each: a name and an offset. The tree has three levels: the resource type,
//! the resource name and the language. An entry's name is an integer id or, with its high bit
//! set, the offset of a counted UTF-16 string (a 16-bit number of characters, then the
//! characters). An entry's offset, with its high bit set, is that of a subdirectory; without it,
//! that of an `IMAGE_RESOURCE_DATA_ENTRY` (16 bytes): the data's relative virtual address, its
//! size and its code page. Every offset inside the tree counts from the root directory.
//!
//! # YARA's walk, as kept here
//!
//! - `number_of_resources` and `number_of_version_infos` are set for every PE, 0 without
//!   resources. `resource_timestamp` and `resource_version` are set when the resource directory
//!   entry exists, its address is not 0 and maps to a root directory that fits in the file.
//! - A directory whose characteristics are not 0, or that claims more than 32768 named or
//!   32768 id entries, is skipped. An entry, subdirectory or data entry that does not fit in
//!   the file ends the whole walk.
//! - The ids last met at each level are shared by the whole walk: a data entry reached above
//!   the language level (an offset without the high bit) reports the language id of the
//!   resource before it, or -1 before any. Ids are signed 32-bit values: a string name that does
//!   not fit leaves its raw value, which is negative.
//! - A string name sets `type_string`, `name_string` or `language_string` (its UTF-16 bytes as
//!   they are, without a terminator) and leaves the matching id undefined; an id sets the
//!   integer and leaves the string undefined.
//! - An entry of the language level is always read as a data entry, high bit or not.
//! - `offset` is the file offset of the resource's data, undefined when its address maps
//!   outside the file.
//! - At most 65537 resources are listed: YARA stops collecting once it holds more than 65536.
//!
//! # Version information
//!
//! A resource of type 16 (`RT_VERSION`) is also parsed as a `VS_VERSIONINFO` tree. Each block
//! starts with a 16-bit length, a 16-bit value length and a 16-bit type, then a UTF-16 key and
//! its terminator; its value and children follow, aligned to 4 bytes. YARA requires the root's
//! key to be `VS_VERSION_INFO` and goes to its children at the fixed offset 92 (the header, the
//! key, padding and the 52-byte `VS_FIXEDFILEINFO`). It skips `VarFileInfo` blocks, then reads
//! `StringFileInfo` blocks: their string tables start 36 bytes in, a table's strings follow the
//! table's key, and a string's value follows its key. Blocks advance by their length rounded up
//! to 4 bytes (counted from the block, not the file). A loop ends at a block with another key,
//! a length of 0, a header or key that does not fit (a key needs a UTF-16 terminator in the
//! file), or, for tables and strings, a start at or past the end of the parent. A string whose
//! value has no terminator in the file is skipped.
//!
//! Keys and values are narrowed as YARA's `strlcpy_w` does: the low byte of each character, up
//! to the first character whose low byte is 0, at most 63 bytes for a key and 255 for a value.
//! A string whose value length is 0 has an empty value, whatever follows its key. Each string
//! sets `version_info[key]` (a later string with the same key replaces the value, keeping the
//! key's place) and appends `{key, value}` to `version_info_list`.
//!
//! # Bounds of this implementation
//!
//! YARA bounds none of the following; only inputs built for it reach them, where YARA would run
//! for hours or exhaust memory. The walk visits at most 2^22 directory entries; resource name
//! strings total at most 64 MiB (a later name is left undefined); version information records
//! at most 65536 strings and visits at most 2^18 blocks in all, then stops. Searching UTF-16
//! terminators remembers what it has scanned, so no byte is scanned twice.
//!
//! # `locale` and `language`
//!
//! `pe.locale(id)` is 1 when some resource's language id, masked to 16 bits, is `id`, and
//! `pe.language(id)` when it is, masked to 8 bits; 0 otherwise, undefined when
//! `number_of_resources` is. A resource with a language string has no language id: YARA reads
//! its undefined value (0xFFFABADAFABADAFF), which masks to 0xDAFF and 0xFF, so `pe.locale(0xDAFF)`
//! and `pe.language(0xFF)` hold for any file with a named language. That is kept.

use super::headers::Headers;
use super::reader::{fits, slice, u16_at, u32_at};
use super::rva_to_offset;
use crate::scan::modules::schema::{member, Arg, Kind, Member, Overload, Ret};
use crate::scan::modules::{CallArgs, Object, Returned};
use std::collections::{BTreeMap, HashMap};

/// `IMAGE_DIRECTORY_ENTRY_RESOURCE`.
const RESOURCE_DIRECTORY: usize = 2;
/// Size of an `IMAGE_RESOURCE_DIRECTORY`, and of an `IMAGE_RESOURCE_DATA_ENTRY`.
const DIRECTORY_SIZE: u64 = 16;
/// Size of an `IMAGE_RESOURCE_DIRECTORY_ENTRY`.
const ENTRY_SIZE: u64 = 8;
/// Most named, and most id, entries YARA accepts in one directory.
const MAX_DIRECTORY_ENTRIES: u16 = 32768;
/// YARA collects a resource while it holds at most this many.
const MAX_RESOURCES: usize = 65536;
/// The language level, the deepest of the tree (types are level 0, names level 1).
const LANGUAGE_LEVEL: usize = 2;
/// `RT_VERSION`.
const RESOURCE_TYPE_VERSION: i32 = 16;
/// The high bit of an entry's name (a string) and offset (a subdirectory).
const HIGH_BIT: u32 = 0x8000_0000;
/// YARA's undefined integer, which it reads for a resource without a language id.
const UNDEFINED: i64 = 0xFFFA_BADA_FABA_DAFF_u64 as i64;
/// Size of a version-information block header (`VERSION_INFO`): length, value length, type.
const VERSION_INFO_SIZE: usize = 6;
/// Longest key and value YARA copies (its buffers of 64 and 256 bytes, less the terminator).
const KEY_MAX: usize = 63;
const VALUE_MAX: usize = 255;
/// Most directory entries the walk visits (a bound of this implementation).
const MAX_ENTRY_VISITS: usize = 1 << 22;
/// Most bytes of resource name strings kept (a bound of this implementation).
const MAX_NAME_BYTES: usize = 64 << 20;
/// Most version-information strings recorded (a bound of this implementation).
const MAX_VERSION_INFOS: usize = 1 << 16;
/// Most version-information blocks visited (a bound of this implementation).
const MAX_VERSION_STEPS: usize = 1 << 18;

const RESOURCE: Kind = Kind::Struct(&[
    member("rva", Kind::Int),
    member("offset", Kind::Int),
    member("length", Kind::Int),
    member("type", Kind::Int),
    member("id", Kind::Int),
    member("language", Kind::Int),
    member("type_string", Kind::Text),
    member("name_string", Kind::Text),
    member("language_string", Kind::Text),
]);

const VERSION_INFO_ENTRY: Kind =
    Kind::Struct(&[member("key", Kind::Text), member("value", Kind::Text)]);

/// The members this part declares: the resource list and its root directory's time stamp and
/// version, the version information, and the `locale` and `language` functions.
pub(super) const MEMBERS: &[Member] = &[
    member("number_of_resources", Kind::Int),
    member("resource_timestamp", Kind::Int),
    member(
        "resource_version",
        Kind::Struct(&[member("major", Kind::Int), member("minor", Kind::Int)]),
    ),
    member("resources", Kind::Array(&RESOURCE)),
    member("number_of_version_infos", Kind::Int),
    member("version_info", Kind::Dict(&Kind::Text)),
    member("version_info_list", Kind::Array(&VERSION_INFO_ENTRY)),
    member(
        "locale",
        Kind::Function(&[Overload {
            args: &[Arg::Int],
            ret: Ret::Int,
            call: locale,
        }]),
    ),
    member(
        "language",
        Kind::Function(&[Overload {
            args: &[Arg::Int],
            ret: Ret::Int,
            call: language,
        }]),
    ),
];

/// Sets this part's fields of `pe` (whose header and section fields are already set), for an
/// input of `size` bytes whose first bytes are `data`.
pub(super) fn describe(headers: &Headers<'_>, data: &[u8], size: u64, pe: &mut Object) {
    let found = collect_resources(headers, data, size, pe);
    if let Some(root) = found.root {
        pe.set("resource_timestamp", root.timestamp);
        let mut version = Object::structure();
        version.set("major", root.major);
        version.set("minor", root.minor);
        pe.set("resource_version", version);
    }
    pe.set("number_of_resources", found.resources.len() as u64);
    pe.set("resources", Object::Array(found.resources));
    let versions = found.versions;
    pe.set("number_of_version_infos", versions.list.len() as u64);
    pe.set("version_info", Object::Dict(versions.dict));
    pe.set("version_info_list", Object::Array(versions.list));
}

/// The root directory's time stamp and version.
#[derive(Clone, Copy)]
struct Root {
    timestamp: u32,
    major: u16,
    minor: u16,
}

/// What the walk of the resource tree found.
struct Found {
    /// The root directory's header, when it fits.
    root: Option<Root>,
    resources: Vec<Object>,
    versions: VersionInfos,
}

/// Walks the resource tree of `data` (YARA's `pe_iterate_resources` with
/// `pe_collect_resources` as its callback).
fn collect_resources(headers: &Headers<'_>, data: &[u8], size: u64, pe: &Object) -> Found {
    let at = root_directory(headers, data, size, pe);
    let root = at.and_then(|at| root_header(data, at));
    let mut walk = Walk {
        data,
        pe,
        size,
        root: at.unwrap_or(0),
        ids: [-1; 3],
        visits: 0,
        name_bytes: 0,
        resources: Vec::new(),
        versions: VersionInfos::default(),
    };
    if let Some(at) = at {
        walk.directory(at, 0, [None; 3]);
    }
    Found {
        root,
        resources: walk.resources,
        versions: walk.versions,
    }
}

/// The file offset of the root resource directory: the resource data directory entry exists,
/// its address is not 0, maps into the file, and a directory fits there.
fn root_directory(headers: &Headers<'_>, data: &[u8], size: u64, pe: &Object) -> Option<u64> {
    let (address, _) = headers.directory(data, RESOURCE_DIRECTORY)?;
    if address == 0 {
        return None;
    }
    let at = rva_to_offset(pe, size, u64::from(address))?;
    fits(data, at, DIRECTORY_SIZE).then_some(at)
}

/// The time stamp and version of the directory at `at`.
fn root_header(data: &[u8], at: u64) -> Option<Root> {
    Some(Root {
        timestamp: u32_at(data, at + 4)?,
        major: u16_at(data, at + 8)?,
        minor: u16_at(data, at + 10)?,
    })
}

/// Names of the string and id fields of each level.
const NAME_FIELDS: [(&str, &str); 3] = [
    ("type_string", "type"),
    ("name_string", "id"),
    ("language_string", "language"),
];

/// The state of a walk of the resource tree.
struct Walk<'a> {
    data: &'a [u8],
    /// The module's values so far, for `rva_to_offset`.
    pe: &'a Object,
    size: u64,
    /// File offset of the root directory, from which the tree's offsets count.
    root: u64,
    /// The ids (raw names) last met at each level, shared by the whole walk as in YARA.
    ids: [i32; 3],
    /// Directory entries visited.
    visits: usize,
    /// Bytes of name strings kept.
    name_bytes: usize,
    resources: Vec<Object>,
    versions: VersionInfos,
}

impl Walk<'_> {
    /// Walks the directory at file offset `at` (which fits) of tree level `level`, whose
    /// ancestors' entries named the strings at `names` (file offsets; None for ids). False
    /// when the walk ends (an entry or its target does not fit, or a bound is reached).
    fn directory(&mut self, at: u64, level: usize, mut names: [Option<u64>; 3]) -> bool {
        let data = self.data;
        let (Some(characteristics), Some(named), Some(ids)) = (
            u32_at(data, at),
            u16_at(data, at + 12),
            u16_at(data, at + 14),
        ) else {
            return false;
        };
        if characteristics != 0 || named > MAX_DIRECTORY_ENTRIES || ids > MAX_DIRECTORY_ENTRIES {
            // Skipped, but the walk goes on.
            return true;
        }
        let total = u64::from(named) + u64::from(ids);
        for i in 0..total {
            // Past the resource limit YARA's callback does nothing: stopping is the same.
            if self.resources.len() > MAX_RESOURCES || self.visits >= MAX_ENTRY_VISITS {
                return false;
            }
            self.visits += 1;
            let entry = at + DIRECTORY_SIZE + i * ENTRY_SIZE;
            let (Some(name), Some(offset)) = (u32_at(data, entry), u32_at(data, entry + 4)) else {
                return false;
            };
            if let Some(id) = self.ids.get_mut(level) {
                *id = name as i32;
            }
            let string = self.name_string(name);
            if let Some(slot) = names.get_mut(level) {
                *slot = string;
            }
            let target = self.root + u64::from(offset & !HIGH_BIT);
            // A subdirectory and a data entry have the same size.
            if !fits(data, target, DIRECTORY_SIZE) {
                return false;
            }
            if offset & HIGH_BIT != 0 && level < LANGUAGE_LEVEL {
                if !self.directory(target, level + 1, names) {
                    return false;
                }
            } else {
                self.resource(target, names);
            }
        }
        true
    }

    /// The file offset of the string an entry's `name` refers to (YARA's
    /// `parse_resource_name`): None for an id, or when the string does not fit.
    fn name_string(&self, name: u32) -> Option<u64> {
        if name & HIGH_BIT == 0 {
            return None;
        }
        let at = self.root + u64::from(name & !HIGH_BIT);
        let characters = u16_at(self.data, at)?;
        fits(self.data, at, 2 + 2 * u64::from(characters)).then_some(at)
    }

    /// The UTF-16 bytes of the name string at `at`, within the bound on name bytes.
    fn name_text(&mut self, at: u64) -> Option<Vec<u8>> {
        let characters = u16_at(self.data, at)?;
        let bytes = slice(self.data, at + 2, 2 * u64::from(characters))?;
        let total = self
            .name_bytes
            .checked_add(bytes.len())
            .filter(|&total| total <= MAX_NAME_BYTES)?;
        self.name_bytes = total;
        Some(bytes.to_vec())
    }

    /// Collects the resource of the data entry at `entry` (which fits), named by `names` and
    /// the current ids (YARA's `pe_collect_resources`).
    fn resource(&mut self, entry: u64, names: [Option<u64>; 3]) {
        if self.resources.len() > MAX_RESOURCES {
            return;
        }
        let (Some(rva), Some(length)) = (u32_at(self.data, entry), u32_at(self.data, entry + 4))
        else {
            return;
        };
        let mut resource = Object::structure();
        resource.set("rva", rva);
        if let Some(offset) = rva_to_offset(self.pe, self.size, u64::from(rva)) {
            resource.set("offset", offset);
        }
        resource.set("length", length);
        for ((string_field, id_field), (name, id)) in
            NAME_FIELDS.into_iter().zip(names.into_iter().zip(self.ids))
        {
            match name {
                Some(at) => {
                    if let Some(text) = self.name_text(at) {
                        resource.set(string_field, text);
                    }
                }
                None => resource.set(id_field, i64::from(id)),
            }
        }
        if self.ids[0] == RESOURCE_TYPE_VERSION {
            self.versions.parse(self.data, self.pe, self.size, rva);
        }
        self.resources.push(resource);
    }
}

/// The version information found so far, over all version resources.
#[derive(Default)]
struct VersionInfos {
    /// `version_info`: keys in the order first set.
    dict: Vec<(Vec<u8>, Object)>,
    /// Where each key of `dict` is.
    places: HashMap<Vec<u8>, usize>,
    /// `version_info_list`.
    list: Vec<Object>,
    /// Blocks visited.
    steps: usize,
    ends: WideEnds,
}

impl VersionInfos {
    /// Parses the version information at relative virtual address `rva` (YARA's
    /// `pe_parse_version_info`).
    fn parse(&mut self, data: &[u8], pe: &Object, size: u64, rva: u32) {
        let start = rva_to_offset(pe, size, u64::from(rva)).and_then(|at| usize::try_from(at).ok());
        if let Some(start) = start {
            self.parse_at(data, start);
        }
    }

    /// Parses the `VS_VERSIONINFO` block at file offset `start`; None where it stops early.
    fn parse_at(&mut self, data: &[u8], start: usize) -> Option<()> {
        if !has_key(data, start, "VS_VERSION_INFO") {
            return None;
        }
        let mut block = advance(start, VERSION_INFO_SIZE + 86)?;
        while has_key(data, block, "VarFileInfo") {
            let length = word(data, block)?;
            if length == 0 {
                break;
            }
            self.step()?;
            block = advance(block, usize::from(length))?;
        }
        while has_key(data, block, "StringFileInfo") {
            let length = word(data, block)?;
            if length == 0 {
                break;
            }
            self.step()?;
            let mut table = advance(block, VERSION_INFO_SIZE + 30)?;
            block = advance(block, usize::from(length))?;
            while let Some((table_length, key_characters)) = self.child(data, table, block) {
                self.step()?;
                let mut string = advance(table, VERSION_INFO_SIZE + 2 * (key_characters + 1))?;
                table = advance(table, usize::from(table_length))?;
                while let Some((string_length, key_characters)) = self.child(data, string, table) {
                    self.step()?;
                    let value_at = advance(string, VERSION_INFO_SIZE + 2 * (key_characters + 1))?;
                    if self.ends.find(data, value_at).is_some() {
                        let key = narrow(data, string + VERSION_INFO_SIZE, KEY_MAX);
                        let value = if word(data, string + 2) == Some(0) {
                            Vec::new()
                        } else {
                            narrow(data, value_at, VALUE_MAX)
                        };
                        self.record(key, value)?;
                    }
                    string = advance(string, usize::from(string_length))?;
                }
            }
        }
        Some(())
    }

    /// The table or string block at `at` of a parent ending at `limit`: its length and the
    /// number of characters of its key, when its header fits, its length is not 0, it starts
    /// before `limit` and its key has a UTF-16 terminator in the file.
    fn child(&mut self, data: &[u8], at: usize, limit: usize) -> Option<(u16, usize)> {
        if !fits(data, at as u64, VERSION_INFO_SIZE as u64) {
            return None;
        }
        let length = word(data, at)?;
        if length == 0 || at >= limit {
            return None;
        }
        let key = at + VERSION_INFO_SIZE;
        let end = self.ends.find(data, key)?;
        Some((length, (end - key) / 2))
    }

    /// Counts a block visited; None past the bound.
    fn step(&mut self) -> Option<()> {
        self.steps += 1;
        (self.steps <= MAX_VERSION_STEPS).then_some(())
    }

    /// Records one string; None past the bound.
    fn record(&mut self, key: Vec<u8>, value: Vec<u8>) -> Option<()> {
        if self.list.len() >= MAX_VERSION_INFOS {
            return None;
        }
        let next = self.dict.len();
        let place = *self.places.entry(key.clone()).or_insert(next);
        let text = Object::Text(value.clone());
        match self.dict.get_mut(place) {
            Some(slot) => slot.1 = text,
            None => self.dict.push((key.clone(), text)),
        }
        let mut item = Object::structure();
        item.set("key", key);
        item.set("value", value);
        self.list.push(item);
        Some(())
    }
}

/// Where UTF-16 strings end (YARA's `wide_string_fits_in_pe`), remembering what was scanned.
///
/// For each parity of offsets, `known` maps a start `s` to the end `e` found from it: no two
/// zero bytes start at an offset of that parity in `s..e`, and two start at `e` (None: none
/// up to the end of the data). The ranges are disjoint, so each byte is scanned at most once.
#[derive(Default)]
struct WideEnds {
    known: [BTreeMap<usize, Option<usize>>; 2],
}

impl WideEnds {
    /// The offset of the terminator of the UTF-16 string at `at`: the first offset at an even
    /// distance from `at` where two zero bytes lie in `data`.
    fn find(&mut self, data: &[u8], at: usize) -> Option<usize> {
        let known = &mut self.known[at % 2];
        if let Some((_, &end)) = known.range(..=at).next_back() {
            match end {
                None => return None,
                Some(end) if at <= end => return Some(end),
                Some(_) => {}
            }
        }
        let next = known
            .range(at.checked_add(1)?..)
            .next()
            .map(|(&start, &end)| (start, end));
        let mut scan = at;
        let end = loop {
            if let Some((start, end)) = next {
                if scan >= start {
                    known.remove(&start);
                    break end;
                }
            }
            match data.get(scan..scan.checked_add(2)?) {
                Some([0, 0]) => break Some(scan),
                Some(_) => scan += 2,
                None => break None,
            }
        };
        known.insert(at, end);
        end
    }
}

/// Whether the block at `block` has the key `key`: its UTF-16 form and terminator follow the
/// block's header in the file (YARA's `fits_in_pe` and `strcmp_w`).
fn has_key(data: &[u8], block: usize, key: &str) -> bool {
    let wide = key.bytes().chain([0]).flat_map(|b| [b, 0]);
    let length = 2 * (key.len() + 1);
    block
        .checked_add(VERSION_INFO_SIZE)
        .and_then(|start| data.get(start..start.checked_add(length)?))
        .is_some_and(|bytes| bytes.iter().copied().eq(wide))
}

/// `at` moved on by `by` rounded up to 4 bytes (YARA's `ADD_OFFSET`).
fn advance(at: usize, by: usize) -> Option<usize> {
    at.checked_add(by.checked_add(3)? & !3)
}

/// The UTF-16 string at `at` narrowed as YARA's `strlcpy_w` does: the low byte of each
/// character, up to the first that is 0, at most `max` bytes.
fn narrow(data: &[u8], at: usize, max: usize) -> Vec<u8> {
    data.get(at..)
        .unwrap_or_default()
        .iter()
        .step_by(2)
        .take(max)
        .take_while(|&&b| b != 0)
        .copied()
        .collect()
}

/// The little-endian `u16` at `at`, an offset of the version-information parser.
fn word(data: &[u8], at: usize) -> Option<u16> {
    u16_at(data, at as u64)
}

/// `pe.locale(id)`.
fn locale(call: &CallArgs<'_>) -> Option<Returned> {
    has_language(call, 0xffff)
}

/// `pe.language(id)`.
fn language(call: &CallArgs<'_>) -> Option<Returned> {
    has_language(call, 0xff)
}

/// Whether some resource's language id, masked with `mask`, is the argument; a resource
/// without an id counts as YARA's undefined value.
fn has_language(call: &CallArgs<'_>, mask: u64) -> Option<Returned> {
    let count = call.module.member("number_of_resources").int()?;
    let wanted = call.int(0) as u64;
    let resources = call.module.member("resources");
    // YARA counts in a C `int`.
    let count = i64::from(count as i32);
    let found = (0..count).any(|i| {
        let language = resources
            .item(i)
            .member("language")
            .int()
            .unwrap_or(UNDEFINED);
        ((language as u64) & mask) == wanted
    });
    Some(Returned::Int(i64::from(found)))
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

    /// A PE32 image: NT headers at 0x80, one section whose raw data `section` lies at file
    /// offset 0x200 and is mapped at 0x1000, and data directory `entry` set to `directory`.
    fn image(section: &[u8], entry: usize, directory: (u32, u32)) -> Vec<u8> {
        const NT: usize = 0x80;
        let mut image = vec![0u8; 0x200];
        put(&mut image, 0, b"MZ");
        put32(&mut image, 0x3c, NT as u32);
        put(&mut image, NT, b"PE\0\0");
        let file = NT + 4;
        put16(&mut image, file, 0x14c);
        put16(&mut image, file + 2, 1);
        put32(&mut image, file + 4, 0x5000_0000);
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
        put32(&mut image, optional + 96 + 8 * entry, directory.0);
        put32(&mut image, optional + 100 + 8 * entry, directory.1);
        let header = optional + 0xe0;
        put(&mut image, header, b".rsrc\0\0\0");
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

    /// The UTF-16LE form of `text`, with a terminator when `terminated`.
    fn utf16(text: &str, terminated: bool) -> Vec<u8> {
        let mut units: Vec<u16> = text.encode_utf16().collect();
        if terminated {
            units.push(0);
        }
        units.into_iter().flat_map(u16::to_le_bytes).collect()
    }

    fn align4(out: &mut Vec<u8>) {
        out.resize(out.len().next_multiple_of(4), 0);
    }

    /// A version-information block: its header, key, value and children, each aligned to 4.
    fn block(
        key: &str,
        value_length: u16,
        kind: u16,
        value: &[u8],
        children: &[Vec<u8>],
    ) -> Vec<u8> {
        let mut out = vec![0u8; VERSION_INFO_SIZE];
        out.extend(utf16(key, true));
        align4(&mut out);
        out.extend_from_slice(value);
        for child in children {
            align4(&mut out);
            out.extend_from_slice(child);
        }
        let length = u16::try_from(out.len()).expect("a short block");
        put16(&mut out, 0, length);
        put16(&mut out, 2, value_length);
        put16(&mut out, 4, kind);
        out
    }

    /// A string block whose value is `value` (its value length in characters, terminator
    /// included, unless `value_length` says otherwise).
    fn string(key: &str, value: &str, value_length: Option<u16>) -> Vec<u8> {
        let wide = utf16(value, true);
        let length = value_length.unwrap_or((wide.len() / 2) as u16);
        block(key, length, 1, &wide, &[])
    }

    fn long_key() -> String {
        "K".repeat(70)
    }

    /// A `VS_VERSIONINFO` tree with a `VarFileInfo` and a `StringFileInfo` of six strings.
    fn version_info() -> Vec<u8> {
        let strings = [
            string("CompanyName", "Example Corp", None),
            string("FileDescription", "Demo\u{141}\u{e9}", None),
            string("Comments", "ignored", Some(0)),
            string("LegalCopyright", &"x".repeat(300), None),
            string(&long_key(), "long key", None),
            string("CompanyName", "Second", None),
        ];
        let table = block("040904b0", 0, 1, &[], &strings);
        let string_file_info = block("StringFileInfo", 0, 1, &[], &[table]);
        let translation = block("Translation", 4, 0, &[0x09, 0x04, 0xb0, 0x04], &[]);
        let var_file_info = block("VarFileInfo", 0, 1, &[], &[translation]);
        let mut fixed = vec![0u8; 52];
        put32(&mut fixed, 0, 0xfeef_04bd);
        block(
            "VS_VERSION_INFO",
            52,
            0,
            &fixed,
            &[var_file_info, string_file_info],
        )
    }

    /// The resource section (mapped at 0x1000): a named type with a named language, an
    /// icon whose data entry sits at the name level, and a version resource.
    fn resource_section() -> Vec<u8> {
        let mut s = vec![0u8; 0x200];
        // Root: time stamp, version 4.1, one named and two id entries.
        put32(&mut s, 0x04, 0x1234_5678);
        put16(&mut s, 0x08, 4);
        put16(&mut s, 0x0a, 1);
        put16(&mut s, 0x0c, 1);
        put16(&mut s, 0x0e, 2);
        put32(&mut s, 0x10, HIGH_BIT | 0x100);
        put32(&mut s, 0x14, HIGH_BIT | 0x30);
        put32(&mut s, 0x18, 3);
        put32(&mut s, 0x1c, HIGH_BIT | 0xa0);
        put32(&mut s, 0x20, 16);
        put32(&mut s, 0x24, HIGH_BIT | 0x60);
        // Type "MYTYPE": name 1, then a language named "NEUTRAL".
        put16(&mut s, 0x30 + 14, 1);
        put32(&mut s, 0x40, 1);
        put32(&mut s, 0x44, HIGH_BIT | 0x48);
        put16(&mut s, 0x48 + 12, 1);
        put32(&mut s, 0x58, HIGH_BIT | 0x110);
        put32(&mut s, 0x5c, 0xc0);
        // Type 16: name 1, language 0x419.
        put16(&mut s, 0x60 + 14, 1);
        put32(&mut s, 0x70, 1);
        put32(&mut s, 0x74, HIGH_BIT | 0x78);
        put16(&mut s, 0x78 + 14, 1);
        put32(&mut s, 0x88, 0x419);
        put32(&mut s, 0x8c, 0xd0);
        // Type 3: name 7, whose offset is a data entry already.
        put16(&mut s, 0xa0 + 14, 1);
        put32(&mut s, 0xb0, 7);
        put32(&mut s, 0xb4, 0xc0);
        // Data entries.
        let version = version_info();
        put32(&mut s, 0xc0, 0x1140);
        put32(&mut s, 0xc4, 4);
        put32(&mut s, 0xd0, 0x1200);
        put32(&mut s, 0xd4, version.len() as u32);
        // Name strings.
        put16(&mut s, 0x100, 6);
        put(&mut s, 0x102, &utf16("MYTYPE", false));
        put16(&mut s, 0x110, 7);
        put(&mut s, 0x112, &utf16("NEUTRAL", false));
        put(&mut s, 0x140, b"abcd");
        put(&mut s, 0x200, &version);
        s
    }

    fn resource_image() -> Vec<u8> {
        let section = resource_section();
        image(&section, RESOURCE_DIRECTORY, (0x1000, section.len() as u32))
    }

    /// The module's values for `data` (headers and this part).
    fn load(data: &[u8]) -> Option<Object> {
        let headers = Headers::find(data)?;
        let mut pe = Object::structure();
        headers.describe(data, data.len() as u64, &mut pe);
        describe(&headers, data, data.len() as u64, &mut pe);
        Some(pe)
    }

    /// Calls function `name` of this part with `args`.
    fn call(pe: &Object, data: &[u8], name: &str, args: &[ArgValue<'_>]) -> Option<Returned> {
        let Some(Member {
            kind: Kind::Function(overloads),
            ..
        }) = MEMBERS.iter().find(|m| m.name == name)
        else {
            panic!("no function {name}");
        };
        let overload = overloads
            .iter()
            .find(|o| o.args.len() == args.len())
            .expect("an overload");
        let read = |s: u64, e: u64| data.get(s as usize..e as usize).map(<[u8]>::to_vec);
        let input = Input {
            size: data.len() as u64,
            read: &read,
            whole: None,
        };
        (overload.call)(&CallArgs {
            module: pe,
            owner: pe,
            input: &input,
            args,
        })
    }

    #[test]
    fn resources_are_listed_as_yara_lists_them() {
        let data = resource_image();
        let pe = load(&data).expect("a PE");
        assert_eq!(pe.member("resource_timestamp").int(), Some(0x1234_5678));
        assert_eq!(pe.member("resource_version").member("major").int(), Some(4));
        assert_eq!(pe.member("resource_version").member("minor").int(), Some(1));
        assert_eq!(pe.member("number_of_resources").int(), Some(3));
        let resources = pe.member("resources");
        assert_eq!(resources.len(), 3);

        let named = resources.item(0);
        assert_eq!(named.member("rva").int(), Some(0x1140));
        assert_eq!(named.member("offset").int(), Some(0x340));
        assert_eq!(named.member("length").int(), Some(4));
        assert_eq!(
            named.member("type_string").text(),
            Some(&utf16("MYTYPE", false)[..])
        );
        assert_eq!(named.member("type").int(), None);
        assert_eq!(named.member("id").int(), Some(1));
        assert_eq!(named.member("name_string").text(), None);
        assert_eq!(
            named.member("language_string").text(),
            Some(&utf16("NEUTRAL", false)[..])
        );
        assert_eq!(named.member("language").int(), None);

        // A data entry at the name level: the language is the raw name last met there.
        let icon = resources.item(1);
        assert_eq!(icon.member("type").int(), Some(3));
        assert_eq!(icon.member("id").int(), Some(7));
        assert_eq!(
            icon.member("language").int(),
            Some(i64::from((HIGH_BIT | 0x110) as i32))
        );
        assert_eq!(icon.member("offset").int(), Some(0x340));

        let version = resources.item(2);
        assert_eq!(version.member("type").int(), Some(16));
        assert_eq!(version.member("id").int(), Some(1));
        assert_eq!(version.member("language").int(), Some(0x419));
        assert_eq!(version.member("rva").int(), Some(0x1200));
        assert_eq!(version.member("offset").int(), Some(0x400));
        assert_eq!(
            version.member("length").int(),
            Some(version_info().len() as i64)
        );
    }

    #[test]
    fn version_information_is_narrowed_and_listed() {
        let data = resource_image();
        let pe = load(&data).expect("a PE");
        let long_value = "x".repeat(255);
        let key = long_key();
        let long_key = &key[..63];
        let expected: [(&[u8], &[u8]); 6] = [
            (b"CompanyName", b"Example Corp"),
            (b"FileDescription", b"DemoA\xe9"),
            (b"Comments", b""),
            (b"LegalCopyright", long_value.as_bytes()),
            (long_key.as_bytes(), b"long key"),
            (b"CompanyName", b"Second"),
        ];
        assert_eq!(pe.member("number_of_version_infos").int(), Some(6));
        let list = pe.member("version_info_list");
        assert_eq!(list.len(), 6);
        for (i, (key, value)) in expected.iter().enumerate() {
            let item = list.item(i as i64);
            assert_eq!(item.member("key").text(), Some(*key), "key {i}");
            assert_eq!(item.member("value").text(), Some(*value), "value {i}");
        }
        let dict = pe.member("version_info");
        assert_eq!(dict.len(), 5);
        assert_eq!(dict.entry(b"CompanyName").text(), Some(&b"Second"[..]));
        assert_eq!(dict.entry(b"Comments").text(), Some(&b""[..]));
        assert_eq!(
            dict.entry(long_key.as_bytes()).text(),
            Some(&b"long key"[..])
        );
        let Object::Dict(items) = dict else {
            panic!("a dictionary");
        };
        assert_eq!(items[0].0, b"CompanyName");
        assert_eq!(items[1].0, b"FileDescription");
    }

    #[test]
    fn locale_and_language_mask_the_language_ids() {
        let data = resource_image();
        let pe = load(&data).expect("a PE");
        let ask = |name: &str, id: i64| call(&pe, &data, name, &[ArgValue::Int(id)]);
        let yes = Some(Returned::Int(1));
        let no = Some(Returned::Int(0));
        assert_eq!(ask("locale", 0x419), yes);
        assert_eq!(ask("locale", 0x409), no);
        assert_eq!(ask("language", 0x19), yes);
        assert_eq!(ask("language", 0x09), no);
        // The stale raw name 0x80000110 of the icon.
        assert_eq!(ask("locale", 0x110), yes);
        assert_eq!(ask("language", 0x10), yes);
        // The named language reads as YARA's undefined value.
        assert_eq!(ask("locale", 0xdaff), yes);
        assert_eq!(ask("language", 0xff), yes);
        // Not a PE: undefined.
        let plain = Object::structure();
        assert_eq!(call(&plain, &data, "locale", &[ArgValue::Int(0x419)]), None);
    }

    #[test]
    fn without_resources_only_the_counts_are_set() {
        let data = image(&[0u8; 0x40], RESOURCE_DIRECTORY, (0, 0));
        let pe = load(&data).expect("a PE");
        assert_eq!(pe.member("number_of_resources").int(), Some(0));
        assert_eq!(pe.member("number_of_version_infos").int(), Some(0));
        assert_eq!(pe.member("resource_timestamp").int(), None);
        assert_eq!(pe.member("resource_version").member("major").int(), None);
        assert!(pe.member("resources").is_empty());
        assert!(pe.member("version_info").is_empty());
        let no = Some(Returned::Int(0));
        assert_eq!(call(&pe, &data, "locale", &[ArgValue::Int(0)]), no);
        assert_eq!(call(&pe, &data, "language", &[ArgValue::Int(0xff)]), no);
    }

    #[test]
    fn odd_directories_are_skipped_or_end_the_walk() {
        // Characteristics not 0: the root is skipped, its header still read.
        let mut section = resource_section();
        put32(&mut section, 0, 1);
        let data = image(&section, RESOURCE_DIRECTORY, (0x1000, 0x400));
        let pe = load(&data).expect("a PE");
        assert_eq!(pe.member("resource_timestamp").int(), Some(0x1234_5678));
        assert_eq!(pe.member("number_of_resources").int(), Some(0));
        // A subdirectory past the end of the file ends the walk after the first resource.
        let mut section = resource_section();
        put32(&mut section, 0x1c, HIGH_BIT | 0x7fff_0000);
        let data = image(&section, RESOURCE_DIRECTORY, (0x1000, 0x400));
        let pe = load(&data).expect("a PE");
        assert_eq!(pe.member("number_of_resources").int(), Some(1));
        assert_eq!(pe.member("number_of_version_infos").int(), Some(0));
    }

    #[test]
    fn wide_ends_are_found_from_any_offset() {
        let data = b"a\0b\0\0\0c\0\0\0\0";
        let mut ends = WideEnds::default();
        assert_eq!(ends.find(data, 2), Some(4));
        assert_eq!(ends.find(data, 0), Some(4));
        assert_eq!(ends.find(data, 4), Some(4));
        assert_eq!(ends.find(data, 6), Some(8));
        assert_eq!(ends.find(data, 5), Some(7));
        assert_eq!(ends.find(data, 1), Some(3));
        assert_eq!(ends.find(data, 9), Some(9));
        assert_eq!(ends.find(data, 10), None);
        assert_eq!(ends.find(data, 11), None);
        assert_eq!(ends.find(data, 12), None);
        let mut ends = WideEnds::default();
        assert_eq!(ends.find(b"ab\0", 0), None);
        assert_eq!(ends.find(b"ab\0", 1), None);
        // A scan that reaches a range known to have no terminator.
        let mut ends = WideEnds::default();
        assert_eq!(ends.find(b"abcdef", 4), None);
        assert_eq!(ends.find(b"abcdef", 0), None);
        assert_eq!(ends.find(b"abcdef", 2), None);
    }

    #[test]
    fn truncated_and_damaged_images_never_panic() {
        let data = resource_image();
        for len in 0..data.len() {
            let cut = &data[..len];
            if let Some(pe) = load(cut) {
                let _ = call(&pe, cut, "locale", &[ArgValue::Int(0x419)]);
            }
        }
        for at in 0x200..data.len() {
            for value in [0x00, 0x80, 0xff] {
                let mut damaged = data.clone();
                if let Some(byte) = damaged.get_mut(at) {
                    *byte = value;
                }
                if let Some(pe) = load(&damaged) {
                    let _ = call(&pe, &damaged, "language", &[ArgValue::Int(0xff)]);
                }
            }
        }
    }
}
