#!/usr/bin/env python3
"""Writes the PE files of the module differential test (tests/yara/pe/fixtures/).

Small PE32 and PE32+ images built field by field, each exercising one rule of YARA's `pe`
module: sections and their names (also long names through the COFF string table), data
directories (also fewer than 16), the overlay, the entry point inside a section, before
every section, in virtual-only space, and with a file alignment below 0x200; a section
table cut by the end of the file; a broken NT signature. Then Authenticode signatures made
with test certificates (openssl) and osslsigncode: one signer, a nested (dual) signature,
and certificates named like the entries of public certificate blocklists.

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
          lfanew=0x80, truncate=None, timestamp=0x5F000000, linker=(14, 29)):
    """A PE image: DOS header and stub, NT headers, section table, section data, overlay."""
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
        sign(dll, os.path.join(work, "first.dll"), *certs["google"])
        sign(os.path.join(work, "first.dll"), os.path.join(OUT, "signed_dual.dll"),
             *certs["and_llc"], nest=True)
    print(f"{len(os.listdir(OUT))} files in {OUT}")


if __name__ == "__main__":
    main()
