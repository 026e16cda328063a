/* memo.c -- see memo.h. */
#include "datasets/memo.h"
#include "base/binfile.h"
#include "base/sha256.h"
#include "base/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const unsigned char memo_magic[8] = {'P', 'B', 'M', 'E', 'M', 'O', '\0', '\0'};
#define MEMO_VERSION 1u

/* The entry's path in path[cap]; 0 when there is no cache directory. */
static int memo_path(const char *kind, const unsigned char key[32], char *path, size_t cap)
{
    const char *dir = getenv(PB_CACHE_ENV);
    if (!dir || !*dir) return 0;
    char hex[65];
    pb_sha256_hex(key, hex);
    int n = snprintf(path, cap, "%s/%s-%.16s.bin", dir, kind, hex);
    return n > 0 && (size_t)n < cap;
}

int pb_memo_load(const char *kind, const unsigned char key[32], double *out, size_t count)
{
    char path[4096];
    if (!memo_path(kind, key, path, sizeof path)) return 0;
    FILE *probe = fopen(path, "rb");
    if (!probe) return 0;  /* absent: the usual miss, no message to keep */
    fclose(probe);
    unsigned char *data = NULL, stored[32];
    pb_reader r;
    int hit = 0;
    if (pb_binfile_read(path, memo_magic, MEMO_VERSION, "cache entry", &data, &r) == PB_OK) {
        pb_reader_get(&r, stored, sizeof stored);
        uint64_t n = pb_reader_u64(&r);
        if (!r.bad && !memcmp(stored, key, sizeof stored) && n == count && r.len - r.pos == count * sizeof *out) {
            memcpy(out, r.p + r.pos, count * sizeof *out);  /* the doubles' bytes, as stored */
            hit = 1;
        }
    }
    free(data);  /* a damaged entry is a miss, not an error: the caller computes the array */
    return hit;
}

void pb_memo_store(const char *kind, const unsigned char key[32], const double *v, size_t count)
{
    char path[4096];
    if (!memo_path(kind, key, path, sizeof path)) return;
    const char *dir = getenv(PB_CACHE_ENV);
    if (mkdir(dir, 0777) && errno != EEXIST) return;
    pb_buf b = {0};
    pb_buf_put(&b, key, 32);
    pb_buf_u64(&b, count);
    pb_buf_put(&b, v, count * sizeof *v);
    if (!b.oom) pb_binfile_write(path, memo_magic, MEMO_VERSION, "cache entry", &b);
    free(b.p);
}
