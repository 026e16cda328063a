/* wordnet.c -- see wordnet.h. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/wordnet.h"
#include "datasets/pairs.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

void pb_wordnet_free(pb_wordnet *wn)
{
    if (!wn) return;
    free(wn->offset), free(wn->lex), free(wn->def);
    free(wn->par_start), free(wn->par), free(wn->kid_start), free(wn->kid);
    free(wn->depth), free(wn->buf);
    free(wn->stamp), free(wn->stamp_b), free(wn->dist_a), free(wn->queue);
    memset(wn, 0, sizeof *wn);
}

/* ---- reading data.noun ---- */

/* The next space-separated field of [*p, end): its start, its length in *len; NULL at the end. */
static const char *field(const char **p, const char *end, size_t *len)
{
    const char *s = *p;
    while (s < end && *s == ' ') s++;
    const char *e = s;
    while (e < end && *e != ' ') e++;
    *p = e;
    *len = (size_t)(e - s);
    return e > s ? s : NULL;
}

/* A field of digits in base (10 or 16), at most 9 of them; -1 if not. */
static long number(const char *s, size_t len, int base)
{
    if (!s || len == 0 || len > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v * base + d;
    }
    return v;
}

static int by_offset(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t pb_wordnet_find(const pb_wordnet *wn, uint32_t offset)
{
    const uint32_t *hit = bsearch(&offset, wn->offset, wn->n, sizeof *wn->offset, by_offset);
    return hit ? (size_t)(hit - wn->offset) : (size_t)-1;
}

/* depth(i) = 1 + max depth of its parents (1 for a root), memoized; state
 * 0 unvisited, 1 in progress (a cycle if met again), 2 done. */
static int depth_of(pb_wordnet *wn, uint8_t *state, size_t i, const char *path)
{
    if (state[i] == 2) return PB_OK;
    if (state[i] == 1)
        return pb_error(PB_ERR_FORMAT, "%s: the hypernym pointers form a cycle through synset %08u", path,
                        (unsigned)wn->offset[i]);
    state[i] = 1;
    unsigned d = 1;
    for (size_t k = wn->par_start[i]; k < wn->par_start[i + 1]; k++) {
        int st = depth_of(wn, state, wn->par[k], path);
        if (st) return st;
        if (wn->depth[wn->par[k]] + 1u > d) d = wn->depth[wn->par[k]] + 1u;
    }
    wn->depth[i] = (uint16_t)d;
    state[i] = 2;
    return PB_OK;
}

int pb_wordnet_read(const char *path, pb_wordnet *wn)
{
    memset(wn, 0, sizeof *wn);
    FILE *f = pb_fopen_read(path, "rb");
    if (!f && errno == EINVAL) return pb_error(PB_ERR_IO, "%s: not a regular file (expected WordNet's data.noun)", path);
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return pb_error(PB_ERR_IO, "%s: not a regular file (expected WordNet's data.noun)", path);
    }
    size_t size = (size_t)sb.st_size;
    wn->buf = malloc(size + 1);
    if (!wn->buf) {
        fclose(f);
        return pb_error(PB_ERR_NOMEM, "%s: out of memory for %zu bytes", path, size);
    }
    size_t got = fread(wn->buf, 1, size, f);
    int rerr = ferror(f);
    fclose(f);
    if (got != size || rerr) {
        pb_wordnet_free(wn);
        return pb_error(PB_ERR_IO, "%s: read error", path);
    }
    wn->buf[size] = '\0';

    /* count the synset lines (not starting with a space) and the bytes of pointers, for the bounds */
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        if ((i == 0 || wn->buf[i - 1] == '\n') && wn->buf[i] != ' ' && wn->buf[i] != '\n') lines++;
    size_t max_ptr = size / 16 + 1;   /* a pointer takes at least 16 bytes ("@ 00000000 n 0000") */
    wn->offset = pb_calloc(lines + 1, sizeof *wn->offset);
    wn->lex = pb_calloc(lines + 1, 1);
    wn->def = pb_calloc(lines + 1, sizeof *wn->def);
    wn->par_start = pb_calloc(lines + 2, sizeof *wn->par_start);
    uint32_t *par_off = pb_calloc(max_ptr, sizeof *par_off);
    size_t *par_line = pb_calloc(max_ptr, sizeof *par_line);
    int st = PB_OK;
    if (!wn->offset || !wn->lex || !wn->def || !wn->par_start || !par_off || !par_line) {
        st = pb_error(PB_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t n = 0, np = 0, lineno = 0;
    char *line = wn->buf, *bufend = wn->buf + size;
    while (line < bufend) {
        char *nl = memchr(line, '\n', (size_t)(bufend - line));
        char *end = nl ? nl : bufend;
        lineno++;
        if (*line == ' ' || line == end) {   /* the license, or an empty line */
            line = nl ? nl + 1 : bufend;
            continue;
        }
        const char *p = line, *s;
        size_t len;
#define BAD(what) do { st = pb_error(PB_ERR_FORMAT, "%s:%zu: %s (expected a synset line: offset lex_filenum ss_type " \
                                     "w_cnt words p_cnt pointers | gloss)", path, lineno, what); goto done; } while (0)
        s = field(&p, end, &len);
        long off = number(s, len, 10);
        if (off < 0 || len != 8) BAD("bad synset offset");
        s = field(&p, end, &len);
        long lex = number(s, len, 10);
        if (lex < 0 || len != 2) BAD("bad lex_filenum");
        s = field(&p, end, &len);
        if (!s || len != 1) BAD("bad ss_type");
        if (*s != 'n') BAD("not a noun synset (ss_type must be n: read data.noun)");
        s = field(&p, end, &len);
        long wc = number(s, len, 16);
        if (wc < 1 || len != 2) BAD("bad w_cnt (2 hex digits)");
        for (long w = 0; w < 2 * wc; w++)
            if (!field(&p, end, &len)) BAD("fewer words than w_cnt says");
        s = field(&p, end, &len);
        long pc = number(s, len, 10);
        if (pc < 0 || len != 3) BAD("bad p_cnt (3 digits)");
        for (long k = 0; k < pc; k++) {
            const char *sym = field(&p, end, &len);
            size_t slen = len;
            const char *to = field(&p, end, &len);
            size_t tlen = len;
            const char *pos = field(&p, end, &len);
            size_t plen = len;
            if (!sym || !to || !pos || !field(&p, end, &len)) BAD("fewer pointers than p_cnt says");
            int hyper = (slen == 1 && sym[0] == '@') || (slen == 2 && sym[0] == '@' && sym[1] == 'i');
            if (!hyper || plen != 1 || pos[0] != 'n') continue;
            long to_off = number(to, tlen, 10);
            if (to_off < 0 || tlen != 8) BAD("bad pointer offset");
            if (np == max_ptr) BAD("too many pointers");
            par_off[np] = (uint32_t)to_off, par_line[np] = lineno, np++;
        }
        s = field(&p, end, &len);
        if (!s || len != 1 || *s != '|') BAD("no '|' before the gloss");
#undef BAD
        /* the definition: the gloss up to its first '"', without the "; " and spaces before it */
        char *g = (char *)p;
        while (g < end && *g == ' ') g++;
        char *q = g < end ? memchr(g, '"', (size_t)(end - g)) : NULL;
        char *e = q ? q : end;
        while (e > g && (e[-1] == ' ' || e[-1] == ';' || e[-1] == '\r')) e--;
        *e = '\0';
        if (n && (uint32_t)off <= wn->offset[n - 1]) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: synset offsets must increase (%08ld after %08u)", path, lineno, off,
                          (unsigned)wn->offset[n - 1]);
            goto done;
        }
        wn->offset[n] = (uint32_t)off, wn->lex[n] = (uint8_t)lex, wn->def[n] = g;
        wn->par_start[n + 1] = np;
        n++;
        line = nl ? nl + 1 : bufend;
    }
    wn->n = n;
    if (n == 0) {
        st = pb_error(PB_ERR_FORMAT, "%s: no synset lines", path);
        goto done;
    }
    /* resolve parent offsets to indices; then the children (counting sort by parent) */
    wn->par = pb_calloc(np + 1, sizeof *wn->par);
    wn->kid_start = pb_calloc(n + 2, sizeof *wn->kid_start);
    wn->kid = pb_calloc(np + 1, sizeof *wn->kid);
    wn->depth = pb_calloc(n, sizeof *wn->depth);
    wn->stamp = pb_calloc(n, sizeof *wn->stamp);
    wn->stamp_b = pb_calloc(n, sizeof *wn->stamp_b);
    wn->dist_a = pb_calloc(n, sizeof *wn->dist_a);
    wn->queue = pb_calloc(2 * n, sizeof *wn->queue);
    uint8_t *state = pb_calloc(n, 1);
    if (!wn->par || !wn->kid_start || !wn->kid || !wn->depth || !wn->stamp || !wn->stamp_b || !wn->dist_a ||
        !wn->queue || !state) {
        free(state);
        st = pb_error(PB_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t k = 0; k < np; k++) {
        size_t j = pb_wordnet_find(wn, par_off[k]);
        if (j == (size_t)-1) {
            free(state);
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: hypernym pointer to %08u: no such noun synset", path, par_line[k],
                          (unsigned)par_off[k]);
            goto done;
        }
        wn->par[k] = (uint32_t)j;
        wn->kid_start[j + 2]++;
    }
    for (size_t i = 0; i < n; i++) wn->kid_start[i + 2] += wn->kid_start[i + 1];
    for (size_t i = 0; i < n; i++)
        for (size_t k = wn->par_start[i]; k < wn->par_start[i + 1]; k++) wn->kid[wn->kid_start[wn->par[k] + 1]++] = (uint32_t)i;
    for (size_t i = 0; i < n && !st; i++) st = depth_of(wn, state, i, path);
    free(state);
done:
    free(par_off), free(par_line);
    if (st) pb_wordnet_free(wn);
    return st;
}

/* ---- Wu-Palmer ---- */

/* wup(a, b) = max over common ancestors c of 2 depth(c) / (2 depth(c) + dist(a, c) + dist(b, c)).
 * A breadth-first walk up from a marks its ancestors with their shortest
 * distance; one up from b meets each ancestor c of b first at dist(b, c). */
double pb_wordnet_wup(pb_wordnet *wn, size_t a, size_t b)
{
    if (wn->gen >= UINT32_MAX - 2) {
        memset(wn->stamp, 0, wn->n * sizeof *wn->stamp);
        memset(wn->stamp_b, 0, wn->n * sizeof *wn->stamp_b);
        wn->gen = 0;
    }
    uint32_t ga = ++wn->gen, gb = ++wn->gen;
    uint32_t *q = wn->queue, *qd = wn->queue + wn->n;   /* node, its distance */
    size_t head = 0, tail = 0;
    wn->stamp[a] = ga, wn->dist_a[a] = 0;
    q[tail++] = (uint32_t)a;
    while (head < tail) {
        uint32_t x = q[head++];
        for (size_t k = wn->par_start[x]; k < wn->par_start[x + 1]; k++) {
            uint32_t y = wn->par[k];
            if (wn->stamp[y] == ga) continue;
            wn->stamp[y] = ga, wn->dist_a[y] = wn->dist_a[x] + 1;
            q[tail++] = y;
        }
    }
    double best = 0;
    head = tail = 0;
    wn->stamp_b[b] = gb;
    q[tail] = (uint32_t)b, qd[tail++] = 0;
    while (head < tail) {
        uint32_t x = q[head], dx = qd[head++];
        if (wn->stamp[x] == ga) {
            double D = wn->depth[x];
            double v = 2 * D / (2 * D + wn->dist_a[x] + dx);
            if (v > best) best = v;
        }
        for (size_t k = wn->par_start[x]; k < wn->par_start[x + 1]; k++) {
            uint32_t y = wn->par[k];
            if (wn->stamp_b[y] == gb) continue;
            wn->stamp_b[y] = gb;
            q[tail] = y, qd[tail++] = dx + 1;
        }
    }
    return best;
}

int pb_wordnet_wup_class(double wup)
{
    int c = (int)(6 * wup);
    return c < 0 ? 0 : c > 5 ? 5 : c;
}

/* ---- the pair sample ---- */

int pb_wordnet_pairs_sample(pb_wordnet *wn, size_t n, uint64_t seed, pb_wordnet_pair **pairs)
{
    *pairs = NULL;
    if (n < PB_WORDNET_CLASSES)
        return pb_error(PB_ERR_ARG, "wordnet pairs: %zu pairs asked, at least %d needed (one per class)", n,
                        PB_WORDNET_CLASSES);
    if (wn->n < 2) return pb_error(PB_ERR_ARG, "wordnet pairs: the taxonomy has fewer than 2 synsets");
    size_t want[PB_WORDNET_CLASSES], have[PB_WORDNET_CLASSES] = {0};
    for (int k = 0; k < PB_WORDNET_CLASSES; k++) want[k] = n / PB_WORDNET_CLASSES + ((size_t)k < n % PB_WORDNET_CLASSES);
    size_t cap = 16;
    while (cap < 4 * n) cap *= 2;
    uint64_t *seen = pb_calloc(cap, sizeof *seen);   /* unordered pairs taken: key lo << 32 | hi, + 1 (0: empty) */
    pb_wordnet_pair *out = pb_calloc(n, sizeof *out);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int st = PB_OK;
    if (!seen || !out || !r) {
        st = pb_error(PB_ERR_NOMEM, "wordnet pairs: out of memory");
        goto done;
    }
    pb_rng_seed(r, seed);
    size_t got = 0, tries = 0, max_tries = 2000 * n;
    while (got < n) {
        if (tries++ == max_tries) {
            int k = 0;
            while (have[k] == want[k]) k++;
            st = pb_error(PB_ERR_ARG, "wordnet pairs: %zu proposals gave %zu of the %zu pairs of class %d "
                          "(wup in [%d/6, %d/6)): the taxonomy is too small", max_tries, have[k], want[k], k, k, k + 1);
            goto done;
        }
        size_t a = gsl_rng_uniform_int(r, wn->n), b;
        if (gsl_rng_uniform_int(r, 2) == 0) {
            b = gsl_rng_uniform_int(r, wn->n);
        } else {
            size_t up = 1 + gsl_rng_uniform_int(r, 4), x = a;
            for (size_t s = 0; s < up; s++) {
                size_t np = wn->par_start[x + 1] - wn->par_start[x];
                if (!np) break;
                x = wn->par[wn->par_start[x] + gsl_rng_uniform_int(r, np)];
            }
            size_t down = gsl_rng_uniform_int(r, up + 2);
            for (size_t s = 0; s < down; s++) {
                size_t nk = wn->kid_start[x + 1] - wn->kid_start[x];
                if (!nk) break;
                x = wn->kid[wn->kid_start[x] + gsl_rng_uniform_int(r, nk)];
            }
            b = x;
        }
        if (a == b) continue;
        double w = pb_wordnet_wup(wn, a, b);
        int k = pb_wordnet_wup_class(w);
        if (have[k] == want[k]) continue;
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a, key = (lo << 32 | hi) + 1;
        size_t h = (size_t)(pb_fnv1a(PB_FNV_OFFSET, &key, sizeof key) & (cap - 1));
        while (seen[h] && seen[h] != key) h = (h + 1) & (cap - 1);
        if (seen[h]) continue;
        seen[h] = key;
        if (gsl_rng_uniform_int(r, 2)) {   /* which synset is sentence A: a coin, so that neither side is the walk's start */
            size_t t = a;
            a = b, b = t;
        }
        out[got++] = (pb_wordnet_pair){(uint32_t)a, (uint32_t)b, w, k};
        have[k]++;
    }
    gsl_ran_shuffle(r, out, n, sizeof *out);
done:
    if (r) gsl_rng_free(r);
    free(seen);
    if (st) free(out);
    else *pairs = out;
    return st;
}

/* ---- datasets ---- */

int pb_wordnet_pairs_make(pb_wordnet *wn, size_t n_pairs, uint64_t pair_seed, const pb_text_opts *o,
                          double test_fraction, uint64_t split_seed, pb_data *train, pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    pb_text_opts def = {PB_WORDNET_PAIR_VOCAB, PB_WORDNET_PAIR_LEN, 1};
    if (!o) o = &def;
    pb_wordnet_pair *pr;
    int st = pb_wordnet_pairs_sample(wn, n_pairs, pair_seed, &pr);
    if (st) return st;
    const char **a = pb_calloc(n_pairs, sizeof *a), **b = pb_calloc(n_pairs, sizeof *b);
    int *cls = pb_calloc(n_pairs, sizeof *cls);
    if (!a || !b || !cls) {
        st = pb_error(PB_ERR_NOMEM, "wordnet pairs: out of memory");
    } else {
        for (size_t i = 0; i < n_pairs; i++) a[i] = wn->def[pr[i].a], b[i] = wn->def[pr[i].b], cls[i] = pr[i].cls;
        pb_pair_texts p = {n_pairs, a, b, cls};
        st = pb_pairs_encode(&p, "wordnet-pairs", o, test_fraction, split_seed, train, test, vocab);
    }
    free(a), free(b), free(cls), free(pr);
    return st;
}

int pb_wordnet_glosses_make(const pb_wordnet *wn, const pb_text_opts *o, double test_fraction, uint64_t split_seed,
                            pb_data *train, pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    pb_text_opts def = {PB_WORDNET_GLOSS_VOCAB, PB_WORDNET_GLOSS_LEN, 0};
    if (!o) o = &def;
    if (o->seq_len < 1 || o->vocab_words < 1)
        return pb_error(PB_ERR_ARG, "wordnet-glosses: need a length T >= 1 and a vocabulary of K >= 1 words");
    for (size_t i = 0; i < wn->n; i++)
        if (wn->lex[i] < PB_WORDNET_LEX_FIRST || wn->lex[i] >= PB_WORDNET_LEX_FIRST + PB_WORDNET_LEX_CLASSES)
            return pb_error(PB_ERR_FORMAT, "wordnet-glosses: synset %08u has lex_filenum %d (nouns: %d..%d)",
                            (unsigned)wn->offset[i], wn->lex[i], PB_WORDNET_LEX_FIRST,
                            PB_WORDNET_LEX_FIRST + PB_WORDNET_LEX_CLASSES - 1);
    pb_data all = {0}, itr = {0}, ite = {0};
    pb_vocab v = {0};
    const char **texts = NULL;
    int st = pb_data_alloc(&all, "wordnet-glosses", wn->n, 1, 1, PB_WORDNET_LEX_CLASSES);
    if (st) return st;
    for (size_t i = 0; i < wn->n; i++) all.X[i] = (double)i, all.y[i] = wn->lex[i] - PB_WORDNET_LEX_FIRST;
    if ((st = pb_split(&all, test_fraction, split_seed, &itr, &ite))) goto done;
    if (!(texts = pb_calloc(itr.n + 1, sizeof *texts))) { st = PB_ERR_NOMEM; goto done; }
    for (size_t i = 0; i < itr.n; i++) texts[i] = wn->def[(size_t)itr.X[i]];
    if ((st = pb_vocab_build(texts, NULL, itr.n, o->vocab_words, &v))) goto done;
    const pb_data *src[2] = {&itr, &ite};
    pb_data *dst[2] = {train, test};
    const char *names[2] = {"wordnet-glosses/train", "wordnet-glosses/test"};
    for (int part = 0; part < 2 && !st; part++) {
        if ((st = pb_data_alloc(dst[part], names[part], src[part]->n, o->seq_len, 1, PB_WORDNET_LEX_CLASSES))) break;
        dst[part]->seq_len = o->seq_len;
        dst[part]->vocab = v.size;
        for (size_t i = 0; i < src[part]->n && !st; i++) {
            const char *t = wn->def[(size_t)src[part]->X[i]];
            st = pb_text_encode(&v, t, strlen(t), o, dst[part]->X + i * o->seq_len);
            dst[part]->y[i] = src[part]->y[i];
        }
    }
done:
    pb_data_free(&all), pb_data_free(&itr), pb_data_free(&ite);
    free(texts);
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    if (vocab && !st) *vocab = v;
    else pb_vocab_free(&v);
    return st;
}

static int is_file(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 && S_ISREG(s.st_mode);
}

void pb_wordnet_path(const char *data_dir, char *path, size_t len)
{
    if (data_dir && *data_dir) {
        snprintf(path, len, "%s/data.noun", data_dir);
        if (is_file(path)) return;
    }
    const char *env = getenv(PB_WORDNET_ENV);
    snprintf(path, len, "%s/data.noun", env && *env ? env : PB_WORDNET_DEFAULT_DIR);
}

int pb_wordnet_available(const char *name, const char *data_dir)
{
    char path[4300];
    pb_wordnet_path(data_dir, path, sizeof path);
    if (is_file(path) && access(path, R_OK) == 0) return 1;
    const char *env = getenv(PB_WORDNET_ENV);
    if (env && *env)
        pb_error(PB_ERR_IO, "%s: %s: no readable file (from $%s: set it to a directory holding WordNet 3.0's data.noun)",
                 name, path, PB_WORDNET_ENV);
    else
        pb_error(PB_ERR_IO, "%s: %s: no readable file: install the Debian package wordnet-base (scripts/deps.sh), "
                 "or set %s to a directory holding WordNet 3.0's data.noun", name, path, PB_WORDNET_ENV);
    return 0;
}

int pb_wordnet_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                            pb_data *train, pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    int pairs = !strcmp(name, "wordnet-pairs");
    if (!pairs && strcmp(name, "wordnet-glosses"))
        return pb_error(PB_ERR_ARG, "dataset '%s' is not a WordNet set (known: wordnet-pairs, wordnet-glosses)", name);
    if (!pb_wordnet_available(name, data_dir)) return PB_ERR_IO;
    char path[4300];
    pb_wordnet_path(data_dir, path, sizeof path);
    pb_wordnet wn;
    int st = pb_wordnet_read(path, &wn);
    if (st) return st;
    st = pairs ? pb_wordnet_pairs_make(&wn, PB_WORDNET_PAIRS, PB_WORDNET_PAIR_SEED, NULL, test_fraction, split_seed,
                                       train, test, vocab)
               : pb_wordnet_glosses_make(&wn, NULL, test_fraction, split_seed, train, test, vocab);
    pb_wordnet_free(&wn);
    return st;
}
