/*
 * scan: a secret-scanner demo on specrt's pattern scanner (`make demo`).
 *
 * Usage: scan [--backend auto|gpu|cpu] [--mode auto|fused|serial]
 *
 * A sample is assembled in memory from this machine's own /usr/bin (about 8 MB) with a few
 * planted fake secrets and scanned with the rule set bundled below, built through the
 * programmatic API (strings as bytes, an optional per-byte mask, and flags). It prints the first
 * matches, the rules matched, the throughput and which backend ran and why. The YARA-compatible
 * command line scanner is tools/specrt-scan.c (specrt-scan(1)).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    fprintf(stderr, "usage: scan [--backend auto|gpu|cpu] [--mode auto|fused|serial]\n");
    return 2;
}

int main(int argc, char **argv) {
    specrt_context_options copts = specrt_context_options_default();
    specrt_scan_options sopts = specrt_scan_options_default();
    specrt_context *ctx = NULL;
    int a, status;

    for (a = 1; a < argc; a++) {
        const char *opt = argv[a];
        if (strcmp(opt, "--backend") == 0 && a + 1 < argc) {
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
    copts.cpu_fallback = true; /* no GPU: scan on the CPU */
    sopts.tune = false;        /* one short scan: racing kernel variants would not pay off */
    TRY(specrt_context_new(&copts, &ctx));
    status = demo_main(ctx, sopts);
    specrt_context_free(ctx);
    return status;
}
