/* pairs.c -- the sentence-pair layout (datasets/pairs.h) and the SemEval
 * pair loader, on files written here: A's ids then B's, each pre-padded
 * and keeping its last L tokens; the vocabulary from the training pairs
 * only; scores rounded to classes; one-line errors with line and column. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/pairs.h"
#include "datasets/registry.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-pairs-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    TAP_REQUIRE(fclose(f) == 0);
    return path;
}

/* The id of word in v (1 if not kept). */
static double id(const pb_vocab *v, const char *w) { return (double)pb_vocab_id(v, w, strlen(w)); }

static void check_layout(void)
{
    /* 12 pairs, two of each class; "zebra" only in one pair */
    const char *a[12], *b[12];
    int cls[12];
    for (int i = 0; i < 12; i++) {
        a[i] = i == 11 ? "zebra one two" : "the cat sat";
        b[i] = "a b c d e f the cat";
        cls[i] = i % 6;
    }
    pb_pair_texts p = {12, a, b, cls};
    pb_text_opts o = {100, 4, 1};
    pb_data tr, te;
    pb_vocab v;
    int st = pb_pairs_encode(&p, "toy", &o, 0.5, 1, &tr, &te, &v);
    ok(st == PB_OK && tr.n == 6 && te.n == 6 && tr.d == 8 && tr.seq_len == 8 && tr.vocab == v.size && tr.vocab > 2 &&
           tr.n_classes == 6 && tr.ydim == 1 && !strcmp(tr.name, "toy/train") && !strcmp(te.name, "toy/test"),
       "pairs: d = seq_len = 2L, 6 classes, vocab > 0, one of each class per part (%s)", st ? pb_last_error() : "ok");
    if (st) {
        skip(3, "no pairs");
        return;
    }
    int cls_ok = 1, a_ok = 1, b_ok = 1;
    size_t seen[6] = {0};
    for (size_t i = 0; i < tr.n; i++) seen[(int)tr.y[i]]++;
    for (int k = 0; k < 6; k++) cls_ok &= seen[k] == 1;
    /* B "a b c d e f the cat" keeps its last 4: e f the cat; A "the cat sat" is padded to 0 the cat sat */
    for (size_t i = 0; i < tr.n; i++) {
        const double *r = tr.X + i * 8;
        int zebra_row = r[1] == id(&v, "zebra") && r[1] > 1;
        if (!zebra_row)
            a_ok &= r[0] == 0 && r[1] == id(&v, "the") && r[2] == id(&v, "cat") && r[3] == id(&v, "sat");
        b_ok &= r[4] == id(&v, "e") && r[5] == id(&v, "f") && r[6] == id(&v, "the") && r[7] == id(&v, "cat");
    }
    ok(cls_ok && a_ok && b_ok && id(&v, "e") > 1,
       "row: A's ids pre-padded with 0 in X[0..L), B's last L tokens in X[L..2L)");
    /* zebra is in one pair, which split seed 1 puts in test: there it is out of vocabulary */
    int zebra_test = 0;
    for (size_t i = 0; i < te.n; i++)
        zebra_test |= te.y[i] == 5 && te.X[i * 8] == 0 && te.X[i * 8 + 1] == 1 && te.X[i * 8 + 2] == 1 && te.X[i * 8 + 3] == 1;
    ok(zebra_test && id(&v, "zebra") == 1 && id(&v, "one") == 1,
       "the vocabulary counts the training pairs only (the test-only words 'zebra one two' are id 1)");
    pb_data_free(&tr), pb_data_free(&te), pb_vocab_free(&v);
    cls[3] = 6;
    st = pb_pairs_encode(&p, "toy", &o, 0.5, 1, &tr, &te, NULL);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "class 6") && !tr.X, "a class outside 0..5 is refused");
}

static void check_semeval(void)
{
    const char *path = write_file("sts.tsv",
                                  "A man plays a guitar.\tA man is playing the guitar.\t4.8\n"
                                  "\n"
                                  "Kids run.\tThe stock fell.\t0.2\r\n"
                                  "A dog barks.\tA dog is barking loudly.\t 2.5 \n"
                                  "One.\tTwo.\t5\n"
                                  "Three.\tFour.\t0\n"
                                  "Five.\tSix.\t1.49\n");
    pb_data tr, te;
    pb_vocab v;
    int st = pb_semeval_load(path, NULL, 0.5, 2, &tr, &te, &v);
    double ys[6];
    size_t k = 0;
    for (size_t i = 0; !st && i < tr.n; i++) ys[k++] = tr.y[i];
    for (size_t i = 0; !st && i < te.n; i++) ys[k++] = te.y[i];
    int c[6] = {0};
    for (size_t i = 0; i < k; i++) c[(int)ys[i]]++;
    ok(st == PB_OK && tr.n + te.n == 6 && tr.d == 2 * PB_SEMEVAL_LEN && tr.seq_len == tr.d && tr.n_classes == 6 &&
           c[5] == 2 && c[0] == 2 && c[3] == 1 && c[1] == 1 && !strcmp(tr.name, "semeval-pairs/train"),
       "SemEval file: 6 pairs (blank line, CRLF skipped), scores 4.8 0.2 2.5 5 0 1.49 -> classes 5 0 3 5 0 1 (%s)",
       st ? pb_last_error() : "ok");
    if (!st) pb_data_free(&tr), pb_data_free(&te), pb_vocab_free(&v);
    pb_data tr2, te2;
    TAP_REQUIRE(pb_semeval_load(path, NULL, 0.5, 2, &tr, &te, NULL) == PB_OK);
    TAP_REQUIRE(pb_semeval_load(path, NULL, 0.5, 2, &tr2, &te2, NULL) == PB_OK);
    ok(tr.n == tr2.n && !memcmp(tr.X, tr2.X, tr.n * tr.d * sizeof *tr.X), "the same seed, the same rows");
    pb_data_free(&tr), pb_data_free(&te), pb_data_free(&tr2), pb_data_free(&te2);

    static const struct { const char *text, *want; } bad[] = {
        {"a\tb\t1\nno tabs here\n", "bad.tsv:2:13: expected 'sentence1<TAB>sentence2<TAB>score' (no tab)"},
        {"a\tb 1\n", "bad.tsv:1:6: expected 'sentence1<TAB>sentence2<TAB>score' (one tab)"},
        {"a\tb\t1\t2\n", "bad.tsv:1:6: a third tab"},
        {"a\tb\t1\nc\td\tfour\n", "bad.tsv:2:5: expected a score in [0, 5] after the second tab, found 'four'"},
        {"a\tb\t5.5\n", "bad.tsv:1:5: expected a score in [0, 5]"},
        {"a\tb\t-1\n", "bad.tsv:1:5: expected a score in [0, 5]"},
        {"a\tb\t1\n", "bad.tsv: 1 pairs: a train/test split needs at least 2"},
    };
    int all = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = pb_semeval_load(write_file("bad.tsv", bad[i].text), NULL, 0.5, 1, &tr, &te, NULL);
        const char *msg = pb_last_error();
        if (st == PB_OK || !strstr(msg, bad[i].want) || strchr(msg, '\n') || tr.X || te.X) {
            all = 0;
            diag("case %zu: '%s' (want '%s')", i, msg, bad[i].want);
        }
        if (!st) pb_data_free(&tr), pb_data_free(&te);
    }
    ok(all, "malformed lines: one error naming file, line and column (no tab, one tab, three tabs, not a number, "
       "outside [0, 5], too few pairs)");

    /* by name: the data dir naming the file, or $PB_SEMEVAL_FILE */
    write_file("sts.tsv", "a b\tc d\t1\ne f\tg h\t4\nx\ty\t2\nz\tw\t3\n");
    char p2[700];
    snprintf(p2, sizeof p2, "%s/sts.tsv", dir);
    st = pb_semeval_load(p2, NULL, 0.5, 1, &tr, &te, NULL);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "empty part") && !tr.X,
       "one pair per class split in halves: every pair goes to test, an error (not an abort)");
    write_file("sts.tsv", "a b\tc d\t1\ne f\tg h\t4\nx\ty\t2\nz\tw\t3\nb\tc\t1\nf\tg\t4\ny\tx\t2\nw\tz\t3\n");
    unsetenv(PB_SEMEVAL_ENV);
    pb_scaling sc;
    st = pb_dataset_open("semeval-pairs", p2, 1, 0.5, 0, &tr, &te, &sc);
    ok(st == PB_OK && tr.n + te.n == 8 && tr.vocab > 2, "semeval-pairs opens the file named as the data path");
    if (!st) pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);
    setenv(PB_SEMEVAL_ENV, p2, 1);
    pb_vocab v2;
    st = pb_dataset_vocab("semeval-pairs", "datasets", 1, 0.5, &v2);
    ok(st == PB_OK && v2.size > 2 && pb_dataset_available("semeval-pairs", "datasets"),
       "or the file in $%s; pb_dataset_vocab gives its vocabulary", PB_SEMEVAL_ENV);
    if (!st) pb_vocab_free(&v2);
    unsetenv(PB_SEMEVAL_ENV);
    ok(!pb_dataset_available("semeval-pairs", "datasets") && strstr(pb_last_error(), PB_SEMEVAL_ENV) &&
           pb_dataset_vocab("wine", "datasets", 1, 0.2, &v2) == PB_ERR_ARG,
       "unset: unavailable, naming the variable; a set without tokens has no vocabulary");
}

int main(void)
{
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    plan(4 + 7);
    check_layout();
    check_semeval();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
