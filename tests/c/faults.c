/* Faults survived through the C ABI: the device lost in the middle of a scan, GPU memory asked
 * beyond what the device has, a read-only store path, a full disk (a file size limit), a file
 * truncated while it is scanned, and zero and huge lengths. Each gives a clear status and
 * message, nothing is lost, and the objects stay usable.
 * Usage: faults SCRATCH_DIR KERNEL_DIR (the kernel dir is unused). */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

/* Test-only export of the library built with the `test-hooks` feature. */
#ifdef __cplusplus
extern "C" {
#endif
specrt_status specrt_test_lose_device(const specrt_context *context);
#ifdef __cplusplus
}
#endif

static const char *scratch;

static specrt_context *gpu_context(void) {
    specrt_context_options o = specrt_context_options_default();
    specrt_context *ctx = NULL;
    o.allow_software = true;
    if (specrt_context_new(&o, &ctx) != SPECRT_OK) {
        const char *required = getenv("SPECRT_REQUIRE_GPU");
        if (required && strcmp(required, "1") == 0) {
            fprintf(stderr, "no GPU adapter: %s\n", specrt_last_error());
            check_failures++;
        }
        return NULL;
    }
    return ctx;
}

static specrt_scanner *needle_scanner(const specrt_context *ctx) {
    static const char rules[] = "rule needle { strings: $n = \"needle\" condition: $n }";
    specrt_ruleset *rs = NULL;
    specrt_scanner *s = NULL;
    CHECK_OK(specrt_ruleset_compile(rules, sizeof rules - 1, NULL, &rs));
    CHECK_OK(specrt_scanner_new(ctx, rs, &s));
    specrt_ruleset_free(rs);
    return s;
}

/* 4 MiB with a needle every 64 KiB. */
static uint8_t *needles(size_t *len) {
    size_t i;
    uint8_t *data = (uint8_t *)malloc(4u << 20);
    memset(data, '.', 4u << 20);
    for (i = 0; i + 6 <= (4u << 20); i += 65536) memcpy(data + i + 100, "needle", 6);
    *len = 4u << 20;
    return data;
}

/* Scans `data` with `o` and checks that all 64 needles are found. */
static void expect_all_needles(const specrt_scanner *scanner, const uint8_t *data, size_t len,
                               const specrt_scan_options *o) {
    specrt_scan_result *r = NULL;
    CHECK_OK(specrt_scan(scanner, data, len, o, NULL, NULL, &r));
    CHECK(specrt_scan_result_match_count(r) == 64);
    specrt_scan_result_free(r);
}

typedef struct loser {
    const specrt_context *ctx;
    int calls;
} loser;

static int lose_on_first_chunk(const specrt_match *m, size_t n, void *user_data) {
    loser *l = (loser *)user_data;
    (void)m;
    (void)n;
    if (l->calls++ == 0) CHECK_OK(specrt_test_lose_device(l->ctx));
    return 0;
}

static void device_lost_mid_scan(void) {
    specrt_context *ctx = gpu_context();
    specrt_scanner *scanner;
    specrt_scan_result *r = NULL;
    specrt_scan_options o = specrt_scan_options_default();
    size_t len;
    uint8_t *data;
    loser l;
    if (!ctx) return;
    scanner = needle_scanner(ctx);
    data = needles(&len);
    o.backend = SPECRT_SCAN_BACKEND_GPU;
    o.max_chunk_bytes = 256u << 10;
    o.tune = false;
    l.ctx = ctx;
    l.calls = 0;
    CHECK_STATUS(specrt_scan(scanner, data, len, &o, lose_on_first_chunk, &l, &r),
                 SPECRT_ERROR_DEVICE_LOST);
    CHECK_ERROR_MENTIONS("new context");
    CHECK(r == NULL && l.calls == 1);
    CHECK(specrt_context_is_lost(ctx));
    /* Every later GPU call says so; the CPU backend of the same scanner still works. */
    CHECK_STATUS(specrt_scan(scanner, data, len, &o, NULL, NULL, &r), SPECRT_ERROR_DEVICE_LOST);
    o.backend = SPECRT_SCAN_BACKEND_CPU;
    expect_all_needles(scanner, data, len, &o);
    specrt_scanner_free(scanner);
    specrt_context_free(ctx);

    /* A new context works. */
    ctx = gpu_context();
    scanner = needle_scanner(ctx);
    o.backend = SPECRT_SCAN_BACKEND_GPU;
    expect_all_needles(scanner, data, len, &o);
    specrt_scanner_free(scanner);
    specrt_context_free(ctx);
    free(data);
}

static void gpu_memory_beyond_the_device(void) {
    static const char *wgsl =
        "@group(0) @binding(0) var<storage, read> input: array<u32>;\n"
        "@group(0) @binding(1) var<storage, read_write> output: array<u32>;\n"
        "@compute @workgroup_size(64)\n"
        "fn main(@builtin(global_invocation_id) id: vec3<u32>) {\n"
        "    if (id.x < arrayLength(&output)) { output[id.x] = input[0]; }\n"
        "}\n";
    specrt_context *ctx = gpu_context();
    specrt_size_rule huge = {(uint64_t)1 << 42, 0, 0, 0, 1}; /* 4 TiB */
    specrt_size_rule small = {64, 0, 0, 0, 1};
    specrt_program_desc desc;
    specrt_program *big = NULL, *ok = NULL;
    specrt_dispatch_outcome *out = NULL;
    uint8_t input[64] = {0};
    specrt_bytes item = {input, sizeof input};
    specrt_input_list inputs = {&item, 1};
    specrt_status st;
    if (!ctx) return;
    memset(&desc, 0, sizeof desc);
    desc.wgsl = wgsl;
    desc.entry_point = "main";
    desc.input_count = 1;
    desc.output_count = 1;
    desc.output_sizes = &huge;
    desc.workgroups_x.fixed = 1;
    desc.workgroups_x.denominator = 1;
    CHECK_OK(specrt_program_new(ctx, &desc, &big));
    st = specrt_program_dispatch(ctx, big, &inputs, &out);
    CHECK(st == SPECRT_ERROR_TOO_LARGE || st == SPECRT_ERROR_OUT_OF_MEMORY);
    CHECK(out == NULL);
    CHECK(strlen(specrt_last_error()) > 10);
    /* The context is unharmed. */
    desc.output_sizes = &small;
    CHECK_OK(specrt_program_new(ctx, &desc, &ok));
    CHECK_OK(specrt_program_dispatch(ctx, ok, &inputs, &out));
    CHECK(!specrt_context_is_lost(ctx));
    specrt_dispatch_outcome_free(out);
    specrt_program_free(ok);
    specrt_program_free(big);
    specrt_context_free(ctx);
}

static void fill_store(specrt_autotune_store *store, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++) {
        specrt_spec_cache_key key = {i, 7, {64, 1, 1}, 0};
        specrt_autotune_record rec = {{64, 1, 1}, 2, {16, 1, 1}, "2026-11-21"};
        CHECK_OK(specrt_autotune_store_put(store, &key, "adapter", &rec));
    }
}

static void store_on_a_read_only_or_full_disk(void) {
    char path[4096];
    specrt_autotune_store *store = NULL, *again = NULL;
    struct rlimit saved, tiny;
    bool wrote = false;

    /* Read-only location (even for root). */
    CHECK_OK(specrt_autotune_store_new(&store));
    fill_store(store, 3);
    CHECK_STATUS(specrt_autotune_store_save_if_dirty(store, "/proc/specrt/store.toml", &wrote),
                 SPECRT_ERROR_IO);
    CHECK_ERROR_MENTIONS("/proc/specrt");
    CHECK(specrt_autotune_store_is_dirty(store) && specrt_autotune_store_len(store) == 3);

    /* A good path keeps everything. */
    snprintf(path, sizeof path, "%s/store.toml", scratch);
    CHECK_OK(specrt_autotune_store_save_if_dirty(store, path, &wrote));
    CHECK(wrote);

    /* Full disk: the file size limit makes writes fail; the saved file must stay intact. */
    fill_store(store, 400);
    getrlimit(RLIMIT_FSIZE, &saved);
    tiny = saved;
    tiny.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &tiny) == 0);
    CHECK_STATUS(specrt_autotune_store_save_if_dirty(store, path, &wrote), SPECRT_ERROR_IO);
    CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    CHECK(specrt_autotune_store_is_dirty(store));
    CHECK_OK(specrt_autotune_store_load(path, &again));
    CHECK(specrt_autotune_store_len(again) == 3); /* the earlier save, whole */
    specrt_autotune_store_free(again);
    /* With room again, the pending records are saved. */
    CHECK_OK(specrt_autotune_store_save_if_dirty(store, path, &wrote));
    CHECK_OK(specrt_autotune_store_load(path, &again));
    CHECK(specrt_autotune_store_len(again) == 400);
    specrt_autotune_store_free(again);
    specrt_autotune_store_free(store);
}

typedef struct truncator {
    const char *path;
} truncator;

static int truncate_file(uint64_t done, uint64_t total, void *user_data) {
    (void)done;
    (void)total;
    CHECK(truncate(((truncator *)user_data)->path, 1000) == 0);
    return 0;
}

static void file_truncated_during_scan(void) {
    specrt_context *ctx = gpu_context();
    specrt_scanner *scanner = needle_scanner(ctx);
    specrt_scan_options o = specrt_scan_options_default();
    specrt_scan_result *r = NULL;
    specrt_scan_backend backends[2] = {SPECRT_SCAN_BACKEND_CPU, SPECRT_SCAN_BACKEND_GPU};
    char path[4096];
    truncator t;
    size_t len, b;
    uint8_t *data = needles(&len);
    snprintf(path, sizeof path, "%s/shrinking.bin", scratch);
    t.path = path;
    o.max_chunk_bytes = 128u << 10;
    for (b = 0; b < (ctx ? 2u : 1u); b++) {
        FILE *f = fopen(path, "wb");
        fwrite(data, 1, len, f);
        fclose(f);
        o.backend = backends[b];
        CHECK_STATUS(specrt_scan_file(scanner, path, &o, NULL, truncate_file, &t, &r),
                     SPECRT_ERROR_IO);
        CHECK_ERROR_MENTIONS("shrank");
        /* The scanner goes on working. */
        expect_all_needles(scanner, data, len, &o);
    }
    specrt_scanner_free(scanner);
    specrt_context_free(ctx);
    free(data);
}

static void zero_and_huge_lengths(void) {
    specrt_scanner *scanner = needle_scanner(NULL);
    specrt_scan_result *r = NULL;
    specrt_ruleset *rs = NULL;
    specrt_report report;
    uint8_t byte = 0;
    CHECK_OK(specrt_scan(scanner, NULL, 0, NULL, NULL, NULL, &r));
    CHECK(specrt_scan_result_match_count(r) == 0);
    specrt_scan_result_free(r);
    CHECK_STATUS(specrt_scan(scanner, &byte, SIZE_MAX, NULL, NULL, NULL, &r), SPECRT_ERROR_TOO_LARGE);
    CHECK_STATUS(specrt_counter_tail_parse(&byte, 0, &report), SPECRT_ERROR_COUNTER_TAIL);
    CHECK_STATUS(specrt_counter_tail_parse(&byte, SIZE_MAX, &report), SPECRT_ERROR_TOO_LARGE);
    CHECK_STATUS(specrt_ruleset_compile("x", (size_t)SPECRT_MAX_YARA_SOURCE_BYTES + 1, NULL, &rs),
                 SPECRT_ERROR_TOO_LARGE);
    CHECK_OK(specrt_ruleset_new(&rs));
    CHECK_STATUS(specrt_ruleset_add_string(rs, 0, 0, &byte, NULL, 0, 0),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    {
        static uint8_t long_string[SPECRT_MAX_STRING_BYTES + 1];
        CHECK_STATUS(specrt_ruleset_add_string(rs, 0, 0, long_string, NULL, sizeof long_string, 0),
                     SPECRT_ERROR_INVALID_ARGUMENT);
        CHECK_ERROR_MENTIONS("4096");
        CHECK_OK(specrt_ruleset_add_string(rs, 0, 0, long_string, NULL, SPECRT_MAX_STRING_BYTES, 0));
    }
    specrt_ruleset_free(rs);
    specrt_scanner_free(scanner);
}

int main(int argc, char **argv) {
    (void)argc;
    scratch = argc > 1 ? argv[1] : ".";
    zero_and_huge_lengths();
    store_on_a_read_only_or_full_disk();
    file_truncated_during_scan();
    gpu_memory_beyond_the_device();
    device_lost_mid_scan();
    return check_report("faults");
}
