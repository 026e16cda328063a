/* p2_summary.c -- the P2 summary of one dataset: see p2_summary.h. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/p2_summary.h"
#include "protocols/p1_summary.h"
#include "protocols/styles.h"
#include "base/util.h"

typedef struct noise_file {
    const char *path;
    char method[64], dataset[64], metric[32];
    unsigned repeat;
    int own;                                /* the fit was trained by the method (its settings name it) */
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
    f->req = f->ach = f->lev = f->noise = f->qm = NULL;
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
            else if (!strncmp(line, "# fit_settings: ", 16)) nf->own = pb_fit_settings_own_network(line + 16);
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
    return pb_summary_method_cmp(x->name, y->name);
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

/* The files of one summary, grouped by method, and the grid point. */
typedef struct p2_summary {
    size_t n;                   /* files */
    noise_file *nfs;            /* n */
    noise_method *ms;           /* nm methods, random first, then alphabetical */
    size_t nm;
    const noise_file *g;        /* the grid: fraction fi, level li at row fi * nlv + li */
    size_t nfr, nlv, cells;
    size_t fa, la;              /* the grid point of the slices, macros and table */
    int higher;                 /* accuracy (higher is better); else RMSE */
} p2_summary;

static void summary_free(p2_summary *s)
{
    for (size_t k = 0; k < s->nm; k++) {
        noise_method *M = &s->ms[k];
        free(M->f); free(M->noise); free(M->noise_sd); free(M->q); free(M->q_sd); free(M->ach);
    }
    for (size_t i = 0; s->nfs && i < s->n; i++) noise_file_free(&s->nfs[i]);
    free(s->ms);
    free(s->nfs);
}

/* Read every file; check dataset, metric, draws and grid against the first;
 * find the grid point. */
static int load(const pb_p2_summary_opts *o, char **files, p2_summary *s)
{
    const char *dataset = o->dataset;
    double at_f = o->at_fraction, at_l = o->at_level;
    size_t n = s->n;
    int st;
    noise_file *nfs = s->nfs = pb_calloc(n, sizeof *nfs);
    s->ms = pb_calloc(n, sizeof *s->ms);
    if (!nfs || !s->ms) return PB_ERR_NOMEM;
    size_t nfr = 0, nlv = 0;
    for (size_t i = 0; i < n; i++) {
        if ((st = read_noise(files[i], &nfs[i]))) return st;
        const noise_file *a = &nfs[0], *b = &nfs[i];
        if (strcmp(b->dataset, dataset))
            return pb_error(PB_ERR_FORMAT, "%s: dataset '%s', not --dataset %s", b->path, b->dataset, dataset);
        if (strcmp(b->metric, "accuracy") && strcmp(b->metric, "rmse"))
            return pb_error(PB_ERR_FORMAT, "%s: unknown quality metric '%s'", b->path, b->metric);
        if (i == 0) {
            if ((st = grid_of(a, &nfr, &nlv))) return st;
            continue;
        }
        if (strcmp(a->metric, b->metric))
            return pb_error(PB_ERR_FORMAT, "%s: quality metric '%s' differs from %s's '%s'", b->path, b->metric, a->path,
                            a->metric);
        if (a->draws != b->draws)
            return pb_error(PB_ERR_FORMAT, "%s: %zu draws, %s has %zu", b->path, b->draws, a->path, a->draws);
        if (a->n != b->n)
            return pb_error(PB_ERR_FORMAT, "%s: %zu rows, %s has %zu: the fraction x level grids differ", b->path, b->n,
                            a->path, a->n);
        for (size_t r = 0; r < a->n; r++)
            if (a->req[r] != b->req[r] || a->lev[r] != b->lev[r])
                return pb_error(PB_ERR_FORMAT, "%s: row %zu (fraction %g, level %g) differs from %s's (%g, %g): the grids "
                                "differ", b->path, r + 1, b->req[r], b->lev[r], a->path, a->req[r], a->lev[r]);
    }
    const noise_file *g = s->g = &nfs[0];
    s->nfr = nfr, s->nlv = nlv, s->cells = nfr * nlv;
    size_t fa = find_value(g->req, nfr, nlv, at_f), la = find_value(g->lev, nlv, 1, at_l);
    if (fa == SIZE_MAX) return pb_error(PB_ERR_ARG, "--at-fraction %g is not a fraction of the grid of %s", at_f, g->path);
    if (la == SIZE_MAX) return pb_error(PB_ERR_ARG, "--at-level %g is not a noise level of the grid of %s", at_l, g->path);
    s->fa = fa, s->la = la;
    s->higher = !strcmp(g->metric, "accuracy");
    return PB_OK;
}

/* Group the files by method (random first, then alphabetical), each
 * method's by repeat; means and sds over repeats per grid cell. */
static int aggregate(p2_summary *s)
{
    size_t n = s->n, nfr = s->nfr, nlv = s->nlv, cells = s->cells;
    noise_file *nfs = s->nfs;
    noise_method *ms = s->ms;
    size_t nm = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < nm; k++) if (!strcmp(ms[k].name, nfs[i].method)) break;
        if (k == nm) {
            snprintf(ms[nm].name, sizeof ms[nm].name, "%s", nfs[i].method);
            s->nm = nm + 1;  /* freed from here on */
            if (!(ms[nm].f = pb_calloc(n, sizeof *ms[nm].f))) return PB_ERR_NOMEM;
            nm++;
        }
        ms[k].f[ms[k].nrep++] = &nfs[i];
    }
    qsort(ms, nm, sizeof *ms, cmp_method);
    double *tmp = pb_calloc(n, sizeof *tmp);
    if (!tmp) return PB_ERR_NOMEM;
    int st = PB_OK;
    for (size_t k = 0; k < nm && !st; k++) {
        noise_method *M = &ms[k];
        qsort(M->f, M->nrep, sizeof *M->f, cmp_file_repeat);
        for (size_t r = 1; r < M->nrep && !st; r++)
            if (M->f[r]->repeat == M->f[r - 1]->repeat)
                st = pb_error(PB_ERR_FORMAT, "method %s: two noise files for repeat %u (%s, %s)", M->name,
                              M->f[r]->repeat, M->f[r - 1]->path, M->f[r]->path);
        if (st) break;
        M->noise = pb_calloc(cells, sizeof(double));
        M->noise_sd = pb_calloc(cells, sizeof(double));
        M->q = pb_calloc(cells, sizeof(double));
        M->q_sd = pb_calloc(cells, sizeof(double));
        M->ach = pb_calloc(nfr, sizeof(double));
        if (!M->noise || !M->noise_sd || !M->q || !M->q_sd || !M->ach) { st = PB_ERR_NOMEM; break; }
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
    return st;
}

/* PREFIX-methods.gp, the include of the figure scripts (report/p2-*.gp):
 * the methods in summary order with their styles (protocols/styles.h), the
 * metric, title and grid point, the fewest and most repeats of any method,
 * and zmax, the largest mean output noise over every method's surface (one
 * z-scale for all surfaces of the dataset). */
static int write_methods_gp(const char *prefix, const char *title, const p2_summary *s)
{
    const noise_file *g = s->g;
    size_t nm = s->nm, nlv = s->nlv;
    const char **names = pb_calloc(nm ? nm : 1, sizeof *names);
    int *own = pb_calloc(nm ? nm : 1, sizeof *own);
    size_t rmin = nm ? s->ms[0].nrep : 0, rmax = rmin;
    double zmax = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s-methods.gp", prefix);
    pb_outfile out;
    int st = names && own ? pb_out_open(&out, path) : PB_ERR_NOMEM;
    if (st) { free(names); free(own); return st; }
    for (size_t k = 0; k < nm; k++) {
        const noise_method *M = &s->ms[k];
        names[k] = M->name;
        for (size_t r = 0; r < M->nrep; r++) own[k] |= M->f[r]->own;
        if (M->nrep < rmin) rmin = M->nrep;
        if (M->nrep > rmax) rmax = M->nrep;
        for (size_t e = 0; e < s->cells; e++)
            if (M->noise[e] > zmax) zmax = M->noise[e];
    }
    fprintf(out.f, "# generated by prunebench noise-summary\n");
    pb_styles_write_gp(out.f, names, own, nm);
    fprintf(out.f, "metric = \"%s\"\ndataset_title = \"%s\"\n", g->metric, title);
    fprintf(out.f, "at_fraction = %.6g\nat_level = %.6g\ndraws = %zu\n", g->req[s->fa * nlv], g->lev[s->la], g->draws);
    fprintf(out.f, "repeats = %zu\nrepeats_max = %zu\nzmax = %.10g\n", rmin, rmax, zmax);
    free(names);
    free(own);
    return pb_out_commit(&out);
}

/* (a) one surface per method, and the method list for the figure scripts */
static int write_surfaces(const pb_p2_summary_opts *o, const p2_summary *s)
{
    const char *dataset = o->dataset, *prefix = o->surface_prefix, *title = o->title ? o->title : o->dataset;
    const noise_file *g = s->g;
    size_t nfr = s->nfr, nlv = s->nlv, nm = s->nm;
    int st;
    pb_outfile out;
    char path[4096];
    for (size_t k = 0; k < nm; k++) {
        const noise_method *M = &s->ms[k];
        snprintf(path, sizeof path, "%s-%s.tsv", prefix, M->name);
        if ((st = pb_out_open(&out, path))) return st;
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
        if ((st = pb_out_commit(&out))) return st;
    }
    return write_methods_gp(prefix, title, s);
}

/* (b) slices */
static int write_slices(const pb_p2_summary_opts *o, const p2_summary *s)
{
    const char *dataset = o->dataset;
    const noise_file *g = s->g;
    size_t nfr = s->nfr, nlv = s->nlv, nm = s->nm, fa = s->fa, la = s->la;
    pb_outfile out;
    int st = pb_out_open(&out, o->slices_out);
    if (st) return st;
    FILE *f = out.f;
    fprintf(f, "# P2 slices for %s: means and sds over repeats; gnuplot index blocks, two blank lines between\n", dataset);
    fprintf(f, "#   blocks 0..%zu (block i = method i): output noise vs percent removed at noise level s = %.6g\n",
            nm - 1, g->lev[la]);
    fprintf(f, "#   blocks %zu..%zu (block %zu+i = method i): output noise vs noise level s at requested fraction %.6g\n",
            nm, 2 * nm - 1, nm, g->req[fa * nlv]);
    fprintf(f, "#   methods in block order: ");
    for (size_t k = 0; k < nm; k++) fprintf(f, "%s%s", k ? " " : "", s->ms[k].name);
    fprintf(f, "\n# quality_metric: %s\n# draws: %zu\n# at_fraction: %.6g\n# at_level: %.6g\n", g->metric, g->draws,
            g->req[fa * nlv], g->lev[la]);
    fprintf(f, "# columns: x (percent_removed or noise_level)\toutput_noise\toutput_noise_sd\tquality\tquality_sd\n");
    for (int part = 0; part < 2; part++)
        for (size_t k = 0; k < nm; k++) {
            const noise_method *M = &s->ms[k];
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
    return pb_out_commit(&out);
}

/* The smallest and largest mean output noise over a method's surface. */
static void noise_range(const noise_method *M, size_t cells, double *lo, double *hi)
{
    *lo = *hi = M->noise[0];
    for (size_t e = 1; e < cells; e++) {
        if (M->noise[e] < *lo) *lo = M->noise[e];
        if (M->noise[e] > *hi) *hi = M->noise[e];
    }
}

/* (c) LaTeX macros */
static int write_macros(const pb_p2_summary_opts *o, const p2_summary *s)
{
    const noise_file *g = s->g;
    size_t nlv = s->nlv, fa = s->fa, la = s->la;
    int higher = s->higher;
    char dc[64], mc[64];
    pb_tex_camel(o->dataset, dc, sizeof dc);
    pb_outfile out;
    int st = pb_out_open(&out, o->macros_out);
    if (st) return st;
    FILE *f = out.f;
    fprintf(f, "%% generated by prunebench noise-summary -- do not edit\n");
    fprintf(f, "%% NoiseAtHalf: mean output noise at fraction %.6g and noise level %.6g; NoiseMin/NoiseMax over the "
               "surface\n", g->req[fa * nlv], g->lev[la]);
    fprintf(f, "\\newcommand{\\pb%sNoiseAtFraction}{%.4g\\%%}\n", dc, 100 * g->req[fa * nlv]);
    fprintf(f, "\\newcommand{\\pb%sNoiseAtLevel}{%.6g}\n", dc, g->lev[la]);
    fprintf(f, "\\newcommand{\\pb%sNoiseDraws}{%zu}\n", dc, g->draws);
    fprintf(f, "\\newcommand{\\pb%sNoiseMetric}{%s}\n", dc, higher ? "accuracy" : "RMSE");
    for (size_t k = 0; k < s->nm; k++) {
        const noise_method *M = &s->ms[k];
        size_t cell = fa * nlv + la;
        double lo, hi;
        noise_range(M, s->cells, &lo, &hi);
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
    return pb_out_commit(&out);
}

/* (d) LaTeX table: one row per method at (at-fraction, at-level), and the surface's range */
static int write_table(const pb_p2_summary_opts *o, const p2_summary *s)
{
    size_t nlv = s->nlv, fa = s->fa, la = s->la;
    int higher = s->higher;
    pb_outfile out;
    int st = pb_out_open(&out, o->tex_out);
    if (st) return st;
    FILE *f = out.f;
    fprintf(f, "%% generated by prunebench noise-summary -- do not edit\n\\begin{tabular}{lrrrr}\n\\toprule\n");
    fprintf(f, "method & $R$ & output noise & %s under noise & output noise range \\\\\n\\midrule\n",
            higher ? "accuracy" : "RMSE");
    for (size_t k = 0; k < s->nm; k++) {
        const noise_method *M = &s->ms[k];
        size_t cell = fa * nlv + la;
        double lo, hi;
        noise_range(M, s->cells, &lo, &hi);
        char tname[192];
        pb_tex_escape(M->name, tname, sizeof tname);
        fprintf(f, "%s & %zu & ", tname, M->nrep);
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
    return pb_out_commit(&out);
}

int pb_p2_summarize(const pb_p2_summary_opts *o, char **noise_files, size_t n_files)
{
    if (n_files == 0) return pb_error(PB_ERR_ARG, "noise-summary: no noise files given");
    p2_summary s;
    memset(&s, 0, sizeof s);
    s.n = n_files;
    int st = load(o, noise_files, &s);
    if (!st) st = aggregate(&s);
    if (!st) st = write_surfaces(o, &s);
    if (!st) st = write_slices(o, &s);
    if (!st) st = write_macros(o, &s);
    if (!st && o->tex_out) st = write_table(o, &s);
    summary_free(&s);
    return st;
}
