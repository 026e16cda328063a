/* pairs.c -- see pairs.h. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/pairs.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Encode the pairs idx[0..n) into out: A's ids then B's, L each. */
static int encode_pairs(const pb_pair_texts *p, const size_t *idx, size_t n, const pb_vocab *v, const pb_text_opts *o,
                        const char *name, pb_data *out)
{
    size_t L = o->seq_len;
    int st = pb_data_alloc(out, name, n, 2 * L, 1, PB_PAIR_CLASSES);
    if (st) return st;
    out->seq_len = 2 * L;
    out->vocab = v->size;
    for (size_t i = 0; i < n && !st; i++) {
        size_t k = idx[i];
        double *row = out->X + i * 2 * L;
        st = pb_text_encode(v, p->a[k], strlen(p->a[k]), o, row);
        if (!st) st = pb_text_encode(v, p->b[k], strlen(p->b[k]), o, row + L);
        out->y[i] = p->cls[k];
    }
    if (st) pb_data_free(out);
    return st;
}

int pb_pairs_encode(const pb_pair_texts *p, const char *name, const pb_text_opts *o, double test_fraction,
                    uint64_t split_seed, pb_data *train, pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    if (!o || o->seq_len < 1 || o->vocab_words < 1)
        return pb_error(PB_ERR_ARG, "%s: pair options: need a length L >= 1 and a vocabulary of K >= 1 words", name);
    for (size_t i = 0; i < p->n; i++)
        if (p->cls[i] < 0 || p->cls[i] >= PB_PAIR_CLASSES)
            return pb_error(PB_ERR_ARG, "%s: pair %zu has class %d (expected 0..5)", name, i, p->cls[i]);
    /* pb_split on the row numbers: the rows and order it gives any 6-class set with these labels */
    pb_data all = {0}, itr = {0}, ite = {0};
    pb_vocab v = {0};
    size_t *idx_tr = NULL, *idx_te = NULL;
    const char **texts = NULL;
    char part[64];
    int st = pb_data_alloc(&all, name, p->n, 1, 1, PB_PAIR_CLASSES);
    if (st) goto done;
    for (size_t i = 0; i < p->n; i++) all.X[i] = (double)i, all.y[i] = p->cls[i];
    if ((st = pb_split(&all, test_fraction, split_seed, &itr, &ite))) goto done;
    idx_tr = pb_calloc(itr.n + 1, sizeof *idx_tr);
    idx_te = pb_calloc(ite.n + 1, sizeof *idx_te);
    texts = pb_calloc(2 * itr.n + 1, sizeof *texts);
    if (!idx_tr || !idx_te || !texts) { st = PB_ERR_NOMEM; goto done; }
    for (size_t i = 0; i < itr.n; i++) {
        idx_tr[i] = (size_t)itr.X[i];
        texts[2 * i] = p->a[idx_tr[i]], texts[2 * i + 1] = p->b[idx_tr[i]];
    }
    for (size_t i = 0; i < ite.n; i++) idx_te[i] = (size_t)ite.X[i];
    if ((st = pb_vocab_build(texts, NULL, 2 * itr.n, o->vocab_words, &v))) goto done;
    snprintf(part, sizeof part, "%s/train", name);
    if ((st = encode_pairs(p, idx_tr, itr.n, &v, o, part, train))) goto done;
    snprintf(part, sizeof part, "%s/test", name);
    st = encode_pairs(p, idx_te, ite.n, &v, o, part, test);
done:
    pb_data_free(&all), pb_data_free(&itr), pb_data_free(&ite);
    free(idx_tr), free(idx_te), free(texts);
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    if (vocab && !st) *vocab = v;
    else pb_vocab_free(&v);
    return st;
}

/* ---- SemEval ---- */

/* A whole field as a finite double (surrounding spaces allowed). */
static int parse_score(const char *s, double *out)
{
    while (*s == ' ') s++;
    if (!*s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ') end++;
    if (*end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

typedef struct semeval {
    size_t n, cap;
    char **a, **b;
    int *cls;
} semeval;

static void semeval_free(semeval *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->a[i]), free(s->b[i]);
    free(s->a), free(s->b), free(s->cls);
    memset(s, 0, sizeof *s);
}

static int semeval_add(semeval *s, const char *a, size_t la, const char *b, size_t lb, int cls)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        char **na = realloc(s->a, cap * sizeof *na);
        if (na) s->a = na;
        char **nb = realloc(s->b, cap * sizeof *nb);
        if (nb) s->b = nb;
        int *nc = realloc(s->cls, cap * sizeof *nc);
        if (nc) s->cls = nc;
        if (!na || !nb || !nc) return PB_ERR_NOMEM;
        s->cap = cap;
    }
    char *ca = malloc(la + 1), *cb = malloc(lb + 1);
    if (!ca || !cb) {
        free(ca), free(cb);
        return PB_ERR_NOMEM;
    }
    memcpy(ca, a, la), ca[la] = '\0';
    memcpy(cb, b, lb), cb[lb] = '\0';
    s->a[s->n] = ca, s->b[s->n] = cb, s->cls[s->n] = cls;
    s->n++;
    return PB_OK;
}

static int read_semeval(const char *path, semeval *s)
{
    FILE *f = pb_fopen_read(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, pb_open_strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int st = PB_OK;
    while (!st && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!len) continue;
        if (memchr(line, '\0', len)) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: NUL byte in the line", path, lineno,
                          (size_t)((char *)memchr(line, '\0', len) - line) + 1);
            break;
        }
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: expected 'sentence1<TAB>sentence2<TAB>score' (%s tab)", path,
                          lineno, len + 1, t1 ? "one" : "no");
            break;
        }
        char *t3 = strchr(t2 + 1, '\t');
        if (t3) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: a third tab: expected 'sentence1<TAB>sentence2<TAB>score'",
                          path, lineno, (size_t)(t3 - line) + 1);
            break;
        }
        double y;
        if (!parse_score(t2 + 1, &y) || y < 0 || y > 5) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: expected a score in [0, 5] after the second tab, found '%.40s'",
                          path, lineno, (size_t)(t2 - line) + 2, t2 + 1);
            break;
        }
        int cls = (int)floor(y + 0.5);
        if ((st = semeval_add(s, line, (size_t)(t1 - line), t1 + 1, (size_t)(t2 - t1 - 1), cls)))
            st = pb_error(st, "%s: out of memory", path);
    }
    if (!st && ferror(f)) st = pb_error(PB_ERR_IO, "%s:%zu: read error", path, lineno);
    if (!st && s->n < 2)
        st = pb_error(PB_ERR_FORMAT, "%s: %zu pairs: a train/test split needs at least 2 lines "
                      "'sentence1<TAB>sentence2<TAB>score'", path, s->n);
    free(line);
    fclose(f);
    if (st) semeval_free(s);
    return st;
}

int pb_semeval_load(const char *path, const pb_text_opts *o, double test_fraction, uint64_t split_seed,
                    pb_data *train, pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    pb_text_opts def = {PB_SEMEVAL_VOCAB, PB_SEMEVAL_LEN, 1};
    if (!o) o = &def;
    semeval s = {0};
    int st = read_semeval(path, &s);
    if (st) return st;
    pb_pair_texts p = {s.n, (const char *const *)s.a, (const char *const *)s.b, s.cls};
    st = pb_pairs_encode(&p, "semeval-pairs", o, test_fraction, split_seed, train, test, vocab);
    semeval_free(&s);
    return st;
}

const char *pb_semeval_source(const char *data_dir)
{
    struct stat s;
    if (data_dir && *data_dir && stat(data_dir, &s) == 0 && S_ISREG(s.st_mode)) return data_dir;
    const char *env = getenv(PB_SEMEVAL_ENV);
    if (env && *env) return env;
    pb_error(PB_ERR_ARG, "semeval-pairs: %s is not set: set it to a file of lines "
             "'sentence1<TAB>sentence2<TAB>score' (score 0..5; see datasets/pairs.h), e.g. export %s=$HOME/data/sts2015.tsv",
             PB_SEMEVAL_ENV, PB_SEMEVAL_ENV);
    return NULL;
}

int pb_semeval_available(const char *data_dir)
{
    const char *src = pb_semeval_source(data_dir);
    if (!src) return 0;
    struct stat s;
    if (stat(src, &s) == 0 && S_ISREG(s.st_mode) && access(src, R_OK) == 0) return 1;
    pb_error(PB_ERR_IO, "semeval-pairs: %s: no readable file%s", src, src != data_dir ? " (from $" PB_SEMEVAL_ENV ")" : "");
    return 0;
}

int pb_semeval_dataset_open(const char *data_dir, uint64_t split_seed, double test_fraction, pb_data *train,
                            pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    if (!pb_semeval_available(data_dir)) return PB_ERR_IO;
    return pb_semeval_load(pb_semeval_source(data_dir), NULL, test_fraction, split_seed, train, test, vocab);
}
