/*
 * policy_tour: a short walk through specrt's policy API.
 *
 *   1. A speculator fed by counter tails decides, dispatch by dispatch, whether to run the fused
 *      speculative kernel or the serial prefilter -> confirm pair.
 *   2. A paired window races a conservative and a speculative kernel variant, and the winners go
 *      to an autotune store file that the next run of the program starts from.
 *   3. The persistent-kernel decision says when one persistent dispatch beats a launch per item.
 *
 * Build: cc -std=c99 -Iinclude examples/c/policy_tour.c target/release/libspecrt.a \
 *           -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o policy_tour
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"


/* Stands in for a fused GPU kernel: its counter buffer ends with [committed, rolled_back]. */
static void fake_fused_dispatch(uint32_t hit_pct, uint8_t counters[64]) {
    specrt_report tail;
    tail.committed_tiles = 10 * hit_pct;         /* tiles whose prefilter bit was set */
    tail.rolled_back_tiles = 10 * (100 - hit_pct); /* tiles confirmed speculatively, then dropped */
    memset(counters, 0, 56);                      /* the kernel's own counters would live here */
    TRY(specrt_counter_tail_encode(tail, counters + 56));
}

static void speculator_loop(void) {
    /* Input hit rates drift: high, then low, then high again. */
    static const uint32_t hit_pct[] = {60, 55, 50, 8, 5, 3, 2, 2, 40, 70, 80, 90};
    specrt_speculator *spec = NULL;
    size_t i;

    printf("== 1. speculator fed by counter tails (threshold %d %%)\n", SPECRT_DEFAULT_THRESHOLD_PCT);
    TRY(specrt_speculator_new(SPECRT_DEFAULT_THRESHOLD_PCT, &spec));
    for (i = 0; i < sizeof hit_pct / sizeof hit_pct[0]; i++) {
        uint8_t counters[64];
        specrt_report report;
        bool fused = specrt_speculator_should_speculate(spec);
        if (fused) {
            /* Fused path: the tail of the counter buffer says how much speculation paid off. */
            fake_fused_dispatch(hit_pct[i], counters);
            TRY(specrt_counter_tail_parse(counters, sizeof counters, &report));
            TRY(specrt_speculator_record(spec, report));
        } else {
            /* Serial path: the prefilter ran alone; feed what it found so the speculator can
             * notice when hits come back. */
            report.committed_tiles = 10 * hit_pct[i];
            report.rolled_back_tiles = 10 * (100 - hit_pct[i]);
            TRY(specrt_speculator_record(spec, report));
        }
        printf("dispatch %2zu: hits %2u %%  path %-6s  EMA %6.2f %%\n", i, hit_pct[i],
               fused ? "fused" : "serial", specrt_speculator_commit_rate_ppm(spec) / 10000.0);
    }
    specrt_speculator_free(spec);
}

static void paired_race(const char *store_path) {
    specrt_autotune_store *store = NULL;
    specrt_paired_window *window = NULL;
    specrt_spec_cache_key serial_key, fused_key;
    specrt_autotune_record known;
    specrt_paired_update update;
    bool found = false, wrote = false;
    const char *adapter = "example-vk-adapter";
    int i;

    printf("\n== 2. paired race, winners kept in %s\n", store_path);
    memset(&serial_key, 0, sizeof serial_key);
    serial_key.shader_hash = 0x5e71a1;
    serial_key.workgroup_size[0] = 64;
    serial_key.workgroup_size[1] = serial_key.workgroup_size[2] = 1;
    fused_key = serial_key;
    fused_key.shader_hash = 0xf05ed;

    TRY(specrt_autotune_store_load(store_path, &store)); /* a missing file is an empty store */
    TRY(specrt_autotune_store_get(store, &fused_key, adapter, &known, &found));
    if (found) {
        printf("known winner from an earlier run: unroll %u, measured %s; no race needed\n",
               known.unroll, known.recorded_at[0] ? known.recorded_at : "(undated)");
        specrt_autotune_store_free(store);
        return;
    }

    TRY(specrt_paired_window_new(&window));
    for (i = 0; i < 10; i++) {
        specrt_variant_race sample;
        memset(&sample, 0, sizeof sample);
        sample.conservative_dispatch_ns = 100000 + 500 * i; /* measured GPU times */
        sample.speculative_dispatch_ns = 62000 + 300 * i;
        sample.speculative_compile_ns = i == 0 ? 150000 : 0; /* compiled once */
        sample.conservative_record.workgroup_size[0] = 64;
        sample.conservative_record.unroll = 1;
        sample.speculative_record.workgroup_size[0] = 64;
        sample.speculative_record.unroll = 4;
        strcpy(sample.speculative_record.recorded_at, "2026-11-21");
        TRY(specrt_paired_window_record_sample(window, store, &serial_key, &fused_key, adapter,
                                               &sample, &update));
        printf("pair %d: winner %s  verdict %s\n", i + 1,
               update.decision.winner == SPECRT_VARIANT_SPECULATIVE ? "speculative" : "conservative",
               update.verdict == SPECRT_VERDICT_ADOPT    ? "ADOPT"
               : update.verdict == SPECRT_VERDICT_REJECT ? "REJECT"
                                                         : "keep racing");
        if (update.verdict != SPECRT_VERDICT_KEEP_RACING) break;
    }
    TRY(specrt_autotune_store_save_if_dirty(store, store_path, &wrote));
    printf("store: %zu record(s), %s; run again to see the winner reused\n",
           specrt_autotune_store_len(store), wrote ? "saved" : "unchanged");
    specrt_paired_window_free(window);
    specrt_autotune_store_free(store);
}

static void persistent_decision(void) {
    static const uint32_t batches[] = {1, 8, 64, 10000};
    size_t i;
    printf("\n== 3. persistent kernel or one launch per item (25 us launches, 200 us setup)\n");
    for (i = 0; i < sizeof batches / sizeof batches[0]; i++) {
        specrt_persistent_inputs in;
        char text[64];
        size_t needed = 0;
        in.batch_size = batches[i];
        in.per_launch_overhead_ns = 25000;
        in.per_item_kernel_ns = 3000;
        in.persistent_setup_overhead_ns = 200000;
        TRY(specrt_persistent_decision_format(specrt_decide_persistent_kernel(in), text,
                                              sizeof text, &needed));
        printf("batch %5u: %s\n", batches[i], text);
    }
}

int main(int argc, char **argv) {
    printf("specrt %s policy tour\n\n", specrt_version());
    speculator_loop();
    paired_race(argc > 1 ? argv[1] : "specrt-tour.toml");
    persistent_decision();
    return 0;
}
