/* hyper.c -- seed 003 (protocol P5) training: the hypernetworks of
 * train/hyper.h (every tensor of their gradient against central
 * differences, low-rank and linear), the hypernetwork family's step (the
 * gradient it hands to the optimizer against central differences of the
 * step's objective, through generation, the local reparameterization trick
 * and the lambda-weighted KL), the counted updates (closed forms in the
 * steps taken), the gauss-diag options (lambda = 1 given is the default bit
 * for bit; one SGD step is x - lr g of the same gradient Adam sees; the
 * lrt gradient against central differences), the generalized evidence
 * (closed forms at a point mass and at q = p), the hypernetwork file (round
 * trip, a flipped byte refused), and through the CLI on wine: hyper-train
 * (paused and resumed: the same bits), hyper-gen, and rank, curve, evaluate, export and train --init-fit on the
 * generated fit. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "formats/fit.h"
#include "formats/hypernet.h"
#include "models/model.h"
#include "train/driver.h"
#include "train/hyper.h"
#include "train/train.h"
#include "base/util.h"

/* L(u) = dg . G_u(lambda) */
static double dot_gen(const pb_hyper *h, const double *u, double lambda, double *ws, double *g, const double *dg)
{
    pb_hyper_forward(h, u, lambda, ws, g);
    double s = 0;
    for (size_t j = 0; j < 2 * h->n; j++) s += dg[j] * g[j];
    return s;
}

/* max relative error of du over u[a .. b) against central differences */
static double check_range(const pb_hyper *h, double *u, double lambda, double *ws, double *g, const double *dg,
                          const double *du, size_t a, size_t b, double *gmax)
{
    double e = 0, step = 1e-5;
    *gmax = 0;
    for (size_t j = a; j < b; j++) {
        double keep = u[j];
        u[j] = keep + step;
        double lp = dot_gen(h, u, lambda, ws, g, dg);
        u[j] = keep - step;
        double lm = dot_gen(h, u, lambda, ws, g, dg);
        u[j] = keep;
        double fd = (lp - lm) / (2 * step);
        e = fmax(e, fabs(fd - du[j]) / (1e-6 + fabs(fd)));
        *gmax = fmax(*gmax, fabs(du[j]));
    }
    return e;
}

static void test_generators(const pb_model *m)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(rng);
    gsl_rng_set(rng, 11);
    for (int kind = 0; kind < 2; kind++) {
        pb_hyper h;
        TAP_REQUIRE(pb_hyper_alloc(&h, m, (pb_hyper_kind)kind, 6) == 0);
        const char *name = pb_hyper_kind_name(h.kind);
        size_t n = h.n, H = h.hidden, T = m->n_tensors;
        size_t want_u = kind == PB_HYPER_LINEAR ? 4 * n : 2 * n + 2 * H;
        if (kind == PB_HYPER_LOWRANK)
            for (size_t k = 0; k < T; k++) want_u += 2 * H * (m->tensors[k].rows + m->tensors[k].cols);
        is_int((long long)h.n_u, (long long)want_u, "%s: %zu hypernetwork values for %zu parameters", name, h.n_u, n);
        double *u = calloc(h.n_u, sizeof *u), *du = calloc(h.n_u, sizeof *du), *g = calloc(2 * n, sizeof *g),
               *dg = calloc(2 * n, sizeof *dg), *ws = calloc(h.ws_len, sizeof *ws);
        TAP_REQUIRE(u && du && g && dg && ws);
        for (size_t j = 0; j < h.n_u; j++) u[j] = gsl_ran_gaussian(rng, 0.7);
        if (kind == PB_HYPER_LOWRANK)  /* keep every z = t alpha + gamma away from the ReLU's kink */
            for (size_t c = 0; c < H; c++) {
                u[2 * n + c] = (c % 2 ? 1.0 : -1.0) * (0.5 + 0.1 * (double)c);
                u[2 * n + H + c] = c % 3 ? 0.6 : -0.3;
            }
        for (size_t j = 0; j < 2 * n; j++) dg[j] = gsl_ran_gaussian(rng, 1.0);
        const double lambdas[2] = {0.3, 37.0};
        for (int li = 0; li < 2; li++) {
            double lambda = lambdas[li], gmax;
            pb_hyper_forward(&h, u, lambda, ws, g);
            /* the forward pass against the equations, one entry of each kind */
            if (kind == PB_HYPER_LINEAR) {
                ok(g[3] == lambda * u[2 * n + 3] + u[3], "linear: G = lambda b2 + b3 (lambda %g)", lambda);
            } else {
                const pb_hyper_tensor *t = &h.t[T];  /* the first tensor of the log-variances */
                double tt = log10(lambda), p = 0, q = 0;
                for (size_t c = 0; c < H; c++) {
                    double f = fmax(0, tt * u[2 * n + c] + u[2 * n + H + c]);
                    p += f * u[t->u1 + c * t->rows + 1];
                    q += f * u[t->u2 + c * t->cols + 2];
                }
                double want = p * q / (double)H + u[t->g_off + 1 * t->cols + 2];
                is_double(g[t->g_off + t->cols + 2], want, 1e-12 * (1 + fabs(want)),
                          "lowrank: G[1,2] of the log-variances' first tensor = (f U1)_1 (f U2)_2 / H + B1[1,2] (lambda %g)",
                          lambda);
            }
            pb_hyper_backward(&h, u, lambda, ws, dg, du);
            double e = check_range(&h, u, lambda, ws, g, dg, du, 0, 2 * n, &gmax);
            ok(e < 1e-6, "%s lambda %g: dL/d(constant part) (2n = %zu values) = central differences (max rel err %.2g)",
               name, lambda, 2 * n, e);
            if (kind == PB_HYPER_LINEAR) {
                e = check_range(&h, u, lambda, ws, g, dg, du, 2 * n, 4 * n, &gmax);
                ok(e < 1e-6 && gmax > 1e-3, "linear lambda %g: dL/db2 = central differences (max rel err %.2g, max |g| %.3g)",
                   lambda, e, gmax);
                continue;
            }
            e = check_range(&h, u, lambda, ws, g, dg, du, 2 * n, 2 * n + H, &gmax);
            ok(e < 1e-6 && gmax > 1e-3, "lowrank lambda %g: dL/dalpha = central differences (max rel err %.2g, max |g| %.3g)",
               lambda, e, gmax);
            e = check_range(&h, u, lambda, ws, g, dg, du, 2 * n + H, 2 * n + 2 * H, &gmax);
            ok(e < 1e-6 && gmax > 1e-3, "lowrank lambda %g: dL/dgamma = central differences (max rel err %.2g, max |g| %.3g)",
               lambda, e, gmax);
            double e1 = 0, e2 = 0, g1 = HUGE_VAL, g2 = HUGE_VAL;
            for (size_t k = 0; k < h.n_tensors; k++) {
                const pb_hyper_tensor *t = &h.t[k];
                e1 = fmax(e1, check_range(&h, u, lambda, ws, g, dg, du, t->u1, t->u1 + H * t->rows, &gmax));
                g1 = fmin(g1, gmax);
                e2 = fmax(e2, check_range(&h, u, lambda, ws, g, dg, du, t->u2, t->u2 + H * t->cols, &gmax));
                g2 = fmin(g2, gmax);
            }
            ok(e1 < 1e-6 && g1 > 1e-4, "lowrank lambda %g: dL/dU1 of all %zu tensors = central differences (max rel err "
               "%.2g, smallest max |g| %.3g)", lambda, h.n_tensors, e1, g1);
            ok(e2 < 1e-6 && g2 > 1e-4, "lowrank lambda %g: dL/dU2 of all %zu tensors = central differences (max rel err "
               "%.2g, smallest max |g| %.3g)", lambda, h.n_tensors, e2, g2);
        }
        free(u), free(du), free(g), free(dg), free(ws);
        pb_hyper_free(&h);
    }
    gsl_rng_free(rng);
}

/* A family's one step as a function of the optimized values x, with the
 * step's draws fixed by the seed: the objective F / N the family means,
 * its gradient read off one SGD step with lr 1 (x - g). */
typedef struct step_env {
    const pb_family_ops *F;
    void *f;
    pb_driver *d;
    size_t n_opt;
} step_env;

static double step_loss(step_env *s, const double *x, double *loss)
{
    memcpy(s->d->opt.x, x, s->n_opt * sizeof *x);
    pb_rng_seed(s->d->rng, 99);
    TAP_REQUIRE(s->F->loss(s->f, s->d, loss) == 0);
    return *loss;
}

/* tiny data: B samples of dx features, 2 classes */
static void tiny_data(size_t B, size_t dx, double *X, double *y)
{
    for (size_t i = 0; i < B * dx; i++) X[i] = sin(0.7 * (double)i + 0.3) * 1.3;
    for (size_t i = 0; i < B; i++) y[i] = (double)(i % 2);
}

static void test_family_hyper(const pb_model *m)
{
    enum { B = 5, N = 40 };
    size_t n = m->n_params, dx = m->in_dim;
    double X[B * 3], y[B];
    TAP_REQUIRE(dx == 3);
    tiny_data(B, dx, X, y);
    pb_data data = {.n = N, .d = dx, .ydim = 1, .n_classes = 2};
    for (int kind = 0; kind < 2; kind++) {
        pb_hyper h;
        TAP_REQUIRE(pb_hyper_alloc(&h, m, (pb_hyper_kind)kind, 4) == 0);
        gsl_rng *r0 = gsl_rng_alloc(gsl_rng_mt19937);
        double *mean0 = calloc(n, sizeof *mean0);
        TAP_REQUIRE(r0 && mean0);
        gsl_rng_set(r0, 5);
        pb_model_init(m, mean0, r0);
        pb_hyper_init(&h, mean0, 0.3, r0);
        for (size_t j = 2 * n; j < h.n_u; j++) h.u[j] += gsl_ran_gaussian(r0, 0.3);  /* a non-trivial lambda part */
        pb_train_opts o;
        pb_train_opts_default(&o);
        o.family = PB_FAMILY_HYPER, o.hyper = &h, o.optimizer = PB_OPT_SGD, o.lr = 1;
        const pb_family_ops *F = &pb_family_hyper_ops;
        pb_driver d = {.m = m, .data = &data, .o = &o, .n = n, .N = N, .B = B, .nb = 8, .T = 8};
        d.rng = gsl_rng_alloc(gsl_rng_mt19937);
        d.ws = pb_model_ws_alloc(m, B);
        void *f = calloc(1, F->size);
        size_t n_opt = 0;
        TAP_REQUIRE(d.rng && d.ws && f && F->open(f, &d, &n_opt) == 0 && n_opt == h.n_u);
        double *opt = calloc(3 * n_opt, sizeof *opt), *x0 = calloc(n_opt, sizeof *x0), *x = calloc(n_opt, sizeof *x),
               *g = calloc(2 * n, sizeof *g), *ws = calloc(h.ws_len, sizeof *ws);
        TAP_REQUIRE(opt && x0 && x && g && ws);
        d.opt = (pb_adam_state){n_opt, opt, opt + n_opt, opt + 2 * n_opt};
        memcpy(d.opt.x, h.u, n * sizeof *opt);
        F->init(f, &d);
        memcpy(x0, d.opt.x, n_opt * sizeof *x0);
        ok(!memcmp(x0, h.u, n_opt * sizeof *x0), "%s: the optimizer starts at the hypernetwork's values",
           pb_hyper_kind_name(h.kind));
        d.X = X, d.y = y, d.b = B, d.epoch = 1, d.scale = 1.0 / B, d.t = 1, d.lr_t = 1;
        step_env s = {F, f, &d, n_opt};
        /* the step's objective F/N = loss / B + lambda KL / N, lambda read from the step's draw */
        double loss;
        step_loss(&s, x0, &loss);
        double lambda = *(double *)((char *)f + F->carried[1].offset);
        TAP_REQUIRE(!strcmp(F->carried[1].name, "lambda"));
        TAP_REQUIRE(F->update(f, &d) == 0);
        for (size_t j = 0; j < n_opt; j++) x[j] = x0[j] - d.opt.x[j];  /* the gradient (SGD, lr 1) */
        ok(d.c.updates == (double)n_opt, "%s: one step counts %zu updates (every hypernetwork value once)",
           pb_hyper_kind_name(h.kind), n_opt);
        ok(lambda >= 0.1 && lambda <= 100, "%s: lambda drawn in [0.1, 100] (%.4g)", pb_hyper_kind_name(h.kind), lambda);
        double e = 0, gmax = 0, step = 1e-6;
        double *xp = calloc(n_opt, sizeof *xp);
        TAP_REQUIRE(xp);
        for (size_t j = 0; j < n_opt; j++) {
            double obj[2];
            for (int sgn = 0; sgn < 2; sgn++) {
                memcpy(xp, x0, n_opt * sizeof *xp);
                xp[j] += sgn ? -step : step;
                step_loss(&s, xp, &loss);
                pb_hyper_forward(&h, xp, lambda, ws, g);
                double kl = 0;
                for (size_t i = 0; i < n; i++) kl += 0.5 * (exp(g[n + i]) + g[i] * g[i] - 1 - g[n + i]);
                obj[sgn] = loss / B + lambda * kl / N;
            }
            double fd = (obj[0] - obj[1]) / (2 * step);
            e = fmax(e, fabs(fd - x[j]) / (1e-4 + fabs(fd)));
            gmax = fmax(gmax, fabs(x[j]));
        }
        ok(e < 1e-4 && gmax > 1e-3, "%s: the step's gradient over all %zu hypernetwork values = central differences of "
           "loss/b + lambda KL(q || N(0, I))/N (max rel err %.2g, max |g| %.3g)", pb_hyper_kind_name(h.kind), n_opt, e,
           gmax);
        F->close(f);
        free(f), free(opt), free(x0), free(x), free(xp), free(g), free(ws), free(mean0);
        gsl_rng_free(d.rng), gsl_rng_free(r0);
        pb_model_ws_free(d.ws);
        pb_hyper_free(&h);
    }
}

/* gauss-diag with --lrt: the gradient over (m | r) of loss/b + lambda KL/N */
static void test_gauss_lrt(const pb_model *m)
{
    enum { B = 5, N = 40 };
    size_t n = m->n_params;
    double X[B * 3], y[B];
    tiny_data(B, 3, X, y);
    pb_data data = {.n = N, .d = 3, .ydim = 1, .n_classes = 2};
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.lrt = 1, o.kl_weight = 3.5, o.prior_fixed = 1, o.optimizer = PB_OPT_SGD, o.init_sd = 0.4;
    const pb_family_ops *F = &pb_family_gauss_ops;
    pb_driver d = {.m = m, .data = &data, .o = &o, .n = n, .N = N, .B = B, .nb = 8, .T = 8};
    d.rng = gsl_rng_alloc(gsl_rng_mt19937);
    d.ws = pb_model_ws_alloc(m, B);
    void *f = calloc(1, F->size);
    size_t n_opt = 0;
    TAP_REQUIRE(d.rng && d.ws && f && F->open(f, &d, &n_opt) == 0 && n_opt == 2 * n);
    double *opt = calloc(3 * n_opt, sizeof *opt), *x0 = calloc(n_opt, sizeof *x0), *x = calloc(n_opt, sizeof *x),
           *xp = calloc(n_opt, sizeof *xp), *sd = calloc(n, sizeof *sd);
    TAP_REQUIRE(opt && x0 && x && xp && sd);
    d.opt = (pb_adam_state){n_opt, opt, opt + n_opt, opt + 2 * n_opt};
    pb_rng_seed(d.rng, 3);
    pb_model_init(m, d.opt.x, d.rng);
    F->init(f, &d);
    for (size_t j = 0; j < n; j++) d.opt.x[n + j] += 0.1 * sin((double)j);  /* unequal sds */
    memcpy(x0, d.opt.x, n_opt * sizeof *x0);
    d.X = X, d.y = y, d.b = B, d.epoch = 1, d.scale = 1.0 / B, d.t = 1, d.lr_t = 1;
    step_env s = {F, f, &d, n_opt};
    double loss;
    step_loss(&s, x0, &loss);
    TAP_REQUIRE(F->update(f, &d) == 0);
    for (size_t j = 0; j < n_opt; j++) x[j] = x0[j] - d.opt.x[j];
    double e = 0, gmax = 0, step = 1e-6;
    for (size_t j = 0; j < n_opt; j++) {
        double obj[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            memcpy(xp, x0, n_opt * sizeof *xp);
            xp[j] += sgn ? -step : step;
            step_loss(&s, xp, &loss);
            for (size_t i = 0; i < n; i++) sd[i] = exp(xp[n + i]);
            obj[sgn] = loss / B + 3.5 * pb_kl_gauss_diag(n, xp, sd, 0, 1, NULL, NULL) / N;
        }
        double fd = (obj[0] - obj[1]) / (2 * step);
        e = fmax(e, fabs(fd - x[j]) / (1e-4 + fabs(fd)));
        gmax = fmax(gmax, fabs(x[j]));
    }
    ok(e < 1e-5 && gmax > 1e-3, "gauss-diag --lrt --kl-weight 3.5 --prior fixed: the gradient over (m | log s), %zu "
       "values, = central differences of loss/b + lambda KL(q || N(0, I))/N (max rel err %.2g)", n_opt, e);
    F->close(f);
    free(f), free(opt), free(x0), free(x), free(xp), free(sd);
    gsl_rng_free(d.rng);
    pb_model_ws_free(d.ws);
}

/* Whole runs through pb_train_model: counted updates, lambda = 1 given is
 * the default, SGD, the evidence. */
static void test_runs(const pb_model *m)
{
    enum { N = 10, D = 3 };
    size_t n = m->n_params;
    double X[N * D], y[N];
    tiny_data(N, D, X, y);
    pb_data data = {.n = N, .d = D, .ydim = 1, .n_classes = 2, .X = X, .y = y, .name = "tiny"};
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.epochs = 2, o.batch = 4, o.seed = 7;
    pb_fit a, b;
    TAP_REQUIRE(pb_fit_alloc(&a, n) == 0 && pb_fit_alloc(&b, n) == 0);
    TAP_REQUIRE(pb_train_model(m, &data, &o, &a) == 0);
    pb_train_opts o1 = o;
    o1.kl_weight = 1.0;
    o1.p5_record = 1, o1.evidence_samples = 3;
    TAP_REQUIRE(pb_train_model(m, &data, &o1, &b) == 0);
    ok(!memcmp(a.mean, b.mean, n * sizeof *a.mean) && !memcmp(a.sd, b.sd, n * sizeof *a.sd) &&
       a.final_objective == b.final_objective && !strncmp(a.settings, b.settings, strlen(a.settings)),
       "gauss-diag: lambda 1 and the P5 record give the default fit bit for bit, settings as the default's plus the record");
    /* 2 epochs of ceil(10 / 4) = 3 steps, 2n values each */
    char want[64];
    snprintf(want, sizeof want, " updates=%zu ", 2 * 3 * 2 * n);
    ok(strstr(b.settings, want) != NULL && strstr(b.settings, " lgen=") && strstr(b.settings, " lgen_samples=3"),
       "gauss-diag: the P5 record counts 2 epochs x 3 steps x 2n = %zu updates and has lgen (%s)", 2 * 3 * 2 * n,
       b.settings);
    ok(!strstr(a.settings, "updates=") && !strstr(a.settings, "kl_weight") && !strstr(a.settings, "lrt"),
       "gauss-diag at the defaults: no P5 option in the settings");
    /* SGD: one step of the same gradient as a step of lr 1 */
    pb_train_opts os = o;
    os.optimizer = PB_OPT_SGD, os.lr = 0.05, os.kl_weight = 2, os.prior_fixed = 1;
    TAP_REQUIRE(pb_train_model(m, &data, &os, &a) == 0);
    ok(strstr(a.settings, "optimizer=sgd") && strstr(a.settings, " kl_weight=2") && strstr(a.settings, "prior=fixed") &&
       a.prior_mean == 0 && a.prior_sd == 1, "gauss-diag --optimizer sgd --kl-weight 2 --prior fixed: recorded, prior N(0, 1)");
    /* the hypernetwork family: 2 epochs x 3 steps x K draws x n_u */
    for (int kind = 0; kind < 2; kind++) {
        pb_hyper h;
        TAP_REQUIRE(pb_hyper_alloc(&h, m, (pb_hyper_kind)kind, 4) == 0);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        double *z = calloc(n, sizeof *z);
        TAP_REQUIRE(r && z);
        pb_hyper_init(&h, z, 0.1, r);
        pb_train_opts oh = o;
        oh.family = PB_FAMILY_HYPER, oh.hyper = &h, oh.optimizer = PB_OPT_SGD, oh.lr = 1e-4, oh.p5_record = 1;
        oh.lambda_draws = kind == PB_HYPER_LINEAR ? 5 : 1;
        if (pb_train_model(m, &data, &oh, &a)) diag("%s", pb_last_error());
        snprintf(want, sizeof want, " updates=%zu", 2 * 3 * oh.lambda_draws * h.n_u);
        ok(strstr(a.settings, want) != NULL, "hyper %s: 2 epochs x 3 steps x %zu draws x %zu values = %s (%s)",
           pb_hyper_kind_name(h.kind), oh.lambda_draws, h.n_u, want + 9, a.settings);
        gsl_rng_free(r), free(z);
        pb_hyper_free(&h);
    }
    /* the evidence: at q = p (mean 0, sd 1, prior N(0, 1)) KL = 0; at a
     * near point mass E_q log p(D|w) = -loss(mean) */
    for (size_t j = 0; j < n; j++) a.mean[j] = 0.3 * sin((double)j + 1), a.sd[j] = 1e-9;
    pb_model_ws *ws = pb_model_ws_alloc(m, N);
    double loss, lgen, elogl, kl;
    TAP_REQUIRE(ws && pb_model_loss_grad(m, ws, a.mean, X, y, N, NULL, NULL, &loss, NULL) == 0);
    TAP_REQUIRE(pb_train_evidence(m, &data, a.mean, a.sd, 0, 1, 10, 2, 1, &lgen, &elogl, &kl) == 0);
    is_double(elogl, -loss, 1e-6, "evidence: a near point mass gives E log p(D|w) = -loss(mean) = %.6g", -loss);
    is_double(lgen, elogl - 10 * kl, 1e-9 * fabs(lgen), "evidence: Lgen = E log p - lambda KL");
    for (size_t j = 0; j < n; j++) a.mean[j] = 0, a.sd[j] = 1;
    TAP_REQUIRE(pb_train_evidence(m, &data, a.mean, a.sd, 0, 1, 10, 2, 1, &lgen, &elogl, &kl) == 0);
    ok(kl == 0 && lgen == elogl, "evidence: q = p gives KL = 0 and Lgen = E log p (%.4g)", lgen);
    pb_model_ws_free(ws);
    pb_fit_free(&a), pb_fit_free(&b);
}

static char dir[] = "/tmp/pb_hyper_XXXXXX";

static void test_file(void)
{
    double u[5] = {1, -2, 3.5, 0, 1e-300};
    pb_hypernet h = {.model = "mlp:1-1-1:relu", .dataset = "wine", .kind = "linear", .repeat = 2, .data_seed = 9,
                     .init_seed = 10, .test_fraction = 0.2, .standardize_y = 1, .n = 4, .hidden = 0, .n_u = 5,
                     .updates = 123456, .final_objective = -1.5, .settings = "family=hyper-linear", .u = u};
    char p[256];
    snprintf(p, sizeof p, "%s/h.hyp", dir);
    pb_hypernet r;
    TAP_REQUIRE(pb_hypernet_save(&h, p) == 0);
    int st = pb_hypernet_load(p, &r);
    ok(!st && !strcmp(r.model, h.model) && !strcmp(r.kind, "linear") && r.repeat == 2 && r.data_seed == 9 &&
       r.init_seed == 10 && r.n == 4 && r.n_u == 5 && r.updates == 123456 && r.final_objective == -1.5 &&
       !memcmp(r.u, u, sizeof u) && !strcmp(r.settings, h.settings), "hypernetwork file: round trip");
    pb_hypernet_free(&r);
    FILE *fp = fopen(p, "r+b");
    TAP_REQUIRE(fp && fseek(fp, 40, SEEK_SET) == 0);
    int c = fgetc(fp);
    TAP_REQUIRE(fseek(fp, 40, SEEK_SET) == 0 && fputc(c ^ 0x10, fp) != EOF && fclose(fp) == 0);
    ok(pb_hypernet_load(p, &r) != 0 && r.u == NULL, "hypernetwork file: a flipped byte is refused (%s)", pb_last_error());
}

static int run(const char *args)
{
    const char *b = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/prunebench %s >%s/out.txt 2>%s/err.txt", b, args, dir, dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A generated fit is an ordinary fit: every command takes it. */
static void test_cli(void)
{
    const char *spec = "mlp:13-5-3:relu";
    char a[2048];
    const char *kinds[2] = {"lowrank", "linear"};
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof a, "hyper-train --data wine --model %s --hyper %s --epochs 3 --batch 16 --lr 0.0001 "
                 "--no-checkpoint -o %s/%s.hyp", spec, kinds[k], dir, kinds[k]);
        ok(run(a) == 0, "hyper-train --hyper %s on wine", kinds[k]);
        snprintf(a, sizeof a, "hyper-gen %s/%s.hyp --lambda 10 --evidence 2 -o %s/%s.fit", dir, kinds[k], dir, kinds[k]);
        ok(run(a) == 0, "hyper-gen --lambda 10 (%s)", kinds[k]);
    }
    /* a paused and resumed run (linear: five steps per minibatch) gives the same file */
    snprintf(a, sizeof a, "hyper-train --data wine --model %s --hyper linear --epochs 3 --batch 16 --lr 0.0001 "
             "--pause-after-steps 7 -o %s/p.hyp", spec, dir);
    int r1 = run(a);
    snprintf(a, sizeof a, "hyper-train --data wine --model %s --hyper linear --epochs 3 --batch 16 --lr 0.0001 "
             "-o %s/p.hyp", spec, dir);
    int r2 = run(a);
    snprintf(a, sizeof a, "cmp -s %s/p.hyp %s/linear.hyp", dir, dir);
    int same = system(a) == 0;
    ok(r1 == 75 && r2 == 0 && same, "hyper-train paused after 7 steps (exit %d) and resumed (exit %d): the same file as "
       "without the pause", r1, r2);
    pb_fit f;
    char p[512];
    snprintf(p, sizeof p, "%s/lowrank.fit", dir);
    int st = pb_fit_load(p, &f);
    ok(!st && !strcmp(f.family, "gauss-diag") && !strcmp(f.model, spec) && f.prior_sd == 1 &&
       strstr(f.settings, "generator=hyper-lowrank") && strstr(f.settings, " lambda=10 ") &&
       strstr(f.settings, " updates=") && strstr(f.settings, " lgen="),
       "the generated fit: gauss-diag, its model, prior N(0, 1), settings name the hypernetwork and lambda (%s)",
       st ? "" : f.settings);
    if (!st) pb_fit_free(&f);
    snprintf(a, sizeof a, "rank --fit %s/lowrank.fit --method variational -o %s/o.tsv", dir, dir);
    ok(run(a) == 0, "rank --method variational (|m/s|) on the generated fit");
    snprintf(a, sizeof a, "curve --fit %s/lowrank.fit --order %s/o.tsv --fractions 0,0.5,0.9 -o %s/c.tsv", dir, dir, dir);
    ok(run(a) == 0, "curve on the generated fit");
    snprintf(a, sizeof a, "evaluate --fit %s/lowrank.fit -o %s/e.tsv", dir, dir);
    ok(run(a) == 0, "evaluate on the generated fit");
    snprintf(a, sizeof a, "export --fit %s/lowrank.fit --order %s/o.tsv --fraction 0.5 -o %s/n.csr", dir, dir, dir);
    ok(run(a) == 0, "export on the generated fit");
    snprintf(a, sizeof a, "train --data wine --model %s --epochs 1 --batch 16 --kl-weight 10 --prior fixed "
             "--optimizer sgd --lr 0.01 --lrt --init-fit %s/linear.fit --no-checkpoint -o %s/ft.fit", spec, dir, dir);
    ok(run(a) == 0, "train --init-fit on the generated fit (fine-tuning)");
    snprintf(p, sizeof p, "%s/ft.fit", dir);
    st = pb_fit_load(p, &f);
    ok(!st && strstr(f.settings, "init_fit=linear.fit") && strstr(f.settings, " updates_total="),
       "the fine-tuned fit names its start and counts its updates with the hypernetwork's");
    if (!st) pb_fit_free(&f);
}

int main(void)
{
    plan(52);
    pb_model *m;
    TAP_REQUIRE(pb_model_parse("mlp:3-4-2:relu", &m) == 0);
    TAP_REQUIRE(mkdtemp(dir));
    test_generators(m);
    test_family_hyper(m);
    test_gauss_lrt(m);
    test_runs(m);
    test_file();
    test_cli();
    pb_model_free(m);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) diag("could not remove %s", dir);
    return done_testing();
}
