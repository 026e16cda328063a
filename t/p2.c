/* p2.c -- protocol P2 (noise robustness): exact zeros at s = 0 and with every
 * weight removed, agreement with pb_evaluate, common random numbers across
 * orders, growth with s (MLPs, an Elman RNN and an LSTM), the documented
 * noise stream against a closed form for a linear network, argument checks,
 * token data refused; then the noise and noise-summary subcommands end to end
 * through the real binary, on an MLP fit and on a recurrent one. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "host/cell.h"
#include "protocols/p1.h"
#include "protocols/p2.h"
#include "protocols/prune.h"
#include "base/util.h"

/* A cell without files: random weights (biases non-zero), n test points
 * with N(0, 1) inputs; labels (classification) or targets (regression, y_sd
 * as given). n_train > 0 also fills a training set (for compensation). */
static void make_cell(pb_cell *c, const char *spec, const char *dataset, unsigned repeat, size_t n, size_t n_train,
                      double y_sd, unsigned long seed)
{
    memset(c, 0, sizeof *c);
    TAP_REQUIRE(pb_model_parse(spec, &c->net) == 0);
    const pb_model *m = c->net;
    size_t d = m->in_dim, C = m->out_dim;
    int ce = m->head == PB_HEAD_CE;
    TAP_REQUIRE(pb_fit_alloc(&c->fit, m->n_params) == 0);
    snprintf(c->fit.model, sizeof c->fit.model, "%s", spec);
    snprintf(c->fit.dataset, sizeof c->fit.dataset, "%s", dataset);
    snprintf(c->fit.family, sizeof c->fit.family, "gauss-diag");
    c->fit.repeat = repeat;
    c->fit.prior_mean = 0, c->fit.prior_sd = 1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    pb_model_init(m, c->fit.mean, r);
    for (size_t j = 0; j < m->n_params; j++) {
        c->fit.mean[j] *= 1.5;
        c->fit.sd[j] = 0.1;
    }
    for (size_t t = 0; t < m->n_tensors; t++)  /* bias tensors, in buffer order */
        if (m->tensors[t].is_bias)
            for (size_t u = 0; u < m->tensors[t].rows * m->tensors[t].cols; u++)
                c->fit.mean[m->tensors[t].offset + u] = gsl_ran_gaussian(r, 0.5);
    pb_data *sets[2] = {&c->test, &c->train};
    size_t sizes[2] = {n, n_train};
    for (int s = 0; s < 2; s++) {
        if (!sizes[s]) continue;
        pb_data *t = sets[s];
        TAP_REQUIRE(pb_data_alloc(t, dataset, sizes[s], d, ce ? 1 : C, ce ? (int)C : 0) == 0);
        for (size_t i = 0; i < t->n; i++) {
            for (size_t j = 0; j < d; j++) t->X[i * d + j] = gsl_ran_gaussian(r, 1.0);
            if (ce) t->y[i] = (double)(i % C);
            else for (size_t k = 0; k < C; k++) t->y[i * C + k] = t->X[i * d] - 0.5 * t->X[i * d + d - 1] + gsl_ran_gaussian(r, 0.3);
        }
    }
    gsl_rng_free(r);
    TAP_REQUIRE(identity_scaling(&c->scaling, d, ce ? 1 : C, ce ? 1 : y_sd));
}

/* The weight entries of the model, in index order (reverse: backwards). */
static size_t weight_order(const pb_model *m, int reverse, size_t **out)
{
    unsigned char *mask = calloc(m->n_params, 1);
    size_t *o = calloc(m->n_params, sizeof *o);
    TAP_REQUIRE(mask && o);
    size_t np = pb_model_prunable(m, 0, mask), k = 0;
    for (size_t j = 0; j < m->n_params; j++)
        if (mask[j]) o[k++] = j;
    if (reverse)
        for (size_t i = 0; i < np / 2; i++) { size_t t = o[i]; o[i] = o[np - 1 - i]; o[np - 1 - i] = t; }
    free(mask);
    *out = o;
    return np;
}

static int run_p2(const pb_cell *c, const size_t *order, size_t n_order, int compensate, const double *fr, size_t nf,
                  const double *lv, size_t nl, size_t draws, uint64_t seed, pb_p2_result *res)
{
    pb_pruner pr;
    TAP_REQUIRE(pb_pruner_init(&pr, c, order, n_order, compensate, PB_EST_LAPLACE, 77, NULL, 0) == 0);
    int st = pb_p2_run(c, &pr, fr, nf, lv, nl, draws, seed, res);
    pb_pruner_free(&pr);
    return st;
}

/* pb_evaluate's quality of the network with the first llround(f n) of the order removed. */
static double clean_quality(const pb_cell *c, const size_t *order, size_t n_order, int compensate, double f)
{
    pb_pruner pr;
    TAP_REQUIRE(pb_pruner_init(&pr, c, order, n_order, compensate, PB_EST_LAPLACE, 77, NULL, 0) == 0);
    TAP_REQUIRE(pb_pruner_advance(&pr, (size_t)llround(f * (double)n_order)) == 0);
    double q, aux;
    TAP_REQUIRE(pb_evaluate(c, pr.w, &q, &aux) == 0);
    pb_pruner_free(&pr);
    return q;
}

/* The library checks: zero level, full removal, growth, pb_evaluate, CRN. */
static void library_checks(const char *spec, size_t n, double y_sd)
{
    pb_cell c;
    make_cell(&c, spec, "t-p2", 3, n, 0, y_sd, 11);
    char what[160];
    snprintf(what, sizeof what, "%s %s", spec, c.net->head == PB_HEAD_CE ? "classification" : "regression");
    size_t *o1, *o2;
    size_t np = weight_order(c.net, 0, &o1);
    weight_order(c.net, 1, &o2);
    const double fr[] = {0, 0.25, 0.5, 0.75, 1}, lv[] = {0, 0.3, 0.6, 1.2};
    size_t nf = 5, nl = 4, K = 30;
    uint64_t seed = pb_p2_seed("t-p2", 3);
    pb_p2_result a, b;
    TAP_REQUIRE(run_p2(&c, o1, np, 0, fr, nf, lv, nl, K, seed, &a) == 0);
    TAP_REQUIRE(run_p2(&c, o2, np, 0, fr, nf, lv, nl, K, seed, &b) == 0);

    int zero = 1, same_q = 1, sd0 = 1;
    for (size_t fi = 0; fi < nf; fi++) {
        double q = clean_quality(&c, o1, np, 0, fr[fi]);
        zero &= a.output_noise[fi * nl] == 0;
        same_q &= a.quality_mean[fi * nl] == q;
        sd0 &= a.quality_sd[fi * nl] == 0;
        if (a.quality_mean[fi * nl] != q) diag("fraction %g: P2 %.17g, pb_evaluate %.17g", fr[fi], a.quality_mean[fi * nl], q);
    }
    ok(zero, "%s: noise level 0 gives output noise exactly 0 at every fraction", what);
    ok(same_q && sd0, "%s: at level 0 quality equals pb_evaluate's exactly at every fraction, sd 0", what);
    int grows = 1;
    for (size_t li = 1; li < nl; li++) grows &= a.output_noise[li] > a.output_noise[li - 1];
    ok(grows && a.output_noise[1] > 0, "%s: unpruned output noise grows with s (%g %g %g %g)", what, a.output_noise[0],
       a.output_noise[1], a.output_noise[2], a.output_noise[3]);
    int full = a.n_removed[nf - 1] == np && a.achieved[nf - 1] == 1;
    for (size_t li = 0; li < nl; li++)
        full &= a.output_noise[(nf - 1) * nl + li] == 0 && a.quality_sd[(nf - 1) * nl + li] == 0 &&
                a.quality_mean[(nf - 1) * nl + li] == a.quality_mean[(nf - 1) * nl];
    ok(full, "%s: every weight removed (biases kept): output noise exactly 0 and constant quality at every level", what);
    int crn = !memcmp(a.output_noise, b.output_noise, nl * sizeof(double)) &&
              !memcmp(a.quality_mean, b.quality_mean, nl * sizeof(double)) &&
              !memcmp(a.quality_sd, b.quality_sd, nl * sizeof(double));
    ok(crn, "%s: two different orders give bitwise-identical results at fraction 0 (same weights, same eps)", what);
    ok(a.output_noise[1 * nl + 2] != b.output_noise[1 * nl + 2], "%s: ... and different results at fraction 0.25", what);

    /* the written rows: identical at fraction 0 for both orders, as text */
    char *t1 = NULL, *t2 = NULL;
    size_t l1, l2;
    FILE *f1 = open_memstream(&t1, &l1), *f2 = open_memstream(&t2, &l2);
    pb_pruner p1, p2;
    TAP_REQUIRE(f1 && f2);
    TAP_REQUIRE(pb_pruner_init(&p1, &c, o1, np, 0, PB_EST_LAPLACE, 0, NULL, 0) == 0);
    TAP_REQUIRE(pb_pruner_init(&p2, &c, o2, np, 0, PB_EST_LAPLACE, 0, NULL, 0) == 0);
    int st1 = pb_p2_noise(&c, &p1, fr, nf, lv, nl, K, seed, f1), st2 = pb_p2_noise(&c, &p2, fr, nf, lv, nl, K, seed, f2);
    fclose(f1);
    fclose(f2);
    /* column line + nl rows of fraction 0 */
    const char *e1 = t1, *e2 = t2;
    for (size_t i = 0; i < nl + 1 && e1 && e2; i++) {
        e1 = strchr(e1, '\n'), e2 = strchr(e2, '\n');
        if (e1) e1++;
        if (e2) e2++;
    }
    int lines = e1 && e2 && e1 - t1 == e2 - t2 && !memcmp(t1, t2, (size_t)(e1 - t1));
    static const char cols[] = "requested_fraction\tachieved_fraction\tnoise_level\toutput_noise\tquality_mean\tquality_sd\n";
    ok(!st1 && !st2 && lines && strcmp(t1, t2) != 0 && !strncmp(t1, cols, sizeof cols - 1),
       "%s: pb_p2_noise rows of fraction 0 are identical for both orders, the rest differ", what);
    free(t1);
    free(t2);
    pb_pruner_free(&p1);
    pb_pruner_free(&p2);

    /* same seed: identical; another seed: other numbers at s > 0 */
    pb_p2_result a2, a3;
    TAP_REQUIRE(run_p2(&c, o1, np, 0, fr, nf, lv, nl, K, seed, &a2) == 0);
    TAP_REQUIRE(run_p2(&c, o1, np, 0, fr, nf, lv, nl, K, seed + 1, &a3) == 0);
    ok(!memcmp(a.output_noise, a2.output_noise, nf * nl * sizeof(double)) &&
           !memcmp(a.quality_mean, a2.quality_mean, nf * nl * sizeof(double)) &&
           a3.output_noise[1] != a.output_noise[1] && a3.output_noise[0] == 0,
       "%s: same seed reproduces every number; another seed changes them", what);
    pb_p2_result_free(&a);
    pb_p2_result_free(&b);
    pb_p2_result_free(&a2);
    pb_p2_result_free(&a3);
    free(o1);
    free(o2);
    pb_cell_close(&c);
}

/* Linear network f = w.x~ + b: Var_k f(x_i + s eps_ik) = s^2 var_k(w.eps_ik) (in target
 * units times y_sd^2), with eps regenerated here from the documented stream;
 * every fraction and level must see the same eps. */
static void linear_closed_form(void)
{
    pb_cell c;
    enum { n = 7, K = 25, d = 4, NF = 5, NL = 3 };
    const double ysd = 2.5;
    make_cell(&c, "mlp:4-1:identity:mse", "t-lin", 4, n, 0, ysd, 5);
    double *w = c.fit.mean;
    const double w0[d] = {0.7, -1.3, 0.25, 2.0}, b = 0.4;
    memcpy(w, w0, sizeof w0);
    w[d] = b;                                   /* W0 (1 x 4), then b0 */
    size_t order[d] = {1, 3, 0, 2};
    const double fr[NF] = {0, 0.25, 0.5, 0.75, 1}, lv[NL] = {0, 0.5, 2};
    uint64_t seed = pb_seed("p2", "t-lin", "", "", 4, "input-noise");
    ok(pb_p2_seed("t-lin", 4) == seed, "pb_p2_seed is pb_seed(\"p2\", dataset, \"\", \"\", repeat, \"input-noise\")");
    pb_p2_result r;
    TAP_REQUIRE(run_p2(&c, order, d, 0, fr, NF, lv, NL, K, seed, &r) == 0);

    /* eps in the documented order: draw k, test point i, feature j */
    double *eps = calloc(K * n * d, sizeof *eps);
    TAP_REQUIRE(eps != NULL);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    pb_rng_seed(g, seed);
    for (size_t e = 0; e < K * n * d; e++) eps[e] = gsl_ran_gaussian_ziggurat(g, 1.0);
    gsl_rng_free(g);
    int good_noise = 1, good_q = 1;
    for (size_t fi = 0; fi < NF; fi++) {
        double wf[d];
        memcpy(wf, w0, sizeof wf);
        for (size_t k = 0; k < fi; k++) wf[order[k]] = 0;   /* fraction fi/4 removes fi weights */
        for (size_t li = 0; li < NL; li++) {
            double s = lv[li], v = 0, qk[K], qm = 0, qsd = 0;
            for (size_t i = 0; i < n; i++) {
                double u[K], mu = 0, m2 = 0;
                for (size_t k = 0; k < K; k++) {
                    u[k] = 0;
                    for (size_t j = 0; j < d; j++) u[k] += wf[j] * eps[(k * n + i) * d + j];
                    mu += u[k];
                }
                mu /= K;
                for (size_t k = 0; k < K; k++) m2 += (u[k] - mu) * (u[k] - mu);
                v += ysd * ysd * s * s * m2 / (K - 1);
            }
            double want = sqrt(v / n);
            for (size_t k = 0; k < K; k++) {
                double se = 0;
                for (size_t i = 0; i < n; i++) {
                    double f = b;
                    for (size_t j = 0; j < d; j++) f += wf[j] * (c.test.X[i * d + j] + s * eps[(k * n + i) * d + j]);
                    se += (f - c.test.y[i]) * (f - c.test.y[i]) * ysd * ysd;
                }
                qk[k] = sqrt(se / n);
                qm += qk[k] / K;
            }
            for (size_t k = 0; k < K; k++) qsd += (qk[k] - qm) * (qk[k] - qm);
            qsd = sqrt(qsd / (K - 1));
            size_t cell = fi * NL + li;
            double got = r.output_noise[cell];
            if (fabs(got - want) > 1e-10 * want) {
                good_noise = 0;
                diag("fraction %g level %g: output noise %.17g, closed form %.17g", fr[fi], s, got, want);
            }
            if (fabs(r.quality_mean[cell] - qm) > 1e-10 * qm || fabs(r.quality_sd[cell] - qsd) > 1e-7 * qsd + 1e-12) {
                good_q = 0;
                diag("fraction %g level %g: RMSE %.17g +- %.17g, direct %.17g +- %.17g", fr[fi], s, r.quality_mean[cell],
                     r.quality_sd[cell], qm, qsd);
            }
        }
    }
    ok(good_noise, "linear network, 5 fractions x 3 levels: output noise = y_sd s sqrt(mean_i var_k(w.eps_ik)), "
                   "eps regenerated from the seed");
    ok(good_q, "linear network: RMSE mean and sd over draws match a direct computation on the regenerated eps");
    is_double(r.output_noise[2] / r.output_noise[1], 2 / 0.5, 1e-12, "linear network: output noise proportional to s");
    free(eps);
    pb_p2_result_free(&r);
    pb_cell_close(&c);
}

/* With compensate=conditional the weights come from the same pruner as P1. */
static void compensated(void)
{
    pb_cell c;
    make_cell(&c, "mlp:3-4-2:tanh", "t-comp", 0, 20, 40, 1, 3);
    size_t *o;
    size_t np = weight_order(c.net, 1, &o);
    const double fr[] = {0, 0.3, 0.6, 1}, lv[] = {0, 0.5};
    pb_p2_result r;
    TAP_REQUIRE(run_p2(&c, o, np, 1, fr, 4, lv, 2, 5, 9, &r) == 0);
    int same = 1;
    for (size_t fi = 0; fi < 4; fi++) same &= r.quality_mean[fi * 2] == clean_quality(&c, o, np, 1, fr[fi]);
    ok(same, "compensate=conditional: quality at level 0 equals pb_evaluate on the compensated pruner's weights");
    pb_p2_result_free(&r);
    free(o);
    pb_cell_close(&c);
}

static void argument_checks(void)
{
    pb_cell c;
    make_cell(&c, "mlp:3-4-2:tanh", "t-arg", 0, 10, 0, 1, 3);
    size_t *o;
    size_t np = weight_order(c.net, 0, &o);
    const double fr[] = {0, 0.5}, back[] = {0.5, 0}, lv[] = {0, 1};
    pb_p2_result r;
    int st = run_p2(&c, o, np, 0, fr, 2, lv, 2, 1, 1, &r);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "at least 2"), "one draw is refused (the sample variance needs two): %s",
       pb_last_error());
    st = run_p2(&c, o, np, 0, back, 2, lv, 2, 5, 1, &r);
    ok(st == PB_ERR_ARG, "decreasing fractions are refused: %s", pb_last_error());
    pb_pruner pr;
    TAP_REQUIRE(pb_pruner_init(&pr, &c, o, np, 0, PB_EST_LAPLACE, 0, NULL, 0) == 0);
    TAP_REQUIRE(pb_pruner_advance(&pr, np) == 0);
    st = pb_p2_run(&c, &pr, fr, 2, lv, 2, 5, 1, &r);
    ok(st == PB_ERR_ARG, "a pruner already past the first fraction is refused: %s",
       pb_last_error());
    pb_pruner_free(&pr);
    double *v;
    size_t nv;
    int good = pb_levels_parse("0:0.5:2,3", &v, &nv) == 0 && nv == 6 && v[0] == 0 && v[4] == 2 && v[5] == 3;
    if (good) free(v);
    ok(good && pb_levels_parse("-1", &v, &nv) == PB_ERR_ARG && pb_levels_parse("0:0:1", &v, &nv) == PB_ERR_ARG &&
           pb_levels_parse("x", &v, &nv) == PB_ERR_ARG,
       "pb_levels_parse: ranges beyond 1 accepted; negative, zero step, junk refused");
    free(o);
    pb_cell_close(&c);
}

/* Token ids are not points of a space: P2 refuses such data in one line,
 * before any work. */
static void token_data(void)
{
    pb_cell c;
    make_cell(&c, "lstm:3xv6e2-4-2", "t-tok", 0, 10, 0, 1, 3);
    c.test.vocab = 6;
    for (size_t e = 0; e < c.test.n * c.test.d; e++) c.test.X[e] = (double)(e % 6);
    size_t *o;
    size_t np = weight_order(c.net, 0, &o);
    const double fr[] = {0, 0.5}, lv[] = {0, 1};
    pb_p2_result r;
    int st = run_p2(&c, o, np, 0, fr, 2, lv, 2, 5, 1, &r);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "token ids") && !strchr(pb_last_error(), '\n'),
       "an LSTM on token data: P2 refuses in one line: %s", pb_last_error());
    free(o);
    pb_cell_close(&c);
}

/* ---- the CLI ---- */

static char dir[] = "/tmp/pb-p2-XXXXXX";
static char pb[1024], plugdir[1024], errfile[600], errbuf[4096];

static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>'%s'", pb, args, errfile);
    int rc = system(cmd);
    errbuf[0] = '\0';
    FILE *f = fopen(errfile, "r");
    if (f) {
        size_t k = fread(errbuf, 1, sizeof errbuf - 1, f);
        errbuf[k] = '\0';
        fclose(f);
    }
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

static int one_error_line(const char *want)
{
    size_t len = strlen(errbuf);
    return !strncmp(errbuf, "prunebench: ", 12) && len > 12 && errbuf[len - 1] == '\n' &&
           strchr(errbuf, '\n') == errbuf + len - 1 && strstr(errbuf, want);
}

static int exists(const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* The data lines of a file (after '#' lines and, if skip_header, one column line), and
 * the value of a '# key: ' header line. */
static size_t data_lines(const char *name, int skip_header, char lines[][256], size_t max, const char *key, char *val,
                         size_t vlen)
{
    char p[700], line[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (val) val[0] = '\0';
    if (!f) return 0;
    size_t n = 0, klen = key ? strlen(key) : 0;
    int header = !skip_header;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            if (key && val && !strncmp(line + 2, key, klen) && line[2 + klen] == ':') {
                snprintf(val, vlen, "%s", line + 4 + klen);
                val[strcspn(val, "\n")] = '\0';
            }
            continue;
        }
        if (!header) { header = 1; continue; }
        if (n < max) {
            size_t len = strlen(line) < 255 ? strlen(line) : 255;
            memcpy(lines[n], line, len);
            lines[n][len] = '\0';
        }
        n++;
    }
    fclose(f);
    return n;
}

static int contains(const char *name, const char *text)
{
    char p[700], line[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    int found = 0;
    while (f && fgets(line, sizeof line, f)) found |= strstr(line, text) != NULL;
    if (f) fclose(f);
    return found;
}

static void cli_checks(void)
{
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    snprintf(pb, sizeof pb, "%s/prunebench", bdir);
    snprintf(plugdir, sizeof plugdir, "%s/plugins", bdir);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    snprintf(errfile, sizeof errfile, "%s/stderr.txt", dir);
    TAP_REQUIRE(access(pb, X_OK) == 0);
    char args[3000];
    snprintf(args, sizeof args, "train --data wine --model mlp:13-13-3:tanh --epochs 30 --data-dir datasets -o '%s/a.fit'", dir);
    TAP_REQUIRE(run(args) == 0);
    const char *methods[] = {"random", "obd"};
    const char *grid = "--fractions 0,0.5,1 --levels 0,0.5,1 --draws 20";
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "rank --fit '%s/a.fit' --method %s --plugin-dir '%s' --data-dir datasets -o '%s/o-%s.tsv'",
                 dir, methods[i], plugdir, dir, methods[i]);
        TAP_REQUIRE(run(args) == 0);
        snprintf(args, sizeof args, "noise --fit '%s/a.fit' --order '%s/o-%s.tsv' %s --data-dir datasets -o '%s/n-%s.tsv'",
                 dir, dir, methods[i], grid, dir, methods[i]);
        int rc = run(args);
        if (rc) diag("stderr: %s", errbuf);
        ok(rc == 0 && errbuf[0] == '\0', "noise for %s: exit 0, silent", methods[i]);
    }
    char rows[2][16][256], seed[64], val[256];
    size_t n0 = data_lines("n-random.tsv", 1, rows[0], 16, "noise_seed", seed, sizeof seed);
    size_t n1 = data_lines("n-obd.tsv", 1, rows[1], 16, "method", val, sizeof val);
    char want[64];
    snprintf(want, sizeof want, "%" PRIu64, pb_seed("p2", "wine", "", "", 0, "input-noise"));
    ok(n0 == 9 && n1 == 9, "3 fractions x 3 levels: 9 rows each (%zu, %zu)", n0, n1);
    ok(!strcmp(seed, want) && !strcmp(val, "obd"), "header: noise_seed %s is pb_seed(p2, wine, -, -, 0, input-noise); method obd",
       seed);
    ok(contains("n-obd.tsv", "# draws: 20") && contains("n-obd.tsv", "# levels: 0,0.5,1") &&
           contains("n-obd.tsv", "# compensate: none") && contains("n-obd.tsv", "# quality_metric: accuracy") &&
           contains("n-obd.tsv", "# higher_is_better: 1") && contains("n-obd.tsv", "# prunebench: ") &&
           contains("n-obd.tsv", "requested_fraction\tachieved_fraction\tnoise_level\toutput_noise\tquality_mean\tquality_sd"),
       "header: draws, levels, compensate, metric, provenance, column names");
    ok(n0 == 9 && n1 == 9 && !strcmp(rows[0][0], rows[1][0]) && !strcmp(rows[0][1], rows[1][1]) &&
           !strcmp(rows[0][2], rows[1][2]) && strcmp(rows[0][4], rows[1][4]),
       "random and obd: identical rows at fraction 0 (common random numbers), different at 0.5");
    /* level-0 quality is P1's quality */
    snprintf(args, sizeof args, "curve --fit '%s/a.fit' --order '%s/o-obd.tsv' --fractions 0,0.5,1 --data-dir datasets -o '%s/c.tsv'",
             dir, dir, dir);
    TAP_REQUIRE(run(args) == 0);
    char crow[4][256];
    size_t nc = data_lines("c.tsv", 1, crow, 4, NULL, NULL, 0);
    int agree = nc == 3;
    for (size_t i = 0; i < 3 && agree; i++) {
        double cq, nq, noise, lvl, a, b, x;
        agree = sscanf(crow[i], "%lf\t%lf\t%lf\t%lf", &a, &b, &x, &cq) == 4 &&
                sscanf(rows[1][3 * i], "%lf\t%lf\t%lf\t%lf\t%lf", &a, &b, &lvl, &noise, &nq) == 5 && lvl == 0 && noise == 0 &&
                nq == cq;
    }
    ok(agree, "obd: at level 0 output noise 0 and quality = the curve command's quality at 0, 0.5, 1");
    snprintf(args, sizeof args, "noise --fit '%s/a.fit' --order '%s/o-obd.tsv' %s --compensate conditional --data-dir datasets "
             "-o '%s/n-comp.tsv'", dir, dir, grid, dir);
    int rc = run(args);
    if (rc) diag("stderr: %s", errbuf);
    ok(rc == 0 && contains("n-comp.tsv", "# compensate: conditional"), "noise --compensate conditional");

    /* a recurrent fit (wine's 13 features as 13 steps of one): P2 runs on it */
    snprintf(args, sizeof args, "train --data wine --model rnn:13x1-4-3 --epochs 3 --data-dir datasets -o '%s/r.fit'", dir);
    TAP_REQUIRE(run(args) == 0);
    snprintf(args, sizeof args, "rank --fit '%s/r.fit' --method random --plugin-dir '%s' --data-dir datasets -o '%s/o-r.tsv'",
             dir, plugdir, dir);
    TAP_REQUIRE(run(args) == 0);
    snprintf(args, sizeof args, "noise --fit '%s/r.fit' --order '%s/o-r.tsv' %s --data-dir datasets -o '%s/n-r.tsv'", dir,
             dir, grid, dir);
    rc = run(args);
    if (rc) diag("stderr: %s", errbuf);
    char rrows[16][256];
    size_t nr = data_lines("n-r.tsv", 1, rrows, 16, NULL, NULL, 0);
    double rq[4];
    int rgood = nr == 9 && sscanf(rrows[1], "%lf\t%lf\t%lf\t%lf", &rq[0], &rq[1], &rq[2], &rq[3]) == 4 && rq[2] == 0.5 &&
                rq[3] > 0 && isfinite(rq[3]);
    ok(rc == 0 && errbuf[0] == '\0' && rgood, "noise on a recurrent (rnn:13x1-4-3) fit: exit 0, 9 rows, output noise > 0 "
                                              "at level 0.5 (%zu rows)", nr);
    snprintf(args, sizeof args, "noise --fit '%s/r.fit' --order '%s/o-r.tsv' %s --compensate conditional --data-dir datasets "
             "-o '%s/n-rc.tsv'", dir, dir, grid, dir);
    rc = run(args);
    errbuf[strcspn(errbuf, "\n")] = '\0';
    ok(rc > 0 && !exists("n-rc.tsv") && strstr(errbuf, "curvature") && strstr(errbuf, "rnn:13x1-4-3"),
       "noise --compensate conditional on the recurrent fit: refused in one line (%s)", errbuf);

    /* noise-summary */
    char pre[700];
    snprintf(pre, sizeof pre, "%s/s", dir);
    snprintf(args, sizeof args, "noise-summary --dataset wine --title Wine --surface-prefix '%s' --slices '%s/sl.tsv' "
             "--macros '%s/m.tex' '%s/n-obd.tsv' '%s/n-random.tsv'", pre, dir, dir, dir, dir);
    rc = run(args);
    if (rc) diag("stderr: %s", errbuf);
    ok(rc == 0 && exists("s-random.tsv") && exists("s-obd.tsv") && exists("s-methods.gp") && exists("sl.tsv") &&
           exists("m.tex"), "noise-summary writes surfaces, method list, slices and macros");
    ok(contains("s-methods.gp", "methods = \"random obd\"") && contains("s-methods.gp", "at_level = 0.5"),
       "method list: random first, then alphabetical; at_level");
    char srows[16][256];
    size_t ns = data_lines("s-obd.tsv", 0, srows, 16, NULL, NULL, 0);
    ok(ns == 11 && srows[3][0] == '\n' && srows[7][0] == '\n' && !strncmp(srows[4], "50\t0\t0\t", 7),
       "surface: 3 scans of 3 levels, blank line between, x in percent (%zu lines)", ns);
    char sl[32][256];
    size_t nsl = data_lines("sl.tsv", 0, sl, 32, NULL, NULL, 0);
    size_t blank = 0, datal = 0;
    for (size_t i = 0; i < nsl && i < 32; i++) blank += sl[i][0] == '\n', datal += sl[i][0] != '\n';
    ok(nsl == 18 && blank == 6 && datal == 12, "slices: 4 index blocks of 3 rows (%zu lines, %zu blank)", nsl, blank);
    ok(contains("m.tex", "\\newcommand{\\pbWineObdNoiseAtHalf}{") && contains("m.tex", "\\newcommand{\\pbWineRandomNoiseMax}{") &&
           contains("m.tex", "\\newcommand{\\pbWineObdNoiseAtHalfQuality}{") && contains("m.tex", "\\newcommand{\\pbWineRandomNoiseMin}{0}"),
       "macros: NoiseAtHalf, its quality, min (0 at s = 0) and max per method");
    /* error paths */
    snprintf(args, sizeof args, "noise --fit '%s/a.fit' --order '%s/o-obd.tsv' --fractions 0,0.5,1 --levels 0,0.4,1 --draws 20 --data-dir datasets "
             "-o '%s/n-other.tsv'", dir, dir, dir);
    TAP_REQUIRE(run(args) == 0);
    struct { const char *args, *want, *out, *what; } err[] = {
        {"noise-summary --dataset wine --surface-prefix '%s/e' --slices '%s/e.tsv' --macros '%s/e.tex' '%s/n-obd.tsv' "
         "'%s/n-other.tsv'", "grids differ", "e.tsv", "noise-summary with different level grids"},
        {"noise-summary --dataset wine --at-level 0.25 --surface-prefix '%s/e' --slices '%s/e.tsv' --macros '%s/e.tex' "
         "'%s/n-obd.tsv' '%s/n-random.tsv'", "--at-level 0.25", "e.tsv", "--at-level off the grid"},
        {"noise-summary --dataset boston --surface-prefix '%s/e' --slices '%s/e.tsv' --macros '%s/e.tex' '%s/n-obd.tsv' "
         "'%s/n-random.tsv'", "dataset 'wine'", "e.tsv", "--dataset other than the files'"},
        {"noise-summary --dataset wine --surface-prefix '%s/e' --slices '%s/e.tsv' --macros '%s/e.tex' '%s/n-obd.tsv' "
         "'%s/n-obd.tsv'", "two noise files for repeat 0", "e.tsv", "two files of one method and repeat"},
        {"noise --fit '%s/a.fit' --order '%s/o-obd.tsv' --levels -1 -o '%s/e.tsv'", "levels", "e.tsv", "negative level"},
        {"noise --fit '%s/a.fit' --order '%s/o-obd.tsv' --draws 1 -o '%s/e.tsv'", "--draws", "e.tsv", "one draw"},
        {"noise --fit '%s/a.fit' --order '%s/o-obd.tsv' --compensate maybe -o '%s/e.tsv'", "--compensate", "e.tsv",
         "bad --compensate"},
    };
    for (size_t i = 0; i < sizeof err / sizeof *err; i++) {
        snprintf(args, sizeof args, err[i].args, dir, dir, dir, dir, dir);
        rc = run(args);
        int good = rc > 0 && one_error_line(err[i].want) && !exists(err[i].out);
        errbuf[strcspn(errbuf, "\n")] = '\0';
        ok(good, "%s: exit %d, one line '%s'", err[i].what, rc, errbuf);
    }
    DIR *d = opendir(dir);
    TAP_REQUIRE(d != NULL);
    size_t tmp = 0;
    struct dirent *e;
    while ((e = readdir(d))) tmp += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    ok(tmp == 0, "no '*.tmp.*' files left behind");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
}

int main(void)
{
    plan(4 * 8 + 4 + 1 + 4 + 1 + 23);
    library_checks("mlp:5-8-3:tanh", 50, 1);
    library_checks("mlp:4-6-2:relu:mse", 40, 3.0);
    library_checks("rnn:3x2-5-3", 40, 1);
    library_checks("lstm:4x2-4-2:mse", 30, 2.0);
    linear_closed_form();
    compensated();
    argument_checks();
    token_data();
    cli_checks();
    return done_testing();
}
