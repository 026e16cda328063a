/* lsa.c -- see lsa.h. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/lsa.h"
#include "base/linalg.h"
#include "base/util.h"

static int check_pairs(const pb_data *p)
{
    if (p->vocab < 2 || p->d == 0 || p->d % 2)
        return pb_error(PB_ERR_ARG, "%s: not a pair set of token ids (vocab %zu, d %zu)", p->name, p->vocab, p->d);
    return PB_OK;
}

static size_t token(const pb_data *p, size_t i, size_t t)
{
    double v = p->X[i * p->d + t];
    return v >= 2 && v < (double)p->vocab ? (size_t)v : 0;  /* 0: not a word */
}

/* df over sentences (sentence s = half s % 2 of pair s / 2); returns N. */
static size_t doc_freq(const pb_data *p, size_t *df, unsigned char *seen)
{
    size_t L = p->d / 2;
    for (size_t s = 0; s < 2 * p->n; s++) {
        size_t i = s / 2, off = (s % 2) * L;
        for (size_t t = 0; t < L; t++) {
            size_t w = token(p, i, off + t);
            if (w && !seen[w]) seen[w] = 1, df[w]++;
        }
        for (size_t t = 0; t < L; t++) seen[token(p, i, off + t)] = 0;
    }
    return 2 * p->n;
}

/* The distinct words of sentence s and their tf-idf weights; returns how many. */
static size_t sentence_weights(const pb_data *p, size_t s, const double *idf, size_t *words, double *wt,
                               double *tf)
{
    size_t L = p->d / 2, i = s / 2, off = (s % 2) * L, k = 0;
    for (size_t t = 0; t < L; t++) {
        size_t w = token(p, i, off + t);
        if (!w) continue;
        if (tf[w] == 0) words[k++] = w;
        tf[w] += 1;
    }
    for (size_t j = 0; j < k; j++) wt[j] = tf[words[j]] * idf[words[j]], tf[words[j]] = 0;
    return k;
}

/* idf[w] = log(N / df(w)) (0 for words in no sentence). */
static int idf_of(const pb_data *p, double *idf)
{
    size_t *df = pb_calloc(p->vocab, sizeof *df);
    unsigned char *seen = pb_calloc(p->vocab, 1);
    if (!df || !seen) {
        free(df), free(seen);
        return PB_ERR_NOMEM;
    }
    size_t N = doc_freq(p, df, seen);
    for (size_t w = 0; w < p->vocab; w++) idf[w] = df[w] ? log((double)N / (double)df[w]) : 0.0;
    free(df), free(seen);
    return PB_OK;
}

/* Walks every sentence; row[w] maps a word to its row (SIZE_MAX: none). */
static int gram_rows(const pb_data *p, const size_t *row, size_t m, double *G, double *A)
{
    int st = check_pairs(p);
    if (st) return st;
    size_t L = p->d / 2, ns = 2 * p->n;
    double *idf = pb_calloc(p->vocab, sizeof *idf), *tf = pb_calloc(p->vocab, sizeof *tf);
    double *wt = pb_calloc(L, sizeof *wt);
    size_t *words = pb_calloc(L, sizeof *words);
    if (!idf || !tf || !wt || !words) st = PB_ERR_NOMEM;
    if (!st) st = idf_of(p, idf);
    if (!st) {
        if (G) memset(G, 0, m * m * sizeof *G);
        if (A) memset(A, 0, m * ns * sizeof *A);
        for (size_t s = 0; s < ns; s++) {
            size_t k = sentence_weights(p, s, idf, words, wt, tf);
            for (size_t a = 0; a < k; a++) {
                size_t ra = row ? row[words[a]] : words[a];
                if (A) A[ra * ns + s] = wt[a];
                if (G)  /* G += a a^T over the sentence's words */
                    for (size_t b = 0; b < k; b++) G[ra * m + (row ? row[words[b]] : words[b])] += wt[a] * wt[b];
            }
        }
    }
    free(idf), free(tf), free(wt), free(words);
    return st;
}

int pb_lsa_tfidf(const pb_data *pairs, double *A) { return gram_rows(pairs, NULL, pairs->vocab, NULL, A); }

int pb_lsa_gram(const pb_data *pairs, double *G) { return gram_rows(pairs, NULL, pairs->vocab, G, NULL); }

int pb_lsa_from_gram(size_t m, double *G, size_t dim, double *U, double *s)
{
    if (dim == 0 || dim > m) return pb_error(PB_ERR_ARG, "LSA: %zu dimensions of %zu words", dim, m);
    double *w = pb_calloc(dim, sizeof *w), *Z = pb_calloc(m * dim, sizeof *Z);
    int st = !w || !Z ? PB_ERR_NOMEM : pb_eigen_sym(m, G, m, m - dim + 1, m, w, Z, dim);
    if (!st)
        for (size_t j = 0; j < dim; j++) {  /* column j of U: eigenpair dim-1-j (dsyevr: ascending) */
            size_t c = dim - 1 - j, big = 0;
            for (size_t i = 1; i < m; i++)
                if (fabs(Z[i * dim + c]) > fabs(Z[big * dim + c])) big = i;
            double sign = Z[big * dim + c] < 0 ? -1.0 : 1.0;
            for (size_t i = 0; i < m; i++) U[i * dim + j] = sign * Z[i * dim + c];
            s[j] = sqrt(w[c] > 0 ? w[c] : 0.0);
        }
    free(w), free(Z);
    return st;
}

int pb_lsa_vectors(const pb_data *pairs, size_t dim, double *E, double *s_out)
{
    int st = check_pairs(pairs);
    if (st) return st;
    size_t V = pairs->vocab, m = 0;
    size_t *row = pb_calloc(V, sizeof *row), *df = pb_calloc(V, sizeof *df);
    unsigned char *seen = pb_calloc(V, 1);
    double *G = NULL, *U = NULL, *s = pb_calloc(dim ? dim : 1, sizeof *s);
    if (!row || !df || !seen || !s) st = PB_ERR_NOMEM;
    if (!st) {  /* a row of G for every word that occurs */
        doc_freq(pairs, df, seen);
        for (size_t w = 0; w < V; w++) row[w] = df[w] ? m++ : SIZE_MAX;
        if (dim == 0 || dim > m) st = pb_error(PB_ERR_ARG, "LSA: %zu dimensions of %zu distinct words", dim, m);
    }
    if (!st && (!(G = pb_calloc(m * m, sizeof *G)) || !(U = pb_calloc(m * dim, sizeof *U)))) st = PB_ERR_NOMEM;
    if (!st) st = gram_rows(pairs, row, m, G, NULL);
    if (!st) st = pb_lsa_from_gram(m, G, dim, U, s);
    if (!st) {  /* E = U S on the rows of the words that occur, 0 elsewhere */
        memset(E, 0, V * dim * sizeof *E);
        for (size_t w = 0; w < V; w++)
            if (row[w] != SIZE_MAX)
                for (size_t j = 0; j < dim; j++) E[w * dim + j] = U[row[w] * dim + j] * s[j];
        if (s_out) memcpy(s_out, s, dim * sizeof *s);
    }
    free(row), free(df), free(seen), free(G), free(U), free(s);
    return st;
}
