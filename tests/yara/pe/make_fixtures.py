#!/usr/bin/env python3
"""Writes the PE files of the module differential test (tests/yara/pe/fixtures/).

Small PE32 and PE32+ images built field by field, each exercising one rule of YARA's `pe`
module: sections and their names (also long names through the COFF string table), data
directories (also fewer than 16), the overlay, the entry point inside a section, before
every section, in virtual-only space, and with a file alignment below 0x200; a section
table cut by the end of the file; a broken NT signature. Then images laid out as link.exe,
rc.exe and cvtres.exe lay them out, with a rich header: imports by name and by ordinal
(PE32 and PE32+), delay imports, exports (named, by ordinal only, a forwarder), resources
(a version with its strings, a manifest, names that are strings, two languages), CodeView
RSDS and NB10 debug entries, a correct checksum; and a malformed variant each of the
imports, the exports and the resources. Then Authenticode signatures made with test
certificates (openssl) and osslsigncode: one signer, a nested (dual) signature, certificates
named like the entries of public certificate blocklists, an image with imports.

The outputs are committed, so the tests need neither openssl nor osslsigncode; run this
again (with both installed) only to change the fixtures:

    python3 tests/yara/pe/make_fixtures.py
"""
import os
import shutil
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

I386, AMD64 = 0x14C, 0x8664
EXECUTABLE, DLL, LARGE_ADDRESS_AWARE = 0x0002, 0x2000, 0x0020
CODE, INITIALIZED, UNINITIALIZED = 0x20, 0x40, 0x80
MEM_EXECUTE, MEM_READ, MEM_WRITE = 0x20000000, 0x40000000, 0x80000000


def align(n, a):
    return (n + a - 1) // a * a if a else n


class Section:
    def __init__(self, name, va, vsize, data, flags, raw_offset=None, raw_size=None):
        self.name, self.va, self.vsize, self.data = name, va, vsize, data
        self.flags, self.raw_offset, self.raw_size = flags, raw_offset, raw_size


def build(machine=I386, wide=False, sections=(), entry=0x1000, file_alignment=0x200,
          characteristics=EXECUTABLE, subsystem=3, directories=16, dirs=None,
          declared_sections=None, overlay=b"", string_table=None, signature=b"PE\0\0",
          lfanew=0x80, truncate=None, timestamp=0x5F000000, linker=(14, 29), dos=None,
          checksum=False):
    """A PE image: DOS header and stub, NT headers, section table, section data, overlay.

    `dos`: the bytes before the NT headers (e_lfanew is their length), else a bare DOS header.
    `checksum`: write the checksum as CheckSumMappedFile computes it."""
    if dos is not None:
        lfanew = len(dos)
    optional_size = (112 if wide else 96) + 8 * directories
    headers_end = lfanew + 24 + optional_size + 40 * len(sections)
    size_of_headers = align(headers_end, file_alignment or 1)
    # Lay out raw data.
    offset = size_of_headers
    for s in sections:
        if s.raw_offset is None:
            s.raw_offset = offset if s.data else 0
        if s.raw_size is None:
            s.raw_size = align(len(s.data), file_alignment or 1)
        offset = max(offset, s.raw_offset + s.raw_size)
    symbols_at = 0
    symbol_count = 0
    tail = b""
    if string_table is not None:
        symbols_at = offset
        symbol_count = 1
        table = b"".join(n + b"\0" for n in string_table)
        tail = b"\0" * 18 + struct.pack("<I", 4 + len(table)) + table
    size_of_image = align(max([s.va + max(s.vsize, 1) for s in sections] + [0x1000]), 0x1000)
    if dos is None:
        dos = bytearray(lfanew)
        dos[0:2] = b"MZ"
        struct.pack_into("<I", dos, 0x3C, lfanew)
        stub = b"This program cannot be run in DOS mode.\r\r\n$"
        dos[0x40:0x40 + len(stub)] = stub
    count = len(sections) if declared_sections is None else declared_sections
    file_header = struct.pack("<HHIIIHH", machine, count, timestamp, symbols_at,
                              symbol_count, optional_size, characteristics)
    code_size = sum(s.raw_size for s in sections if s.flags & CODE)
    data_size = sum(s.raw_size for s in sections if s.flags & INITIALIZED)
    if wide:
        optional = struct.pack("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII", 0x20B, linker[0], linker[1],
                               code_size, data_size, 0, entry, 0x1000, 0x140000000, 0x1000,
                               file_alignment, 6, 0, 1, 2, 6, 0, 0, size_of_image,
                               size_of_headers, 0, subsystem, 0x8160, 0x100000, 0x1000,
                               0x100000, 0x1000, 0, directories)
    else:
        optional = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", 0x10B, linker[0], linker[1],
                               code_size, data_size, 0, entry, 0x1000, 0x2000, 0x400000,
                               0x1000, file_alignment, 5, 1, 0, 0, 5, 1, 0, size_of_image,
                               size_of_headers, 0, subsystem, 0x8140, 0x100000, 0x1000,
                               0x100000, 0x1000, 0, directories)
    table = dict(dirs or {})
    optional += b"".join(struct.pack("<II", *table.get(i, (0, 0))) for i in range(directories))
    section_table = b"".join(
        struct.pack("<8sIIIIIIHHI", s.name, s.vsize, s.va, s.raw_size, s.raw_offset, 0, 0, 0,
                    0, s.flags) for s in sections)
    image = bytearray(bytes(dos) + signature + file_header + optional + section_table)
    image += b"\0" * (size_of_headers - len(image))
    for s in sections:
        if s.data:
            end = s.raw_offset + s.raw_size
            if len(image) < end:
                image += b"\0" * (end - len(image))
            image[s.raw_offset:s.raw_offset + len(s.data)] = s.data
    image += tail + overlay
    if checksum:
        struct.pack_into("<I", image, lfanew + 88, pe_checksum(image, lfanew + 88))
    if truncate is not None:
        image = image[:truncate]
    return bytes(image)


def code(seed, n=0x180):
    prologue = bytes([0x55, 0x8B, 0xEC, 0x83, 0xEC, 0x10, 0x53, 0x56, 0x57])
    body = bytes((seed * 7 + i * 13) % 251 for i in range(n - len(prologue)))
    return prologue + body


def standard_sections(seed=1):
    return [
        Section(b".text", 0x1000, 0x180, code(seed), CODE | MEM_EXECUTE | MEM_READ),
        Section(b".rdata", 0x2000, 0x90, b"GetProcAddress\0LoadLibraryA\0" * 4,
                INITIALIZED | MEM_READ),
        Section(b".data", 0x3000, 0x400, b"\x01\x02\x03\x04" * 16,
                INITIALIZED | MEM_READ | MEM_WRITE),
    ]


# Structures as Windows tools write them: link.exe (DOS stub, rich header, import, delay-import,
# export and debug directories, base relocations, checksum), rc.exe and cvtres.exe (resources).

MS_DOS_STUB = (bytes.fromhex("0e1fba0e00b409cd21b8014ccd21")
               + b"This program cannot be run in DOS mode.\r\r\n$").ljust(0x40, b"\0")
# Rich header product ids of Visual Studio 2015 and later, and the build of 2019 16.11.
IMPORT0, CVTRES, EXPORT, IMPLIB, LINKER, MASM, UTC_C, UTC_CPP = (
    0x0001, 0x00FF, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105)
VS2019 = 30154
IMAGE_BASE32, IMAGE_BASE64 = 0x400000, 0x140000000
# The raw data of every section of these images: from 0x400 on, .text first (0x200 bytes).
HEADERS_SIZE, RDATA_RAW = 0x400, 0x600


def rol32(value, n):
    n %= 32
    return (value << n | value >> (32 - n)) & 0xFFFFFFFF


def msvc_dos_header(tools):
    """link.exe's DOS header and stub, then the rich header of (product id, build, count) tools:
    "DanS", three zeros, the (build | product id << 16, count) pairs, all xored with the key,
    then "Rich" and the key. link.exe's key: the offset of "DanS", plus each byte of the DOS
    header and stub but e_lfanew rotated left by its offset, plus each tool's id rotated left
    by its count. e_lfanew points right after the key."""
    head = struct.pack("<2s12H", b"MZ", 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40)
    prefix = head.ljust(0x40, b"\0") + MS_DOS_STUB
    key = len(prefix)
    for i, byte in enumerate(prefix):
        if not 0x3C <= i < 0x40:
            key = (key + rol32(byte, i)) & 0xFFFFFFFF
    for product, build_number, count in tools:
        key = (key + rol32(product << 16 | build_number, count)) & 0xFFFFFFFF
    words = [0x536E6144, 0, 0, 0] + [w for p, b, c in tools for w in (p << 16 | b, c)]
    dos = bytearray(prefix + b"".join(struct.pack("<I", w ^ key) for w in words) + b"Rich"
                    + struct.pack("<I", key))
    struct.pack_into("<I", dos, 0x3C, len(dos))
    return bytes(dos)


def msvc_tools(functions, dll=False):
    return ([(UTC_C, VS2019, 12), (MASM, VS2019, 3), (IMPLIB, VS2019, 5)]
            + ([(IMPORT0, 0, functions)] if functions else []) + [(UTC_CPP, VS2019, 21)]
            + ([(EXPORT, VS2019, 1)] if dll else []) + [(CVTRES, VS2019, 1), (LINKER, VS2019, 1)])


def pe_checksum(image, field):
    """CheckSumMappedFile: the 16-bit one's complement sum of the file (the checksum field read
    as zero, an odd last byte padded with a zero) plus the length of the file."""
    data = bytes(image[:field]) + b"\0" * 4 + bytes(image[field + 4:])
    data += b"\0" * (len(data) % 2)
    total = 0
    for (word,) in struct.iter_unpack("<H", data):
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    return total + len(image)


class Blob:
    """The contents of a section at virtual address `rva`, built front to back."""

    def __init__(self, rva):
        self.rva, self.data = rva, bytearray()

    def put(self, data, alignment=1):
        self.data += b"\0" * (align(len(self.data), alignment) - len(self.data))
        at = self.rva + len(self.data)
        self.data += data
        return at

    def patch(self, rva, data):
        self.data[rva - self.rva:rva - self.rva + len(data)] = data

    def end(self):
        return self.rva + len(self.data)


class Thunk:
    """An import lookup table entry of this raw value."""

    def __init__(self, value):
        self.value = value


class Imports:
    """An import directory as link.exe lays it out in .rdata: the import address tables of all
    DLLs at the start (`reserve`), later (`write`) the descriptors, the import lookup tables,
    the hint/name table and the DLL names. `dlls`: (name, functions), a function (hint, name)
    by name, an int by ordinal, or a Thunk. The address tables hold what the lookup tables
    hold, as in an image not bound."""

    def __init__(self, dlls, wide):
        self.dlls, self.wide = dlls, wide
        self.pointer = 8 if wide else 4

    def reserve(self, blob):
        size = sum(len(functions) + 1 for _, functions in self.dlls) * self.pointer
        self.iat = blob.put(b"\0" * size, self.pointer)
        return self.iat, size

    def write(self, blob, name_rvas=None):
        """The import directory; `name_rvas`: {index of a DLL: the RVA of its name instead}."""
        fmt, flag = ("<Q", 1 << 63) if self.wide else ("<I", 1 << 31)
        descriptors = blob.put(b"\0" * 20 * (len(self.dlls) + 1), 4)
        lookups = [blob.put(b"\0" * self.pointer * (len(functions) + 1), self.pointer)
                   for _, functions in self.dlls]
        values = [[flag | f if isinstance(f, int) else f.value if isinstance(f, Thunk)
                   else blob.put(struct.pack("<H", f[0]) + f[1] + b"\0", 2) for f in functions]
                  for _, functions in self.dlls]
        names = [blob.put(name + b"\0", 2) for name, _ in self.dlls]
        iat = self.iat
        for i, lookup in enumerate(lookups):
            table = b"".join(struct.pack(fmt, v) for v in values[i] + [0])
            blob.patch(lookup, table)
            blob.patch(iat, table)
            name = (name_rvas or {}).get(i, names[i])
            blob.patch(descriptors + 20 * i, struct.pack("<5I", lookup, 0, 0, name, iat))
            iat += len(table)
        return descriptors, 20 * (len(self.dlls) + 1)


def delay_imports(rdata, data, thunks, dll, functions, wide):
    """A delay-import descriptor as link.exe writes it (attribute 1: RVAs, not VAs): the
    descriptor, the name table and its hint/names and the DLL name in .rdata; the module handle
    and the address table, which holds the VAs of the load thunks (`thunks`), in .data."""
    fmt, size = ("<Q", 8) if wide else ("<I", 4)
    handle = data.put(b"\0" * size, size)
    iat = data.put(b"".join(struct.pack(fmt, t) for t in thunks + [0]), size)
    descriptor = rdata.put(b"\0" * 64, 4)
    names = rdata.put(b"\0" * size * (len(functions) + 1), size)
    hint_names = [rdata.put(b"\0\0" + name + b"\0", 2) for name in functions]
    rdata.patch(names, b"".join(struct.pack(fmt, r) for r in hint_names + [0]))
    dll_name = rdata.put(dll + b"\0", 2)
    rdata.patch(descriptor, struct.pack("<8I", 1, dll_name, handle, iat, names, 0, 0, 0))
    return descriptor, 64


def exports(blob, dll_name, base, functions, timestamp, table_last=False):
    """An export directory as link.exe writes it: the directory, the export address table, the
    name pointer table (sorted), the ordinal table, the DLL name, the names, the forwarder
    strings; `table_last` moves the address table after them. `functions`: from ordinal `base`
    on, (name or None, RVA or forwarder string). Returns the directory and the table's RVA."""
    named = sorted((name, i) for i, (name, _) in enumerate(functions) if name)
    start = blob.put(b"\0" * 40, 4)
    if not table_last:
        table = blob.put(b"\0" * 4 * len(functions), 4)
    pointers = blob.put(b"\0" * 4 * len(named), 4)
    ordinals = blob.put(b"".join(struct.pack("<H", i) for _, i in named), 2)
    name = blob.put(dll_name + b"\0")
    names = [blob.put(n + b"\0") for n, _ in named]
    targets = [blob.put(t + b"\0") if isinstance(t, bytes) else t for _, t in functions]
    if table_last:
        table = blob.put(b"\0" * 4 * len(functions), 4)
    blob.patch(table, b"".join(struct.pack("<I", t) for t in targets))
    blob.patch(pointers, b"".join(struct.pack("<I", n) for n in names))
    blob.patch(start, struct.pack("<IIHHIIIIIII", 0, timestamp, 0, 0, name, base,
                                  len(functions), len(named), table, pointers, ordinals))
    return (start, blob.end() - start), table


GUID = bytes.fromhex("3f2a9c51d0e14b7a8c96e2d4b1a07f35")


def rsds(path, age=1):
    return b"RSDS" + GUID + struct.pack("<I", age) + path + b"\0"


def nb10(path, timestamp, age=1):
    return b"NB10" + struct.pack("<III", 0, timestamp, age) + path + b"\0"


def debug_directory(blob, entries, timestamp, raw_delta):
    """IMAGE_DEBUG_DIRECTORY entries, then their data, as link.exe writes them in .rdata.
    `entries`: (type, data, offset): the data mapped in `blob` (AddressOfRawData and
    PointerToRawData set, `raw_delta` the file offset of an RVA minus the RVA), or, where
    `offset` is given, unmapped at that file offset (AddressOfRawData 0)."""
    start = blob.put(b"\0" * 28 * len(entries), 4)
    for i, (kind, data, offset) in enumerate(entries):
        rva = 0
        if offset is None:
            rva = blob.put(data, 4)
            offset = rva + raw_delta
        blob.patch(start + 28 * i, struct.pack("<IIHHIIII", 0, timestamp, 0, 0, kind,
                                               len(data), rva, offset))
    return start, 28 * len(entries)


CODEVIEW, MISC, VC_FEATURE = 2, 4, 12


def vc_feature():
    # Counts of "Pre-VC++ 11.00", "C/C++", "/GS", "/sdl", "guardN".
    return struct.pack("<5I", 0, 9, 9, 0, 0)


def misc_exename(name):
    data = name + b"\0"
    data += b"\0" * (-len(data) % 4)
    return struct.pack("<IIB3x", 1, 12 + len(data), 0) + data


def utf16(text):
    return text.encode("utf-16-le")


def vs_node(key, value=b"", value_length=None, text=False, children=()):
    """A node of a VS_VERSIONINFO resource as rc.exe writes it: wLength, wValueLength
    (in words for text), wType, the key, padding to 32 bits, the value, the children (each
    32-bit aligned); wLength leaves out the padding after the last child."""
    out = bytearray(6) + utf16(key + "\0")
    out += b"\0" * (-len(out) % 4)
    out += value
    for child in children:
        out += b"\0" * (-len(out) % 4)
        out += child
    struct.pack_into("<HHH", out, 0, len(out),
                     len(value) if value_length is None else value_length, int(text))
    return bytes(out)


def version_info(strings, version=(1, 2, 3, 4)):
    """VS_VERSIONINFO: VS_FIXEDFILEINFO, a StringFileInfo with the table 040904b0 (U.S.
    English, Unicode) of (key, value) strings, a VarFileInfo with its Translation."""
    ms, ls = version[0] << 16 | version[1], version[2] << 16 | version[3]
    fixed = struct.pack("<13I", 0xFEEF04BD, 0x10000, ms, ls, ms, ls, 0x3F, 0, 0x40004, 1, 0,
                        0, 0)
    table = vs_node("040904b0", text=True, children=[
        vs_node(k, utf16(v + "\0") if v is not None else b"",
                len(v) + 1 if v is not None else 0, text=True) for k, v in strings])
    return vs_node("VS_VERSION_INFO", fixed, children=[
        vs_node("StringFileInfo", text=True, children=[table]),
        vs_node("VarFileInfo", text=True, children=[
            vs_node("Translation", struct.pack("<HH", 0x409, 0x4B0))])])


MANIFEST = b"""<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\r
<assembly xmlns='urn:schemas-microsoft-com:asm.v1' manifestVersion='1.0'>\r
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">\r
    <security>\r
      <requestedPrivileges>\r
        <requestedExecutionLevel level='asInvoker' uiAccess='false' />\r
      </requestedPrivileges>\r
    </security>\r
  </trustInfo>\r
</assembly>\r
"""


def resource_section(rva, tree, broken=None):
    """A resource section as cvtres.exe lays it out: the directory tables breadth first (types,
    names, languages), the directory strings, the data entries, the data (each 8-aligned).
    `tree`: {type: {name: {language: data}}}, a type or name an int id or a str name; in each
    table the named entries first (by name), then the ids (ascending). `broken`: the (type,
    name, language) whose directory entry points past the end of the file instead."""
    def ordered(table):
        return (sorted((k for k in table if isinstance(k, str)), key=str.upper)
                + sorted(k for k in table if isinstance(k, int)))

    types = ordered(tree)
    names = [(t, n) for t in types for n in ordered(tree[t])]
    leaves = [(t, n, lang) for t, n in names for lang in ordered(tree[t][n])]
    offset = 16 + 8 * len(types)
    tables = {}
    for t in types:
        tables[(t,)] = offset
        offset += 16 + 8 * len(tree[t])
    for t, n in names:
        tables[(t, n)] = offset
        offset += 16 + 8 * len(tree[t][n])
    strings = {}
    for key in [t for t in types] + [n for _, n in names]:
        if isinstance(key, str) and key not in strings:
            strings[key] = offset
            offset += 2 + 2 * len(key)
    offset = align(offset, 4)
    entries = {}
    for leaf in leaves:
        entries[leaf] = offset
        offset += 16
    data = {}
    for t, n, lang in leaves:
        offset = align(offset, 8)
        data[(t, n, lang)] = offset
        offset += len(tree[t][n][lang])
    out = bytearray(offset)

    def table(at, keys, targets):
        named = sum(isinstance(k, str) for k in keys)
        struct.pack_into("<IIHHHH", out, at, 0, 0, 0, 0, named, len(keys) - named)
        for i, (k, target) in enumerate(zip(keys, targets)):
            name = 0x80000000 | strings[k] if isinstance(k, str) else k
            struct.pack_into("<II", out, at + 16 + 8 * i, name, target)

    table(0, types, [0x80000000 | tables[(t,)] for t in types])
    for t in types:
        table(tables[(t,)], ordered(tree[t]),
              [0x80000000 | tables[(t, n)] for n in ordered(tree[t])])
    for t, n in names:
        langs = ordered(tree[t][n])
        table(tables[(t, n)], langs,
              [0x7FFF0000 if (t, n, lang) == broken else entries[(t, n, lang)] for lang in langs])
    for key, at in strings.items():
        struct.pack_into("<H", out, at, len(key))
        out[at + 2:at + 2 + 2 * len(key)] = utf16(key)
    for leaf, at in entries.items():
        t, n, lang = leaf
        struct.pack_into("<IIII", out, at, rva + data[leaf], len(tree[t][n][lang]), 0, 0)
        out[data[leaf]:data[leaf] + len(tree[t][n][lang])] = tree[t][n][lang]
    return bytes(out)


def msvc_sections(*parts):
    """Sections of (name, contents, flags) at 0x1000, 0x2000... with their raw data from
    HEADERS_SIZE on, each padded to 0x200."""
    sections, raw = [], HEADERS_SIZE
    for i, (name, contents, flags) in enumerate(parts):
        sections.append(Section(name, 0x1000 * (i + 1), len(contents), bytes(contents), flags,
                                raw_offset=raw))
        raw += align(len(contents), 0x200)
    return sections


TEXT = CODE | MEM_EXECUTE | MEM_READ
RDATA = INITIALIZED | MEM_READ
DATA = INITIALIZED | MEM_READ | MEM_WRITE
TIMESTAMP = 0x5F000000
PDB = b"C:\\build\\Release\\fixture.pdb"


def imported_dlls(lowercase):
    dlls = [(b"KERNEL32.dll", [(0xCB, b"CreateFileA"), (0x15E, b"ExitProcess"),
                               (0x27E, b"GetModuleHandleW"), (0x2B5, b"GetProcAddress"),
                               (0x345, b"HeapAlloc"), (0x3C1, b"LoadLibraryA")]),
            (b"WS2_32.dll", [115, 3, 200]),
            (b"OLEAUT32.dll", [2])]
    return [(name.lower() if lowercase else name, functions) for name, functions in dlls]


def imports_image(wide, seed, delay=False, malformed=False, checksum=False):
    """An executable with imports of three DLLs (by name, by ordinal known to YARA and not),
    a rich header and a CodeView RSDS debug entry. `delay`: also a delay-import directory.
    `malformed`: a DLL name RVA and a hint/name RVA outside every section."""
    dlls = imported_dlls(lowercase=wide)
    if malformed:
        dlls[0][1].insert(2, Thunk(0x7010))
    imports = Imports(dlls, wide)
    rdata, data = Blob(0x2000), Blob(0x3000)
    iat = imports.reserve(rdata)
    rdata.put(b"GetProcAddress failed\0fixture\0", 4)
    debug = debug_directory(rdata, [(CODEVIEW, rsds(PDB), None), (VC_FEATURE, vc_feature(), None)],
                            TIMESTAMP, RDATA_RAW - 0x2000)
    directories = {1: imports.write(rdata, {1: 0x7000} if malformed else None), 6: debug,
                   12: iat}
    base = IMAGE_BASE64 if wide else IMAGE_BASE32
    if delay:
        directories[13] = delay_imports(rdata, data, [base + 0x1100, base + 0x1110],
                                        b"dbghelp.dll", [b"MiniDumpWriteDump", b"SymInitialize"],
                                        wide)
    data.put(b"\x01\x02\x03\x04" * 8, 8)
    count = sum(len(functions) for _, functions in dlls)
    return build(machine=AMD64 if wide else I386, wide=wide, entry=0x1010, dirs=directories,
                 sections=msvc_sections((b".text", code(seed), TEXT),
                                        (b".rdata", rdata.data, RDATA),
                                        (b".data", data.data, DATA)),
                 dos=msvc_dos_header(msvc_tools(count)), checksum=checksum)


def exports_image(seed, malformed=False):
    """A PE32+ DLL exporting by name, by ordinal only and a forwarder, with base relocations, a
    rich header and a CodeView RSDS debug entry. `malformed`: the export address table is
    moved to the end of .rdata, the last section, and the file ends before it."""
    rdata = Blob(0x2000)
    debug = debug_directory(rdata, [(CODEVIEW, rsds(PDB.replace(b".pdb", b"_dll.pdb")), None)],
                            TIMESTAMP, RDATA_RAW - 0x2000)
    export, table = exports(rdata, b"fixture.dll", 1, [
        (b"DllMain", 0x1000), (b"ExportedFunction", 0x1040),
        (b"HeapAlloc", b"NTDLL.RtlAllocateHeap"), (None, 0x1080), (b"PyInit_x", 0x10C0)],
        TIMESTAMP, table_last=malformed)
    parts = [(b".text", code(seed), TEXT), (b".rdata", rdata.data, RDATA)]
    directories = {0: export, 6: debug}
    if not malformed:
        relocations = struct.pack("<IIHH", 0x1000, 12, 0xA000 | 0x010, 0xA000 | 0x020)
        parts.append((b".reloc", relocations, RDATA | 0x02000000))
        directories[5] = (0x3000, len(relocations))
    return build(machine=AMD64, wide=True, entry=0x1000, dirs=directories,
                 characteristics=EXECUTABLE | DLL | LARGE_ADDRESS_AWARE, subsystem=2,
                 sections=msvc_sections(*parts), dos=msvc_dos_header(msvc_tools(0, dll=True)),
                 truncate=RDATA_RAW + table - 0x2000 if malformed else None)


def resources_image(seed, malformed=False):
    """An executable with resources: a version, a manifest, a type named by a string ("MUI")
    and a resource named by a string in two languages (0x407, 0x409); a rich header; an NB10
    CodeView entry (after a MISC one) in the file past the sections, as old linkers left debug
    data unmapped. `malformed`: the resource directory entry of a language points past the
    end of the file."""
    strings = [("CompanyName", "Spec Test Corp"), ("FileDescription", "pe module fixture"),
               ("FileVersion", "1.2.3.4"), ("InternalName", "fixture"),
               ("LegalCopyright", "Copyright (C) 2020 Spec Test Corp"),
               ("OriginalFilename", "fixture.exe"), ("ProductName", "specrt fixtures"),
               ("ProductVersion", "1.2"), ("Comments", None)]
    tree = {"MUI": {1: {0x409: struct.pack("<II", 0xFECDFECD, 0x20).ljust(0x20, b"\0")}},
            10: {"FIXTURE": {0x409: b"Hello, world\0", 0x407: b"Hallo Welt\0"}},
            16: {1: {0x409: version_info(strings)}},
            24: {1: {0x409: MANIFEST}}}
    rsrc = resource_section(0x3000, tree, broken=(10, "FIXTURE", 0x409) if malformed else None)
    rdata = Blob(0x2000)
    overlay_at = RDATA_RAW + 0x200 + align(len(rsrc), 0x200)
    nb10_data = nb10(b"fixture.pdb", TIMESTAMP)
    debug = debug_directory(rdata, [(MISC, misc_exename(b"fixture.exe"), None),
                                    (CODEVIEW, nb10_data, overlay_at)], TIMESTAMP,
                            RDATA_RAW - 0x2000)
    assert len(rdata.data) <= 0x200
    return build(entry=0x1010, dirs={2: (0x3000, len(rsrc)), 6: debug},
                 sections=msvc_sections((b".text", code(seed), TEXT),
                                        (b".rdata", rdata.data, RDATA),
                                        (b".rsrc", rsrc, RDATA)),
                 dos=msvc_dos_header(msvc_tools(0)), overlay=nb10_data)


def images():
    yield "pe32_basic.exe", build(sections=standard_sections(1), entry=0x1010,
                                  dirs={1: (0x2000, 0x28), 12: (0x2040, 0x10)})
    yield "pe64_dll.dll", build(machine=AMD64, wide=True, sections=standard_sections(2)
                                + [Section(b".reloc", 0x4000, 0x20, b"\0" * 0x20,
                                           INITIALIZED | MEM_READ)],
                                entry=0x2008, characteristics=EXECUTABLE | DLL |
                                LARGE_ADDRESS_AWARE, subsystem=2, dirs={0: (0x2000, 0x40)})
    yield "pe32_overlay.exe", build(sections=standard_sections(3), entry=0x1000,
                                    overlay=b"OVERLAY!" * 125)
    yield "pe32_long_names.exe", build(
        sections=[Section(b"/4", 0x1000, 0x180, code(4), CODE | MEM_EXECUTE | MEM_READ),
                  Section(b"/18", 0x2000, 0x40, b"z" * 0x40, INITIALIZED | MEM_READ),
                  Section(b"/99", 0x3000, 0x40, b"y" * 0x40, INITIALIZED | MEM_READ),
                  Section(b"ab\0cd", 0x4000, 0x40, b"x" * 0x40, INITIALIZED | MEM_READ)],
        entry=0x1004, string_table=[b".debug_info", b".zdebug_frame"])
    yield "pe32_truncated_sections.exe", build(sections=standard_sections(5), entry=0x1000,
                                               declared_sections=9)
    yield "pe32_small_alignment.exe", build(
        sections=[Section(b".text", 0x1000, 0x180, code(6), CODE | MEM_EXECUTE | MEM_READ,
                          raw_offset=0x1F4),
                  Section(b".data", 0x2000, 0x40, b"d" * 0x40, INITIALIZED | MEM_READ)],
        entry=0x1020, file_alignment=4)
    yield "pe32_entry_before_sections.exe", build(sections=standard_sections(7), entry=0x100)
    yield "pe32_entry_virtual_only.exe", build(
        sections=standard_sections(8) + [Section(b".bss", 0x4000, 0x2000, b"",
                                                 UNINITIALIZED | MEM_READ | MEM_WRITE,
                                                 raw_offset=0, raw_size=0)],
        entry=0x4100)
    yield "pe64_two_directories.exe", build(machine=AMD64, wide=True,
                                            sections=standard_sections(9), entry=0x1000,
                                            directories=2, dirs={0: (0x2000, 8), 1: (0x2010, 8)})
    yield "pe32_no_sections.exe", build(sections=[], entry=0x90, overlay=b"\x90" * 64)
    yield "pe32_bad_signature.exe", build(sections=standard_sections(10), signature=b"PX\0\0")
    yield "pe32_cut_optional_header.exe", build(sections=standard_sections(11), truncate=0x100)
    yield "pe32_imports.exe", imports_image(wide=False, seed=12, checksum=True)
    yield "pe64_imports.exe", imports_image(wide=True, seed=13, delay=True)
    yield "pe64_exports.dll", exports_image(seed=14)
    yield "pe32_resources.exe", resources_image(seed=15)
    yield "pe32_bad_imports.exe", imports_image(wide=False, seed=16, malformed=True)
    yield "pe64_bad_exports.dll", exports_image(seed=17, malformed=True)
    yield "pe32_bad_resources.exe", resources_image(seed=18, malformed=True)


# Certificates: (file stem, subject, serial, days, key).
CERTIFICATES = [
    ("and_llc", "/C=RU/L=Moscow/O=AND LLC/CN=AND LLC", "77019a082385e4b73f569569c9f87bb8",
     800, "rsa:2048"),
    ("google", "/C=US/ST=California/L=Mountain View/O=Google Inc/CN=*.google.com",
     "05e2e6a4cd09ea54d665b075fe22a256", 500, "rsa:2048"),
    ("negative_serial", "/CN=Negative Serial Test/O=Spec Test\\/Slash\\+Plus",
     "-78187493520", 90, "ec"),
    ("long_name", "/C=DE/ST=Bayern/L=M\u00fcnchen/O=Very Long Organization Name Number One GmbH"
     "/OU=First Organizational Unit Of The Group/OU=Second Organizational Unit Of The Group"
     "/OU=Third Organizational Unit Of The Group/CN=Long Name Signer Past The Limit",
     "0a", 365, "rsa:2048"),
]


def certificate(work, stem, subject, serial, days, key):
    keyfile, certfile = os.path.join(work, stem + ".key"), os.path.join(work, stem + ".pem")
    args = ["openssl", "req", "-x509", "-nodes", "-keyout", keyfile, "-out", certfile,
            "-days", str(days), "-subj", subject, "-sha256", "-utf8"]
    if key == "ec":
        args += ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    else:
        args += ["-newkey", key]
    args += ["-set_serial", serial if serial.startswith("-") else "0x" + serial]
    subprocess.run(args, check=True, capture_output=True)
    return certfile, keyfile


def sign(source, target, cert, key, nest=False):
    args = ["osslsigncode", "sign", "-certs", cert, "-key", key, "-h", "sha256",
            "-in", source, "-out", target]
    if nest:
        args.insert(2, "-nest")
    subprocess.run(args, check=True, capture_output=True)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, data in images():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    with tempfile.TemporaryDirectory() as work:
        certs = {stem: certificate(work, stem, *rest) for stem, *rest in CERTIFICATES}
        basic = os.path.join(OUT, "pe32_basic.exe")
        dll = os.path.join(OUT, "pe64_dll.dll")
        for stem, (cert, key) in certs.items():
            sign(basic, os.path.join(OUT, f"signed_{stem}.exe"), cert, key)
        sign(os.path.join(OUT, "pe32_imports.exe"), os.path.join(OUT, "signed_imports.exe"),
             *certs["and_llc"])
        sign(dll, os.path.join(work, "first.dll"), *certs["google"])
        sign(os.path.join(work, "first.dll"), os.path.join(OUT, "signed_dual.dll"),
             *certs["and_llc"], nest=True)
    print(f"{len(os.listdir(OUT))} files in {OUT}")


if __name__ == "__main__":
    main()
