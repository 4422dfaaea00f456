/*
 * differential.yar - rules for the specrt <-> yara 4.2.3 differential test.
 *
 * Corpus: tests/yara/gen_corpus.c (synthetic) and tests/yara/binaries.txt.
 * Reference: yara -w -s -L tests/yara/differential.yar FILE
 *
 * Only the subset specrt supports: text strings (escapes, ascii / wide /
 * nocase / fullword, xor with key ranges, base64 / base64wide with custom
 * alphabets), hex strings (??, nibbles, bounded jumps, alternatives),
 * of-expressions (N% too), counts, @x[i], !x[i], #x in, at / in with any
 * expression, for ... of and for ... in loops, uint8/16/32(be)
 * and int8/16/32(be) at any integer expression, integer arithmetic and
 * bitwise operators (with undefined division by zero),
 * filesize (KB / MB), boolean operators, rule references, private / global.
 * Hex strings start and end with a fixed byte, and at every start offset
 * either only one length can match or the first alternative / shortest jump
 * does (yara and specrt both report that one).
 *
 * Notes for whoever compares outputs:
 *  - private rules are not printed by yara; rules referencing them are.
 *  - yara -L prints min(length, 512); -s prints at most 512 bytes of text
 *    and 64 bytes of hex data ("..." after).
 *  - uint*() reads past the end of the file are undefined: a comparison with
 *    undefined is false, "not undefined" is false, "undefined or X" is X,
 *    "undefined and X" is false (see the oob_* and hdr_not_elf_direct rules).
 */

// ======================================================================
// Global / private / header checks
// ======================================================================
// The only global rule: true for every file, so it hides nothing.
global rule any_file
{
    condition:
        filesize >= 0
}

private rule is_elf
{
    condition:
        uint32(0) == 0x464C457F
}

private rule is_mz
{
    condition:
        uint16(0) == 0x5A4D
}

private rule has_pe_sig
{
    condition:
        is_mz and uint32(0x3C) == 0x80 and uint32(0x80) == 0x00004550
}

rule hdr_elf : elf header
{
    meta:
        description = "ELF magic through a private rule"
        score = 10
        exact = true
    condition:
        is_elf
}

rule hdr_elf_be : elf
{
    condition:
        uint32be(0) == 0x7F454C46
}

rule hdr_elf_bytes
{
    condition:
        uint8(0) == 0x7F and uint8(1) == 69 and uint8(2) == 76 and uint8(3) == 70
}

rule hdr_elf64_lsb
{
    condition:
        is_elf and uint8(4) == 2 and uint8(5) == 1 and uint8(6) == 1
}

rule hdr_elf_x86_64
{
    condition:
        is_elf /* e_machine */ and uint16(18) == 0x3E and // EM_X86_64
        uint32(20) == 1 /* e_version */
}

// PIE executables are ET_DYN
rule hdr_elf_dyn
{
    condition:
        is_elf and uint16(16) == 3
}

// gcc-12 is a non-PIE ET_EXEC
rule hdr_elf_exec
{
    condition:
        is_elf and uint16(16) == 2
}

rule hdr_elf_be_type
{
    condition:
        uint16be(16) == 0x0300 and uint16be(18) == 0x3E00
}

rule hdr_elf_phoff
{
    condition:
        is_elf and uint32(32) == 64 and uint32(36) == 0
}

rule hdr_elf_ehsize
{
    condition:
        is_elf and uint16(52) == 0x40 and uint16(54) == 0x38
}

rule hdr_mz : pe
{
    condition:
        is_mz
}

rule hdr_mz_be
{
    condition:
        uint16be(0) == 0x4D5A
}

rule hdr_mz_decimal
{
    condition:
        uint16(0) == 23117 and filesize > 64
}

rule hdr_pe : pe
{
    meta:
        arch = "x86-64"
    condition:
        has_pe_sig and uint16(0x84) == 0x8664
}

rule hdr_pe_be
{
    condition:
        uint32be(0x80) == 0x50450000 and uint16be(0x84) == 0x6486
}

rule hdr_pe_sections
{
    condition:
        has_pe_sig and uint16(0x86) == 6 and uint32(0x188) == 0x7865742E
}

// A rule reference is a plain boolean: true for the tiny files too.
rule hdr_not_elf
{
    condition:
        not is_elf
}

// uint32(0) is undefined on files shorter than 4 bytes: 'not undefined' is false there.
rule hdr_not_elf_direct
{
    condition:
        not (uint32(0) == 0x464C457F)
}

// False on the 0-, 1- and 3-byte files (undefined != ... is false).
rule hdr_magic_ne_small
{
    condition:
        uint32(0) != 0x464C457F and filesize < 8KB
}

// 02_three.bin: uint16(0) defined, uint32(0) not.
rule hdr_tiny_mz
{
    condition:
        uint16(0) == 0x5A4D and filesize < 4
}

rule hdr_tiny_mz_u8
{
    condition:
        uint8(2) == 0x90 and uint8(0) == 77 and filesize == 3
}

rule hdr_first_byte_M
{
    condition:
        uint8(0) == 77
}

rule hdr_random_magic
{
    condition:
        uint32be(0) == 0x89524E44 and uint32(4) == 0x0A1A0A0D
}

// 05_utf16le.txt starts FF FE
rule hdr_bom_le
{
    condition:
        uint16(0) == 0xFEFF
}

rule hdr_bom_be_view
{
    condition:
        uint16be(0) == 0xFFFE and uint8(1) == 0xFE
}

rule hdr_high_first_dword
{
    condition:
        uint32be(0) >= 0x80000000
}

// Undefined (false) on the empty file.
rule hdr_low_first_byte
{
    condition:
        uint8(0) < 0x20
}

// 06_boundaries.bin starts with '-'
rule hdr_u8_le
{
    condition:
        uint8(0) <= 0x2D and uint8(0) > 0x2C
}

rule hdr_u16_range
{
    condition:
        uint16(0) > 0x6000 and uint16(0) < 0x7000
}


// ======================================================================
// Undefined values: reads past the end of the file
// ======================================================================
// uint32(2097150) needs 2097154 bytes: undefined everywhere; 'undefined or X' is X.
rule oob_or
{
    condition:
        uint32(2097150) == 0 or filesize == 2MB
}

// 'undefined and X' is false, so 'not (...)' is true for every file.
rule oob_not_and
{
    condition:
        not (uint32(2097150) == 0 and filesize > 0)
}

rule oob_u16_last
{
    condition:
        filesize == 2MB and uint16(2097150) != 0x0000 and uint8(2097151) != 0x100
}

// 01_one.bin: uint8(1) undefined, uint8(0) == 'M'
rule oob_u8_tiny
{
    condition:
        uint8(1) == 0x5A or uint8(0) == 0x4D
}


// ======================================================================
// Strings typical of ELF binaries
// ======================================================================
// yara only looks for a literal string (text with any modifiers, or hex
// without wildcards / jumps / alternatives) at N when its only use in the
// condition is "$a at N" (one N): -s then shows just that match. Every "at"
// rule outside the "Fixed-offset strings" section also uses the string
// another way (#a, $a), so its output does not depend on that.
rule elf_sections_basic : elf
{
    strings:
        $t = ".text"
        $d = ".data"
        $r = ".rodata"
        $b = ".bss"
    condition:
        all of them
}

rule elf_sections_fullword
{
    strings:
        $t = ".text" fullword
        $d = ".data" fullword
        $b = ".bss" fullword
    condition:
        all of them
}

rule elf_dynsym
{
    strings:
        $a = ".dynsym"
        $b = ".dynstr"
        $c = ".gnu.hash"
    condition:
        2 of them
}

// ".eh_frame" also matches inside ".eh_frame_hdr".
rule elf_eh_frame
{
    strings:
        $a = ".eh_frame"
        $b = ".eh_frame_hdr"
    condition:
        #a >= 2 and $b
}

rule elf_gnu_version
{
    strings:
        $a = ".gnu.version"
        $b = ".gnu.version_r"
    condition:
        #a >= 2 and #b >= 1
}

rule elf_build_id_name
{
    strings:
        $a = ".note.gnu.build-id"
    condition:
        $a
}

rule elf_init_fini
{
    strings:
        $a = ".init_array"
        $b = ".fini_array"
    condition:
        any of them
}

rule elf_comment_section
{
    strings:
        $a = ".comment"
        $b = ".shstrtab"
    condition:
        $a and $b
}

rule elf_plt_got
{
    strings:
        $a = ".plt"
        $b = ".got"
        $c = ".rela.dyn"
        $d = ".dynamic"
    condition:
        3 of them
}

rule glibc_prefix_count
{
    strings:
        $a = "GLIBC_2."
    condition:
        #a > 3
}

// 12_elf.bin has exactly three.
rule glibc_prefix_exact3
{
    strings:
        $a = "GLIBC_2."
    condition:
        #a == 3
}

rule glibc_prefix_ne
{
    strings:
        $a = "GLIBC_2."
    condition:
        #a != 3 and #a != 0
}

rule glibc_225
{
    strings:
        $a = "GLIBC_2.2.5" fullword
    condition:
        $a
}

rule glibc_234
{
    strings:
        $a = "GLIBC_2.34"
    condition:
        $a
}

rule glibc_private
{
    strings:
        $a = "GLIBC_PRIVATE"
    condition:
        $a
}

rule glibc_versions_set
{
    strings:
        $v1 = "GLIBC_2.2.5"
        $v2 = "GLIBC_2.3"
        $v3 = "GLIBC_2.4"
        $v4 = "GLIBC_2.14"
        $v5 = "GLIBC_2.34"
    condition:
        3 of ($v*)
}

rule libc_start_main
{
    strings:
        $a = "__libc_start_main"
    condition:
        is_elf and $a
}

rule libc_start_main_wide
{
    strings:
        $a = "__libc_start_main" wide
    condition:
        $a
}

rule crt_symbols
{
    strings:
        $a = "__cxa_finalize"
        $b = "__gmon_start__"
        $c = "_ITM_deregisterTMCloneTable"
        $d = "_ITM_registerTMCloneTable"
    condition:
        3 of them
}

rule stack_chk
{
    strings:
        $a = "__stack_chk_fail"
    condition:
        $a
}

rule gcc_debian
{
    strings:
        $a = "GCC: (Debian"
    condition:
        $a
}

rule gcc_debian_full
{
    strings:
        $a = "GCC: (Debian 12.2.0-14) 12.2.0"
    condition:
        #a == 1
}

rule ld_interp
{
    strings:
        $a = "/lib64/ld-linux-x86-64.so.2"
    condition:
        $a in (0..1024)
}

rule ld_interp_at
{
    strings:
        $a = "/lib64/ld-linux-x86-64.so.2"
    condition:
        $a at 0x318 and #a >= 1
}

rule libc_so
{
    strings:
        $a = "libc.so.6" fullword
    condition:
        $a
}

rule libstdcxx
{
    strings:
        $a = "libstdc++.so.6"
    condition:
        $a
}

rule libm_or_libz
{
    strings:
        $a = "libm.so.6"
        $b = "libz.so.1"
    condition:
        any of them
}

rule no_libpthread
{
    strings:
        $a = "libpthread.so.0"
        $b = "libdl.so.2"
    condition:
        none of them
}

rule usage_line
{
    strings:
        $a = "Usage: %s [OPTION]..."
    condition:
        $a
}

rule usage_line_lc
{
    strings:
        $a = "usage: %s [OPTION]..."
    condition:
        $a
}

rule try_help
{
    strings:
        $a = "Try '%s --help' for more information."
        $b = "Try 'prog --help'"
    condition:
        $a or $b
}

rule gnu_copyright
{
    strings:
        $a = "Copyright (C)"
        $b = "Free Software Foundation"
    condition:
        all of them
}

rule gpl_license
{
    strings:
        $a = "GNU General Public License" nocase
        $b = "GPLv3+"
    condition:
        any of them
}

rule no_warranty
{
    strings:
        $a = "NO WARRANTY"
        $b = "warranty" nocase fullword
    condition:
        $a or #b > 2
}

rule report_bugs
{
    strings:
        $a = "Report bugs to"
    condition:
        $a
}

rule written_by
{
    strings:
        $a = "Written by" fullword
    condition:
        $a
}

rule invalid_option
{
    strings:
        $a = "invalid option"
        $b = "unrecognized option"
    condition:
        any of them
}

rule locale_dir
{
    strings:
        $a = "/usr/share/locale"
    condition:
        $a
}

rule posix_env
{
    strings:
        $a = "POSIXLY_CORRECT"
        $b = "LC_ALL" fullword
        $c = "LANG" fullword
    condition:
        2 of them
}

rule libc_funcs
{
    strings:
        $m = "malloc" fullword // allocation
        $c = "memcpy" fullword
        $l = "strlen" fullword
        $f = "fprintf" fullword
    condition:
        all of them
}

rule std_streams
{
    strings:
        $a = "stderr" /* stream */ fullword
        $b = "stdout" fullword
        $c = "stdin" fullword
    condition:
        2 of them
}

rule getenv_sym
{
    strings:
        $a = "getenv" fullword
    condition:
        #a >= 1
}

rule pthread_syms
{
    strings:
        $a = "pthread_create"
        $b = "pthread_mutex_lock"
    condition:
        $a or $b
}

rule dl_syms
{
    strings:
        $a = "dlopen" fullword
        $b = "dlsym" fullword
    condition:
        all of them
}

rule cmake_marker
{
    strings:
        $a = "CMAKE_"
        $b = "cmake_minimum_required"
    condition:
        #a > 100 and $b
}

rule git_marker
{
    strings:
        $a = "refs/heads/"
        $b = "HEAD" fullword
    condition:
        all of them
}

rule perl_marker
{
    strings:
        $a = "PERL5LIB"
        $b = "perl" nocase fullword
    condition:
        all of them
}

rule bash_marker
{
    strings:
        $a = "BASH_VERSION"
        $b = "bash" fullword
    condition:
        $a and $b
}

rule binutils_marker
{
    strings:
        $a = "BFD" fullword
        $b = "binutils" nocase
    condition:
        any of them
}

rule version_help_opts
{
    strings:
        $a = "--version" fullword
        $b = "--help" fullword
    condition:
        all of them
}

// NT_GNU_BUILD_ID note header
rule note_build_id
{
    strings:
        $a = { 04 00 00 00 14 00 00 00 03 00 00 00 47 4E 55 00 }
    condition:
        $a
}

rule note_property
{
    strings:
        $a = { 04 00 00 00 ?? 00 00 00 05 00 00 00 47 4E 55 00 }
    condition:
        $a
}

rule note_abi_tag
{
    strings:
        $a = { 04 00 00 00 10 00 00 00 01 00 00 00 47 4E 55 00 }
    condition:
        $a
}

rule exit_newline
{
    strings:
        $a = "and exit\n"
    condition:
        #a >= 2
}

rule help_text_cols
{
    strings:
        $a = "      --help     "
    condition:
        $a
}


// ======================================================================
// Every modifier combination, five words
// ======================================================================
rule mod_usage_plain
{
    strings:
        $a = "usage"
    condition:
        $a
}

rule mod_usage_ascii
{
    strings:
        $a = "usage" ascii
    condition:
        #a >= 2
}

rule mod_usage_wide
{
    strings:
        $a = "usage" wide
    condition:
        any of them
}

rule mod_usage_aw
{
    strings:
        $a = "usage" ascii wide
    condition:
        #a > 10
}

rule mod_usage_nc
{
    strings:
        $a = "usage" nocase
    condition:
        #a != 0
}

rule mod_usage_anc
{
    strings:
        $a = "usage" ascii nocase
    condition:
        $a
}

rule mod_usage_wnc
{
    strings:
        $a = "usage" nocase wide
    condition:
        #a >= 2
}

rule mod_usage_awnc
{
    strings:
        $a = "usage" ascii wide nocase
    condition:
        any of them
}

rule mod_usage_fw
{
    strings:
        $a = "usage" fullword
    condition:
        #a > 10
}

rule mod_usage_wfw
{
    strings:
        $a = "usage" wide fullword
    condition:
        #a != 0
}

rule mod_usage_awfw
{
    strings:
        $a = "usage" ascii wide fullword
    condition:
        $a
}

rule mod_usage_ncfw
{
    strings:
        $a = "usage" nocase fullword
    condition:
        #a >= 2
}

rule mod_usage_wncfw
{
    strings:
        $a = "usage" fullword wide nocase
    condition:
        any of them
}

rule mod_usage_awncfw
{
    strings:
        $a = "usage" ascii wide nocase fullword
    condition:
        #a > 10
}

rule mod_usage_afw
{
    strings:
        $a = "usage" ascii fullword
    condition:
        #a != 0
}

rule mod_usage_ancfw
{
    strings:
        $a = "usage" nocase ascii fullword
    condition:
        $a
}

rule mod_help_plain
{
    strings:
        $a = "help"
    condition:
        #a >= 2
}

rule mod_help_ascii
{
    strings:
        $a = "help" ascii
    condition:
        any of them
}

rule mod_help_wide
{
    strings:
        $a = "help" wide
    condition:
        #a > 10
}

rule mod_help_aw
{
    strings:
        $a = "help" ascii wide
    condition:
        #a != 0
}

rule mod_help_nc
{
    strings:
        $a = "help" nocase
    condition:
        $a
}

rule mod_help_anc
{
    strings:
        $a = "help" ascii nocase
    condition:
        #a >= 2
}

rule mod_help_wnc
{
    strings:
        $a = "help" nocase wide
    condition:
        any of them
}

rule mod_help_awnc
{
    strings:
        $a = "help" ascii wide nocase
    condition:
        #a > 10
}

rule mod_help_fw
{
    strings:
        $a = "help" fullword
    condition:
        #a != 0
}

rule mod_help_wfw
{
    strings:
        $a = "help" wide fullword
    condition:
        $a
}

rule mod_help_awfw
{
    strings:
        $a = "help" ascii wide fullword
    condition:
        #a >= 2
}

rule mod_help_ncfw
{
    strings:
        $a = "help" nocase fullword
    condition:
        any of them
}

rule mod_help_wncfw
{
    strings:
        $a = "help" fullword wide nocase
    condition:
        #a > 10
}

rule mod_help_awncfw
{
    strings:
        $a = "help" ascii wide nocase fullword
    condition:
        #a != 0
}

rule mod_help_afw
{
    strings:
        $a = "help" ascii fullword
    condition:
        $a
}

rule mod_help_ancfw
{
    strings:
        $a = "help" nocase ascii fullword
    condition:
        #a >= 2
}

rule mod_error_plain
{
    strings:
        $a = "error"
    condition:
        any of them
}

rule mod_error_ascii
{
    strings:
        $a = "error" ascii
    condition:
        #a > 10
}

rule mod_error_wide
{
    strings:
        $a = "error" wide
    condition:
        #a != 0
}

rule mod_error_aw
{
    strings:
        $a = "error" ascii wide
    condition:
        $a
}

rule mod_error_nc
{
    strings:
        $a = "error" nocase
    condition:
        #a >= 2
}

rule mod_error_anc
{
    strings:
        $a = "error" ascii nocase
    condition:
        any of them
}

rule mod_error_wnc
{
    strings:
        $a = "error" nocase wide
    condition:
        #a > 10
}

rule mod_error_awnc
{
    strings:
        $a = "error" ascii wide nocase
    condition:
        #a != 0
}

rule mod_error_fw
{
    strings:
        $a = "error" fullword
    condition:
        $a
}

rule mod_error_wfw
{
    strings:
        $a = "error" wide fullword
    condition:
        #a >= 2
}

rule mod_error_awfw
{
    strings:
        $a = "error" ascii wide fullword
    condition:
        any of them
}

rule mod_error_ncfw
{
    strings:
        $a = "error" nocase fullword
    condition:
        #a > 10
}

rule mod_error_wncfw
{
    strings:
        $a = "error" fullword wide nocase
    condition:
        #a != 0
}

rule mod_error_awncfw
{
    strings:
        $a = "error" ascii wide nocase fullword
    condition:
        $a
}

rule mod_error_afw
{
    strings:
        $a = "error" ascii fullword
    condition:
        #a >= 2
}

rule mod_error_ancfw
{
    strings:
        $a = "error" nocase ascii fullword
    condition:
        any of them
}

rule mod_version_plain
{
    strings:
        $a = "version"
    condition:
        #a > 10
}

rule mod_version_ascii
{
    strings:
        $a = "version" ascii
    condition:
        #a != 0
}

rule mod_version_wide
{
    strings:
        $a = "version" wide
    condition:
        $a
}

rule mod_version_aw
{
    strings:
        $a = "version" ascii wide
    condition:
        #a >= 2
}

rule mod_version_nc
{
    strings:
        $a = "version" nocase
    condition:
        any of them
}

rule mod_version_anc
{
    strings:
        $a = "version" ascii nocase
    condition:
        #a > 10
}

rule mod_version_wnc
{
    strings:
        $a = "version" nocase wide
    condition:
        #a != 0
}

rule mod_version_awnc
{
    strings:
        $a = "version" ascii wide nocase
    condition:
        $a
}

rule mod_version_fw
{
    strings:
        $a = "version" fullword
    condition:
        #a >= 2
}

rule mod_version_wfw
{
    strings:
        $a = "version" wide fullword
    condition:
        any of them
}

rule mod_version_awfw
{
    strings:
        $a = "version" ascii wide fullword
    condition:
        #a > 10
}

rule mod_version_ncfw
{
    strings:
        $a = "version" nocase fullword
    condition:
        #a != 0
}

rule mod_version_wncfw
{
    strings:
        $a = "version" fullword wide nocase
    condition:
        $a
}

rule mod_version_awncfw
{
    strings:
        $a = "version" ascii wide nocase fullword
    condition:
        #a >= 2
}

rule mod_version_afw
{
    strings:
        $a = "version" ascii fullword
    condition:
        any of them
}

rule mod_version_ancfw
{
    strings:
        $a = "version" nocase ascii fullword
    condition:
        #a > 10
}

rule mod_copyright_plain
{
    strings:
        $a = "copyright"
    condition:
        #a != 0
}

rule mod_copyright_ascii
{
    strings:
        $a = "copyright" ascii
    condition:
        $a
}

rule mod_copyright_wide
{
    strings:
        $a = "copyright" wide
    condition:
        #a >= 2
}

rule mod_copyright_aw
{
    strings:
        $a = "copyright" ascii wide
    condition:
        any of them
}

rule mod_copyright_nc
{
    strings:
        $a = "copyright" nocase
    condition:
        #a > 10
}

rule mod_copyright_anc
{
    strings:
        $a = "copyright" ascii nocase
    condition:
        #a != 0
}

rule mod_copyright_wnc
{
    strings:
        $a = "copyright" nocase wide
    condition:
        $a
}

rule mod_copyright_awnc
{
    strings:
        $a = "copyright" ascii wide nocase
    condition:
        #a >= 2
}

rule mod_copyright_fw
{
    strings:
        $a = "copyright" fullword
    condition:
        any of them
}

rule mod_copyright_wfw
{
    strings:
        $a = "copyright" wide fullword
    condition:
        #a > 10
}

rule mod_copyright_awfw
{
    strings:
        $a = "copyright" ascii wide fullword
    condition:
        #a != 0
}

rule mod_copyright_ncfw
{
    strings:
        $a = "copyright" nocase fullword
    condition:
        $a
}

rule mod_copyright_wncfw
{
    strings:
        $a = "copyright" fullword wide nocase
    condition:
        #a >= 2
}

rule mod_copyright_awncfw
{
    strings:
        $a = "copyright" ascii wide nocase fullword
    condition:
        any of them
}

rule mod_copyright_afw
{
    strings:
        $a = "copyright" ascii fullword
    condition:
        #a > 10
}

rule mod_copyright_ancfw
{
    strings:
        $a = "copyright" nocase ascii fullword
    condition:
        #a != 0
}


// ======================================================================
// Escapes in text strings
// ======================================================================
rule esc_quote
{
    strings:
        $a = "say \"hello\""
    condition:
        $a
}

rule esc_quote_nocase
{
    strings:
        $a = "\"QUOTED\"" nocase
    condition:
        $a
}

rule esc_backslash
{
    strings:
        $a = "C:\\Windows\\System32\\"
    condition:
        $a
}

rule esc_backslash_fw
{
    strings:
        $a = "C:\\Windows" fullword
    condition:
        $a
}

rule esc_tab
{
    strings:
        $a = "key\tvalue"
    condition:
        $a
}

rule esc_tab_wide
{
    strings:
        $a = "tab\there" ascii wide
    condition:
        $a
}

rule esc_crlf
{
    strings:
        $a = "value\r\n"
    condition:
        #a > 5
}

rule esc_crlf_line
{
    strings:
        $a = "crlf line\r\nnext line\r\n"
    condition:
        $a
}

rule esc_hex_elf
{
    strings:
        $a = "\x7fELF"
    condition:
        $a at 0 or #a > 1
}

rule esc_hex_elf_upper
{
    strings:
        $a = "\x7FELF\x02\x01\x01"
    condition:
        $a and not ($a at 0)
}

rule esc_nul_bytes
{
    strings:
        $a = "\x00\x01\x02\x03\xFF\xfe"
    condition:
        $a
}

rule esc_pe_sig
{
    strings:
        $a = "PE\x00\x00d\x86"
    condition:
        $a
}

rule esc_high_bytes
{
    strings:
        $a = "\xE9usage\xe9"
    condition:
        $a
}

rule esc_high_nocase
{
    strings:
        $a = "\x80USAGE\xFF" nocase
    condition:
        $a
}

rule esc_dos_stub
{
    strings:
        $a = "cannot be run in DOS mode.\r\r\n$"
    condition:
        $a in (0x40..0x80)
}

rule esc_nul_usage
{
    strings:
        $a = "\x00usage\x00"
    condition:
        $a
}

rule esc_dynstr_seq
{
    strings:
        $a = "\x00libc.so.6\x00__libc_start_main\x00"
    condition:
        $a
}


// ======================================================================
// Overlapping matches
// ======================================================================
rule ovl_aaa
{
    strings:
        $a = "aaa"
    condition:
        #a >= 4
}

// "aaaaaa" gives 4, the trailing "aaaa" 2
rule ovl_aaa_exact
{
    strings:
        $a = "aaa"
    condition:
        #a == 6
}

rule ovl_aaa_nocase
{
    strings:
        $a = "aaa" nocase
    condition:
        #a > 12
}

// "abababab" gives 3, "ababa ababa" 2
rule ovl_abab
{
    strings:
        $a = "abab"
    condition:
        #a == 5
}

rule ovl_aba
{
    strings:
        $a = "aba"
    condition:
        #a >= 5
}

rule ovl_xyzxyz
{
    strings:
        $a = "xyzxyz"
    condition:
        #a == 2
}

rule ovl_abcabc
{
    strings:
        $a = "abcabc"
    condition:
        #a == 3
}

rule ovl_zzzz
{
    strings:
        $a = "zzzz"
    condition:
        #a == 13
}

rule ovl_wide_aaa
{
    strings:
        $a = "aaa" wide
    condition:
        #a >= 4
}

rule ovl_wide_nocase
{
    strings:
        $a = "AaA" wide nocase
    condition:
        #a >= 5
}

rule ovl_nop_sled
{
    strings:
        $a = { 90 90 90 90 }
    condition:
        #a == 5
}

rule ovl_aabb
{
    strings:
        $a = { AA BB AA BB }
    condition:
        #a == 3
}

rule ovl_usage_rep
{
    strings:
        $a = "usageusage"
    condition:
        #a == 2
}

rule ovl_usage_fw_rep
{
    strings:
        $a = "usageusage" fullword
        $b = "usageusageusage" fullword
    condition:
        #a == 0 and $b
}

rule ovl_help_rep
{
    strings:
        $a = "--help--help"
    condition:
        $a
}

rule ovl_glibc_rep
{
    strings:
        $a = "GLIBC_2.GLIBC_2."
    condition:
        #a == 2
}

// 08_overlap.bin: the second match starts inside the first one's jump
rule ovl_jump_inside_jump
{
    strings:
        $a = { 51 52 53 [4-8] 54 55 56 }
    condition:
        #a >= 2 and $a at 179
}


// ======================================================================
// fullword at buffer edges and next to punctuation
// ======================================================================
rule fw_usage_at0
{
    strings:
        $a = "usage" fullword
    condition:
        $a at 0 and #a > 3
}

rule fw_copyright_last
{
    strings:
        $a = "Copyright" fullword
    condition:
        $a and filesize < 8KB
}

rule fw_punct
{
    strings:
        $a = "(usage)" fullword
        $b = "_usage_" fullword
        $c = "usage." fullword
    condition:
        all of them
}

rule fw_highbyte
{
    strings:
        $a = "usage" fullword
        $b = "\xE9usage"
    condition:
        $a and $b
}

// "x--help" is not fullword: the byte before "-" is alnum
rule fw_dashdash
{
    strings:
        $a = "--help" fullword
    condition:
        #a >= 2
}

rule fw_error_not_errors
{
    strings:
        $a = "error" fullword
        $b = "errors" fullword
    condition:
        $a and #b == 0
}

rule fw_version_digit
{
    strings:
        $a = "version" fullword
        $b = "version1"
    condition:
        $a and $b
}

rule fw_wide_usage
{
    strings:
        $a = "usage" wide fullword
    condition:
        #a >= 5
}

rule fw_wide_at0
{
    strings:
        $a = "usage" wide fullword
    condition:
        $a at 0 and $a
}

// 10_wide.bin ends with wide "version" then a lone "X" (no zero byte): still fullword
rule fw_wide_eof_alnum
{
    strings:
        $a = "version" wide fullword
    condition:
        $a at 16718 and #a >= 5
}

rule fw_wide_nocase
{
    strings:
        $a = "USAGE" wide nocase fullword
    condition:
        #a > 3
}

rule fw_ascii_wide
{
    strings:
        $a = "Copyright" ascii wide fullword
    condition:
        #a > 2
}

rule fw_wide_secret
{
    strings:
        $a = "secret" nocase wide fullword
    condition:
        $a
}

rule fw_zero_neighbours
{
    strings:
        $a = "usage" fullword
    condition:
        #a > 5
}


// ======================================================================
// Tile (4096) and chunk (65536) boundaries: 06_boundaries.bin, 13_zeros.bin, 09_hexpat.bin
// ======================================================================
rule bnd_usage_tiles
{
    strings:
        $a = "usage"
    condition:
        #a >= 12 and filesize == 2MB
}

rule bnd_marker_chunk
{
    strings:
        $a = "BoundaryMarker"
    condition:
        $a at 65529 and #a > 1
}

rule bnd_marker_uint
{
    condition:
        uint8(65536) == 0x79 and uint32(65536) == 0x72614D79 and uint16be(65535) == 0x7279
}

// 600 bytes (yara -L prints 512): LCG x = x*1103515245+12345 mod 2^31 from x=600, alnum[(x>>16)%62]
rule bnd_long600
{
    strings:
        $a = "X72Y7VFoB035GedcVsJBJ5RGeJNQh2hxvRRGuxYXdSnVmIILeLCu4z9alf99fK2Hzjhk58loKAaKT4npX0raQDGAfCym38SgGVHd4VOyDtPj8R6XsFiCxUa0KnX3VQ2cm30mTXXGmA8zFIFwTGWOMZW5gctJtdMyXRZcAmQNRpy4Y8TL21OT9G6Jfht9Hnf3X3XNEosv72VbXWz4rpnyzxwTBoKlXwJ7D4Gp1HpQFEdvs1lH6CaXsXIoe2nYjDFH5xZyZMKnB7hUUFn5yYSzSwWTRlkcdF284U21ClXRKlITbOg1fYSsBD34QfY8oDrg3jBowIg8WT0iaheYrfyLfMyZyjO52PzKWWpL5kCZ7r9A4O44C7pHq1SOsEJVndovn4hq520vxsyWxpLqo0dgmnHvziiBrfrjoIJch0EiqC3epr47LfMlMOMOcZsXAxiwtSejvgav4tr2YuO3NGtsA2CUXwQeyuc7vcytRXLxvECrgv6g0DPa2VuKXJrJB0rLD6OyB9ReALiz2OZVnIWa0AhRtQWSyHwX55QXL6PE3cySgtlRqYcmssPnnpbCnJM4qxxlpYOMLmJSN1LJgoWhAXzF"
    condition:
        #a == 6
}

rule bnd_long600_at
{
    strings:
        $a = "X72Y7VFoB035GedcVsJBJ5RGeJNQh2hxvRRGuxYXdSnVmIILeLCu4z9alf99fK2Hzjhk58loKAaKT4npX0raQDGAfCym38SgGVHd4VOyDtPj8R6XsFiCxUa0KnX3VQ2cm30mTXXGmA8zFIFwTGWOMZW5gctJtdMyXRZcAmQNRpy4Y8TL21OT9G6Jfht9Hnf3X3XNEosv72VbXWz4rpnyzxwTBoKlXwJ7D4Gp1HpQFEdvs1lH6CaXsXIoe2nYjDFH5xZyZMKnB7hUUFn5yYSzSwWTRlkcdF284U21ClXRKlITbOg1fYSsBD34QfY8oDrg3jBowIg8WT0iaheYrfyLfMyZyjO52PzKWWpL5kCZ7r9A4O44C7pHq1SOsEJVndovn4hq520vxsyWxpLqo0dgmnHvziiBrfrjoIJch0EiqC3epr47LfMlMOMOcZsXAxiwtSejvgav4tr2YuO3NGtsA2CUXwQeyuc7vcytRXLxvECrgv6g0DPa2VuKXJrJB0rLD6OyB9ReALiz2OZVnIWa0AhRtQWSyHwX55QXL6PE3cySgtlRqYcmssPnnpbCnJM4qxxlpYOMLmJSN1LJgoWhAXzF"
    condition:
        $a at 130772 and #a != 0
}

// The longest string allowed, 4096 bytes, across 196608 (same LCG from x=4096)
rule bnd_long4096
{
    strings:
        $a = "nOlYIcBxhTUb5SBrFtyCd5tvfze9q92vVXIxUlacE28R2ebXImBNNzF5zS7ZzMfLOaBF246SCSJVxUmjRZOgs6TajIvb4qduPCxKo1LMZpAqDzwf64q4NvEmeR93YuyWUQVEQ7a9NVH4ujuujxaiJypsTCIQhvLS2V6iCRf3YAZ2Nt8Vie5uwLddueBtuGxTTWLdCZ0DZnmkfbdOSO7bfBg9AAVHOwfifOC4DBiis81r675Qpio0g9bvPup73uwHxmWnpSuYuHIEgijvBwCvMx6SLo3Z3DqAjeUgHAQeY4SNiCS4MgfLrPV6ahyzl0Ylpm9KaZepECgzBRl0isQR3mJAI4CuKMLS3lQ0UXZNmaYvJshn3F33Yy1tbIjX4VezDw4bRxHy7TzjbRUufI1igNpP54QDafQZ6SElgkXh4yHajAxEKLe53xVmqHUWidKl1JNjeu87Rs3u9607oU4YxjwzyCz7WD3eglsy1x3d5qnC3LAnMdqdvEcx0srRGJyAqKP4CxnfopODpYZPEVJVF4eV08tW0KygjO3qpZZSM43p7PTYc4l5RNkPycDcyk905ZFkoQ6H3ZLdngkFkeoMHripSGMafaeq4LGQlkmEbgDoU8pPmKNbhkVrQIC1LOkqsRFd0JaOmYxq2bouwUogxLeXNFvfxIK3fODr9vejIZEl20PWoLIfzTJnmP9xgRNza2VIWQc8KT4Jljru5LMlT0kTZSKQy302HVri9lNS8noSJIaDtIvPrsIPBHFtzqO1NEMcpLmRLpiGQCdzolkfk4TlYbZGd9NDRRvBaAtFcCrV9159ScSmabMB4uJ92JOGb8tjhIsx7oidFNg8P20fT08j72NJ5BTltgulbKw5yNZEARIijzEQlRcL54UDMFEFt9yyZsTbnO76fPKcSFNoY4DSoQlyDzUedTTCY8wnA9Ojg3OV8rSJfZTrem9siP2J8rfykLu0CHlBPgbRlBQwhiVKueTtBbuYQpdyYH6tveUJm8IQMN2YOnZyuLPdeCA2TAJ5BHHcvwCYRKprPuRZnAWuxQWStszuHy4KzfsBEAK4IgC5M168CEIcolgmuLhiIfXv7vuYM6jATEVLBjP0ZwU3E4eHTrDPSQHFxyTeJo4pnzUMKQZhekn3UJ2JYHXuhj9LZqql5gPjQXyChEAJvEyrInLKKtnVxPSxI5r78v9Bf1rPi37A4Rwir2sVnBFScUHzkqQNwyah37EOkBClXXhCQyLBbZFNXuaygDCdQ5mSwZF4Bb5EzAsq7iJri3iOcKEfAQGK2MmHoccht9ovqZD7dlCFiAlTiitzxkwRAdNiScmUExCKj00P8rFh2X2Y8Kb1ZvemEbKwtvA6UR161JkWk4cCnnMTEHpXiML64B8opSOZVqL5KLS9bFmzp850mtGRQO9669lsFfAMZc7pUWKxnY6tjGFJ5qaKrSJN83zJNaHsU99Uan8VPPn0p0xYP7nzy4cT1DRX7k9TT0cvxeFmXau0B8QD3wCMyj3qZK7ZBFLrK6X95f9ikculZaUlDO1YF2dp5GO8xmwDmdoPJvz7Xq2tXFc5enpMw5XjrpT85zFc07BXbaRkUuyaL7qS2p3kR4WHeWQ8xe53mLj7FqJm5ijiSBocbPypsgS7hBjsB2vziNSKhQapq2ev81pD1njQZhqHmRdjaVMGXd9ZhdlODNUtqFEmvVpz8RGl6joKmvYAOJ1PhG0QBXoZF04K1udBNlQTNEns3joMPsbaqG5HCg5Wp0OFu7NMLYfDn0Rrzu1zD7oUcUrkCh4XCVQMi48vqFMjVNUJKykZw6Nh8RIYcLT2oI0wWxq7Ns5FDPW0czY5ehxzlAVnoYn7Fj19SqokDzyHX4Vwb5CuxaVEhC92gCw3QgX421gJq8mO70lfmQ1MtGrZEB5GeM6JvchErdy0yzpzZlR0rjU8WSED0jgr1SSy7WEZy56eajeRycZsIF8tskB9n6U99etsWO3wrZlINZGWQC4wHIdjSydxCXerMSHxzqb8375bFoQwWrgykCm7IILQWpOAxhIL2zSr2VVztlrIGpzxruwTLhS0FKZ7GQRsQzpDIMqShK29hZU3UI8caNTogQdG1X80Da2lnZIinrSSNNU1HQxrzQl9JZhV0C8N82SUzKrfXOD7GpBuaJ7oyfVzMmOgxv5L9e7Fm7RpXuaQOIdq0XTcSknxJX34eTPsxmAN6kKT9UP7gSjANERJs64tLSXujvzdYsKcrmbwPC6M8njsFbYIaRbEQAOjR6UTaLycu8FLdkIhh4mdSLySTL59DMD8SlUtziXw9v4uqHafkLLoUky7vbT06EkXwnNbN15buBnZq5K9FVHP98PQkLBkkYnKZzSvBMJXXgSr7QsUYAnbPrI4I0Q4VeNpxQJOWsU3MyT5Rejy5Kwn1rg5NmooVuxkEPzhil3wBPb8Eg1GAEdzTbHwnDGz4ilE0cJjMFxumgTekvxTAuAtR4Q2o6aII2ZKrV0WIdLXwj5NPrMdwigOtKXDhXTZysE4so7mahQqQKmjO0BCkJBWzzagEwwseGkJbaaN0NZoSVmudST1R7z19CI8c2sscqkw7eiPa4fIH9bclqtPHsNHVdq9aoWSvjwBte94akI7btkLApgaYdsrvadFq1y9F86DVWOG0Q7T8fQFx6kf0DSz3I6p4nDC7Hj8tUn53eP2WDqaUy4DNkPag7LGRY5ziSIxYbblj43pw5xNKikisesjSv2K8uCa2019yetDCp2L4c9jpBSZjeNf9hUClPBCGncYclcWQbRV1uATWoZ7dmnKLMZVToNkIlyxMMZxXAVduR37hWwaForomSKIMBaIltX3ffQSTL0zrukINp99luArWXM1Wuu77fw0RgC7qQvDuMaOKlKtIxfTHlv4XfK6wBMM2imh1LGRBZCLWREqTfBC4GrFTPBrc46YMOPfc19fih7NDxhvP2rLbl5msufAhS50F4g80xPKX9EppXi0FOFrKXhJIErwZ4p22U4uBfpHgbFD5usKVHktxMqvCEelkeTs5dORWjvJA5nFQKM8Ic5ju6J5e5LT1WlhfHpL1HHcxPKGy7RWe8tKpgVE4h3USVY5Z2OSUzaL3gdp8C4XbG7Mc0tCUsIRJ1IV7H1GubcWQnQ8YwE9ho67Pa6FK7ucY14QXgRrXLKc0PC46pZFuMX5YTr22Icyxx3f5FH9s3D2DZshsrockJxv8Fxg01UgStY2zF246ZQazWCCCco2BHlzX2qCCkT1HuSByFVnBpAzhNn2dh0cAIjll1Z4SEKVMcFFi7vfnGKvl19j1kzRd50uexocBUkGLD6Fv1JDstLR2b32NTu1Xk1niaH8joicdvDemv5bYko4LdhMSd4llefQlEPsws7bQ1uqtbYBDRLi4LgII0q0jPdUjl7Qe4grWIAcR6oyzbnizMN6cxFWHVyMPbXMf7Ti5e0hVnshDQ2rSV3itKNzID7YFjNenYTEvx8jjI4hz84JDRrhqbx0f3Kox8QinfT3dhImC5cY9VWBZelMwjK6ANmxzs6LTaAYWttpyPcwFub3Guc7nGvE8qwZz3wm2BXG84PncGxF3CdI3DebslnlNNhsPJ5iFhVskKRVgYxZ7HbLAxubnqbVfEkGLNIjK6JmsJjjgskahdXymGo5yh6AIvAIDyOpRiXWGDZcegoCHIZuca9ez1Ar0mQibssvq6gHuJun4ha1aJ2msga7EaIB1xHPMvnO9gYUWpHGQvjHcnlgh55UFC5abruya1rTX9qh49KUgist2uH4j73NsEkTwjJeabrQfR4dC8pnHBQQlqdq8ugbfY4Bh3NPt8gndsfBrjd1fED9Ur5sTP5Ate0yafLHI7re41sxhMiJkbPW8mvMuKAE6VZTFBIYMBVTYkJgdbhpwH1dnt6UzBkd2AQoMWBilNr8fETnEzFddaPFs8cOoJyshDIyVNoJYQGPTvCsueBBhcMJSQA2PotdnoXQMEsePVf42dBADEusUIxwNlxspcMlo5AyRvPCpt6jrNyeURS1KIfyECOI7Q8HuqiRtWG4yOmzU10uo4yNYdHJnGu2FklN2puUGwj4lqTJQF2DxOCaUZWb867L"
    condition:
        $a in (194000..195000) and #a == 2
}

rule bnd_jump_across
{
    strings:
        $a = { B1 B2 B3 [5-9] B4 B5 B6 }
    condition:
        #a >= 2
}

rule bnd_wide_split
{
    strings:
        $a = "Copyright" wide
    condition:
        $a at 327671 and #a >= 2
}

rule bnd_usage_split1
{
    strings:
        $a = "usage"
    condition:
        $a at 393215 and #a >= 12
}

rule bnd_usage_split4
{
    strings:
        $a = "usage"
    condition:
        $a at 458748 and $a
}

rule bnd_tilecross_nocase
{
    strings:
        $a = "tilecross" nocase
    condition:
        #a >= 20
}

rule bnd_tilecross_case
{
    strings:
        $a = "TiLeCrOsS"
    condition:
        #a >= 15 and #a < 30
}

rule bnd_help_at0
{
    strings:
        $a = "--help"
    condition:
        $a at 0 and #a > 1
}

rule bnd_eof
{
    strings:
        $a = "EOF!"
    condition:
        $a at 2097148 and uint32(2097148) == 0x21464F45 and #a == 1
}

rule bnd_hex_tiles
{
    strings:
        $a = { 55 48 89 E5 }
    condition:
        #a >= 10
}

rule bnd_wide_tiles
{
    strings:
        $a = "usage" wide
    condition:
        #a > 10
}

rule bnd_secret_wide_nocase
{
    strings:
        $a = "secret" wide nocase
    condition:
        #a >= 10
}

rule bnd_quick_fox
{
    strings:
        $a = "The quick brown fox jumps over the lazy dog"
    condition:
        #a > 15
}

rule bnd_jumps_all
{
    strings:
        $a = { 51 52 53 [4-8] 54 55 56 }
        $b = { 57 58 [1-2] 59 [0-2] 5A }
        $c = { 4A 4C [0-3] 4E 4F }
    condition:
        all of them
}

rule bnd_nested_alt
{
    strings:
        $a = { 71 ( 72 ( 73 | 74 74 ) | 75 76 77 ) 78 }
    condition:
        #a >= 20
}

rule bnd_ld_interp
{
    strings:
        $a = "/lib64/ld-linux-x86-64.so.2"
    condition:
        #a > 10 and not ($a in (0..1024))
}

rule bnd_gcc
{
    strings:
        $a = "GCC: (Debian 12.2.0-14) 12.2.0"
    condition:
        #a >= 10
}

// 15 * 65536 - 5
rule bnd_glibc_in
{
    strings:
        $a = "GLIBC_2.34"
    condition:
        $a at 983035 and #a >= 10
}

rule zero_wide_usage
{
    strings:
        $a = "usage" wide fullword
    condition:
        #a >= 5 and uint32(0) == 0
}

rule zero_page_marker
{
    strings:
        $a = "ZeroPage" fullword
    condition:
        #a >= 5
}

rule zero_jump8
{
    strings:
        $a = { 9A [8] 9B }
    condition:
        #a >= 5 and uint32(0) == 0
}

rule zero_wide_help
{
    strings:
        $a = "help" wide nocase fullword
    condition:
        #a >= 5
}

rule zero_usage_eof
{
    strings:
        $a = "usage" fullword
    condition:
        $a at 262139 and #a >= 1
}


// ======================================================================
// Synthetic hex strings: jumps, alternatives, nibbles (09_hexpat.bin)
// ======================================================================
rule hex_fixed_jump_at0
{
    strings:
        $a = { 4A 4B [2] 4C 4D }
    condition:
        $a at 0
}

rule hex_fixed_jump
{
    strings:
        $a = { 4A 4B [2] 4C 4D }
    condition:
        #a >= 7
}

rule hex_range_0_3
{
    strings:
        $a = { 4A 4C [0-3] 4E 4F }
    condition:
        #a >= 12
}

rule hex_range_4_8
{
    strings:
        $a = { 51 52 53 [4-8] 54 55 56 }
    condition:
        #a >= 15
}

rule hex_two_jumps
{
    strings:
        $a = { 57 58 [1-2] 59 [0-2] 5A }
    condition:
        #a >= 18
}

rule hex_fixed_8
{
    strings:
        $a = { 9A [8] 9B }
    condition:
        $a
}

rule hex_jump_5_9
{
    strings:
        $a = { B1 B2 B3 [5-9] B4 B5 B6 }
    condition:
        #a >= 6
}

rule hex_wild_jump
{
    strings:
        $a = { C1 C2 ?? ?? [0-2] C3 C4 }
    condition:
        #a >= 9
}

rule hex_alt_len
{
    strings:
        $a = { 61 62 ( 63 | 64 65 ) 66 }
    condition:
        #a >= 6
}

rule hex_alt_nested
{
    strings:
        $a = { 71 ( 72 ( 73 | 74 74 ) | 75 76 77 ) 78 }
    condition:
        #a >= 9
}

rule hex_alt_prefix
{
    strings:
        $a = { A0 ( A1 | A1 A2 ) A3 }
    condition:
        #a >= 6
}

rule hex_alt_repeat
{
    strings:
        $a = { D0 ( D1 | D1 D1 ) D2 }
    condition:
        #a >= 6
}

rule hex_alt_wild_nibble
{
    strings:
        $a = { E0 ( E1 ?? | 2? E2 E3 | E4 ) E5 }
    condition:
        #a >= 12
}

// 6A 6B 6C 6C: both jump 0 and jump 1 fit; the shortest (length 3) is reported
rule hex_prio_jump
{
    strings:
        $a = { 6A 6B [0-2] 6C }
    condition:
        #a >= 6
}

// 8A 8B 8C 8D 8D: both alternatives fit; the first (length 4) is reported
rule hex_prio_alt
{
    strings:
        $a = { 8A ( 8B | 8B 8C ) ?? 8D }
    condition:
        #a >= 6
}

rule hex_nibbles
{
    strings:
        $a = { 99 4? ?A 88 }
    condition:
        #a >= 6
}

rule hex_mixed
{
    strings:
        $a = { 3C ?? 3D [1-3] ( 3E | 3F 3F ) 40 }
    condition:
        #a >= 9
}

rule hex_ascii_like
{
    strings:
        $a = { 7A 7B 7C 7D }
    condition:
        $a
}

rule hex_alt3_eof
{
    strings:
        $a = { EE ( EF | F0 F1 | F2 F3 F4 ) EE }
    condition:
        $a at 327752
}

rule hex_alt3
{
    strings:
        $a = { EE ( EF | F0 F1 | F2 F3 F4 ) EE }
    condition:
        #a >= 9
}

rule hex_alt_prefix_eofish
{
    strings:
        $a = { A0 ( A1 | A1 A2 ) A3 }
    condition:
        $a in (327740..327757)
}

rule hex_set_n_of
{
    strings:
        $a1 = { 4A 4B [2] 4C 4D }
        $a2 = { 4A 4C [0-3] 4E 4F }
        $b = { A0 ( A1 | A1 A2 ) A3 }
    condition:
        2 of ($a*, $b)
}

rule hex_all_synthetic
{
    strings:
        $ = { 4A 4B [2] 4C 4D }
        $ = { 4A 4C [0-3] 4E 4F }
        $ = { 51 52 53 [4-8] 54 55 56 }
        $ = { 57 58 [1-2] 59 [0-2] 5A }
        $ = { 9A [8] 9B }
        $ = { B1 B2 B3 [5-9] B4 B5 B6 }
        $ = { C1 C2 ?? ?? [0-2] C3 C4 }
        $ = { 61 62 ( 63 | 64 65 ) 66 }
        $ = { 71 ( 72 ( 73 | 74 74 ) | 75 76 77 ) 78 }
        $ = { E0 ( E1 ?? | 2? E2 E3 | E4 ) E5 }
    condition:
        all of them
}

rule hex_none_synthetic
{
    strings:
        $a = { 4A 4B [2] 4C 4D }
        $b = { 57 58 [1-2] 59 [0-2] 5A }
        $c = { EE ( EF | F0 F1 | F2 F3 F4 ) EE }
    condition:
        none of them
}

rule hex_in_first_kb
{
    strings:
        $a = { 4A 4C [0-3] 4E 4F }
    condition:
        $a in (0..1024)
}

rule hex_jump_straddle
{
    strings:
        $a = { 4A 4C [0-3] 4E 4F }
    condition:
        $a in (4096 .. 4200) or #a > 20
}

rule hex_nibble_low
{
    strings:
        $a = { 4A 4? ?? 4C 4D }
    condition:
        $a
}

rule hex_wide_like
{
    strings:
        $a = { 75 00 73 00 61 00 67 00 65 00 }
    condition:
        #a >= 3
}

rule hex_wide_like_alt
{
    strings:
        $a = { 75 00 ( 73 | 53 ) 00 61 00 ( 67 | 47 ) 00 65 00 }
    condition:
        #a >= 3
}

rule hex_mz_header
{
    strings:
        $a = { 4D 5A 90 00 03 00 00 00 }
    condition:
        $a at 0 and #a == 1
}

rule hex_pe_machine
{
    strings:
        $a = { 50 45 00 00 64 86 }
    condition:
        $a in (0x40..0x200)
}

// 78 bytes: yara -s prints only the first 64 bytes of hex data, then "..."
rule hex_long_mz_stub
{
    strings:
        $a = { 4D 5A 90 00 03 00 00 00 04 00 00 00 FF FF 00 00 B8 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 00 00 00 0E 1F BA 0E 00 B4 09 CD 21 B8 01 4C CD 21 }
    condition:
        $a
}

rule hex_long_wild
{
    strings:
        $a = { 0E 1F BA 0E 00 B4 09 CD 21 B8 01 4C CD 21 54 68 69 73 20 70 72 6F 67 72 61 6D ?? 63 61 6E 6E 6F 74 20 62 65 20 72 75 6E 20 69 6E 20 44 4F 53 20 6D 6F 64 65 2E 0D 0D 0A 24 [0-8] 50 45 00 00 }
    condition:
        $a
}

rule hex_elf_ident
{
    strings:
        $a = { 7F 45 4C 46 02 01 01 }
    condition:
        $a at 0 and #a >= 1
}

rule hex_elf_ident_nibble
{
    strings:
        $a = { 7F 45 4C 46 0? 01 ?1 00 }
    condition:
        $a at 0
}


// ======================================================================
// x86-64 code patterns (12_elf.bin, 11_mz.exe, binaries)
// ======================================================================
rule x86_prologue : x86
{
    strings:
        $a = { 55 48 89 E5 }
    condition:
        $a
}

rule x86_endbr64 : x86
{
    strings:
        $a = { F3 0F 1E FA }
    condition:
        #a > 1
}

rule x86_pad_ret
{
    strings:
        $a = { C3 66 2E 0F 1F 84 00 00 00 00 00 }
    condition:
        #a > 10
}

rule x86_nop5
{
    strings:
        $a = { 0F 1F 44 00 00 }
    condition:
        #a > 100
}

rule x86_call_back
{
    strings:
        $a = { E8 ?? ?? FF FF }
    condition:
        #a > 1000
}

rule x86_lea_rdi
{
    strings:
        $a = { 48 8D 3D ?? ?? ?? 00 }
    condition:
        $a
}

rule x86_store_rsp
{
    strings:
        $a = { 48 89 ?4 24 }
    condition:
        #a > 100
}

rule x86_push_r1x
{
    strings:
        $a = { 41 5? 41 5? 41 }
    condition:
        #a > 50
}

rule x86_xor_ret
{
    strings:
        $a = { 31 C0 ( 5B | 5D | 48 83 C4 ?? ) C3 }
    condition:
        #a > 5
}

rule x86_mov_call
{
    strings:
        $a = { 48 8B 7? ?? [0-4] E8 }
    condition:
        #a > 20
}

rule x86_call_store
{
    strings:
        $a = { E8 ?? ?? ?? ?? 48 89 ?? 24 }
    condition:
        $a
}

rule x86_sub_rsp
{
    strings:
        $a = { 48 83 EC ( 08 | 18 | 28 | 38 ) 48 }
    condition:
        $a
}

rule x86_mov_rax_rbp
{
    strings:
        $a = { 48 8B 45 ?? 48 }
    condition:
        $a
}

rule x86_test_je
{
    strings:
        $a = { 48 85 C0 74 ?? 48 }
    condition:
        #a > 10
}

rule x86_ret_nopl
{
    strings:
        $a = { C3 0F 1F 40 00 }
    condition:
        $a
}

rule x86_rip_mov
{
    strings:
        $a = { 48 8B 05 ?? ?? ?? 00 }
    condition:
        #a > 10
}

rule x86_mov_edi_call
{
    strings:
        $a = { BF ?? ?? ?? 00 E8 }
    condition:
        $a
}

rule x86_plt_jmp
{
    strings:
        $a = { FF 25 ?? ?? ?? 00 }
    condition:
        $a
}

rule x86_epilogue
{
    strings:
        $a = { 48 83 C4 ?? 5B 5D C3 }
    condition:
        $a
}

rule x86_canary_load
{
    strings:
        $a = { 64 48 8B 04 25 28 00 00 00 }
    condition:
        $a
}

rule x86_canary_check
{
    strings:
        $a = { 64 48 2B ?? 25 28 00 00 00 }
    condition:
        $a
}

rule x86_leave_ret_pad
{
    strings:
        $a = { C9 C3 ( 90 | CC | 66 | 0F ) ?? 00 }
    condition:
        $a
}

rule x86_mixed_nibbles
{
    strings:
        $a = { 48 8? ?4 24 ?? E8 }
    condition:
        $a
}

rule x86_call_pair
{
    strings:
        $a = { E8 ?? ?? ?? ?? [0-3] E8 ?? ?? FF FF }
    condition:
        #a > 3
}

rule x86_code_elf
{
    condition:
        is_elf and x86_prologue and x86_endbr64
}

rule x86_code_any
{
    strings:
        $a = { 55 48 89 E5 }
        $b = { F3 0F 1E FA }
        $c = { 0F 1F 44 00 00 }
        $d = { 31 C0 ( 5B | 5D ) C3 }
    condition:
        2 of them
}


// ======================================================================
// Counts, offsets and string sets
// ======================================================================
rule cnt_help_small
{
    strings:
        $a = "--help"
    condition:
        #a < 3 and #a > 0
}

rule cnt_copyright_le
{
    strings:
        $a = "Copyright"
    condition:
        $a and #a <= 2
}

rule cnt_the_many
{
    strings:
        $a = "the" fullword
    condition:
        #a > 1000
}

rule cnt_usage_zero
{
    strings:
        $a = "usage" nocase
    condition:
        #a == 0
}

rule cnt_ge_lt
{
    strings:
        $a = "error" nocase
    condition:
        #a >= 100 and #a < 100000
}

rule off_pe_in
{
    strings:
        $a = "PE\x00\x00"
    condition:
        $a in (0x40..0x200)
}

rule off_stub_dec
{
    strings:
        $a = "This program cannot be run in DOS mode."
    condition:
        $a in (64..128)
}

rule off_stub_at
{
    strings:
        $a = "This program cannot be run in DOS mode."
    condition:
        $a at 78 and $a
}

rule off_text_sec_at
{
    strings:
        $a = ".text"
    condition:
        $a at 392 and #a <= 2
}

rule off_kernel32_in
{
    strings:
        $a = "KERNEL32.dll" nocase
    condition:
        $a in (0x7000..0x8000)
}

rule off_product_version
{
    strings:
        $a = "ProductVersion" wide
    condition:
        $a in (65500..65536)
}

rule set_any_prefix
{
    strings:
        $x1 = "usage"
        $x2 = "Usage"
        $y = "USAGE"
    condition:
        any of ($x*) and $y
}

rule set_all_prefix
{
    strings:
        $w1 = "Microsoft Corporation" wide
        $w2 = "CompanyName" wide
        $w3 = "FileDescription" wide
        $n = "KERNEL32.dll"
    condition:
        all of ($w*) and $n
}

rule set_none_prefix
{
    strings:
        $h1 = { 4A 4B [2] 4C 4D }
        $h2 = { 9A [8] 9B }
        $t = "the"
    condition:
        none of ($h*) and $t
}

rule set_n_mixed
{
    strings:
        $a1 = "GetProcAddress"
        $a2 = "LoadLibraryA"
        $a3 = "VirtualAlloc"
        $b = "ExitProcess"
    condition:
        2 of ($a*, $b)
}

rule set_anon_all
{
    strings:
        $ = "GLIBC_2.34"
        $ = "__libc_start_main"
        $ = "libc.so.6"
    condition:
        all of them
}

rule set_anon_n
{
    strings:
        $ = "malloc"
        $ = "memcpy"
        $ = "strlen"
        $ = "fprintf"
        $ = "getenv"
    condition:
        3 of them
}

rule set_one_of_many
{
    strings:
        $a = "zzzzzzzz"
        $b = "tilecross" nocase
        $c = "hunter2"
    condition:
        1 of them
}


// ======================================================================
// Fixed-offset strings: literal strings used only as $a at N
// ======================================================================
// yara reports only the match at N for these (specrt does the same).
// 06_boundaries.bin has 15 "usage": only 0x5ffff is reported
rule fixed_text_at
{
    strings:
        $a = "usage"
    condition:
        $a at 393215
}

rule fixed_nocase_at
{
    strings:
        $a = "tilecross" nocase
    condition:
        $a at 655356
}

rule fixed_wide_at
{
    strings:
        $a = "usage" wide fullword
    condition:
        $a at 0
}

rule fixed_ascii_wide_at
{
    strings:
        $a = "Copyright" ascii wide
    condition:
        $a at 45051
}

rule fixed_hex_literal_at
{
    strings:
        $a = { 55 48 89 E5 }
    condition:
        $a at 53245
}

rule fixed_same_offset_twice
{
    strings:
        $a = "BoundaryMarker"
    condition:
        $a at 65529 and $a at 65529
}

// True on 06_boundaries.bin, and no string is printed: there is no match at 1
rule fixed_not_at
{
    strings:
        $a = "--help"
    condition:
        not ($a at 1) and filesize == 2MB
}

// Two offsets: not fixed, all matches reported
rule fixed_two_offsets
{
    strings:
        $a = "usage"
    condition:
        $a at 393215 or $a at 458748
}

// Not literal: all matches reported
rule fixed_hex_wild_at
{
    strings:
        $a = { 4A 4B ?? 22 4C 4D }
    condition:
        $a at 0
}

// Not literal: all matches reported
rule fixed_hex_alt_at
{
    strings:
        $a = { 4A ( 4B | 4C ) 11 22 4C 4D }
    condition:
        $a at 0
}


// ======================================================================
// filesize
// ======================================================================
rule fs_empty
{
    condition:
        filesize == 0
}

rule fs_tiny
{
    condition:
        filesize > 0 and filesize < 4
}

rule fs_lt_8kb
{
    condition:
        filesize < 8KB
}

rule fs_exact_2mb
{
    condition:
        filesize == 2MB
}

rule fs_range
{
    condition:
        filesize > 100KB and filesize <= 1MB
}

rule fs_big
{
    condition:
        filesize >= 5MB
}

rule fs_ne
{
    condition:
        filesize != 70000 and filesize < 100000
}

rule fs_le_64kb
{
    condition:
        filesize <= 64KB and filesize >= 1
}

rule fs_hex_literal
{
    condition:
        filesize == 0x11170
}

rule fs_kb_exact
{
    condition:
        filesize == 256KB
}

rule fs_gt_mb
{
    condition:
        filesize > 1MB and filesize < 2MB
}


// ======================================================================
// Rule references (private and public)
// ======================================================================
private rule has_usage_text
{
    strings:
        $a = "usage" nocase fullword
    condition:
        $a
}

private rule has_help_opt
{
    strings:
        $a = "--help"
    condition:
        $a
}

rule ref_cli_tool
{
    condition:
        has_usage_text and has_help_opt
}

rule ref_cli_elf
{
    condition:
        ref_cli_tool and is_elf
}

rule ref_elf_no_help
{
    condition:
        is_elf and not has_help_opt
}

rule ref_or
{
    condition:
        hdr_mz or hdr_elf
}

rule ref_chain
{
    condition:
        ref_cli_elf and (x86_prologue or x86_endbr64)
}

rule ref_text_only
{
    condition:
        not is_elf and not is_mz and has_usage_text and filesize > 1MB
}

rule ref_neither
{
    condition:
        not (hdr_mz or hdr_elf) and filesize > 0
}

rule ref_with_strings
{
    strings:
        $a = "GLIBC_2.34"
    condition:
        $a and ref_cli_elf
}

rule ref_global
{
    condition:
        any_file and fs_tiny
}

rule ref_nested_not
{
    condition:
        not (ref_cli_tool and not is_elf)
}


// ======================================================================
// UTF-16 text (05_utf16le.txt, 10_wide.bin)
// ======================================================================
rule w16_words
{
    strings:
        $a = "license" wide
        $b = "software" wide
    condition:
        all of them
}

rule w16_latin1
{
    strings:
        $a = { 20 00 E9 00 ?? 00 }
    condition:
        #a > 100
}

rule w16_cjk
{
    strings:
        $a = { 2D 4E ?? 00 }
    condition:
        $a
}

rule w16_euro
{
    strings:
        $a = { AC 20 ?? 00 }
    condition:
        #a > 10
}

rule w16_phrase
{
    strings:
        $a = "Free Software Foundation" wide
    condition:
        $a
}

rule w16_fw_nocase
{
    strings:
        $a = "COPYRIGHT" wide nocase fullword
    condition:
        #a > 100
}

rule w16_ascii_absent
{
    strings:
        $a = "Copyright" ascii
        $b = "Copyright" wide
    condition:
        #a == 0 and $b
}

rule w16_odd_alignment
{
    strings:
        $a = "usage Copyright help" wide
    condition:
        $a
}

rule w16_company
{
    strings:
        $a = "Microsoft Corporation" wide
        $b = "Microsoft Corporation" wide nocase fullword
    condition:
        $a and $b
}

rule w16_crlf
{
    strings:
        $a = "value\r\n" wide
    condition:
        $a
}


// ======================================================================
// Text corpus (04_text.txt)
// ======================================================================
rule txt_usage_phrase
{
    strings:
        $a = "Usage: prog [OPTION]... [FILE]..."
    condition:
        #a > 10
}

rule txt_secret_token
{
    strings:
        $a = "secret_token" fullword
        $b = "hunter2" fullword
    condition:
        $a and $b
}

rule txt_glued
{
    strings:
        $a = "usagehelp" nocase
        $b = "helpusage" nocase
        $c = "errorversion" nocase
    condition:
        any of them
}

rule txt_report
{
    strings:
        $a = "Report bugs to <bugs@example.org>."
    condition:
        $a
}

rule txt_mixed_case
{
    strings:
        $a = "Usage" nocase
        $b = "USAGE"
    condition:
        #a > 100 and #b > 0
}



// ======================================================================
// Integer expressions: arithmetic, bitwise operators, nested and signed reads
// ======================================================================
// ELF64 program headers: e_phoff (8 bytes at 32, read as its low half), then
// the first header's p_type behind it.
rule expr_elf_first_phdr_type
{
    condition:
        is_elf and uint8(4) == 2 and
        uint32(uint32(32) + 0) >= 1 and uint32(uint32(32)) <= 0x70000000
}

rule expr_elf_phdr_count_times_size
{
    condition:
        is_elf and uint16(56) * uint16(54) + uint32(32) <= filesize
}

// int16 of a byte pair whose high bit is set in most ELF e_machine fields is
// still positive (0x3E): signed and unsigned agree there.
rule expr_signed_machine
{
    condition:
        is_elf and int16(18) == uint16(18) and int8(4) == 2
}

// Bytes >= 0x80 read signed are negative.
rule expr_signed_negative_byte
{
    condition:
        int8(0) < 0 or int16be(0) < -1000 or int32(filesize - 4) < 0
}

rule expr_bitwise
{
    condition:
        is_elf and (uint8(5) | 0x10) == 0x11 and (uint8(5) & 0xfe) == 0 and
        (uint8(5) ^ 3) == 2 and ~0 == -1 and (1 << 4) == 16 and (256 >> 4) == 16
}

rule expr_shifts_past_width
{
    condition:
        (1 << 64) == 0 and (-8 >> 1) == -4 and (-1 >> 70) == 0
}

rule expr_division
{
    condition:
        filesize \ 2 * 2 + filesize % 2 == filesize and -7 \ 2 == -3 and -7 % 2 == -1
}

// Division by zero is undefined: neither comparison holds (a constant zero
// divisor is a compile error, as in yara).
rule expr_division_by_zero
{
    condition:
        filesize \ (filesize - filesize) == 0 or filesize % (filesize - filesize) != 0
}

rule expr_not_division_by_zero
{
    condition:
        not (filesize \ (filesize * 0) == 1)
}

rule expr_precedence
{
    condition:
        2 + 3 * 4 == 14 and (2 + 3) * 4 == 20 and 1 | 2 ^ 3 & 4 == 3 and
        - -5 == 5 and 10 - 4 - 3 == 3 and 64 \ 4 \ 2 == 8
}

rule expr_read_offset_undefined
{
    condition:
        uint8(filesize) == 0 or uint32(-1) == 0 or uint16(filesize - 1) == 0
}

rule expr_last_byte
{
    condition:
        uint8(filesize - 1) == 0
}

rule expr_at_constant_expression
{
    strings:
        $elf = { 7F 45 4C 46 }
    condition:
        $elf at 0x10 - 0x10 and $elf in (0 * 4..4 - 4)
}

rule expr_count_arithmetic
{
    strings:
        $a = "GLIBC_2."
    condition:
        #a * 2 - 1 > 10 and #a % 1000 == #a
}

// The shape of many public rules: the PE optional header's Subsystem, read
// signed through the header offset at 0x3C.
rule expr_pe_console_subsystem
{
    strings:
        $dos = "This program cannot be run in DOS mode"
    condition:
        uint16(0) == 0x5A4D and int16(uint32(0x3C) + 0x5c) == 0x0003 and $dos
}

rule expr_pe_native_subsystem
{
    condition:
        uint16(0) == 0x5A4D and int16(uint32(0x3C) + 0x5c) == 0x0001
}

// ======================================================================
// xor and base64 string modifiers (tests/yara/gen_corpus.c: 14_encoded.bin)
// ======================================================================
rule mod_xor_every_key
{
    strings:
        $a = "evil.example/payload" xor
    condition:
        #a == 7
}

rule mod_xor_range
{
    strings:
        $a = "evil.example/payload" xor(0x01-0x7f)
    condition:
        $a
}

rule mod_xor_one_key
{
    strings:
        $a = "evil.example/payload" xor(0x5a)
    condition:
        $a
}

rule mod_xor_wide
{
    strings:
        $a = "evil.example" xor wide
    condition:
        $a
}

rule mod_xor_ascii_wide
{
    strings:
        $a = "evil.example" xor(0x20-0xff) ascii wide
    condition:
        $a
}

rule mod_xor_fullword
{
    strings:
        $a = "payload" xor fullword
    condition:
        $a
}

rule mod_base64
{
    strings:
        $a = "This program cannot" base64
    condition:
        $a
}

rule mod_base64wide
{
    strings:
        $a = "This program cannot" base64wide
    condition:
        $a
}

rule mod_base64_both
{
    strings:
        $a = "program cannot be" base64 base64wide
    condition:
        #a >= 3
}

rule mod_base64_custom_alphabet
{
    strings:
        $a = "secret token" base64("!@#$%^&*(){}[].,|ABCDEFGHIJ\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu")
    condition:
        $a
}

rule mod_base64_of_wide
{
    strings:
        $a = "cannot" base64 wide
    condition:
        $a
}

rule mod_base64_short
{
    strings:
        $a = "ab" base64
    condition:
        #a > 0
}

// ======================================================================
// Match offsets and lengths, counts in ranges, loops
// (yara 4.2.3 fails with an internal error on `#x in (lo..hi)` with lo > 0,
// so ranges of counts start at 0 here)
// ======================================================================
rule loop_first_offsets
{
    strings:
        $a = "GLIBC_2."
    condition:
        @a[1] < @a[2] and @a == @a[1] and !a[1] == 8 and !a == 8
}

rule loop_last_offset_in_file
{
    strings:
        $a = "GLIBC_2."
    condition:
        @a[#a] + !a[#a] <= filesize
}

rule loop_all_matches_increase
{
    strings:
        $a = "usage" nocase
    condition:
        #a > 2 and for all i in (2..#a) : (@a[i] > @a[i - 1])
}

rule loop_any_match_near_end
{
    strings:
        $a = "usage" nocase
    condition:
        for any i in (1..#a) : (@a[i] > filesize - 100)
}

rule loop_count_in_first_half
{
    strings:
        $a = "GLIBC_2."
    condition:
        #a in (0..filesize \ 2) * 2 >= #a and #a in (0..filesize) == #a
}

rule loop_at_expression
{
    strings:
        $elf = { 7F 45 4C 46 }
        $a = "GLIBC_2."
    condition:
        $elf at filesize - filesize and $a at @a[1] and $a in (@a[1]..@a[1] + 1)
}

rule loop_past_offsets_undefined
{
    strings:
        $a = "GLIBC_2."
    condition:
        @a[#a + 1] == 0 or @a[0] == 0 or !a[-1] == 0
}

rule loop_for_of_offsets
{
    strings:
        $a = "GLIBC_2."
        $b = "GCC: ("
        $c = ".text"
    condition:
        for all of them : (@ > 0 and # >= 1 and ! > 4 and $ at @[1])
}

rule loop_for_any_of_set
{
    strings:
        $a = "usage"
        $b = "Usage"
        $c = "USAGE"
    condition:
        for any of ($a, $b, $c) : (# > 1 and @[1] < 0x10000)
}

rule loop_for_two_of
{
    strings:
        $a = "usage"
        $b = "Usage"
        $c = "USAGE"
    condition:
        for 2 of ($a, $b, $c) : ($)
}

rule loop_percent_of
{
    strings:
        $a = "usage"
        $b = "Usage"
        $c = "USAGE"
        $d = "u-s-a-g-e"
    condition:
        50% of them and not 75% of them
}

rule loop_nested_ranges
{
    condition:
        filesize > 64 and
        for any i in (0..3) : (for all j in (0..1) : (uint8(i * 2 + j) != 0xff))
}

rule loop_list_of_values
{
    condition:
        for any v in (0x7F, 0x4D, 0x00) : (uint8(0) == v)
}

// yara 4.2.3 holds every `for none ... : (...)` loop true whatever its body (YARA-X and
// specrt count the values that satisfy it): the body here is never true, where all agree.
rule loop_none_range
{
    condition:
        for none i in (0..15) : (uint8(i) == 0xCC and i > 15)
}

rule loop_undefined_bound
{
    condition:
        for any i in (0..uint32(filesize)) : (true)
}

// ======================================================================
// defined, private strings, rule sets in `of`
// ======================================================================
rule def_read_in_file
{
    condition:
        defined uint8(0) and not defined uint8(filesize) and defined (filesize \ 1)
}

rule def_undefined_offset
{
    strings:
        $a = "GLIBC_2."
    condition:
        not defined @a[#a + 1] and defined @a[1]
}

rule priv_strings
{
    strings:
        $shown = "GLIBC_2."
        $hidden = "GCC: (" private
        $hidden_hex = { 7F 45 4C 46 } private
    condition:
        $shown and $hidden and $hidden_hex at 0
}

rule priv_only
{
    strings:
        $a = "usage" private nocase
    condition:
        #a > 1
}

rule set_any_of_rules
{
    condition:
        any of (def_read_in_file, priv_only)
}

rule set_all_of_prefix
{
    condition:
        all of (priv_*) and 1 of (def_*, set_any_of_rules)
}

rule set_none_of_rules
{
    condition:
        none of (priv_strings, def_undefined_offset) and filesize > 0
}

// ======================================================================
// Regular-expression strings and `matches` (corpus: 14_regex.txt)
// ======================================================================
rule re_url { strings: $a = /https?:\/\/[a-z0-9.\-]+\.(com|org|net)(\/[a-z0-9.\/?=_]*)?/ condition: $a }
rule re_url_nocase { strings: $a = /HTTP:\/\/[A-Z.]+/ nocase condition: #a > 2 }
rule re_email { strings: $a = /[a-z0-9._]+@[a-z0-9.]+\.[a-z]{2,4}/ nocase condition: any of them }
rule re_registry { strings: $a = /Software\\Microsoft\\Windows\\CurrentVersion\\Run(Once)?/ nocase condition: $a }
rule re_powershell { strings: $a = /powershell(\.exe)?\s+-(nop|w|enc|EncodedCommand)/ nocase ascii wide condition: $a }
rule re_version { strings: $a = /v(er(sion)?)? ?[0-9]+\.[0-9]+(\.[0-9]+)?/ $b = /build-\d{4}-\d\d-\d\d/ condition: any of them }
rule re_lazy { strings: $a = /cmd\.exe.{1,30}?admin/ $b = /net user \w+ \S+/ condition: all of them }
rule re_greedy_dot { strings: $a = /id=7.*7/ condition: $a }
rule re_counts { strings: $a = /\d{4}-\d{4}/ $b = /[0-9]{10,}/ condition: #a >= 3 and #b > 0 and @a[1] < @b[1] + 1000000 }
rule re_repeat_group { strings: $a = /(abc){2,3}/ $b = /x(abc)+x/ condition: any of them }
rule re_alternation { strings: $a = /<(script|SCRIPT)[^>]*>/ condition: $a }
rule re_fullword { strings: $a = /id=\d+/ fullword condition: $a }
rule re_anchor_start { strings: $a = /^MZ[a-z]+/ condition: $a at 0 }
rule re_anchor_end { strings: $a = /END\.$/ condition: $a }
rule re_boundary_at_start { strings: $a = /\b\x7fELF/ $b = /\b(\x7fELF|MZ)\x02/ condition: any of them }
rule re_wide_boundary { strings: $a = /\busage\b/ wide $b = /\bhelp/ wide ascii $c = /version\b/ nocase wide $d = /last version\b/ wide condition: any of them }
rule re_wide_not_boundary { strings: $a = /\Busage/ wide $b = /usage\B/ wide $c = /\Bversion\B/ wide $d = /Copyright\B/ nocase wide condition: any of them }
rule re_not_boundary { strings: $a = /\Bhelp/ $b = /help\B/ $c = /\Busage\b/ nocase condition: any of them }
rule re_wide_only { strings: $a = /wide\.example\.(org|com)/ wide condition: $a }
rule re_long_run { strings: $a = /[a-z]+1234 tail/ condition: !a[1] > 4000 }
rule re_escapes { strings: $a = /foo\\[nr]bar/ $b = /foo.bar/ $c = /foo\x2ebar/ condition: any of them }
rule re_dot_all { strings: $a = /whoami.{1,200}net user/s condition: $a }
rule re_no_literal { strings: $a = /[0-9]{3}\x2d[0-9]{4}/ $b = /[A-Z][a-z]+[A-Z][a-z]+/ condition: any of them }
rule re_private { strings: $a = /evil\.example\.com/ private $b = /cut\.example/ condition: $a and $b }
rule re_cut { strings: $a = /http:\/\/cut\.example\.com\/q/ $b = /v7\.7\.7/ condition: #a == 7 and #b == 7 }
rule re_bounded_jump { strings: $a = /GET [^ ]{1,40} HTTP/ condition: $a }
rule re_class_shorthand { strings: $a = /[\w.]+@[\w]+/ condition: #a > 1 }
rule re_braces_literal { strings: $a = /a{b|id=7{1,2};/ condition: $a }
rule re_matches_op { condition: "abc123" matches /[a-z]+\d+/ and not ("ABC" matches /abc/) and "ABC" matches /abc/i }
rule re_in_range { strings: $a = /Admin\.Root@[a-z.]+/ nocase condition: $a in (0..4096) and for any i in (1..#a) : (!a[i] >= 20) }

// Hex strings whose jumps and alternatives multiply past 1,024 fixed patterns: matched as
// expressions (alternatives in order, shortest jumps first), as yara does.
rule hex_many_jumps { strings: $h = { 68 74 74 70 [0-20] 63 75 74 [0-20] 63 6F 6D [0-5] 2F } condition: #h == 7 }
rule hex_many_alternatives { strings: $h = { 48 8B ( 45 | 4D | 55 | 5D ) [0-8] ( E8 | FF ) [1-6] ( 48 | 4C ) 8B [0-4] C3 } condition: $h }
rule hex_many_nibbles { strings: $h = { 7F 45 4C 46 [0-30] 0? [0-30] ( 3E | B7 | F3 ) [0-12] 01 } condition: $h at 0 }
rule re_negated_class_nocase { strings: $a = /id=[^a-z]+;/ nocase $b = /id=[^a-z ]{2}[^0-9]/i condition: any of them }
rule re_alternation_order { strings: $a = /x(abca|ab)/ $b = /a(bc|b)+x/ condition: any of them }
rule re_empty_matches_dropped { strings: $a = /(abc)?(def)?/ condition: $a }

// Hex strings cut at jumps over 200 bytes or unbounded ones ([n-], [-]): the parts are found
// separately and joined with their gaps after the scan, as yara chains them. Each match runs
// from a head match to the nearest tail match that a chain of parts reaches. (Parts are rare
// enough here for yara, which compares every pair of pending part matches.)
rule chain_unbounded { strings: $a = { 7F 45 4C 46 [-] 47 4C 49 42 43 5F 32 } condition: $a }
rule chain_unbounded_min { strings: $a = { 7F 45 4C 46 [300-] 2E 74 65 78 74 } condition: #a == 1 and @a[1] == 0 and !a[1] > 300 }
rule chain_three_parts { strings: $a = { 2E 73 6F 2E [100-300] 47 4C 49 42 43 5F [250-] 2E 74 65 78 74 } condition: $a }
rule chain_bounded { strings: $a = { 6C 69 62 [500-700] 47 4C 49 42 43 } condition: #a > 3 }
rule chain_fixed_gap { strings: $a = { 2E 73 6F 2E [100-300] 47 4C 49 42 43 5F } condition: #a > 1 and !a[1] > 0 }
rule chain_at_zero { strings: $a = { 7F 45 4C 46 [1000-] 2E 74 65 78 74 } condition: $a at 0 }
rule chain_alternatives { strings: $a = { ( 47 4C 49 42 | 47 43 43 ) [300-] ( 2E 73 6F | 6C 69 62 ) } condition: $a }
rule chain_in_range { strings: $a = { 2E 74 65 78 74 [-] 2E 64 61 74 61 } condition: $a in (0..filesize) }
rule chain_private { strings: $a = { 47 4C 49 42 43 [300-] 5F 5F 63 78 61 } private condition: #a > 2 }
rule chain_short_jumps_in_parts { strings: $a = { 2E 73 6F [1-3] 36 [201-] 47 4C 49 42 [-] 2E 74 65 78 74 [2-5] 00 } condition: $a }
rule chain_expression_part { strings: $a = { 2E 74 65 78 74 [0-20] 00 [0-20] 00 [0-20] 00 [400-] 2E 64 ( 61 | 41 ) } condition: $a }
rule chain_long_gap { strings: $a = { 47 4C 49 42 43 [5000-90000] 47 4C 49 42 43 } condition: for any i in (1..#a) : (@a[i] > 1000) }
rule chain_generated { strings: $a = { 63 75 74 [300-] 63 6F 6D } $b = { 68 74 74 70 [201-] 2F 71 } condition: any of them }
