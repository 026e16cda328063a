/* wordvec.c -- the GloVe text reader (datasets/wordvec.h) on files written
 * here: rows by token id, padding, out-of-vocabulary and missing words
 * zero, first of duplicates kept, every line checked, one-line errors
 * naming file, line and column. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/wordvec.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-wordvec-XXXXXX";

static const char *write_file(const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/vec.txt", dir);
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    TAP_REQUIRE(fclose(f) == 0);
    return path;
}

int main(void)
{
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    plan(4);
    /* vocabulary: the (3), cat (2), then mat, on, sat (1 each, byte order) -> ids 2 the, 3 cat, 4 mat, 5 on, 6 sat */
    const char *texts[] = {"the cat sat on the mat; the cat"};
    pb_vocab v;
    TAP_REQUIRE(pb_vocab_build(texts, NULL, 1, 5, &v) == PB_OK && v.size == 7);
    TAP_REQUIRE(!strcmp(v.word[0], "the") && !strcmp(v.word[1], "cat") && !strcmp(v.word[2], "mat") && !strcmp(v.word[4], "sat"));
    const char *good = "the 1 2 3\n"
                       "dog 9 9 9\n"
                       "\n"
                       "cat  4.5 -5e-1   6\r\n"
                       "the 7 7 7\n"
                       "sat 0.25 0.5 1\n";
    pb_wordvec w;
    int st = pb_wordvec_read(write_file(good), &v, &w);
    static const double want[7][3] = {{0, 0, 0}, {0, 0, 0}, {1, 2, 3}, {4.5, -0.5, 6}, {0, 0, 0}, {0, 0, 0}, {0.25, 0.5, 1}};
    int same = st == PB_OK && w.rows == 7 && w.dim == 3 && w.found == 3;
    for (int i = 0; same && i < 7; i++)
        for (int j = 0; j < 3; j++) same &= w.E[i * 3 + j] == want[i][j];
    ok(same, "rows by id: padding, out-of-vocabulary and 'mat' and 'on' (not in the file) zero; 'the' from its first line; "
       "'dog' (not kept) skipped; spaces, CRLF and blank lines accepted (%s)", st ? pb_last_error() : "ok");
    if (!st) pb_wordvec_free(&w);

    static const struct { const char *text, *want; } bad[] = {
        {"the 1 2 3\ncat 4 5\n", "vec.txt:2:8: 2 numbers after the word, expected 3"},
        {"the 1 2 3\ndog 1 2 3 4\n", "vec.txt:2:12: 4 numbers after the word, expected 3"},
        {"the 1 2 3\ncat 4 x5 6\n", "vec.txt:2:7: not a number: 'x5'"},
        {"the 1 2 3\ncat 4 5,0 6\n", "vec.txt:2:7: not a number: '5,0'"},
        {"the 1 nan 3\n", "vec.txt:1:7: not a number: 'nan'"},
        {"the\n", "vec.txt:1:4: a word without numbers"},
        {"\n\n", "vec.txt: no vectors"},
    };
    int all = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = pb_wordvec_read(write_file(bad[i].text), &v, &w);
        const char *msg = pb_last_error();
        if (st == PB_OK || !strstr(msg, bad[i].want) || strchr(msg, '\n') || w.E) {
            all = 0;
            diag("case %zu: '%s' (want '%s')", i, msg, bad[i].want);
        }
        if (!st) pb_wordvec_free(&w);
    }
    ok(all, "malformed files: one line naming file, line and column (ragged dimensions, non-numbers, no numbers, "
       "no vectors)");
    /* a word outside the vocabulary is checked too */
    st = pb_wordvec_read(write_file("the 1 2 3\nzzz 1 2\n"), &v, &w);
    ok(st == PB_ERR_FORMAT && strstr(pb_last_error(), ":2:"), "lines of words outside the vocabulary are checked too");
    char missing[700];
    snprintf(missing, sizeof missing, "%s/none.txt", dir);
    ok(pb_wordvec_read(missing, &v, &w) == PB_ERR_IO && strstr(pb_last_error(), missing) && !w.E, "a missing file is named");
    pb_vocab_free(&v);
    unlink(write_file(""));
    rmdir(dir);
    return done_testing();
}
