/* model.c -- see model.h. */
#include "models/model.h"
#include "models/mlp_lrt.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

struct pb_model_ws {
    pb_mlp_ws *mlp;
    pb_lrt_ws *lrt;
    pb_rnn_ws *rnn;
    size_t batch;
};

static int finish(pb_model *m)
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
    pb_model *m = pb_calloc(1, sizeof *m);
    if (!m) return pb_error(PB_ERR_NOMEM, "out of memory");
    snprintf(m->spec, sizeof m->spec, "%s", spec);
    int st;
    if (!strncmp(spec, "mlp:", 4)) {
        if ((st = pb_mlp_parse(spec, &m->mlp))) goto fail;
        m->kind = PB_MODEL_MLP;
        m->head = m->mlp->head;
        m->n_params = m->mlp->n_params;
        m->in_dim = pb_mlp_in_dim(m->mlp);
        m->out_dim = pb_mlp_out_dim(m->mlp);
        m->n_tensors = m->mlp->n_tensors, m->tensors = m->mlp->tensors;
        m->n_groups = m->mlp->n_groups, m->groups = m->mlp->groups;
    } else if (!strncmp(spec, "lstm:", 5) || !strncmp(spec, "rnn:", 4)) {
        if ((st = pb_rnn_parse(spec, &m->rnn))) goto fail;
        m->kind = PB_MODEL_RNN;
        m->head = m->rnn->head;
        m->n_params = m->rnn->n_params;
        m->in_dim = pb_rnn_in_dim(m->rnn);
        m->out_dim = pb_rnn_out_dim(m->rnn);
        m->n_tensors = m->rnn->n_tensors, m->tensors = m->rnn->tensors;
        m->n_groups = m->rnn->n_groups, m->groups = m->rnn->groups;
    } else {
        st = pb_error(PB_ERR_ARG, "model '%s': expected mlp:..., lstm:... or rnn:...", spec);
        goto fail;
    }
    if ((st = finish(m))) goto fail;
    *out = m;
    return PB_OK;
fail:
    pb_model_free(m);
    return st;
}

void pb_model_free(pb_model *m)
{
    if (!m) return;
    pb_mlp_free(m->mlp);
    pb_rnn_free(m->rnn);
    free(m->variable_group);
    free(m);
}

void pb_model_init(const pb_model *m, double *w, const gsl_rng *rng)
{
    if (m->mlp) pb_mlp_init(m->mlp, w, rng);
    else pb_rnn_init(m->rnn, w, rng);
}

void pb_model_set_noise_precision(pb_model *m, double beta)
{
    if (m->mlp) m->mlp->noise_precision = beta;
    else m->rnn->noise_precision = beta;
}

size_t pb_model_prunable(const pb_model *m, int include_biases, unsigned char *mask)
{
    return pb_tensor_mask(m->tensors, m->n_tensors, m->n_params, include_biases, mask);
}

pb_model_ws *pb_model_ws_alloc(const pb_model *m, size_t batch)
{
    pb_model_ws *ws = pb_calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->batch = batch;
    if (m->mlp ? !(ws->mlp = pb_mlp_ws_alloc(m->mlp, batch)) : !(ws->rnn = pb_rnn_ws_alloc(m->rnn, batch))) {
        pb_model_ws_free(ws);
        return NULL;
    }
    return ws;
}

void pb_model_ws_free(pb_model_ws *ws)
{
    if (!ws) return;
    pb_mlp_ws_free(ws->mlp);
    pb_lrt_ws_free(ws->lrt);
    pb_rnn_ws_free(ws->rnn);
    free(ws);
}

int pb_model_loss_grad(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, const double *Z, double *dZ, double *loss, double *grad)
{
    if (m->rnn) return pb_rnn_loss_grad(m->rnn, ws->rnn, w, X, y, N, Z, dZ, loss, grad);
    if (Z || dZ) return pb_error(PB_ERR_ARG, "model %s: group variables need local reparameterization", m->spec);
    return pb_mlp_loss_grad(m->mlp, ws->mlp, w, X, y, N, loss, grad);
}

int pb_model_lrt_loss_grad(const pb_model *m, pb_model_ws *ws, const double *theta, const double *sigma2,
                           const double *X, const double *y, size_t N, const double *Z, double *dZ, gsl_rng *rng,
                           double *loss, double *dtheta, double *dsigma2)
{
    if (m->rnn) return pb_rnn_vd_loss_grad(m->rnn, ws->rnn, theta, sigma2, X, y, N, Z, dZ, rng, loss, dtheta, dsigma2);
    if (!ws->lrt && !(ws->lrt = pb_lrt_ws_alloc(m->mlp, ws->batch))) return PB_ERR_NOMEM;
    if (N > ws->batch) return pb_error(PB_ERR_ARG, "model %s: %zu samples exceed the workspace's %zu", m->spec, N, ws->batch);
    return pb_lrt_loss_grad(m->mlp, ws->lrt, theta, sigma2, X, y, N, Z, dZ, rng, loss, dtheta, dsigma2);
}

int pb_model_predict(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, size_t N, double *out)
{
    if (m->rnn) return pb_rnn_predict(m->rnn, ws->rnn, w, X, N, out);
    return pb_mlp_predict(m->mlp, ws->mlp, w, X, N, out);
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

static const char *const capability_name[PB_CAP_COUNT] = {"curvature", "csr", "compact"};
static const char *const capability_text[PB_CAP_COUNT] = {
    "Hessian-vector products and diagonals (curvature)",
    "a sparse CSR form of the pruned network (csr)",
    "a compact network without removed groups (compact)",
};

const char *pb_model_capability_name(pb_model_capability cap)
{
    return (unsigned)cap < PB_CAP_COUNT ? capability_name[cap] : "?";
}

int pb_model_has(const pb_model *m, pb_model_capability cap)
{
    switch (cap) {
    case PB_CAP_CURVATURE: return m->kind == PB_MODEL_MLP;
    case PB_CAP_CSR: return m->kind == PB_MODEL_MLP;
    case PB_CAP_COMPACT: return m->kind == PB_MODEL_RNN;
    default: return 0;
    }
}

int pb_model_require(const pb_model *m, pb_model_capability cap, const char *what)
{
    if (pb_model_has(m, cap)) return PB_OK;
    return pb_error(PB_ERR_ARG, "%s needs %s, which model '%s' does not offer", what,
                    (unsigned)cap < PB_CAP_COUNT ? capability_text[cap] : "an unknown capability", m->spec);
}
