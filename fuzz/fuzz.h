/* fuzz.h -- what every fuzz target shares (header-only): the input bytes as
 * a file, since the readers under test take a path. One file per process,
 * rewritten for every input, in /dev/shm when there is one (no disk
 * traffic), removed at exit.
 *
 * A target is one file, fuzz/<reader>.c, defining LLVMFuzzerTestOneInput;
 * `make fuzz FUZZ_SECONDS=N` builds each with clang, libFuzzer, ASan and
 * UBSan (build-fuzz/) and runs it for N seconds on a working corpus seeded
 * from fuzz/corpus/<reader>/ (Makefile). A reader must return an error for
 * any bytes it does not accept, never crash, leak or read out of bounds. */
#ifndef PB_FUZZ_H
#define PB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

static char fuzz_path_buf[256];

static void fuzz_cleanup(void)
{
    if (fuzz_path_buf[0]) unlink(fuzz_path_buf);
}

/* The bytes as the file fuzz_path_buf (named with suffix, e.g. ".gz"). */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    if (!fuzz_path_buf[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_path_buf, sizeof fuzz_path_buf, "%s/pb-fuzz-%ld%s", dir, (long)getpid(), suffix);
        atexit(fuzz_cleanup);
    }
    FILE *f = fopen(fuzz_path_buf, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
    return fuzz_path_buf;
}

/* For the binary envelope (base/binfile.h: magic 8, version 4, order mark
 * 4, payload length 8, payload, FNV-1a-64 8): the bytes with the length
 * and checksum made right, so that mutations reach the payload parser
 * instead of stopping at the checksum. NULL if too short (malloc'd). */
static inline uint8_t *fuzz_envelope(const uint8_t *data, size_t size)
{
    if (size < 32) return NULL;
    uint8_t *b = malloc(size);
    if (!b) abort();
    memcpy(b, data, size);
    uint64_t len = size - 32, sum;
    memcpy(b + 16, &len, 8);
    sum = pb_fnv1a(PB_FNV_OFFSET, b, size - 8);
    memcpy(b + size - 8, &sum, 8);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
