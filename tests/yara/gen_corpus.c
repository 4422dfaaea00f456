/*
 * gen_corpus.c - deterministic corpus for the YARA differential test
 * (tests/yara/differential.yar, scanned by both `yara` and specrt).
 *
 *   gcc -std=c99 -Wall -Wextra -O2 -o gen_corpus tests/yara/gen_corpus.c
 *   ./gen_corpus OUTDIR
 *
 * Everything is derived from fixed seeds (splitmix64, no time(), no rand()),
 * so the same files come out on every machine. About 8.2 MB in 15 files:
 *
 *   00_empty.bin      0 bytes
 *   01_one.bin        1 byte  ("M")
 *   02_three.bin      3 bytes ("MZ\x90": uint16(0) defined, uint32(0) not)
 *   03_random.bin     2 MiB of random bytes behind an 8-byte magic
 *   04_text.txt       ~1.5 MB of text-like ASCII, mixed case, CRLF and LF
 *   05_utf16le.txt    ~1.5 MB of UTF-16LE text (BOM FF FE) with some non-ASCII
 *   06_boundaries.bin 2 MiB: a token straddles every multiple of 4096, special
 *                     tokens (600- and 4096-byte strings, hex jumps) straddle
 *                     every multiple of 65536; "--help" at 0, "EOF!" at the end
 *   07_edges.txt      fullword / escape / offset-0 / end-of-file cases
 *   08_overlap.bin    overlapping repeats ("aaaaaa", "abababab", NOP runs ...)
 *   09_hexpat.bin     every jump length and alternative of the synthetic hex
 *                     strings, plus near misses, some across 4096/65536
 *   10_wide.bin       UTF-16LE words with wide alnum / punctuation neighbours
 *   11_mz.exe         DOS/PE header ("MZ", e_lfanew 0x80, "PE\0\0" 0x8664)
 *   12_elf.bin        ELF64 x86-64 header, .interp, dynstr, fake x86-64 code,
 *                     rodata usage/help/Copyright strings, .comment, shstrtab
 *   13_zeros.bin      256 KiB of zeros, tokens across each 4096/65536 multiple
 *   14_encoded.bin    XOR-ed (ASCII and wide) and base64-encoded (standard and
 *                     custom alphabets, every alignment, wide output) tokens
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* PRNG                                                                */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static void seed(uint64_t s) { rng_state = s; }

static uint64_t next64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n) { return (uint32_t)(next64() % n); }

/* ------------------------------------------------------------------ */
/* Growable byte buffer                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    unsigned char *p;
    size_t len, cap;
} buf;

static void reserve(buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "gen_corpus: out of memory\n");
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

static void put(buf *b, const void *s, size_t n)
{
    reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void putb(buf *b, unsigned char c) { put(b, &c, 1); }

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* a string literal that may hold NULs, without its terminator */
#define PUTLIT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* ASCII string as UTF-16LE */
static void putw(buf *b, const char *s)
{
    for (; *s; s++) {
        putb(b, (unsigned char)*s);
        putb(b, 0);
    }
}

static void putrand(buf *b, size_t n)
{
    reserve(b, n);
    for (size_t i = 0; i < n; i++)
        b->p[b->len++] = (unsigned char)(next64() >> 56);
}

static void putzeros(buf *b, size_t n)
{
    reserve(b, n);
    memset(b->p + b->len, 0, n);
    b->len += n;
}

/* overwrite bytes inside the buffer (must fit) */
static void plant(buf *b, size_t off, const void *s, size_t n)
{
    if (off + n > b->len) {
        fprintf(stderr, "gen_corpus: plant out of range (%zu+%zu > %zu)\n", off, n, b->len);
        exit(1);
    }
    memcpy(b->p + off, s, n);
}

static const char *outdir;

static void write_file(const char *name, const buf *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    if (b->len && fwrite(b->p, 1, b->len, f) != b->len) {
        perror(path);
        exit(1);
    }
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void reset(buf *b) { b->len = 0; }

/* ------------------------------------------------------------------ */
/* Tokens (byte strings with embedded NULs allowed)                    */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *s;
    size_t n;
} tok;

#define T(lit) { lit, sizeof(lit) - 1 }

/*
 * The long strings of differential.yar ($long600, $long4096): an LCG over
 * [A-Za-z0-9], the same formula as in the comment next to those rules.
 */
static char long600[600], long4096[4096];

static void gen_long(char *out, size_t n, uint32_t x)
{
    static const char alnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++) {
        x = (x * 1103515245u + 12345u) & 0x7FFFFFFFu;
        out[i] = alnum[(x >> 16) % 62];
    }
}

/* Tokens put across the multiples of 4096 in 06_boundaries.bin */
static const tok tile_tokens[] = {
    T("usage"),
    T("--help"),
    T("Copyright"),
    T("GLIBC_2.34"),
    T("__libc_start_main"),
    T("/lib64/ld-linux-x86-64.so.2"),
    T("GCC: (Debian 12.2.0-14) 12.2.0"),
    T(".note.gnu.build-id"),
    T("BoundaryMarker"),
    T("The quick brown fox jumps over the lazy dog"),
    T("u\0s\0a\0g\0e\0"),
    T("C\0o\0p\0y\0r\0i\0g\0h\0t\0"),
    T("TiLeCrOsS"),
    T("\x55\x48\x89\xE5"),
    T("\x4A\x4B\x11\x22\x4C\x4D"),             /* { 4A 4B [2] 4C 4D }     */
    T("\x4A\x4C\x4E\x4F"),                     /* { 4A 4C [0-3] 4E 4F } 0 */
    T("\x4A\x4C\x01\x02\x03\x4E\x4F"),         /*                        3 */
    T("\x51\x52\x53\x10\x11\x12\x10\x11\x54\x55\x56"), /* [4-8]: 5        */
    T("\x61\x62\x64\x65\x66"),                 /* { 61 62 ( 63 | 64 65 ) 66 } */
    T("\x71\x72\x74\x74\x78"),                 /* nested alternative      */
    T("\xA0\xA1\xA2\xA3"),
    T("\xE0\x2B\xE2\xE3\xE5"),
    T("secret_token=hunter2"),
    T("S\0e\0C\0r\0E\0t\0"),
};
#define N_TILE (sizeof tile_tokens / sizeof tile_tokens[0])

/* Tokens put at offset 0 of each 4096 multiple, and across them, in 13_zeros.bin */
static const tok zero_tokens[] = {
    T("u\0s\0a\0g\0e\0"),
    T("usage"),
    T("C\0o\0p\0y\0r\0i\0g\0h\0t\0"),
    T("GLIBC_2.34"),
    T("\x4A\x4C\x01\x4E\x4F"),
    T("\x61\x62\x63\x66"),
    T("BoundaryMarker"),
    T("h\0E\0l\0P\0"),
    T("\x9A\x01\x02\x03\x04\x05\x06\x07\x08\x9B"),
    T("ZeroPage"),
};
#define N_ZERO (sizeof zero_tokens / sizeof zero_tokens[0])

/* ------------------------------------------------------------------ */
/* Text-like data                                                      */
/* ------------------------------------------------------------------ */

static const char *const words[] = {
    "usage", "help", "error", "version", "copyright", "file", "files", "option",
    "options", "invalid", "the", "and", "of", "to", "in", "is", "for", "with",
    "program", "license", "free", "software", "warning", "value", "data", "path",
    "config", "secret", "token", "password", "login", "admin", "hello", "world",
    "foo", "bar", "baz", "alpha", "beta", "gamma", "delta", "memory", "buffer",
    "return", "default", "output", "input", "system", "library", "debug",
    "verbose", "quiet", "force", "update", "remove", "install", "package",
    "archive", "signal", "thread", "process", "kernel", "module", "driver",
    "format", "string", "number", "count", "offset", "length", "tile", "chunk",
    "boundary", "match", "pattern", "scanner", "rule", "condition", "strings",
    "meta", "private", "global", "fullword", "nocase", "wide", "ascii", "usages",
    "helper", "errors", "versions",
};
#define N_WORDS (sizeof words / sizeof words[0])

static const char *const phrases[] = {
    "Usage: prog [OPTION]... [FILE]...",
    "Try 'prog --help' for more information.",
    "Copyright (C) 2023 Free Software Foundation, Inc.",
    "say \"hello\" to C:\\Windows\\System32\\",
    "key\tvalue\r\n",
    "GLIBC_2.34 __libc_start_main",
    "The quick brown fox jumps over the lazy dog",
    "--version",
    "secret_token=hunter2",
    "usage: tool --help",
    "ERROR: invalid option",
    "Report bugs to <bugs@example.org>.",
};
#define N_PHRASES (sizeof phrases / sizeof phrases[0])

static void put_word(buf *b, const char *w)
{
    char tmp[64];
    size_t n = strlen(w);
    memcpy(tmp, w, n);
    uint32_t r = rnd(32);
    for (size_t i = 0; i < n; i++) {
        char c = tmp[i];
        int up = 0;
        if (r < 2)
            up = 1;                      /* USAGE */
        else if (r < 4)
            up = (i == 0);               /* Usage */
        else if (r == 4)
            up = (int)rnd(2);            /* uSaGe */
        if (up && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        tmp[i] = c;
    }
    put(b, tmp, n);
}

static void put_sep(buf *b)
{
    uint32_t r = rnd(100);
    if (r < 55)
        puts_(b, " ");
    else if (r < 62)
        puts_(b, ", ");
    else if (r < 67)
        puts_(b, ". ");
    else if (r < 73)
        puts_(b, "\n");
    else if (r < 76)
        puts_(b, "\r\n");
    else if (r < 78)
        puts_(b, "\t");
    else if (r < 81)
        puts_(b, "_");
    else if (r < 84)
        puts_(b, "-");
    else if (r < 86)
        puts_(b, ": ");
    else if (r < 88)
        puts_(b, " (");
    else if (r < 90)
        puts_(b, ") ");
    else if (r < 92)
        puts_(b, "\"");
    else if (r < 93)
        puts_(b, "'");
    else if (r < 94)
        puts_(b, "/");
    else if (r < 96)
        putb(b, (unsigned char)('0' + rnd(10))); /* word7word */
    else {
        /* nothing: glued words, "usagehelp" */
    }
}

static void gen_text(buf *b, size_t target)
{
    while (b->len < target) {
        if (rnd(200) == 0) {
            puts_(b, "\n");
            puts_(b, phrases[rnd(N_PHRASES)]);
            puts_(b, "\n");
        } else {
            put_word(b, words[rnd(N_WORDS)]);
            put_sep(b);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Fake x86-64 code                                                    */
/* ------------------------------------------------------------------ */

static void put_rel32(buf *b, int backwards)
{
    uint32_t v = rnd(0x8000);
    if (backwards)
        v = (uint32_t)0 - v - 1; /* FF FF .. */
    putb(b, (unsigned char)v);
    putb(b, (unsigned char)(v >> 8));
    putb(b, (unsigned char)(v >> 16));
    putb(b, (unsigned char)(v >> 24));
}

static void gen_code(buf *b, size_t nbytes)
{
    size_t end = b->len + nbytes;
    while (b->len < end) {
        switch (rnd(24)) {
        case 0: puts_(b, "\xF3\x0F\x1E\xFA"); break;                  /* endbr64 */
        case 1: puts_(b, "\x55\x48\x89\xE5"); break;                  /* push rbp; mov rbp,rsp */
        case 2: putb(b, 0xE8); put_rel32(b, (int)rnd(2)); break;    /* call rel32 */
        case 3: puts_(b, "\x48\x8B\x45"); putb(b, (unsigned char)(0xF8 - 8 * rnd(4))); break;
        case 4: puts_(b, "\x48\x83\xEC"); putb(b, (unsigned char)(0x10 * (1 + rnd(4)))); break;
        case 5: puts_(b, "\x48\x8D\x3D"); putb(b, (unsigned char)rnd(256));
                putb(b, (unsigned char)rnd(256)); putb(b, (unsigned char)rnd(4)); putb(b, 0); break;
        case 6: PUTLIT(b, "\x0F\x1F\x44\x00\x00"); break;
        case 7: PUTLIT(b, "\xC3\x66\x2E\x0F\x1F\x84\x00\x00\x00\x00\x00"); break;
        case 8: puts_(b, "\x31\xC0\xC3"); break;
        case 9: puts_(b, "\x31\xC0\x5B\xC3"); break;
        case 10: puts_(b, "\x31\xC0\x48\x83\xC4"); putb(b, (unsigned char)(8 + 16 * rnd(4))); putb(b, 0xC3); break;
        case 11: puts_(b, "\x41\x54\x41\x55\x41\x56"); break;       /* push r12..r14 */
        case 12: puts_(b, "\x48\x89\x44\x24"); putb(b, (unsigned char)(8 * rnd(8))); break;
        case 13: puts_(b, "\x5D\xC3"); break;
        case 14: puts_(b, "\x90"); break;
        case 15: puts_(b, "\x48\x8B\x7D"); putb(b, (unsigned char)(0xF0 + rnd(16))); break;
        case 16: puts_(b, "\x48\x89\xC7"); break;
        case 17: puts_(b, "\x48\x8B\x7C\x24\x08\xE8"); put_rel32(b, 1); break;
        case 18: puts_(b, "\x89\xC6"); break;
        case 19: puts_(b, "\x48\x85\xC0\x74"); putb(b, (unsigned char)rnd(0x7F)); break;
        case 20: putb(b, 0xE8); put_rel32(b, 1); puts_(b, "\x48\x89\x44\x24\x10"); break;
        case 21: puts_(b, "\x48\x8B\x05"); put_rel32(b, 0); break;
        case 22: puts_(b, "\xBF"); put_rel32(b, 0); break;
        default: puts_(b, "\xC9\xC3"); break;                        /* leave; ret */
        }
    }
    b->len = end; /* the last instruction may be cut: that is fine */
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static void make_tiny(buf *b)
{
    reset(b);
    write_file("00_empty.bin", b);
    puts_(b, "M");
    write_file("01_one.bin", b);
    reset(b);
    puts_(b, "MZ\x90");
    write_file("02_three.bin", b);
}

static void make_random(buf *b)
{
    reset(b);
    seed(0x52414E444F4D0001ULL);
    puts_(b, "\x89RND\r\n\x1A\n");
    putrand(b, 2 * 1024 * 1024 - 8);
    write_file("03_random.bin", b);
}

static void make_text(buf *b)
{
    reset(b);
    seed(0x5445585400000004ULL);
    gen_text(b, 1536 * 1024);
    write_file("04_text.txt", b);
}

static void make_utf16(buf *b)
{
    buf t = {0};
    seed(0x5554463136000005ULL);
    gen_text(&t, 760 * 1024);
    reset(b);
    putb(b, 0xFF);
    putb(b, 0xFE);
    for (size_t i = 0; i < t.len; i++) {
        uint32_t r = rnd(400);
        if (r == 0) {
            putb(b, 0xE9); putb(b, 0x00);  /* U+00E9 */
        } else if (r == 1) {
            putb(b, 0xAC); putb(b, 0x20);  /* U+20AC */
        } else if (r == 2) {
            putb(b, 0x2D); putb(b, 0x4E);  /* U+4E2D */
        }
        putb(b, t.p[i]);
        putb(b, 0);
    }
    free(t.p);
    write_file("05_utf16le.txt", b);
}

/* chunk-boundary specials for 06_boundaries.bin: token and how many of its
   bytes lie before the multiple of 65536 */
typedef struct {
    tok t;
    size_t before;
} straddle;

static void make_boundaries(buf *b)
{
    const size_t size = 2 * 1024 * 1024;
    reset(b);
    seed(0x424F554E44000006ULL);
    putrand(b, size);

    /* every multiple of 4096 that is not a multiple of 65536 */
    for (size_t k = 1; k < size / 4096; k++) {
        size_t at = k * 4096;
        if (at % 65536 == 0)
            continue;
        const tok *t = &tile_tokens[k % N_TILE];
        size_t before = 1 + (k * 5 + k / N_TILE) % (t->n - 1);
        plant(b, at - before, t->s, t->n);
    }

    /* every multiple of 65536 */
    const straddle specials[] = {
        {T("BoundaryMarker"), 7},                                   /* 65536   */
        {{long600, sizeof long600}, 300},                           /* 131072  */
        {{long4096, sizeof long4096}, 2048},                        /* 196608  */
        {T("\xB1\xB2\xB3\x01\x02\x03\x04\x05\xB4\xB5\xB6"), 5},    /* jump 5 across */
        {T("C\0o\0p\0y\0r\0i\0g\0h\0t\0"), 9},                      /* split inside a wide char */
        {T("usage"), 1},
        {T("usage"), 4},
        {T("\xB1\xB2\xB3\x01\x02\x03\x04\x05\x06\x07\x08\x09\xB4\xB5\xB6"), 3}, /* jump 9 */
        {T("\x51\x52\x53\x10\x11\x12\x10\x11\x12\x10\x11\x54\x55\x56"), 7},     /* jump 8 */
        {T("TILECROSS"), 4},
        {{long600, sizeof long600}, 1},
        {{long600, sizeof long600}, 599},
        {T("\x57\x58\x01\x02\x59\x01\x02\x5A"), 4},                 /* { 57 58 [1-2] 59 [0-2] 5A } */
        {T("\x71\x75\x76\x77\x78"), 2},
        {T("GLIBC_2.34"), 5},
        {T("u\0s\0a\0g\0e\0"), 1},
    };
    const size_t nspecial = sizeof specials / sizeof specials[0];
    for (size_t k = 1; k < size / 65536; k++) {
        const straddle *s = &specials[(k - 1) % nspecial];
        plant(b, k * 65536 - s->before, s->t.s, s->t.n);
    }

    plant(b, 0, "--help ", 7);
    plant(b, size - 4, "EOF!", 4);
    write_file("06_boundaries.bin", b);
}

static void make_edges(buf *b)
{
    reset(b);
    puts_(b, "usage: edges [OPTIONS] FILE\n");
    puts_(b, "xusage usagex _usage_ usage. (usage) usage9 9usage usage-usage\n");
    PUTLIT(b, "\0usage\0");
    puts_(b, "\xE9usage\xE9 \x80usage\xFF\n");
    puts_(b, "USAGE Usage uSaGe UsAgE\n");
    puts_(b, "help-me --help --helpme x--help --help=all\n");
    puts_(b, "error:error;error,errors Error ERROR\n");
    puts_(b, "version1 version_2 v-version (version)\n");
    puts_(b, "Copyright(C) Copyrights xCopyright COPYRIGHT\n");
    puts_(b, "say \"hello\" and \"quoted\"\n");
    puts_(b, "C:\\Windows\\System32\\drivers\\etc\n");
    puts_(b, "tab\there\tand\tthere\n");
    puts_(b, "crlf line\r\nnext line\r\n");
    PUTLIT(b, "bin\x7f" "ELF\x02\x01\x01\0 PE\0\0d\x86");
    puts_(b, "\n");
    PUTLIT(b, "\x00\x01\x02\x03\xFF\xFE\xFD\n");
    puts_(b, "secret_token=hunter2;password=hunter2\n");
    puts_(b, "GLIBC_2.2.5 GLIBC_2.34 GLIBC_2.3.4 GLIBC_PRIVATE\n");
    puts_(b, "/lib64/ld-linux-x86-64.so.2\n");
    seed(0x4544474500000007ULL);
    gen_text(b, 6000);
    puts_(b, "\nlast word is Copyright");
    write_file("07_edges.txt", b);
}

static void make_overlap(buf *b)
{
    reset(b);
    puts_(b, "aaaaaa|");
    puts_(b, "abababab|");
    puts_(b, "AAAAAAAA|");
    puts_(b, "aAaAaAa|");
    puts_(b, "xyzxyzxyz|");
    puts_(b, "abcabcabcabc|");
    puts_(b, "zzzzzzzzzzzzzzzz|");
    PUTLIT(b, "a\0a\0a\0a\0a\0a\0");
    puts_(b, "|");
    PUTLIT(b, "A\0a\0A\0a\0");
    puts_(b, "|");
    PUTLIT(b, "\x90\x90\x90\x90\x90\x90\x90\x90");
    puts_(b, "|");
    PUTLIT(b, "\xAA\xBB\xAA\xBB\xAA\xBB\xAA\xBB");
    puts_(b, "|");
    puts_(b, "usageusageusage|");
    puts_(b, "--help--help|");
    puts_(b, "ababa ababa|");
    puts_(b, "GLIBC_2.GLIBC_2.GLIBC_2.|");
    /* { 51 52 53 [4-8] 54 55 56 } twice, second starting inside the first's jump */
    PUTLIT(b, "\x51\x52\x53\x10\x51\x52\x53\x10\x11\x12\x54\x55\x56\x10\x11\x54\x55\x56");
    puts_(b, "|");
    seed(0x4F564C5000000008ULL);
    putrand(b, 4000);
    puts_(b, "|aaaa");
    write_file("08_overlap.bin", b);
}

/* one concrete instance of a synthetic hex string, and whether it should match */
static const tok hex_instances[] = {
    /* { 4A 4B [2] 4C 4D } */
    T("\x4A\x4B\x11\x22\x4C\x4D"),
    T("\x4A\x4B\x11\x4C\x4D"),                      /* miss: jump 1 */
    /* { 4A 4C [0-3] 4E 4F } every jump, then a jump of 4 (miss) */
    T("\x4A\x4C\x4E\x4F"),
    T("\x4A\x4C\x01\x4E\x4F"),
    T("\x4A\x4C\x01\x02\x4E\x4F"),
    T("\x4A\x4C\x01\x02\x03\x4E\x4F"),
    T("\x4A\x4C\x01\x02\x03\x04\x4E\x4F"),
    /* { 51 52 53 [4-8] 54 55 56 } jumps 3..9 */
    T("\x51\x52\x53\x10\x11\x12\x54\x55\x56"),
    T("\x51\x52\x53\x10\x11\x12\x10\x54\x55\x56"),
    T("\x51\x52\x53\x10\x11\x12\x10\x11\x54\x55\x56"),
    T("\x51\x52\x53\x10\x11\x12\x10\x11\x12\x54\x55\x56"),
    T("\x51\x52\x53\x10\x11\x12\x10\x11\x12\x10\x54\x55\x56"),
    T("\x51\x52\x53\x10\x11\x12\x10\x11\x12\x10\x11\x54\x55\x56"),
    T("\x51\x52\x53\x10\x11\x12\x10\x11\x12\x10\x11\x12\x54\x55\x56"),
    /* { 57 58 [1-2] 59 [0-2] 5A } all six */
    T("\x57\x58\x01\x59\x5A"),
    T("\x57\x58\x01\x59\x01\x5A"),
    T("\x57\x58\x01\x59\x01\x02\x5A"),
    T("\x57\x58\x01\x02\x59\x5A"),
    T("\x57\x58\x01\x02\x59\x01\x5A"),
    T("\x57\x58\x01\x02\x59\x01\x02\x5A"),
    T("\x57\x58\x59\x5A"),                          /* miss */
    /* { 9A [8] 9B } */
    T("\x9A\x01\x02\x03\x04\x05\x06\x07\x08\x9B"),
    /* { B1 B2 B3 [5-9] B4 B5 B6 } */
    T("\xB1\xB2\xB3\x01\x02\x03\x04\x05\xB4\xB5\xB6"),
    T("\xB1\xB2\xB3\x01\x02\x03\x04\x05\x06\x07\xB4\xB5\xB6"),
    T("\xB1\xB2\xB3\x01\x02\x03\x04\x05\x06\x07\x08\x09\xB4\xB5\xB6"),
    /* { C1 C2 ?? ?? [0-2] C3 C4 } */
    T("\xC1\xC2\x01\x02\xC3\xC4"),
    T("\xC1\xC2\x01\x02\x03\xC3\xC4"),
    T("\xC1\xC2\x01\x02\x03\x04\xC3\xC4"),
    /* { 61 62 ( 63 | 64 65 ) 66 } */
    T("\x61\x62\x63\x66"),
    T("\x61\x62\x64\x65\x66"),
    T("\x61\x62\x64\x66"),                          /* miss */
    /* { 71 ( 72 ( 73 | 74 74 ) | 75 76 77 ) 78 } */
    T("\x71\x72\x73\x78"),
    T("\x71\x72\x74\x74\x78"),
    T("\x71\x75\x76\x77\x78"),
    T("\x71\x72\x75\x76\x77\x78"),                  /* miss */
    /* { A0 ( A1 | A1 A2 ) A3 } */
    T("\xA0\xA1\xA3"),
    T("\xA0\xA1\xA2\xA3"),
    /* { D0 ( D1 | D1 D1 ) D2 } */
    T("\xD0\xD1\xD2"),
    T("\xD0\xD1\xD1\xD2"),
    T("\xD0\xD1\xD1\xD1\xD2"),                      /* miss */
    /* { E0 ( E1 ?? | 2? E2 E3 | E4 ) E5 } */
    T("\xE0\xE1\x77\xE5"),
    T("\xE0\x20\xE2\xE3\xE5"),
    T("\xE0\x2F\xE2\xE3\xE5"),
    T("\xE0\xE4\xE5"),
    T("\xE0\x30\xE2\xE3\xE5"),                      /* miss: 3? */
    /* priority: { 6A 6B [0-2] 6C } on 6A 6B 6C 6C -> jump 0 */
    T("\x6A\x6B\x6C\x6C"),
    T("\x6A\x6B\x01\x01\x6C"),
    /* priority: { 8A ( 8B | 8B 8C ) ?? 8D } on 8A 8B 8C 8D 8D -> first alternative */
    T("\x8A\x8B\x8C\x8D\x8D"),
    T("\x8A\x8B\x8C\x01\x8D"),
    /* nibbles: { 99 4? ?A 88 } */
    T("\x99\x40\x0A\x88"),
    T("\x99\x4F\xFA\x88"),
    T("\x99\x50\x0A\x88"),                          /* miss */
    /* { 3C ?? 3D [1-3] ( 3E | 3F 3F ) 40 } */
    T("\x3C\x00\x3D\x01\x3E\x40"),
    T("\x3C\x00\x3D\x01\x02\x3F\x3F\x40"),
    T("\x3C\x00\x3D\x01\x02\x03\x3E\x40"),
    /* { 7A 7B 7C 7D } */
    T("\x7A\x7B\x7C\x7D"),
    /* { EE ( EF | F0 F1 | F2 F3 F4 ) EE } alternation of three lengths */
    T("\xEE\xEF\xEE"),
    T("\xEE\xF0\xF1\xEE"),
    T("\xEE\xF2\xF3\xF4\xEE"),
};
#define N_HEX (sizeof hex_instances / sizeof hex_instances[0])

static void make_hexpat(buf *b)
{
    const size_t size = 5 * 65536 + 77;
    reset(b);
    seed(0x4845585041540009ULL);
    putrand(b, size);
    /* every instance, in order, three rounds, gaps of 100..400 random bytes */
    size_t at = 64;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < N_HEX; i++) {
            plant(b, at, hex_instances[i].s, hex_instances[i].n);
            at += hex_instances[i].n + 100 + rnd(300);
        }
    }
    /* then each instance straddling a multiple of 4096 (and 65536) */
    for (size_t i = 0; i < N_HEX && 4096 * (i + 16) < size; i++) {
        size_t boundary = 4096 * (i + 16);
        const tok *t = &hex_instances[i];
        plant(b, boundary - 1 - i % (t->n - 1), t->s, t->n);
    }
    plant(b, 0, "\x4A\x4B\x11\x22\x4C\x4D", 6);               /* at 0 */
    plant(b, size - 9, "\xA0\xA1\xA2\xA3", 4);
    plant(b, size - 5, "\xEE\xF2\xF3\xF4\xEE", 5);            /* at the very end */
    write_file("09_hexpat.bin", b);
}

static void make_wide(buf *b)
{
    reset(b);
    putw(b, "usage");                       /* wide at offset 0 */
    putw(b, " Xusage usageX _usage_ (usage) usage9 ");
    puts_(b, "X");
    putw(b, "usage");                       /* ASCII X right before: fullword */
    puts_(b, "YZ");                         /* ASCII after: fullword */
    putw(b, " ");
    putb(b, 0xE9); putb(b, 0x00);          /* U+00E9 before */
    putw(b, "usage");
    putb(b, 0xE9); putb(b, 0x00);
    putw(b, " ");
    putb(b, 'A'); putb(b, 0x01);           /* U+0141: alnum byte, nonzero high */
    putw(b, "usage");
    putb(b, 'A'); putb(b, 0x01);
    putw(b, " USAGE UsAgE uSaGe ");
    putw(b, "help --help helpme xhelp HeLp ");
    putw(b, "error errors ERROR:Error ");
    putw(b, "version1 version_2 (version) ");
    putw(b, "Copyright (C) xCopyright Copyright9 COPYRIGHT ");
    putw(b, "GLIBC_2.34 __libc_start_main ");
    putw(b, "SeCrEt secret Secret7 ");
    putw(b, "aaaaaa abababab ");
    puts_(b, "\x01");                       /* odd alignment from here on */
    putw(b, "usage Copyright help error version ");
    puts_(b, "usage ascii Copyright ascii\n");
    putw(b, "Microsoft Corporation");
    seed(0x574944450000000AULL);
    {
        buf t = {0};
        gen_text(&t, 8000);
        for (size_t i = 0; i < t.len; i++) {
            putb(b, t.p[i]);
            putb(b, 0);
        }
        free(t.p);
    }
    putw(b, " last version");
    puts_(b, "X");                          /* alnum at EOF without its zero */
    write_file("10_wide.bin", b);
}

static void make_mz(buf *b)
{
    static const unsigned char dos_header[64] = {
        'M', 'Z', 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00,
        0xB8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
    };
    reset(b);
    seed(0x4D5A4D5A0000000BULL);
    put(b, dos_header, sizeof dos_header);
    PUTLIT(b, "\x0E\x1F\xBA\x0E\x00\xB4\x09\xCD\x21\xB8\x01\x4C\xCD\x21");
    puts_(b, "This program cannot be run in DOS mode.\r\r\n$");
    putzeros(b, 0x80 - b->len);
    PUTLIT(b, "PE\0\0\x64\x86\x06\x00");
    putzeros(b, 0xDC - b->len);              /* optional header's Subsystem: */
    PUTLIT(b, "\x03\x00");                   /* console */
    putzeros(b, 0x188 - b->len);             /* 0x80 + 4 + 20 + 0xF0 */
    static const char *const sections[] = {".text", ".rdata", ".data", ".pdata", ".rsrc", ".reloc"};
    for (size_t i = 0; i < 6; i++) {
        char name[8] = {0};
        memcpy(name, sections[i], strlen(sections[i]));
        put(b, name, 8);
        putzeros(b, 32);
    }
    putzeros(b, 0x400 - b->len);
    gen_code(b, 0x7000);
    puts_(b, "KERNEL32.dll");
    PUTLIT(b, "\0\0");
    PUTLIT(b, "GetProcAddress\0LoadLibraryA\0VirtualAlloc\0ExitProcess\0");
    puts_(b, "usage: tool.exe [/?] [/help]\r\n");
    putw(b, "CompanyName");
    PUTLIT(b, "\0\0");
    putw(b, "Microsoft Corporation");
    PUTLIT(b, "\0\0");
    putw(b, "FileDescription");
    PUTLIT(b, "\0\0");
    putrand(b, 65536 - 7 - b->len);
    putw(b, "ProductVersion");                     /* across 65536 */
    putrand(b, 70000 - b->len);
    write_file("11_mz.exe", b);
}

static void make_elf(buf *b)
{
    static const unsigned char ehdr[64] = {
        0x7F, 'E', 'L', 'F', 0x02, 0x01, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        0x03, 0x00, 0x3E, 0x00, 0x01, 0x00, 0x00, 0x00, 0x60, 0x10, 0x00, 0x00, 0, 0, 0, 0,
        0x40, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x90, 0x04, 0x00, 0, 0, 0, 0,
        0, 0, 0, 0, 0x40, 0x00, 0x38, 0x00, 0x0D, 0x00, 0x40, 0x00, 0x1F, 0x00, 0x1E, 0x00,
    };
    static const char dynstr[] =
        "\0libc.so.6\0__libc_start_main\0__cxa_finalize\0__stack_chk_fail\0malloc\0"
        "memcpy\0strlen\0fprintf\0stderr\0getenv\0_ITM_deregisterTMCloneTable\0"
        "__gmon_start__\0_ITM_registerTMCloneTable\0GLIBC_2.34\0GLIBC_2.2.5\0GLIBC_2.4\0";
    static const char rodata[] =
        "usage: %s [OPTION]... [FILE]...\n\0"
        "Try '%s --help' for more information.\n\0"
        "      --help        display this help and exit\n\0"
        "      --version     output version information and exit\n\0"
        "Copyright (C) 2022 Free Software Foundation, Inc.\n\0"
        "License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n\0"
        "This is free software: you are free to change and redistribute it.\n"
        "There is NO WARRANTY, to the extent permitted by law.\n\0"
        "Written by %s.\n\0Report bugs to: bug-coreutils@gnu.org\n\0"
        "invalid option -- '%c'\n\0/usr/share/locale\0POSIXLY_CORRECT\0LC_ALL\0";
    static const char shstrtab[] =
        "\0.shstrtab\0.interp\0.note.gnu.property\0.note.gnu.build-id\0.gnu.hash\0"
        ".dynsym\0.dynstr\0.gnu.version\0.gnu.version_r\0.rela.dyn\0.init\0.plt\0"
        ".text\0.fini\0.rodata\0.eh_frame_hdr\0.eh_frame\0.init_array\0.fini_array\0"
        ".dynamic\0.got\0.data\0.bss\0.comment\0";
    reset(b);
    seed(0x7F454C460000000CULL);
    put(b, ehdr, sizeof ehdr);
    putzeros(b, 0x318 - b->len);
    PUTLIT(b, "/lib64/ld-linux-x86-64.so.2");
    putzeros(b, 0x400 - b->len);
    put(b, dynstr, sizeof dynstr);
    putzeros(b, 0x1000 - b->len);
    gen_code(b, 0x2F000);
    put(b, rodata, sizeof rodata);
    putzeros(b, 0x31000 - b->len);
    putrand(b, 0x800);                             /* .eh_frame-ish noise */
    PUTLIT(b, "GCC: (Debian 12.2.0-14) 12.2.0");
    putzeros(b, 0x32000 - b->len);
    put(b, shstrtab, sizeof shstrtab);             /* ends the file */
    write_file("12_elf.bin", b);
}

static void make_zeros(buf *b)
{
    const size_t size = 256 * 1024;
    reset(b);
    putzeros(b, size);
    for (size_t k = 1; k < size / 4096; k++) {
        const tok *t = &zero_tokens[k % N_ZERO];
        size_t at = k * 4096;
        if (k % 3 == 0)
            plant(b, at, t->s, t->n);                      /* starts on the boundary */
        else if (k % 3 == 1)
            plant(b, at - t->n, t->s, t->n);               /* ends on the boundary */
        else
            plant(b, at - t->n / 2, t->s, t->n);           /* across it */
    }
    plant(b, size - 5, "usage", 5);                        /* at the very end */
    write_file("13_zeros.bin", b);
}

/* base64 of n bytes of s with alphabet a ('=' padding), appended to b. */
static void put_base64(buf *b, const unsigned char *s, size_t n, const char *a)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n) v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        putb(b, (unsigned char)a[v >> 18 & 63]);
        putb(b, (unsigned char)a[v >> 12 & 63]);
        putb(b, i + 1 < n ? (unsigned char)a[v >> 6 & 63] : '=');
        putb(b, i + 2 < n ? (unsigned char)a[v & 63] : '=');
    }
}

/* base64 of `prefix` filler bytes then s, with alphabet a, optionally widened. */
static void put_base64_at(buf *b, const char *s, size_t prefix, const char *a, int wide)
{
    unsigned char plain[256];
    size_t n = strlen(s);
    memset(plain, 'q', prefix);
    memcpy(plain + prefix, s, n);
    buf e = {0};
    put_base64(&e, plain, prefix + n, a);
    for (size_t i = 0; i < e.len; i++) {
        putb(b, e.p[i]);
        if (wide)
            putb(b, 0);
    }
    free(e.p);
}

/* s XOR-ed with key, as ASCII or as UTF-16LE (the zero bytes XOR-ed too). */
static void put_xor(buf *b, const char *s, unsigned char key, int wide)
{
    for (; *s; s++) {
        putb(b, (unsigned char)*s ^ key);
        if (wide)
            putb(b, key);
    }
}

static void make_encoded(buf *b)
{
    static const char std64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char custom64[] =
        "!@#$%^&*(){}[].,|ABCDEFGHIJ\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu";
    static const unsigned char keys[] = {0x00, 0x01, 0x20, 0x5a, 0x7f, 0x80, 0xff};
    reset(b);
    seed(0x0E2C0DED0000000EULL);
    putrand(b, 3000);
    for (size_t k = 0; k < sizeof keys; k++) {
        puts_(b, " x=");
        put_xor(b, "evil.example/payload", keys[k], 0);
        puts_(b, "; ");
        put_xor(b, "evil.example", keys[k], 1);
        puts_(b, " ");
        putrand(b, 200 + 37 * k);
    }
    puts_(b, "payload ");
    put_xor(b, "payload", 0x41, 0);
    puts_(b, "1 ");
    for (size_t prefix = 0; prefix < 3; prefix++) {
        puts_(b, "\ndata=");
        put_base64_at(b, "This program cannot be run", prefix, std64, 0);
        puts_(b, "\nw=");
        put_base64_at(b, "This program cannot be run", prefix, std64, 1);
        puts_(b, "\nc=");
        put_base64_at(b, "secret token", prefix, custom64, 0);
        putrand(b, 100);
    }
    /* The wide form of a string, base64-encoded. */
    {
        static const char wide_cannot[] = "c\0a\0n\0n\0o\0t\0";
        unsigned char plain[16];
        for (size_t prefix = 0; prefix < 3; prefix++) {
            memset(plain, 'z', prefix);
            memcpy(plain + prefix, wide_cannot, 12);
            puts_(b, "\nwb=");
            put_base64(b, plain, prefix + 12, std64);
        }
    }
    putrand(b, 5000);
    write_file("14_encoded.bin", b);
}

/* Text for regular-expression strings: URLs, e-mail addresses, registry paths, version
 * strings, digits runs, wide and mixed-case forms, matches across the 64 KiB chunk
 * boundaries of the differential runs (65536, 70000, 100000), long runs that reach yara's
 * 4096-byte scan limit, and anchors at the file's start and end. */
static void make_regex(buf *b)
{
    static const char *const lines[] = {
        "GET http://evil.example.com/a/b.php?id=42 HTTP/1.1\r\n",
        "contact: Admin.Root@Example.ORG, backup bob_99@mail.example.net;",
        "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
        "hklm\\software\\microsoft\\windows\\currentversion\\runonce",
        "powershell.exe -nop -w hidden -enc SQBFAFgA ; PowerShell -EncodedCommand ab12",
        "version 1.2.3 v10.20.30 build-2024-11-30 ver 4.5",
        "cmd.exe /c whoami && net user admin P@ssw0rd /add",
        "aaaa-bbbb-cccc-dddd 1234-5678-9012-3456 12345678901234567890",
        "xxabcabcabcxx abcab abc",
        "<script>eval(atob('ZXZpbA=='))</script> <SCRIPT src=x.js>",
        "id=7;id=77;id=777;idx=7777",
        "foo\nbar foo\rbar foo.bar",
    };
    reset(b);
    seed(0x0E2E0000000011ULL);
    puts_(b, "MZheader GET /start 200 ");
    for (int round = 0; round < 40; round++) {
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
            puts_(b, lines[(i + round) % (sizeof lines / sizeof lines[0])]);
            putb(b, round % 3 == 0 ? '\n' : ' ');
        }
        putw(b, "http://wide.example.org/x ");
        putw(b, "PowerShell -enc QQBB ");
        putw(b, "version 9.8.7 ");
        putrand(b, 1500 + 97 * (size_t)round);
    }
    /* Matches across the chunk boundaries of the differential runs. */
    static const size_t cuts[] = {65536, 70000, 100000, 131072, 140000, 196608, 200000};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        size_t at = cuts[c] - 9;
        while (b->len < at + 64)
            putrand(b, 4096);
        plant(b, at, "http://cut.example.com/q", 24);
        plant(b, at + 30, "v7.7.7", 6);
    }
    /* A word run longer than the scan limit, then a literal after it. */
    puts_(b, " ");
    for (int i = 0; i < 5000; i++)
        putb(b, (unsigned char)('a' + i % 26));
    puts_(b, "1234 tail");
    putrand(b, 300);
    puts_(b, " END.");
    write_file("14_regex.txt", b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    gen_long(long600, sizeof long600, 600u);
    gen_long(long4096, sizeof long4096, 4096u);

    buf b = {0};
    make_tiny(&b);
    make_random(&b);
    make_text(&b);
    make_utf16(&b);
    make_boundaries(&b);
    make_edges(&b);
    make_overlap(&b);
    make_hexpat(&b);
    make_wide(&b);
    make_mz(&b);
    make_elf(&b);
    make_zeros(&b);
    make_encoded(&b);
    make_regex(&b);
    free(b.p);
    return 0;
}
