/* vector_pairs.c -- the word-vector form of token pair sets
 * (datasets/vector_pairs.h): ids replaced by their vectors, exactly; the
 * LSA source scaled to root mean square 1 and otherwise pb_lsa_vectors';
 * the GloVe source read from $PB_GLOVE_FILE, refused in one line without
 * it; the vector sets split as their token sets. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/lsa.h"
#include "datasets/registry.h"
#include "datasets/vector_pairs.h"
#include "base/util.h"

static int one_line(const char *s) { return s && *s && !strchr(s, '\n'); }

int main(void)
{
    plan(9);
    /* 4 pairs of 2-token sentences over ids 0..5 */
    pb_data tok;
    TAP_REQUIRE(pb_data_alloc(&tok, "tiny", 4, 4, 1, 3) == PB_OK);
    tok.seq_len = 4, tok.vocab = 6;
    static const double ids[4][4] = {{0, 2, 3, 4}, {2, 5, 0, 3}, {1, 4, 5, 2}, {3, 3, 4, 5}};
    for (int i = 0; i < 4; i++) {
        memcpy(tok.X + i * 4, ids[i], sizeof ids[i]);
        tok.y[i] = i % 3;
    }
    double E[6 * 2];
    for (int k = 0; k < 12; k++) E[k] = k < 4 ? 0 : 0.5 * k - 1;
    pb_data v;
    int st = pb_vector_pairs(&tok, E, 2, "tiny-vec", &v);
    int same = st == PB_OK && v.n == 4 && v.d == 8 && v.seq_len == 4 && v.vocab == 0 && v.n_classes == 3;
    for (int i = 0; same && i < 4; i++) {
        same &= v.y[i] == tok.y[i];
        for (int t = 0; t < 4; t++)
            for (int j = 0; j < 2; j++) same &= v.X[i * 8 + t * 2 + j] == E[(int)ids[i][t] * 2 + j];
    }
    ok(same, "every id replaced by its row of E: 4 steps of 2 values, seq_len 4, vocab 0, labels kept");
    if (!st) pb_data_free(&v);
    tok.X[5] = 6;
    st = pb_vector_pairs(&tok, E, 2, "x", &v);
    ok(st != PB_OK && one_line(pb_last_error()), "an id past the vocabulary refused: %s", pb_last_error());
    pb_data_free(&tok);

    /* a set with more words than 50 dimensions: 60 pairs of 4 tokens over ids 0..79 */
    TAP_REQUIRE(pb_data_alloc(&tok, "words", 60, 8, 1, 3) == PB_OK);
    tok.seq_len = 8, tok.vocab = 80;
    unsigned long x = 12345;
    for (size_t k = 0; k < 60 * 8; k++) {
        x = (x * 1103515245UL + 12345UL) % 2147483648UL;
        tok.X[k] = (double)(2 + x % 78);
    }
    for (size_t i = 0; i < 60; i++) tok.y[i] = (double)(i % 3);

    /* LSA: pb_lsa_vectors times one constant, RMS 1 over the nonzero rows */
    double *L = NULL, ref[80 * PB_LSA_DIM];
    size_t dim = 0, found = 0;
    st = pb_vector_pairs_vectors("lsa", &tok, NULL, &L, &dim, &found);
    TAP_REQUIRE(st == PB_OK && dim == PB_LSA_DIM);
    TAP_REQUIRE(pb_lsa_vectors(&tok, PB_LSA_DIM, ref, NULL) == PB_OK);
    double ss = 0, c = 0, dev = 0;
    size_t occ = 0;
    for (size_t w = 0; w < 80; w++) {
        int seen = 0;
        for (size_t k = 0; k < 60 * 8; k++) seen |= tok.X[k] == (double)w;
        occ += seen;
    }
    for (size_t k = 0; k < 80 * dim; k++) {
        ss += L[k] * L[k];
        if (ref[k] != 0 && c == 0) c = L[k] / ref[k];
    }
    for (size_t k = 0; k < 80 * dim; k++) dev = fmax(dev, fabs(L[k] - c * ref[k]));
    ok(found == occ && fabs(ss / (double)(found * dim) - 1) < 1e-12 && c > 0 && dev < 1e-12,
       "lsa: %zu nonzero rows (the words that occur), root mean square %.15f, pb_lsa_vectors times %.4g (max dev %.1e)", found,
       sqrt(ss / (double)(found * dim)), c, dev);
    int zero = 1;
    for (size_t k = 0; k < 2 * dim; k++) zero &= L[k] == 0;
    ok(zero, "lsa: padding and out-of-vocabulary rows are 0");
    free(L);

    /* GloVe: $PB_GLOVE_FILE, for the vocabulary */
    unsetenv(PB_GLOVE_ENV);
    ok(!pb_vector_pairs_available("glove") && one_line(pb_last_error()) && strstr(pb_last_error(), PB_GLOVE_ENV),
       "glove without $%s: unavailable, in one line: %s", PB_GLOVE_ENV, pb_last_error());
    char path[] = "/tmp/pb-glove-XXXXXX";
    int fd = mkstemp(path);
    TAP_REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("cat 1 2 3\nsat -1 0.5 2\ndog 9 9 9\n", f);
    fclose(f);
    setenv(PB_GLOVE_ENV, path, 1);
    const char *texts[] = {"the cat sat on the mat; the cat"};   /* ids 2 the, 3 cat, 4 mat, 5 on, 6 sat */
    pb_vocab voc;
    TAP_REQUIRE(pb_vocab_build(texts, NULL, 1, 5, &voc) == PB_OK && voc.size == 7);
    tok.vocab = 7;   /* (glove reads only the vocabulary's size from the set) */
    st = pb_vector_pairs_vectors("glove", &tok, &voc, &L, &dim, &found);
    ok(st == PB_OK && dim == 3 && found == 2 && L[3 * 3] == 1 && L[3 * 3 + 2] == 3 && L[6 * 3] == -1 &&
           L[2 * 3] == 0 && L[4 * 3 + 1] == 0,
       "glove: the file's vectors by id ('cat', 'sat'), the rest 0 (%s)", st ? pb_last_error() : "ok");
    if (!st) free(L);
    st = pb_vector_pairs_vectors("word2vec", &tok, &voc, &L, &dim, &found);
    ok(st != PB_OK && one_line(pb_last_error()), "an unknown source refused: %s", pb_last_error());
    pb_vocab_free(&voc);
    unlink(path);
    pb_data_free(&tok);

    /* the registry: the vector sets split by their token sets' names */
    ok(!strcmp(pb_dataset_split_name("wordnet-pairs-lsa"), "wordnet-pairs") &&
           !strcmp(pb_dataset_split_name("semeval-pairs-glove"), "semeval-pairs") &&
           !strcmp(pb_dataset_split_name("wine"), "wine") && !strcmp(pb_dataset_split_name("no-such-set"), "no-such-set"),
       "split names: wordnet-pairs-lsa -> wordnet-pairs, semeval-pairs-glove -> semeval-pairs, others their own");
    unsetenv(PB_GLOVE_ENV);
    ok(!pb_dataset_available("wordnet-pairs-glove", NULL) && !pb_dataset_available("semeval-pairs-lsa", "/nonexistent"),
       "wordnet-pairs-glove unavailable without $%s; semeval-pairs-lsa without its pairs", PB_GLOVE_ENV);
    return done_testing();
}
