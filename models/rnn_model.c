/* rnn_model.c -- the recurrent networks of rnn.h (Elman and LSTM, real or
 * token inputs) behind the model ops table (model.h): every required entry,
 * group multipliers in the point loss, and compaction. No curvature and no
 * CSR form. Compiled once per precision (base/real.h): the training
 * entries exist in double and float (pb_rnn_ops_f32). */
#include "models/model.h"
#include "models/rnn.h"
#include "base/util.h"
#include "base/real.h"

static const pb_rnn *rnn_of(const pb_model *m) { return m->impl; }

static void *rnn_ws_alloc(const pb_model *m, size_t batch) { return PB_T(pb_rnn_ws_alloc)(rnn_of(m), batch); }

static void rnn_ws_free(void *ws) { PB_T(pb_rnn_ws_free)(ws); }

static int rnn_group_loss_grad(const pb_model *m, void *ws, const pb_real *w, const pb_real *X, const pb_real *y,
                               size_t N, const pb_real *Z, pb_real *dZ, double *loss, pb_real *grad)
{
    return PB_T(pb_rnn_loss_grad)(rnn_of(m), ws, w, X, y, N, Z, dZ, loss, grad);
}

static int rnn_loss_grad(const pb_model *m, void *ws, const pb_real *w, const pb_real *X, const pb_real *y, size_t N,
                         double *loss, pb_real *grad)
{
    return PB_T(pb_rnn_loss_grad)(rnn_of(m), ws, w, X, y, N, NULL, NULL, loss, grad);
}

static int rnn_lrt_loss_grad(const pb_model *m, void *ws, const pb_real *theta, const pb_real *sigma2, const pb_real *X,
                             const pb_real *y, size_t N, const pb_real *Z, pb_real *dZ, gsl_rng *rng, double *loss,
                             pb_real *dtheta, pb_real *dsigma2)
{
    return PB_T(pb_rnn_vd_loss_grad)(rnn_of(m), ws, theta, sigma2, X, y, N, Z, dZ, rng, loss, dtheta, dsigma2);
}

#ifdef PB_F32
const pb_model_ops_f32 pb_rnn_ops_f32 = {
    .ws_alloc = rnn_ws_alloc,
    .ws_free = rnn_ws_free,
    .loss_grad = rnn_loss_grad,
    .lrt_loss_grad = rnn_lrt_loss_grad,
    .group_loss_grad = rnn_group_loss_grad,
};
#else
extern const pb_model_ops_f32 pb_rnn_ops_f32;

static int rnn_parse(const char *spec, pb_model *m)
{
    pb_rnn *r;
    int st = pb_rnn_parse(spec, &r);
    if (st) return st;
    m->impl = r;
    m->head = r->head;
    m->n_params = r->n_params;
    m->in_dim = pb_rnn_in_dim(r);
    m->out_dim = pb_rnn_out_dim(r);
    m->n_tensors = r->n_tensors, m->tensors = r->tensors;
    m->n_groups = r->n_groups, m->groups = r->groups;
    return PB_OK;
}

static void rnn_free(void *impl) { pb_rnn_free(impl); }

static void rnn_init(const pb_model *m, double *w, const gsl_rng *rng) { pb_rnn_init(rnn_of(m), w, rng); }

static void rnn_set_noise_precision(pb_model *m, double beta) { ((pb_rnn *)m->impl)->noise_precision = beta; }

static int rnn_predict(const pb_model *m, void *ws, const double *w, const double *X, size_t N, double *out)
{
    return pb_rnn_predict(rnn_of(m), ws, w, X, N, out);
}

/* Token inputs need token data of the embedding's vocabulary; real inputs
 * need real values. */
static int rnn_check_data(const pb_model *m, size_t in_dim, size_t n_classes, size_t vocab)
{
    (void)in_dim, (void)n_classes;  /* checked by pb_model_check_data */
    const pb_rnn *r = rnn_of(m);
    if (!r->tokens != !vocab)
        return pb_error(PB_ERR_ARG, "model %s takes %s but the data has %s", m->spec,
                        r->tokens ? "token ids" : "real-valued steps", vocab ? "token ids" : "real values");
    if (vocab && vocab != r->V)
        return pb_error(PB_ERR_ARG, "model %s has a vocabulary of %zu but the data's is %zu (its most frequent "
                                    "training words, padding and unknown): use lstm:...xv%zue...", m->spec, r->V, vocab,
                        vocab);
    return PB_OK;
}

/* F = 2 (T G H d + (T - 1) G H H + C H) (h_0 = 0; the embedding lookup is free). */
static double rnn_forward_flops(const pb_model *m)
{
    const pb_rnn *r = rnn_of(m);
    double G = (double)r->G, H = (double)r->H, T = (double)r->T;
    return 2 * (T * G * H * (double)r->d + (T - 1) * G * H * H + (double)(r->C * r->H));
}

static int rnn_compact_build(const pb_model *m, const double *w, void **out)
{
    pb_rnn_compact *c;
    int st = pb_rnn_compact_build(rnn_of(m), w, &c);
    *out = st ? NULL : c;
    return st;
}

static int rnn_compact_predict(const void *c, const double *X, size_t N, double *out)
{
    return pb_rnn_compact_predict(c, X, N, out);
}

static int rnn_compact_structure(const void *c, pb_structure *s) { return pb_rnn_compact_structure(c, s); }

static void rnn_compact_free(void *c) { pb_rnn_compact_free(c); }

static int rnn_gate_constants(const void *c, size_t *n_units, size_t *n_gates, size_t *unit, int *is_const,
                              double *value)
{
    return pb_rnn_gate_constants(c, n_units, n_gates, unit, is_const, value);
}

const pb_model_ops pb_rnn_ops = {
    .parse = rnn_parse,
    .free = rnn_free,
    .init = rnn_init,
    .set_noise_precision = rnn_set_noise_precision,
    .ws_alloc = rnn_ws_alloc,
    .ws_free = rnn_ws_free,
    .loss_grad = rnn_loss_grad,
    .lrt_loss_grad = rnn_lrt_loss_grad,
    .predict = rnn_predict,
    .check_data = rnn_check_data,
    .forward_flops = rnn_forward_flops,
    .group_loss_grad = rnn_group_loss_grad,
    .compact_build = rnn_compact_build,
    .compact_predict = rnn_compact_predict,
    .compact_structure = rnn_compact_structure,
    .compact_free = rnn_compact_free,
    .gate_constants = rnn_gate_constants,
    .f32 = &pb_rnn_ops_f32,
};
#endif /* PB_F32 */
