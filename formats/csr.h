/* csr.h -- a pruned MLP in compressed sparse row (CSR) form, its forward
 * pass, its size, and its file format.
 *
 * Per weight layer l = 0..L-1 (W_l is d_{l+1} x d_l, as in models/mlp.h):
 *   rows = d_{l+1} (output neurons), cols = d_l (input neurons)
 *   row_ptr (rows + 1, uint32): row_ptr[0] = 0, row_ptr[rows] = nnz; the
 *                               nonzeros of row j are entries row_ptr[j] ..
 *                               row_ptr[j+1]-1 of col and val
 *   col (nnz, uint32)           column index of each nonzero, strictly
 *                               increasing within a row
 *   val (nnz, double)           W_l[j][col[p]] for p in row j
 *   bias (rows, double)         b_l, dense (every entry, zero or not)
 * An entry of W_l is stored iff it is != 0 (so -0.0 and +0.0 are both dropped).
 *
 * Sizes: sparse bytes = sum_l 8 nnz_l + 4 nnz_l + 4 (d_{l+1} + 1) + 8 d_{l+1}
 * (values, column indices, row pointers, biases); dense bytes = 8 n_params
 * (every weight and bias as a double).
 *
 * File (.csr), native byte order, like fit files (harness/fit.c):
 *   magic "PBCSR\r\n\032" (8 bytes), u32 version (PB_CSR_VERSION), u32 byte-order
 *   mark 0x01020304, u64 payload length, payload, u64 FNV-1a-64 of every
 *   byte before it.
 *   payload: u32 spec length, spec bytes (no NUL), u32 L, then per layer:
 *     u32 rows, u32 cols, u32 nnz, row_ptr (rows + 1 u32), col (nnz u32),
 *     val (nnz f64), bias (rows f64).
 * The reader rejects, each with one line naming the file: a bad magic number,
 * another version or byte order, a truncated file or trailing bytes, a
 * checksum mismatch, and a payload inconsistent with its spec (dims, row
 * pointers, column indices).
 */
#ifndef PB_CSR_H
#define PB_CSR_H

#include <stddef.h>
#include <stdint.h>
#include "models/mlp.h"

#define PB_CSR_VERSION 1u

typedef struct pb_csr_layer {
    uint32_t rows, cols, nnz;   /* d_{l+1}, d_l, stored nonzeros */
    uint32_t *row_ptr;          /* rows + 1 */
    uint32_t *col;              /* nnz */
    double *val;                /* nnz */
    double *bias;               /* rows */
} pb_csr_layer;

typedef struct pb_csr_net {
    char spec[128];             /* the model spec string, as in the fit */
    pb_act act;                 /* hidden activation */
    pb_head head;               /* ce: softmax probabilities; mse: predictions */
    size_t n_layers;
    pb_csr_layer *layers;       /* n_layers */
    size_t max_dim;             /* largest d_l */
} pb_csr_net;

/* Build the sparse form of the flat parameter buffer w (m->n_params, mlp.h
 * layout). *net is freed with pb_csr_free. */
int pb_csr_from_dense(const pb_mlp *m, const double *w, pb_csr_net *net);
void pb_csr_free(pb_csr_net *net);

/* The flat parameter buffer (n_params doubles, mlp.h layout) back from the
 * sparse form: stored entries and biases, zeros elsewhere. */
size_t pb_csr_n_params(const pb_csr_net *net);
void pb_csr_to_dense(const pb_csr_net *net, double *w);

/* Network outputs for N inputs X (N x d0, row-major) into out (N x dL):
 * class probabilities (ce) or predictions (mse), as pb_mlp_predict. */
int pb_csr_predict(const pb_csr_net *net, const double *X, size_t N, double *out);

/* Counts and sizes (see the top of this file). */
size_t pb_csr_nnz(const pb_csr_net *net);               /* stored weights, all layers */
size_t pb_csr_nonzero_biases(const pb_csr_net *net);    /* biases != 0 */
size_t pb_csr_sparse_bytes(const pb_csr_net *net);
size_t pb_csr_dense_bytes(const pb_csr_net *net);

/* Write atomically (pb_outfile) / read and validate a .csr file. */
int pb_csr_save(const pb_csr_net *net, const char *path);
int pb_csr_load(const char *path, pb_csr_net *net);

#endif
