/* layout.h -- how a model names the views and groups of its flat parameter
 * buffer. Every model (mlp.h, rnn.h) describes itself with these tables.
 *
 * Tensors: named row-major views (offset, rows x cols) of the buffer.
 * Groups: sets of parameter indices that act as one structural unit. A group
 * whose `variable` flag is set carries a multiplicative group variable in
 * group-structured training (PROTOCOLS.md groupvd): the effective weights are
 * w_j = w^_j * prod_{variable groups k containing j} z_k, and a model's
 * forward pass with per-sample multipliers Z (N x n_variable_groups, in the
 * order the variable groups appear in the table) computes exactly what the
 * network with the members of group k scaled by Z[i,k] computes on sample i.
 */
#ifndef PB_LAYOUT_H
#define PB_LAYOUT_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum pb_head { PB_HEAD_CE, PB_HEAD_MSE } pb_head;

typedef struct pb_tensor {
    char name[32];          /* "W0", "b0", "Wx", ... */
    size_t offset, rows, cols;
    int is_bias;
} pb_tensor;

typedef enum pb_group_kind {
    PB_GROUP_INPUT_NEURON,  /* a column of a layer's input weights (an input feature or embedding component) */
    PB_GROUP_OUTPUT_NEURON, /* a row of a dense layer and its bias */
    PB_GROUP_HIDDEN_NEURON, /* a recurrent hidden unit: its columns in the recurrent and output weights */
    PB_GROUP_GATE,          /* one gate pre-activation of one hidden unit: its rows of the input and recurrent weights */
    PB_GROUP_VOCABULARY     /* one vocabulary entry: its row of the embedding */
} pb_group_kind;

typedef struct pb_group {
    pb_group_kind kind;
    size_t layer, unit;     /* layer index; unit index (for gates: gate * H + hidden unit) */
    size_t n_members;
    size_t *members;        /* indices into the parameter buffer */
    int variable;           /* 1: carries a group variable (see above) */
} pb_group;

/* Sizes of a network and of its compact form (a model's compaction
 * capability, model.h); as a recurrent network (rnn.h) counts them.
 *   vocab, vocab_kept     V and kept vocabulary rows (0, 0 for real inputs)
 *   emb, emb_kept         E and kept embedding components (0, 0 for real inputs)
 *   inputs, inputs_kept   d and kept input columns (= emb, emb_kept with tokens)
 *   hidden, hidden_kept   H and kept hidden units
 *   gates, gates_nonconst G*H and the non-constant gate rows of kept units
 *                         (for Elman each unit's one row counts as its gate)
 *   weights               entries of Emb, Wx, Wh, Wout (biases not counted)
 *   weights_nonzero       the nonzero ones among them in w
 *   flops_dense/_compact  operations of one forward pass per sample:
 *     2 per multiply-add of a matrix product (input product at all T steps,
 *     recurrent product at steps 2..T as h_0 = 0, output product once; the
 *     embedding lookup is free), 1 per bias add and 1 per activation of a
 *     non-constant gate row per step, and per kept unit per step: LSTM 5
 *     (c = f c + i g: 3, tanh(c): 1, o tanh(c): 1), Elman 0; C for bout. */
typedef struct pb_structure {
    size_t vocab, vocab_kept, emb, emb_kept, inputs, inputs_kept, hidden, hidden_kept, gates, gates_nonconst,
        weights, weights_nonzero;
    double flops_dense, flops_compact;
} pb_structure;

/* mask[j] = 1 for the entries of every non-bias tensor (and of the biases
 * when include_biases), 0 elsewhere (mask has n_params bytes); returns the count. */
static inline size_t pb_tensor_mask(const pb_tensor *t, size_t n_tensors, size_t n_params, int include_biases,
                                    unsigned char *mask)
{
    size_t count = 0;
    memset(mask, 0, n_params);
    for (size_t k = 0; k < n_tensors; k++) {
        if (t[k].is_bias && !include_biases) continue;
        memset(mask + t[k].offset, 1, t[k].rows * t[k].cols);
        count += t[k].rows * t[k].cols;
    }
    return count;
}

/* Free a group table and its member lists (groups may be NULL). */
static inline void pb_groups_free(pb_group *groups, size_t n_groups)
{
    if (groups)
        for (size_t g = 0; g < n_groups; g++) free(groups[g].members);
    free(groups);
}

#endif
