/* model.c -- see model.h: the generic half of every model (the variable
 * group index, the prunable mask, data checks, capability queries) and the
 * dispatch through the ops table. Nothing here names a model. */
#include "models/model.h"
#include "base/util.h"
#include "base/vmath.h"

#include <stdlib.h>
#include <string.h>

struct pb_model_ws {
    const pb_model *m;
    void *impl;             /* the model's workspace in double (PB_PRECISION_F64), or NULL until a double service asks */
    size_t batch;
    pb_precision precision;
    void *impl32;           /* PB_PRECISION_F32: the model's float workspace */
    /* PB_PRECISION_F32: float copies of the caller's buffers, grown on demand */
    float *w, *s2, *g, *gs2;    /* n_params each */
    float *X, *y, *Z, *dZ;
    size_t cap_X, cap_y, cap_Z, cap_dZ;
};

const char *pb_precision_name(pb_precision p) { return p == PB_PRECISION_F32 ? "f32" : "f64"; }

int pb_precision_parse(const char *s, pb_precision *p)
{
    if (!strcmp(s, "f64") || !strcmp(s, "double")) *p = PB_PRECISION_F64;
    else if (!strcmp(s, "f32") || !strcmp(s, "float")) *p = PB_PRECISION_F32;
    else return pb_error(PB_ERR_ARG, "precision '%s': expected f64 or f32", s);
    return PB_OK;
}

struct pb_model_compact {
    const pb_model_ops *ops;
    void *impl;
};

static int index_variable_groups(pb_model *m)
{
    size_t nv = 0;
    for (size_t g = 0; g < m->n_groups; g++) nv += m->groups[g].variable != 0;
    m->n_variable_groups = nv;
    m->variable_group = pb_calloc(nv ? nv : 1, sizeof *m->variable_group);
    if (!m->variable_group) return pb_error(PB_ERR_NOMEM, "out of memory");
    for (size_t g = 0, k = 0; g < m->n_groups; g++)
        if (m->groups[g].variable) m->variable_group[k++] = g;
    return PB_OK;
}

int pb_model_parse(const char *spec, pb_model **out)
{
    *out = NULL;
    const pb_model_ops *ops = pb_model_lookup(spec);
    if (!ops) return pb_error(PB_ERR_ARG, "model '%s': expected %s", spec, pb_model_prefixes());
    if (strlen(spec) >= sizeof ((pb_model *)0)->spec) return pb_error(PB_ERR_ARG, "model spec '%s' is too long", spec);
    pb_model *m = pb_calloc(1, sizeof *m);
    if (!m) return pb_error(PB_ERR_NOMEM, "out of memory");
    snprintf(m->spec, sizeof m->spec, "%s", spec);
    m->ops = ops;
    int st = ops->parse(spec, m);
    if (!st) st = index_variable_groups(m);
    if (st) {
        pb_model_free(m);
        return st;
    }
    *out = m;
    return PB_OK;
}

void pb_model_free(pb_model *m)
{
    if (!m) return;
    if (m->impl) m->ops->free(m->impl);
    free(m->variable_group);
    free(m);
}

void pb_model_init(const pb_model *m, double *w, const gsl_rng *rng) { m->ops->init(m, w, rng); }

void pb_model_set_noise_precision(pb_model *m, double beta) { m->ops->set_noise_precision(m, beta); }

size_t pb_model_prunable(const pb_model *m, int include_biases, unsigned char *mask)
{
    return pb_tensor_mask(m->tensors, m->n_tensors, m->n_params, include_biases, mask);
}

pb_model_ws *pb_model_ws_alloc(const pb_model *m, size_t batch) { return pb_model_ws_alloc_precision(m, batch, PB_PRECISION_F64); }

pb_model_ws *pb_model_ws_alloc_precision(const pb_model *m, size_t batch, pb_precision p)
{
    if (p == PB_PRECISION_F32 && pb_model_require(m, PB_CAP_FLOAT32, "training in f32")) return NULL;
    pb_model_ws *ws = pb_calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->m = m;
    ws->batch = batch;
    ws->precision = p;
    size_t n = m->n_params;
    int ok = p == PB_PRECISION_F32 ? (ws->impl32 = m->ops->f32->ws_alloc(m, batch)) != NULL &&
                               (ws->w = pb_calloc(n, sizeof *ws->w)) && (ws->s2 = pb_calloc(n, sizeof *ws->s2)) &&
                               (ws->g = pb_calloc(n, sizeof *ws->g)) && (ws->gs2 = pb_calloc(n, sizeof *ws->gs2))
                         : (ws->impl = m->ops->ws_alloc(m, batch)) != NULL;
    if (!ok) {
        pb_model_ws_free(ws);
        return NULL;
    }
    return ws;
}

void pb_model_ws_free(pb_model_ws *ws)
{
    if (!ws) return;
    if (ws->impl) ws->m->ops->ws_free(ws->impl);
    if (ws->impl32) ws->m->ops->f32->ws_free(ws->impl32);
    free(ws->w), free(ws->s2), free(ws->g), free(ws->gs2);
    free(ws->X), free(ws->y), free(ws->Z), free(ws->dZ);
    free(ws);
}

/* The double workspace of ws, allocated on first use in a float one. */
static void *impl64(pb_model_ws *ws)
{
    if (!ws->impl) ws->impl = ws->m->ops->ws_alloc(ws->m, ws->batch);
    return ws->impl;
}

/* *buf (capacity *cap floats) holds at least n; 0 or PB_ERR_NOMEM. */
static int reserve(float **buf, size_t *cap, size_t n)
{
    if (n <= *cap) return PB_OK;
    float *p = realloc(*buf, (n ? n : 1) * sizeof *p);
    if (!p) return pb_error(PB_ERR_NOMEM, "out of memory for the float copy of a batch");
    *buf = p, *cap = n;
    return PB_OK;
}

/* Float copies of a call's samples: X (N x in_dim), y (N labels or N x
 * out_dim targets), Z (N x n_variable_groups; NULL stays NULL; with dZ a
 * buffer for dL/dZ of the same shape). */
static int narrow_samples(pb_model_ws *ws, const double *X, const double *y, const double *Z, int want_dZ, size_t N)
{
    const pb_model *m = ws->m;
    size_t nx = N * m->in_dim, ny = N * (m->head == PB_HEAD_CE ? 1 : m->out_dim), nz = N * m->n_variable_groups;
    int st = reserve(&ws->X, &ws->cap_X, nx);
    if (!st) st = reserve(&ws->y, &ws->cap_y, ny);
    if (!st && (Z || want_dZ)) {
        st = reserve(&ws->Z, &ws->cap_Z, nz);
        if (!st) st = reserve(&ws->dZ, &ws->cap_dZ, nz);
    }
    if (st) return st;
    pb_vnarrow(nx, X, ws->X);
    pb_vnarrow(ny, y, ws->y);
    if (Z) pb_vnarrow(nz, Z, ws->Z);
    return PB_OK;
}

int pb_model_loss_grad(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, const double *Z, double *dZ, double *loss, double *grad)
{
    int st = Z || dZ ? pb_model_require(m, PB_CAP_GROUP_LOSS, "a point loss with group multipliers") : PB_OK;
    if (st) return st;
    if (ws->precision == PB_PRECISION_F64) {
        if (!Z && !dZ) return m->ops->loss_grad(m, ws->impl, w, X, y, N, loss, grad);
        return m->ops->group_loss_grad(m, ws->impl, w, X, y, N, Z, dZ, loss, grad);
    }
    const pb_model_ops_f32 *f = m->ops->f32;
    size_t n = m->n_params;
    if ((st = narrow_samples(ws, X, y, Z, dZ != NULL, N))) return st;
    pb_vnarrow(n, w, ws->w);
    float *g = grad ? ws->g : NULL, *dz = dZ ? ws->dZ : NULL;
    st = !Z && !dZ ? f->loss_grad(m, ws->impl32, ws->w, ws->X, ws->y, N, loss, g)
                   : f->group_loss_grad(m, ws->impl32, ws->w, ws->X, ws->y, N, Z ? ws->Z : NULL, dz, loss, g);
    if (st) return st;
    if (grad) pb_vwiden(n, g, grad);
    if (dZ) pb_vwiden(N * m->n_variable_groups, dz, dZ);
    return PB_OK;
}

int pb_model_lrt_loss_grad(const pb_model *m, pb_model_ws *ws, const double *theta, const double *sigma2,
                           const double *X, const double *y, size_t N, const double *Z, double *dZ, gsl_rng *rng,
                           double *loss, double *dtheta, double *dsigma2)
{
    if (N > ws->batch) return pb_error(PB_ERR_ARG, "model %s: %zu samples exceed the workspace's %zu", m->spec, N, ws->batch);
    if (ws->precision == PB_PRECISION_F64)
        return m->ops->lrt_loss_grad(m, ws->impl, theta, sigma2, X, y, N, Z, dZ, rng, loss, dtheta, dsigma2);
    size_t n = m->n_params;
    int st = narrow_samples(ws, X, y, Z, dZ != NULL, N);
    if (st) return st;
    pb_vnarrow(n, theta, ws->w);
    pb_vnarrow(n, sigma2, ws->s2);
    float *dz = dZ ? ws->dZ : NULL, *gt = dtheta ? ws->g : NULL, *gs = dsigma2 ? ws->gs2 : NULL;
    st = m->ops->f32->lrt_loss_grad(m, ws->impl32, ws->w, ws->s2, ws->X, ws->y, N, Z ? ws->Z : NULL, dz, rng, loss,
                                    gt, gs);
    if (st) return st;
    if (dtheta) pb_vwiden(n, gt, dtheta);
    if (dsigma2) pb_vwiden(n, gs, dsigma2);
    if (dZ) pb_vwiden(N * m->n_variable_groups, dz, dZ);
    return PB_OK;
}

int pb_model_predict(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, size_t N, double *out)
{
    void *impl = impl64(ws);
    if (!impl) return PB_ERR_NOMEM;
    return m->ops->predict(m, impl, w, X, N, out);
}

int pb_model_check_data(const pb_model *m, size_t in_dim, size_t n_classes, size_t vocab)
{
    if (in_dim != m->in_dim)
        return pb_error(PB_ERR_ARG, "model %s takes %zu inputs per sample but the data has %zu", m->spec, m->in_dim,
                        in_dim);
    if ((n_classes > 0) != (m->head == PB_HEAD_CE))
        return pb_error(PB_ERR_ARG, "model %s has a %s head but the data is a %s task", m->spec,
                        m->head == PB_HEAD_CE ? "ce" : "mse", n_classes ? "classification" : "regression");
    if (n_classes && n_classes != m->out_dim)
        return pb_error(PB_ERR_ARG, "model %s has %zu outputs but the data has %zu classes", m->spec, m->out_dim,
                        n_classes);
    if (m->ops->check_data) return m->ops->check_data(m, in_dim, n_classes, vocab);
    if (vocab)
        return pb_error(PB_ERR_ARG, "the data holds token ids: model %s reads real values (a model with an embedding "
                                    "does: lstm:<T>xv<V>e<E>-...)", m->spec);
    return PB_OK;
}

double pb_model_forward_flops(const pb_model *m) { return m->ops->forward_flops(m); }

/* ---- capabilities ---- */

static const char *const capability_name[PB_CAP_COUNT] = {"curvature", "csr", "compact", "group-loss", "float32"};
static const char *const capability_text[PB_CAP_COUNT] = {
    "Hessian-vector products and diagonals (curvature)",
    "a sparse CSR form of the pruned network (csr)",
    "a compact network without removed groups (compact)",
    "group multipliers in the point loss (group-loss)",
    "a float32 training path (float32)",
};

const char *pb_model_capability_name(pb_model_capability cap)
{
    return (unsigned)cap < PB_CAP_COUNT ? capability_name[cap] : "?";
}

int pb_model_has(const pb_model *m, pb_model_capability cap)
{
    const pb_model_ops *o = m->ops;
    switch (cap) {
    case PB_CAP_CURVATURE: return o->hessian_vec && o->hessian_diag && o->gn_matrix;
    case PB_CAP_CSR: return o->dense_layers != NULL;
    case PB_CAP_COMPACT: return o->compact_build && o->compact_predict && o->compact_structure && o->compact_free;
    case PB_CAP_GROUP_LOSS: return o->group_loss_grad != NULL;
    case PB_CAP_FLOAT32:
        return o->f32 && o->f32->ws_alloc && o->f32->ws_free && o->f32->loss_grad && o->f32->lrt_loss_grad &&
               (!o->group_loss_grad || o->f32->group_loss_grad);
    default: return 0;
    }
}

int pb_model_require(const pb_model *m, pb_model_capability cap, const char *what)
{
    if (pb_model_has(m, cap)) return PB_OK;
    return pb_error(PB_ERR_ARG, "%s needs %s, which model '%s' does not offer", what,
                    (unsigned)cap < PB_CAP_COUNT ? capability_text[cap] : "an unknown capability", m->spec);
}

int pb_model_hessian_vec(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                         size_t N, const double *v, int exact, double *out)
{
    int st = pb_model_require(m, PB_CAP_CURVATURE, "a Hessian-vector product");
    if (st) return st;
    void *impl = impl64(ws);
    return impl ? m->ops->hessian_vec(m, impl, w, X, y, N, v, exact, out) : PB_ERR_NOMEM;
}

int pb_model_hessian_diag(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                          size_t N, int exact, double *diag)
{
    int st = pb_model_require(m, PB_CAP_CURVATURE, "a Hessian diagonal");
    if (st) return st;
    void *impl = impl64(ws);
    return impl ? m->ops->hessian_diag(m, impl, w, X, y, N, exact, diag) : PB_ERR_NOMEM;
}

int pb_model_gn_matrix(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, double *G)
{
    int st = pb_model_require(m, PB_CAP_CURVATURE, "a Gauss-Newton matrix");
    if (st) return st;
    void *impl = impl64(ws);
    return impl ? m->ops->gn_matrix(m, impl, w, X, y, N, G) : PB_ERR_NOMEM;
}

const pb_mlp *pb_model_dense_layers(const pb_model *m)
{
    return m->ops->dense_layers ? m->ops->dense_layers(m) : NULL;
}

int pb_model_compact_build(const pb_model *m, const double *w, pb_model_compact **out)
{
    *out = NULL;
    int st = pb_model_require(m, PB_CAP_COMPACT, "a compact network");
    if (st) return st;
    pb_model_compact *c = pb_calloc(1, sizeof *c);
    if (!c) return pb_error(PB_ERR_NOMEM, "out of memory");
    c->ops = m->ops;
    if ((st = m->ops->compact_build(m, w, &c->impl))) {
        free(c);
        return st;
    }
    *out = c;
    return PB_OK;
}

int pb_model_compact_predict(const pb_model_compact *c, const double *X, size_t N, double *out)
{
    return c->ops->compact_predict(c->impl, X, N, out);
}

int pb_model_compact_structure(const pb_model_compact *c, pb_structure *s)
{
    return c->ops->compact_structure(c->impl, s);
}

int pb_model_gate_constants(const pb_model_compact *c, size_t *n_units, size_t *n_gates, size_t *unit, int *is_const,
                            double *value)
{
    if (!c->ops->gate_constants) return pb_error(PB_ERR_ARG, "this model's compact network has no gates");
    return c->ops->gate_constants(c->impl, n_units, n_gates, unit, is_const, value);
}

void pb_model_compact_free(pb_model_compact *c)
{
    if (!c) return;
    c->ops->compact_free(c->impl);
    free(c);
}

const char *pb_model_tensor_of(const pb_model *m, size_t j)
{
    for (size_t t = 0; t < m->n_tensors; t++)
        if (j >= m->tensors[t].offset && j < m->tensors[t].offset + m->tensors[t].rows * m->tensors[t].cols)
            return m->tensors[t].name;
    return "?";
}

const char *pb_group_kind_name(pb_group_kind k)
{
    switch (k) {
    case PB_GROUP_INPUT_NEURON: return "input";
    case PB_GROUP_OUTPUT_NEURON: return "output";
    case PB_GROUP_HIDDEN_NEURON: return "hidden";
    case PB_GROUP_GATE: return "gate";
    case PB_GROUP_VOCABULARY: return "vocabulary";
    }
    return "?";
}
