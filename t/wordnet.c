/* wordnet.c -- the WordNet reader and sets (datasets/wordnet.h): a tiny
 * taxonomy written here with known depths and Wu-Palmer values (several
 * parents included), malformed files, the seeded balanced pair sample on a
 * generated binary tree (same seed, same pairs), and, when Debian's
 * wordnet-base is installed, the real data.noun: 82115 noun synsets,
 * dog ~ cat = 24/28 as NLTK gives, the two sets' sizes, contract and
 * class balance, and their opening time. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/pairs.h"
#include "datasets/registry.h"
#include "datasets/wordnet.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-wordnet-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[4][600];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 600, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    TAP_REQUIRE(fclose(f) == 0);
    return p;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* E(1) -> A(2) -> B(3) -> C(4); E -> X(2) -> Y(3); M: "@" C and "@i" X, depth 5.
 * Pointers of other kinds (~ hyponym, ! antonym, a verb "@") are not parents. */
static const char *tiny =
    "  1 a license line\n"
    "  2 another\n"
    "00000100 03 n 01 entity 0 002 ~ 00000200 n 0000 ~ 00000500 n 0000 | that which exists; \"an example\"  \n"
    "00000200 04 n 01 a_thing 0 001 @ 00000100 n 0000 | the a | thing  \n"
    "00000300 05 n 02 b 0 bee 1 002 @ 00000200 n 0000 ! 00000600 n 0000 | B's gloss  \n"
    "00000400 05 n 01 c 0 002 @ 00000300 n 0000 @ 00000100 v 0000 | see C; \"c\"; \"cc\"  \n"
    "00000500 06 n 01 x 0 001 @ 00000100 n 0000 | x  \n"
    "00000600 06 n 01 y 0 001 @ 00000500 n 0000 | y  \n"
    "00000700 28 n 01 m 0 002 @ 00000400 n 0000 @i 00000500 n 0000 | m  \n";

enum { E_, A_, B_, C_, X_, Y_, M_ };

static void check_tiny(void)
{
    pb_wordnet wn;
    int st = pb_wordnet_read(write_file("tiny.noun", tiny), &wn);
    ok(st == PB_OK && wn.n == 7, "tiny taxonomy: 7 synsets, the license lines skipped (%s)", st ? pb_last_error() : "");
    if (st) {
        skip(7, "tiny taxonomy unreadable");
        return;
    }
    static const int depth[7] = {1, 2, 3, 4, 2, 3, 5};
    int dok = 1;
    for (int i = 0; i < 7; i++) dok &= wn.depth[i] == depth[i];
    ok(dok, "depths 1 2 3 4 2 3 5 (entity 1; M the longest of its two parent paths + 1)");
    ok(pb_wordnet_find(&wn, 400) == C_ && pb_wordnet_find(&wn, 401) == (size_t)-1 && wn.lex[M_] == 28,
       "find by offset; lex_filenum read");
    ok(!strcmp(wn.def[E_], "that which exists") && !strcmp(wn.def[A_], "the a | thing") &&
           !strcmp(wn.def[B_], "B's gloss") && !strcmp(wn.def[C_], "see C"),
       "definitions: the gloss up to its first '\"', without '; ' and trailing spaces");
    ok(wn.par_start[B_ + 1] - wn.par_start[B_] == 1 && wn.par_start[C_ + 1] - wn.par_start[C_] == 1 &&
           wn.par_start[M_ + 1] - wn.par_start[M_] == 2 && wn.kid_start[E_ + 1] - wn.kid_start[E_] == 2 &&
           wn.kid_start[X_ + 1] - wn.kid_start[X_] == 2,
       "parents: '@' and '@i' noun pointers only; children the inverse");
    struct { int a, b; double want; const char *why; } w[] = {
        {C_, Y_, 2.0 / 7, "C~Y: lcs entity, 2*1/(4+3)"},
        {B_, C_, 6.0 / 7, "B~C: lcs B, 2*3/(3+4)"},
        {Y_, C_, 2.0 / 7, "symmetric"},
        {M_, Y_, 2.0 / 3, "M~Y: via X, 2*2/(2*2+1+1)"},
        {M_, C_, 8.0 / 9, "M~C: via C, 2*4/(2*4+1+0)"},
        {M_, A_, 4.0 / 7, "M~A: via A, 2*2/(2*2+3+0)"},
        {M_, M_, 1.0, "itself"},
    };
    int wok = 1;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        double got = pb_wordnet_wup(&wn, (size_t)w[i].a, (size_t)w[i].b);
        if (fabs(got - w[i].want) > 1e-12) {
            wok = 0;
            diag("%s: got %.6f want %.6f", w[i].why, got, w[i].want);
        }
    }
    ok(wok, "Wu-Palmer on the tiny taxonomy: 2/7, 6/7, 2/3 (several parents), 8/9, 4/7, 1");
    ok(pb_wordnet_wup_class(0) == 0 && pb_wordnet_wup_class(1.0 / 6 - 1e-12) == 0 && pb_wordnet_wup_class(1.0 / 6) == 1 &&
           pb_wordnet_wup_class(5.0 / 6) == 5 && pb_wordnet_wup_class(1) == 5 && pb_wordnet_wup_class(0.5) == 3,
       "classes: floor(6 wup), 1 -> 5");
    pb_wordnet_pair *pr = NULL;
    st = pb_wordnet_pairs_sample(&wn, 12, 1, &pr);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "class") && !pr,
       "a taxonomy too small for the classes: an error naming the class (%s)", pb_last_error());
    pb_wordnet_free(&wn);
}

static void check_errors(void)
{
    static const struct { const char *text, *want; } bad[] = {
        {"00000100 03 n 01 e 0 001 @ 00000999 n 0000 | e\n", "tiny.noun:1: hypernym pointer to 00000999"},
        {"  lic\n00000100 03 n 01 e 0 001 @ 00000200 n 0000 | e\n00000200 03 n 01 f 0 001 @ 00000100 n 0000 | f\n",
         "cycle"},
        {"  lic\n00000100 03 n 01 e 0 000 e\n", "tiny.noun:2: no '|'"},
        {"00000100 03 n 0x e 0 000 | e\n", "tiny.noun:1: bad w_cnt"},
        {"00000100 03 n 02 e 0 000 | e\n", "tiny.noun:1: bad p_cnt"},
        {"00000100 03 v 01 e 0 000 | e\n", "not a noun synset"},
        {"00000200 03 n 01 e 0 000 | e\n00000100 03 n 01 f 0 000 | f\n", "tiny.noun:2: synset offsets must increase"},
        {"  only a license\n", "no synset lines"},
    };
    int all = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pb_wordnet wn;
        int st = pb_wordnet_read(write_file("tiny.noun", bad[i].text), &wn);
        const char *msg = pb_last_error();
        if (st == PB_OK || !strstr(msg, bad[i].want) || strchr(msg, '\n') || wn.offset) {
            all = 0;
            diag("case %zu: '%s' (want '%s')", i, msg, bad[i].want);
        }
        if (!st) pb_wordnet_free(&wn);
    }
    ok(all, "malformed files: one line naming file, line and what (dangling pointer, cycle, no '|', bad counts, "
       "a verb, offsets out of order, empty)");
    pb_wordnet wn;
    char missing[700];
    snprintf(missing, sizeof missing, "%s/none/data.noun", dir);
    ok(pb_wordnet_read(missing, &wn) == PB_ERR_IO && strstr(pb_last_error(), missing), "a missing file is named");
}

/* A complete binary tree of depth 12 (8191 synsets), every node's gloss "node <index>". */
static const char *binary_tree(void)
{
    char *path = (char *)write_file("tree.noun", "");
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fputs("  a generated tree\n", f);
    for (unsigned i = 0; i < 8191; i++) {
        if (i == 0) fprintf(f, "%08u 03 n 01 root 0 000 | node %u\n", 100u, i);
        else fprintf(f, "%08u 04 n 01 n%u 0 001 @ %08u n 0000 | node %u\n", 100u * (i + 1), i, 100u * ((i - 1) / 2 + 1), i);
    }
    TAP_REQUIRE(fclose(f) == 0);
    return path;
}

static int same_pairs(const pb_wordnet_pair *a, const pb_wordnet_pair *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].a != b[i].a || a[i].b != b[i].b || a[i].cls != b[i].cls) return 0;
    return 1;
}

static void check_sample(void)
{
    pb_wordnet wn;
    TAP_REQUIRE(pb_wordnet_read(binary_tree(), &wn) == PB_OK);
    ok(wn.n == 8191 && wn.depth[8190] == 13 && fabs(pb_wordnet_wup(&wn, 8189, 8190) - 24.0 / 26) < 1e-12 &&
           fabs(pb_wordnet_wup(&wn, 1, 2) - 2.0 / 4) < 1e-12,
       "binary tree: leaves at depth 13, sibling leaves 24/26, siblings under the root 2/4");
    size_t n = 601;
    pb_wordnet_pair *p1 = NULL, *p2 = NULL, *p3 = NULL;
    int st = pb_wordnet_pairs_sample(&wn, n, 7, &p1);
    ok(st == PB_OK, "601 pairs sampled (%s)", st ? pb_last_error() : "ok");
    if (st) {
        skip(3, "no sample");
        pb_wordnet_free(&wn);
        return;
    }
    size_t cls[6] = {0};
    int valid = 1, uniq = 1;
    for (size_t i = 0; i < n; i++) {
        cls[p1[i].cls]++;
        double w = pb_wordnet_wup(&wn, p1[i].a, p1[i].b);
        valid &= p1[i].a != p1[i].b && p1[i].wup == w && p1[i].cls == pb_wordnet_wup_class(w);
        for (size_t j = 0; j < i; j++)
            uniq &= !((p1[i].a == p1[j].a && p1[i].b == p1[j].b) || (p1[i].a == p1[j].b && p1[i].b == p1[j].a));
    }
    ok(valid && uniq && cls[0] == 101 && cls[1] == 100 && cls[5] == 100,
       "pairs: distinct synsets, no pair twice, class = floor(6 wup), balanced 101 100 100 100 100 100 "
       "(%zu %zu %zu %zu %zu %zu)", cls[0], cls[1], cls[2], cls[3], cls[4], cls[5]);
    TAP_REQUIRE(pb_wordnet_pairs_sample(&wn, n, 7, &p2) == PB_OK && pb_wordnet_pairs_sample(&wn, n, 8, &p3) == PB_OK);
    ok(same_pairs(p1, p2, n) && !same_pairs(p1, p3, n), "same seed, same pairs in the same order; another seed, others");
    /* the encoded set: the same seeds give the same X and y */
    pb_data tr1, te1, tr2, te2;
    pb_text_opts o = {50, 4, 1};
    TAP_REQUIRE(pb_wordnet_pairs_make(&wn, n, 7, &o, 0.15, 3, &tr1, &te1, NULL) == PB_OK);
    TAP_REQUIRE(pb_wordnet_pairs_make(&wn, n, 7, &o, 0.15, 3, &tr2, &te2, NULL) == PB_OK);
    ok(tr1.n + te1.n == n && tr1.d == 8 && tr1.seq_len == 8 && tr1.n_classes == 6 && tr1.vocab > 2 &&
           !memcmp(tr1.X, tr2.X, tr1.n * tr1.d * sizeof *tr1.X) && !memcmp(te1.y, te2.y, te1.n * sizeof *te1.y),
       "pairs_make: n rows, d = seq_len = 2L, 6 classes, vocab > 0; the same seeds give the same rows");
    pb_data_free(&tr1), pb_data_free(&te1), pb_data_free(&tr2), pb_data_free(&te2);
    free(p1), free(p2), free(p3);
    pb_wordnet_free(&wn);
}

/* The installed WordNet 3.0. */
static void check_real(void)
{
    enum { N_REAL = 9 };
    const char *path = PB_WORDNET_DEFAULT_DIR "/data.noun";
    if (access(path, R_OK) != 0) {
        skip(N_REAL, "wordnet-base not installed (" PB_WORDNET_DEFAULT_DIR "/data.noun)");
        return;
    }
    double t0 = now();
    pb_wordnet wn;
    int st = pb_wordnet_read(path, &wn);
    double t_read = now() - t0;
    ok(st == PB_OK && wn.n == 82115, "WordNet 3.0: 82115 noun synsets (%zu, read in %.3f s)", wn.n, t_read);
    if (st) {
        skip(N_REAL - 1, "data.noun unreadable");
        return;
    }
    size_t entity = pb_wordnet_find(&wn, 1740), dog = pb_wordnet_find(&wn, 2084071), cat = pb_wordnet_find(&wn, 2121620),
           canine = pb_wordnet_find(&wn, 2083346);
    size_t roots = 0, lexok = 1;
    for (size_t i = 0; i < wn.n; i++) {
        roots += wn.par_start[i + 1] == wn.par_start[i];
        lexok &= wn.lex[i] >= 3 && wn.lex[i] <= 28;
    }
    ok(entity == 0 && wn.depth[entity] == 1 && roots == 1 && lexok,
       "entity.n.01 the one root, depth 1; lex_filenum 3..28");
    ok(dog != (size_t)-1 && cat != (size_t)-1 && wn.depth[dog] == 14 && wn.depth[cat] == 14 &&
           fabs(pb_wordnet_wup(&wn, dog, cat) - 24.0 / 28) < 1e-12,
       "dog.n.01 ~ cat.n.01 = 2*12/(14+14) = 0.857 (NLTK's value)");
    ok(fabs(pb_wordnet_wup(&wn, dog, canine) - 26.0 / 27) < 1e-12 &&
           fabs(pb_wordnet_wup(&wn, dog, entity) - 2.0 / 10) < 1e-12,
       "dog ~ canine.n.02 = 2*13/(2*13+1) = 26/27; dog ~ entity = 2*1/(2*1+8) = 0.2, the shortest way up "
       "(via domestic_animal) 8 steps though depth(dog) = 14");
    ok(!strncmp(wn.def[dog], "a member of the genus Canis", 27) && !strchr(wn.def[dog], '"'),
       "dog's definition without its example");
    pb_wordnet_free(&wn);

    /* the registry rows, as a cell opens them */
    unsetenv(PB_WORDNET_ENV);
    pb_data tr, te;
    pb_scaling sc;
    t0 = now();
    st = pb_dataset_open("wordnet-pairs", "datasets", 5, 0.15, 0, &tr, &te, &sc);
    double t_pairs = now() - t0;
    size_t cls[6] = {0};
    int ids = 1;
    for (size_t i = 0; !st && i < tr.n; i++) cls[(int)tr.y[i]]++;
    for (size_t i = 0; !st && i < te.n; i++) cls[(int)te.y[i]]++;
    for (size_t i = 0; !st && i < tr.n * tr.d; i++) ids &= tr.X[i] >= 0 && tr.X[i] < (double)tr.vocab;
    ok(st == PB_OK && tr.n + te.n == 8331 && te.n == 1248 && tr.d == 60 && tr.seq_len == 60 && tr.vocab == 5002 &&
           tr.n_classes == 6 && tr.ydim == 1 && ids && cls[0] == 1389 && cls[2] == 1389 && cls[3] == 1388 &&
           cls[5] == 1388 && t_pairs < 2.0,
       "wordnet-pairs: 8331 pairs (%zu + %zu: 208 of each class in test), 2L = 60 ids, vocab 5002, classes 1389 x3, 1388 x3; opened in %.3f s",
       tr.n, te.n, t_pairs);
    pb_data tr2, te2;
    pb_scaling sc2;
    TAP_REQUIRE(pb_dataset_open("wordnet-pairs", "datasets", 6, 0.15, 0, &tr2, &te2, &sc2) == PB_OK);
    double sum1 = 0, sum2 = 0;
    for (size_t i = 0; i < tr.n; i++) sum1 += tr.y[i] * (double)(i % 7);
    for (size_t i = 0; i < tr2.n; i++) sum2 += tr2.y[i] * (double)(i % 7);
    ok(tr2.n == tr.n && sum1 != sum2, "another split seed: the same pairs split otherwise");
    pb_data_free(&tr2), pb_data_free(&te2), pb_scaling_free(&sc2);
    pb_vocab v;
    st = pb_dataset_vocab("wordnet-pairs", "datasets", 5, 0.15, &v);
    ok(st == PB_OK && v.size == tr.vocab && v.n_words == 5000 && !strcmp(v.word[0], "a"),
       "pb_dataset_vocab: the training vocabulary, word by id (id 2: '%s')", st ? "?" : v.word[0]);
    pb_vocab_free(&v);
    pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);

    t0 = now();
    st = pb_dataset_open("wordnet-glosses", "datasets", 5, 0.2, 0, &tr, &te, &sc);
    double t_gl = now() - t0;
    size_t lex[26] = {0};
    for (size_t i = 0; !st && i < tr.n; i++) lex[(int)tr.y[i]]++;
    for (size_t i = 0; !st && i < te.n; i++) lex[(int)te.y[i]]++;
    ok(st == PB_OK && tr.n + te.n == 82115 && tr.d == 30 && tr.seq_len == 30 && tr.vocab == 20002 &&
           tr.n_classes == 26 && lex[0] == 51 && lex[3] == 11587 && lex[25] == 1028,
       "wordnet-glosses: 82115 definitions (%zu + %zu), T = 30, vocab 20002, 26 classes (noun.Tops 51, "
       "noun.artifact 11587, noun.time 1028); opened in %.3f s", tr.n, te.n, t_gl);
    pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);
}

int main(void)
{
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    plan(8 + 2 + 5 + 9 + 1);
    check_tiny();
    check_errors();
    check_sample();
    check_real();
    /* data_dir holding data.noun wins over the variable */
    write_file("data.noun", tiny);
    setenv(PB_WORDNET_ENV, "/nonexistent", 1);
    char path[700];
    pb_wordnet_path(dir, path, sizeof path);
    ok(strstr(path, dir) && pb_wordnet_available("wordnet-pairs", dir) && !pb_wordnet_available("wordnet-pairs", "/x") &&
           strstr(pb_last_error(), PB_WORDNET_ENV),
       "a data dir holding data.noun is used; else $%s, named when wrong", PB_WORDNET_ENV);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
