/* Misuse of the policy C ABI: NULL pointers, wrong handle types, overflow, bad files.
 * Every case returns a clear status and message and leaves the objects usable.
 * Usage: policy_misuse SCRATCH_DIR */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int never_called(const char *k, const char *a, const specrt_autotune_record *r, void *u) {
    (void)k; (void)a; (void)r; (void)u;
    return 1;
}

static int stop_after_first(const char *k, const char *a, const specrt_autotune_record *r,
                            void *user_data) {
    (void)k; (void)a; (void)r;
    ++*(int *)user_data;
    return 1;
}

static void test_null_pointers(void) {
    specrt_report r;
    specrt_speculator *s = NULL;
    specrt_autotune_store *store = NULL;
    specrt_paired_window *w = NULL;
    specrt_spec_cache_key k;
    specrt_autotune_record rec, got;
    specrt_variant_race race;
    specrt_variant_decision d;
    specrt_paired_update u;
    specrt_speculation_observation o;
    specrt_persistent_decision pd = {SPECRT_PERSISTENT_KERNEL, 5};
    char hex[33], small[4];
    bool flag = false;
    size_t needed = 0;

    memset(&k, 0, sizeof k);
    memset(&rec, 0, sizeof rec);
    memset(&race, 0, sizeof race);
    CHECK_STATUS(specrt_counter_tail_parse(NULL, 8, &r), SPECRT_ERROR_NULL_POINTER);
    CHECK_ERROR_MENTIONS("bytes");
    CHECK_STATUS(specrt_counter_tail_parse(NULL, 0, &r), SPECRT_ERROR_COUNTER_TAIL);
    CHECK_STATUS(specrt_counter_tail_parse((const uint8_t *)"12345678", 8, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_ERROR_MENTIONS("out");
    CHECK_STATUS(specrt_counter_tail_encode(r, NULL), SPECRT_ERROR_NULL_POINTER);

    CHECK_STATUS(specrt_speculator_new(15, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_speculator_record(NULL, r), SPECRT_ERROR_NULL_POINTER);
    CHECK_ERROR_MENTIONS("speculator");
    CHECK(!specrt_speculator_should_speculate(NULL));
    CHECK(specrt_speculator_commit_rate_ppm(NULL) == 0);
    CHECK(specrt_speculator_samples(NULL) == 0);
    CHECK(specrt_speculator_threshold_ppm(NULL) == 0);
    CHECK_ERROR_MENTIONS("NULL");

    CHECK_STATUS(specrt_autotune_key_hex(NULL, hex), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_key_hex(&k, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_new(NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_load(NULL, &store), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_load("x.toml", NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK(specrt_autotune_store_len(NULL) == 0);
    CHECK(!specrt_autotune_store_is_dirty(NULL));

    CHECK_OK(specrt_autotune_store_new(&store));
    CHECK_STATUS(specrt_autotune_store_get(NULL, &k, "a", &got, &flag), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_get(store, NULL, "a", &got, &flag), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_get(store, &k, NULL, &got, &flag), SPECRT_ERROR_NULL_POINTER);
    CHECK_ERROR_MENTIONS("adapter_id");
    CHECK_STATUS(specrt_autotune_store_get(store, &k, "a", NULL, &flag), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_get(store, &k, "a", &got, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_put(NULL, &k, "a", &rec), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_put(store, NULL, "a", &rec), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_put(store, &k, NULL, &rec), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_put(store, &k, "a", NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_forget(store, &k, "a", NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_forget(NULL, &k, "a", &flag), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_save_if_dirty(store, NULL, &flag), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_save_if_dirty(store, "x.toml", NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_foreach(store, NULL, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_autotune_store_foreach(NULL, never_called, NULL), SPECRT_ERROR_NULL_POINTER);

    CHECK_STATUS(specrt_record_variant_race(NULL, &k, &k, "a", &race, &d), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_record_variant_race(store, NULL, &k, "a", &race, &d), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_record_variant_race(store, &k, NULL, "a", &race, &d), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_record_variant_race(store, &k, &k, NULL, &race, &d), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_record_variant_race(store, &k, &k, "a", NULL, &d), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_record_variant_race(store, &k, &k, "a", &race, NULL), SPECRT_ERROR_NULL_POINTER);

    CHECK_STATUS(specrt_paired_window_new(NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_OK(specrt_paired_window_new(&w));
    CHECK(specrt_paired_window_len(NULL) == 0);
    CHECK_STATUS(specrt_paired_window_observation(NULL, &o), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_observation(w, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_record_sample(NULL, store, &k, &k, "a", &race, &u), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_record_sample(w, NULL, &k, &k, "a", &race, &u), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, NULL, &k, "a", &race, &u), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, &k, NULL, "a", &race, &u), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, &k, &k, NULL, &race, &u), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, &k, &k, "a", NULL, &u), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, &k, &k, "a", &race, NULL), SPECRT_ERROR_NULL_POINTER);
    /* Nothing above changed the objects. */
    CHECK(specrt_paired_window_len(w) == 0 && specrt_autotune_store_len(store) == 0);
    CHECK(!specrt_autotune_store_is_dirty(store));

    CHECK_STATUS(specrt_persistent_decision_format(pd, small, sizeof small, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_persistent_decision_format(pd, NULL, 8, &needed), SPECRT_ERROR_NULL_POINTER);
    memcpy(small, "abc", 4);
    CHECK_STATUS(specrt_persistent_decision_format(pd, small, sizeof small, &needed), SPECRT_ERROR_BUFFER_TOO_SMALL);
    CHECK(needed == strlen("persistent-kernel:5") + 1 && strcmp(small, "abc") == 0);
    pd.kind = 7;
    CHECK_STATUS(specrt_persistent_decision_format(pd, small, sizeof small, &needed), SPECRT_ERROR_INVALID_ARGUMENT);

    specrt_speculator_free(s);
    specrt_paired_window_free(w);
    specrt_autotune_store_free(store);
}

static void test_wrong_handles(void) {
    specrt_speculator *s = NULL;
    specrt_autotune_store *store = NULL;
    specrt_paired_window *w = NULL;
    specrt_speculation_observation o;
    specrt_report r = {1, 1};
    bool flag;
    uint64_t not_a_handle[4] = {0, 0, 0, 0};

    CHECK_OK(specrt_speculator_new(15, &s));
    CHECK_OK(specrt_autotune_store_new(&store));
    CHECK_OK(specrt_paired_window_new(&w));

    CHECK_STATUS(specrt_speculator_record((const specrt_speculator *)(void *)store, r), SPECRT_ERROR_INVALID_HANDLE);
    CHECK_ERROR_MENTIONS("specrt_autotune_store");
    CHECK(!specrt_speculator_should_speculate((const specrt_speculator *)(void *)w));
    CHECK_ERROR_MENTIONS("specrt_paired_window");
    CHECK(specrt_autotune_store_len((const specrt_autotune_store *)(void *)s) == 0);
    CHECK_ERROR_MENTIONS("not a live specrt_autotune_store");
    CHECK_STATUS(specrt_paired_window_observation((const specrt_paired_window *)(void *)not_a_handle, &o), SPECRT_ERROR_INVALID_HANDLE);
    CHECK_ERROR_MENTIONS("not a specrt handle");
    CHECK_STATUS(specrt_autotune_store_save_if_dirty((specrt_autotune_store *)(void *)w, "x.toml", &flag), SPECRT_ERROR_INVALID_HANDLE);
    /* Freeing through the wrong type is refused and frees nothing. */
    specrt_autotune_store_free((specrt_autotune_store *)(void *)s);
    CHECK_ERROR_MENTIONS("specrt_speculator");
    CHECK_OK(specrt_speculator_record(s, r));
    CHECK(specrt_speculator_samples(s) == 1);

    specrt_speculator_free(s);
    specrt_autotune_store_free(store);
    specrt_paired_window_free(w);
}

static void test_window_overflow(void) {
    specrt_paired_window *w = NULL;
    specrt_autotune_store *store = NULL;
    specrt_spec_cache_key ck, sk;
    specrt_variant_race sample;
    specrt_paired_update u;
    specrt_speculation_observation before, after;

    memset(&ck, 0, sizeof ck);
    memset(&sk, 0, sizeof sk);
    sk.shader_hash = 1;
    memset(&sample, 0, sizeof sample);
    sample.conservative_dispatch_ns = 10;
    sample.speculative_dispatch_ns = 5;
    sample.speculative_compile_ns = UINT64_MAX;
    CHECK_OK(specrt_paired_window_new(&w));
    CHECK_OK(specrt_autotune_store_new(&store));
    CHECK_OK(specrt_paired_window_record_sample(w, store, &ck, &sk, "a", &sample, &u));
    CHECK_OK(specrt_paired_window_observation(w, &before));
    sample.speculative_compile_ns = 1;
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, &ck, &sk, "b", &sample, &u), SPECRT_ERROR_OVERFLOW);
    CHECK_ERROR_MENTIONS("compile");
    CHECK_OK(specrt_paired_window_observation(w, &after));
    CHECK(before.baseline_dispatches == after.baseline_dispatches &&
          before.baseline_mean_ns == after.baseline_mean_ns &&
          before.speculative_dispatches == after.speculative_dispatches &&
          before.speculative_mean_ns == after.speculative_mean_ns &&
          before.side_compile_cost_ns == after.side_compile_cost_ns);
    CHECK(specrt_autotune_store_len(store) == 1); /* the failed sample stored nothing */
    sample.speculative_compile_ns = 0;
    CHECK_OK(specrt_paired_window_record_sample(w, store, &ck, &sk, "a", &sample, &u));
    CHECK(specrt_paired_window_len(w) == 2);

    /* A record with a malformed date is refused and changes nothing. */
    memcpy(sample.speculative_record.recorded_at, "not a date", 11);
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, &ck, &sk, "a", &sample, &u), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("YYYY-MM-DD");
    memset(sample.speculative_record.recorded_at, 'x', sizeof sample.speculative_record.recorded_at);
    CHECK_STATUS(specrt_paired_window_record_sample(w, store, &ck, &sk, "a", &sample, &u), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("NUL");
    CHECK(specrt_paired_window_len(w) == 2);

    specrt_paired_window_free(w);
    specrt_autotune_store_free(store);
}

static void test_bad_files(const char *dir) {
    char path[4096], lock[4200];
    specrt_autotune_store *store = NULL, *keep = NULL;
    specrt_spec_cache_key k;
    specrt_autotune_record rec;
    bool wrote = false;
    int seen = 0;
    FILE *f;

    memset(&k, 0, sizeof k);
    memset(&rec, 0, sizeof rec);
    snprintf(path, sizeof path, "%s/bad.toml", dir);

    write_file(path, "schema = 1\n[[record]]\nkey = \"abc\"\nadapter = \"a\"\n"
                     "workgroup_size = [1, 1, 1]\nunroll = 1\ntile = [0, 0, 0]\n");
    CHECK_STATUS(specrt_autotune_store_load(path, &store), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("bad.toml:3:7");
    CHECK(store == NULL);
    write_file(path, "schema = 9\n");
    CHECK_STATUS(specrt_autotune_store_load(path, &store), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("unknown schema 9");
    write_file(path, "schema = 1\n[[record]]\nkey = 5\n");
    CHECK_STATUS(specrt_autotune_store_load(path, &store), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("bad.toml:3:");
    write_file(path, "[[record]\n");
    CHECK_STATUS(specrt_autotune_store_load(path, &store), SPECRT_ERROR_PARSE);

    /* Saving over an unreadable file is refused; the file and the store stay as they were. */
    CHECK_OK(specrt_autotune_store_new(&keep));
    CHECK_OK(specrt_autotune_store_put(keep, &k, "a", &rec));
    CHECK_STATUS(specrt_autotune_store_save_if_dirty(keep, path, &wrote), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("refusing to overwrite");
    CHECK(specrt_autotune_store_is_dirty(keep));
    f = fopen(path, "rb");
    if (f) {
        char text[32] = {0};
        CHECK(fread(text, 1, sizeof text - 1, f) == 10 && strcmp(text, "[[record]\n") == 0);
        fclose(f);
    }

    /* Over 4 MiB. */
    f = fopen(path, "wb");
    if (f) {
        long i;
        for (i = 0; i <= SPECRT_AUTOTUNE_MAX_FILE_BYTES / 16; i++)
            fputs("# padding padding padding padding padding padding padding pad\n", f);
        fclose(f);
    }
    CHECK_STATUS(specrt_autotune_store_load(path, &store), SPECRT_ERROR_TOO_LARGE);
    CHECK_ERROR_MENTIONS("bad.toml");

    /* A directory that does not exist: the save fails with an I/O status, the store stays dirty. */
    snprintf(path, sizeof path, "%s/no/such/dir/store.toml", dir);
    CHECK_STATUS(specrt_autotune_store_save_if_dirty(keep, path, &wrote), SPECRT_ERROR_IO);
    CHECK_ERROR_MENTIONS("lock");
    CHECK(specrt_autotune_store_is_dirty(keep));
    snprintf(lock, sizeof lock, "%s/good.toml", dir);
    CHECK_OK(specrt_autotune_store_save_if_dirty(keep, lock, &wrote));
    CHECK(wrote);
    CHECK_OK(specrt_autotune_store_foreach(keep, stop_after_first, &seen));
    CHECK(seen == 1);
    specrt_autotune_store_free(keep);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    test_null_pointers();
    test_wrong_handles();
    test_window_overflow();
    test_bad_files(argv[1]);
    return check_report("policy_misuse");
}
