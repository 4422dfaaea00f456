/*
 * engine_loop: a game-engine-style frame loop that issues many small scans per frame.
 *
 * Each frame the engine checks the assets it streamed in (many small buffers) with one
 * specrt_scan_batch call: the persistent-kernel decision, fed with this context's measured
 * launch overheads, picks one persistent dispatch or one scan per asset. It also scans a larger
 * buffer, whose chunks self-tune: the kernels' workgroup size is raced with the paired speculation
 * window until a winner is settled, and the winner is kept in the autotune store file. Run it
 * twice: the second run starts from the stored winners and races nothing.
 *
 * Usage: engine_loop [STORE_FILE]   (default: engine-loop-autotune.toml)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"


#define ASSETS 2000
#define ASSET_BYTES 1024
#define LEVEL_BYTES (16u * 65024u) /* 16 chunks of one shape */

static void fill(uint8_t *p, size_t n, uint64_t seed) {
    size_t i;
    for (i = 0; i < n; i++) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        p[i] = (uint8_t)seed;
    }
}

int main(int argc, char **argv) {
    specrt_context_options copts = specrt_context_options_default();
    specrt_scan_options sopts = specrt_scan_options_default();
    specrt_scan_options bopts = specrt_scan_options_default();
    specrt_context *ctx = NULL;
    specrt_ruleset *rules = NULL;
    specrt_scanner *scanner = NULL;
    specrt_bytes items[ASSETS];
    uint8_t *assets = (uint8_t *)malloc((size_t)ASSETS * ASSET_BYTES);
    uint8_t *level = (uint8_t *)malloc(LEVEL_BYTES);
    specrt_batch_summary last;
    int frame;
    size_t i;

    copts.autotune_store_path = argc > 1 ? argv[1] : "engine-loop-autotune.toml";
    TRY(specrt_context_new(&copts, &ctx));
    TRY(specrt_ruleset_new(&rules));
    TRY(specrt_ruleset_add_string(rules, 1, 0, (const uint8_t *)"cheat_engine", NULL, 12, SPECRT_STRING_NOCASE));
    TRY(specrt_ruleset_add_string(rules, 2, 0, (const uint8_t *)"\x7f" "ELF", NULL, 4, 0));
    TRY(specrt_ruleset_add_string(rules, 3, 0, (const uint8_t *)"debug_unlock", NULL, 12, SPECRT_STRING_WIDE | SPECRT_STRING_ASCII));
    TRY(specrt_scanner_new(ctx, rules, &scanner));
    sopts.max_chunk_bytes = 64 * 1024; /* the level streams in 64 KiB chunks */
    /* This example shows the GPU's self-tuning, so it asks for the GPU backend whatever the
     * adapter (the automatic choice would scan on the CPU on a software adapter). */
    if (specrt_scanner_has_gpu(scanner)) sopts.backend = bopts.backend = SPECRT_SCAN_BACKEND_GPU;

    printf("frame  assets: mode (decision)                     level: chunks raced  workgroup x tile\n");
    for (frame = 0; frame < 12; frame++) {
        specrt_batch_result *batch = NULL;
        specrt_batch_summary bs;
        specrt_scan_result *scan = NULL;
        specrt_scan_summary ss;
        char decision[64];
        size_t needed = 0, found = 0;

        fill(assets, (size_t)ASSETS * ASSET_BYTES, 1000 + (uint64_t)frame);
        memcpy(assets + (size_t)(frame * 97 % ASSETS) * ASSET_BYTES + 10, "CHEAT_ENGINE", 12);
        for (i = 0; i < ASSETS; i++) {
            items[i].data = assets + i * ASSET_BYTES;
            items[i].len = ASSET_BYTES;
        }
        TRY(specrt_scan_batch(scanner, items, ASSETS, &bopts, &batch));
        TRY(specrt_batch_result_summary(batch, &bs));
        TRY(specrt_persistent_decision_format(bs.decision, decision, sizeof decision, &needed));
        for (i = 0; i < ASSETS; i++) {
            const specrt_match *m;
            size_t n;
            bool truncated;
            TRY(specrt_batch_result_item(batch, i, &m, &n, &truncated));
            found += n;
        }

        fill(level, LEVEL_BYTES, 7 + (uint64_t)frame);
        TRY(specrt_scan(scanner, level, LEVEL_BYTES, &sopts, NULL, NULL, &scan));
        TRY(specrt_scan_result_summary(scan, &ss));
        printf("%5d  %-10s %-32s %3zu hits  %3u/%-3u raced  %u x %u\n", frame,
               bs.persistent ? "persistent" : "per-item", decision, found, ss.raced_chunks,
               ss.chunk_count, ss.workgroup_size, ss.tile);
        specrt_batch_result_free(batch);
        specrt_scan_result_free(scan);
        last = bs;
    }
    printf("the decision weighed %u assets at %.1f us per launch against %.1f us of persistent "
           "setup (measured on this context)\n",
           last.inputs.batch_size, last.inputs.per_launch_overhead_ns / 1e3,
           last.inputs.persistent_setup_overhead_ns / 1e3);
    specrt_scanner_free(scanner);
    specrt_ruleset_free(rules);
    specrt_context_free(ctx);
    free(assets);
    free(level);
    return 0;
}
