/* cmd_noise.c -- protocol P2 (noise robustness) on the command line:
 *
 *   noise          P2 for one fit and one removal order               -> noise .tsv
 *   noise-summary  P2 over methods and repeats of one dataset: gnuplot
 *                  surfaces and slices, LaTeX macros
 *
 * The computation is pb_p2_run / pb_p2_noise (harness/p2.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "host/cell.h"
#include "formats/order.h"
#include "protocols/p1.h"
#include "protocols/p2.h"
#include "posterior/posterior.h"
#include "protocols/prune.h"
#include "base/util.h"
#include "formats/provenance.h"

#ifndef PB_DEFAULT_DATA_DIR
#define PB_DEFAULT_DATA_DIR "datasets"
#endif

int cmd_noise(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), O("fractions"), O("levels"), O("draws"), O("compensate"), O("estimator"),
               O("data-dir"), O("o"), END};
    char *restv[64], **rest = restv;
    int nrest;
    if (argc > 64) die(pb_error(PB_ERR_ARG, "too many arguments"));
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest) die(pb_error(PB_ERR_ARG, "noise: unexpected argument '%s'", rest[0]));
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *fspec = get(o, "fractions", PB_DEFAULT_FRACTIONS), *lspec = get(o, "levels", PB_DEFAULT_LEVELS);
    size_t draws = get_count(o, "draws", PB_DEFAULT_DRAWS, 2, 100000000);
    double *fr, *lv;
    size_t nf, nl;
    if ((st = pb_fractions_parse(fspec, &fr, &nf))) die(st);
    if ((st = pb_levels_parse(lspec, &lv, &nl))) die(st);
    pb_cell c;
    size_t *order, n_order;
    char method[64], info[256];
    pb_pruner pr;
    open_pruning(o, fit_path, order_path, &c, &order, &n_order, method, sizeof method, &pr, info, sizeof info);
    uint64_t nseed = pb_p2_seed(c.fit.dataset, c.fit.repeat);
    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    FILE *f = out.f;
    fprintf(f, "# prunebench protocol P2: noise robustness\n");
    fprintf(f, "# method: %s\n# repeat: %u\n# dataset: %s\n# model: %s\n", method, c.fit.repeat, c.fit.dataset, c.fit.model);
    fprintf(f, "# fit: %s\n# fit_settings: %s\n# order: %s\n", fit_path, c.fit.settings, order_path);
    fprintf(f, "# quality_metric: %s\n# higher_is_better: %d\n", pb_quality_metric(&c), c.test.n_classes ? 1 : 0);
    fprintf(f, "# test_samples: %zu\n# fractions: %s\n# levels: %s\n# draws: %zu\n", c.test.n, fspec, lspec, draws);
    fprintf(f, "# noise_seed: %" PRIu64 "\n", nseed);
    fprintf(f, "# noise: x + s eps per test point and draw, eps ~ N(0, I) in standardized input units; "
               "gsl mt19937 seeded with pb_seed(p2, dataset, -, -, repeat, input-noise), "
               "gsl_ran_gaussian_ziggurat in the order (draw, test point, feature); the same eps for every method, "
               "fraction and level\n");
    fprintf(f, "# output_noise: sqrt(mean over test points and outputs of the sample variance over draws of the %s)\n",
            c.test.n_classes ? "class probabilities" : "prediction in target units");
    fprintf(f, "# quality: mean and sample sd over draws of the test %s on noisy inputs\n",
            c.test.n_classes ? "accuracy" : "RMSE in target units");
    if (pr.compensate)
        fprintf(f, "# removal: first k of the order set to 0, others moved to the Gaussian conditional mean "
                   "given the removed are 0 (compensate=conditional; %s), no retraining\n# compensate: conditional\n", info);
    else
        fprintf(f, "# removal: first k of the order set to 0, others at the posterior mean, no retraining\n"
                   "# compensate: none\n");
    pb_write_provenance(f);
    if ((st = pb_p2_noise(&c, &pr, fr, nf, lv, nl, draws, nseed, f))) {
        pb_out_abort(&out);
        die(st);
    }
    if ((st = pb_out_commit(&out))) die(st);
    pb_pruner_free(&pr);
    free(fr);
    free(lv);
    free(order);
    pb_cell_close(&c);
    return 0;
}

/* ---- noise-summary ---- */

typedef struct noise_file {
    const char *path;
    char method[64], dataset[64], metric[32];
    unsigned repeat;
    size_t draws;
    size_t n;                               /* rows */
    double *req, *ach, *lev, *noise, *qm;   /* per row */
} noise_file;

typedef struct noise_method {
    char name[64];
    size_t nrep;
    noise_file **f;                         /* sorted by repeat */
    double *noise, *noise_sd, *q, *q_sd;    /* per grid cell, over repeats */
    double *ach;                            /* per fraction, mean over repeats */
} noise_method;

static void noise_file_free(noise_file *f)
{
    free(f->req); free(f->ach); free(f->lev); free(f->noise); free(f->qm);
}

static int read_noise(const char *path, noise_file *nf)
{
    memset(nf, 0, sizeof *nf);
    nf->path = path;
    FILE *f = fopen(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open noise file: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0, rcap = 0;
    int st = PB_OK, header = 0, have_method = 0, have_repeat = 0, have_draws = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#') {
            if (!strncmp(line, "# method: ", 10)) snprintf(nf->method, sizeof nf->method, "%s", line + 10), have_method = 1;
            else if (!strncmp(line, "# repeat: ", 10)) nf->repeat = (unsigned)strtoul(line + 10, NULL, 10), have_repeat = 1;
            else if (!strncmp(line, "# dataset: ", 11)) snprintf(nf->dataset, sizeof nf->dataset, "%s", line + 11);
            else if (!strncmp(line, "# quality_metric: ", 18)) snprintf(nf->metric, sizeof nf->metric, "%s", line + 18);
            else if (!strncmp(line, "# draws: ", 9)) nf->draws = (size_t)strtoull(line + 9, NULL, 10), have_draws = 1;
            continue;
        }
        if (!header) {
            static const char cols[] = "requested_fraction\tachieved_fraction\tnoise_level\toutput_noise\tquality_mean";
            if (strncmp(line, cols, sizeof cols - 1)) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu: expected the P2 column names", path, lineno);
                break;
            }
            header = 1;
            continue;
        }
        if (!line[0]) continue;
        if (nf->n == rcap) {
            size_t nc = rcap ? 2 * rcap : 64;
            double *a[5] = {nf->req, nf->ach, nf->lev, nf->noise, nf->qm};
            for (int k = 0; k < 5; k++) {
                double *p = realloc(a[k], nc * sizeof *p);
                if (!p) { st = pb_error(PB_ERR_NOMEM, "out of memory"); break; }
                a[k] = p;
            }
            nf->req = a[0], nf->ach = a[1], nf->lev = a[2], nf->noise = a[3], nf->qm = a[4];
            if (st) break;
            rcap = nc;
        }
        size_t r = nf->n;
        double qsd;
        if (sscanf(line, "%lf\t%lf\t%lf\t%lf\t%lf\t%lf", &nf->req[r], &nf->ach[r], &nf->lev[r], &nf->noise[r], &nf->qm[r],
                   &qsd) != 6 || !isfinite(nf->noise[r]) || !isfinite(nf->qm[r])) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: expected 'requested achieved level output_noise quality_mean quality_sd'",
                          path, lineno);
            break;
        }
        nf->n++;
    }
    free(line);
    fclose(f);
    if (!st && (!have_method || !have_repeat || !have_draws || nf->n == 0))
        st = pb_error(PB_ERR_FORMAT, "%s: not a noise file (needs '# method:', '# repeat:', '# draws:' and rows)", path);
    for (const char *p = nf->method; !st && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            st = pb_error(PB_ERR_FORMAT, "%s: method name '%s' is not [A-Za-z0-9_-]", path, nf->method);
    if (st) noise_file_free(nf);
    return st;
}

/* The grid of the first file: nf fractions x nl levels, fraction-major. */
static int grid_of(const noise_file *f, size_t *n_frac, size_t *n_lev)
{
    size_t nl = 0;
    while (nl < f->n && f->req[nl] == f->req[0]) nl++;
    if (f->n % nl)
        return pb_error(PB_ERR_FORMAT, "%s: %zu rows are not fractions x %zu levels", f->path, f->n, nl);
    for (size_t r = 0; r < f->n; r++) {
        size_t fi = r / nl, li = r % nl;
        if (f->req[r] != f->req[fi * nl] || f->lev[r] != f->lev[li] || (li && !(f->lev[r] > f->lev[r - 1])) ||
            (fi && li == 0 && !(f->req[r] > f->req[r - nl])))
            return pb_error(PB_ERR_FORMAT, "%s: row %zu breaks the fraction x level grid", f->path, r + 1);
    }
    *n_frac = f->n / nl, *n_lev = nl;
    return PB_OK;
}

static int cmp_method(const void *a, const void *b)
{
    const noise_method *x = a, *y = b;
    int rx = !strcmp(x->name, "random"), ry = !strcmp(y->name, "random");
    if (rx != ry) return ry - rx;
    return strcmp(x->name, y->name);
}

static int cmp_file_repeat(const void *a, const void *b)
{
    const noise_file *x = *(noise_file *const *)a, *y = *(noise_file *const *)b;
    return (x->repeat > y->repeat) - (x->repeat < y->repeat);
}

/* Three significant digits in fixed notation (LaTeX-friendly). */
static void tex_num(FILE *f, double v)
{
    if (v == 0 || !isfinite(v)) { fprintf(f, v == 0 ? "0" : "---"); return; }
    int dec = 2 - (int)floor(log10(fabs(v)));
    if (dec < 0) dec = 0;
    if (dec > 8) dec = 8;
    fprintf(f, "%.*f", dec, v);
}

static double mean_of(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

static double sd_of(const double *x, size_t n, double m)
{
    if (n < 2) return 0;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (double)(n - 1));
}

static size_t find_value(const double *v, size_t n, size_t stride, double x)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i * stride] - x) <= 1e-9) return i;
    return SIZE_MAX;
}

int cmd_noise_summary(int argc, char **argv)
{
    opt o[] = {O("dataset"), O("title"), O("surface-prefix"), O("slices"), O("macros"), O("tex"), O("at-fraction"),
               O("at-level"), END};
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles;
    if (!files) die(PB_ERR_NOMEM);
    int st = parse_opts(argc, argv, o, &files, &nfiles);
    if (st) die(st);
    const char *dataset = need(o, "dataset"), *prefix = need(o, "surface-prefix"), *slices = need(o, "slices"),
               *macros = need(o, "macros"), *title = get(o, "title", dataset), *tex = get(o, "tex", NULL);
    double at_f = get_num(o, "at-fraction", 0.5, 0, 1), at_l = get_num(o, "at-level", 0.5, 0, 1000);
    if (nfiles == 0) die(pb_error(PB_ERR_ARG, "noise-summary: no noise files given"));
    size_t n = (size_t)nfiles;
    noise_file *nfs = pb_calloc(n, sizeof *nfs);
    noise_method *ms = pb_calloc(n, sizeof *ms);
    if (!nfs || !ms) die(PB_ERR_NOMEM);
    size_t nfr = 0, nlv = 0;
    for (size_t i = 0; i < n; i++) {
        if ((st = read_noise(files[i], &nfs[i]))) die(st);
        const noise_file *a = &nfs[0], *b = &nfs[i];
        if (strcmp(b->dataset, dataset))
            die(pb_error(PB_ERR_FORMAT, "%s: dataset '%s', not --dataset %s", b->path, b->dataset, dataset));
        if (strcmp(b->metric, "accuracy") && strcmp(b->metric, "rmse"))
            die(pb_error(PB_ERR_FORMAT, "%s: unknown quality metric '%s'", b->path, b->metric));
        if (i == 0) {
            if ((st = grid_of(a, &nfr, &nlv))) die(st);
            continue;
        }
        if (strcmp(a->metric, b->metric))
            die(pb_error(PB_ERR_FORMAT, "%s: quality metric '%s' differs from %s's '%s'", b->path, b->metric, a->path,
                         a->metric));
        if (a->draws != b->draws)
            die(pb_error(PB_ERR_FORMAT, "%s: %zu draws, %s has %zu", b->path, b->draws, a->path, a->draws));
        if (a->n != b->n)
            die(pb_error(PB_ERR_FORMAT, "%s: %zu rows, %s has %zu: the fraction x level grids differ", b->path, b->n,
                         a->path, a->n));
        for (size_t r = 0; r < a->n; r++)
            if (a->req[r] != b->req[r] || a->lev[r] != b->lev[r])
                die(pb_error(PB_ERR_FORMAT, "%s: row %zu (fraction %g, level %g) differs from %s's (%g, %g): the grids differ",
                             b->path, r + 1, b->req[r], b->lev[r], a->path, a->req[r], a->lev[r]));
    }
    const noise_file *g = &nfs[0];          /* the grid: fraction fi, level li at row fi * nlv + li */
    size_t cells = nfr * nlv;
    size_t fa = find_value(g->req, nfr, nlv, at_f), la = find_value(g->lev, nlv, 1, at_l);
    if (fa == SIZE_MAX) die(pb_error(PB_ERR_ARG, "--at-fraction %g is not a fraction of the grid of %s", at_f, g->path));
    if (la == SIZE_MAX) die(pb_error(PB_ERR_ARG, "--at-level %g is not a noise level of the grid of %s", at_l, g->path));
    int higher = !strcmp(g->metric, "accuracy");

    /* group by method; random first, then alphabetical */
    size_t nm = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < nm; k++) if (!strcmp(ms[k].name, nfs[i].method)) break;
        if (k == nm) {
            snprintf(ms[nm].name, sizeof ms[nm].name, "%s", nfs[i].method);
            if (!(ms[nm].f = pb_calloc(n, sizeof *ms[nm].f))) die(PB_ERR_NOMEM);
            nm++;
        }
        ms[k].f[ms[k].nrep++] = &nfs[i];
    }
    qsort(ms, nm, sizeof *ms, cmp_method);
    double *tmp = pb_calloc(n, sizeof *tmp);
    if (!tmp) die(PB_ERR_NOMEM);
    for (size_t k = 0; k < nm; k++) {
        noise_method *M = &ms[k];
        qsort(M->f, M->nrep, sizeof *M->f, cmp_file_repeat);
        for (size_t r = 1; r < M->nrep; r++)
            if (M->f[r]->repeat == M->f[r - 1]->repeat)
                die(pb_error(PB_ERR_FORMAT, "method %s: two noise files for repeat %u (%s, %s)", M->name, M->f[r]->repeat,
                             M->f[r - 1]->path, M->f[r]->path));
        M->noise = pb_calloc(cells, sizeof(double));
        M->noise_sd = pb_calloc(cells, sizeof(double));
        M->q = pb_calloc(cells, sizeof(double));
        M->q_sd = pb_calloc(cells, sizeof(double));
        M->ach = pb_calloc(nfr, sizeof(double));
        if (!M->noise || !M->noise_sd || !M->q || !M->q_sd || !M->ach) die(PB_ERR_NOMEM);
        for (size_t cell = 0; cell < cells; cell++) {
            for (size_t r = 0; r < M->nrep; r++) tmp[r] = M->f[r]->noise[cell];
            M->noise[cell] = mean_of(tmp, M->nrep);
            M->noise_sd[cell] = sd_of(tmp, M->nrep, M->noise[cell]);
            for (size_t r = 0; r < M->nrep; r++) tmp[r] = M->f[r]->qm[cell];
            M->q[cell] = mean_of(tmp, M->nrep);
            M->q_sd[cell] = sd_of(tmp, M->nrep, M->q[cell]);
        }
        for (size_t fi = 0; fi < nfr; fi++) {
            for (size_t r = 0; r < M->nrep; r++) tmp[r] = M->f[r]->ach[fi * nlv];
            M->ach[fi] = mean_of(tmp, M->nrep);
        }
    }
    free(tmp);

    pb_outfile out;
    char path[4096];
    /* (a) one surface per method */
    for (size_t k = 0; k < nm; k++) {
        const noise_method *M = &ms[k];
        snprintf(path, sizeof path, "%s-%s.tsv", prefix, M->name);
        if ((st = pb_out_open(&out, path))) die(st);
        FILE *f = out.f;
        fprintf(f, "# P2 surface: %s on %s, mean over %zu repeat(s), %zu draws per test point\n", M->name, dataset,
                M->nrep, g->draws);
        fprintf(f, "# method: %s\n# quality_metric: %s\n", M->name, g->metric);
        fprintf(f, "# one block per removed fraction (blank line between), rows by noise level: "
                   "gnuplot splot using 1:2:3 with pm3d\n");
        fprintf(f, "# percent_removed\tnoise_level\toutput_noise\tquality\toutput_noise_sd\tquality_sd\n");
        for (size_t fi = 0; fi < nfr; fi++) {
            if (fi) fputc('\n', f);
            for (size_t li = 0; li < nlv; li++) {
                size_t cell = fi * nlv + li;
                fprintf(f, "%.6g\t%.6g\t%.10g\t%.10g\t%.10g\t%.10g\n", 100 * M->ach[fi], g->lev[li], M->noise[cell],
                        M->q[cell], M->noise_sd[cell], M->q_sd[cell]);
            }
        }
        if ((st = pb_out_commit(&out))) die(st);
    }
    /* the method list for the figure scripts */
    snprintf(path, sizeof path, "%s-methods.gp", prefix);
    if ((st = pb_out_open(&out, path))) die(st);
    fprintf(out.f, "# generated by prunebench noise-summary\nmethods = \"");
    for (size_t k = 0; k < nm; k++) fprintf(out.f, "%s%s", k ? " " : "", ms[k].name);
    fprintf(out.f, "\"\nmetric = \"%s\"\ndataset_title = \"%s\"\n", g->metric, title);
    fprintf(out.f, "at_fraction = %.6g\nat_level = %.6g\ndraws = %zu\n", g->req[fa * nlv], g->lev[la], g->draws);
    if ((st = pb_out_commit(&out))) die(st);

    /* (b) slices */
    if ((st = pb_out_open(&out, slices))) die(st);
    FILE *f = out.f;
    fprintf(f, "# P2 slices for %s: means and sds over repeats; gnuplot index blocks, two blank lines between\n", dataset);
    fprintf(f, "#   blocks 0..%zu (block i = method i): output noise vs percent removed at noise level s = %.6g\n",
            nm - 1, g->lev[la]);
    fprintf(f, "#   blocks %zu..%zu (block %zu+i = method i): output noise vs noise level s at requested fraction %.6g\n",
            nm, 2 * nm - 1, nm, g->req[fa * nlv]);
    fprintf(f, "#   methods in block order: ");
    for (size_t k = 0; k < nm; k++) fprintf(f, "%s%s", k ? " " : "", ms[k].name);
    fprintf(f, "\n# quality_metric: %s\n# draws: %zu\n# at_fraction: %.6g\n# at_level: %.6g\n", g->metric, g->draws,
            g->req[fa * nlv], g->lev[la]);
    fprintf(f, "# columns: x (percent_removed or noise_level)\toutput_noise\toutput_noise_sd\tquality\tquality_sd\n");
    for (int part = 0; part < 2; part++)
        for (size_t k = 0; k < nm; k++) {
            const noise_method *M = &ms[k];
            if (part || k) fprintf(f, "\n\n");
            if (!part) {
                fprintf(f, "# block %zu: method: %s repeats: %zu; output noise vs percent removed at s = %.6g\n", k,
                        M->name, M->nrep, g->lev[la]);
                fprintf(f, "# percent_removed\toutput_noise\toutput_noise_sd\tquality\tquality_sd\n");
                for (size_t fi = 0; fi < nfr; fi++) {
                    size_t cell = fi * nlv + la;
                    fprintf(f, "%.6g\t%.10g\t%.10g\t%.10g\t%.10g\n", 100 * M->ach[fi], M->noise[cell], M->noise_sd[cell],
                            M->q[cell], M->q_sd[cell]);
                }
            } else {
                fprintf(f, "# block %zu: method: %s repeats: %zu; output noise vs noise level at fraction %.6g "
                           "(%.4g%% removed)\n", nm + k, M->name, M->nrep, g->req[fa * nlv], 100 * M->ach[fa]);
                fprintf(f, "# noise_level\toutput_noise\toutput_noise_sd\tquality\tquality_sd\n");
                for (size_t li = 0; li < nlv; li++) {
                    size_t cell = fa * nlv + li;
                    fprintf(f, "%.6g\t%.10g\t%.10g\t%.10g\t%.10g\n", g->lev[li], M->noise[cell], M->noise_sd[cell],
                            M->q[cell], M->q_sd[cell]);
                }
            }
        }
    if ((st = pb_out_commit(&out))) die(st);

    /* (c) LaTeX macros */
    char dc[64], mc[64];
    pb_tex_camel(dataset, dc, sizeof dc);
    if ((st = pb_out_open(&out, macros))) die(st);
    f = out.f;
    fprintf(f, "%% generated by prunebench noise-summary -- do not edit\n");
    fprintf(f, "%% NoiseAtHalf: mean output noise at fraction %.6g and noise level %.6g; NoiseMin/NoiseMax over the "
               "surface\n", g->req[fa * nlv], g->lev[la]);
    fprintf(f, "\\newcommand{\\pb%sNoiseAtFraction}{%.4g\\%%}\n", dc, 100 * g->req[fa * nlv]);
    fprintf(f, "\\newcommand{\\pb%sNoiseAtLevel}{%.6g}\n", dc, g->lev[la]);
    fprintf(f, "\\newcommand{\\pb%sNoiseDraws}{%zu}\n", dc, g->draws);
    fprintf(f, "\\newcommand{\\pb%sNoiseMetric}{%s}\n", dc, higher ? "accuracy" : "RMSE");
    for (size_t k = 0; k < nm; k++) {
        const noise_method *M = &ms[k];
        size_t cell = fa * nlv + la;
        double lo = M->noise[0], hi = M->noise[0];
        for (size_t e = 1; e < cells; e++) {
            if (M->noise[e] < lo) lo = M->noise[e];
            if (M->noise[e] > hi) hi = M->noise[e];
        }
        pb_tex_camel(M->name, mc, sizeof mc);
        fprintf(f, "\\newcommand{\\pb%s%sNoiseRepeats}{%zu}\n", dc, mc, M->nrep);
        fprintf(f, "\\newcommand{\\pb%s%sNoiseAtHalf}{", dc, mc);
        tex_num(f, M->noise[cell]);
        fprintf(f, "}\n\\newcommand{\\pb%s%sNoiseAtHalfQuality}{", dc, mc);
        if (higher) fprintf(f, "%.3f", M->q[cell]);
        else tex_num(f, M->q[cell]);
        fprintf(f, "}\n\\newcommand{\\pb%s%sNoiseMin}{", dc, mc);
        tex_num(f, lo);
        fprintf(f, "}\n\\newcommand{\\pb%s%sNoiseMax}{", dc, mc);
        tex_num(f, hi);
        fprintf(f, "}\n");
    }
    if ((st = pb_out_commit(&out))) die(st);

    /* (d) LaTeX table: one row per method at (at-fraction, at-level), and the surface's range */
    if (tex) {
        if ((st = pb_out_open(&out, tex))) die(st);
        f = out.f;
        fprintf(f, "%% generated by prunebench noise-summary -- do not edit\n\\begin{tabular}{lrrrr}\n\\toprule\n");
        fprintf(f, "method & $R$ & output noise & %s under noise & output noise range \\\\\n\\midrule\n",
                higher ? "accuracy" : "RMSE");
        for (size_t k = 0; k < nm; k++) {
            const noise_method *M = &ms[k];
            size_t cell = fa * nlv + la;
            double lo = M->noise[0], hi = M->noise[0];
            for (size_t e = 1; e < cells; e++) {
                if (M->noise[e] < lo) lo = M->noise[e];
                if (M->noise[e] > hi) hi = M->noise[e];
            }
            fprintf(f, "%s & %zu & ", M->name, M->nrep);
            tex_num(f, M->noise[cell]);
            fprintf(f, " & ");
            if (higher) fprintf(f, "%.3f", M->q[cell]);
            else tex_num(f, M->q[cell]);
            fprintf(f, " & ");
            tex_num(f, lo);
            fprintf(f, "--");
            tex_num(f, hi);
            fprintf(f, " \\\\\n");
        }
        fprintf(f, "\\bottomrule\n\\end{tabular}\n");
        if ((st = pb_out_commit(&out))) die(st);
    }

    for (size_t k = 0; k < nm; k++) {
        free(ms[k].f); free(ms[k].noise); free(ms[k].noise_sd); free(ms[k].q); free(ms[k].q_sd); free(ms[k].ach);
    }
    for (size_t i = 0; i < n; i++) noise_file_free(&nfs[i]);
    free(ms);
    free(nfs);
    free(files);
    return 0;
}
