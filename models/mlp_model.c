/* mlp_model.c -- the MLP (mlp.h, mlp_lrt.h) behind the model ops table
 * (model.h): every required entry, curvature (exact and Gauss-Newton) and
 * the dense-layer view for CSR export. No compaction, and no group
 * multipliers in the point loss (its variational step takes them).
 * Compiled once per precision (base/real.h): the training entries exist
 * in double and float (pb_mlp_ops_f32). */
#include "models/model.h"
#include "models/mlp.h"
#include "models/mlp_lrt.h"
#include "base/util.h"
#include "base/real.h"

#include <stdlib.h>

static const pb_mlp *mlp_of(const pb_model *m) { return m->impl; }

typedef struct mlp_ws {
    PB_T(pb_mlp_ws) *mlp;
    PB_T(pb_lrt_ws) *lrt;     /* allocated on the first variational step */
    size_t batch;
} mlp_ws;

static void mlp_ws_free(void *p)
{
    mlp_ws *ws = p;
    if (!ws) return;
    PB_T(pb_mlp_ws_free)(ws->mlp);
    PB_T(pb_lrt_ws_free)(ws->lrt);
    free(ws);
}

static void *mlp_ws_alloc(const pb_model *m, size_t batch)
{
    mlp_ws *ws = pb_calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->batch = batch;
    if (!(ws->mlp = PB_T(pb_mlp_ws_alloc)(mlp_of(m), batch))) {
        mlp_ws_free(ws);
        return NULL;
    }
    return ws;
}

static int mlp_loss_grad(const pb_model *m, void *ws, const pb_real *w, const pb_real *X, const pb_real *y, size_t N,
                         double *loss, pb_real *grad)
{
    return PB_T(pb_mlp_loss_grad)(mlp_of(m), ((mlp_ws *)ws)->mlp, w, X, y, N, loss, grad);
}

static int mlp_lrt_loss_grad(const pb_model *m, void *p, const pb_real *theta, const pb_real *sigma2, const pb_real *X,
                             const pb_real *y, size_t N, const pb_real *Z, pb_real *dZ, gsl_rng *rng, double *loss,
                             pb_real *dtheta, pb_real *dsigma2)
{
    mlp_ws *ws = p;
    if (!ws->lrt && !(ws->lrt = PB_T(pb_lrt_ws_alloc)(mlp_of(m), ws->batch))) return PB_ERR_NOMEM;
    return PB_T(pb_lrt_loss_grad)(mlp_of(m), ws->lrt, theta, sigma2, X, y, N, Z, dZ, rng, loss, dtheta, dsigma2);
}

#ifdef PB_F32
const pb_model_ops_f32 pb_mlp_ops_f32 = {
    .ws_alloc = mlp_ws_alloc,
    .ws_free = mlp_ws_free,
    .loss_grad = mlp_loss_grad,
    .lrt_loss_grad = mlp_lrt_loss_grad,
};
#else
extern const pb_model_ops_f32 pb_mlp_ops_f32;

static int mlp_parse(const char *spec, pb_model *m)
{
    pb_mlp *p;
    int st = pb_mlp_parse(spec, &p);
    if (st) return st;
    m->impl = p;
    m->head = p->head;
    m->n_params = p->n_params;
    m->in_dim = pb_mlp_in_dim(p);
    m->out_dim = pb_mlp_out_dim(p);
    m->n_tensors = p->n_tensors, m->tensors = p->tensors;
    m->n_groups = p->n_groups, m->groups = p->groups;
    return PB_OK;
}

static void mlp_free(void *impl) { pb_mlp_free(impl); }

static void mlp_init(const pb_model *m, double *w, const gsl_rng *rng) { pb_mlp_init(mlp_of(m), w, rng); }

static void mlp_set_noise_precision(pb_model *m, double beta) { ((pb_mlp *)m->impl)->noise_precision = beta; }

static int mlp_predict(const pb_model *m, void *ws, const double *w, const double *X, size_t N, double *out)
{
    return pb_mlp_predict(mlp_of(m), ((mlp_ws *)ws)->mlp, w, X, N, out);
}

/* F = 2 W, W the entries of the weight matrices. */
static double mlp_forward_flops(const pb_model *m)
{
    const pb_mlp *p = mlp_of(m);
    double w = 0;
    for (size_t l = 0; l < p->n_layers; l++) w += (double)(p->dims[l] * p->dims[l + 1]);
    return 2 * w;
}

static int mlp_hessian_vec(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                           const double *v, int exact, double *out)
{
    return pb_mlp_hessian_vec(mlp_of(m), ((mlp_ws *)ws)->mlp, w, X, y, N, v, exact, out);
}

static int mlp_hessian_diag(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                            int exact, double *diag)
{
    if (exact) return pb_mlp_hessian_diag(mlp_of(m), ((mlp_ws *)ws)->mlp, w, X, y, N, diag);
    return pb_mlp_gn_diag(mlp_of(m), ((mlp_ws *)ws)->mlp, w, X, y, N, diag);
}

static int mlp_gn_matrix(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                         double *G)
{
    return pb_mlp_gn_matrix(mlp_of(m), ((mlp_ws *)ws)->mlp, w, X, y, N, G);
}

const pb_model_ops pb_mlp_ops = {
    .parse = mlp_parse,
    .free = mlp_free,
    .init = mlp_init,
    .set_noise_precision = mlp_set_noise_precision,
    .ws_alloc = mlp_ws_alloc,
    .ws_free = mlp_ws_free,
    .loss_grad = mlp_loss_grad,
    .lrt_loss_grad = mlp_lrt_loss_grad,
    .predict = mlp_predict,
    .check_data = NULL,  /* real values only */
    .forward_flops = mlp_forward_flops,
    .hessian_vec = mlp_hessian_vec,
    .hessian_diag = mlp_hessian_diag,
    .gn_matrix = mlp_gn_matrix,
    .dense_layers = mlp_of,
    .f32 = &pb_mlp_ops_f32,
};
#endif /* PB_F32 */
