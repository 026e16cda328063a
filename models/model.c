/* model.c -- see model.h: the generic half of every model (the variable
 * group index, the prunable mask, data checks, capability queries) and the
 * dispatch through the ops table. Nothing here names a model. */
#include "models/model.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

struct pb_model_ws {
    const pb_model *m;
    void *impl;
    size_t batch;
};

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

pb_model_ws *pb_model_ws_alloc(const pb_model *m, size_t batch)
{
    pb_model_ws *ws = pb_calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->m = m;
    ws->batch = batch;
    if (!(ws->impl = m->ops->ws_alloc(m, batch))) {
        free(ws);
        return NULL;
    }
    return ws;
}

void pb_model_ws_free(pb_model_ws *ws)
{
    if (!ws) return;
    ws->m->ops->ws_free(ws->impl);
    free(ws);
}

int pb_model_loss_grad(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, const double *Z, double *dZ, double *loss, double *grad)
{
    if (!Z && !dZ) return m->ops->loss_grad(m, ws->impl, w, X, y, N, loss, grad);
    int st = pb_model_require(m, PB_CAP_GROUP_LOSS, "a point loss with group multipliers");
    if (st) return st;
    return m->ops->group_loss_grad(m, ws->impl, w, X, y, N, Z, dZ, loss, grad);
}

int pb_model_lrt_loss_grad(const pb_model *m, pb_model_ws *ws, const double *theta, const double *sigma2,
                           const double *X, const double *y, size_t N, const double *Z, double *dZ, gsl_rng *rng,
                           double *loss, double *dtheta, double *dsigma2)
{
    if (N > ws->batch) return pb_error(PB_ERR_ARG, "model %s: %zu samples exceed the workspace's %zu", m->spec, N, ws->batch);
    return m->ops->lrt_loss_grad(m, ws->impl, theta, sigma2, X, y, N, Z, dZ, rng, loss, dtheta, dsigma2);
}

int pb_model_predict(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, size_t N, double *out)
{
    return m->ops->predict(m, ws->impl, w, X, N, out);
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

static const char *const capability_name[PB_CAP_COUNT] = {"curvature", "csr", "compact", "group-loss"};
static const char *const capability_text[PB_CAP_COUNT] = {
    "Hessian-vector products and diagonals (curvature)",
    "a sparse CSR form of the pruned network (csr)",
    "a compact network without removed groups (compact)",
    "group multipliers in the point loss (group-loss)",
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
    return st ? st : m->ops->hessian_vec(m, ws->impl, w, X, y, N, v, exact, out);
}

int pb_model_hessian_diag(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                          size_t N, int exact, double *diag)
{
    int st = pb_model_require(m, PB_CAP_CURVATURE, "a Hessian diagonal");
    return st ? st : m->ops->hessian_diag(m, ws->impl, w, X, y, N, exact, diag);
}

int pb_model_gn_matrix(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, double *G)
{
    int st = pb_model_require(m, PB_CAP_CURVATURE, "a Gauss-Newton matrix");
    return st ? st : m->ops->gn_matrix(m, ws->impl, w, X, y, N, G);
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
