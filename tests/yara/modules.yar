/*
 Module rules of the differential test: pe, elf, math, hash and time, over the generated corpus,
 the listed binaries and the PE fixtures (tests/yara/pe/fixtures). Digests and statistics are
 compared through conditions on them (a digest's first character, a threshold), so an
 implementation that computes a different value flips rules on some of the files. The exact
 module fields are compared one by one by module_fields.py.
*/

import "pe"
import "elf"
import "math"
import "hash"
import "time"
import "console"

rule hash_md5_head { condition: hash.md5(0, 64) matches /^[0-7]/ }
rule hash_md5_whole { condition: hash.md5(0, filesize) matches /[0-7]$/ }
rule hash_sha1_middle { condition: hash.sha1(filesize \ 2, 100) matches /^[0-9]/ }
rule hash_sha256_past_end { condition: hash.sha256(filesize - 10, 100) matches /^[a-f]/ }
rule hash_offset_at_end { condition: defined hash.md5(filesize, 1) }
rule hash_negative_offset { condition: defined hash.md5(-1, 10) }
rule hash_negative_length { condition: defined hash.sha1(0, -1) }
rule hash_empty_range { condition: hash.md5(0, 0) == "d41d8cd98f00b204e9800998ecf8427e" }
rule hash_texts {
  condition:
    hash.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" and
    hash.sha1("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709" and
    hash.crc32("123456789") == 0xcbf43926 and
    hash.checksum32("abc") == 294 and
    hash.md5("\x00\xff") == "4dba8e6f4b7cd6f9c0a0e8ec5a0b2e26"
}
rule hash_crc_head { condition: hash.crc32(0, 256) & 1 == 1 }
rule hash_checksum_head { condition: hash.checksum32(0, 512) % 3 == 0 }
rule hash_of_section { condition: for any i in (0..pe.number_of_sections - 1): (hash.md5(pe.sections[i].raw_data_offset, pe.sections[i].raw_data_size) matches /^[89ab]/) }

rule math_entropy_high { condition: math.entropy(0, filesize) > 6.5 }
rule math_entropy_head { condition: math.entropy(0, 1024) < 3.0 }
rule math_entropy_text { condition: math.entropy("aabb") == 1.0 and math.entropy("") == 0.0 }
rule math_mean { condition: math.mean(0, filesize) > 80.0 }
rule math_mean_signed_text { condition: math.mean("\xff\x01") == 0.0 }
rule math_deviation { condition: math.deviation(0, filesize, math.MEAN_BYTES) > 70.0 }
rule math_deviation_text { condition: math.deviation("\x80\x00", 0.0) == 64.0 }
rule math_serial_correlation { condition: math.serial_correlation(0, filesize) > 0.2 }
rule math_serial_correlation_text { condition: math.serial_correlation("\x01\x02") == 3.0 }
rule math_monte_carlo_pi { condition: math.monte_carlo_pi(0, filesize) < 0.5 }
rule math_monte_carlo_pi_short { condition: defined math.monte_carlo_pi(0, 5) }
rule math_in_range { condition: math.in_range(math.entropy(0, 4096), 4.0, 6.0) }
rule math_min_max { condition: math.max(uint8(0), uint8(1)) > 0x40 and math.min(-1, 5) == 5 }
rule math_abs { condition: math.abs(-5) == 5 and math.abs(filesize) == filesize }
rule math_count_range { condition: math.count(0, 0, 4096) > 1000 }
rule math_count_whole { condition: math.count(0x41) > 100 }
rule math_percentage_whole { condition: math.percentage(0) > 0.3 }
rule math_percentage_range { condition: math.percentage(0xff, 0, 4096) > 0.05 }
rule math_mode_whole { condition: math.mode() == 0 }
rule math_mode_range { condition: math.mode(64, 512) == 0xff }
rule math_to_number { condition: math.to_number(filesize > 1000) == 1 }
rule math_undefined_past_end { condition: defined math.entropy(filesize, 10) }
rule math_empty_mean { condition: defined math.mean(0, 0) }

rule time_now { condition: time.now() > 1700000000 }

rule pe_entry_prologue { strings: $p = { 55 8B EC } condition: $p at pe.entry_point }
rule pe_section_loop { condition: for any i in (0..pe.number_of_sections - 1): (pe.sections[i].name == ".rdata" and pe.sections[i].raw_data_size > 0) }
rule pe_section_index_name { condition: pe.section_index(".data") == 2 }
rule pe_section_index_offset { condition: pe.section_index(pe.entry_point) == 0 }
rule pe_dll_64 { condition: pe.is_dll() and pe.is_64bit() }
rule pe_32 { condition: pe.is_32bit() }
rule pe_not_pe { condition: pe.is_pe == 0 and not defined pe.machine }
rule pe_rva { condition: pe.rva_to_offset(pe.sections[1].virtual_address) == pe.sections[1].raw_data_offset }
rule pe_rva_undefined { condition: not defined pe.rva_to_offset(0x7fffffff) and pe.is_pe == 1 }
rule pe_overlay_digest { condition: pe.overlay.size > 0 and hash.md5(pe.overlay.offset, pe.overlay.size) matches /^[0-9a-f]{32}$/ }
rule pe_signature_valid { condition: for any i in (0..pe.number_of_signatures): (pe.signatures[i].valid_on(1800000000)) }
rule pe_signature_self_issued { condition: for all i in (0..pe.number_of_signatures - 1): (pe.signatures[i].issuer == pe.signatures[i].subject) }
rule pe_signature_blocklist {
  condition:
    uint16(0) == 0x5A4D and
    for any i in (0..pe.number_of_signatures): (
      pe.signatures[i].subject contains "AND LLC" and
      pe.signatures[i].serial == "77:01:9a:08:23:85:e4:b7:3f:56:95:69:c9:f8:7b:b8" and
      1308182400 <= pe.signatures[i].not_after
    )
}
rule pe_signature_escapes { condition: pe.signatures[0].subject contains "Spec Test\\/Slash\\+Plus" }
rule pe_signature_negative_serial { condition: pe.signatures[0].serial startswith "ed:" }
rule pe_signature_long_name { condition: pe.signatures[0].subject endswith "Group" and pe.signatures[0].subject contains "M\\xC3\\xBCnchen" }
rule pe_constants { condition: pe.machine == pe.MACHINE_I386 and pe.characteristics & pe.EXECUTABLE_IMAGE }
rule pe_directory { condition: pe.data_directories[pe.IMAGE_DIRECTORY_ENTRY_IMPORT].virtual_address == 0x2000 }

rule elf_entry { strings: $e = { f3 0f 1e fa } condition: $e at elf.entry_point }
rule elf_big_text { condition: for any i in (0..elf.number_of_sections): (elf.sections[i].name == ".text" and elf.sections[i].size > 100000) }
rule elf_type { condition: elf.type == elf.ET_DYN and elf.machine == elf.EM_X86_64 }
rule elf_segments { condition: for 2 i in (0..elf.number_of_segments): (elf.segments[i].type == elf.PT_LOAD and elf.segments[i].flags & elf.PF_X) }
rule elf_dynsym { condition: for any i in (0..elf.dynsym_entries): (elf.dynsym[i].name == "malloc") }
rule elf_text_entropy { condition: for any i in (0..elf.number_of_sections): (elf.sections[i].name == ".text" and math.entropy(elf.sections[i].offset, elf.sections[i].size) > 6.0) }

rule console_messages {
  condition:
    console.log("size: ", filesize) and console.hex("first: ", uint8(0)) and
    console.log(hash.md5(0, 4)) and console.log("head: ", uint32(0) & 0x7f7f7f7f) and
    console.log(math.entropy(0, 64)) and console.log("e=", math.entropy(0, 16)) and
    console.hex(-1) and console.log("text: ", "a\x01b")
}

rule pe_imports_name { condition: pe.imports("kernel32.dll", "GetProcAddress") and pe.imports("KERNEL32.DLL", "getprocaddress") }
rule pe_imports_dll_count { condition: pe.imports("kernel32.dll") > 3 }
rule pe_imports_ordinal { condition: pe.imports("ws2_32.dll", 115) and pe.imports("oleaut32.dll", 2) }
rule pe_imports_regex { condition: pe.imports(/kernel32/i, /^Create/) and pe.imports(/.*/, /Heap/) > 0 }
rule pe_imports_flags { condition: pe.imports(pe.IMPORT_STANDARD, "kernel32.dll", "ExitProcess") and not pe.imports(pe.IMPORT_DELAYED, "kernel32.dll", "ExitProcess") }
rule pe_imports_delayed { condition: pe.imports(pe.IMPORT_DELAYED, /dbghelp/, /^Sym/) and pe.number_of_delayed_imported_functions == 2 }
rule pe_imphash_digits { condition: pe.imphash() matches /^[0-7]/ }
rule pe_imphash_empty { condition: pe.imphash() == "d41d8cd98f00b204e9800998ecf8427e" }
rule pe_exports { condition: pe.exports("DllMain") and pe.exports(/^PyInit_/) and pe.exports(4) and not pe.exports("Missing") }
rule pe_exports_index { condition: pe.exports_index("ExportedFunction") == 1 and defined pe.exports_index(/Heap/) }
rule pe_export_forward { condition: for any e in pe.export_details : (e.forward_name == "NTDLL.RtlAllocateHeap") }
rule pe_rich { condition: pe.rich_signature.clear_data startswith "DanS" and pe.rich_signature.toolid(0x104) > 0 }
rule pe_rich_version { condition: pe.rich_signature.version(0x7809) or pe.rich_signature.version(0x7809, 0x105) }
rule pe_version_info { condition: pe.version_info["CompanyName"] contains "Spec" and defined pe.version_info["ProductName"] }
rule pe_version_loop { condition: for any k, v in pe.version_info : (k == "FileVersion" and v matches /^[0-9]/) }
rule pe_language { condition: pe.language(0x09) and pe.locale(0x0407) }
rule pe_resources_loop { condition: for any r in pe.resources : (r.type == pe.RESOURCE_TYPE_MANIFEST and r.length > 0) }
rule pe_checksum { condition: pe.checksum == pe.calculate_checksum() }
rule pe_pdb { condition: pe.pdb_path endswith "fixture.pdb" }
rule pe_sections_loop { condition: for all s in pe.sections : (s.raw_data_size > 0 or s.virtual_size > 0) }
rule pe_sections_any { condition: for any s in pe.sections : (s.name == ".rdata" and s.full_name == s.name) }
rule pe_empty_loop { condition: for any s in pe.sections : (true) }
rule pe_nested_loops { condition: for any d in pe.import_details : (for 2 f in d.functions : (f.name contains "Heap" or f.ordinal == 115)) }
rule elf_sections_loop { condition: for any s in elf.sections : (s.name == ".text" and s.type == elf.SHT_PROGBITS) }
rule elf_symbols_loop { condition: for 3 y in elf.dynsym : (y.bind == elf.STB_GLOBAL and y.type == elf.STT_FUNC) }

rule entrypoint_prologue { strings: $p = { 55 8B EC } condition: $p at entrypoint }
rule entrypoint_defined { condition: defined entrypoint }
rule entrypoint_as_pe { condition: entrypoint == pe.entry_point }
rule entrypoint_as_elf { condition: entrypoint == elf.entry_point }
rule entrypoint_range { condition: entrypoint > 0x1000 and entrypoint < filesize }
