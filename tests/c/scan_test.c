/* The pattern scanner through the C ABI: the GPU fused and serial paths and the CPU backend
 * agree; match callbacks, limits, file scans with progress, and misuse.
 * Usage: scan_test SCRATCH_DIR KERNEL_DIR (the kernel dir is unused). */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static specrt_scan_result *scan(const specrt_scanner *s, const uint8_t *data, size_t len,
                                specrt_scan_backend backend, specrt_speculation_mode mode,
                                uint64_t chunk, uint64_t limit) {
    specrt_scan_options o = specrt_scan_options_default();
    specrt_scan_result *r = NULL;
    o.backend = backend;
    o.mode = mode;
    o.max_chunk_bytes = chunk;
    if (limit) o.max_matches = limit;
    CHECK_OK(specrt_scan(s, data, len, &o, NULL, NULL, &r));
    return r;
}

static int same_arrays(const specrt_match *x, const specrt_match *y, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (x[i].offset != y[i].offset || x[i].rule_id != y[i].rule_id ||
            x[i].string_id != y[i].string_id || x[i].length != y[i].length)
            return 0;
    return 1;
}

static int same_matches(const specrt_scan_result *a, const specrt_scan_result *b) {
    size_t n = specrt_scan_result_match_count(a);
    return n == specrt_scan_result_match_count(b) &&
           same_arrays(specrt_scan_result_matches(a), specrt_scan_result_matches(b), n);
}

static int stop_first(const specrt_match *m, size_t count, void *user_data) {
    (void)m;
    *(size_t *)user_data += count;
    return 1;
}

static int count_progress(uint64_t done, uint64_t total, void *user_data) {
    CHECK(done <= total);
    ++*(int *)user_data;
    return 0;
}

int main(int argc, char **argv) {
    specrt_context_options copts = specrt_context_options_default();
    specrt_context *ctx = NULL;
    specrt_ruleset *rules = NULL;
    specrt_scanner *gpu = NULL, *cpu_only = NULL;
    specrt_scan_result *cpu, *fused, *serial, *r;
    specrt_scan_summary sum;
    specrt_scan_chunk chunk;
    specrt_scan_options o = specrt_scan_options_default();
    size_t len = 200000, i, seen = 0;
    uint8_t *data = (uint8_t *)malloc(len);
    uint64_t state = 7;
    char path[4096];
    FILE *f;
    int progress_calls = 0;

    if (argc < 2) return 2;
    copts.cpu_fallback = true;
    CHECK_OK(specrt_context_new(&copts, &ctx));
    CHECK_OK(specrt_ruleset_new(&rules));
    CHECK_OK(specrt_ruleset_add_string(rules, 1, 0, (const uint8_t *)"needle", NULL, 6, SPECRT_STRING_NOCASE));
    CHECK_OK(specrt_ruleset_add_string(rules, 1, 1, (const uint8_t *)"ab", NULL, 2, SPECRT_STRING_WIDE | SPECRT_STRING_ASCII));
    CHECK_OK(specrt_ruleset_add_string(rules, 2, 0, (const uint8_t *)"x?z", (const uint8_t *)"\xff\x00\xff", 3, SPECRT_STRING_FULLWORD));
    CHECK(specrt_ruleset_string_count(rules) == 3);
    CHECK_STATUS(specrt_ruleset_add_string(rules, 1, 0, (const uint8_t *)"dup", NULL, 3, 0), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_ruleset_add_string(rules, 3, 0, (const uint8_t *)"", NULL, 0, 0), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_ruleset_add_string(rules, 3, 0, (const uint8_t *)"a", NULL, 1, 0x100), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_ruleset_add_string(rules, 3, 0, NULL, NULL, 1, 0), SPECRT_ERROR_NULL_POINTER);
    CHECK_OK(specrt_scanner_new(ctx, rules, &gpu));
    CHECK_OK(specrt_scanner_new(NULL, rules, &cpu_only));
    CHECK(!specrt_scanner_has_gpu(cpu_only));

    for (i = 0; i < len; i++) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        data[i] = (uint8_t)("abxyz NEDLe.\0"[state % 13]);
    }
    for (i = 0; i + 6 < len; i += 997) memcpy(data + i, (i / 997) % 2 ? "NeEdLe" : "needle", 6);

    cpu = scan(gpu, data, len, SPECRT_SCAN_BACKEND_CPU, SPECRT_SPECULATION_AUTO, 5000, 0);
    CHECK(specrt_scan_result_match_count(cpu) > 200);
    if (specrt_scanner_has_gpu(gpu)) {
        fused = scan(gpu, data, len, SPECRT_SCAN_BACKEND_GPU, SPECRT_SPECULATION_FORCE, 5000, 0);
        serial = scan(gpu, data, len, SPECRT_SCAN_BACKEND_GPU, SPECRT_SPECULATION_DISABLE, 5000, 0);
        CHECK(same_matches(cpu, fused));
        CHECK(same_matches(cpu, serial));
        CHECK_OK(specrt_scan_result_summary(fused, &sum));
        CHECK(sum.fused_chunks == sum.chunk_count && sum.chunk_count > 10 && sum.bytes == len);
        CHECK(specrt_report_attempted_tiles(sum.report) > 0);
        CHECK_OK(specrt_scan_result_chunk(serial, 0, &chunk));
        CHECK(chunk.path == SPECRT_PATH_SERIAL && chunk.offset == 0);
        CHECK_STATUS(specrt_scan_result_chunk(serial, 100000, &chunk), SPECRT_ERROR_INVALID_ARGUMENT);
        specrt_scan_result_free(fused);
        specrt_scan_result_free(serial);
    } else if (getenv("SPECRT_REQUIRE_GPU") && strcmp(getenv("SPECRT_REQUIRE_GPU"), "1") == 0) {
        CHECK(!"SPECRT_REQUIRE_GPU=1 but the scanner has no GPU");
    }
    r = scan(cpu_only, data, len, SPECRT_SCAN_BACKEND_AUTO, SPECRT_SPECULATION_AUTO, 0, 0);
    CHECK(same_matches(cpu, r));
    specrt_scan_result_free(r);

    /* The limit truncates and counts what it dropped. */
    r = scan(gpu, data, len, SPECRT_SCAN_BACKEND_AUTO, SPECRT_SPECULATION_AUTO, 5000, 10);
    CHECK_OK(specrt_scan_result_summary(r, &sum));
    CHECK(sum.truncated && sum.match_count == 10 && sum.dropped == specrt_scan_result_match_count(cpu) - 10);
    /* The automatic backend: a hardware GPU, else the CPU (a software adapter is slower). */
    {
        specrt_adapter_info info;
        CHECK_OK(specrt_context_adapter_info(ctx, &info));
        if (info.device_type == SPECRT_DEVICE_TYPE_CPU) {
            CHECK(sum.backend == SPECRT_SCAN_BACKEND_CPU && sum.backend_reason == SPECRT_BACKEND_REASON_SOFTWARE_GPU);
        } else if (specrt_scanner_has_gpu(gpu)) {
            CHECK(sum.backend == SPECRT_SCAN_BACKEND_GPU && sum.backend_reason == SPECRT_BACKEND_REASON_HARDWARE_GPU);
        } else {
            CHECK(sum.backend == SPECRT_SCAN_BACKEND_CPU && sum.backend_reason == SPECRT_BACKEND_REASON_NO_GPU);
        }
        CHECK(strstr(specrt_backend_reason_str(sum.backend_reason), "automatic choice") != NULL);
        CHECK(strcmp(specrt_backend_reason_str(999), "unknown reason") == 0);
    }
    specrt_scan_result_free(r);
    CHECK_OK(specrt_scan_result_summary(cpu, &sum));
    CHECK(sum.backend == SPECRT_SCAN_BACKEND_CPU && sum.backend_reason == SPECRT_BACKEND_REASON_REQUESTED);

    /* A callback stops the scan after the first chunk that has matches. */
    o.max_chunk_bytes = 5000;
    CHECK_OK(specrt_scan(gpu, data, len, &o, stop_first, &seen, &r));
    CHECK_OK(specrt_scan_result_summary(r, &sum));
    CHECK(sum.stopped && seen > 0 && sum.bytes < len);
    specrt_scan_result_free(r);

    /* Files: memory-mapped, with progress. */
    snprintf(path, sizeof path, "%s/input.bin", argv[1]);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
    CHECK_OK(specrt_scan_file(gpu, path, &o, NULL, count_progress, &progress_calls, &r));
    CHECK(same_matches(cpu, r));
    CHECK(progress_calls > 10);
    specrt_scan_result_free(r);
    snprintf(path, sizeof path, "%s/missing.bin", argv[1]);
    CHECK_STATUS(specrt_scan_file(gpu, path, NULL, NULL, NULL, NULL, &r), SPECRT_ERROR_IO);
    CHECK_ERROR_MENTIONS("missing.bin");

    /* Batches: persistent and per item give what scanning each item alone gives. */
    {
        specrt_bytes items[64];
        specrt_batch_result *b = NULL;
        specrt_batch_summary bs;
        specrt_scan_options bo = specrt_scan_options_default();
        int round;
        /* The GPU backend whatever the adapter (the automatic choice skips software ones). */
        if (specrt_scanner_has_gpu(gpu)) bo.backend = SPECRT_SCAN_BACKEND_GPU;
        for (i = 0; i < 64; i++) {
            items[i].data = data + i * 1000;
            items[i].len = (i * 37) % 1500;
        }
        for (round = 0; round < 2; round++) {
            if (specrt_scanner_has_gpu(gpu)) {
                CHECK_OK(specrt_context_set_launch_overheads(ctx, round == 0 ? 1000000 : 0, 1));
            }
            CHECK_OK(specrt_scan_batch(gpu, items, 64, &bo, &b));
            if (!b) break;
            CHECK_OK(specrt_batch_result_summary(b, &bs));
            if (specrt_scanner_has_gpu(gpu)) {
                CHECK(bs.persistent == (round == 0));
                CHECK(bs.inputs.batch_size == 64);
                CHECK(bs.decision.kind == (round == 0 ? SPECRT_PERSISTENT_KERNEL : SPECRT_PERSISTENT_STANDARD_LAUNCHES));
            }
            for (i = 0; i < 64; i++) {
                const specrt_match *bm = NULL;
                size_t bn = 0;
                bool truncated = true;
                specrt_scan_result *alone = scan(cpu_only, items[i].data, items[i].len, SPECRT_SCAN_BACKEND_CPU, SPECRT_SPECULATION_AUTO, 0, 0);
                CHECK_OK(specrt_batch_result_item(b, i, &bm, &bn, &truncated));
                CHECK(!truncated && bn == specrt_scan_result_match_count(alone));
                CHECK(same_arrays(bm, specrt_scan_result_matches(alone), bn));
                specrt_scan_result_free(alone);
            }
            {
                const specrt_match *bm = NULL;
                size_t bn = 0;
                bool truncated = false;
                CHECK_STATUS(specrt_batch_result_item(b, 64, &bm, &bn, &truncated), SPECRT_ERROR_INVALID_ARGUMENT);
            }
            specrt_batch_result_free(b);
            b = NULL;
        }
        CHECK_STATUS(specrt_scan_batch(gpu, NULL, 3, NULL, &b), SPECRT_ERROR_NULL_POINTER);
        CHECK_OK(specrt_scan_batch(gpu, NULL, 0, NULL, &b));
        specrt_batch_result_free(b);
    }

    /* Misuse. */
    o = specrt_scan_options_default();
    o.mode = SPECRT_SPECULATION_FORCE;
    CHECK_STATUS(specrt_scan(cpu_only, data, len, &o, NULL, NULL, &r), SPECRT_ERROR_UNSUPPORTED);
    CHECK_ERROR_MENTIONS("speculative dispatch on backend cpu");
    o.backend = 9;
    CHECK_STATUS(specrt_scan(gpu, data, len, &o, NULL, NULL, &r), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_scan(gpu, NULL, 5, NULL, NULL, NULL, &r), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_scan(gpu, data, len, NULL, NULL, NULL, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_scan((const specrt_scanner *)(const void *)rules, data, len, NULL, NULL, NULL, &r), SPECRT_ERROR_INVALID_HANDLE);
    CHECK_ERROR_MENTIONS("it is a specrt_ruleset");
    CHECK(specrt_scan_result_match_count(NULL) == 0);
    CHECK(specrt_scan_result_matches(NULL) == NULL);
    {
        specrt_ruleset *empty = NULL;
        specrt_scanner *none = NULL;
        CHECK_OK(specrt_ruleset_new(&empty));
        CHECK_STATUS(specrt_scanner_new(ctx, empty, &none), SPECRT_ERROR_INVALID_ARGUMENT);
        CHECK(none == NULL);
        specrt_ruleset_free(empty);
    }
    r = scan(gpu, data, 0, SPECRT_SCAN_BACKEND_AUTO, SPECRT_SPECULATION_AUTO, 0, 0);
    CHECK(specrt_scan_result_match_count(r) == 0);
    specrt_scan_result_free(r);

    specrt_scan_result_free(cpu);
    specrt_scanner_free(gpu);
    specrt_scanner_free(cpu_only);
    specrt_ruleset_free(rules);
    specrt_context_free(ctx);
    free(data);
    return check_report("scan_test");
}
