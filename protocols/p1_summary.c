/* p1_summary.c -- see p1_summary.h. */
#define _POSIX_C_SOURCE 200809L
#include "protocols/p1_summary.h"
#include "base/util.h"
#include "formats/provenance.h"
#include "protocols/styles.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#define MAXF 1024

typedef struct curve {
    char method[64];
    unsigned repeat;
    int own;                 /* the fit was trained by the method (its settings name it) */
    size_t nf;
    double req[MAXF], ach[MAXF], q[MAXF];
} curve;

typedef struct method_sum {
    char name[64];
    size_t nrep;
    curve **c;               /* by repeat order */
    double q0_mean, q0_sd, auc_mean, auc_sd, tol_frac, stability, p_vs_random;
    double *auc;             /* per repeat */
    double *tolf;            /* per repeat: that repeat's largest fraction within tolerance */
    double tolf_mean;        /* their mean */
    pb_paired auc_cmp, tolf_cmp;  /* against random (n = 0: not compared) */
} method_sum;

static int read_curve(const char *path, curve *c, char *metric, size_t metric_len)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open curve file: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int st = PB_OK, header = 0, have_method = 0, have_repeat = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#') {
            if (!strncmp(line, "# method: ", 10)) snprintf(c->method, sizeof c->method, "%s", line + 10), have_method = 1;
            else if (!strncmp(line, "# repeat: ", 10)) c->repeat = (unsigned)strtoul(line + 10, NULL, 10), have_repeat = 1;
            else if (!strncmp(line, "# quality_metric: ", 18)) snprintf(metric, metric_len, "%s", line + 18);
            else if (!strncmp(line, "# fit_settings: ", 16)) c->own = pb_fit_settings_own_network(line + 16);
            continue;
        }
        if (!header) { header = 1; continue; }
        if (!line[0]) continue;
        if (c->nf == MAXF) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: more than %d fractions", path, lineno, MAXF); break; }
        double n_removed;
        if (sscanf(line, "%lf\t%lf\t%lf\t%lf", &c->req[c->nf], &c->ach[c->nf], &n_removed, &c->q[c->nf]) != 4 ||
            !isfinite(c->q[c->nf])) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: expected 'requested achieved n_removed quality ...'", path, lineno);
            break;
        }
        c->nf++;
    }
    free(line);
    fclose(f);
    if (!st && (!have_method || !have_repeat || c->nf == 0))
        st = pb_error(PB_ERR_FORMAT, "%s: not a curve file (needs '# method:', '# repeat:' and rows)", path);
    return st;
}

double pb_wilcoxon_signed_rank(const double *d, size_t n)
{
    double *a = malloc((n ? n : 1) * sizeof *a), *rank = malloc((n ? n : 1) * sizeof *rank);
    int *pos = malloc((n ? n : 1) * sizeof *pos);
    size_t m = 0;
    if (!a || !rank || !pos) { free(a); free(rank); free(pos); return NAN; }
    for (size_t i = 0; i < n; i++)
        if (d[i] != 0 && isfinite(d[i])) a[m] = fabs(d[i]), pos[m] = d[i] > 0, m++;
    double p = 1.0;
    if (m == 0) goto done;
    /* average ranks of |d| */
    for (size_t i = 0; i < m; i++) {
        size_t less = 0, equal = 0;
        for (size_t j = 0; j < m; j++) less += a[j] < a[i], equal += a[j] == a[i];
        rank[i] = (double)less + (double)(equal + 1) / 2.0;
    }
    double w = 0, total = 0;
    for (size_t i = 0; i < m; i++) w += pos[i] ? rank[i] : 0, total += rank[i];
    double center = total / 2.0, dev = fabs(w - center) - 1e-9;
    if (m > 20) {
        double var = 0;
        for (size_t i = 0; i < m; i++) var += rank[i] * rank[i] / 4.0;
        double z = (fabs(w - center)) / sqrt(var);
        p = 2 * gsl_cdf_ugaussian_Q(z);
        goto done;
    }
    /* exact: all 2^m sign assignments are equally likely under H0 */
    size_t count = 0, all = (size_t)1 << m;
    for (size_t s = 0; s < all; s++) {
        double ws = 0;
        for (size_t i = 0; i < m; i++) if (s >> i & 1) ws += rank[i];
        count += fabs(ws - center) >= dev;
    }
    p = (double)count / (double)all;
done:
    free(a);
    free(rank);
    free(pos);
    return p;
}

void pb_paired_compare(const double *d, size_t n, pb_paired *out)
{
    out->n = n;
    out->mean = out->low = out->high = out->p = out->min_p = NAN;
    if (n == 0) return;
    out->mean = gsl_stats_mean(d, 1, n);
    out->p = pb_wilcoxon_signed_rank(d, n);
    out->min_p = ldexp(1.0, 1 - (int)(n < 1000 ? n : 1000));
    if (n < 2) return;
    /* mean +- t_{0.975, n-1} * s / sqrt(n) */
    double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * gsl_stats_sd(d, 1, n) / sqrt((double)n);
    out->low = out->mean - half;
    out->high = out->mean + half;
}

/* Largest requested fraction whose quality q, and that of every smaller
 * fraction, stays within tol of q[0] (higher: absolute drop; else relative rise). */
static double within_tolerance(const double *req, const double *q, size_t nf, int higher, double tol)
{
    double frac = req[0];
    for (size_t i = 0; i < nf; i++) {
        int ok = higher ? q[i] >= q[0] - tol - 1e-12 : q[i] <= q[0] * (1 + tol) + 1e-12;
        if (!ok) break;
        frac = req[i];
    }
    return frac;
}

static double interp(const double *x, const double *y, size_t n, double at)
{
    if (at <= x[0]) return y[0];
    for (size_t i = 1; i < n; i++)
        if (at <= x[i]) return y[i - 1] + (y[i] - y[i - 1]) * (at - x[i - 1]) / (x[i] - x[i - 1]);
    return y[n - 1];
}

/* Published value for (dataset, method, quantity) from the reference TSV, or NULL. */
static const char *reference_lookup(const char *path, const char *dataset, const char *method, const char *quantity,
                                    char *buf, size_t len)
{
    if (!path) return NULL;
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char line[1024];
    const char *found = NULL;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *fields[5] = {0};
        char *p = line;
        for (int i = 0; i < 5 && p; i++) { fields[i] = p; p = strchr(p, '\t'); if (p) *p++ = '\0'; }
        if (fields[3] && !strcmp(fields[0], dataset) && !strcmp(fields[1], method) && !strcmp(fields[2], quantity)) {
            snprintf(buf, len, "%s", fields[3]);
            found = buf;
            break;
        }
    }
    fclose(f);
    return found;
}

int pb_summary_method_cmp(const char *a, const char *b)
{
    int ra = !strcmp(a, "random"), rb = !strcmp(b, "random");
    if (ra != rb) return rb - ra;
    return strcmp(a, b);
}

static int cmp_method(const void *a, const void *b)
{
    const method_sum *x = a, *y = b;
    return pb_summary_method_cmp(x->name, y->name);
}

static int cmp_curve_repeat(const void *a, const void *b)
{
    const curve *x = *(curve *const *)a, *y = *(curve *const *)b;
    return (x->repeat > y->repeat) - (x->repeat < y->repeat);
}

/* The gnuplot include of the P1 figure (report/p1.gp): the methods in
 * summary order with their styles (protocols/styles.h), the metric, the
 * dataset's title, and the fewest and most repeats of any method. */
static int write_methods_gp(const pb_summary_opts *o, const method_sum *ms, size_t nm, const char *metric)
{
    const char **names = pb_calloc(nm ? nm : 1, sizeof *names);
    int *own = pb_calloc(nm ? nm : 1, sizeof *own);
    size_t rmin = nm ? ms[0].nrep : 0, rmax = rmin;
    pb_outfile out;
    int st = names && own ? pb_out_open(&out, o->gp_out) : PB_ERR_NOMEM;
    if (st) { free(names); free(own); return st; }
    for (size_t k = 0; k < nm; k++) {
        names[k] = ms[k].name;
        for (size_t r = 0; r < ms[k].nrep; r++) own[k] |= ms[k].c[r]->own;
        if (ms[k].nrep < rmin) rmin = ms[k].nrep;
        if (ms[k].nrep > rmax) rmax = ms[k].nrep;
    }
    fprintf(out.f, "# generated by prunebench summarize\n");
    pb_styles_write_gp(out.f, names, own, nm);
    fprintf(out.f, "metric = \"%s\"\ndataset_title = \"%s\"\n", metric, o->title ? o->title : o->dataset);
    fprintf(out.f, "repeats = %zu\nrepeats_max = %zu\n", rmin, rmax);
    free(names);
    free(own);
    return pb_out_commit(&out);
}

/* A paired difference as table text: "D [LOW, HIGH]" (numbers scale * value in
 * fmt, math mode), "D (no interval: 1 repeat)", or "---" when not compared. */
static void paired_text(const pb_paired *c, double scale, const char *fmt, char *out, size_t len)
{
    char d[48], lo[48], hi[48];
    if (c->n == 0 || isnan(c->mean)) { snprintf(out, len, "---"); return; }
    snprintf(d, sizeof d, fmt, scale * c->mean);
    if (c->n < 2 || isnan(c->low)) { snprintf(out, len, "$%s$ (no interval: %zu repeat)", d, c->n); return; }
    snprintf(lo, sizeof lo, fmt, scale * c->low);
    snprintf(hi, sizeof hi, fmt, scale * c->high);
    snprintf(out, len, "$%s$ [$%s$, $%s$]", d, lo, hi);
}

/* \pb<D><M><Q>Diff, ...DiffLow, ...DiffHigh, ...DiffCI and \pb<D><M><P> (the p-value)
 * of one paired comparison; values scaled (100: percentage points); "---" where
 * not compared, "n/a" for the bounds of a 1-repeat comparison. */
static void paired_macros(FILE *f, const char *dc, const char *mc, const char *q, const char *pname, const pb_paired *c,
                          double scale)
{
    const char *fmt = scale == 1 ? "\\ensuremath{%+.3f}" : "\\ensuremath{%+.1f}";
    char num[64], ci[160];
    if (c->n == 0 || isnan(c->mean)) {
        fprintf(f, "\\newcommand{\\pb%s%s%sDiff}{---}\n\\newcommand{\\pb%s%s%sDiffLow}{---}\n", dc, mc, q, dc, mc, q);
        fprintf(f, "\\newcommand{\\pb%s%s%sDiffHigh}{---}\n\\newcommand{\\pb%s%s%sDiffCI}{---}\n", dc, mc, q, dc, mc, q);
        fprintf(f, "\\newcommand{\\pb%s%s%s}{---}\n", dc, mc, pname);
        return;
    }
    snprintf(num, sizeof num, fmt, scale * c->mean);
    fprintf(f, "\\newcommand{\\pb%s%s%sDiff}{%s}\n", dc, mc, q, num);
    if (c->n < 2 || isnan(c->low)) {
        fprintf(f, "\\newcommand{\\pb%s%s%sDiffLow}{n/a}\n\\newcommand{\\pb%s%s%sDiffHigh}{n/a}\n", dc, mc, q, dc, mc, q);
        snprintf(ci, sizeof ci, "(no interval: %zu repeat)", c->n);
    } else {
        char lo[64], hi[64];
        snprintf(lo, sizeof lo, fmt, scale * c->low);
        snprintf(hi, sizeof hi, fmt, scale * c->high);
        fprintf(f, "\\newcommand{\\pb%s%s%sDiffLow}{%s}\n\\newcommand{\\pb%s%s%sDiffHigh}{%s}\n", dc, mc, q, lo, dc, mc, q, hi);
        snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
    }
    fprintf(f, "\\newcommand{\\pb%s%s%sDiffCI}{%s}\n", dc, mc, q, ci);
    fprintf(f, "\\newcommand{\\pb%s%s%s}{%.3g}\n", dc, mc, pname, c->p);
}

int pb_summarize(const pb_summary_opts *o, char **files, size_t n_files)
{
    int st = PB_OK;
    char metric[32] = "";
    curve *cv = pb_calloc(n_files, sizeof *cv);
    method_sum *ms = pb_calloc(n_files, sizeof *ms);
    size_t nm = 0;
    pb_outfile out = {0};
    if (!cv || !ms) { st = PB_ERR_NOMEM; goto done; }
    for (size_t i = 0; i < n_files && !st; i++) {
        char mt[32] = "";
        st = read_curve(files[i], &cv[i], mt, sizeof mt);
        if (st) break;
        if (!metric[0]) snprintf(metric, sizeof metric, "%s", mt);
        else if (strcmp(metric, mt) != 0) st = pb_error(PB_ERR_FORMAT, "%s: quality metric '%s' differs from '%s'", files[i], mt, metric);
        if (!st && (cv[i].nf != cv[0].nf || memcmp(cv[i].req, cv[0].req, cv[0].nf * sizeof(double)) != 0))
            st = pb_error(PB_ERR_FORMAT, "%s: fraction grid differs from %s's", files[i], files[0]);
    }
    if (st) goto done;
    if (strcmp(metric, "accuracy") && strcmp(metric, "rmse")) {
        st = pb_error(PB_ERR_FORMAT, "unknown quality metric '%s' in curve files", metric);
        goto done;
    }
    int higher = !strcmp(metric, "accuracy");
    double tol = o->tol > 0 ? o->tol : (higher ? 0.01 : 0.05);
    /* group by method */
    for (size_t i = 0; i < n_files; i++) {
        size_t k;
        for (k = 0; k < nm; k++) if (!strcmp(ms[k].name, cv[i].method)) break;
        if (k == nm) {
            snprintf(ms[nm].name, sizeof ms[nm].name, "%s", cv[i].method);
            if (!(ms[nm].c = pb_calloc(n_files, sizeof(curve *))) || !(ms[nm].auc = pb_calloc(n_files, sizeof(double))) ||
                !(ms[nm].tolf = pb_calloc(n_files, sizeof(double)))) {
                st = PB_ERR_NOMEM;
                goto done;
            }
            nm++;
        }
        ms[k].c[ms[k].nrep++] = &cv[i];
    }
    qsort(ms, nm, sizeof *ms, cmp_method);
    size_t nf = cv[0].nf;
    double *mean = pb_calloc(nm * nf, sizeof *mean), *sd = pb_calloc(nm * nf, sizeof *sd), *ach = pb_calloc(nm * nf, sizeof *ach);
    double *tmp = pb_calloc(n_files, sizeof *tmp);
    if (!mean || !sd || !ach || !tmp) { free(mean); free(sd); free(ach); free(tmp); st = PB_ERR_NOMEM; goto done; }
    for (size_t k = 0; k < nm; k++) {
        method_sum *M = &ms[k];
        qsort(M->c, M->nrep, sizeof *M->c, cmp_curve_repeat);
        for (size_t r = 1; r < M->nrep; r++)
            if (M->c[r]->repeat == M->c[r - 1]->repeat) {
                st = pb_error(PB_ERR_FORMAT, "method %s: two curve files for repeat %u", M->name, M->c[r]->repeat);
                goto done2;
            }
        for (size_t i = 0; i < nf; i++) {
            for (size_t r = 0; r < M->nrep; r++) tmp[r] = M->c[r]->q[i];
            mean[k * nf + i] = gsl_stats_mean(tmp, 1, M->nrep);
            sd[k * nf + i] = M->nrep > 1 ? gsl_stats_sd(tmp, 1, M->nrep) : 0;
            for (size_t r = 0; r < M->nrep; r++) tmp[r] = M->c[r]->ach[i];
            ach[k * nf + i] = gsl_stats_mean(tmp, 1, M->nrep);
        }
        for (size_t r = 0; r < M->nrep; r++) {
            const curve *c = M->c[r];
            double a = 0;
            for (size_t i = 1; i < nf; i++) a += 0.5 * (c->q[i] + c->q[i - 1]) * (c->ach[i] - c->ach[i - 1]);
            M->auc[r] = a;
            M->tolf[r] = within_tolerance(c->req, c->q, nf, higher, tol);
        }
        M->tolf_mean = gsl_stats_mean(M->tolf, 1, M->nrep);
        M->auc_mean = gsl_stats_mean(M->auc, 1, M->nrep);
        M->auc_sd = M->nrep > 1 ? gsl_stats_sd(M->auc, 1, M->nrep) : 0;
        const double *mq = mean + k * nf;
        M->q0_mean = mq[0];
        M->q0_sd = sd[k * nf];
        M->tol_frac = cv[0].req[0];
        for (size_t i = 0; i < nf; i++) {
            int ok = higher ? mq[i] >= mq[0] - tol - 1e-12 : mq[i] <= mq[0] * (1 + tol) + 1e-12;
            if (!ok) break;
            M->tol_frac = cv[0].req[i];
        }
        double q90 = interp(cv[0].req, mq, nf, 0.9);
        M->stability = higher ? (q90 > 0 ? mq[0] / q90 : INFINITY) : q90 / mq[0];
    }
    /* paired comparison against random: AUC and the per-repeat fraction within tolerance */
    const method_sum *R = nm && !strcmp(ms[0].name, "random") ? &ms[0] : NULL;
    double *dtol = pb_calloc(n_files, sizeof *dtol);
    if (!dtol) { st = PB_ERR_NOMEM; goto done2; }
    for (size_t k = 0; k < nm; k++) {
        method_sum *M = &ms[k];
        M->p_vs_random = NAN;
        size_t np = 0;
        if (R && M != R)
            for (size_t r = 0; r < M->nrep; r++)
                for (size_t s = 0; s < R->nrep; s++)
                    if (M->c[r]->repeat == R->c[s]->repeat)
                        tmp[np] = M->auc[r] - R->auc[s], dtol[np] = M->tolf[r] - R->tolf[s], np++;
        pb_paired_compare(tmp, np, &M->auc_cmp);
        pb_paired_compare(dtol, np, &M->tolf_cmp);
        if (np) M->p_vs_random = M->auc_cmp.p;
    }
    free(dtol);
    /* gnuplot data: block k = method k; x in percent */
    if (o->mean_out) {
        if ((st = pb_out_open(&out, o->mean_out))) goto done2;
        fprintf(out.f, "# P1 mean and sd over repeats; one block per method (gnuplot index)\n");
        fprintf(out.f, "# quality_metric: %s\n", metric);
        for (size_t k = 0; k < nm; k++) {
            fprintf(out.f, "%s# method: %s repeats: %zu\n", k ? "\n\n" : "", ms[k].name, ms[k].nrep);
            fprintf(out.f, "# percent_removed\tmean\tsd\tlow\thigh\n");
            for (size_t i = 0; i < nf; i++) {
                double m = mean[k * nf + i], s = sd[k * nf + i];
                fprintf(out.f, "%.6g\t%.10g\t%.10g\t%.10g\t%.10g\n", 100 * ach[k * nf + i], m, s, m - s, m + s);
            }
        }
        if ((st = pb_out_commit(&out))) goto done2;
    }
    if (o->gp_out && (st = write_methods_gp(o, ms, nm, metric))) goto done2;
    char ref[64], mc[64], dc[64], vc[64] = "";
    pb_tex_camel(o->dataset, dc, sizeof dc);
    if (o->variant) pb_tex_camel(o->variant, vc, sizeof vc);
    strncat(dc, vc, sizeof dc - strlen(dc) - 1);
    if (o->tsv_out) {
        if ((st = pb_out_open(&out, o->tsv_out))) goto done2;
        pb_write_provenance(out.f);
        fprintf(out.f, "# dataset: %s\n# quality_metric: %s\n# tolerance: %g %s\n", o->dataset, metric, tol,
                higher ? "(absolute drop)" : "(relative rise)");
        fprintf(out.f, "# paired against random over the same repeats: differences, 95%% Student t intervals, exact "
                       "Wilcoxon p (min_p = 2^(1-paired_repeats), the smallest it can be)\n");
        fprintf(out.f, "method\trepeats\tq0_mean\tq0_sd\tauc_mean\tauc_sd\ttol_fraction\tstability\tp_vs_random\t"
                       "paired_repeats\tauc_diff\tauc_diff_low\tauc_diff_high\ttol_fraction_repeat_mean\t"
                       "tol_fraction_diff\ttol_fraction_diff_low\ttol_fraction_diff_high\ttol_fraction_p_vs_random\tmin_p\n");
        for (size_t k = 0; k < nm; k++) {
            method_sum *M = &ms[k];
            const pb_paired *a = &M->auc_cmp, *t = &M->tolf_cmp;
            fprintf(out.f, "%s\t%zu\t%.6g\t%.6g\t%.6g\t%.6g\t%.4g\t%.6g\t%.4g", M->name, M->nrep, M->q0_mean, M->q0_sd,
                    M->auc_mean, M->auc_sd, M->tol_frac, M->stability, M->p_vs_random);
            fprintf(out.f, "\t%zu\t%.6g\t%.6g\t%.6g\t%.4g\t%.4g\t%.4g\t%.4g\t%.4g\t%.4g\n", a->n, a->mean, a->low, a->high,
                    M->tolf_mean, t->mean, t->low, t->high, t->p, a->min_p);
        }
        if ((st = pb_out_commit(&out))) goto done2;
    }
    if (o->tex_out) {
        if ((st = pb_out_open(&out, o->tex_out))) goto done2;
        FILE *f = out.f;
        fprintf(f, "%% generated by prunebench summarize -- do not edit\n");
        /* small, two-line headings: nine columns within the text width */
        fprintf(f, "{\\small\\setlength{\\tabcolsep}{4pt}\\begin{tabular}{lrrrrrrrr}\n\\toprule\n");
        fprintf(f, "method & $R$ & \\shortstack[r]{%s\\\\at 0\\%%} & AUC & \\shortstack[r]{max.\\\\removed} & $S$ & "
                   "\\shortstack[r]{$\\Delta$AUC vs random\\\\{}[95\\%% CI]} & \\shortstack[r]{$p$ vs\\\\random} & "
                   "\\shortstack[r]{published\\\\max.\\ removed} \\\\\n",
                higher ? "accuracy" : "RMSE");
        fprintf(f, "\\midrule\n");
        for (size_t k = 0; k < nm; k++) {
            method_sum *M = &ms[k];
            const char *pub = reference_lookup(o->reference, o->dataset, M->name, "tol_fraction", ref, sizeof ref);
            char tname[192];
            pb_tex_escape(M->name, tname, sizeof tname);
            fprintf(f, "%s & %zu & $%.3f \\pm %.3f$ & $%.3f \\pm %.3f$ & %.0f\\%% & %.2f & ", tname, M->nrep, M->q0_mean,
                    M->q0_sd, M->auc_mean, M->auc_sd, 100 * M->tol_frac, M->stability);
            char diff[160];
            paired_text(&M->auc_cmp, 1, "%+.3f", diff, sizeof diff);
            fprintf(f, "%s & ", diff);
            if (isnan(M->p_vs_random)) fprintf(f, "--- & ");
            else fprintf(f, "%.3f & ", M->p_vs_random);
            fprintf(f, "%s \\\\\n", pub ? pub : "---");
        }
        fprintf(f, "\\bottomrule\n\\end{tabular}}\n");
        if ((st = pb_out_commit(&out))) goto done2;
    }
    if (o->macros_out) {
        if ((st = pb_out_open(&out, o->macros_out))) goto done2;
        FILE *f = out.f;
        fprintf(f, "%% generated by prunebench summarize -- do not edit\n");
        fprintf(f, "\\newcommand{\\pb%sTolerance}{%g}\n", dc, 100 * tol);
        fprintf(f, "\\newcommand{\\pb%sMetric}{%s}\n", dc, higher ? "accuracy" : "RMSE");
        fprintf(f, "\\newcommand{\\pb%sRepeats}{%zu}\n", dc, nm ? ms[0].nrep : (size_t)0);
        const char *pub0 = reference_lookup(o->reference, o->dataset, "all", "q0", ref, sizeof ref);
        fprintf(f, "\\newcommand{\\pb%sPublishedQzero}{%s}\n", dc, pub0 ? pub0 : "---");
        /* unpruned quality: every method scores the same fits, so any method's value */
        fprintf(f, "\\newcommand{\\pb%sQzero}{%.3f}\n", dc, nm ? ms[0].q0_mean : NAN);
        for (size_t k = 0; k < nm; k++) {
            method_sum *M = &ms[k];
            pb_tex_camel(M->name, mc, sizeof mc);
            fprintf(f, "\\newcommand{\\pb%s%sQzero}{%.3f}\n", dc, mc, M->q0_mean);
            fprintf(f, "\\newcommand{\\pb%s%sTolFraction}{%.0f\\%%}\n", dc, mc, 100 * M->tol_frac);
            fprintf(f, "\\newcommand{\\pb%s%sAuc}{%.3f}\n", dc, mc, M->auc_mean);
            paired_macros(f, dc, mc, "Auc", "PValue", &M->auc_cmp, 1);
            paired_macros(f, dc, mc, "TolFraction", "TolFractionPValue", &M->tolf_cmp, 100);
        }
        /* the smallest p the exact test can reach with these repeats, and how many methods reach p < 0.05 */
        size_t nsig = 0, npaired = 0;
        for (size_t k = 0; k < nm; k++) {
            nsig += ms[k].auc_cmp.n && ms[k].auc_cmp.p < 0.05;
            if (ms[k].auc_cmp.n > npaired) npaired = ms[k].auc_cmp.n;
        }
        if (npaired) fprintf(f, "\\newcommand{\\pb%sMinP}{%.3g}\n", dc, ldexp(1.0, 1 - (int)(npaired < 1000 ? npaired : 1000)));
        else fprintf(f, "\\newcommand{\\pb%sMinP}{---}\n", dc);
        fprintf(f, "\\newcommand{\\pb%sNSignificant}{%zu}\n", dc, nsig);
        if ((st = pb_out_commit(&out))) goto done2;
    }
done2:
    free(mean); free(sd); free(ach); free(tmp);
done:
    if (out.f) pb_out_abort(&out);
    if (ms) for (size_t k = 0; k < nm; k++) { free(ms[k].c); free(ms[k].auc); free(ms[k].tolf); }
    free(ms);
    free(cv);
    return st;
}
