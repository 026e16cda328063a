/* vector_pairs.c -- see vector_pairs.h. */
#include "datasets/vector_pairs.h"
#include "datasets/lsa.h"
#include "datasets/memo.h"
#include "datasets/wordvec.h"
#include "base/sha256.h"
#include "base/util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pb_vector_pairs(const pb_data *tok, const double *E, size_t dim, const char *name, pb_data *out)
{
    memset(out, 0, sizeof *out);
    if (!tok->vocab || !dim) return pb_error(PB_ERR_ARG, "%s: word vectors need a set of token ids", tok->name);
    size_t steps = tok->d;
    int st = pb_data_alloc(out, name, tok->n, steps * dim, tok->ydim, tok->n_classes);
    if (st) return st;
    out->seq_len = steps;
    for (size_t i = 0; i < tok->n; i++)
        for (size_t t = 0; t < steps; t++) {
            double id = tok->X[i * steps + t];
            if (!(id >= 0 && id < (double)tok->vocab)) {
                pb_data_free(out);
                return pb_error(PB_ERR_ARG, "%s: token id %g of row %zu is not in [0, %zu)", tok->name, id, i,
                                tok->vocab);
            }
            memcpy(out->X + (i * steps + t) * dim, E + (size_t)id * dim, dim * sizeof *out->X);
        }
    memcpy(out->y, tok->y, tok->n * tok->ydim * sizeof *out->y);
    return PB_OK;
}

/* Multiply E (rows x dim) by the constant that makes the root mean square
 * of the entries of its nonzero rows 1; *found = the nonzero rows. */
static void scale_rms(double *E, size_t rows, size_t dim, size_t *found)
{
    double ss = 0;
    size_t nz = 0;
    for (size_t r = 0; r < rows; r++) {
        double rs = 0;
        for (size_t j = 0; j < dim; j++) rs += E[r * dim + j] * E[r * dim + j];
        if (rs > 0) ss += rs, nz++;
    }
    if (found) *found = nz;
    if (!nz) return;
    double c = 1.0 / sqrt(ss / (double)(nz * dim));
    for (size_t k = 0; k < rows * dim; k++) E[k] *= c;
}

/* The rows of E (rows x dim) that are not all zero. */
static size_t nonzero_rows(const double *E, size_t rows, size_t dim)
{
    size_t nz = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < dim; j++)
            if (E[r * dim + j] != 0) {
                nz++;
                break;
            }
    return nz;
}

/* PB_LSA_CODE: a hash of the sources that derive the LSA vectors (lsa.c,
 * this file, memo.c, their headers and base/linalg.c: the Makefile's
 * LSA_CODE_SRC), set by the Makefile, so that a change of the
 * code never finds vectors of the old code in the cache (memo.h). */
#ifndef PB_LSA_CODE
#define PB_LSA_CODE "unversioned"
#endif

/* The cache key of train's LSA vectors: the code, the dimension and every
 * byte of the training part's token rows (memo.h). */
static void lsa_key(const pb_data *train, unsigned char key[32])
{
    pb_sha256 h;
    pb_sha256_init(&h);
    const char tag[] = "prunebench lsa vectors\n" PB_LSA_CODE;
    uint64_t shape[4] = {PB_LSA_DIM, train->vocab, train->n, train->d};
    pb_sha256_update(&h, tag, sizeof tag);
    pb_sha256_update(&h, shape, sizeof shape);
    pb_sha256_update(&h, train->X, train->n * train->d * sizeof *train->X);
    pb_sha256_final(&h, key);
}

int pb_vector_pairs_available(const char *source)
{
    if (!strcmp(source, "lsa")) return 1;
    const char *f = getenv(PB_GLOVE_ENV);
    if (!f || !*f) {
        pb_error(PB_ERR_IO, "GloVe vectors: set $%s to a GloVe text file (e.g. glove.6B.50d.txt)", PB_GLOVE_ENV);
        return 0;
    }
    if (access(f, R_OK)) {
        pb_error(PB_ERR_IO, "GloVe vectors: $%s = %s is not a readable file", PB_GLOVE_ENV, f);
        return 0;
    }
    return 1;
}

int pb_vector_pairs_vectors(const char *source, const pb_data *train, const pb_vocab *vocab, double **E, size_t *dim,
                            size_t *found)
{
    *E = NULL, *dim = 0;
    if (!strcmp(source, "lsa")) {
        double *M = pb_calloc(train->vocab * PB_LSA_DIM, sizeof *M);
        if (!M) return pb_error(PB_ERR_NOMEM, "out of memory for %zu LSA word vectors", train->vocab);
        unsigned char key[32];
        lsa_key(train, key);
        if (pb_memo_load("lsa", key, M, train->vocab * PB_LSA_DIM)) {
            if (found) *found = nonzero_rows(M, train->vocab, PB_LSA_DIM);
        } else {
            int st = pb_lsa_vectors(train, PB_LSA_DIM, M, NULL);
            if (st) {
                free(M);
                return st;
            }
            scale_rms(M, train->vocab, PB_LSA_DIM, found);
            pb_memo_store("lsa", key, M, train->vocab * PB_LSA_DIM);
        }
        *E = M, *dim = PB_LSA_DIM;
        return PB_OK;
    }
    if (strcmp(source, "glove")) return pb_error(PB_ERR_ARG, "word vectors '%s': expected lsa or glove", source);
    if (!pb_vector_pairs_available("glove")) return PB_ERR_IO;
    pb_wordvec wv;
    int st = pb_wordvec_read(getenv(PB_GLOVE_ENV), vocab, &wv);
    if (st) return st;
    if (wv.rows != train->vocab) {
        pb_wordvec_free(&wv);
        return pb_error(PB_ERR_ARG, "GloVe vectors: %zu rows for a vocabulary of %zu", wv.rows, train->vocab);
    }
    if (found) *found = wv.found;
    *E = wv.E, *dim = wv.dim;
    return PB_OK;
}
