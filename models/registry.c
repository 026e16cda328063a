/* registry.c -- the models, one row each: the spec prefix, the ops table its
 * file defines (model.h), and the form of its spec for `help`. Parsing
 * (pb_model_parse), the unknown-model error and `help` read this table.
 * Adding a model: its file (models/<name>.c, defining its pb_model_ops) and
 * one ROW line here, before the end marker. */
#include "models/model.h"

#include <stdio.h>
#include <string.h>

#define PB_MODEL_TABLE(ROW)                                                                                     \
    ROW("mlp", pb_mlp_ops, "mlp:<d0>-<d1>-...-<dL>:<tanh|relu|identity>[:ce|:mse]   multilayer perceptron")  \
    ROW("lstm", pb_rnn_ops, "lstm:<T>x<d>-<H>-<C>[:ce|:mse], lstm:<T>xv<V>e<E>-<H>-<C> (tokens)   LSTM")    \
    ROW("rnn", pb_rnn_ops, "rnn:<T>x<d>-<H>-<C>[:ce|:mse], rnn:<T>xv<V>e<E>-<H>-<C> (tokens)   Elman RNN")   \
    ROW("siamese", pb_siamese_ops,                                                                              \
        "siamese:2x<L>v<V>e<E>-<H>-<C> (tokens), siamese:2x<L>x<E>-<H>-<C> (word vectors)   siamese Elman RNN "  \
        "over sentence pairs")                                                                                  \
    /* end of the model table */

#define DECLARE(prefix, ops, form) extern const pb_model_ops ops;
PB_MODEL_TABLE(DECLARE)

typedef struct row {
    const char *prefix;
    const pb_model_ops *ops;
    const char *form;
} row;

#define ENTRY(prefix, ops, form) {prefix, &ops, form},
static const row table[] = {PB_MODEL_TABLE(ENTRY)};
#define N_ROWS (sizeof table / sizeof table[0])

const pb_model_ops *pb_model_lookup(const char *spec)
{
    for (size_t k = 0; k < N_ROWS; k++) {
        size_t n = strlen(table[k].prefix);
        if (!strncmp(spec, table[k].prefix, n) && spec[n] == ':') return table[k].ops;
    }
    return NULL;
}

void pb_model_list(FILE *f)
{
    for (size_t k = 0; k < N_ROWS; k++) fprintf(f, "    %s\n", table[k].form);
}

const char *pb_model_prefixes(void)
{
    static char buf[512];
    size_t len = 0;
    for (size_t k = 0; k < N_ROWS && len < sizeof buf; k++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s:...", k == 0 ? "" : k + 1 < N_ROWS ? ", " : " or ",
                                table[k].prefix);
    return buf;
}
