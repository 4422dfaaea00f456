/*
 * scan: a YARA-compatible file scanner, and a secret-scanner demo, built on specrt's GPU pattern
 * scanner.
 *
 * Usage:
 *   scan [--backend auto|gpu|cpu] [--mode auto|fused|serial]
 *       Demo: a sample is assembled in memory from this machine's own /usr/bin (about 8 MB)
 *       with a few planted fake secrets and scanned with the rule set bundled below, built
 *       through the programmatic API (strings as bytes, an optional per-byte mask, and flags).
 *   scan [-s] [-L] [-p N] [-k] [-C] [--backend ...] [--mode ...] [--chunk BYTES] RULES_FILE PATH...
 *       Compiles the YARA rules in RULES_FILE and scans each PATH (files, and directories
 *       recursively). Prints "RULE PATH" for every matching rule, as `yara` does; with -s the
 *       matching strings' data and with -L their lengths, exactly as `yara -s -L` prints them.
 *       Files go through specrt_scan_files: on a GPU, small files are packed into large chunks
 *       and read, scanned and evaluated in a pipeline on all cores (-p N is accepted for
 *       yara's command line). -k skips rules that use unsupported YARA constructs (and lists
 *       them on stderr); --chunk caps the streaming chunk size. A progress bar goes to stderr
 *       when it is a terminal and the scan takes more than a second. With -C, RULES_FILE is a
 *       rule set saved by --save (as yara -C takes yarac's output).
 *   scan [-k] --save COMPILED_FILE RULES_FILE
 *       Compiles RULES_FILE and saves the rule set to COMPILED_FILE, for -C (as yarac does).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "example.h"

typedef struct demo_string {
    uint32_t rule;
    const char *bytes;
    size_t len;       /* 0: strlen(bytes) */
    const char *mask; /* NULL: exact */
    uint32_t flags;
} demo_string;

static const char *rule_names[] = {"", "aws_access_key_id", "private_key_block", "github_token",
                                   "password_assignment", "elf_header", "pe_dos_stub",
                                   "url", "gcc_version"};

static const demo_string demo_rules[] = {
    {1, "AKIA", 0, NULL, 0},
    {2, "-----BEGIN RSA PRIVATE KEY-----", 0, NULL, 0},
    {2, "-----BEGIN OPENSSH PRIVATE KEY-----", 0, NULL, 0},
    {3, "ghp_", 0, NULL, 0},
    {4, "password=", 0, NULL, SPECRT_STRING_NOCASE | SPECRT_STRING_WIDE | SPECRT_STRING_ASCII},
    {4, "passwd:", 0, NULL, SPECRT_STRING_NOCASE},
    {5, "\x7f" "ELF\x02\x01", 6, NULL, 0},
    {6, "This program cannot be run in DOS mode", 0, NULL, 0},
    {6, "MZ\x90\x00\x03", 5, "\xff\xff\xff\xff\x0f", 0},
    {7, "https://", 0, NULL, SPECRT_STRING_NOCASE},
    {7, "http://", 0, NULL, SPECRT_STRING_NOCASE},
    {8, "GCC: (", 0, NULL, 0},
};

/* About `want` bytes of this machine's executables, plus planted fake secrets. */
static uint8_t *build_sample(size_t want, size_t *len) {
    static const char *planted[] = {"aws_key = AKIA" "IOSFODNN7EXAMPLE\n",
                                    "-----BEGIN RSA PRIVATE KEY-----\nMIIEexample\n",
                                    "token: ghp_" "0123456789abcdefghijklmnopqrstuv\n",
                                    "PASSWORD=hunter2\n"};
    uint8_t *buf = (uint8_t *)malloc(want + 4096);
    size_t used = 0, i;
    DIR *dir = opendir("/usr/bin");
    struct dirent *entry;
    while (dir && used < want && (entry = readdir(dir)) != NULL) {
        char path[4096];
        FILE *f;
        snprintf(path, sizeof path, "/usr/bin/%s", entry->d_name);
        if ((f = fopen(path, "rb")) == NULL) continue;
        used += fread(buf + used, 1, want - used, f);
        fclose(f);
    }
    if (dir) closedir(dir);
    for (i = 0; i < sizeof planted / sizeof planted[0]; i++) {
        size_t n = strlen(planted[i]), at = used / (i + 2);
        if (at + n < used) memcpy(buf + at, planted[i], n);
    }
    *len = used;
    return buf;
}

/* ---- YARA mode ---- */

/* yara prints at most this many bytes of a match (YR_MAX_MATCH_DATA) and of those, for a hex
 * string, the first 64. */
#define MATCH_DATA_MAX 512
#define HEX_DATA_MAX 64

/* A growable text buffer: one file's output, printed at once. */
typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


static void text_printf(text *t, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->len + (size_t)n + 1 > cap) cap *= 2;
        t->data = (char *)realloc(t->data, cap);
        if (!t->data) abort();
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* The files to scan. */
typedef struct file_list {
    char **paths;
    uint64_t *sizes;
    size_t count, cap;
    uint64_t total_bytes;
} file_list;

static void add_file(file_list *l, const char *path, uint64_t size) {
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->paths = (char **)realloc(l->paths, l->cap * sizeof *l->paths);
        l->sizes = (uint64_t *)realloc(l->sizes, l->cap * sizeof *l->sizes);
        if (!l->paths || !l->sizes) abort();
    }
    l->paths[l->count] = strdup(path);
    l->sizes[l->count++] = size;
    l->total_bytes += size;
}

/* Regular files under `path`, recursively. Symbolic links to files are followed, as yara
 * follows them; symbolic links to directories are not (no loops). */
static void collect(file_list *l, const char *path, int top) {
    struct stat st;
    if ((top ? stat(path, &st) : lstat(path, &st)) != 0) {
        fprintf(stderr, "error: cannot open %s\n", path);
        return;
    }
    if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) return;
    if (S_ISREG(st.st_mode)) {
        add_file(l, path, (uint64_t)st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        struct dirent *e;
        if (!dir) return;
        while ((e = readdir(dir)) != NULL) {
            char child[4096];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            collect(l, child, 0);
        }
        closedir(dir);
    }
}

/* What the per-file callback needs. */
typedef struct job {
    const specrt_scanner *scanner;
    specrt_scan_options options;
    file_list files;
    int show_strings, show_lengths;
    uint64_t done_bytes; /* bytes of finished files */
    int failures;
    int progress_bar;
    double started, last_drawn;
} job;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Redraws the progress bar (lock held): only after the first second, at most 10 times/s. */
static void draw_progress(job *j, int final) {
    uint64_t done = j->done_bytes;
    double t = now_s(), fraction;
    size_t i, filled;
    char bar[41];
    if (!j->progress_bar) return;
    if (final) {
        if (j->last_drawn > 0) fprintf(stderr, "\r%60s\r", "");
        return;
    }
    if (t - j->started < 1.0 || t - j->last_drawn < 0.1) return;
    fraction = j->files.total_bytes ? (double)done / (double)j->files.total_bytes : 1.0;
    filled = (size_t)(fraction * 40.0);
    for (i = 0; i < 40; i++) bar[i] = i < filled ? '#' : '.';
    bar[40] = 0;
    fprintf(stderr, "\r[%s] %5.1f %% %7.2f GB/s", bar, 100.0 * fraction,
            (double)done / (t - j->started) / 1e9);
    j->last_drawn = t;
}

/* yara's print_string: printable ASCII as is, other bytes as \xHH. */
static void print_text_data(text *out, const uint8_t *data, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        if (data[i] >= 32 && data[i] <= 126) {
            text_printf(out, "%c", data[i]);
        } else {
            text_printf(out, "\\x%02X", data[i]);
        }
    }
}

/* yara's print_hex_string: up to 64 bytes as "HH HH ...", then " ..." if there is more. */
static void print_hex_data(text *out, const uint8_t *data, size_t len) {
    size_t i;
    for (i = 0; i < len && i < HEX_DATA_MAX; i++) text_printf(out, "%s%02X", i ? " " : "", data[i]);
    if (len > HEX_DATA_MAX) text_printf(out, " ...");
}

static int by_string_then_offset(const void *a, const void *b) {
    const specrt_match *x = (const specrt_match *)a, *y = (const specrt_match *)b;
    if (x->string_id != y->string_id) return x->string_id < y->string_id ? -1 : 1;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return 0;
}

/* One file's output, in yara's format: each matching rule, then its strings' matches. */
static void format_result(job *j, const char *path, const specrt_scan_result *result, text *out) {
    size_t rule_count = specrt_scan_result_rule_count(result);
    const uint32_t *rules = specrt_scan_result_rules(result);
    size_t match_count = specrt_scan_result_match_count(result);
    const specrt_match *matches = specrt_scan_result_matches(result);
    specrt_match *mine = (specrt_match *)malloc((match_count ? match_count : 1) * sizeof *mine);
    int fd = (j->show_strings) ? open(path, O_RDONLY) : -1;
    size_t r, i;
    if (!mine) abort();
    for (r = 0; r < rule_count; r++) {
        specrt_rule_info info;
        size_t n = 0;
        TRY(specrt_scanner_rule_info(j->scanner, rules[r], &info));
        text_printf(out, "%s %s\n", info.name, path);
        if (!j->show_strings && !j->show_lengths) continue;
        for (i = 0; i < match_count; i++) {
            if (matches[i].rule_id == rules[r]) mine[n++] = matches[i];
        }
        qsort(mine, n, sizeof *mine, by_string_then_offset);
        for (i = 0; i < n; i++) {
            specrt_string_info s;
            uint32_t shown = mine[i].length < MATCH_DATA_MAX ? mine[i].length : MATCH_DATA_MAX;
            TRY(specrt_scanner_string_info(j->scanner, mine[i].rule_id, mine[i].string_id, &s));
            if (j->show_lengths) {
                text_printf(out, "0x%llx:%u:%s", (unsigned long long)mine[i].offset, shown, s.name);
            } else {
                text_printf(out, "0x%llx:%s", (unsigned long long)mine[i].offset, s.name);
            }
            if (j->show_strings) {
                uint8_t data[MATCH_DATA_MAX];
                ssize_t got = fd >= 0 ? pread(fd, data, shown, (off_t)mine[i].offset) : -1;
                text_printf(out, ": ");
                if (got >= 0) {
                    if (s.is_hex) {
                        print_hex_data(out, data, (size_t)got);
                    } else {
                        print_text_data(out, data, (size_t)got);
                    }
                }
            }
            text_printf(out, "\n");
        }
    }
    if (fd >= 0) close(fd);
    free(mine);
}

/* One file's outcome (called by specrt_scan_files on this thread). */
static int on_file(size_t index, specrt_status st, const specrt_scan_result *result,
                   void *user_data) {
    job *j = (job *)user_data;
    const char *path = j->files.paths[index];
    text out = {NULL, 0, 0};
    if (st != SPECRT_OK) {
        fprintf(stderr, "error scanning %s: %s: %s\n", path, specrt_status_str(st),
                specrt_last_error());
        j->failures++;
    } else {
        specrt_scan_summary sum;
        format_result(j, path, result, &out);
        if (specrt_scan_result_summary(result, &sum) == SPECRT_OK) {
            if (sum.capped_strings) {
                fprintf(stderr,
                        "warning: %s: %llu strings have more than %u matches; only the first "
                        "are kept (conditions count them all)\n",
                        path, (unsigned long long)sum.capped_strings, SPECRT_MAX_STRING_MATCHES);
            } else if (sum.truncated) {
                fprintf(stderr, "warning: %s: the match limit dropped %llu matches\n", path,
                        (unsigned long long)sum.dropped);
            }
        }
    }
    if (out.len) fwrite(out.data, 1, out.len, stdout);
    free(out.data);
    j->done_bytes += j->files.sizes[index];
    draw_progress(j, 0);
    return 0;
}

static char *read_whole(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    if (!f) return NULL;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = (char *)realloc(buf, cap);
            if (!buf) abort();
        }
        size_t got = fread(buf + *len, 1, cap - *len, f);
        if (got == 0) break;
        *len += got;
    }
    fclose(f);
    return buf;
}

/* Command-line choices of the YARA mode. */
typedef struct cli {
    int show_strings, show_lengths, skip;
    int compiled;         /* -C: RULES_FILE is a rule set saved with --save */
    const char *save_to;  /* --save FILE: compile, save, and stop */
} cli;

/* The rule set of RULES_FILE: loaded when it was saved compiled (-C), else compiled from its
 * YARA source (skipped rules listed on stderr). NULL when the file cannot be read. */
static specrt_ruleset *load_rules(const cli *c, const char *path) {
    specrt_compile_options copts = {0, NULL};
    specrt_ruleset *rules = NULL;
    size_t source_len, i;
    char *source;
    if (c->compiled) {
        TRY(specrt_ruleset_load(path, &rules));
        return rules;
    }
    source = read_whole(path, &source_len);
    if (!source) {
        fprintf(stderr, "error: cannot read rules file %s\n", path);
        return NULL;
    }
    copts.flags = c->skip ? SPECRT_COMPILE_SKIP_UNSUPPORTED : 0;
    copts.origin = path;
    TRY(specrt_ruleset_compile(source, source_len, &copts, &rules));
    free(source);
    for (i = 0; i < specrt_ruleset_skipped_count(rules); i++) {
        specrt_skipped_rule s;
        TRY(specrt_ruleset_skipped(rules, i, &s));
        fprintf(stderr, "skipped rule %s (%s:%u:%u: %s)\n", s.rule[0] ? s.rule : "(statement)",
                path, s.line, s.column, s.construct);
    }
    return rules;
}

static int yara_main(specrt_context *ctx, specrt_scan_options options, const cli *c, int argc,
                     char **argv) {
    specrt_ruleset *rules = load_rules(c, argv[0]);
    specrt_scanner *scanner = NULL;
    specrt_status st;
    size_t i;
    job j;
    int a;
    int show_strings = c->show_strings, show_lengths = c->show_lengths;

    if (!rules) return 1;
    if (c->save_to) {
        st = specrt_ruleset_save(rules, c->save_to);
        specrt_ruleset_free(rules);
        if (st != SPECRT_OK) {
            fprintf(stderr, "error: %s: %s\n", specrt_status_str(st), specrt_last_error());
            return 1;
        }
        return 0;
    }
    TRY(specrt_scanner_new(ctx, rules, &scanner));
    specrt_ruleset_free(rules);

    memset(&j, 0, sizeof j);
    j.scanner = scanner;
    j.options = options;
    j.show_strings = show_strings;
    j.show_lengths = show_lengths;
    for (a = 1; a < argc; a++) collect(&j.files, argv[a], 1);
    j.progress_bar = isatty(STDERR_FILENO);
    j.started = now_s();
    st = specrt_scan_files(scanner, (const char *const *)j.files.paths, j.files.count, &options,
                           on_file, &j);
    draw_progress(&j, 1);
    if (st != SPECRT_OK) {
        fprintf(stderr, "error: %s: %s\n", specrt_status_str(st), specrt_last_error());
        j.failures++;
    }

    for (i = 0; i < j.files.count; i++) free(j.files.paths[i]);
    free(j.files.paths);
    free(j.files.sizes);
    specrt_scanner_free(scanner);
    return j.failures ? 1 : 0;
}

/* ---- demo mode ---- */

static int demo_main(specrt_context *ctx, specrt_scan_options sopts) {
    specrt_ruleset *rules = NULL;
    specrt_scanner *scanner = NULL;
    specrt_scan_result *result = NULL;
    specrt_scan_summary sum;
    specrt_adapter_info info;
    const specrt_match *m;
    uint8_t *sample = NULL;
    size_t sample_len = 0, i, n;

    TRY(specrt_context_adapter_info(ctx, &info));
    TRY(specrt_ruleset_new(&rules));
    for (i = 0; i < sizeof demo_rules / sizeof demo_rules[0]; i++) {
        const demo_string *s = &demo_rules[i];
        size_t len = s->len ? s->len : strlen(s->bytes);
        TRY(specrt_ruleset_add_string(rules, s->rule, (uint32_t)i, (const uint8_t *)s->bytes,
                                      (const uint8_t *)s->mask, len, s->flags));
    }
    TRY(specrt_scanner_new(ctx, rules, &scanner));
    sample = build_sample(8u << 20, &sample_len);
    TRY(specrt_scan(scanner, sample, sample_len, &sopts, NULL, NULL, &result));

    n = specrt_scan_result_match_count(result);
    m = specrt_scan_result_matches(result);
    for (i = 0; i < n && i < 25; i++) {
        printf("0x%08llx  %-20s string %-2u length %u\n", (unsigned long long)m[i].offset,
               rule_names[m[i].rule_id], m[i].string_id, m[i].length);
    }
    if (n > 25) printf("... and %zu more\n", n - 25);
    printf("rules matched:");
    for (i = 0; i < specrt_scan_result_rule_count(result); i++) {
        printf(" %s", rule_names[specrt_scan_result_rules(result)[i]]);
    }
    printf("\n");

    TRY(specrt_scan_result_summary(result, &sum));
    printf("scanned %llu bytes: %llu matches%s, %u chunk(s) (fused %u, serial %u, cpu %u), "
           "commit rate %.1f %%, %.2f GB/s, on %s\n",
           (unsigned long long)sum.bytes, (unsigned long long)sum.match_count,
           sum.truncated ? " (truncated)" : "", sum.chunk_count, sum.fused_chunks,
           sum.serial_chunks, sum.cpu_chunks, specrt_report_commit_rate_ppm(sum.report) / 1e4,
           sum.total_ns ? (double)sum.bytes / (double)sum.total_ns : 0.0,
           sum.backend == SPECRT_SCAN_BACKEND_GPU ? info.name : "the CPU backend");
    printf("backend: %s (%s)\n", sum.backend == SPECRT_SCAN_BACKEND_GPU ? "gpu" : "cpu",
           specrt_backend_reason_str(sum.backend_reason));

    specrt_scan_result_free(result);
    specrt_scanner_free(scanner);
    specrt_ruleset_free(rules);
    free(sample);
    return 0;
}

static int usage(void) {
    fprintf(stderr,
            "usage: scan [--backend auto|gpu|cpu] [--mode auto|fused|serial]   (demo)\n"
            "       scan [-s] [-L] [-p N] [-k] [-C] [--backend auto|gpu|cpu] [--mode ...]\n"
            "            [--chunk BYTES] RULES_FILE PATH...\n"
            "       scan [-k] --save COMPILED_FILE RULES_FILE\n");
    return 2;
}

int main(int argc, char **argv) {
    specrt_context_options copts = specrt_context_options_default();
    specrt_scan_options sopts = specrt_scan_options_default();
    specrt_context *ctx = NULL;
    cli c = {0, 0, 0, 0, NULL};
    int a, status;

    for (a = 1; a < argc && argv[a][0] == '-'; a++) {
        const char *opt = argv[a];
        if (strcmp(opt, "-s") == 0) {
            c.show_strings = 1;
        } else if (strcmp(opt, "-L") == 0) {
            c.show_lengths = 1;
        } else if (strcmp(opt, "-k") == 0) {
            c.skip = 1;
        } else if (strcmp(opt, "-C") == 0) {
            c.compiled = 1;
        } else if (strcmp(opt, "--save") == 0 && a + 1 < argc) {
            c.save_to = argv[++a];
        } else if (strcmp(opt, "-p") == 0 && a + 1 < argc) {
            long threads = strtol(argv[++a], NULL, 10); /* yara's option; all cores are used */
            if (threads < 1 || threads > 1024) return usage();
        } else if (strcmp(opt, "--chunk") == 0 && a + 1 < argc) {
            sopts.max_chunk_bytes = strtoull(argv[++a], NULL, 10);
        } else if (strcmp(opt, "--backend") == 0 && a + 1 < argc) {
            const char *b = argv[++a];
            sopts.backend = strcmp(b, "gpu") == 0 ? SPECRT_SCAN_BACKEND_GPU
                            : strcmp(b, "cpu") == 0 ? SPECRT_SCAN_BACKEND_CPU
                                                    : SPECRT_SCAN_BACKEND_AUTO;
        } else if (strcmp(opt, "--mode") == 0 && a + 1 < argc) {
            const char *mode = argv[++a];
            sopts.mode = strcmp(mode, "fused") == 0    ? SPECRT_SPECULATION_FORCE
                         : strcmp(mode, "serial") == 0 ? SPECRT_SPECULATION_DISABLE
                                                       : SPECRT_SPECULATION_AUTO;
        } else {
            return usage();
        }
    }
    if (a == argc - 1 && !c.save_to) return usage(); /* rules without paths */
    if (c.save_to && a != argc - 1) return usage();    /* --save takes the rules alone */

    copts.cpu_fallback = true; /* no GPU: scan on the CPU */
    sopts.tune = false;        /* short scans: racing kernel variants would not pay off */
    TRY(specrt_context_new(&copts, &ctx));
    if (a < argc) {
        sopts.max_matches = 1u << 24; /* print everything yara would */
        status = yara_main(ctx, sopts, &c, argc - a, argv + a);
    } else {
        status = demo_main(ctx, sopts);
    }
    specrt_context_free(ctx);
    return status;
}
