/* Minimal assertion helpers for the C tests: count failures, print where, exit non-zero. */
#ifndef SPECRT_TEST_CHECK_H
#define SPECRT_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "specrt.h"

static int check_failures = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

/* Checks that a call returned `expected`, printing both names and the last error otherwise. */
#define CHECK_STATUS(call, expected)                                             \
    do {                                                                         \
        specrt_status got_ = (call);                                             \
        if (got_ != (expected)) {                                                \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", \
                    __FILE__, __LINE__, #call, specrt_status_str(got_),          \
                    specrt_status_str(expected), specrt_last_error());           \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, SPECRT_OK)

/* Checks that the thread's last error mentions `needle`. */
#define CHECK_ERROR_MENTIONS(needle)                                             \
    do {                                                                         \
        if (strstr(specrt_last_error(), (needle)) == NULL) {                     \
            fprintf(stderr, "%s:%d: last error \"%s\" does not mention \"%s\"\n", \
                    __FILE__, __LINE__, specrt_last_error(), (needle));          \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

static int check_report(const char *name) {
    if (check_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

#endif
