/* text.c -- the tokenizer, the training vocabulary, fixed-length encoding,
 * the IMDB and Movie Reviews loaders on fixtures made here, the text sets
 * and the sequence image sets through pb_dataset_open, and the real
 * Fashion-MNIST as a sequence set when it is installed. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/idx.h"
#include "datasets/registry.h"
#include "datasets/text.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-text-XXXXXX";

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* ---- fixtures ---- */

static void path_of(const char *rel, char *path, size_t len) { snprintf(path, len, "%s/%s", dir, rel); }

/* mkdir -p dir/rel */
static void make_dir(const char *rel)
{
    char path[1024];
    path_of(rel, path, sizeof path);
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            TAP_REQUIRE(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
            *p = '/';
        }
    TAP_REQUIRE(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
}

/* dir/rel := len bytes of data (its parent directories made too). */
static void write_bytes(const char *rel, const void *data, size_t len)
{
    char path[1024], parent[1024];
    snprintf(parent, sizeof parent, "%s", rel);
    char *slash = strrchr(parent, '/');
    if (slash) {
        *slash = '\0';
        make_dir(parent);
    }
    path_of(rel, path, sizeof path);
    FILE *f = fopen(path, "wb");
    TAP_REQUIRE(f != NULL);
    TAP_REQUIRE(fwrite(data, 1, len, f) == len);
    TAP_REQUIRE(fclose(f) == 0);
}

static void write_text(const char *rel, const char *text) { write_bytes(rel, text, strlen(text)); }

/* ---- tokenizer ---- */

/* The tokens of text[0..len) joined with '|'. */
static void joined(const char *text, size_t len, char *out, size_t cap)
{
    pb_tokens t;
    TAP_REQUIRE(pb_tokenize(text, len, &t) == 0);
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < t.n && k < cap; i++) k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? "|" : "", t.tok[i]);
    pb_tokens_free(&t);
}

static void tokens_are(const char *text, size_t len, const char *want, const char *what)
{
    char got[1024];
    joined(text, len, got, sizeof got);
    ok(!strcmp(got, want), "tokenizer, %s: '%s' (got '%s')", what, want, got);
}

#define TOKS(lit, want, what) tokens_are(lit, sizeof(lit) - 1, want, what)

static void test_tokenizer(void)
{
    TOKS("Hello World", "hello|world", "lowercase");
    TOKS("MiXeD CaSe ABCZ", "mixed|case|abcz", "mixed case, A and Z");
    TOKS("one<br />two<BR />three<br/>four<br>five<Br  />six", "one|two|three|four|five|six",
         "the HTML line break in its spellings is whitespace");
    TOKS("a<br /><br />b", "a|b", "two line breaks between words");
    TOKS("<b>bold</b> <brx> <br", "b|bold|b|brx|br", "other tags: only their letters are tokens");
    TOKS("don't 'quoted' rock'n'roll ''' it's' ''x", "don't|quoted|rock'n'roll|it's|x",
         "apostrophes inside kept, leading and trailing stripped, alone no token");
    TOKS("R2-D2 in 1977, 3.5/10", "r2|d2|in|1977|3|5|10", "digits are token bytes; '-', '.', '/' separate");
    TOKS("wow!!!...great,film;(ok)well-made_film\"yes\"", "wow|great|film|ok|well|made|film|yes",
         "punctuation, hyphen, underscore and quotes separate");
    TOKS("caf\xc3\xa9 na\xc3\xafve \xc3\xbc" "ber", "caf|na|ve|ber",
         "UTF-8 multibyte characters are separators");
    TOKS("don\xe2\x80\x99t", "don|t", "the typographic apostrophe U+2019 separates");
    TOKS("ab\0cd", "ab|cd", "a NUL byte separates (explicit length)");
    TOKS("  \t\n ,;!<br />'' ", "", "only separators: no token");
    TOKS("", "", "empty text: no token");
    tokens_are("Word", 3, "wor", "only len bytes are read");
}

/* ---- vocabulary and encoding ---- */

static void test_vocab(void)
{
    const char *texts[2] = {"b a C a B d it's its it0", "c e IT'S"};
    pb_vocab v;
    int st = pb_vocab_build(texts, NULL, 2, 3, &v);
    TAP_REQUIRE(st == 0);
    /* counts: a 2, b 2, c 2, it's 2, d 1, e 1, it0 1, its 1 */
    ok(v.n_words == 3 && v.size == 5, "K = 3: 3 words kept, ids 0..4 (got %zu words, size %zu)", v.n_words, v.size);
    ok(!strcmp(v.word[0], "a") && !strcmp(v.word[1], "b") && !strcmp(v.word[2], "c"),
       "ties at count 2 in byte order: a, b, c before it's (got %s, %s, %s)", v.word[0], v.word[1], v.word[2]);
    ok(v.count[0] == 2 && v.count[2] == 2, "counts recorded");
    ok(pb_vocab_id(&v, "a", 1) == 2 && pb_vocab_id(&v, "b", 1) == 3 && pb_vocab_id(&v, "c", 1) == 4,
       "ids 2, 3, 4 by rank");
    ok(pb_vocab_id(&v, "it's", 4) == 1 && pb_vocab_id(&v, "zz", 2) == 1 && pb_vocab_id(&v, "", 0) == 1,
       "below the cut, unseen and empty tokens are out-of-vocabulary (1)");
    pb_vocab_free(&v);
    ok(v.word == NULL && v.n_words == 0 && v.size == 0, "pb_vocab_free clears");

    st = pb_vocab_build(texts, NULL, 2, 20000, &v);
    TAP_REQUIRE(st == 0);
    static const char *const want[8] = {"a", "b", "c", "it's", "d", "e", "it0", "its"};
    int same = v.n_words == 8 && v.size == 10;
    for (size_t r = 0; same && r < 8; r++) same = !strcmp(v.word[r], want[r]) && pb_vocab_id(&v, want[r], strlen(want[r])) == r + 2;
    ok(same, "K larger than the distinct tokens: all 8 kept, vocab 10; ties in byte order (' < 0 < s): "
       "a b c it's d e it0 its");
    pb_vocab_free(&v);

    /* a larger vocabulary: the hash table grows past its first size */
    enum { W = 3000 };
    char *big = malloc(W * 12), *p = big;
    TAP_REQUIRE(big != NULL);
    for (int i = 0; i < W; i++) p += sprintf(p, "w%d ", i);
    const char *one[1] = {big};
    st = pb_vocab_build(one, NULL, 1, 5000, &v);
    int found = st == 0 && v.n_words == W;
    for (int i = 0; found && i < W; i++) {
        char w[16];
        int n = sprintf(w, "w%d", i);
        size_t id = pb_vocab_id(&v, w, (size_t)n);
        found = id >= 2 && id < v.size && !strcmp(v.word[id - 2], w);
    }
    ok(found, "3000 distinct words: every one found at its own id");
    ok(st == 0 && !strcmp(v.word[0], "w0") && !strcmp(v.word[1], "w1") && !strcmp(v.word[2], "w10"),
       "all counts 1: byte order w0, w1, w10, ...");
    pb_vocab_free(&v);
    free(big);
    st = pb_vocab_build(texts, NULL, 2, 0, &v);
    ok(st != 0 && v.word == NULL, "a vocabulary of 0 words is rejected (%s)", pb_last_error());
}

static int row_is(const double *row, const double *want, size_t T)
{
    for (size_t t = 0; t < T; t++)
        if (row[t] != want[t]) return 0;
    return 1;
}

static void row_str(const double *row, size_t T, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t t = 0; t < T && k < cap; t++) k += (size_t)snprintf(out + k, cap - k, "%s%g", t ? " " : "", row[t]);
}

static void encodes_to(const pb_vocab *v, const char *text, size_t T, int keep_last, const double *want, const char *what)
{
    double row[16];
    char got[256];
    pb_text_opts o = {100, T, keep_last};
    int st = pb_text_encode(v, text, strlen(text), &o, row);
    row_str(row, T, got, sizeof got);
    ok(st == 0 && row_is(row, want, T), "encode, %s (got %s)", what, got);
}

static void test_encode(void)
{
    const char *texts[1] = {"a b c d e f"};
    pb_vocab v;
    TAP_REQUIRE(pb_vocab_build(texts, NULL, 1, 100, &v) == 0);   /* a 2, b 3, c 4, d 5, e 6, f 7 */
    encodes_to(&v, "a b c", 5, 0, (const double[]){0, 0, 2, 3, 4}, "short text: padded with 0 at the start");
    encodes_to(&v, "a b c", 3, 0, (const double[]){2, 3, 4}, "exactly T tokens: no padding");
    encodes_to(&v, "a b c d e f", 4, 0, (const double[]){2, 3, 4, 5}, "long text: the first T tokens are kept");
    encodes_to(&v, "a b c d e f", 4, 1, (const double[]){4, 5, 6, 7}, "long text, keep_last: the last T tokens");
    encodes_to(&v, "a zz b", 4, 0, (const double[]){0, 2, 1, 3}, "unseen word: id 1 in its place");
    encodes_to(&v, "", 3, 0, (const double[]){0, 0, 0}, "empty text: all padding");
    encodes_to(&v, "F<br />E", 2, 1, (const double[]){7, 6}, "case and line breaks as the tokenizer says");
    double row[2];
    pb_text_opts bad = {100, 0, 0};
    ok(pb_text_encode(&v, "a", 1, &bad, row) != 0, "sequence length 0 rejected (%s)", pb_last_error());
    pb_vocab_free(&v);
}

/* ---- IMDB ---- */

static void make_imdb(const char *root)
{
    char rel[256];
#define W(part, name, text) (snprintf(rel, sizeof rel, "%s/%s/%s", root, part, name), write_text(rel, text))
    W("train/pos", "0_9.txt", "Great film. GREAT acting!");
    W("train/pos", "10_7.txt", "I loved it<br /><br />loved it");
    W("train/pos", "1_8.txt", "Fine.");
    W("train/pos", "notes.md", "ignored: not a .txt file");
    W("train/pos", ".hidden.txt", "ignored: a hidden file");
    W("train/neg", "0_2.txt", "Bad film, bad acting.");
    W("train/neg", "1_1.txt", "I hated it. Bad!");
    W("train/unsup", "0_0.txt", "unsup is not read: zebra zebra zebra");
    W("test/pos", "0_10.txt", "Great, great fun");
    W("test/neg", "0_3.txt", "Boring film: bad.");
    W("test/neg", "1_4.txt", "");
#undef W
}

/* Train counts: bad 3, it 3; acting, film, great, i, loved 2; fine, hated 1.
 * Ranks: bad 2, it 3, acting 4, film 5, great 6, i 7, loved 8, fine 9, hated 10;
 * with K = 7 fine and hated are out of the vocabulary (1). */
static const double imdb_train_k7[5][4] = {
    {6, 5, 6, 4},   /* pos 0_9:  great film great acting */
    {7, 8, 3, 8},   /* pos 10_7: i loved it loved (it): the first 4 of 5 */
    {0, 0, 0, 1},   /* pos 1_8:  fine -- below the cut at K = 7 */
    {2, 5, 2, 4},   /* neg 0_2:  bad film bad acting */
    {7, 1, 3, 2},   /* neg 1_1:  i hated it bad -- hated below the cut */
};
static const double imdb_test_k7[3][4] = {
    {0, 6, 6, 1},   /* pos 0_10: great great fun -- fun unseen in train */
    {0, 1, 5, 2},   /* neg 0_3:  boring film bad -- boring unseen */
    {0, 0, 0, 0},   /* neg 1_4:  empty */
};

static void test_imdb(void)
{
    make_imdb("imdb");
    char root[512];
    path_of("imdb", root, sizeof root);
    pb_data tr, te;
    pb_vocab v;
    pb_text_opts o = {7, 4, 0};
    int st = pb_imdb_load(root, &o, &tr, &te, &v);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ok(tr.n == 5 && te.n == 3, "imdb fixture: 5 training and 3 test reviews (got %zu, %zu)", tr.n, te.n);
    ok(tr.d == 4 && tr.seq_len == 4 && tr.vocab == 9 && te.d == 4 && te.seq_len == 4 && te.vocab == 9,
       "imdb, K 7, T 4: d = seq_len = 4, vocab = K + 2 = 9 in both parts");
    ok(tr.ydim == 1 && tr.n_classes == 2 && te.n_classes == 2, "imdb: 2 classes, ydim 1");
    ok(!strcmp(tr.name, "imdb/train") && !strcmp(te.name, "imdb/test"), "imdb: names %s, %s", tr.name, te.name);
    ok(tr.y[0] == 1 && tr.y[1] == 1 && tr.y[2] == 1 && tr.y[3] == 0 && tr.y[4] == 0 && te.y[0] == 1 && te.y[1] == 0 &&
       te.y[2] == 0, "imdb: labels pos 1, neg 0; pos files first");
    ok(v.n_words == 7 && !strcmp(v.word[0], "bad") && !strcmp(v.word[1], "it") && !strcmp(v.word[2], "acting") &&
       !strcmp(v.word[6], "loved"), "imdb: vocabulary from train only, ranked: bad it acting ... loved");
    for (size_t i = 0; i < 5; i++) {
        char got[128];
        row_str(tr.X + i * 4, 4, got, sizeof got);
        ok(row_is(tr.X + i * 4, imdb_train_k7[i], 4), "imdb train row %zu: worked out by hand (got %s)", i, got);
    }
    for (size_t i = 0; i < 3; i++) {
        char got[128];
        row_str(te.X + i * 4, 4, got, sizeof got);
        ok(row_is(te.X + i * 4, imdb_test_k7[i], 4), "imdb test row %zu: train vocabulary, unseen words 1 (got %s)", i,
           got);
    }
    ok(pb_vocab_id(&v, "zebra", 5) == 1, "imdb: train/unsup is not read");
    pb_data_free(&tr), pb_data_free(&te), pb_vocab_free(&v);

    o.keep_last = 1;
    o.vocab_words = 20000;
    st = pb_imdb_load(root, &o, &tr, &te, NULL);
    ok(st == 0 && row_is(tr.X + 4, (const double[]){8, 3, 8, 3}, 4) && tr.vocab == 11 &&
       row_is(tr.X + 8, (const double[]){0, 0, 0, 9}, 4) && row_is(tr.X + 16, (const double[]){7, 10, 3, 2}, 4),
       "imdb, K 20000, keep_last: 9 distinct words -> vocab 11; fine 9, hated 10; the last 4 of 'i loved it loved it'");
    pb_data_free(&tr), pb_data_free(&te);

    /* defaults: T = 200 */
    st = pb_imdb_load(root, NULL, &tr, &te, NULL);
    int pad = st == 0 && tr.d == 200;
    for (size_t t = 0; pad && t < 196; t++) pad = tr.X[t] == 0;
    ok(pad && row_is(tr.X + 196, imdb_train_k7[0], 4), "imdb with the defaults: 200 steps, 196 of padding first");
    pb_data_free(&tr), pb_data_free(&te);
}

/* Must fail, leave everything empty, and say want (which includes the path). */
static void imdb_error(const char *root, const char *want, const char *what)
{
    pb_data tr, te;
    pb_vocab v;
    int st = pb_imdb_load(root, NULL, &tr, &te, &v);
    const char *msg = pb_last_error();
    ok(st != 0 && tr.X == NULL && te.X == NULL && tr.n == 0 && v.word == NULL && v.size == 0,
       "imdb %s: rejected, nothing half-filled", what);
    ok(has(msg, want) && !strchr(msg, '\n'), "imdb %s: message says '%s' (got: %s)", what, want, msg);
}

static void test_imdb_errors(void)
{
    char root[512], want[2200], p[1024];
    path_of("nowhere", root, sizeof root);
    snprintf(want, sizeof want, "%s: cannot open IMDB directory: No such file or directory", root);
    imdb_error(root, want, "missing directory");

    make_imdb("notest");
    path_of("notest", root, sizeof root);
    path_of("notest/test/neg", p, sizeof p);
    TAP_REQUIRE(system((snprintf(want, sizeof want, "rm -r '%s'", p), want)) == 0);
    snprintf(want, sizeof want, "%s: no such directory (expected the aclImdb layout", p);
    imdb_error(root, want, "without test/neg");

    make_imdb("emptyneg");
    path_of("emptyneg", root, sizeof root);
    path_of("emptyneg/train/neg", p, sizeof p);
    TAP_REQUIRE(system((snprintf(want, sizeof want, "rm '%s'/*.txt", p), want)) == 0);
    snprintf(want, sizeof want, "%s: no *.txt files", p);
    imdb_error(root, want, "with an empty class directory");

    make_imdb("dangling");
    path_of("dangling", root, sizeof root);
    path_of("dangling/test/pos/5_7.txt", p, sizeof p);
    TAP_REQUIRE(symlink("/nonexistent/pb-text-review", p) == 0);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", p);
    imdb_error(root, want, "with a review that cannot be opened");

    make_imdb("dirreview");
    path_of("dirreview", root, sizeof root);
    make_dir("dirreview/train/neg/2_3.txt");
    path_of("dirreview/train/neg/2_3.txt", p, sizeof p);
    snprintf(want, sizeof want, "%s: not a regular file", p);
    imdb_error(root, want, "with a directory named like a review");

    path_of("imdb/train/pos/0_9.txt", p, sizeof p);
    snprintf(want, sizeof want, "%s: not a directory", p);
    imdb_error(p, want, "given a file");
}

/* ---- Movie Reviews ---- */

/* Independent reference: vocabulary by linear search and sort. */
typedef struct ref_word {
    char w[64];
    int count;
} ref_word;

static int ref_cmp(const void *a, const void *b)
{
    const ref_word *x = a, *y = b;
    return x->count != y->count ? y->count - x->count : strcmp(x->w, y->w);
}

static const char *mr_text[6] = {"Great film", "bad film", "It's OK", "tab\tinside the text", "great great", "A film"};
static const double mr_score[6] = {0.9, 0.1, 0.5, 0.7, 0.95, -2.5};

static void test_movie_reviews(void)
{
    write_text("mr.tsv", "Great film\t0.9\nbad film\t0.1\r\nIt's OK\t0.5\n\n"
                         "tab\tinside the text\t0.7\ngreat great\t  9.5e-1 \nA film\t-2.5\n");
    char path[512];
    path_of("mr.tsv", path, sizeof path);
    pb_data tr, te;
    pb_vocab v;
    pb_text_opts o = {4, 3, 0};
    uint64_t seed = 12345;
    int st = pb_movie_reviews_load(path, &o, 0.34, seed, &tr, &te, &v);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ok(tr.n == 4 && te.n == 2, "movie reviews: 6 examples (blank line skipped), test fraction 0.34 -> 4 + 2 (got %zu + %zu)",
       tr.n, te.n);
    ok(tr.n_classes == 0 && tr.ydim == 1 && tr.seq_len == 3 && tr.d == 3 && te.seq_len == 3 && tr.vocab == v.size &&
       te.vocab == v.size, "movie reviews: regression, seq_len 3, vocab recorded in both parts");
    ok(!strcmp(tr.name, "movie-reviews/train") && !strcmp(te.name, "movie-reviews/test"), "movie reviews: names");

    /* the reference: pb_split's rows for a regression set of 6 rows */
    pb_data all, itr, ite;
    TAP_REQUIRE(pb_data_alloc(&all, "idx", 6, 1, 1, 0) == 0);
    for (int i = 0; i < 6; i++) all.X[i] = i, all.y[i] = mr_score[i];
    TAP_REQUIRE(pb_split(&all, 0.34, seed, &itr, &ite) == 0);
    int scores = 1;
    for (size_t i = 0; i < tr.n; i++) scores &= tr.y[i] == mr_score[(int)itr.X[i]];
    for (size_t i = 0; i < te.n; i++) scores &= te.y[i] == mr_score[(int)ite.X[i]];
    ok(scores, "movie reviews: scores (CRLF, spaces, exponent, negative) in pb_split's rows and order");

    /* reference vocabulary of the train texts (the text is everything before the last tab) */
    ref_word w[64];
    int nw = 0;
    for (size_t i = 0; i < itr.n; i++) {
        pb_tokens t;
        const char *s = mr_text[(int)itr.X[i]];
        TAP_REQUIRE(pb_tokenize(s, strlen(s), &t) == 0);
        for (size_t k = 0; k < t.n; k++) {
            int j = 0;
            while (j < nw && strcmp(w[j].w, t.tok[k])) j++;
            if (j == nw) snprintf(w[nw++].w, sizeof w[0].w, "%s", t.tok[k]), w[j].count = 0;
            w[j].count++;
        }
        pb_tokens_free(&t);
    }
    qsort(w, (size_t)nw, sizeof *w, ref_cmp);
    int kept = nw < 4 ? nw : 4, vocab_ok = (int)v.n_words == kept;
    for (int j = 0; vocab_ok && j < kept; j++) vocab_ok = !strcmp(v.word[j], w[j].w);
    ok(vocab_ok, "movie reviews: vocabulary = the reference ranking of the train texts only (%d kept)", kept);
    int rows = 1;
    for (int part = 0; part < 2; part++) {
        const pb_data *d = part ? &te : &tr, *idx = part ? &ite : &itr;
        for (size_t i = 0; i < d->n; i++) {
            pb_tokens t;
            const char *s = mr_text[(int)idx->X[i]];
            TAP_REQUIRE(pb_tokenize(s, strlen(s), &t) == 0);
            double want[3] = {0, 0, 0};
            size_t use = t.n < 3 ? t.n : 3;
            for (size_t k = 0; k < use; k++) {
                double id = 1;
                for (int j = 0; j < kept; j++)
                    if (!strcmp(w[j].w, t.tok[k])) id = j + 2;
                want[3 - use + k] = id;
            }
            rows &= row_is(d->X + i * 3, want, 3);
            pb_tokens_free(&t);
        }
    }
    ok(rows, "movie reviews: every row = the reference encoding (train vocabulary, pre-padding, first 3 tokens)");
    pb_data_free(&all), pb_data_free(&itr), pb_data_free(&ite);
    pb_data_free(&tr), pb_data_free(&te), pb_vocab_free(&v);
}

/* A malformed file: must fail with exactly "<path><suffix>" and leave nothing. */
static void tsv_error(const char *name, const char *text, const char *suffix, const char *what)
{
    char path[512], want[1024];
    write_text(name, text);
    path_of(name, path, sizeof path);
    snprintf(want, sizeof want, "%s%s", path, suffix);
    pb_data tr, te;
    int st = pb_movie_reviews_load(path, NULL, 0.2, 1, &tr, &te, NULL);
    ok(st != 0 && tr.X == NULL && te.X == NULL && !strcmp(pb_last_error(), want), "movie reviews, %s: '%s' (got: %s)",
       what, want, pb_last_error());
}

static void test_movie_reviews_errors(void)
{
    tsv_error("notab.tsv", "good one\t0.5\nno tab here\nlater\t1\n", ":2:12: no tab: expected '<text><TAB><score>'",
              "a line without a tab (column: its end)");
    tsv_error("word.tsv", "good\t0.5\nbad one\tzz\n", ":2:9: expected a number after the last tab, found 'zz'",
              "a score that is not a number (column: its first byte)");
    tsv_error("empty_score.tsv", "x\t1\ny\t2\nz\t\n", ":3:3: expected a number after the last tab, found ''",
              "an empty score");
    tsv_error("nan.tsv", "x\tnan\n", ":1:3: expected a number after the last tab, found 'nan'", "a NaN score");
    tsv_error("trail.tsv", "x\t1\ny\t0.5x\n", ":2:3: expected a number after the last tab, found '0.5x'",
              "a number followed by junk");
    tsv_error("blank.tsv", "\n\r\n", ": no examples (expected lines '<text><TAB><score>')", "a file of blank lines");
    tsv_error("one.tsv", "just one\t1\n", ": 1 example: a train/test split needs at least 2", "a single example");
    char path[512], want[1024];
    path_of("absent.tsv", path, sizeof path);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    pb_data tr, te;
    int st = pb_movie_reviews_load(path, NULL, 0.2, 1, &tr, &te, NULL);
    ok(st != 0 && tr.X == NULL && !strcmp(pb_last_error(), want), "movie reviews, missing file: '%s' (got: %s)", want,
       pb_last_error());
}

/* ---- by name ---- */

static void test_open_by_name(void)
{
    char root[512], mr[512], p[600];
    path_of("imdb", root, sizeof root);
    path_of("mr.tsv", mr, sizeof mr);
    pb_data tr, te, a, b;
    pb_scaling sc;
    unsetenv(PB_IMDB_ENV);
    unsetenv(PB_MOVIE_REVIEWS_ENV);

    int st = pb_dataset_open("imdb", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && tr.X == NULL && sc.x_mean == NULL && has(pb_last_error(), "export PB_IMDB_DIR=") &&
       has(pb_last_error(), "'datasets' is not an aclImdb directory"),
       "imdb with neither an aclImdb data_dir nor PB_IMDB_DIR: says how to set it (%s)", pb_last_error());
    st = pb_dataset_open("movie-reviews", NULL, 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && has(pb_last_error(), "PB_MOVIE_REVIEWS_FILE is not set"),
       "movie-reviews without a file or PB_MOVIE_REVIEWS_FILE: says how to set it (%s)", pb_last_error());
    snprintf(p, sizeof p, "%s/none", dir);
    setenv(PB_IMDB_ENV, p, 1);
    st = pb_dataset_open("imdb", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && has(pb_last_error(), "PB_IMDB_DIR=") && has(pb_last_error(), p),
       "imdb: a missing $PB_IMDB_DIR is named (%s)", pb_last_error());

    setenv(PB_IMDB_ENV, root, 1);
    st = pb_dataset_open("imdb", "datasets", 7, 0.2, 1, &tr, &te, &sc);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    pb_data ref_tr, ref_te;
    TAP_REQUIRE(pb_imdb_load(root, NULL, &ref_tr, &ref_te, NULL) == 0);
    /* the same rows in a seeded order: every row found once, with its label */
    int perm_ok = tr.n == ref_tr.n && te.n == ref_te.n && tr.d == 200 && tr.seq_len == 200 && tr.vocab == 11;
    for (int part = 0; perm_ok && part < 2; part++) {
        const pb_data *d = part ? &te : &tr, *r = part ? &ref_te : &ref_tr;
        int used[8] = {0};
        for (size_t i = 0; perm_ok && i < d->n; i++) {
            int found = 0;
            for (size_t j = 0; j < r->n && !found; j++)
                if (!used[j] && d->y[i] == r->y[j] && !memcmp(d->X + i * 200, r->X + j * 200, 200 * sizeof(double)))
                    used[j] = found = 1;
            perm_ok = found;
        }
    }
    ok(perm_ok, "imdb from $PB_IMDB_DIR: the loader's rows, permuted, with their labels; T 200, vocab 11");
    int moved = 0;
    for (size_t i = 0; i < tr.n; i++) moved += tr.y[i] != ref_tr.y[i];
    ok(sc.d == 200 && sc.x_mean[0] == 0 && sc.x_sd[199] == 1 && sc.y_mean[0] == 0 && sc.y_sd[0] == 1,
       "imdb: identity scaling (token ids are not standardized)");
    pb_scaling_free(&sc);
    st = pb_dataset_open("imdb", root, 7, 0.5, 0, &a, &b, &sc);
    ok(st == 0 && a.n == tr.n && !memcmp(a.X, tr.X, tr.n * tr.d * sizeof(double)) && !memcmp(a.y, tr.y, tr.n * sizeof(double)),
       "imdb: data_dir naming an aclImdb directory is used; the same seed gives the same order");
    ok(moved > 0, "imdb: rows in a seeded order, not the class-sorted file order (%d of %zu labels moved)", moved, tr.n);
    pb_data_free(&a), pb_data_free(&b), pb_scaling_free(&sc);
    pb_data_free(&tr), pb_data_free(&te), pb_data_free(&ref_tr), pb_data_free(&ref_te);

    setenv(PB_MOVIE_REVIEWS_ENV, mr, 1);
    st = pb_dataset_open("movie-reviews", "datasets", 3, 0.34, 1, &tr, &te, &sc);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    TAP_REQUIRE(pb_movie_reviews_load(mr, NULL, 0.34, 3, &a, &b, NULL) == 0);
    double m = 0, var = 0;
    for (size_t i = 0; i < a.n; i++) m += a.y[i];
    m /= (double)a.n;
    for (size_t i = 0; i < a.n; i++) var += (a.y[i] - m) * (a.y[i] - m);
    double sd = sqrt(var / (double)a.n);
    ok(!memcmp(tr.X, a.X, a.n * a.d * sizeof(double)) && !memcmp(te.X, b.X, b.n * b.d * sizeof(double)) &&
       tr.seq_len == 200 && tr.vocab == a.vocab, "movie-reviews from $PB_MOVIE_REVIEWS_FILE: token ids untouched");
    ok(fabs(sc.y_mean[0] - m) < 1e-12 && fabs(sc.y_sd[0] - sd) < 1e-12 && fabs(tr.y[0] - (a.y[0] - m) / sd) < 1e-12 &&
       fabs(te.y[1] - (b.y[1] - m) / sd) < 1e-12 && sc.x_sd[0] == 1 && sc.x_mean[5] == 0,
       "movie-reviews: scores standardized with the train statistics (kept in sc), X identity");
    pb_data_free(&a), pb_data_free(&b), pb_scaling_free(&sc), pb_data_free(&tr), pb_data_free(&te);
    st = pb_dataset_open("movie-reviews", mr, 3, 0.34, 0, &tr, &te, &sc);
    ok(st == 0 && sc.y_sd[0] == 1 && (tr.y[0] == 0.9 || tr.y[0] == 0.1 || tr.y[0] == 0.5 || tr.y[0] == 0.7 ||
                                     tr.y[0] == 0.95 || tr.y[0] == -2.5),
       "movie-reviews: data_dir naming the file is used; standardize_y 0 keeps the raw scores");
    pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);

    /* availability */
    ok(pb_dataset_available("imdb", "datasets") && pb_dataset_available("movie-reviews", NULL),
       "pb_dataset_available: imdb and movie-reviews through the variables");
    unsetenv(PB_IMDB_ENV);
    unsetenv(PB_MOVIE_REVIEWS_ENV);
    ok(!pb_dataset_available("imdb", "datasets") && has(pb_last_error(), "PB_IMDB_DIR") &&
       !pb_dataset_available("movie-reviews", "datasets"), "pb_dataset_available: not without them (%s)", pb_last_error());
    snprintf(p, sizeof p, "%s/notest", dir);
    ok(pb_dataset_available("imdb", root) && !pb_dataset_available("imdb", p) && has(pb_last_error(), "test/neg"),
       "pb_dataset_available: an aclImdb data_dir; one without test/neg is not (%s)", pb_last_error());
    ok(pb_dataset_available("wine", "datasets") && pb_dataset_available("synthetic", NULL) &&
       !pb_dataset_available("boston", dir) && !pb_dataset_available("nosuch", "datasets"),
       "pb_dataset_available: wine in datasets/, synthetic always; boston not in the temp dir; unknown names not");
    st = pb_dataset_open("nosuch", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && has(pb_last_error(), "imdb, movie-reviews") && has(pb_last_error(), "seq-fashion-mnist"),
       "unknown dataset: the message lists the text and sequence sets (%s)", pb_last_error());
}

/* ---- seq_len and vocab through pb_split and pb_standardize ---- */

static void test_fields(void)
{
    pb_data all, tr, te;
    pb_scaling sc;
    TAP_REQUIRE(pb_data_alloc(&all, "ids", 10, 3, 1, 0) == 0);
    ok(all.seq_len == 0 && all.vocab == 0, "pb_data_alloc: seq_len and vocab 0");
    all.seq_len = 3, all.vocab = 7;
    for (size_t i = 0; i < 30; i++) all.X[i] = (double)(i % 7);
    for (size_t i = 0; i < 10; i++) all.y[i] = (double)i;
    TAP_REQUIRE(pb_split(&all, 0.3, 9, &tr, &te) == 0);
    ok(tr.seq_len == 3 && tr.vocab == 7 && te.seq_len == 3 && te.vocab == 7, "pb_split copies seq_len and vocab");
    double before = tr.X[4];
    TAP_REQUIRE(pb_standardize(&tr, &te, 1, &sc) == 0);
    int ints = 1;
    for (size_t i = 0; i < tr.n * 3; i++) ints &= tr.X[i] == (double)(long)tr.X[i] && tr.X[i] >= 0 && tr.X[i] < 7;
    ok(ints && tr.X[4] == before && sc.x_mean[1] == 0 && sc.x_sd[2] == 1 && sc.y_sd[0] != 1,
       "pb_standardize: token ids untouched (identity for X), y still standardized");
    pb_data_free(&all), pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);
}

/* ---- sequence image sets ---- */

static void write_idx(const char *rel, int ndim, const uint32_t *dims, const unsigned char *data, size_t len)
{
    unsigned char b[256];
    size_t n = 0;
    b[n++] = 0, b[n++] = 0, b[n++] = 8, b[n++] = (unsigned char)ndim;
    for (int k = 0; k < ndim; k++)
        b[n++] = (unsigned char)(dims[k] >> 24), b[n++] = (unsigned char)(dims[k] >> 16),
        b[n++] = (unsigned char)(dims[k] >> 8), b[n++] = (unsigned char)dims[k];
    TAP_REQUIRE(n + len <= sizeof b);
    memcpy(b + n, data, len);
    write_bytes(rel, b, n + len);
}

static void test_seq_images(void)
{
    static const unsigned char pix[12] = {0, 51, 102, 255, 10, 20, 30, 40, 1, 2, 3, 4};
    write_idx("toy/train-images-idx3-ubyte", 3, (const uint32_t[]){3, 2, 2}, pix, 12);
    write_idx("toy/train-labels-idx1-ubyte", 1, (const uint32_t[]){3}, (const unsigned char[]){1, 0, 9}, 3);
    write_idx("toy/t10k-images-idx3-ubyte", 3, (const uint32_t[]){2, 2, 2}, pix, 8);
    write_idx("toy/t10k-labels-idx1-ubyte", 1, (const uint32_t[]){2}, (const unsigned char[]){4, 5}, 2);
    char toy[512];
    path_of("toy", toy, sizeof toy);
    setenv(PB_MNIST_ENV, toy, 1);
    pb_data tr, te, a, b;
    pb_scaling sc, sc2;
    int st = pb_dataset_open("seq-mnist", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    TAP_REQUIRE(pb_dataset_open("mnist", "datasets", 1, 0.2, 1, &a, &b, &sc2) == 0);
    ok(tr.seq_len == 2 && te.seq_len == 2 && tr.d == 4 && tr.vocab == 0 && a.seq_len == 0,
       "seq-mnist (toy 2x2 images): seq_len 2 of 2 pixels; mnist itself has seq_len 0");
    ok(!memcmp(tr.X, a.X, 12 * sizeof(double)) && !memcmp(te.y, b.y, 2 * sizeof(double)) && tr.X[1] == 51 / 255.0 &&
       !strcmp(tr.name, "seq-mnist/train"), "seq-mnist: the same pixels (byte/255) and labels as mnist");
    ok(pb_dataset_available("seq-mnist", NULL), "pb_dataset_available: seq-mnist through PB_MNIST_DIR");
    pb_data_free(&tr), pb_data_free(&te), pb_data_free(&a), pb_data_free(&b), pb_scaling_free(&sc), pb_scaling_free(&sc2);

    write_idx("toy/train-images-idx3-ubyte", 3, (const uint32_t[]){2, 2, 3}, pix, 12);
    write_idx("toy/train-labels-idx1-ubyte", 1, (const uint32_t[]){2}, (const unsigned char[]){1, 0}, 2);
    write_idx("toy/t10k-images-idx3-ubyte", 3, (const uint32_t[]){1, 2, 3}, pix, 6);
    write_idx("toy/t10k-labels-idx1-ubyte", 1, (const uint32_t[]){1}, (const unsigned char[]){4}, 1);
    st = pb_dataset_open("seq-mnist", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && tr.X == NULL && sc.x_mean == NULL && has(pb_last_error(), "6 pixels are not square"),
       "seq-mnist: 2x3 images rejected (%s)", pb_last_error());
    unsetenv(PB_MNIST_ENV);

    const int N = 5;
    struct stat s;
    if (stat(PB_FASHION_MNIST_DEFAULT_DIR, &s) != 0) {
        skip(N, "Fashion-MNIST not installed");
        return;
    }
    unsetenv(PB_FASHION_MNIST_ENV);
    st = pb_dataset_open("seq-fashion-mnist", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "seq-fashion-mnist: pb_dataset_open loads %s", PB_FASHION_MNIST_DEFAULT_DIR);
    if (st) { skip(N - 1, "load failed"); return; }
    TAP_REQUIRE(pb_dataset_open("fashion-mnist", "datasets", 1, 0.2, 1, &a, &b, &sc2) == 0);
    ok(tr.seq_len == 28 && te.seq_len == 28 && tr.d == 784 && tr.vocab == 0 && a.seq_len == 0,
       "seq-fashion-mnist: seq_len 28, d 784 (28 steps of 28 pixels)");
    ok(tr.n == 60000 && te.n == 10000 && tr.n_classes == 10 && !strcmp(te.name, "seq-fashion-mnist/test"),
       "seq-fashion-mnist: 60000 + 10000, 10 classes");
    ok(!memcmp(tr.X, a.X, 100 * 784 * sizeof(double)) && !memcmp(tr.y, a.y, 100 * sizeof(double)) &&
       !memcmp(te.X, b.X, 100 * 784 * sizeof(double)),
       "seq-fashion-mnist: the first 100 rows identical to fashion-mnist");
    /* step 14 of image 0 is image row 14: its pixel 12 is 237/255 */
    ok(tr.X[14 * 28 + 12] == 237 / 255.0 && sc.x_sd[0] == 1 && sc.x_mean[783] == 0,
       "seq-fashion-mnist: step 14, feature 12 of image 0 is pixel (14, 12) = 237/255; identity scaling");
    pb_data_free(&tr), pb_data_free(&te), pb_data_free(&a), pb_data_free(&b), pb_scaling_free(&sc), pb_scaling_free(&sc2);
}

int main(void)
{
    plan(102);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    test_tokenizer();
    test_vocab();
    test_encode();
    test_imdb();
    test_imdb_errors();
    test_movie_reviews();
    test_movie_reviews_errors();
    test_open_by_name();
    test_fields();
    test_seq_images();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
