/* Every docs/SPEC.md vector of the policy core, through include/specrt.h and the library only.
 * Usage: policy_vectors SCRATCH_DIR */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static specrt_report rep(uint32_t committed, uint32_t rolled_back) {
    specrt_report r;
    r.committed_tiles = committed;
    r.rolled_back_tiles = rolled_back;
    return r;
}

static void test_version(void) {
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", SPECRT_VERSION_MAJOR, SPECRT_VERSION_MINOR,
             SPECRT_VERSION_PATCH);
    CHECK(strcmp(specrt_version(), expected) == 0);
    CHECK(specrt_version_number() == SPECRT_VERSION_NUMBER);
    CHECK(strcmp(specrt_status_str(SPECRT_OK), "SPECRT_OK") == 0);
    CHECK(strcmp(specrt_status_str(SPECRT_ERROR_PANIC), "SPECRT_ERROR_PANIC") == 0);
    CHECK(strcmp(specrt_status_str(-5), "SPECRT_UNKNOWN_STATUS") == 0);
}

static void test_report(void) {
    CHECK(specrt_report_commit_rate_ppm(rep(1, 3)) == 250000);
    CHECK(specrt_report_commit_rate_pct(rep(1, 3)) == 25);
    CHECK(specrt_report_worthwhile(rep(20, 80), 20));
    CHECK(!specrt_report_worthwhile(rep(20, 80), 25));
    CHECK(specrt_report_commit_rate_ppm(rep(0, 1024)) == 0);
    CHECK(specrt_report_commit_rate_ppm(rep(1024, 0)) == 1000000);
    CHECK(specrt_report_worthwhile(rep(1024, 0), 99));
    CHECK(specrt_report_commit_rate_ppm(rep(0, 0)) == 0);
    CHECK(!specrt_report_worthwhile(rep(0, 0), 1));
    CHECK(specrt_report_attempted_tiles(rep(UINT32_MAX, 5)) == UINT32_MAX);
    CHECK(specrt_report_attempted_tiles(rep(2, 5)) == 7);
}

static void test_counter_tail(void) {
    uint8_t buf[32] = {0};
    specrt_report r = rep(7, 7);
    buf[24] = 42;
    buf[28] = 100;
    CHECK_OK(specrt_counter_tail_parse(buf, sizeof buf, &r));
    CHECK(r.committed_tiles == 42 && r.rolled_back_tiles == 100);
    r = rep(7, 7);
    CHECK_STATUS(specrt_counter_tail_parse(buf, 7, &r), SPECRT_ERROR_COUNTER_TAIL);
    CHECK_ERROR_MENTIONS("7 bytes");
    CHECK_STATUS(specrt_counter_tail_parse(buf, 9, &r), SPECRT_ERROR_COUNTER_TAIL);
    CHECK(r.committed_tiles == 7); /* outputs untouched on failure */

    uint8_t tail[SPECRT_COUNTER_TAIL_LEN];
    CHECK_OK(specrt_counter_tail_encode(rep(0x01020304u, 5), tail));
    CHECK(tail[0] == 4 && tail[1] == 3 && tail[2] == 2 && tail[3] == 1 && tail[4] == 5);
    CHECK_OK(specrt_counter_tail_parse(tail, sizeof tail, &r));
    CHECK(r.committed_tiles == 0x01020304u && r.rolled_back_tiles == 5);
}

static specrt_speculator *speculator(uint32_t threshold) {
    specrt_speculator *s = NULL;
    CHECK_OK(specrt_speculator_new(threshold, &s));
    return s;
}

static void feed(specrt_speculator *s, int n, uint32_t committed, uint32_t rolled_back) {
    int i;
    for (i = 0; i < n; i++) CHECK_OK(specrt_speculator_record(s, rep(committed, rolled_back)));
}

static void test_speculator(void) {
    specrt_speculator *s = speculator(15);
    CHECK(specrt_speculator_should_speculate(s));
    CHECK(specrt_speculator_commit_rate_ppm(s) == 150000);
    CHECK(specrt_speculator_samples(s) == 0);
    CHECK(specrt_speculator_threshold_ppm(s) == 150000);
    feed(s, 17, 3, 4);
    CHECK(specrt_speculator_samples(s) == 17);
    feed(s, 3, 0, 0); /* empty reports are ignored */
    CHECK(specrt_speculator_samples(s) == 17);
    specrt_speculator_free(s);

    s = speculator(20);
    feed(s, 1, 1, 99);
    CHECK(specrt_speculator_commit_rate_ppm(s) == 152500);
    CHECK(specrt_speculator_should_speculate(s));
    feed(s, 1, 1, 99);
    CHECK(specrt_speculator_commit_rate_ppm(s) == 116875);
    CHECK(!specrt_speculator_should_speculate(s));
    specrt_speculator_free(s);

    s = speculator(20);
    feed(s, 20, 1, 99);
    CHECK(!specrt_speculator_should_speculate(s));
    CHECK(specrt_speculator_commit_rate_ppm(s) < 150000);
    feed(s, 20, 80, 20);
    CHECK(specrt_speculator_should_speculate(s));
    specrt_speculator_free(s);

    s = speculator(20);
    feed(s, 50, 20, 80);
    CHECK(specrt_speculator_should_speculate(s));
    specrt_speculator_free(s);

    s = speculator(90);
    feed(s, 16, 0, 100);
    CHECK(!specrt_speculator_should_speculate(s));
    specrt_speculator_free(s);
    specrt_speculator_free(NULL);
}

static specrt_spec_cache_key key(uint64_t shader_hash) {
    specrt_spec_cache_key k;
    memset(&k, 0, sizeof k);
    k.shader_hash = shader_hash;
    return k;
}

static specrt_autotune_record record(uint32_t unroll, const char *date) {
    specrt_autotune_record r;
    memset(&r, 0, sizeof r);
    r.workgroup_size[0] = 128;
    r.workgroup_size[1] = 1;
    r.workgroup_size[2] = 1;
    r.unroll = unroll;
    strncpy(r.recorded_at, date, sizeof r.recorded_at - 1);
    return r;
}

static void test_key_hex(void) {
    specrt_spec_cache_key k = key(0x1122334455667788ull);
    char hex[33];
    k.spec_hash = 0x0102030405060708ull;
    CHECK_OK(specrt_autotune_key_hex(&k, hex));
    CHECK(strcmp(hex, "08070605040302018877665544332211") == 0);
    k.binding_sig = 0xff;
    k.workgroup_size[0] = 0x40;
    CHECK_OK(specrt_autotune_key_hex(&k, hex));
    CHECK(strcmp(hex, "48070605040302017777665544332211") == 0);
}

static specrt_variant_race race(uint64_t cd, uint64_t cc, uint64_t sd, uint64_t sc) {
    specrt_variant_race r;
    memset(&r, 0, sizeof r);
    r.conservative_dispatch_ns = cd;
    r.conservative_compile_ns = cc;
    r.speculative_dispatch_ns = sd;
    r.speculative_compile_ns = sc;
    r.conservative_record = record(1, "2026-05-02");
    r.speculative_record = record(2, "");
    return r;
}

static void test_variant_race(void) {
    specrt_autotune_store *store = NULL;
    specrt_spec_cache_key ck = key(1), sk = key(2);
    specrt_variant_race r = race(1000, 0, 200, 100);
    specrt_variant_decision d;
    specrt_autotune_record got;
    bool found = false;
    char hex[33];

    CHECK_OK(specrt_autotune_store_new(&store));
    CHECK_OK(specrt_record_variant_race(store, &ck, &sk, "vk-test", &r, &d));
    CHECK(d.winner == SPECRT_VARIANT_SPECULATIVE && d.saved_ns == 700);
    CHECK_OK(specrt_autotune_key_hex(&sk, hex));
    CHECK(strcmp(d.key_hex, hex) == 0);
    CHECK(specrt_autotune_store_len(store) == 1);
    CHECK_OK(specrt_autotune_store_get(store, &sk, "vk-test", &got, &found));
    CHECK(found && got.unroll == 2);
    specrt_autotune_store_free(store);

    r = race(500, 100, 100, 500);
    CHECK_OK(specrt_autotune_store_new(&store));
    CHECK_OK(specrt_record_variant_race(store, &ck, &sk, "vk-test", &r, &d));
    CHECK(d.winner == SPECRT_VARIANT_CONSERVATIVE && d.saved_ns == 0);
    CHECK_OK(specrt_autotune_store_get(store, &ck, "vk-test", &got, &found));
    CHECK(found && got.unroll == 1 && strcmp(got.recorded_at, "2026-05-02") == 0);
    CHECK_OK(specrt_autotune_store_get(store, &sk, "vk-test", &got, &found));
    CHECK(!found);
    specrt_autotune_store_free(store);
}

static specrt_verdict verdict(uint32_t bn, uint64_t bns, uint32_t sn, uint64_t sns, uint64_t c) {
    specrt_speculation_observation o;
    o.baseline_dispatches = bn;
    o.baseline_mean_ns = bns;
    o.speculative_dispatches = sn;
    o.speculative_mean_ns = sns;
    o.side_compile_cost_ns = c;
    return specrt_decide_speculation(o);
}

static void test_verdict(void) {
    CHECK(verdict(3, 100000, 100, 50000, 0) == SPECRT_VERDICT_KEEP_RACING);
    CHECK(verdict(50, 100000, 50, 50000, 0) == SPECRT_VERDICT_ADOPT);
    CHECK(verdict(50, 50000, 50, 100000, 0) == SPECRT_VERDICT_REJECT);
    CHECK(verdict(50, 100000, 50, 95000, 0) == SPECRT_VERDICT_KEEP_RACING);
    CHECK(verdict(50, 100000, 50, 50000, 1000000) == SPECRT_VERDICT_ADOPT);
    CHECK(verdict(50, 100000, 8, 50000, 1000000) == SPECRT_VERDICT_REJECT);
    CHECK(verdict(50, 0, 50, 50000, 0) == SPECRT_VERDICT_KEEP_RACING);
    CHECK(verdict(UINT32_MAX, UINT64_MAX, UINT32_MAX, UINT64_MAX, UINT64_MAX) == SPECRT_VERDICT_REJECT);
    CHECK(verdict(UINT32_MAX, 1, UINT32_MAX, UINT64_MAX, 0) == SPECRT_VERDICT_REJECT);
    CHECK(verdict(UINT32_MAX, UINT64_MAX, UINT32_MAX, 1, 0) == SPECRT_VERDICT_ADOPT);
}

static specrt_paired_update run_window(int n, uint64_t cons, uint64_t spec, uint64_t compile,
                                       size_t *stored) {
    specrt_paired_window *w = NULL;
    specrt_autotune_store *store = NULL;
    specrt_spec_cache_key ck = key(1), sk = key(2);
    specrt_variant_race sample = race(cons, 0, spec, compile);
    specrt_paired_update u;
    int i;
    memset(&u, 0, sizeof u);
    CHECK_OK(specrt_paired_window_new(&w));
    CHECK_OK(specrt_autotune_store_new(&store));
    for (i = 0; i < n; i++)
        CHECK_OK(specrt_paired_window_record_sample(w, store, &ck, &sk, "vk", &sample, &u));
    CHECK(specrt_paired_window_len(w) == (uint32_t)n);
    *stored = specrt_autotune_store_len(store);
    specrt_paired_window_free(w);
    specrt_autotune_store_free(store);
    return u;
}

static void test_window(void) {
    size_t stored = 0;
    specrt_paired_update u = run_window(1, 100000, 50000, 0, &stored);
    CHECK(u.verdict == SPECRT_VERDICT_KEEP_RACING);
    CHECK(u.observation.baseline_dispatches == 1 && u.observation.speculative_dispatches == 1);

    u = run_window(8, 100000, 50000, 0, &stored);
    CHECK(u.verdict == SPECRT_VERDICT_ADOPT);
    CHECK(u.decision.winner == SPECRT_VARIANT_SPECULATIVE);
    CHECK(stored == 1);

    u = run_window(8, 50000, 100000, 0, &stored);
    CHECK(u.verdict == SPECRT_VERDICT_REJECT);

    u = run_window(8, 100000, 50000, 1000000, &stored);
    CHECK(u.verdict == SPECRT_VERDICT_REJECT);
    CHECK(u.observation.side_compile_cost_ns == 8000000);
    CHECK(u.observation.baseline_mean_ns == 100000 && u.observation.speculative_mean_ns == 50000);

    {
        specrt_paired_window *w = NULL;
        specrt_speculation_observation o;
        CHECK_OK(specrt_paired_window_new(&w));
        CHECK(specrt_paired_window_len(w) == 0);
        CHECK_OK(specrt_paired_window_observation(w, &o));
        CHECK(o.baseline_dispatches == 0 && o.baseline_mean_ns == 0 && o.side_compile_cost_ns == 0);
        specrt_paired_window_free(w);
    }
}

static specrt_persistent_decision persistent(uint32_t batch, uint64_t launch, uint64_t item,
                                             uint64_t setup) {
    specrt_persistent_inputs in;
    in.batch_size = batch;
    in.per_launch_overhead_ns = launch;
    in.per_item_kernel_ns = item;
    in.persistent_setup_overhead_ns = setup;
    return specrt_decide_persistent_kernel(in);
}

static int is_standard(specrt_persistent_decision d) {
    return d.kind == SPECRT_PERSISTENT_STANDARD_LAUNCHES && d.savings_ns == 0;
}

static void test_persistent(void) {
    specrt_persistent_decision d;
    char buf[64];
    size_t needed = 0;
    CHECK(is_standard(persistent(1, 5000, 1000, 1000)));
    CHECK(is_standard(persistent(0, 5000, 1000, 50000)));
    CHECK(is_standard(persistent(5, 5000, 1000, 50000)));
    CHECK(is_standard(persistent(10, 5000, 1000, 50000)));
    d = persistent(100, 5000, 1000, 50000);
    CHECK(d.kind == SPECRT_PERSISTENT_KERNEL && d.savings_ns == 450000);
    d = persistent(10, 25000, 5000, 200000);
    CHECK(d.kind == SPECRT_PERSISTENT_KERNEL && d.savings_ns == 50000);
    CHECK(is_standard(persistent(1000, 0, 100, 50000)));
    d = persistent(UINT32_MAX, UINT64_MAX / 2, 1, 50000);
    CHECK(d.kind == SPECRT_PERSISTENT_KERNEL);

    d = persistent(100, 5000, 1000, 50000);
    CHECK_OK(specrt_persistent_decision_format(d, buf, sizeof buf, &needed));
    CHECK(strcmp(buf, "persistent-kernel:450000") == 0 && needed == strlen(buf) + 1);
    CHECK_OK(specrt_persistent_decision_format(persistent(1, 1, 1, 1), buf, sizeof buf, &needed));
    CHECK(strcmp(buf, "standard-launches") == 0 && needed == 18);
    CHECK_OK(specrt_persistent_decision_format(d, NULL, 0, &needed));
    CHECK(needed == 25);
}

static int visit_count;
static int count_records(const char *key_hex, const char *adapter_id,
                         const specrt_autotune_record *r, void *user_data) {
    (void)r;
    CHECK(strlen(key_hex) == 32);
    CHECK(strcmp(adapter_id, (const char *)user_data) == 0);
    visit_count++;
    return 0;
}

static void test_store_file(const char *dir) {
    char path[4096];
    specrt_autotune_store *store = NULL, *loaded = NULL;
    specrt_spec_cache_key k1 = key(11), k2 = key(22);
    specrt_autotune_record r1 = record(4, "2026-11-21"), got;
    bool wrote = true, found = false, removed = false;

    snprintf(path, sizeof path, "%s/vectors.toml", dir);
    CHECK_OK(specrt_autotune_store_load(path, &store)); /* missing file: empty store */
    CHECK(specrt_autotune_store_len(store) == 0 && !specrt_autotune_store_is_dirty(store));
    CHECK_OK(specrt_autotune_store_save_if_dirty(store, path, &wrote));
    CHECK(!wrote);
    CHECK_OK(specrt_autotune_store_put(store, &k1, "vk-a", &r1));
    CHECK_OK(specrt_autotune_store_put(store, &k2, "vk-a", &r1));
    CHECK(specrt_autotune_store_is_dirty(store));
    CHECK_OK(specrt_autotune_store_forget(store, &k1, "vk-b", &removed));
    CHECK(!removed);
    CHECK_OK(specrt_autotune_store_forget(store, &k2, "vk-a", &removed));
    CHECK(removed);
    CHECK_OK(specrt_autotune_store_save_if_dirty(store, path, &wrote));
    CHECK(wrote && !specrt_autotune_store_is_dirty(store));

    CHECK_OK(specrt_autotune_store_load(path, &loaded));
    CHECK(specrt_autotune_store_len(loaded) == 1);
    CHECK_OK(specrt_autotune_store_get(loaded, &k1, "vk-a", &got, &found));
    CHECK(found && memcmp(&got, &r1, sizeof got) == 0);
    visit_count = 0;
    CHECK_OK(specrt_autotune_store_foreach(loaded, count_records, (void *)"vk-a"));
    CHECK(visit_count == 1);
    specrt_autotune_store_free(loaded);
    specrt_autotune_store_free(store);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    test_version();
    test_report();
    test_counter_tail();
    test_speculator();
    test_key_hex();
    test_variant_race();
    test_verdict();
    test_window();
    test_persistent();
    test_store_file(argv[1]);
    return check_report("policy_vectors");
}
