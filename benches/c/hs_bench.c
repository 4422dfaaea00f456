/*
 * The Vectorscan anchor of `make bench`: the same literal strings over the same input as
 * specrt's scan benchmark, in block mode on all CPU threads (each thread scans one slice, the
 * slices overlapping by the longest string). Compilation and reading the input are not timed.
 *
 * Usage: hs_bench PATTERNS_FILE THREADS INPUT_FILE...
 *   PATTERNS_FILE: one string per line, hex-encoded; the input files are concatenated.
 * Prints one JSON object: {"gbps": best of three, "matches": ..., "compile_s": ..., "threads": ...}.
 */
#define _POSIX_C_SOURCE 200809L
#include <hs/hs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct slice {
    const hs_database_t *db;
    hs_scratch_t *scratch;
    const char *data;
    size_t len;
    unsigned long long matches;
} slice;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx) {
    (void)id;
    (void)from;
    (void)to;
    (void)flags;
    ((slice *)ctx)->matches++;
    return 0;
}

static void *scan_slice(void *arg) {
    slice *s = (slice *)arg;
    if (hs_scan(s->db, s->data, (unsigned)s->len, 0, s->scratch, on_match, s) != HS_SUCCESS) {
        fprintf(stderr, "hs_scan failed\n");
        exit(1);
    }
    return NULL;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    rewind(f);
    buf = (char *)malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

int main(int argc, char **argv) {
    size_t patterns_len, input_len, count = 0, i, max_len = 0;
    char *patterns, *input, *line, *save = NULL;
    char **exprs;
    size_t *lens;
    unsigned *ids, *flags;
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    hs_scratch_t *proto = NULL;
    double compile_s, best = 1e30;
    const char *api = "hs_compile_lit_multi";
    unsigned long long matches = 0;
    int threads, t, round;
    slice *slices;
    pthread_t *tids;

    if (argc < 4) {
        fprintf(stderr, "usage: hs_bench PATTERNS_FILE THREADS INPUT_FILE...\n");
        return 2;
    }
    threads = atoi(argv[2]);
    patterns = read_file(argv[1], &patterns_len);
    patterns[patterns_len] = 0;
    exprs = (char **)calloc(patterns_len / 2 + 1, sizeof *exprs);
    lens = (size_t *)calloc(patterns_len / 2 + 1, sizeof *lens);
    for (line = strtok_r(patterns, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line) / 2;
        exprs[count] = (char *)malloc(n + 1);
        for (i = 0; i < n; i++) exprs[count][i] = (char)(hex(line[2 * i]) << 4 | hex(line[2 * i + 1]));
        lens[count] = n;
        if (n > max_len) max_len = n;
        count++;
    }
    ids = (unsigned *)calloc(count, sizeof *ids);
    flags = (unsigned *)calloc(count, sizeof *flags);
    for (i = 0; i < count; i++) ids[i] = (unsigned)i;

    compile_s = now_s();
    if (hs_compile_lit_multi((const char *const *)exprs, flags, ids, lens, (unsigned)count,
                             HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
        /* The literal API refuses strings that start with a zero byte ("empty string"): the
         * same literals as fully escaped expressions compile to the same literal matcher. */
        char **escaped = (char **)calloc(count, sizeof *escaped);
        hs_free_compile_error(err);
        err = NULL;
        api = "hs_compile_multi";
        for (i = 0; i < count; i++) {
            size_t j;
            escaped[i] = (char *)malloc(lens[i] * 4 + 1);
            for (j = 0; j < lens[i]; j++)
                sprintf(escaped[i] + 4 * j, "\\x%02x", (unsigned char)exprs[i][j]);
            flags[i] = HS_FLAG_DOTALL;
        }
        if (hs_compile_multi((const char *const *)escaped, flags, ids, (unsigned)count,
                             HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
            fprintf(stderr, "hs_compile_multi: %s\n", err ? err->message : "failed");
            return 1;
        }
    }
    compile_s = now_s() - compile_s;
    if (hs_alloc_scratch(db, &proto) != HS_SUCCESS) return 1;

    input = NULL;
    input_len = 0;
    for (t = 3; t < argc; t++) {
        size_t piece_len;
        char *piece = read_file(argv[t], &piece_len);
        input = (char *)realloc(input, input_len + piece_len + 1);
        if (!input) return 1;
        memcpy(input + input_len, piece, piece_len);
        input_len += piece_len;
        free(piece);
    }
    slices = (slice *)calloc((size_t)threads, sizeof *slices);
    tids = (pthread_t *)calloc((size_t)threads, sizeof *tids);
    for (t = 0; t < threads; t++) {
        size_t per = input_len / (size_t)threads, start = per * (size_t)t;
        size_t end = t == threads - 1 ? input_len : start + per + max_len - 1;
        if (end > input_len) end = input_len;
        slices[t].db = db;
        slices[t].data = input + start;
        slices[t].len = end - start;
        if (hs_clone_scratch(proto, &slices[t].scratch) != HS_SUCCESS) return 1;
    }
    for (round = 0; round < 3; round++) {
        double start = now_s(), took;
        matches = 0;
        for (t = 0; t < threads; t++) {
            slices[t].matches = 0;
            pthread_create(&tids[t], NULL, scan_slice, &slices[t]);
        }
        for (t = 0; t < threads; t++) {
            pthread_join(tids[t], NULL);
            matches += slices[t].matches;
        }
        took = now_s() - start;
        if (took < best) best = took;
    }
    printf("{\"gbps\": %.3f, \"matches\": %llu, \"compile_s\": %.3f, \"threads\": %d, \"strings\": %zu, "
           "\"api\": \"%s\"}\n",
           (double)input_len / best / 1e9, matches, compile_s, threads, count, api);
    return 0;
}
