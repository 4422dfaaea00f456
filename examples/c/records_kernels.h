/*
 * The "records" kernels of examples/kernels/, shared by custom_kernel.c and the C tests.
 *
 * Input 0 is an array of 8-byte records {u32 key, u32 value}; tiles are 64 records. A record is
 * confirmed when its key passes a cheap check and its value an expensive one:
 *   records_prefilter.wgsl  one u32 per tile (1 = some key passes), then [hit tiles, other tiles]
 *   records_fused.wgsl      one u32 per record (1 = confirmed, committed only in hit tiles),
 *                           then the tail [committed tiles, rolled-back tiles]
 *   records_confirm.wgsl    inputs: records and the tile mask; one u32 per record
 */
#ifndef RECORDS_KERNELS_H
#define RECORDS_KERNELS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "specrt.h"

#define RECORD_BYTES 8u
#define TILE_RECORDS 64u

typedef struct records_programs {
    specrt_program *fused;
    specrt_program *prefilter;
    specrt_program *confirm;
} records_programs;

/* Reads DIR/NAME.wgsl into a NUL-terminated heap string, or returns NULL. */
static char *records_read_kernel(const char *dir, const char *name) {
    char path[4096];
    FILE *f;
    long size;
    char *text;
    snprintf(path, sizeof path, "%s/%s.wgsl", dir, name);
    f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = (char *)malloc((size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        text = NULL;
    }
    if (text) text[size] = '\0';
    fclose(f);
    return text;
}

/* A size rule of `unit` bytes per `per` input bytes, plus `fixed`. */
static specrt_size_rule records_rule(uint64_t unit, uint64_t per, uint64_t fixed) {
    specrt_size_rule r;
    memset(&r, 0, sizeof r);
    r.fixed = fixed;
    r.input = 0;
    r.unit = unit;
    r.numerator = 1;
    r.denominator = per;
    return r;
}

static specrt_status records_program(const specrt_context *ctx, const char *dir, const char *name,
                                     const char *entry, uint32_t inputs, specrt_size_rule output,
                                     specrt_program **out) {
    specrt_program_desc desc;
    specrt_status status;
    char *wgsl = records_read_kernel(dir, name);
    if (!wgsl) return SPECRT_ERROR_IO;
    memset(&desc, 0, sizeof desc);
    desc.wgsl = wgsl;
    desc.entry_point = entry;
    desc.input_count = inputs;
    desc.output_count = 1;
    desc.output_sizes = &output;
    desc.workgroups_x = records_rule(1, RECORD_BYTES * TILE_RECORDS, 0); /* one per tile */
    status = specrt_program_new(ctx, &desc, out);
    free(wgsl);
    return status;
}

/* Compiles the three programs from the .wgsl files in `dir`. */
static specrt_status records_programs_new(const specrt_context *ctx, const char *dir,
                                          records_programs *p) {
    specrt_status s;
    memset(p, 0, sizeof *p);
    s = records_program(ctx, dir, "records_fused", "fused", 1, records_rule(4, RECORD_BYTES, 8), &p->fused);
    if (s == SPECRT_OK)
        s = records_program(ctx, dir, "records_prefilter", "prefilter", 1,
                            records_rule(4, RECORD_BYTES * TILE_RECORDS, 8), &p->prefilter);
    if (s == SPECRT_OK)
        s = records_program(ctx, dir, "records_confirm", "confirm", 2, records_rule(4, RECORD_BYTES, 0), &p->confirm);
    return s;
}

static void records_programs_free(records_programs *p) {
    specrt_program_free(p->fused);
    specrt_program_free(p->prefilter);
    specrt_program_free(p->confirm);
}

/* The plan: fused program with its tail in output 0 (stripped), prefilter tail in output 0. */
static specrt_dispatch_plan records_plan(const records_programs *p) {
    specrt_dispatch_plan plan;
    plan.fused = p->fused;
    plan.prefilter = p->prefilter;
    plan.tail_output = 0;
    plan.strip_tail = true;
    plan.prefilter_tail_output = 0;
    return plan;
}

/* The serial path's confirm step: runs the confirm kernel on the records and the tile mask
 * (the prefilter output without its 8-byte tail). `user_data` is the records_confirm_ctx. */
typedef struct records_confirm_ctx {
    const specrt_context *ctx;
    const specrt_program *confirm;
} records_confirm_ctx;

static specrt_status records_confirm(specrt_confirm_io *io, void *user_data) {
    const records_confirm_ctx *c = (const records_confirm_ctx *)user_data;
    specrt_bytes views[2], confirmed;
    specrt_input_list list;
    specrt_dispatch_outcome *run = NULL;
    specrt_status s;
    if ((s = specrt_confirm_io_input(io, 0, &views[0])) != SPECRT_OK) return s;
    if ((s = specrt_confirm_io_prefilter_output(io, 0, &views[1])) != SPECRT_OK) return s;
    views[1].len -= SPECRT_COUNTER_TAIL_LEN;
    list.items = views;
    list.count = 2;
    if ((s = specrt_program_dispatch(c->ctx, c->confirm, &list, &run)) != SPECRT_OK) return s;
    s = specrt_dispatch_outcome_output(run, 0, &confirmed);
    if (s == SPECRT_OK) s = specrt_confirm_io_set_output(io, 0, confirmed.data, confirmed.len);
    specrt_dispatch_outcome_free(run);
    return s;
}

/* `count` records (8 bytes each) whose tiles are hits with probability `hit_pct`. */
static uint8_t *records_generate(size_t count, uint32_t hit_pct, uint64_t seed) {
    uint8_t *out = (uint8_t *)malloc(count * RECORD_BYTES + 1);
    uint64_t state = seed * 2 + 1;
    int tile_hit = 0;
    size_t i;
    for (i = 0; i < count; i++) {
        uint32_t key, value;
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        if (i % TILE_RECORDS == 0) tile_hit = (uint32_t)(state >> 32) % 100 < hit_pct;
        key = ((uint32_t)state & ~0xffu) | ((tile_hit && (i % 3 == 0)) ? 0x5au : 0x11u);
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        value = (uint32_t)(state >> 16);
        memcpy(out + i * RECORD_BYTES, &key, 4);
        memcpy(out + i * RECORD_BYTES + 4, &value, 4);
    }
    return out;
}

/* FNV-1a of a byte view: the digest the example prints. */
static uint64_t records_digest(specrt_bytes b) {
    uint64_t h = 1469598103934665603ull;
    size_t i;
    for (i = 0; i < b.len; i++) h = (h ^ b.data[i]) * 1099511628211ull;
    return h;
}

#endif
