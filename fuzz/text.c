/* text.c -- fuzz the line-oriented text readers: Movie Reviews
 * (datasets/text.h, '<text><TAB><score>') and SemEval pairs
 * (datasets/pairs.h), each read, split, and encoded with a small vocabulary. */
#include "fuzz.h"
#include "datasets/pairs.h"
#include "datasets/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".tsv");
    pb_text_opts o = {50, 8, 0};
    pb_data tr, te;
    pb_vocab v;
    if (!pb_movie_reviews_load(path, &o, 0.5, 7, &tr, &te, &v)) {
        pb_data_free(&tr);
        pb_data_free(&te);
        pb_vocab_free(&v);
    }
    o.keep_last = 1;
    if (!pb_semeval_load(path, &o, 0.5, 7, &tr, &te, &v)) {
        pb_data_free(&tr);
        pb_data_free(&te);
        pb_vocab_free(&v);
    }
    return 0;
}
