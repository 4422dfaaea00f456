/*
 * specrt-scan: a YARA-compatible file scanner on specrt's pattern scanner (specrt-scan(1)).
 *
 *   specrt-scan [OPTION]... [NAMESPACE:]RULES_FILE TARGET...
 *   specrt-scan [--skip-unsupported] --save COMPILED_FILE RULES_FILE
 *
 * Prints what `yara` prints for the same options: one "RULE TARGET" line per matching rule,
 * with -s/-L the matching strings, with -c the number of matching rules, and so on. Targets are
 * files and directories (recursively with -r); files go through specrt_scan_files, which on a
 * GPU packs small files into large chunks and reads, scans and evaluates them in a pipeline on
 * all cores. Exit status: 0 when every target was scanned, 1 on any error (as yara).
 */
#define _DEFAULT_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "specrt.h"

/* yara prints at most this many bytes of a match (YR_MAX_MATCH_DATA) and of those, for a hex
 * string, the first 64. */
#define MATCH_DATA_MAX 512
#define HEX_DATA_MAX 64

static const char USAGE[] =
    "Usage: specrt-scan [OPTION]... [NAMESPACE:]RULES_FILE TARGET...\n"
    "       specrt-scan [--skip-unsupported] --save COMPILED_FILE RULES_FILE\n";

static const char HELP[] =
    "Scans files and directories with YARA rules on specrt (GPU when there is one, else CPU),\n"
    "printing what yara prints. Targets: files, directories, and lists given with --scan-list.\n"
    "\n"
    "yara's options:\n"
    "  -s, --print-strings          print matching strings\n"
    "  -L, --print-string-length    print the length of matching strings\n"
    "  -c, --count                  print only the number of matching rules\n"
    "  -n, --negate                 print only rules that are not satisfied\n"
    "  -i, --identifier=NAME        print only rules named NAME (repeatable; wins over -t)\n"
    "  -t, --tag=TAG                print only rules tagged TAG (repeatable)\n"
    "  -d, --define=NAME=VALUE      define an external variable (repeatable)\n"
    "  -g, --print-tags             print tags\n"
    "  -m, --print-meta             print metadata\n"
    "  -e, --print-namespace        print rules' namespace\n"
    "  -r, --recursive              scan directories recursively\n"
    "  -C, --compiled-rules         RULES_FILE is a rule set saved with --save\n"
    "  -w, --no-warnings            disable warnings\n"
    "  -a, --timeout=SECONDS        abort scanning a file after SECONDS (0: no limit)\n"
    "  -f, --fast-scan              fast matching mode (a string only tested for a match\n"
    "                               reports its first match)\n"
    "  -p, --threads=N              accepted for yara's command line (all cores are used)\n"
    "      --scan-list              each TARGET is a file listing targets, one per line\n"
    "  -h, --help                   show this help and exit\n"
    "  -v, --version                show version information and exit\n"
    "\n"
    "specrt's options:\n"
    "      --backend=auto|gpu|cpu   where to scan (auto: a hardware GPU, else the CPU)\n"
    "      --mode=auto|fused|serial GPU path (auto: the speculator decides)\n"
    "      --regex-verify=auto|gpu|cpu  where regular-expression candidates are verified\n"
    "      --chunk=BYTES            largest chunk of one streamed file\n"
    "      --skip-unsupported       skip rules that use constructs specrt cannot run yet\n"
    "      --save=FILE              compile RULES_FILE, save the rule set to FILE and exit\n"
    "      --stats                  print the scan summary as JSON on stderr\n"
    "\n"
    "Options may come before or after the operands; `--` ends them.\n"
    "Exit status, as yara's: 1 when the rules cannot be loaded, an option is wrong or a file\n"
    "target cannot be scanned; files found in directories or scan lists that cannot be read\n"
    "are reported on stderr without changing it.\n";

/* ---- command line ---- */

/* Most -i and -t values, and most operands. */
#define MAX_FILTERS 64

typedef struct cli {
    int show_strings, show_lengths, count_only, negate, show_tags, show_meta, show_namespace;
    int recursive, compiled, no_warnings, scan_list, skip_unsupported, stats;
    const char *identifiers[MAX_FILTERS], *tags[MAX_FILTERS], *save_to;
    int identifier_count, tag_count;
    specrt_external externals[MAX_FILTERS];
    int external_count;
    char **operands;
    int operand_count;
    specrt_scan_options scan;
} cli;

/* Whether `s` is an integer as yara's -d reads one: an optional '-', then digits. */
static int is_integer_text(const char *s) {
    if (*s == '-') s++;
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* Whether `s` is a float as yara's -d reads one: an optional '-', then digits with exactly one
 * '.', not first. */
static int is_float_text(const char *s) {
    int dots = 0;
    if (*s == '-') s++;
    if (*s == '.') return 0;
    for (; *s; s++) {
        if (*s == '.') dots++;
        else if (!isdigit((unsigned char)*s)) return 0;
    }
    return dots == 1;
}

/* Adds `NAME=VALUE` (yara's -d): true/false a boolean, an integer, a float, else a text. */
static int add_external(cli *c, char *definition) {
    specrt_external *e;
    char *eq = strchr(definition, '=');
    if (!eq || eq == definition || c->external_count == MAX_FILTERS) return 0;
    *eq = 0;
    e = &c->externals[c->external_count++];
    memset(e, 0, sizeof *e);
    e->name = definition;
    if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "false") == 0) {
        e->kind = SPECRT_EXTERNAL_BOOLEAN;
        e->boolean = eq[1] == 't';
    } else if (is_integer_text(eq + 1)) {
        e->kind = SPECRT_EXTERNAL_INTEGER;
        e->integer = strtoll(eq + 1, NULL, 10);
    } else if (is_float_text(eq + 1)) {
        e->kind = SPECRT_EXTERNAL_FLOAT;
        e->number = strtod(eq + 1, NULL);
    } else {
        e->kind = SPECRT_EXTERNAL_TEXT;
        e->text = (const uint8_t *)(eq + 1);
        e->text_len = strlen(eq + 1);
    }
    return 1;
}

/* A usage error: yara's message style, exit status 1. */
static int usage_error(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "specrt-scan: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s\nTry `--help` for more options\n", USAGE);
    return 1;
}

/* --help and --version print to stdout and exit 0 (-1 from parse_args). */
static int print_help(void) {
    printf("%s\n%s", USAGE, HELP);
    return -1;
}

static int print_version(void) {
    printf("specrt-scan %s\n", specrt_version());
    return -1;
}

static int parse_unsigned(const char *text, unsigned long long *out) {
    char *end = NULL;
    if (!text || !*text || *text == '-') return 0;
    *out = strtoull(text, &end, 10);
    return *end == 0;
}

/* Sets -a SECONDS (yara's --timeout); 0 when it is not a number of seconds. */
static int set_timeout(cli *c, const char *value) {
    unsigned long long seconds;
    if (!parse_unsigned(value, &seconds) || seconds > 1000000000ull) return 0;
    c->scan.timeout_ms = seconds * 1000;
    return 1;
}

/* Adds a -i or -t value; 0 when there are too many. */
static int add_filter(const char **list, int *count, const char *value) {
    if (*count == MAX_FILTERS) return 0;
    list[(*count)++] = value;
    return 1;
}

/* Parses argv into `c` (options anywhere, operands collected in order); returns 0, -1 to exit
 * 0 (help, version), or -2 on a usage error (already reported). */
static int parse_args(int argc, char **argv, cli *c) {
    int a, options_done = 0;
    c->operands = (char **)calloc((size_t)argc, sizeof *c->operands);
    if (!c->operands) abort();
    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *value = NULL, *eq;
        char name[32];
        unsigned long long number;
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (options_done || arg[0] != '-' || arg[1] == 0) {
            c->operands[c->operand_count++] = argv[a];
            continue;
        }
        if (arg[1] != '-') {
            /* Short options, clustered ("-sL"); one taking a value ends the cluster. */
            const char *p;
            for (p = arg + 1; *p; p++) {
                if (strchr("itpda", *p)) {
                    const char *v = p[1] ? p + 1 : (a + 1 < argc ? argv[++a] : NULL);
                    if (!v) return usage_error("option `-%c` needs a value", *p), -2;
                    if ((*p == 'i' && !add_filter(c->identifiers, &c->identifier_count, v)) ||
                        (*p == 't' && !add_filter(c->tags, &c->tag_count, v)))
                        return usage_error("too many `-%c` options", *p), -2;
                    if (*p == 'p' && !parse_unsigned(v, &number))
                        return usage_error("invalid number of threads `%s`", v), -2;
                    if (*p == 'd' && !add_external(c, (char *)v))
                        return usage_error("invalid external definition `%s` (NAME=VALUE)", v), -2;
                    if (*p == 'a' && !set_timeout(c, v))
                        return usage_error("invalid timeout `%s` (seconds)", v), -2;
                    break; /* the value ends the cluster */
                }
                switch (*p) {
                case 's': c->show_strings = 1; break;
                case 'L': c->show_lengths = 1; break;
                case 'c': c->count_only = 1; break;
                case 'n': c->negate = 1; break;
                case 'g': c->show_tags = 1; break;
                case 'm': c->show_meta = 1; break;
                case 'e': c->show_namespace = 1; break;
                case 'r': c->recursive = 1; break;
                case 'C': c->compiled = 1; break;
                case 'w': c->no_warnings = 1; break;
                case 'f': c->scan.fast = true; break;
                case 'h': return print_help();
                case 'v': return print_version();
                default: return usage_error("unknown option `-%c`", *p), -2;
                }
            }
            continue;
        }
        /* Long options: --name, --name=value or --name value. */
        eq = strchr(arg, '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - arg) : strlen(arg)), arg);
        if (eq) value = eq + 1;
#define FLAG(long_name, field) \
    if (strcmp(name, long_name) == 0 && !eq) { c->field = 1; continue; }
        FLAG("--print-strings", show_strings)
        FLAG("--print-string-length", show_lengths)
        FLAG("--count", count_only)
        FLAG("--negate", negate)
        FLAG("--print-tags", show_tags)
        FLAG("--print-meta", show_meta)
        FLAG("--print-namespace", show_namespace)
        FLAG("--recursive", recursive)
        FLAG("--compiled-rules", compiled)
        FLAG("--no-warnings", no_warnings)
        FLAG("--scan-list", scan_list)
        FLAG("--skip-unsupported", skip_unsupported)
        FLAG("--stats", stats)
#undef FLAG
        if (strcmp(name, "--fast-scan") == 0 && !eq) {
            c->scan.fast = true;
            continue;
        }
        if (strcmp(name, "--help") == 0 && !eq) return print_help();
        if (strcmp(name, "--version") == 0 && !eq) return print_version();
        if (!value) {
            if (a + 1 >= argc) return usage_error("unknown option or missing value: `%s`", arg), -2;
            value = argv[++a];
        }
        if (strcmp(name, "--define") == 0) {
            if (!add_external(c, (char *)value))
                return usage_error("invalid external definition `%s` (NAME=VALUE)", value), -2;
        } else if (strcmp(name, "--identifier") == 0) {
            if (!add_filter(c->identifiers, &c->identifier_count, value))
                return usage_error("too many `--identifier` options"), -2;
        } else if (strcmp(name, "--tag") == 0) {
            if (!add_filter(c->tags, &c->tag_count, value))
                return usage_error("too many `--tag` options"), -2;
        } else if (strcmp(name, "--threads") == 0) {
            if (!parse_unsigned(value, &number)) return usage_error("invalid number of threads `%s`", value), -2;
        } else if (strcmp(name, "--timeout") == 0) {
            if (!set_timeout(c, value)) return usage_error("invalid timeout `%s` (seconds)", value), -2;
        } else if (strcmp(name, "--save") == 0) {
            c->save_to = value;
        } else if (strcmp(name, "--chunk") == 0) {
            if (!parse_unsigned(value, &number)) return usage_error("invalid chunk size `%s`", value), -2;
            c->scan.max_chunk_bytes = number;
        } else if (strcmp(name, "--backend") == 0) {
            if (strcmp(value, "auto") == 0) c->scan.backend = SPECRT_SCAN_BACKEND_AUTO;
            else if (strcmp(value, "gpu") == 0) c->scan.backend = SPECRT_SCAN_BACKEND_GPU;
            else if (strcmp(value, "cpu") == 0) c->scan.backend = SPECRT_SCAN_BACKEND_CPU;
            else return usage_error("unknown backend `%s` (auto, gpu or cpu)", value), -2;
        } else if (strcmp(name, "--mode") == 0) {
            if (strcmp(value, "auto") == 0) c->scan.mode = SPECRT_SPECULATION_AUTO;
            else if (strcmp(value, "fused") == 0) c->scan.mode = SPECRT_SPECULATION_FORCE;
            else if (strcmp(value, "serial") == 0) c->scan.mode = SPECRT_SPECULATION_DISABLE;
            else return usage_error("unknown mode `%s` (auto, fused or serial)", value), -2;
        } else if (strcmp(name, "--regex-verify") == 0) {
            if (strcmp(value, "auto") == 0) c->scan.regex_verification = SPECRT_REGEX_VERIFY_AUTO;
            else if (strcmp(value, "gpu") == 0) c->scan.regex_verification = SPECRT_REGEX_VERIFY_GPU;
            else if (strcmp(value, "cpu") == 0) c->scan.regex_verification = SPECRT_REGEX_VERIFY_CPU;
            else return usage_error("unknown regex verification `%s` (auto, gpu or cpu)", value), -2;
        } else {
            return usage_error("unknown option `%s`", name), -2;
        }
    }
    return 0;
}

/* ---- output text ---- */

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

/* ---- targets ---- */

typedef struct file_list {
    char **paths;
    uint64_t *sizes;
    unsigned char *direct; /* named on the command line (its scan error is the exit status's) */
    size_t count, cap;
    uint64_t total_bytes;
} file_list;

static void add_file(file_list *l, const char *path, uint64_t size, int direct) {
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->paths = (char **)realloc(l->paths, l->cap * sizeof *l->paths);
        l->sizes = (uint64_t *)realloc(l->sizes, l->cap * sizeof *l->sizes);
        l->direct = (unsigned char *)realloc(l->direct, l->cap);
        if (!l->paths || !l->sizes || !l->direct) abort();
    }
    l->paths[l->count] = strdup(path);
    if (!l->paths[l->count]) abort();
    l->direct[l->count] = (unsigned char)direct;
    l->sizes[l->count++] = size;
    l->total_bytes += size;
}

/* Adds the regular files of `path`: the file itself, or a directory's files (its
 * subdirectories' too when `recursive`). Symbolic links to files are followed, as yara follows
 * them; symbolic links to directories are not (no loops). `direct`: `path` was named on the
 * command line. Returns 0 when `path` cannot be opened. */
static int collect(file_list *l, const char *path, int top, int recursive, int direct) {
    struct stat st;
    if (!*path || (top ? stat(path, &st) : lstat(path, &st)) != 0) return 0;
    if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) return 1;
    if (S_ISREG(st.st_mode)) {
        add_file(l, path, (uint64_t)st.st_size, direct);
    } else if (S_ISDIR(st.st_mode) && (top || recursive)) {
        DIR *dir = opendir(path);
        struct dirent *e;
        size_t len = strlen(path);
        int slash = path[len - 1] == '/';
        if (!dir) return 0;
        while ((e = readdir(dir)) != NULL) {
            char *child;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            child = (char *)malloc(len + strlen(e->d_name) + 2);
            if (!child) abort();
            sprintf(child, "%s%s%s", path, slash ? "" : "/", e->d_name);
            if (!collect(l, child, 0, recursive, 0)) {
                fprintf(stderr, "error scanning %s: could not open file\n", child);
            }
            free(child);
        }
        closedir(dir);
    }
    return 1;
}

/* ---- scanning ---- */

/* Sums of the per-file scan summaries, for --stats. */
typedef struct totals {
    uint64_t files, bytes, matches, chunks, fused, serial, cpu, tiles, candidate_tiles;
    uint64_t gpu_files, cpu_files, upload_ns, kernel_ns, readback_ns;
    specrt_backend_reason last_reason;
} totals;

/* What the per-file callback needs. */
typedef struct job {
    const cli *c;
    const specrt_scanner *scanner;
    file_list files;
    int single_file; /* one file target: -c prints the bare count, as yara */
    uint64_t done_bytes;
    int failures;
    int progress_bar;
    double started, last_drawn;
    double deadline; /* -a: when to stop (0: never), as yara's deadline for the whole run */
    totals sum;
} job;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Redraws the progress bar: only after the first second, at most 10 times a second. */
static void draw_progress(job *j, int final) {
    double t = now_s(), fraction;
    size_t i, filled;
    char bar[41];
    if (!j->progress_bar) return;
    if (final) {
        if (j->last_drawn > 0) fprintf(stderr, "\r%60s\r", "");
        return;
    }
    if (t - j->started < 1.0 || t - j->last_drawn < 0.1) return;
    fraction = j->files.total_bytes ? (double)j->done_bytes / (double)j->files.total_bytes : 1.0;
    filled = (size_t)(fraction * 40.0);
    for (i = 0; i < 40; i++) bar[i] = i < filled ? '#' : '.';
    bar[40] = 0;
    fprintf(stderr, "\r[%s] %5.1f %% %7.2f GB/s", bar, 100.0 * fraction,
            (double)j->done_bytes / (t - j->started) / 1e9);
    j->last_drawn = t;
}

static int by_string_then_offset(const void *a, const void *b) {
    const specrt_match *x = (const specrt_match *)a, *y = (const specrt_match *)b;
    if (x->string_id != y->string_id) return x->string_id < y->string_id ? -1 : 1;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return 0;
}

/* Whether the space-separated `tags` contain `tag`. */
static int has_tag(const char *tags, const char *tag) {
    size_t n = strlen(tag);
    const char *p = tags;
    if (n == 0) return 0;
    while ((p = strstr(p, tag)) != NULL) {
        if ((p == tags || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
        p += n;
    }
    return 0;
}

/* Whether -t and -i select the rule, as yara decides: any of the tags, then, when identifiers
 * are given, any of the identifiers instead. */
static int selected(const cli *c, const specrt_rule_info *info) {
    int show = 1, k;
    if (c->tag_count) {
        show = 0;
        for (k = 0; k < c->tag_count; k++) show |= has_tag(info->tags, c->tags[k]);
    }
    if (c->identifier_count) {
        show = 0;
        for (k = 0; k < c->identifier_count; k++) show |= strcmp(info->name, c->identifiers[k]) == 0;
    }
    return show;
}

/* A text meta value as yara prints it: up to its first NUL (yara keeps C strings), quotes,
 * apostrophes and backslashes escaped, C's named escapes, other bytes outside printable ASCII
 * in octal. */
static void print_meta_text(const char *s, text *out) {
    static const char named[] = "\a\b\f\n\r\t\v", names[] = "abfnrtv";
    for (; *s; s++) {
        unsigned char b = (unsigned char)*s;
        const char *e = strchr(named, b);
        if (b == '"' || b == '\'' || b == '\\') text_printf(out, "\\%c", b);
        else if (e) text_printf(out, "\\%c", names[e - named]);
        else if (b >= 32 && b <= 126) text_printf(out, "%c", b);
        else text_printf(out, "\\%03o", b);
    }
}

/* The rule's meta as yara's -m prints it: [key="text",key =integer,key=true]. */
static int print_meta(const specrt_scanner *scanner, uint32_t rule, const specrt_rule_info *info,
                      text *out) {
    uint32_t k;
    text_printf(out, " [");
    for (k = 0; k < info->meta_count; k++) {
        specrt_meta m;
        if (specrt_scanner_rule_meta(scanner, rule, k, &m) != SPECRT_OK) return 0;
        if (k) text_printf(out, ",");
        if (m.kind == SPECRT_META_INTEGER) {
            text_printf(out, "%s =%lld", m.key, (long long)m.integer);
        } else if (m.kind == SPECRT_META_BOOLEAN) {
            text_printf(out, "%s=%s", m.key, m.boolean ? "true" : "false");
        } else {
            text_printf(out, "%s=\"", m.key);
            print_meta_text(m.text, out);
            text_printf(out, "\"");
        }
    }
    text_printf(out, "]");
    return 1;
}

/* The rule's line: [namespace:]name [tags] [meta] path. */
static int print_rule_line(const cli *c, const specrt_scanner *scanner, uint32_t rule,
                           const specrt_rule_info *info, const char *path, text *out) {
    if (c->show_namespace) text_printf(out, "%s:", info->namespace_);
    text_printf(out, "%s", info->name);
    if (c->show_tags) {
        const char *p;
        text_printf(out, " [");
        for (p = info->tags; *p; p++) text_printf(out, "%c", *p == ' ' ? ',' : *p);
        text_printf(out, "]");
    }
    if (c->show_meta && !print_meta(scanner, rule, info, out)) return 0;
    text_printf(out, " %s\n", path);
    return 1;
}

/* The strings of a matching rule, in yara's -s/-L format. */
static int print_strings(const job *j, uint32_t rule, const specrt_match *matches, size_t count,
                         specrt_match *mine, int fd, text *out) {
    size_t i, n = 0;
    for (i = 0; i < count; i++) {
        if (matches[i].rule_id == rule) mine[n++] = matches[i];
    }
    qsort(mine, n, sizeof *mine, by_string_then_offset);
    for (i = 0; i < n; i++) {
        specrt_string_info s;
        uint32_t shown = mine[i].length < MATCH_DATA_MAX ? mine[i].length : MATCH_DATA_MAX;
        if (specrt_scanner_string_info(j->scanner, rule, mine[i].string_id, &s) != SPECRT_OK) {
            return 0;
        }
        if (j->c->show_lengths) {
            text_printf(out, "0x%llx:%u:%s", (unsigned long long)mine[i].offset, shown, s.name);
        } else {
            text_printf(out, "0x%llx:%s", (unsigned long long)mine[i].offset, s.name);
        }
        if (j->c->show_strings) {
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
    return 1;
}

/* One file's output in yara's format. Returns 0 when the scanner refused a query. Only -n
 * needs every rule; otherwise the matched ones are walked. */
static int format_result(job *j, const char *path, const specrt_scan_result *result, text *out) {
    const cli *c = j->c;
    size_t rule_count = specrt_scanner_rule_count(j->scanner);
    size_t matched_count = specrt_scan_result_rule_count(result);
    const uint32_t *matched = specrt_scan_result_rules(result);
    size_t match_count = specrt_scan_result_match_count(result);
    const specrt_match *matches = specrt_scan_result_matches(result);
    int strings = !c->negate && !c->count_only && (c->show_strings || c->show_lengths);
    unsigned char *is_matched = NULL;
    specrt_match *scratch = NULL;
    int fd = strings && c->show_strings ? open(path, O_RDONLY) : -1;
    size_t k, walked = c->negate ? rule_count : matched_count, counted = 0;
    int ok = 1;
    /* The console module's messages, one per line, before the file's rules (yara prints them
     * while the conditions run). */
    for (k = 0; k < specrt_scan_result_console_count(result); k++) {
        const uint8_t *message;
        size_t length;
        if (specrt_scan_result_console_message(result, k, &message, &length) != SPECRT_OK) break;
        text_printf(out, "%.*s\n", (int)length, (const char *)message);
    }
    if (c->negate) {
        is_matched = (unsigned char *)calloc(rule_count ? rule_count : 1, 1);
        if (!is_matched) abort();
        for (k = 0; k < matched_count; k++) {
            if (matched[k] < rule_count) is_matched[matched[k]] = 1;
        }
    }
    if (strings) {
        scratch = (specrt_match *)malloc((match_count ? match_count : 1) * sizeof *scratch);
        if (!scratch) abort();
    }
    for (k = 0; k < walked && ok; k++) {
        uint32_t rule = c->negate ? (uint32_t)k : matched[k];
        int hit = c->negate ? is_matched[k] : 1;
        specrt_rule_info info;
        if (specrt_scanner_rule_info(j->scanner, rule, &info) != SPECRT_OK) {
            ok = 0;
            break;
        }
        if (info.is_private) continue;
        /* yara counts every matching rule, whatever -n, -i and -t select for printing. */
        counted += (size_t)hit;
        if (c->count_only || hit == c->negate || !selected(c, &info)) continue;
        ok = print_rule_line(c, j->scanner, rule, &info, path, out);
        if (ok && strings) ok = print_strings(j, rule, matches, match_count, scratch, fd, out);
    }
    if (c->count_only) {
        if (j->single_file) {
            text_printf(out, "%llu\n", (unsigned long long)counted);
        } else {
            text_printf(out, "%s: %llu\n", path, (unsigned long long)counted);
        }
    }
    if (fd >= 0) close(fd);
    free(is_matched);
    free(scratch);
    return ok;
}

static void add_summary(job *j, const specrt_scan_result *result, const char *path) {
    specrt_scan_summary sum;
    if (specrt_scan_result_summary(result, &sum) != SPECRT_OK) return;
    j->sum.files++;
    j->sum.bytes += sum.bytes;
    j->sum.matches += sum.match_count;
    j->sum.chunks += sum.chunk_count;
    j->sum.fused += sum.fused_chunks;
    j->sum.serial += sum.serial_chunks;
    j->sum.cpu += sum.cpu_chunks;
    j->sum.tiles += (uint64_t)sum.report.committed_tiles + sum.report.rolled_back_tiles;
    j->sum.candidate_tiles += sum.report.committed_tiles;
    j->sum.upload_ns += sum.upload_ns;
    j->sum.kernel_ns += sum.kernel_ns;
    j->sum.readback_ns += sum.readback_ns;
    if (sum.backend == SPECRT_SCAN_BACKEND_GPU) j->sum.gpu_files++;
    else j->sum.cpu_files++;
    j->sum.last_reason = sum.backend_reason;
    if (j->c->no_warnings) return;
    if (sum.capped_strings) {
        fprintf(stderr,
                "warning: %s: %llu strings have more than %u matches; only the first are kept "
                "(conditions count them all)\n",
                path, (unsigned long long)sum.capped_strings, SPECRT_MAX_STRING_MATCHES);
    } else if (sum.truncated) {
        fprintf(stderr, "warning: %s: the match limit dropped %llu matches\n", path,
                (unsigned long long)sum.dropped);
    }
}

/* One file's outcome (called by specrt_scan_files, one file at a time). */
static int on_file(size_t index, specrt_status st, const specrt_scan_result *result,
                   void *user_data) {
    job *j = (job *)user_data;
    const char *path = j->files.paths[index];
    text out = {NULL, 0, 0};
    if (st == SPECRT_ERROR_TIMEOUT) {
        fprintf(stderr, "error scanning %s: scanning timed out\n", path);
        if (j->files.direct[index]) j->failures++;
    } else if (st != SPECRT_OK) {
        fprintf(stderr, "error scanning %s: %s\n", path, specrt_last_error());
        if (j->files.direct[index]) j->failures++;
    } else {
        if (!format_result(j, path, result, &out)) {
            fprintf(stderr, "error: %s\n", specrt_last_error());
            j->failures++;
        }
        add_summary(j, result, path);
    }
    if (out.len) fwrite(out.data, 1, out.len, stdout);
    free(out.data);
    j->done_bytes += j->files.sizes[index];
    draw_progress(j, 0);
    /* Past the deadline the files not yet scanned are skipped, as yara does. */
    return j->deadline > 0 && now_s() > j->deadline;
}

/* The scan summary as one JSON object on stderr. */
static void print_stats(const job *j, double wall_s) {
    const totals *s = &j->sum;
    const char *backend = s->gpu_files && s->cpu_files ? "mixed" : s->gpu_files ? "gpu" : "cpu";
    fprintf(stderr,
            "{\"files\": %llu, \"failures\": %d, \"bytes\": %llu, \"wall_s\": %.6f, "
            "\"gbps\": %.4f, \"backend\": \"%s\", \"backend_reason\": \"%s\", "
            "\"files_on_gpu\": %llu, \"files_on_cpu\": %llu, "
            "\"chunks\": {\"total\": %llu, \"fused\": %llu, \"serial\": %llu, \"cpu\": %llu}, "
            "\"tiles\": %llu, \"tiles_with_candidates\": %llu, \"matches\": %llu, "
            "\"upload_s\": %.6f, \"kernel_s\": %.6f, \"readback_s\": %.6f}\n",
            (unsigned long long)s->files, j->failures, (unsigned long long)s->bytes, wall_s,
            wall_s > 0 ? (double)s->bytes / wall_s / 1e9 : 0.0, backend,
            specrt_backend_reason_str(s->last_reason), (unsigned long long)s->gpu_files,
            (unsigned long long)s->cpu_files, (unsigned long long)s->chunks,
            (unsigned long long)s->fused, (unsigned long long)s->serial,
            (unsigned long long)s->cpu, (unsigned long long)s->tiles,
            (unsigned long long)s->candidate_tiles, (unsigned long long)s->matches,
            (double)s->upload_ns / 1e9, (double)s->kernel_ns / 1e9, (double)s->readback_ns / 1e9);
}

/* ---- rules ---- */

static void report_error(specrt_status st) {
    fprintf(stderr, "error: %s: %s\n", specrt_status_str(st), specrt_last_error());
}

/* The rule set of [NAMESPACE:]RULES_FILE: loaded when saved compiled (-C), else compiled from
 * its YARA source into NAMESPACE (yara's "default" without one; includes are found beside the
 * file), skipped rules listed on stderr unless -w. NULL after an error message. */
static specrt_ruleset *load_rules(const cli *c, const char *path) {
    specrt_compile_options copts = {0};
    specrt_compiler *compiler = NULL;
    specrt_ruleset *rules = NULL;
    specrt_status st;
    const char *file = path, *colon = strchr(path, ':');
    char namespace_[256] = "default";
    struct stat sb;
    size_t i;
    if (c->compiled) {
        st = specrt_ruleset_load(path, &rules);
        if (st != SPECRT_OK) report_error(st);
        return rules;
    }
    /* As yara: "NS:FILE" names a namespace, unless a file is named so. */
    if (colon && stat(path, &sb) != 0 && (size_t)(colon - path) < sizeof namespace_ &&
        colon != path) {
        memcpy(namespace_, path, (size_t)(colon - path));
        namespace_[colon - path] = 0;
        file = colon + 1;
    }
    if (access(file, R_OK) != 0) {
        fprintf(stderr, "error: could not open file: %s\n", file);
        return NULL;
    }
    copts.flags = c->skip_unsupported ? SPECRT_COMPILE_SKIP_UNSUPPORTED : 0;
    copts.origin = file;
    copts.externals = c->externals;
    copts.external_count = (size_t)c->external_count;
    st = specrt_compiler_new(&copts, &compiler);
    if (st == SPECRT_OK) st = specrt_compiler_add_file(compiler, file, namespace_);
    if (st == SPECRT_OK) st = specrt_compiler_build(compiler, &rules);
    specrt_compiler_free(compiler);
    if (st != SPECRT_OK) {
        report_error(st);
        return NULL;
    }
    for (i = 0; i < specrt_ruleset_skipped_count(rules) && !c->no_warnings; i++) {
        specrt_skipped_rule s;
        if (specrt_ruleset_skipped(rules, i, &s) != SPECRT_OK) break;
        fprintf(stderr, "warning: skipped rule %s (%s:%u:%u: %s)\n",
                s.rule[0] ? s.rule : "(statement)", file, s.line, s.column, s.construct);
    }
    return rules;
}

/* Adds TARGET, or with --scan-list the targets listed in it; 0 after an error message. */
static int add_target(job *j, const char *target) {
    if (j->c->scan_list) {
        /* As yara: a listed target that cannot be opened is reported, not a failure. */
        FILE *list = fopen(target, "r");
        char *line = NULL;
        size_t cap = 0;
        if (!list) {
            fprintf(stderr, "error: could not open file: %s\n", target);
            return 0;
        }
        while (getline(&line, &cap, list) >= 0) {
            line[strcspn(line, "\r\n")] = 0;
            if (!collect(&j->files, line, 1, j->c->recursive, 0)) {
                fprintf(stderr, "error scanning %s: could not open file\n", line);
            }
        }
        free(line);
        fclose(list);
        return 1;
    }
    if (!collect(&j->files, target, 1, j->c->recursive, 1)) {
        fprintf(stderr, "error scanning %s: could not open file\n", target);
        return 0;
    }
    return 1;
}

static int scan_targets(specrt_context *ctx, const cli *c, char **targets, int target_count,
                        specrt_ruleset *rules) {
    specrt_scanner *scanner = NULL;
    specrt_status st = specrt_scanner_new(ctx, rules, &scanner);
    struct stat st_target;
    size_t i;
    job j;
    int t;
    if (st != SPECRT_OK) {
        report_error(st);
        return 1;
    }
    memset(&j, 0, sizeof j);
    j.c = c;
    j.scanner = scanner;
    j.single_file = target_count == 1 && !c->scan_list && stat(targets[0], &st_target) == 0 &&
                    S_ISREG(st_target.st_mode);
    for (t = 0; t < target_count; t++) {
        if (!add_target(&j, targets[t])) j.failures++;
    }
    j.progress_bar = isatty(STDERR_FILENO);
    j.started = now_s();
    if (c->scan.timeout_ms) j.deadline = j.started + (double)c->scan.timeout_ms / 1000.0;
    st = j.files.count == 0 ? SPECRT_OK
                            : specrt_scan_files(scanner, (const char *const *)j.files.paths,
                                                j.files.count, &c->scan, on_file, &j);
    draw_progress(&j, 1);
    if (st != SPECRT_OK) {
        report_error(st);
        j.failures++;
    }
    if (c->stats) print_stats(&j, now_s() - j.started);
    for (i = 0; i < j.files.count; i++) free(j.files.paths[i]);
    free(j.files.paths);
    free(j.files.sizes);
    free(j.files.direct);
    specrt_scanner_free(scanner);
    return j.failures ? 1 : 0;
}

int main(int argc, char **argv) {
    specrt_context_options copts = specrt_context_options_default();
    specrt_context *ctx = NULL;
    specrt_ruleset *rules;
    specrt_status st;
    cli c;
    int parsed, status;

    memset(&c, 0, sizeof c);
    c.scan = specrt_scan_options_default();
    c.scan.tune = false;            /* short scans: racing kernel variants would not pay off */
    c.scan.max_matches = 1u << 24;  /* print everything yara would */
    parsed = parse_args(argc, argv, &c);
    if (parsed < 0) {
        free(c.operands);
        return parsed == -1 ? 0 : 1;
    }
    if (c.save_to ? c.operand_count != 1 : c.operand_count < 2) {
        free(c.operands);
        return usage_error("wrong number of arguments");
    }

    rules = load_rules(&c, c.operands[0]);
    if (!rules) {
        free(c.operands);
        return 1;
    }
    if (c.save_to) {
        st = specrt_ruleset_save(rules, c.save_to);
        if (st != SPECRT_OK) report_error(st);
        status = st == SPECRT_OK ? 0 : 1;
    } else {
        copts.cpu_fallback = true; /* no GPU: scan on the CPU */
        st = specrt_context_new(&copts, &ctx);
        if (st != SPECRT_OK) {
            report_error(st);
            status = 1;
        } else {
            status = scan_targets(ctx, &c, c.operands + 1, c.operand_count - 1, rules);
            specrt_context_free(ctx);
        }
    }
    specrt_ruleset_free(rules);
    free(c.operands);
    return status;
}
