/* The prefilter/confirm entry point through the C ABI, on a real Vulkan driver (lavapipe in CI).
 * Usage: gpu_dispatch SCRATCH_DIR KERNEL_DIR. Without an adapter it fails when SPECRT_REQUIRE_GPU=1 and
 * skips otherwise. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "records_kernels.h"

static specrt_context *ctx;
static records_programs programs;
static records_confirm_ctx confirm_ctx;

/* The CPU reference: one u32 per record, 1 when confirmed. */
static void reference(const uint8_t *records, size_t count, uint32_t *out) {
    size_t i;
    for (i = 0; i < count; i++) {
        uint32_t key, h;
        int round;
        memcpy(&key, records + i * 8, 4);
        memcpy(&h, records + i * 8 + 4, 4);
        for (round = 0; round < 64; round++) h = (h ^ (h >> 16)) * 0x45d9f3bu;
        out[i] = (key & 0xffu) == 0x5au && (h & 3u) == 0;
    }
}

static specrt_status dispatch(specrt_speculator *spec, const specrt_dispatch_plan *plan,
                              const uint8_t *records, size_t count, specrt_speculation_mode mode,
                              specrt_confirm_fn confirm, specrt_dispatch_outcome **out) {
    specrt_bytes input;
    specrt_input_list inputs;
    specrt_dispatch_config config;
    input.data = records;
    input.len = count * RECORD_BYTES;
    inputs.items = &input;
    inputs.count = 1;
    config.mode = mode;
    return specrt_dispatch_prefilter_confirm(ctx, spec, plan, &inputs, &config, confirm, &confirm_ctx, out);
}

/* Dispatches on both paths and checks both against the CPU reference. */
static void check_paths(specrt_speculator *spec, size_t count, uint32_t hit_pct, uint64_t seed) {
    specrt_dispatch_plan plan = records_plan(&programs);
    uint8_t *records = records_generate(count, hit_pct, seed);
    uint32_t *expected = (uint32_t *)malloc(count * 4 + 4);
    specrt_dispatch_outcome *fused = NULL, *serial = NULL;
    specrt_bytes f, s;
    specrt_report fr, sr;
    bool fh = false, sh = false;
    reference(records, count, expected);
    CHECK_OK(dispatch(spec, &plan, records, count, SPECRT_SPECULATION_FORCE, records_confirm, &fused));
    CHECK_OK(dispatch(spec, &plan, records, count, SPECRT_SPECULATION_DISABLE, records_confirm, &serial));
    if (fused && serial) {
        CHECK(specrt_dispatch_outcome_path(fused) == SPECRT_PATH_FUSED);
        CHECK(specrt_dispatch_outcome_path(serial) == SPECRT_PATH_SERIAL);
        CHECK(specrt_dispatch_outcome_output_count(fused) == 1);
        CHECK_OK(specrt_dispatch_outcome_output(fused, 0, &f));
        CHECK_OK(specrt_dispatch_outcome_output(serial, 0, &s));
        CHECK(f.len == count * 4 && s.len == count * 4);
        CHECK(f.len == s.len && memcmp(f.data, s.data, f.len) == 0);
        CHECK(records_digest(f) == records_digest(s));
        CHECK(memcmp(f.data, expected, count * 4) == 0);
        CHECK_OK(specrt_dispatch_outcome_report(fused, &fr, &fh));
        CHECK_OK(specrt_dispatch_outcome_report(serial, &sr, &sh));
        CHECK(fh && sh && fr.committed_tiles == sr.committed_tiles &&
              fr.rolled_back_tiles == sr.rolled_back_tiles);
        CHECK(specrt_report_attempted_tiles(fr) == (count + TILE_RECORDS - 1) / TILE_RECORDS);
    }
    specrt_dispatch_outcome_free(fused);
    specrt_dispatch_outcome_free(serial);
    free(records);
    free(expected);
}

static void test_paths_and_routing(void) {
    specrt_speculator *spec = NULL;
    specrt_dispatch_plan plan = records_plan(&programs);
    specrt_dispatch_outcome *o = NULL;
    uint8_t *low = records_generate(64 * 20, 0, 1), *high = records_generate(64 * 20, 95, 2);
    int i, saw_serial = 0;
    CHECK_OK(specrt_speculator_new(15, &spec));
    check_paths(spec, 4096, 0, 11);
    check_paths(spec, 10000, 1, 12);
    check_paths(spec, 4099, 30, 13);
    check_paths(spec, 640, 100, 14);
    check_paths(spec, 1, 100, 15);
    check_paths(spec, 0, 50, 16);
    specrt_speculator_free(spec);

    /* Auto follows the speculator: off after low hit rates, on again after high ones. */
    CHECK_OK(specrt_speculator_new(15, &spec));
    for (i = 0; i < 10; i++) {
        CHECK_OK(dispatch(spec, &plan, i < 5 ? low : high, 64 * 20, SPECRT_SPECULATION_AUTO,
                          records_confirm, &o));
        if (i == 0) CHECK(specrt_dispatch_outcome_path(o) == SPECRT_PATH_FUSED);
        if (i < 5 && specrt_dispatch_outcome_path(o) == SPECRT_PATH_SERIAL) saw_serial = 1;
        if (i == 9) CHECK(specrt_dispatch_outcome_path(o) == SPECRT_PATH_FUSED);
        specrt_dispatch_outcome_free(o);
        o = NULL;
    }
    CHECK(saw_serial);

    /* Without stripping, the tail stays at the end of the output. */
    plan.strip_tail = false;
    CHECK_OK(dispatch(spec, &plan, high, 64 * 20, SPECRT_SPECULATION_FORCE, NULL, &o));
    if (o) {
        specrt_bytes b;
        specrt_report r, tail;
        bool has = false;
        CHECK_OK(specrt_dispatch_outcome_output(o, 0, &b));
        CHECK(b.len == 64 * 20 * 4 + 8);
        CHECK_OK(specrt_counter_tail_parse(b.data, b.len, &tail));
        CHECK_OK(specrt_dispatch_outcome_report(o, &r, &has));
        CHECK(has && r.committed_tiles == tail.committed_tiles && tail.committed_tiles + tail.rolled_back_tiles == 20);
        specrt_dispatch_outcome_free(o);
    }
    free(low);
    free(high);
    specrt_speculator_free(spec);
}

static specrt_status failing_confirm(specrt_confirm_io *io, void *user_data) {
    (void)io; (void)user_data;
    return SPECRT_ERROR_IO;
}

static specrt_status confirm_sets_nothing(specrt_confirm_io *io, void *user_data) {
    (void)io; (void)user_data;
    return SPECRT_OK;
}

static specrt_status confirm_skips_output_0(specrt_confirm_io *io, void *user_data) {
    (void)user_data;
    CHECK_STATUS(specrt_confirm_io_set_output(io, SPECRT_MAX_CONFIRM_OUTPUTS, NULL, 0), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_confirm_io_input(io, 5, NULL), SPECRT_ERROR_NULL_POINTER);
    {
        specrt_bytes b;
        CHECK_STATUS(specrt_confirm_io_prefilter_output(io, 9, &b), SPECRT_ERROR_INVALID_ARGUMENT);
        CHECK(specrt_confirm_io_input_count(io) == 1 && specrt_confirm_io_prefilter_output_count(io) == 1);
    }
    return specrt_confirm_io_set_output(io, 1, (const uint8_t *)"abcd", 4);
}

static void test_errors(const char *dir) {
    specrt_speculator *spec = NULL;
    specrt_dispatch_plan plan = records_plan(&programs);
    specrt_dispatch_outcome *o = NULL;
    specrt_program *bad = NULL;
    specrt_program_desc desc;
    specrt_size_rule four = records_rule(0, 0, 4);
    uint8_t *records = records_generate(256, 50, 3);
    (void)dir;
    CHECK_OK(specrt_speculator_new(15, &spec));

    plan.tail_output = 3;
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_AUTO, records_confirm, &o), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("tail output index 3");
    plan = records_plan(&programs);
    plan.prefilter_tail_output = 2;
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_AUTO, records_confirm, &o), SPECRT_ERROR_INVALID_ARGUMENT);
    plan = records_plan(&programs);

    /* A fused program whose output is too short for a tail. */
    memset(&desc, 0, sizeof desc);
    desc.wgsl = "@group(0) @binding(0) var<storage, read> a: array<u32>;\n"
                "@group(0) @binding(1) var<storage, read_write> b: array<u32>;\n"
                "@compute @workgroup_size(1) fn main() { b[0] = a[0]; }\n";
    desc.entry_point = "main";
    desc.input_count = 1;
    desc.output_count = 1;
    desc.output_sizes = &four;
    desc.workgroups_x = four;
    desc.workgroups_x.fixed = 1;
    CHECK_OK(specrt_program_new(ctx, &desc, &bad));
    plan.fused = bad;
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_FORCE, records_confirm, &o), SPECRT_ERROR_COUNTER_TAIL);
    CHECK_ERROR_MENTIONS("`main`");
    plan.fused = NULL;
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_FORCE, records_confirm, &o), SPECRT_ERROR_UNSUPPORTED);
    CHECK_ERROR_MENTIONS("unsupported feature: speculative dispatch");
    specrt_program_free(bad);
    bad = NULL;
    plan = records_plan(&programs);

    /* The callback's status propagates; malformed outputs are SPECRT_ERROR_CALLBACK. */
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_DISABLE, failing_confirm, &o), SPECRT_ERROR_IO);
    CHECK_ERROR_MENTIONS("SPECRT_ERROR_IO");
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_DISABLE, confirm_sets_nothing, &o), SPECRT_ERROR_CALLBACK);
    CHECK_ERROR_MENTIONS("produced 0 output(s)");
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_DISABLE, confirm_skips_output_0, &o), SPECRT_ERROR_CALLBACK);
    CHECK_ERROR_MENTIONS("not output 0");
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_DISABLE, NULL, &o), SPECRT_ERROR_NULL_POINTER);
    CHECK_ERROR_MENTIONS("confirm");
    CHECK_STATUS(dispatch(spec, &plan, records, 256, 9, records_confirm, &o), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK(o == NULL);

    /* Bad WGSL: the compiler's line:column. */
    desc.wgsl = "@compute @workgroup_size(1)\nfn main() {\n  let x = ;\n}\n";
    CHECK_STATUS(specrt_program_new(ctx, &desc, &bad), SPECRT_ERROR_SHADER);
    CHECK_ERROR_MENTIONS("3:11");
    desc.wgsl = "@compute @workgroup_size(1) fn main() {}";
    desc.entry_point = "missing";
    CHECK_STATUS(specrt_program_new(ctx, &desc, &bad), SPECRT_ERROR_SHADER);
    desc.output_count = 0;
    CHECK_STATUS(specrt_program_new(ctx, &desc, &bad), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK(bad == NULL);

    /* NULL and wrong handles. */
    CHECK_STATUS(specrt_context_new(NULL, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_program_new(ctx, NULL, &bad), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_program_new((const specrt_context *)(const void *)programs.fused, &desc, &bad), SPECRT_ERROR_INVALID_HANDLE);
    CHECK_ERROR_MENTIONS("it is a specrt_program");
    CHECK_STATUS(specrt_dispatch_prefilter_confirm(ctx, spec, NULL, NULL, NULL, NULL, NULL, &o), SPECRT_ERROR_NULL_POINTER);
    plan.prefilter = (const specrt_program *)(const void *)spec;
    CHECK_STATUS(dispatch(spec, &plan, records, 256, SPECRT_SPECULATION_AUTO, records_confirm, &o), SPECRT_ERROR_INVALID_HANDLE);
    CHECK(specrt_dispatch_outcome_path(NULL) == 0);
    CHECK(!specrt_context_is_lost(ctx));

    free(records);
    specrt_speculator_free(spec);
}

static void test_context_info(void) {
    specrt_adapter_info info;
    char id[256];
    size_t needed = 0;
    specrt_context_options opts = specrt_context_options_default();
    specrt_context *other = NULL;
    CHECK_OK(specrt_context_adapter_info(ctx, &info));
    CHECK(info.name[0] != '\0');
    CHECK(info.max_storage_buffer_binding_size >= 128u * 1024 * 1024);
    CHECK(info.max_compute_workgroups_per_dimension >= 65535);
    CHECK(info.backend == SPECRT_BACKEND_VULKAN);
    CHECK_OK(specrt_context_adapter_id(ctx, NULL, 0, &needed));
    CHECK(needed > 10 && needed < sizeof id);
    CHECK_OK(specrt_context_adapter_id(ctx, id, sizeof id, &needed));
    CHECK(strncmp(id, "vulkan-", 7) == 0 && strlen(id) + 1 == needed);
    CHECK_STATUS(specrt_context_adapter_id(ctx, id, 4, &needed), SPECRT_ERROR_BUFFER_TOO_SMALL);

    opts.backends = 0x100;
    CHECK_STATUS(specrt_context_new(&opts, &other), SPECRT_ERROR_INVALID_ARGUMENT);
    opts = specrt_context_options_default();
    opts.adapter_index = 99;
    CHECK_STATUS(specrt_context_new(&opts, &other), SPECRT_ERROR_NO_ADAPTER);
    CHECK_ERROR_MENTIONS("no acceptable adapter");
    opts.cpu_fallback = true;
    CHECK_OK(specrt_context_new(&opts, &other));
    if (other) {
        specrt_dispatch_plan plan = records_plan(&programs);
        specrt_dispatch_outcome *o = NULL;
        CHECK_OK(specrt_context_adapter_info(other, &info));
        CHECK(info.device_type == SPECRT_DEVICE_TYPE_NONE);
        CHECK_STATUS(specrt_context_adapter_id(other, id, sizeof id, &needed), SPECRT_OK);
        CHECK(strcmp(id, "cpu") == 0);
        {
            specrt_speculator *spec = NULL;
            specrt_bytes in = {NULL, 0};
            specrt_input_list list = {&in, 1};
            specrt_dispatch_config cfg = {SPECRT_SPECULATION_FORCE};
            CHECK_OK(specrt_speculator_new(15, &spec));
            CHECK_STATUS(specrt_dispatch_prefilter_confirm(other, spec, &plan, &list, &cfg, NULL, NULL, &o), SPECRT_ERROR_UNSUPPORTED);
            specrt_speculator_free(spec);
        }
        specrt_context_free(other);
    }
}

typedef struct thread_arg {
    specrt_speculator *spec;
    int id;
    int failures;
} thread_arg;

static void *worker(void *p) {
    thread_arg *a = (thread_arg *)p;
    specrt_dispatch_plan plan = records_plan(&programs);
    static const specrt_speculation_mode modes[3] = {SPECRT_SPECULATION_AUTO, SPECRT_SPECULATION_FORCE, SPECRT_SPECULATION_DISABLE};
    int i;
    for (i = 0; i < 6; i++) {
        size_t count = 2048 + 64 * (size_t)i;
        uint8_t *records = records_generate(count, (uint32_t)(a->id * 30 + i * 7) % 100, (uint64_t)(a->id * 100 + i));
        uint32_t *expected = (uint32_t *)malloc(count * 4);
        specrt_dispatch_outcome *o = NULL;
        specrt_bytes out;
        reference(records, count, expected);
        if (dispatch(a->spec, &plan, records, count, modes[i % 3], records_confirm, &o) != SPECRT_OK ||
            specrt_dispatch_outcome_output(o, 0, &out) != SPECRT_OK || out.len != count * 4 ||
            memcmp(out.data, expected, out.len) != 0)
            a->failures++;
        specrt_dispatch_outcome_free(o);
        free(records);
        free(expected);
    }
    return NULL;
}

static void test_threads(void) {
    pthread_t threads[4];
    thread_arg args[4];
    specrt_speculator *spec = NULL;
    int i;
    CHECK_OK(specrt_speculator_new(15, &spec));
    for (i = 0; i < 4; i++) {
        args[i].spec = spec;
        args[i].id = i;
        args[i].failures = 0;
        CHECK(pthread_create(&threads[i], NULL, worker, &args[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK(args[i].failures == 0);
    }
    CHECK(specrt_speculator_samples(spec) >= 24);
    specrt_speculator_free(spec);
}

int main(int argc, char **argv) {
    const char *require = getenv("SPECRT_REQUIRE_GPU");
    specrt_status s;
    if (argc < 3) {
        fprintf(stderr, "usage: %s SCRATCH_DIR KERNEL_DIR\n", argv[0]);
        return 2;
    }
    s = specrt_context_new(NULL, &ctx);
    if (s == SPECRT_ERROR_NO_ADAPTER && !(require && strcmp(require, "1") == 0)) {
        printf("gpu_dispatch: skipped, no adapter (%s)\n", specrt_last_error());
        return 0;
    }
    CHECK_OK(s);
    if (!ctx) return check_report("gpu_dispatch");
    CHECK_OK(records_programs_new(ctx, argv[2], &programs));
    confirm_ctx.ctx = ctx;
    confirm_ctx.confirm = programs.confirm;
    test_context_info();
    test_paths_and_routing();
    test_errors(argv[2]);
    test_threads();
    records_programs_free(&programs);
    specrt_context_free(ctx);
    return check_report("gpu_dispatch");
}
