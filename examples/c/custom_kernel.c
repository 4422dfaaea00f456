/*
 * custom_kernel: an engine runs its own WGSL through specrt's prefilter/confirm entry point.
 *
 * The engine scans batches of records for those whose key passes a cheap check and whose value
 * passes an expensive one (examples/kernels/). Each batch goes to
 * specrt_dispatch_prefilter_confirm in Auto mode: while many tiles hit, the fused kernel (both
 * checks in one dispatch, commit gated on the tile's prefilter bit) wins and runs; when hits get
 * rare the speculator switches to the serial pair (prefilter, then the confirm kernel on the hit
 * tiles' records); when they come back, it switches again. Each line shows the path, the commit
 * rate the speculator sees, and a digest of the confirmed output (the same on either path).
 *
 * Usage: custom_kernel [KERNEL_DIR]   (default: examples/kernels)
 */
#include <stdio.h>

#include "example.h"
#include "records_kernels.h"


int main(int argc, char **argv) {
    static const uint32_t hit_pct[] = {90, 80, 70, 60, 40, 10, 5, 2, 1, 1, 1, 1,
                                       3, 20, 50, 70, 85, 95, 95, 95};
    const char *dir = argc > 1 ? argv[1] : "examples/kernels";
    specrt_context *ctx = NULL;
    specrt_speculator *spec = NULL;
    specrt_adapter_info info;
    records_programs programs;
    records_confirm_ctx confirm;
    specrt_dispatch_plan plan;
    specrt_dispatch_config config;
    size_t i, count = 64 * 4096; /* 4096 tiles of 64 records: 2 MiB per batch */

    TRY(specrt_context_new(NULL, &ctx));
    TRY(specrt_context_adapter_info(ctx, &info));
    printf("adapter: %s\n", info.name);
    TRY(specrt_speculator_new(SPECRT_DEFAULT_THRESHOLD_PCT, &spec));
    TRY(records_programs_new(ctx, dir, &programs));
    plan = records_plan(&programs);
    confirm.ctx = ctx;
    confirm.confirm = programs.confirm;
    config.mode = SPECRT_SPECULATION_AUTO;

    printf("batch  hits  path    commit-rate(EMA)  digest\n");
    for (i = 0; i < sizeof hit_pct / sizeof hit_pct[0]; i++) {
        uint8_t *records = records_generate(count, hit_pct[i], 1000 + i);
        specrt_bytes input;
        specrt_input_list inputs;
        specrt_dispatch_outcome *outcome = NULL;
        specrt_bytes confirmed;
        input.data = records;
        input.len = count * RECORD_BYTES;
        inputs.items = &input;
        inputs.count = 1;
        TRY(specrt_dispatch_prefilter_confirm(ctx, spec, &plan, &inputs, &config, records_confirm,
                                              &confirm, &outcome));
        TRY(specrt_dispatch_outcome_output(outcome, 0, &confirmed));
        printf("%5zu  %3u%%  %-6s  %6.2f%%           %016llx\n", i, hit_pct[i],
               specrt_dispatch_outcome_path(outcome) == SPECRT_PATH_FUSED ? "fused" : "serial",
               specrt_speculator_commit_rate_ppm(spec) / 10000.0,
               (unsigned long long)records_digest(confirmed));
        specrt_dispatch_outcome_free(outcome);
        free(records);
    }
    records_programs_free(&programs);
    specrt_speculator_free(spec);
    specrt_context_free(ctx);
    return 0;
}
