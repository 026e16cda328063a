/* csr.c -- see csr.h.
 *
 * Notation per layer l (one sample at a time): in_l = x (l = 0) or h_{l-1},
 * shape (d_l); the CSR matrix of W_l has rows = d_{l+1}, cols = d_l.
 *   a_l[j] = (sum_{p = row_ptr[j]}^{row_ptr[j+1]-1} val[p] in_l[col[p]]) + b_l[j]
 *   h_l = act(a_l) for hidden layers, z = a_{L-1} (linear head), then
 *   softmax(z) (ce) or z itself (mse), exactly as models/mlp.c.
 * The sum runs over the stored entries of row j in column order; the dense
 * path sums through BLAS in another order, so the two agree to rounding
 * (the tests allow 1e-12 relative), not bitwise.
 */
#include "formats/csr.h"
#include "base/binfile.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char MAGIC[8] = {'P', 'B', 'C', 'S', 'R', '\r', '\n', 032};

static void layer_free(pb_csr_layer *ly)
{
    free(ly->row_ptr);
    free(ly->col);
    free(ly->val);
    free(ly->bias);
    memset(ly, 0, sizeof *ly);
}

void pb_csr_free(pb_csr_net *net)
{
    if (!net) return;
    if (net->layers)
        for (size_t l = 0; l < net->n_layers; l++) layer_free(&net->layers[l]);
    free(net->layers);
    memset(net, 0, sizeof *net);
}

static int layer_alloc(pb_csr_layer *ly, uint32_t rows, uint32_t cols, uint32_t nnz)
{
    ly->rows = rows, ly->cols = cols, ly->nnz = nnz;
    ly->row_ptr = pb_calloc((size_t)rows + 1, sizeof *ly->row_ptr);
    ly->col = pb_calloc(nnz, sizeof *ly->col);
    ly->val = pb_calloc(nnz, sizeof *ly->val);
    ly->bias = pb_calloc(rows, sizeof *ly->bias);
    if (!ly->row_ptr || !ly->col || !ly->val || !ly->bias) return PB_ERR_NOMEM;
    return PB_OK;
}

/* Compress W_l (rows x cols, row-major): scan each row j left to right and
 * append every entry != 0; row_ptr[j+1] = number of entries appended so far. */
int pb_csr_from_dense(const pb_mlp *m, const double *w, pb_csr_net *net)
{
    memset(net, 0, sizeof *net);
    snprintf(net->spec, sizeof net->spec, "%s", m->spec);
    net->act = m->act, net->head = m->head, net->max_dim = m->max_dim;
    if (!(net->layers = pb_calloc(m->n_layers, sizeof *net->layers))) return PB_ERR_NOMEM;
    net->n_layers = m->n_layers;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t rows = m->dims[l + 1], cols = m->dims[l], nnz = 0;
        const double *W = w + m->w_off[l];
        for (size_t k = 0; k < rows * cols; k++) nnz += W[k] != 0;
        if (nnz > UINT32_MAX) {
            pb_csr_free(net);
            return pb_error(PB_ERR_ARG, "layer %zu of %s has %zu nonzeros; the sparse format holds at most %u", l,
                            m->spec, nnz, (unsigned)UINT32_MAX);
        }
        pb_csr_layer *ly = &net->layers[l];
        if (layer_alloc(ly, (uint32_t)rows, (uint32_t)cols, (uint32_t)nnz)) { pb_csr_free(net); return PB_ERR_NOMEM; }
        uint32_t p = 0;
        for (size_t j = 0; j < rows; j++) {
            for (size_t i = 0; i < cols; i++) {
                double v = W[j * cols + i];
                if (v != 0) ly->col[p] = (uint32_t)i, ly->val[p] = v, p++;
            }
            ly->row_ptr[j + 1] = p;
        }
        memcpy(ly->bias, w + m->b_off[l], rows * sizeof *ly->bias);
    }
    return PB_OK;
}

size_t pb_csr_n_params(const pb_csr_net *net)
{
    size_t n = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        n += (size_t)net->layers[l].rows * net->layers[l].cols + net->layers[l].rows;
    return n;
}

/* Scatter back: W_l[j][col[p]] = val[p] for p in row j, 0 elsewhere; b_l = bias. */
void pb_csr_to_dense(const pb_csr_net *net, double *w)
{
    size_t off = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const pb_csr_layer *ly = &net->layers[l];
        double *W = w + off;
        memset(W, 0, (size_t)ly->rows * ly->cols * sizeof *W);
        for (size_t j = 0; j < ly->rows; j++)
            for (uint32_t p = ly->row_ptr[j]; p < ly->row_ptr[j + 1]; p++) W[j * ly->cols + ly->col[p]] = ly->val[p];
        off += (size_t)ly->rows * ly->cols;
        memcpy(w + off, ly->bias, ly->rows * sizeof *w);
        off += ly->rows;
    }
}

/* One layer, one sample: a (rows) = W in + b with W in CSR form, in (cols).
 *   a[j] = (sum_{p = row_ptr[j]}^{row_ptr[j+1]-1} val[p] in[col[p]]) + b[j]
 * 2 nnz + rows flops; an empty row gives a[j] = b[j]. */
static void csr_affine(const pb_csr_layer *ly, const double *in, double *a)
{
    for (uint32_t j = 0; j < ly->rows; j++) {
        double s = 0;
        for (uint32_t p = ly->row_ptr[j]; p < ly->row_ptr[j + 1]; p++) s += ly->val[p] * in[ly->col[p]];
        a[j] = s + ly->bias[j];
    }
}

/* For each of the N samples x_i (row i of X, d0): in_0 = x_i;
 * a_l = W_l in_l + b_l (csr_affine), in_{l+1} = act(a_l) for l < L-1;
 * z = a_{L-1} (dL); out_i = softmax(z) = exp(z - max z) / sum exp(z - max z)
 * (ce) or z (mse). Two scratch vectors of max_dim ping-pong between layers. */
int pb_csr_predict(const pb_csr_net *net, const double *X, size_t N, double *out)
{
    size_t L = net->n_layers, d0 = net->layers[0].cols, C = net->layers[L - 1].rows;
    double *buf[2] = {pb_calloc(net->max_dim, sizeof(double)), pb_calloc(net->max_dim, sizeof(double))};
    if (!buf[0] || !buf[1]) { free(buf[0]); free(buf[1]); return PB_ERR_NOMEM; }
    for (size_t i = 0; i < N; i++) {
        const double *in = X + i * d0;
        double *a = NULL;
        for (size_t l = 0; l < L; l++) {
            const pb_csr_layer *ly = &net->layers[l];
            a = buf[l & 1];
            csr_affine(ly, in, a);
            if (l + 1 < L && net->act != PB_ACT_IDENTITY)
                for (uint32_t j = 0; j < ly->rows; j++)
                    a[j] = net->act == PB_ACT_TANH ? tanh(a[j]) : a[j] > 0 ? a[j] : 0;
            in = a;
        }
        double *o = out + i * C;
        if (net->head == PB_HEAD_CE) {
            double mx = a[0], se = 0;
            for (size_t c = 1; c < C; c++) if (a[c] > mx) mx = a[c];
            for (size_t c = 0; c < C; c++) se += (o[c] = exp(a[c] - mx));
            for (size_t c = 0; c < C; c++) o[c] /= se;
        } else {
            memcpy(o, a, C * sizeof *o);
        }
    }
    free(buf[0]);
    free(buf[1]);
    return PB_OK;
}

size_t pb_csr_nnz(const pb_csr_net *net)
{
    size_t n = 0;
    for (size_t l = 0; l < net->n_layers; l++) n += net->layers[l].nnz;
    return n;
}

size_t pb_csr_nonzero_biases(const pb_csr_net *net)
{
    size_t n = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        for (uint32_t j = 0; j < net->layers[l].rows; j++) n += net->layers[l].bias[j] != 0;
    return n;
}

/* sum_l 8 nnz + 4 nnz + 4 (rows + 1) + 8 rows */
size_t pb_csr_sparse_bytes(const pb_csr_net *net)
{
    size_t b = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const pb_csr_layer *ly = &net->layers[l];
        b += (size_t)ly->nnz * (sizeof *ly->val + sizeof *ly->col) + ((size_t)ly->rows + 1) * sizeof *ly->row_ptr +
             (size_t)ly->rows * sizeof *ly->bias;
    }
    return b;
}

/* 8 n_params */
size_t pb_csr_dense_bytes(const pb_csr_net *net) { return pb_csr_n_params(net) * sizeof(double); }

/* ---- file format ---- */

int pb_csr_save(const pb_csr_net *net, const char *path)
{
    pb_buf pl = {0};
    uint32_t slen = (uint32_t)strlen(net->spec);
    pb_buf_u32(&pl, slen);
    pb_buf_put(&pl, net->spec, slen);
    pb_buf_u32(&pl, (uint32_t)net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++) {
        const pb_csr_layer *ly = &net->layers[l];
        pb_buf_u32(&pl, ly->rows);
        pb_buf_u32(&pl, ly->cols);
        pb_buf_u32(&pl, ly->nnz);
        pb_buf_put(&pl, ly->row_ptr, ((size_t)ly->rows + 1) * sizeof *ly->row_ptr);
        pb_buf_put(&pl, ly->col, (size_t)ly->nnz * sizeof *ly->col);
        pb_buf_put(&pl, ly->val, (size_t)ly->nnz * sizeof *ly->val);
        pb_buf_put(&pl, ly->bias, (size_t)ly->rows * sizeof *ly->bias);
    }
    int st = pb_binfile_write(path, MAGIC, PB_CSR_VERSION, "sparse network file", &pl);
    free(pl.p);
    return st;
}

/* The payload, checksum already verified: spec, then per layer dims, nnz and
 * the four arrays, each checked against the spec and the CSR invariants. */
static int parse_payload(const char *path, pb_reader *r, pb_csr_net *net)
{
    uint32_t slen = pb_reader_u32(r);
    if (r->bad || slen >= sizeof net->spec || slen > r->len - r->pos)
        return pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (model spec length %u)", path, slen);
    pb_reader_get(r, net->spec, slen);
    net->spec[slen] = '\0';
    pb_mlp *m;
    if (pb_mlp_parse(net->spec, &m))
        return pb_error(PB_ERR_FORMAT, "%s: sparse network file holds an invalid model spec '%s'", path, net->spec);
    net->act = m->act, net->head = m->head, net->max_dim = m->max_dim;
    int st = PB_OK;
    uint32_t L = pb_reader_u32(r);
    if (r->bad || L != m->n_layers) {
        st = pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (%u layers, model %s has %zu)", path, L,
                      net->spec, m->n_layers);
        goto done;
    }
    if (!(net->layers = pb_calloc(L, sizeof *net->layers))) { st = PB_ERR_NOMEM; goto done; }
    net->n_layers = L;
    for (size_t l = 0; l < L; l++) {
        uint32_t rows = pb_reader_u32(r), cols = pb_reader_u32(r), nnz = pb_reader_u32(r);
        if (r->bad || rows != m->dims[l + 1] || cols != m->dims[l]) {
            st = pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (layer %zu is %u x %u, model %s needs %zu x %zu)",
                          path, l, rows, cols, net->spec, m->dims[l + 1], m->dims[l]);
            goto done;
        }
        uint64_t need = 4 * ((uint64_t)rows + 1) + 12 * (uint64_t)nnz + 8 * (uint64_t)rows;
        if ((uint64_t)nnz > (uint64_t)rows * cols || need > r->len - r->pos) {
            st = pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (layer %zu: %u nonzeros in %u x %u, "
                          "%zu payload bytes left)", path, l, nnz, rows, cols, r->len - r->pos);
            goto done;
        }
        pb_csr_layer *ly = &net->layers[l];
        if ((st = layer_alloc(ly, rows, cols, nnz))) goto done;
        pb_reader_get(r, ly->row_ptr, ((size_t)rows + 1) * sizeof *ly->row_ptr);
        pb_reader_get(r, ly->col, (size_t)nnz * sizeof *ly->col);
        pb_reader_get(r, ly->val, (size_t)nnz * sizeof *ly->val);
        pb_reader_get(r, ly->bias, (size_t)rows * sizeof *ly->bias);
        if (ly->row_ptr[0] != 0 || ly->row_ptr[rows] != nnz) {
            st = pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (layer %zu: row pointers run %u..%u, "
                          "expected 0..%u)", path, l, ly->row_ptr[0], ly->row_ptr[rows], nnz);
            goto done;
        }
        for (uint32_t j = 0; j < rows; j++) {
            if (ly->row_ptr[j + 1] < ly->row_ptr[j] || ly->row_ptr[j + 1] > nnz) {
                st = pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (layer %zu: row pointer %u decreases)",
                              path, l, j + 1);
                goto done;
            }
            for (uint32_t p = ly->row_ptr[j]; p < ly->row_ptr[j + 1]; p++)
                if (ly->col[p] >= cols || (p > ly->row_ptr[j] && ly->col[p] <= ly->col[p - 1])) {
                    st = pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (layer %zu row %u: column index %u "
                                  "out of range 0..%u or not increasing)", path, l, j, ly->col[p], cols - 1);
                    goto done;
                }
        }
    }
    if (r->bad || r->pos != r->len)
        st = pb_error(PB_ERR_FORMAT, "%s: inconsistent sparse network file (%zu unread payload bytes)", path,
                      r->len - r->pos);
done:
    pb_mlp_free(m);
    return st;
}

int pb_csr_load(const char *path, pb_csr_net *net)
{
    memset(net, 0, sizeof *net);
    unsigned char *data;
    pb_reader r;
    int st = pb_binfile_read(path, MAGIC, PB_CSR_VERSION, "sparse network file", &data, &r);
    if (st) return st;
    st = parse_payload(path, &r, net);
    free(data);
    if (st) pb_csr_free(net);
    return st;
}
