/* Autotune store across processes, through the C ABI.
 *   store_writer write PATH ID COUNT   put COUNT distinct keys of writer ID, saving after each
 *   store_writer forever PATH ID       the same without end (for the SIGKILL test)
 *   store_writer check PATH WRITERS COUNT   every key of every writer is in the file
 *   store_writer load PATH             the file loads (exit 0) and prints its record count
 * Run by tests/c/store_stress.sh. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static specrt_spec_cache_key key(uint64_t writer, uint64_t n) {
    specrt_spec_cache_key k;
    memset(&k, 0, sizeof k);
    k.shader_hash = writer << 32 | n;
    k.workgroup_size[0] = 64;
    return k;
}

static specrt_autotune_record record(uint64_t n) {
    specrt_autotune_record r;
    memset(&r, 0, sizeof r);
    r.workgroup_size[0] = 64;
    r.unroll = (uint32_t)n;
    strcpy(r.recorded_at, "2026-11-21");
    return r;
}

static void adapter(uint64_t writer, char out[256]) {
    /* Long ids make the file large, so a kill often lands mid-write. */
    snprintf(out, 256, "writer-%llu-%0200d", (unsigned long long)writer, 0);
}

static int write_keys(const char *path, uint64_t id, long count) {
    specrt_autotune_store *store = NULL;
    char name[256];
    long n;
    adapter(id, name);
    if (specrt_autotune_store_load(path, &store) != SPECRT_OK) {
        fprintf(stderr, "load: %s\n", specrt_last_error());
        return 1;
    }
    for (n = 0; count < 0 || n < count; n++) {
        specrt_spec_cache_key k = key(id, (uint64_t)n);
        specrt_autotune_record r = record((uint64_t)n);
        bool wrote = false;
        if (specrt_autotune_store_put(store, &k, name, &r) != SPECRT_OK ||
            specrt_autotune_store_save_if_dirty(store, path, &wrote) != SPECRT_OK || !wrote) {
            fprintf(stderr, "writer %llu: %s\n", (unsigned long long)id, specrt_last_error());
            return 1;
        }
    }
    specrt_autotune_store_free(store);
    return 0;
}

static int check_keys(const char *path, uint64_t writers, long count) {
    specrt_autotune_store *store = NULL;
    uint64_t w;
    long n;
    CHECK_OK(specrt_autotune_store_load(path, &store));
    if (!store) return 1;
    CHECK(specrt_autotune_store_len(store) == (size_t)writers * (size_t)count);
    for (w = 0; w < writers; w++) {
        char name[256];
        adapter(w, name);
        for (n = 0; n < count; n++) {
            specrt_spec_cache_key k = key(w, (uint64_t)n);
            specrt_autotune_record got;
            bool found = false;
            CHECK_OK(specrt_autotune_store_get(store, &k, name, &got, &found));
            CHECK(found && got.unroll == (uint32_t)n);
        }
    }
    specrt_autotune_store_free(store);
    return check_report("store_writer check");
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "write") == 0)
        return write_keys(argv[2], strtoull(argv[3], NULL, 10), atol(argv[4]));
    if (argc >= 4 && strcmp(argv[1], "forever") == 0)
        return write_keys(argv[2], strtoull(argv[3], NULL, 10), -1);
    if (argc >= 5 && strcmp(argv[1], "check") == 0)
        return check_keys(argv[2], strtoull(argv[3], NULL, 10), atol(argv[4]));
    if (argc >= 3 && strcmp(argv[1], "load") == 0) {
        specrt_autotune_store *store = NULL;
        if (specrt_autotune_store_load(argv[2], &store) != SPECRT_OK) {
            fprintf(stderr, "unreadable store: %s\n", specrt_last_error());
            return 1;
        }
        printf("%zu\n", specrt_autotune_store_len(store));
        specrt_autotune_store_free(store);
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of store_writer.c\n");
    return 2;
}
