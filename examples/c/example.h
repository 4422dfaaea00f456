/* Shared by the C examples: stop with the library's own message when a call fails. */
#ifndef SPECRT_EXAMPLE_H
#define SPECRT_EXAMPLE_H

#include <stdio.h>
#include <stdlib.h>

#include "specrt.h"

#define TRY(call)                                                                      \
    do {                                                                               \
        specrt_status st_ = (call);                                                    \
        if (st_ != SPECRT_OK) {                                                        \
            fprintf(stderr, "%s failed: %s: %s\n", #call, specrt_status_str(st_),     \
                    specrt_last_error());                                              \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

#endif
