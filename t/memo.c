/* memo.c -- the cache of derived arrays (datasets/memo.h): a stored array
 * reads back bit for bit under its key; another key, another size, a
 * damaged entry or no $PB_CACHE_DIR are misses; LSA vectors of a pair set
 * are stored once and later reads give the computed vectors exactly, also
 * after the entry is damaged (recomputed and rewritten). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/memo.h"
#include "datasets/lsa.h"
#include "datasets/vector_pairs.h"
#include "base/util.h"

/* The one file in dir whose name starts with prefix, into path; how many there are. */
static int entries(const char *dir, const char *prefix, char *path, size_t cap)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, prefix, strlen(prefix))) n++, snprintf(path, cap, "%s/%s", dir, e->d_name);
    closedir(d);
    return n;
}

static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    if (!f) return;
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
}

int main(void)
{
    plan(9);
    char root[] = "/tmp/pb-memo-XXXXXX", dir[64], path[4096];
    TAP_REQUIRE(mkdtemp(root) != NULL);
    snprintf(dir, sizeof dir, "%s/cache", root);   /* created by the first store */

    unsigned char key[32] = {1, 2, 3}, other[32] = {1, 2, 4};
    double v[5] = {0.1, -0.0, 1e-300, NAN, 3.0 / 7.0}, w[5];
    unsetenv(PB_CACHE_ENV);
    pb_memo_store("t", key, v, 5);
    ok(!pb_memo_load("t", key, w, 5) && access(dir, F_OK) != 0,
       "no $%s: nothing stored, nothing found", PB_CACHE_ENV);

    setenv(PB_CACHE_ENV, dir, 1);
    ok(!pb_memo_load("t", key, w, 5), "an empty cache: a miss");
    pb_memo_store("t", key, v, 5);
    memset(w, 0, sizeof w);
    ok(pb_memo_load("t", key, w, 5) && !memcmp(v, w, sizeof v) && entries(dir, "t-", path, sizeof path) == 1,
       "stored once, read back bit for bit (-0, a denormal-range value, NaN kept)");
    ok(!pb_memo_load("t", other, w, 5) && !pb_memo_load("t", key, w, 4) && !pb_memo_load("u", key, w, 5),
       "another key, another size or another kind: a miss");
    flip_byte(path, 40);
    ok(!pb_memo_load("t", key, w, 5), "an entry with a damaged byte: a miss (checksum)");
    unlink(path);

    /* LSA vectors: 60 pairs of 4 tokens over ids 0..79 */
    pb_data tok;
    TAP_REQUIRE(pb_data_alloc(&tok, "words", 60, 8, 1, 3) == PB_OK);
    tok.seq_len = 8, tok.vocab = 80;
    unsigned long x = 777;
    for (size_t k = 0; k < 60 * 8; k++) {
        x = (x * 1103515245UL + 12345UL) % 2147483648UL;
        tok.X[k] = (double)(2 + x % 78);
    }
    double *A = NULL, *B = NULL, *C = NULL, *D = NULL;
    size_t dim = 0, fa = 0, fb = 0;
    unsetenv(PB_CACHE_ENV);
    TAP_REQUIRE(pb_vector_pairs_vectors("lsa", &tok, NULL, &A, &dim, &fa) == PB_OK);
    setenv(PB_CACHE_ENV, dir, 1);
    TAP_REQUIRE(pb_vector_pairs_vectors("lsa", &tok, NULL, &B, &dim, NULL) == PB_OK);
    int stored = entries(dir, "lsa-", path, sizeof path);
    TAP_REQUIRE(pb_vector_pairs_vectors("lsa", &tok, NULL, &C, &dim, &fb) == PB_OK);
    ok(stored == 1 && !memcmp(A, B, 80 * dim * sizeof *A) && !memcmp(A, C, 80 * dim * sizeof *A) && fa == fb,
       "lsa: one entry stored; the vectors read from it equal the computed ones bit for bit (%zu nonzero rows)", fb);
    flip_byte(path, 100);
    TAP_REQUIRE(pb_vector_pairs_vectors("lsa", &tok, NULL, &D, &dim, NULL) == PB_OK);
    ok(!memcmp(A, D, 80 * dim * sizeof *A) && entries(dir, "lsa-", path, sizeof path) == 1,
       "lsa: a damaged entry is recomputed (same vectors) and rewritten");
    free(B), free(C), free(D);
    ok(pb_vector_pairs_vectors("lsa", &tok, NULL, &B, &dim, NULL) == PB_OK && !memcmp(A, B, 80 * dim * sizeof *A),
       "lsa: the rewritten entry reads back the same vectors");
    free(B);
    tok.X[3] = tok.X[3] == 2 ? 3 : 2;   /* one token changed: another key */
    TAP_REQUIRE(pb_vector_pairs_vectors("lsa", &tok, NULL, &B, &dim, NULL) == PB_OK);
    ok(entries(dir, "lsa-", path, sizeof path) == 2 && memcmp(A, B, 80 * dim * sizeof *A),
       "lsa: a set that differs in one token gets its own entry and its own vectors");
    free(A), free(B);
    pb_data_free(&tok);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd)) diag("could not remove %s", root);
    return done_testing();
}
