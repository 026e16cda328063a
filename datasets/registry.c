/* registry.c -- see registry.h. The table is at the end; above it, the
 * adapters from a row to its loader. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/registry.h"
#include "datasets/csv.h"
#include "datasets/idx.h"
#include "datasets/pairs.h"
#include "datasets/synthetic.h"
#include "datasets/text.h"
#include "datasets/wordnet.h"
#include "datasets/vector_pairs.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- adapters ---- */

/* The CSV sets: the file ds->source in data_dir. */
static void csv_path(const pb_dataset *ds, const char *data_dir, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", data_dir ? data_dir : ".", ds->source);
}

static int csv_set(const pb_dataset *ds, const char *data_dir, int classification, pb_data *all)
{
    char path[4300];
    csv_path(ds, data_dir, path, sizeof path);
    return pb_csv_load(path, classification, ds->name, all);
}

static int classes_csv(const pb_dataset *ds, const char *data_dir, uint64_t seed, pb_data *all)
{
    (void)seed;
    return csv_set(ds, data_dir, 1, all);
}

static int regression_csv(const pb_dataset *ds, const char *data_dir, uint64_t seed, pb_data *all)
{
    (void)seed;
    return csv_set(ds, data_dir, 0, all);
}

static int csv_available(const pb_dataset *ds, const char *data_dir)
{
    char path[4300];
    csv_path(ds, data_dir, path, sizeof path);
    struct stat s;
    if (stat(path, &s) == 0 && S_ISREG(s.st_mode) && access(path, R_OK) == 0) return 1;
    pb_error(PB_ERR_IO, "%s: %s: no readable file", ds->name, path);
    return 0;
}

static int synthetic(const pb_dataset *ds, const char *data_dir, uint64_t seed, pb_data *all)
{
    (void)ds, (void)data_dir;
    return pb_synthetic_make(PB_SYNTHETIC_N, PB_SYNTHETIC_D, seed, all);
}

static int mnist_open(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction, pb_data *train,
                      pb_data *test)
{
    (void)data_dir, (void)seed, (void)test_fraction;
    return pb_mnist_open(ds->name, train, test);
}

static int mnist_available(const pb_dataset *ds, const char *data_dir)
{
    (void)data_dir;
    return pb_mnist_available(ds->name);
}

static int text_open(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction, pb_data *train,
                     pb_data *test)
{
    return pb_text_dataset_open(ds->name, data_dir, seed, test_fraction, NULL, train, test);
}

static int text_available(const pb_dataset *ds, const char *data_dir) { return pb_text_available(ds->name, data_dir); }

/* The text sets with their vocabulary: the loaders of pb_text_dataset_open (an unshuffled imdb: the same vocabulary). */
static int text_open_vocab(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction,
                           pb_data *train, pb_data *test, pb_vocab *vocab)
{
    const char *src = pb_text_source(ds->name, data_dir);
    if (!src) return PB_ERR_ARG;
    if (!strcmp(ds->name, "imdb")) return pb_imdb_load(src, NULL, train, test, vocab);
    return pb_movie_reviews_load(src, NULL, test_fraction, seed, train, test, vocab);
}

static int wordnet_open_vocab(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction,
                              pb_data *train, pb_data *test, pb_vocab *vocab)
{
    return pb_wordnet_dataset_open(ds->name, data_dir, seed, test_fraction, train, test, vocab);
}

static int wordnet_open(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction,
                        pb_data *train, pb_data *test)
{
    return pb_wordnet_dataset_open(ds->name, data_dir, seed, test_fraction, train, test, NULL);
}

static int wordnet_available(const pb_dataset *ds, const char *data_dir)
{
    return pb_wordnet_available(ds->name, data_dir);
}

static int semeval_open_vocab(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction,
                              pb_data *train, pb_data *test, pb_vocab *vocab)
{
    (void)ds;
    return pb_semeval_dataset_open(data_dir, seed, test_fraction, train, test, vocab);
}

static int semeval_open(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction,
                        pb_data *train, pb_data *test)
{
    return semeval_open_vocab(ds, data_dir, seed, test_fraction, train, test, NULL);
}

static int semeval_available(const pb_dataset *ds, const char *data_dir)
{
    (void)ds;
    return pb_semeval_available(data_dir);
}

/* The word-vector pair sets "<token set>-<source>" (vector_pairs.h): the
 * token set opened with its vocabulary, its ids replaced by the source's
 * vectors (source lsa: fitted on the training part). */
static int vectors_split_name(const char *name, char *base, size_t nbase, const char **source)
{
    const char *dash = strrchr(name, '-');
    if (!dash || (size_t)(dash - name) >= nbase) return pb_error(PB_ERR_ARG, "%s: not a word-vector set", name);
    memcpy(base, name, (size_t)(dash - name));
    base[dash - name] = 0;
    *source = dash + 1;
    return PB_OK;
}

static int vectors_open(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction,
                        pb_data *train, pb_data *test)
{
    char base[32];
    const char *source;
    int st = vectors_split_name(ds->name, base, sizeof base, &source);
    if (st) return st;
    const pb_dataset *tok = pb_dataset_find(base);
    if (!tok || !tok->open_vocab) return pb_error(PB_ERR_ARG, "%s: no token set '%s'", ds->name, base);
    if (!pb_vector_pairs_available(source)) return PB_ERR_IO;
    pb_data ttr, tte;
    pb_vocab v;
    if ((st = tok->open_vocab(tok, data_dir, seed, test_fraction, &ttr, &tte, &v))) return st;
    double *E = NULL;
    size_t dim = 0;
    char ntr[64], nte[64];
    snprintf(ntr, sizeof ntr, "%s/train", ds->name);
    snprintf(nte, sizeof nte, "%s/test", ds->name);
    st = pb_vector_pairs_vectors(source, &ttr, &v, &E, &dim, NULL);
    if (!st) st = pb_vector_pairs(&ttr, E, dim, ntr, train);
    if (!st && (st = pb_vector_pairs(&tte, E, dim, nte, test))) pb_data_free(train);
    free(E);
    pb_data_free(&ttr), pb_data_free(&tte), pb_vocab_free(&v);
    return st;
}

const char *pb_dataset_split_name(const char *name)
{
    const pb_dataset *ds = pb_dataset_find(name);
    if (!ds || ds->open != vectors_open) return name;
    char base[32];
    const char *source;
    if (vectors_split_name(name, base, sizeof base, &source)) return name;
    const pb_dataset *tok = pb_dataset_find(base);
    return tok ? tok->name : name;
}

static int vectors_available(const pb_dataset *ds, const char *data_dir)
{
    char base[32];
    const char *source;
    if (vectors_split_name(ds->name, base, sizeof base, &source)) return 0;
    return pb_vector_pairs_available(source) && pb_dataset_available(base, data_dir);
}

/* ---- the table ---- */

static const pb_dataset table[] = {
    {"wine", "UCI Wine, 178 x 13, 3 classes: wine_data.csv in --data-dir (shipped)",
     "wine_data.csv", classes_csv, NULL, csv_available, 1, NULL},
    {"boston", "Boston house prices, 506 x 13, regression: boston_house_prices.csv in --data-dir (shipped)",
     "boston_house_prices.csv", regression_csv, NULL, csv_available, 1, NULL},
    {"synthetic", "10000 x 100, regression, x ~ N(1, I), y = x_0: generated from the split seed",
     NULL, synthetic, NULL, NULL, 1, NULL},
    {"imdb", "IMDB, 25000 + 25000 texts, 2 classes: aclImdb directory, --data-dir or $" PB_IMDB_ENV,
     PB_IMDB_ENV, NULL, text_open, text_available, 1, text_open_vocab},
    {"movie-reviews", "Movie Reviews, text<TAB>score lines, regression: --data-dir or $" PB_MOVIE_REVIEWS_ENV,
     PB_MOVIE_REVIEWS_ENV, NULL, text_open, text_available, 1, text_open_vocab},
    {"wordnet-pairs", "WordNet noun definition pairs, 8331, 6 Wu-Palmer classes: data.noun of --data-dir, $"
     PB_WORDNET_ENV " or " PB_WORDNET_DEFAULT_DIR, PB_WORDNET_ENV, NULL, wordnet_open, wordnet_available, 1,
     wordnet_open_vocab},
    {"wordnet-glosses", "WordNet noun definitions, 82115, 26 lexicographer files: data.noun as wordnet-pairs ($"
     PB_WORDNET_ENV ")", PB_WORDNET_ENV, NULL, wordnet_open, wordnet_available, 1, wordnet_open_vocab},
    {"semeval-pairs", "SemEval-2015 Task 2 pairs, sentence1<TAB>sentence2<TAB>score lines, 6 classes: --data-dir or $"
     PB_SEMEVAL_ENV, PB_SEMEVAL_ENV, NULL, semeval_open, semeval_available, 1, semeval_open_vocab},
    {"wordnet-pairs-lsa", "wordnet-pairs ($" PB_WORDNET_ENV ") with fixed 50-d LSA word vectors of its training "
     "sentences, for siamese:2x30x50-...", PB_WORDNET_ENV, NULL, vectors_open, vectors_available, 0, NULL},
    {"wordnet-pairs-glove", "wordnet-pairs with fixed GloVe word vectors: the GloVe text file $" PB_GLOVE_ENV,
     PB_GLOVE_ENV, NULL, vectors_open, vectors_available, 0, NULL},
    {"semeval-pairs-lsa", "semeval-pairs ($" PB_SEMEVAL_ENV ") with fixed 50-d LSA word vectors of its training sentences",
     PB_SEMEVAL_ENV, NULL, vectors_open, vectors_available, 0, NULL},
    {"semeval-pairs-glove", "semeval-pairs with fixed GloVe word vectors ($" PB_GLOVE_ENV ", as seed 000)",
     PB_GLOVE_ENV, NULL, vectors_open, vectors_available, 0, NULL},
    {"fashion-mnist", "Fashion-MNIST, 60000 + 10000 x 784, 10 classes: $" PB_FASHION_MNIST_ENV " or "
     PB_FASHION_MNIST_DEFAULT_DIR, PB_FASHION_MNIST_ENV, NULL, mnist_open, mnist_available, 0, NULL},
    {"mnist", "MNIST, 60000 + 10000 x 784, 10 classes: $" PB_MNIST_ENV " (required)",
     PB_MNIST_ENV, NULL, mnist_open, mnist_available, 0, NULL},
    {"seq-fashion-mnist",
     "fashion-mnist as 28 steps of 28 pixels (image rows), from $" PB_FASHION_MNIST_ENV " or its default",
     PB_FASHION_MNIST_ENV, NULL, mnist_open, mnist_available, 0, NULL},
    {"seq-mnist", "mnist as 28 steps of 28 pixels (image rows), from $" PB_MNIST_ENV,
     PB_MNIST_ENV, NULL, mnist_open, mnist_available, 0, NULL},
};

enum { N_TABLE = sizeof table / sizeof table[0] };

size_t pb_dataset_count(void) { return N_TABLE; }

const pb_dataset *pb_dataset_at(size_t i) { return i < N_TABLE ? &table[i] : NULL; }

const pb_dataset *pb_dataset_find(const char *name)
{
    for (size_t i = 0; i < N_TABLE; i++)
        if (!strcmp(name, table[i].name)) return &table[i];
    char known[512] = "";
    size_t k = 0;
    for (size_t i = 0; i < N_TABLE && k < sizeof known; i++)
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", table[i].name);
    pb_error(PB_ERR_ARG, "unknown dataset '%s' (known: %s)", name, known);
    return NULL;
}

int pb_dataset_load(const char *name, const char *data_dir, uint64_t seed, pb_data *out)
{
    memset(out, 0, sizeof *out);
    const pb_dataset *ds = pb_dataset_find(name);
    if (!ds) return PB_ERR_ARG;
    if (!ds->load)
        return pb_error(PB_ERR_ARG, "dataset '%s' comes as train and test parts; open it with pb_dataset_open", name);
    return ds->load(ds, data_dir, seed, out);
}

int pb_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                    int standardize_y, pb_data *train, pb_data *test, pb_scaling *sc)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    memset(sc, 0, sizeof *sc);
    const pb_dataset *ds = pb_dataset_find(name);
    if (!ds) return PB_ERR_ARG;
    int st;
    if (ds->load) {
        pb_data all;
        if ((st = ds->load(ds, data_dir, split_seed, &all))) return st;
        st = pb_split(&all, test_fraction, split_seed, train, test);
        pb_data_free(&all);
    } else {
        st = ds->open(ds, data_dir, split_seed, test_fraction, train, test);
    }
    if (st) return st;
    st = ds->standardize ? pb_standardize(train, test, standardize_y, sc) : pb_scaling_identity(train->d, sc);
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    return st;
}

int pb_dataset_available(const char *name, const char *data_dir)
{
    const pb_dataset *ds = pb_dataset_find(name);
    if (!ds) return 0;
    return ds->available ? ds->available(ds, data_dir) : 1;
}

int pb_dataset_vocab(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction, pb_vocab *v)
{
    memset(v, 0, sizeof *v);
    const pb_dataset *ds = pb_dataset_find(name);
    if (!ds) return PB_ERR_ARG;
    if (!ds->open_vocab) return pb_error(PB_ERR_ARG, "dataset '%s' has no vocabulary (not token ids)", name);
    if (ds->available && !ds->available(ds, data_dir)) return PB_ERR_IO;
    pb_data train, test;
    int st = ds->open_vocab(ds, data_dir, split_seed, test_fraction, &train, &test, v);
    pb_data_free(&train);
    pb_data_free(&test);
    return st;
}

void pb_dataset_help(FILE *f)
{
    fprintf(f, "Datasets (--data NAME; shipped files are read from --data-dir):\n");
    for (size_t i = 0; i < N_TABLE; i++) fprintf(f, "    %-17s  %s\n", table[i].name, table[i].about);
}
