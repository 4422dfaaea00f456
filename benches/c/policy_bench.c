/* ns/op of the policy calls through the C ABI. Prints one "name ns_per_op" line per call;
 * `make bench` folds these into its JSON object. Best of 7 rounds of N calls each. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "specrt.h"

#define N 20000000L
#define ROUNDS 7

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Keeps results alive so the compiler cannot drop the calls. */
static volatile uint64_t sink;

#define BENCH(name, body)                                                      \
    do {                                                                       \
        double best = 1e30;                                                    \
        int r;                                                                 \
        for (r = 0; r < ROUNDS; r++) {                                         \
            long i;                                                            \
            uint64_t acc = 0;                                                  \
            double t0 = now_ns();                                              \
            for (i = 0; i < N; i++) { body; }                                  \
            double dt = (now_ns() - t0) / (double)N;                           \
            sink += acc;                                                       \
            if (dt < best) best = dt;                                          \
        }                                                                      \
        printf("%s %.3f\n", name, best);                                       \
    } while (0)

int main(void) {
    specrt_speculator *s = NULL;
    uint8_t tail[32] = {0};
    specrt_report rep = {3, 5};
    specrt_speculation_observation obs = {50, 100000, 50, 50000, 1000};
    specrt_persistent_inputs pin = {100, 5000, 1000, 50000};
    if (specrt_speculator_new(15, &s) != SPECRT_OK) return 1;
    tail[24] = 42;

    BENCH("speculator_record", {
        rep.committed_tiles = (uint32_t)(i & 1023);
        acc += (uint64_t)specrt_speculator_record(s, rep);
    });
    BENCH("should_speculate", acc += specrt_speculator_should_speculate(s));
    BENCH("counter_tail_parse", {
        specrt_report out;
        tail[0] = (uint8_t)i;
        acc += (uint64_t)specrt_counter_tail_parse(tail, sizeof tail, &out) + out.committed_tiles;
    });
    BENCH("decide_speculation", {
        obs.speculative_mean_ns = (uint64_t)(40000 + (i & 0xffff));
        acc += specrt_decide_speculation(obs);
    });
    BENCH("decide_persistent_kernel", {
        pin.batch_size = (uint32_t)(i & 0xfff);
        acc += specrt_decide_persistent_kernel(pin).savings_ns;
    });
    specrt_speculator_free(s);
    return 0;
}
