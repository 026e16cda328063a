/* wordnet.h -- the WordNet 3.0 noun taxonomy read straight from its
 * data.noun file (Debian wordnet-base: /usr/share/wordnet), Wu-Palmer
 * similarity, and the two datasets built on it (datasets/PROVENANCE.md has
 * the construction in prose):
 *
 *   wordnet-pairs    pairs of noun synset definitions, 6 classes: the
 *                    Wu-Palmer similarity of the two synsets, binned
 *                    (the stand-in for SemEval-2015 Task 2, seed 000);
 *   wordnet-glosses  a noun synset's definition -> its lexicographer file
 *                    (noun.Tops .. noun.time: 26 classes; seed 001's
 *                    vocabulary experiment).
 *
 * The file (wndb(5WN)). Lines starting with two spaces are the license.
 * Every other line is one synset:
 *   offset lex_filenum ss_type w_cnt {word lex_id} p_cnt {ptr} [frames] | gloss
 * offset: 8 decimal digits, the byte offset of the line in the file;
 * lex_filenum: 2 decimal digits (nouns: 03 noun.Tops .. 28 noun.time);
 * w_cnt: 2 hex digits; p_cnt: 3 decimal digits; a ptr is
 * "symbol offset pos source/target" (symbol "@" hypernym, "@i" instance
 * hypernym). Only nouns are read: data.noun has no frames.
 *
 * Taxonomy. A synset's parents are the targets of its "@" and "@i" noun
 * pointers (as in NLTK, whose hypernym paths follow both). In WordNet 3.0
 * every noun reaches entity.n.01, the one noun without parents.
 *   depth(c)   = the number of synsets on the LONGEST parent path from c up
 *                to a root, c and the root included (entity.n.01: 1);
 *                NLTK's max_depth() + 1.
 *   dist(a, c) = the number of parent steps on the SHORTEST path from a up
 *                to c (0 for c = a); defined when c is an ancestor of a
 *                (a included).
 *   wup(a, b)  = max over the common ancestors c of a and b of
 *                2 depth(c) / (2 depth(c) + dist(a, c) + dist(b, c)).
 * That is the maximum, over pairs of parent paths of a and b that share
 * their top part down to some c, of 2 |shared part| / (|path a| + |path b|)
 * (each path counted in synsets, root included): the classic
 * 2 depth(lcs) / (depth(a) + depth(b)) whenever the paths are unique.
 * NLTK's wup_similarity takes the one common ancestor c of largest
 * min_depth (ties by name), depth(c) = max_depth(c) + 1 and shortest path
 * distances (which may pass above c): the same value whenever every synset
 * has one parent path; with several parents the two may differ.
 * dog.n.01 ~ cat.n.01: c = carnivore.n.01, depth 12,
 * dist 2 and 2: 24 / 28 = 0.857 (as NLTK). wup(a, a) = 1.
 *
 * Definitions. The text of a synset used by both datasets is the gloss up
 * to its first '"' (the example sentences, which often quote the synset's
 * own words, are dropped), without the "; " and spaces before it: "a member
 * of the genus Canis ...; "the dog barked all night"" -> "a member of the
 * genus Canis ...". Tokens: text.h's tokenizer.
 */
#ifndef PB_WORDNET_H
#define PB_WORDNET_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/data.h"
#include "datasets/text.h"

#define PB_WORDNET_DEFAULT_DIR "/usr/share/wordnet"   /* Debian wordnet-base */
#define PB_WORDNET_ENV "PB_WORDNET_DIR"
#define PB_WORDNET_LEX_FIRST 3     /* noun.Tops */
#define PB_WORDNET_LEX_CLASSES 26  /* noun.Tops (03) .. noun.time (28) */

typedef struct pb_wordnet {
    size_t n;              /* noun synsets, in file order */
    uint32_t *offset;      /* offset[i]: synset offset (increasing) */
    uint8_t *lex;          /* lex[i]: lex_filenum (3..28 in WordNet 3.0) */
    const char **def;      /* def[i]: the definition (see above), NUL-terminated, points into buf */
    size_t *par_start;     /* parents of i: par[par_start[i] .. par_start[i+1]) */
    uint32_t *par;
    size_t *kid_start;     /* children of i (the inverse of par), the same way */
    uint32_t *kid;
    uint16_t *depth;       /* depth[i] as defined above */
    char *buf;             /* the file, owned */
    /* scratch for pb_wordnet_wup (so one pb_wordnet is not for concurrent use) */
    uint32_t *stamp, *stamp_b, *dist_a, *queue;
    uint32_t gen;
} pb_wordnet;

/* Read path (a data.noun file). Errors name the file and, for a malformed
 * synset line, its line number: a pointer to an offset that is no synset
 * line, a cycle of parents, a missing "|". On failure wn is left empty. */
int pb_wordnet_read(const char *path, pb_wordnet *wn);
void pb_wordnet_free(pb_wordnet *wn);

/* The index of the synset at offset, or (size_t)-1. */
size_t pb_wordnet_find(const pb_wordnet *wn, uint32_t offset);

/* wup(a, b) as defined above (a, b indices). */
double pb_wordnet_wup(pb_wordnet *wn, size_t a, size_t b);

/* The class of a similarity: min(5, floor(6 wup)), equal-width bins on
 * [0, 1]: [0, 1/6) -> 0, ..., [5/6, 1] -> 5. */
int pb_wordnet_wup_class(double wup);

/* ---- the pair sample ---- */

#define PB_WORDNET_PAIRS 8331          /* seed 000, section 5: 8331 pairs of SemEval 2015 */
#define PB_WORDNET_PAIR_SEED 2015      /* the fixed sample of the registry row */
#define PB_WORDNET_CLASSES 6

typedef struct pb_wordnet_pair {
    uint32_t a, b;         /* synset indices, a != b */
    double wup;
    int cls;               /* pb_wordnet_wup_class(wup) */
} pb_wordnet_pair;

/* n pairs of distinct synsets, no unordered pair twice, balanced over the
 * 6 classes (class k gets n/6 pairs, the first n%6 classes one more), from
 * one mt19937 stream seeded with seed (pb_rng_seed). Proposals, repeated
 * until every class is full: with probability 1/2 two synsets drawn
 * uniformly; else a walk from a uniform synset a: u = 1..4 steps up (each
 * to a uniformly chosen parent, stopping at a root), then 0..u+1 steps down
 * (each to a uniformly chosen child, stopping at a leaf), b where it ends.
 * A proposal is kept when a != b, the pair is new and its class is not
 * full yet; a coin then says whether (a, b) or (b, a) is the pair (sentence
 * A first), so that neither side is always the walk's start. The kept pairs are then shuffled (the same stream). Same wn,
 * n and seed: the same pairs in the same order. Fails (naming the class)
 * if 2000 n proposals do not fill the classes (a tiny taxonomy). */
int pb_wordnet_pairs_sample(pb_wordnet *wn, size_t n, uint64_t seed, pb_wordnet_pair **pairs);

/* ---- datasets ---- */

/* Defaults. The 82115 noun definitions have 11.6 tokens on average (the
 * same over the sampled pairs), 95.3% at most 24, 98.3% at most 30, the
 * longest 82. Pairs: L = 30 tokens per definition, kept LAST when longer
 * (the pair contract); K = 5000 words (the 8331 default pairs have 18,882
 * distinct tokens). Glosses: T = 30, kept FIRST when longer (the genus word
 * opens a definition; text.h's default), K = 20000 words (text.h's
 * default, seed 001's vocabulary size; the definitions have 40,594
 * distinct tokens, 25,696 of them occurring at least twice). */
#define PB_WORDNET_PAIR_LEN 30
#define PB_WORDNET_PAIR_VOCAB 5000
#define PB_WORDNET_GLOSS_LEN 30
#define PB_WORDNET_GLOSS_VOCAB 20000

/* wordnet-pairs from a read taxonomy: pb_wordnet_pairs_sample(n_pairs,
 * pair_seed), the definitions of a and b as sentence A and B, label the
 * class, then encoded by pb_pairs_encode (pairs.h: the split with
 * test_fraction and split_seed, train vocabulary, the pair layout of 2L
 * ids). o NULL: L, K above, keep_last 1. Names "wordnet-pairs/train",
 * "wordnet-pairs/test". vocab (may be NULL) receives the vocabulary. */
int pb_wordnet_pairs_make(pb_wordnet *wn, size_t n_pairs, uint64_t pair_seed, const pb_text_opts *o,
                          double test_fraction, uint64_t split_seed, pb_data *train, pb_data *test, pb_vocab *vocab);

/* wordnet-glosses: every noun synset, its definition as one text of T ids
 * (text.h's encoding, pre-padded), label lex_filenum - 3 (26 classes);
 * split by pb_split(test_fraction, split_seed) (stratified), vocabulary
 * from the train part. o NULL: T, K above, keep_last 0. A synset outside
 * noun.Tops .. noun.time is an error. */
int pb_wordnet_glosses_make(const pb_wordnet *wn, const pb_text_opts *o, double test_fraction, uint64_t split_seed,
                            pb_data *train, pb_data *test, pb_vocab *vocab);

/* The directory the WordNet files are read from: data_dir when it holds
 * data.noun, else $PB_WORDNET_DIR when set (even if wrong: it is then
 * named in the error), else PB_WORDNET_DEFAULT_DIR. Writes dir/data.noun
 * into path (len bytes). */
void pb_wordnet_path(const char *data_dir, char *path, size_t len);

/* Whether that file is readable: 1, or 0 with the reason recorded (one
 * line starting with name: the file, the variable, the Debian package). */
int pb_wordnet_available(const char *name, const char *data_dir);

/* pb_dataset_open's part: "wordnet-pairs" (PB_WORDNET_PAIRS pairs from
 * PB_WORDNET_PAIR_SEED: the same pairs for every split seed, as a fixed
 * corpus; split_seed splits them) or "wordnet-glosses", with the default
 * options; vocab (may be NULL) receives the training vocabulary. */
int pb_wordnet_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                            pb_data *train, pb_data *test, pb_vocab *vocab);

#endif
