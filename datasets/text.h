/* text.h -- text datasets as sequences of token ids: the tokenizer, the
 * training-set vocabulary, fixed-length encoding, and the two sentiment sets
 * of seed 001 (section 5.1): IMDB (aclImdb directory, 2 classes) and Movie
 * Reviews (a tab-separated file, regression). pb_dataset_open (registry.h)
 * opens them by name with the defaults below; the functions here take the
 * options explicitly.
 *
 * Tokens. Bytes A-Z are lowercased (ASCII only; no locale). The HTML line
 * break -- "<br", optional spaces, an optional "/", ">", letters in either
 * case, so "<br />", "<br/>", "<BR>" -- counts as whitespace. A token is a
 * maximal run of [a-z0-9'] with its leading and trailing apostrophes
 * stripped (a run of apostrophes alone is no token). Every other byte
 * separates tokens, including NUL and every byte >= 0x80: a UTF-8 multibyte
 * character is a separator ("caf\xc3\xa9" gives "caf"; the typographic
 * apostrophe U+2019 splits "don\xe2\x80\x99t" into "don" and "t").
 *
 * Ids. id 0 is padding, id 1 is out-of-vocabulary, ids 2..K'+1 are the K'
 * kept words by rank: the K = vocab_words most frequent tokens of the
 * TRAINING texts (ties in byte order of the token), K' = min(K, number of
 * distinct training tokens). A pb_data of a text set has vocab = K' + 2,
 * seq_len = d = T, and X holds the ids as doubles. Test texts are encoded
 * with the training vocabulary: their unseen words become 1.
 *
 * Length. Every text becomes exactly T = seq_len ids. Shorter texts are
 * padded with 0 at the START (pre-padding: the last step of the sequence is
 * the last token, which the seed's model reads its prediction from: "по
 * последнему скрытому представлению", section 5.2). Longer texts keep their
 * FIRST T tokens by default, as the authors' released code does (see the
 * defaults below); keep_last = 1 keeps the last T instead (Keras
 * pad_sequences' default truncating='pre').
 *
 * Errors are one line (pb_error) naming the file or directory, and for a
 * malformed line of the Movie Reviews file its line and column. On failure
 * every output is left empty (zeroed, safe to free).
 */
#ifndef PB_TEXT_H
#define PB_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/data.h"

/* Defaults. Seed 001, section 5.2: "словарь был составлен из 20 тысяч
 * наиболее популярных слов в данном наборе данных" -- a vocabulary of the
 * 20,000 most frequent words, for both IMDB and Movie Reviews. The seed
 * gives no sequence length. We take T = 200 from the code released with the
 * English version of the paper (github.com/tipt0p/SparseBayesianRNN,
 * Experiments/IMDB/main.py: maxlen = 200, vocab_size = 20000; its
 * load_matrix keeps x[:maxlen] and pads at the start) and from the Movie
 * Reviews experiment of Gal & Ghahramani that the seed follows ("по аналогии
 * с экспериментами в [6]"; github.com/yaringal/BayesianRNN,
 * sentiment_lstm_regression.py: maxlen 200, nb_words 20000). */
#define PB_TEXT_VOCAB_WORDS 20000
#define PB_TEXT_SEQ_LEN 200
#define PB_TEXT_PAD 0
#define PB_TEXT_OOV 1

typedef struct pb_text_opts {
    size_t vocab_words;  /* K >= 1: training tokens kept (default PB_TEXT_VOCAB_WORDS) */
    size_t seq_len;      /* T >= 1: ids per text (default PB_TEXT_SEQ_LEN) */
    int keep_last;       /* 0: a long text keeps its first T tokens (default); 1: its last T */
} pb_text_opts;

/* The defaults; functions taking a const pb_text_opts * also accept NULL for them. */
#define PB_TEXT_OPTS_DEFAULT ((pb_text_opts){PB_TEXT_VOCAB_WORDS, PB_TEXT_SEQ_LEN, 0})

/* ---- tokenizer ---- */

typedef struct pb_tokens {
    size_t n;     /* number of tokens */
    char **tok;   /* tok[i]: NUL-terminated, lowercase, in text order; points into buf */
    char *buf;    /* owned */
} pb_tokens;

/* Tokenize text[0..len) (len bytes; NUL bytes are separators). */
int pb_tokenize(const char *text, size_t len, pb_tokens *out);
void pb_tokens_free(pb_tokens *t);

/* ---- vocabulary ---- */

struct pb_vocab_slot;   /* hash table slot (text.c): open addressing, FNV-1a */

typedef struct pb_vocab {
    size_t n_words;      /* K' = min(K, distinct training tokens) */
    size_t size;         /* K' + 2: the number of ids, pb_data.vocab */
    char **word;         /* word[r] has id r + 2: most frequent first, ties in byte order */
    uint64_t *count;     /* count[r]: occurrences of word[r] in the training texts */
    struct pb_vocab_slot *slot;  /* the kept words -> ids */
    size_t slot_cap;     /* a power of two, at least twice n_words */
} pb_vocab;

/* Count the tokens of n_texts texts (lens[i] bytes each; lens NULL: the
 * texts are NUL-terminated) and keep the max_words most frequent. */
int pb_vocab_build(const char *const *texts, const size_t *lens, size_t n_texts, size_t max_words, pb_vocab *v);
/* The id of a token (len bytes, as the tokenizer returns it): 2..K'+1, or
 * PB_TEXT_OOV when it is not a kept word. */
size_t pb_vocab_id(const pb_vocab *v, const char *token, size_t len);
void pb_vocab_free(pb_vocab *v);

/* Encode text[0..len) as exactly o->seq_len ids into row (doubles),
 * pre-padded with 0 and truncated as o->keep_last says. */
int pb_text_encode(const pb_vocab *v, const char *text, size_t len, const pb_text_opts *o, double *row);

/* ---- datasets ---- */

#define PB_IMDB_ENV "PB_IMDB_DIR"
#define PB_MOVIE_REVIEWS_ENV "PB_MOVIE_REVIEWS_FILE"

/* IMDB (Maas et al. 2011) in the layout of aclImdb_v1.tar.gz: dir/train/pos,
 * dir/train/neg, dir/test/pos, dir/test/neg, one review per file, every
 * file named *.txt (names starting with "." and other files are ignored;
 * train/unsup is not read). Label pos = 1, neg = 0; n_classes 2, ydim 1.
 * Rows: the pos files in byte order of their names, then the neg files
 * (readdir order is not deterministic; byte order is: "10_7.txt" comes
 * before "1_8.txt"). The vocabulary is built from train only; vocab, if not
 * NULL, receives it. Names "imdb/train" and "imdb/test". Errors: a missing
 * directory or subdirectory (named), a class directory without *.txt files,
 * a file that cannot be opened or read. */
int pb_imdb_load(const char *dir, const pb_text_opts *o, pb_data *train, pb_data *test, pb_vocab *vocab);

/* Movie Reviews: a text file of lines "<text>TAB<score>" (the score follows
 * the LAST tab, so the text may contain tabs; the score is a finite real
 * number, surrounding spaces allowed; blank lines are skipped; CRLF ends
 * accepted). Split into train and test exactly as pb_split splits a
 * regression set of that many rows (test_fraction, split_seed: the same
 * rows, in the same seeded order); then the vocabulary is built from the
 * train texts. Regression: n_classes 0, ydim 1, y the raw scores (not
 * standardized here). Names "movie-reviews/train" and "movie-reviews/test".
 * Errors name the file, and for a line without a tab or with a score that
 * is not a number, the line and the 1-based byte column (for a missing tab:
 * the end of the line; for a bad score: its first byte). */
int pb_movie_reviews_load(const char *path, const pb_text_opts *o, double test_fraction, uint64_t split_seed,
                          pb_data *train, pb_data *test, pb_vocab *vocab);

/* Is name a text set ("imdb", "movie-reviews")? */
int pb_text_is_dataset(const char *name);

/* Where a text set is read from. imdb: data_dir when it is a directory
 * with a train/ subdirectory, else $PB_IMDB_DIR. movie-reviews: data_dir
 * when it names a regular file, else $PB_MOVIE_REVIEWS_FILE. (The harness
 * passes its --data-dir, "datasets" by default, for every set; it holds
 * neither, so the variables are the usual way.) NULL, with an error saying
 * which variable to set, when neither applies. */
const char *pb_text_source(const char *name, const char *data_dir);

/* pb_dataset_open's text part: the set from pb_text_source, loaded with
 * options o (NULL: defaults). imdb: its fixed train and test parts
 * (test_fraction is ignored), each then put in a seeded order (split_seed)
 * so that the rows are not sorted by class. movie-reviews: split with
 * test_fraction and split_seed. Nothing is standardized. */
int pb_text_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                         const pb_text_opts *o, pb_data *train, pb_data *test);

/* Whether pb_text_dataset_open(name, data_dir, ...) would find its data: 1
 * or 0 (the reason recorded: the variable to set, or the missing file or
 * subdirectory). Presence only: a readable file for movie-reviews, the four
 * class directories for imdb. */
int pb_text_available(const char *name, const char *data_dir);

#endif
