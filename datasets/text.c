/* text.c -- see text.h. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/text.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* ---- tokenizer ---- */

static int is_token_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'';
}

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c; }

/* Length of an HTML line break ("<br", spaces, optional "/", ">") at s[i], or 0. */
static size_t line_break_at(const unsigned char *s, size_t len, size_t i)
{
    if (i + 4 > len || s[i] != '<' || lower(s[i + 1]) != 'b' || lower(s[i + 2]) != 'r') return 0;
    size_t j = i + 3;
    while (j < len && s[j] == ' ') j++;
    if (j < len && s[j] == '/') j++;
    return j < len && s[j] == '>' ? j + 1 - i : 0;
}

/* The next token of s[0..len) from *pos, lowercased into out (room for len
 * bytes, not terminated); returns its length, 0 when there is none left. */
static size_t next_token(const char *text, size_t len, size_t *pos, char *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = *pos;
    for (;;) {
        while (i < len && !is_token_byte(lower(s[i]))) {
            size_t br = line_break_at(s, len, i);
            i += br ? br : 1;
        }
        if (i >= len) break;
        size_t n = 0;
        while (i < len && is_token_byte(lower(s[i]))) out[n++] = (char)lower(s[i++]);
        size_t a = 0;
        while (a < n && out[a] == '\'') a++;
        while (n > a && out[n - 1] == '\'') n--;
        if (n > a) {
            if (a) memmove(out, out + a, n - a);
            *pos = i;
            return n - a;
        }
    }
    *pos = len;
    return 0;
}

void pb_tokens_free(pb_tokens *t)
{
    if (!t) return;
    free(t->tok);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

int pb_tokenize(const char *text, size_t len, pb_tokens *out)
{
    memset(out, 0, sizeof *out);
    /* tokens take at most len bytes plus a NUL each, and there are at most (len + 1) / 2 */
    size_t max_tok = len / 2 + 1;
    out->buf = pb_calloc(len + max_tok + 1, 1);
    out->tok = pb_calloc(max_tok, sizeof *out->tok);
    if (!out->buf || !out->tok) {
        pb_tokens_free(out);
        return PB_ERR_NOMEM;
    }
    size_t pos = 0, used = 0, k;
    while ((k = next_token(text, len, &pos, out->buf + used)) > 0) {
        out->tok[out->n++] = out->buf + used;
        out->buf[used + k] = '\0';
        used += k + 1;
    }
    return PB_OK;
}

/* ---- hash table: token -> value (open addressing, linear probing, FNV-1a) ---- */

struct pb_vocab_slot {
    const char *key;   /* NULL: empty */
    size_t len;
    uint64_t hash;
    uint64_t val;
};

typedef struct table {
    struct pb_vocab_slot *slot;
    size_t cap, n;     /* cap a power of two; n < cap / 2 */
} table;

static uint64_t hash_of(const char *key, size_t len) { return pb_fnv1a(PB_FNV_OFFSET, key, len); }

/* The slot holding key, or the empty slot where it belongs. */
static struct pb_vocab_slot *table_find(struct pb_vocab_slot *slot, size_t cap, const char *key, size_t len,
                                        uint64_t h)
{
    size_t mask = cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct pb_vocab_slot *s = &slot[i];
        if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len))) return s;
    }
}

static int table_init(table *t, size_t min_entries)
{
    size_t cap = 16;
    while (cap < 2 * min_entries + 2) cap *= 2;
    t->slot = pb_calloc(cap, sizeof *t->slot);
    t->cap = cap, t->n = 0;
    return t->slot ? PB_OK : PB_ERR_NOMEM;
}

/* Double the capacity when one more entry would fill half the table. */
static int table_reserve(table *t)
{
    if (2 * (t->n + 1) <= t->cap) return PB_OK;
    size_t cap = 2 * t->cap;
    struct pb_vocab_slot *slot = pb_calloc(cap, sizeof *slot);
    if (!slot) return PB_ERR_NOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i].key) *table_find(slot, cap, t->slot[i].key, t->slot[i].len, t->slot[i].hash) = t->slot[i];
    free(t->slot);
    t->slot = slot, t->cap = cap;
    return PB_OK;
}

/* ---- vocabulary ---- */

void pb_vocab_free(pb_vocab *v)
{
    if (!v) return;
    for (size_t r = 0; r < v->n_words; r++) free(v->word[r]);
    free(v->word);
    free(v->count);
    free(v->slot);
    memset(v, 0, sizeof *v);
}

/* Most frequent first; equal counts in byte order. */
static int by_rank(const void *pa, const void *pb)
{
    const struct pb_vocab_slot *a = *(const struct pb_vocab_slot *const *)pa, *b = *(const struct pb_vocab_slot *const *)pb;
    if (a->val != b->val) return a->val > b->val ? -1 : 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, m);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

int pb_vocab_build(const char *const *texts, const size_t *lens, size_t n_texts, size_t max_words, pb_vocab *v)
{
    memset(v, 0, sizeof *v);
    if (max_words < 1) return pb_error(PB_ERR_ARG, "vocabulary size must be at least 1 word");
    table counts = {0};
    char *buf = NULL;
    struct pb_vocab_slot **order = NULL;
    size_t buf_cap = 0;
    int st = table_init(&counts, 64);  /* grows with the distinct tokens (table_reserve) */
    for (size_t i = 0; i < n_texts && !st; i++) {
        size_t len = lens ? lens[i] : strlen(texts[i]);
        if (len + 1 > buf_cap) {
            free(buf);
            buf_cap = len + 1;
            if (!(buf = pb_calloc(buf_cap, 1))) { st = PB_ERR_NOMEM; break; }
        }
        size_t pos = 0, k;
        while ((k = next_token(texts[i], len, &pos, buf)) > 0) {
            uint64_t h = hash_of(buf, k);
            struct pb_vocab_slot *s = table_find(counts.slot, counts.cap, buf, k, h);
            if (!s->key) {
                if ((st = table_reserve(&counts))) break;
                s = table_find(counts.slot, counts.cap, buf, k, h);
                char *key = pb_calloc(k + 1, 1);
                if (!key) { st = PB_ERR_NOMEM; break; }
                memcpy(key, buf, k);
                *s = (struct pb_vocab_slot){key, k, h, 0};
                counts.n++;
            }
            s->val++;
        }
    }
    if (st) goto done;
    /* rank the distinct tokens, keep the first max_words */
    if (!(order = pb_calloc(counts.n, sizeof *order))) { st = PB_ERR_NOMEM; goto done; }
    size_t m = 0;
    for (size_t i = 0; i < counts.cap; i++)
        if (counts.slot[i].key) order[m++] = &counts.slot[i];
    qsort(order, m, sizeof *order, by_rank);
    size_t K = m < max_words ? m : max_words;
    table ids = {0};
    v->word = pb_calloc(K, sizeof *v->word);
    v->count = pb_calloc(K, sizeof *v->count);
    if (!v->word || !v->count || (st = table_init(&ids, K))) {
        st = PB_ERR_NOMEM;
        goto done;
    }
    v->slot = ids.slot, v->slot_cap = ids.cap;
    for (size_t r = 0; r < K; r++) {
        struct pb_vocab_slot *c = order[r];
        v->word[r] = (char *)c->key;   /* ownership moves to the vocabulary */
        v->count[r] = c->val;
        v->n_words = r + 1;
        c->key = NULL;
        *table_find(v->slot, v->slot_cap, v->word[r], c->len, c->hash) =
            (struct pb_vocab_slot){v->word[r], c->len, c->hash, (uint64_t)r + 2};
    }
    v->size = K + 2;
done:
    for (size_t i = 0; i < counts.cap; i++) free((char *)counts.slot[i].key);
    free(counts.slot);
    free(order);
    free(buf);
    if (st) pb_vocab_free(v);
    return st;
}

size_t pb_vocab_id(const pb_vocab *v, const char *token, size_t len)
{
    if (!v->slot_cap) return PB_TEXT_OOV;
    const struct pb_vocab_slot *s = table_find(v->slot, v->slot_cap, token, len, hash_of(token, len));
    return s->key ? (size_t)s->val : PB_TEXT_OOV;
}

static int check_opts(const pb_text_opts *o)
{
    if (o->vocab_words < 1) return pb_error(PB_ERR_ARG, "text options: vocabulary size must be at least 1 word");
    if (o->seq_len < 1) return pb_error(PB_ERR_ARG, "text options: sequence length must be at least 1");
    return PB_OK;
}

int pb_text_encode(const pb_vocab *v, const char *text, size_t len, const pb_text_opts *o, double *row)
{
    pb_text_opts def = PB_TEXT_OPTS_DEFAULT;
    if (!o) o = &def;
    int st = check_opts(o);
    if (st) return st;
    size_t T = o->seq_len;
    char *buf = pb_calloc(len + 1, 1);
    size_t *ids = pb_calloc(len / 2 + 1, sizeof *ids);
    if (!buf || !ids) {
        free(buf);
        free(ids);
        return PB_ERR_NOMEM;
    }
    size_t n = 0, pos = 0, k;
    while ((o->keep_last || n < T) && (k = next_token(text, len, &pos, buf)) > 0) ids[n++] = pb_vocab_id(v, buf, k);
    size_t use = n < T ? n : T, first = o->keep_last ? n - use : 0;
    for (size_t t = 0; t < T - use; t++) row[t] = PB_TEXT_PAD;
    for (size_t t = 0; t < use; t++) row[T - use + t] = (double)ids[first + t];
    free(buf);
    free(ids);
    return PB_OK;
}

/* ---- texts in memory ---- */

typedef struct texts {
    size_t n, cap;
    char **text;
    size_t *len;
    double *y;
} texts;

static void texts_free(texts *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->text[i]);
    free(t->text);
    free(t->len);
    free(t->y);
    memset(t, 0, sizeof *t);
}

/* Append text (owned from now on, freed on failure too) with target y. */
static int texts_add(texts *t, char *text, size_t len, double y)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        char **nt = realloc(t->text, cap * sizeof *nt);
        if (nt) t->text = nt;
        size_t *nl = realloc(t->len, cap * sizeof *nl);
        if (nl) t->len = nl;
        double *ny = realloc(t->y, cap * sizeof *ny);
        if (ny) t->y = ny;
        if (!nt || !nl || !ny) {
            free(text);
            return pb_error(PB_ERR_NOMEM, "out of memory for %zu texts", cap);
        }
        t->cap = cap;
    }
    t->text[t->n] = text, t->len[t->n] = len, t->y[t->n] = y;
    t->n++;
    return PB_OK;
}

/* Encode the texts idx[0..n) (idx NULL: all, in order) into out. */
static int encode_rows(const texts *t, const size_t *idx, size_t n, const pb_vocab *v, const pb_text_opts *o,
                       const char *name, int n_classes, pb_data *out)
{
    int st = pb_data_alloc(out, name, n, o->seq_len, 1, n_classes);
    if (st) return st;
    out->seq_len = o->seq_len;
    out->vocab = v->size;
    for (size_t i = 0; i < n && !st; i++) {
        size_t k = idx ? idx[i] : i;
        st = pb_text_encode(v, t->text[k], t->len[k], o, out->X + i * o->seq_len);
        out->y[i] = t->y[k];
    }
    if (st) pb_data_free(out);
    return st;
}

/* ---- IMDB ---- */

static int is_dir(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 && S_ISDIR(s.st_mode);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.txt names of dir, in byte order. */
static int list_reviews(const char *dir, char ***names, size_t *count)
{
    *names = NULL, *count = 0;
    DIR *d = opendir(dir);
    if (!d) return pb_error(PB_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    size_t n = 0, cap = 0;
    char **v = NULL;
    int st = PB_OK;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".txt")) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) { st = pb_error(PB_ERR_NOMEM, "out of memory listing %s", dir); break; }
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name))) { st = pb_error(PB_ERR_NOMEM, "out of memory listing %s", dir); break; }
        n++;
        errno = 0;
    }
    if (!st && errno) st = pb_error(PB_ERR_IO, "%s: cannot read directory: %s", dir, strerror(errno));
    closedir(d);
    if (!st && n == 0) st = pb_error(PB_ERR_FORMAT, "%s: no *.txt files (expected one review per file)", dir);
    if (st) {
        for (size_t i = 0; i < n; i++) free(v[i]);
        free(v);
        return st;
    }
    qsort(v, n, sizeof *v, by_name);
    *names = v, *count = n;
    return PB_OK;
}

/* A whole file into a new NUL-terminated buffer. */
static int read_file(const char *path, char **text, size_t *len)
{
    *text = NULL, *len = 0;
    FILE *f = pb_fopen_read(path, "rb");
    if (!f && errno == EINVAL) return pb_error(PB_ERR_IO, "%s: not a regular file (expected a review)", path);
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat s;
    int st = PB_OK;
    if (fstat(fileno(f), &s) != 0) {
        st = pb_error(PB_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    } else if (!S_ISREG(s.st_mode)) {
        st = pb_error(PB_ERR_IO, "%s: not a regular file (expected a review)", path);
    } else {
        size_t cap = (size_t)s.st_size + 1, n = 0;
        char *buf = malloc(cap);
        if (!buf) {
            st = pb_error(PB_ERR_NOMEM, "%s: out of memory for %zu bytes", path, cap);
        } else {
            for (;;) {   /* read to the end, even if the file grew since fstat */
                n += fread(buf + n, 1, cap - 1 - n, f);
                if (n < cap - 1 || feof(f) || ferror(f)) break;
                char *nb = realloc(buf, 2 * cap);
                if (!nb) { st = pb_error(PB_ERR_NOMEM, "%s: out of memory", path); break; }
                buf = nb, cap *= 2;
            }
            if (!st && ferror(f)) st = pb_error(PB_ERR_IO, "%s: read error: %s", path, strerror(errno));
            if (st) {
                free(buf);
            } else {
                buf[n] = '\0';
                *text = buf, *len = n;
            }
        }
    }
    fclose(f);
    return st;
}

static const char *const imdb_class[2] = {"pos", "neg"};

/* Read the reviews of dir/part/{pos,neg} into t (labels 1, 0). */
static int imdb_read_part(const char *dir, const char *part, texts *t)
{
    char sub[4200], path[4600];
    int st = PB_OK;
    for (int c = 0; c < 2 && !st; c++) {
        snprintf(sub, sizeof sub, "%s/%s/%s", dir, part, imdb_class[c]);
        char **names;
        size_t n;
        if ((st = list_reviews(sub, &names, &n))) break;
        for (size_t i = 0; i < n; i++) {
            if (!st) {
                snprintf(path, sizeof path, "%s/%s", sub, names[i]);
                char *text;
                size_t len;
                if (!(st = read_file(path, &text, &len))) st = texts_add(t, text, len, c == 0 ? 1.0 : 0.0);
            }
            free(names[i]);
        }
        free(names);
    }
    return st;
}

int pb_imdb_load(const char *dir, const pb_text_opts *o, pb_data *train, pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    pb_text_opts def = PB_TEXT_OPTS_DEFAULT;
    if (!o) o = &def;
    int st = check_opts(o);
    if (st) return st;
    struct stat s;
    if (stat(dir, &s) != 0) return pb_error(PB_ERR_IO, "%s: cannot open IMDB directory: %s", dir, strerror(errno));
    if (!S_ISDIR(s.st_mode))
        return pb_error(PB_ERR_IO, "%s: not a directory (expected the aclImdb directory: train/pos, train/neg, test/pos, "
                        "test/neg)", dir);
    if (strlen(dir) > 4000) return pb_error(PB_ERR_ARG, "%s: directory name too long", dir);
    /* all four class directories first, so that a missing one costs nothing */
    char sub[4200];
    for (int k = 0; k < 4; k++) {
        snprintf(sub, sizeof sub, "%s/%s/%s", dir, k < 2 ? "train" : "test", imdb_class[k % 2]);
        if (!is_dir(sub))
            return pb_error(PB_ERR_IO, "%s: no such directory (expected the aclImdb layout: train/pos, train/neg, "
                            "test/pos, test/neg)", sub);
    }
    texts t = {0};
    pb_vocab v = {0};
    if ((st = imdb_read_part(dir, "train", &t))) goto done;
    if ((st = pb_vocab_build((const char *const *)t.text, t.len, t.n, o->vocab_words, &v))) goto done;
    if ((st = encode_rows(&t, NULL, t.n, &v, o, "imdb/train", 2, train))) goto done;
    texts_free(&t);
    if ((st = imdb_read_part(dir, "test", &t))) goto done;
    st = encode_rows(&t, NULL, t.n, &v, o, "imdb/test", 2, test);
done:
    texts_free(&t);
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    if (vocab && !st) *vocab = v;
    else pb_vocab_free(&v);
    return st;
}

/* ---- Movie Reviews ---- */

static void chomp(char *s, size_t *len)
{
    while (*len && (s[*len - 1] == '\n' || s[*len - 1] == '\r')) s[--*len] = '\0';
}

/* A whole field as a finite double (surrounding spaces allowed). */
static int parse_score(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (*end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static int read_tsv(const char *path, texts *t)
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
        chomp(line, &len);
        if (!len) continue;
        char *tab = memchr(line, '\t', len), *last = tab;
        while (tab) {
            last = tab;
            tab = memchr(tab + 1, '\t', len - (size_t)(tab + 1 - line));
        }
        if (!last) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: no tab: expected '<text><TAB><score>'", path, lineno, len + 1);
            break;
        }
        double y;
        size_t col = (size_t)(last - line) + 2;
        size_t slen = len - (size_t)(last + 1 - line);
        if (memchr(last + 1, '\0', slen) || !parse_score(last + 1, &y)) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: expected a number after the last tab, found '%.40s'", path, lineno,
                          col, last + 1);
            break;
        }
        if (fabs(y) > PB_DATA_MAX_ABS) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: score %.40s is out of range: at most %g in magnitude", path,
                          lineno, col, last + 1, PB_DATA_MAX_ABS);
            break;
        }
        size_t tlen = (size_t)(last - line);
        char *text = malloc(tlen + 1);
        if (!text) { st = pb_error(PB_ERR_NOMEM, "%s: out of memory", path); break; }
        memcpy(text, line, tlen);
        text[tlen] = '\0';
        st = texts_add(t, text, tlen, y);
    }
    if (!st && ferror(f)) st = pb_error(PB_ERR_IO, "%s:%zu: read error", path, lineno);
    if (!st && t->n == 0) st = pb_error(PB_ERR_FORMAT, "%s: no examples (expected lines '<text><TAB><score>')", path);
    if (!st && t->n < 2)
        st = pb_error(PB_ERR_FORMAT, "%s: 1 example: a train/test split needs at least 2", path);
    free(line);
    fclose(f);
    if (st) texts_free(t);
    return st;
}

int pb_movie_reviews_load(const char *path, const pb_text_opts *o, double test_fraction, uint64_t split_seed,
                          pb_data *train, pb_data *test, pb_vocab *vocab)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (vocab) memset(vocab, 0, sizeof *vocab);
    pb_text_opts def = PB_TEXT_OPTS_DEFAULT;
    if (!o) o = &def;
    int st = check_opts(o);
    if (st) return st;
    texts t = {0};
    if ((st = read_tsv(path, &t))) return st;
    /* pb_split on the row numbers: the same rows and order it gives any regression set of t.n rows */
    pb_data all = {0}, itr = {0}, ite = {0};
    pb_vocab v = {0};
    size_t *idx_tr = NULL, *idx_te = NULL;
    char **tr_text = NULL;
    size_t *tr_len = NULL;
    if ((st = pb_data_alloc(&all, "movie-reviews", t.n, 1, 1, 0))) goto done;
    for (size_t i = 0; i < t.n; i++) all.X[i] = (double)i, all.y[i] = t.y[i];
    if ((st = pb_split(&all, test_fraction, split_seed, &itr, &ite))) goto done;
    idx_tr = pb_calloc(itr.n, sizeof *idx_tr);
    idx_te = pb_calloc(ite.n, sizeof *idx_te);
    tr_text = pb_calloc(itr.n, sizeof *tr_text);
    tr_len = pb_calloc(itr.n, sizeof *tr_len);
    if (!idx_tr || !idx_te || !tr_text || !tr_len) { st = PB_ERR_NOMEM; goto done; }
    for (size_t i = 0; i < itr.n; i++) {
        idx_tr[i] = (size_t)itr.X[i];
        tr_text[i] = t.text[idx_tr[i]], tr_len[i] = t.len[idx_tr[i]];
    }
    for (size_t i = 0; i < ite.n; i++) idx_te[i] = (size_t)ite.X[i];
    if ((st = pb_vocab_build((const char *const *)tr_text, tr_len, itr.n, o->vocab_words, &v))) goto done;
    if ((st = encode_rows(&t, idx_tr, itr.n, &v, o, "movie-reviews/train", 0, train))) goto done;
    st = encode_rows(&t, idx_te, ite.n, &v, o, "movie-reviews/test", 0, test);
done:
    texts_free(&t);
    pb_data_free(&all), pb_data_free(&itr), pb_data_free(&ite);
    free(idx_tr), free(idx_te), free(tr_text), free(tr_len);
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    if (vocab && !st) *vocab = v;
    else pb_vocab_free(&v);
    return st;
}

/* ---- by name ---- */

int pb_text_is_dataset(const char *name) { return !strcmp(name, "imdb") || !strcmp(name, "movie-reviews"); }

const char *pb_text_source(const char *name, const char *data_dir)
{
    if (!pb_text_is_dataset(name)) {
        pb_error(PB_ERR_ARG, "dataset '%s' is not a text set (known: imdb, movie-reviews)", name);
        return NULL;
    }
    int imdb = !strcmp(name, "imdb");
    struct stat s;
    int given = data_dir && *data_dir;
    if (given) {
        if (imdb) {
            char train[4200];
            snprintf(train, sizeof train, "%s/train", data_dir);
            if (strlen(data_dir) < 4000 && is_dir(train)) return data_dir;
        } else if (stat(data_dir, &s) == 0 && S_ISREG(s.st_mode)) {
            return data_dir;
        }
    }
    const char *env = getenv(imdb ? PB_IMDB_ENV : PB_MOVIE_REVIEWS_ENV);
    if (env && *env) return env;
    char why[4200] = "";
    if (given)
        snprintf(why, sizeof why, "the data path '%s' is not %s and ", data_dir,
                 imdb ? "an aclImdb directory (no train/ subdirectory)" : "a file");
    if (imdb)
        pb_error(PB_ERR_ARG, "imdb: %s%s is not set: set it to the aclImdb directory of aclImdb_v1.tar.gz (train/pos, "
                 "train/neg, test/pos, test/neg; see datasets/PROVENANCE.md), e.g. export %s=$HOME/data/aclImdb",
                 why, PB_IMDB_ENV, PB_IMDB_ENV);
    else
        pb_error(PB_ERR_ARG, "movie-reviews: %s%s is not set: set it to a file of lines '<text><TAB><score>' (see "
                 "datasets/PROVENANCE.md), e.g. export %s=$HOME/data/movie_reviews.tsv", why, PB_MOVIE_REVIEWS_ENV,
                 PB_MOVIE_REVIEWS_ENV);
    return NULL;
}

/* Put the rows of d in a seeded order. */
static int shuffle_rows(pb_data *d, gsl_rng *r)
{
    size_t *perm = pb_calloc(d->n, sizeof *perm);
    double *X = pb_calloc(d->n * d->d, sizeof *X), *y = pb_calloc(d->n * d->ydim, sizeof *y);
    if (!perm || !X || !y) {
        free(perm), free(X), free(y);
        return PB_ERR_NOMEM;
    }
    for (size_t i = 0; i < d->n; i++) perm[i] = i;
    gsl_ran_shuffle(r, perm, d->n, sizeof *perm);
    for (size_t i = 0; i < d->n; i++) {
        memcpy(X + i * d->d, d->X + perm[i] * d->d, d->d * sizeof *X);
        memcpy(y + i * d->ydim, d->y + perm[i] * d->ydim, d->ydim * sizeof *y);
    }
    free(d->X), free(d->y), free(perm);
    d->X = X, d->y = y;
    return PB_OK;
}

int pb_text_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                         const pb_text_opts *o, pb_data *train, pb_data *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    const char *src = pb_text_source(name, data_dir);
    if (!src) return PB_ERR_ARG;
    int imdb = !strcmp(name, "imdb");
    const char *env = imdb ? PB_IMDB_ENV : PB_MOVIE_REVIEWS_ENV;
    struct stat s;
    if (src != data_dir && stat(src, &s) != 0)
        return pb_error(PB_ERR_IO, "%s: %s=%s: no such %s", name, env, src, imdb ? "directory" : "file");
    if (!imdb) return pb_movie_reviews_load(src, o, test_fraction, split_seed, train, test, NULL);
    int st = pb_imdb_load(src, o, train, test, NULL);
    if (st) return st;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) st = pb_error(PB_ERR_NOMEM, "out of memory");
    else {
        pb_rng_seed(r, split_seed);
        if (!(st = shuffle_rows(train, r))) st = shuffle_rows(test, r);
        gsl_rng_free(r);
    }
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    return st;
}

int pb_text_available(const char *name, const char *data_dir)
{
    const char *src = pb_text_source(name, data_dir);
    if (!src) return 0;
    int imdb = !strcmp(name, "imdb");
    char from[64] = "";   /* where src came from, when not from data_dir */
    if (src != data_dir) snprintf(from, sizeof from, " (from $%s)", imdb ? PB_IMDB_ENV : PB_MOVIE_REVIEWS_ENV);
    struct stat s;
    if (!imdb) {
        if (stat(src, &s) == 0 && S_ISREG(s.st_mode) && access(src, R_OK) == 0) return 1;
        pb_error(PB_ERR_IO, "%s: %s: no readable file%s", name, src, from);
        return 0;
    }
    static const char *const sub[4] = {"train/pos", "train/neg", "test/pos", "test/neg"};
    char path[4300];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", src, sub[i]);
        if (!is_dir(path)) {
            pb_error(PB_ERR_IO, "%s: %s: no such directory%s", name, path, from);
            return 0;
        }
    }
    return 1;
}
