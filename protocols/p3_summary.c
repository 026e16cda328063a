/* p3_summary.c -- protocol P3 sweeps summarized over repeats per posterior
 * family (p3_summary.h has the definitions). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "formats/provenance.h"
#include "protocols/p3_summary.h"

enum { COL_LAMBDA, COL_KEPT, COL_QUALITY, COL_F1, COL_BOUND, N_COLS };
static const char *const col_names[N_COLS] = {"lambda", "kept_fraction", "quality", "macro_f1", "bound"};

typedef struct sweep {
    char dataset[64], metric[64], family;   /* family: 'D' or 'I' */
    size_t n;                               /* lambdas */
    double *v;                              /* n x N_COLS */
} sweep;

static void sweep_free(sweep *s) { free(s->v); }

/* One sweep file: its header lines, the column header, n rows. */
static int sweep_read(const char *path, sweep *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open", path);
    char line[4096];
    int col[N_COLS], have_header = 0, st = PB_OK;
    size_t lineno = 0, cap = 0;
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#') {
            char v[64];
            if (sscanf(line, "# dataset: %63s", v) == 1) snprintf(s->dataset, sizeof s->dataset, "%s", v);
            else if (sscanf(line, "# quality_metric: %63s", v) == 1) snprintf(s->metric, sizeof s->metric, "%s", v);
            else if (sscanf(line, "# family: %63s", v) == 1) {
                if (!strcmp(v, "gauss-diag")) s->family = 'D';
                else if (!strcmp(v, "gauss-scalar")) s->family = 'I';
                else st = pb_error(PB_ERR_FORMAT, "%s:%zu: family '%s' is neither gauss-diag (D) nor gauss-scalar (I)",
                                   path, lineno, v);
            }
            continue;
        }
        if (!line[0]) continue;
        if (!have_header) {
            for (int c = 0; c < N_COLS; c++) col[c] = -1;
            int k = 0;
            for (char *tok = strtok(line, "\t"); tok; tok = strtok(NULL, "\t"), k++)
                for (int c = 0; c < N_COLS; c++)
                    if (!strcmp(tok, col_names[c])) col[c] = k;
            for (int c = 0; c < N_COLS && !st; c++)
                if (col[c] < 0) st = pb_error(PB_ERR_FORMAT, "%s:%zu: no column '%s'", path, lineno, col_names[c]);
            have_header = 1;
            continue;
        }
        if (s->n == cap) {
            cap = cap ? 2 * cap : 32;
            double *nv = realloc(s->v, cap * N_COLS * sizeof *nv);
            if (!nv) { st = PB_ERR_NOMEM; break; }
            s->v = nv;
        }
        double *row = s->v + s->n * N_COLS;
        int k = 0, got = 0;
        for (char *tok = strtok(line, "\t"); tok; tok = strtok(NULL, "\t"), k++)
            for (int c = 0; c < N_COLS; c++)
                if (col[c] == k) {
                    char *end;
                    row[c] = strtod(tok, &end);
                    if (end == tok || *end) {
                        st = pb_error(PB_ERR_FORMAT, "%s:%zu: column %d (%s): '%s' is not a number", path, lineno, k + 1,
                                      col_names[c], tok);
                        break;
                    }
                    got++;
                }
        if (!st && got != N_COLS) st = pb_error(PB_ERR_FORMAT, "%s:%zu: %d of %d columns", path, lineno, got, N_COLS);
        if (!st) s->n++;
    }
    fclose(f);
    if (!st && !s->family) st = pb_error(PB_ERR_FORMAT, "%s: no '# family:' line (is it a sweep file?)", path);
    if (!st && !s->n) st = pb_error(PB_ERR_FORMAT, "%s: no rows", path);
    if (st) sweep_free(s);
    return st;
}

/* Mean and population sd over the sweeps of one family, per lambda and column. */
typedef struct family_sum {
    char name;
    size_t reps, n;
    double *mean, *sd;      /* n x N_COLS */
    size_t star;            /* index of the smallest mean bound */
} family_sum;

static int family_summarize(char name, const sweep *s, size_t ns, family_sum *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->name = name;
    for (size_t k = 0; k < ns; k++)
        if (s[k].family == name) fs->reps++, fs->n = s[k].n;
    if (!fs->reps) return PB_OK;
    fs->mean = pb_calloc(fs->n * N_COLS, sizeof *fs->mean);
    fs->sd = pb_calloc(fs->n * N_COLS, sizeof *fs->sd);
    if (!fs->mean || !fs->sd) return PB_ERR_NOMEM;
    for (size_t k = 0; k < ns; k++) {
        if (s[k].family != name) continue;
        for (size_t i = 0; i < fs->n * N_COLS; i++) {
            fs->mean[i] += s[k].v[i];
            fs->sd[i] += s[k].v[i] * s[k].v[i];
        }
    }
    for (size_t i = 0; i < fs->n * N_COLS; i++) {
        fs->mean[i] /= (double)fs->reps;
        double var = fs->sd[i] / (double)fs->reps - fs->mean[i] * fs->mean[i];
        fs->sd[i] = fs->reps > 1 && var > 0 ? sqrt(var) : 0;
    }
    for (size_t l = 1; l < fs->n; l++)
        if (fs->mean[l * N_COLS + COL_BOUND] < fs->mean[fs->star * N_COLS + COL_BOUND]) fs->star = l;
    return PB_OK;
}

static void family_free(family_sum *fs)
{
    free(fs->mean);
    free(fs->sd);
}

static void num_or_dash(FILE *f, const char *fmt, double x)
{
    if (isnan(x)) fputs("---", f);
    else fprintf(f, fmt, x);
}

static void write_macros(FILE *f, const char *camel, const family_sum *fs)
{
    const double *u = fs->mean, *st = fs->mean + fs->star * N_COLS;
    const char *what[] = {"LambdaStar", "KeptAtStar", "QualityAtStar", "FOneAtStar", "BoundAtStar",
                          "BoundUnpruned", "QualityUnpruned", "FOneUnpruned"};
    const double val[] = {st[COL_LAMBDA], 100 * st[COL_KEPT], st[COL_QUALITY], st[COL_F1], st[COL_BOUND],
                          u[COL_BOUND], u[COL_QUALITY], u[COL_F1]};
    const char *fmt[] = {"%.3g", "%.1f", "%.3f", "%.3f", "%.1f", "%.1f", "%.3f", "%.3f"};
    fprintf(f, "\\newcommand{\\pb%s%cRepeats}{%zu}\n", camel, fs->name, fs->reps);
    for (size_t k = 0; k < sizeof val / sizeof *val; k++) {
        fprintf(f, "\\newcommand{\\pb%s%c%s}{", camel, fs->name, what[k]);
        num_or_dash(f, fmt[k], val[k]);
        fputs("}\n", f);
    }
}

int pb_p3_summarize(const pb_p3_summary_opts *o, char **files, size_t n_files)
{
    if (!n_files) return pb_error(PB_ERR_ARG, "sweep-summary: no sweep files given");
    if (!o->mean_out && !o->gp_out && !o->tsv_out && !o->macros_out)
        return pb_error(PB_ERR_ARG, "sweep-summary: nothing to write (--mean, --gp, --tsv or --macros)");
    if (o->macros_out && !o->name) return pb_error(PB_ERR_ARG, "sweep-summary: --macros needs --name");
    sweep *s = pb_calloc(n_files, sizeof *s);
    if (!s) return PB_ERR_NOMEM;
    int st = PB_OK;
    size_t ns = 0;
    for (; ns < n_files && !st; ns++) {
        if ((st = sweep_read(files[ns], &s[ns]))) break;
        if (ns && strcmp(s[ns].dataset, s[0].dataset))
            st = pb_error(PB_ERR_FORMAT, "%s: dataset '%s', but %s has '%s'", files[ns], s[ns].dataset, files[0],
                          s[0].dataset);
        else if (ns && s[ns].n != s[0].n)
            st = pb_error(PB_ERR_FORMAT, "%s: %zu lambdas, but %s has %zu", files[ns], s[ns].n, files[0], s[0].n);
        for (size_t l = 0; !st && ns && l < s[ns].n; l++)
            if (s[ns].v[l * N_COLS + COL_LAMBDA] != s[0].v[l * N_COLS + COL_LAMBDA])
                st = pb_error(PB_ERR_FORMAT, "%s: lambda %zu is %g, but %s has %g", files[ns], l + 1,
                              s[ns].v[l * N_COLS + COL_LAMBDA], files[0], s[0].v[l * N_COLS + COL_LAMBDA]);
        if (st) { ns++; break; }
    }
    family_sum fam[2];
    memset(fam, 0, sizeof fam);
    if (!st) st = family_summarize('D', s, ns, &fam[0]);
    if (!st) st = family_summarize('I', s, ns, &fam[1]);
    const char *title = o->title ? o->title : s[0].dataset, *metric = s[0].metric[0] ? s[0].metric : "quality";
    pb_outfile out;
    if (!st && o->mean_out && !(st = pb_out_open(&out, o->mean_out))) {
        fprintf(out.f, "# prunebench sweep-summary: protocol P3, mean and sd over repeats per lambda; one block per "
                       "posterior family (D, then I)\n# dataset: %s\n# quality_metric: %s\n", s[0].dataset, metric);
        pb_write_provenance(out.f);
        int block = 0;
        for (int k = 0; k < 2; k++) {
            if (!fam[k].reps) continue;
            fprintf(out.f, "%s# family %c, %zu repeats\nlambda\tkept\tkept_sd\tquality\tquality_sd\tf1\tf1_sd\tbound\tbound_sd\n",
                    block++ ? "\n\n" : "", fam[k].name, fam[k].reps);
            for (size_t l = 0; l < fam[k].n; l++) {
                const double *m = fam[k].mean + l * N_COLS, *d = fam[k].sd + l * N_COLS;
                fprintf(out.f, "%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\n", m[COL_LAMBDA], m[COL_KEPT],
                        d[COL_KEPT], m[COL_QUALITY], d[COL_QUALITY], m[COL_F1], d[COL_F1], m[COL_BOUND], d[COL_BOUND]);
            }
        }
        st = pb_out_commit(&out);
    }
    if (!st && o->gp_out && !(st = pb_out_open(&out, o->gp_out))) {
        size_t reps = 0;
        fprintf(out.f, "# generated by prunebench sweep-summary\nfamilies = \"");
        for (int k = 0, first = 1; k < 2; k++)
            if (fam[k].reps) {
                fprintf(out.f, "%s%c", first ? "" : " ", fam[k].name);
                if (first || fam[k].reps < reps) reps = fam[k].reps;
                first = 0;
            }
        fprintf(out.f, "\"\nmetric = \"%s\"\ndataset_title = \"%s\"\nrepeats = %zu\n", metric, title, reps);
        st = pb_out_commit(&out);
    }
    if (!st && o->tsv_out && !(st = pb_out_open(&out, o->tsv_out))) {
        fprintf(out.f, "# prunebench sweep-summary: protocol P3 per posterior family; lambda_star minimizes the mean "
                       "bound L over the grid\n# dataset: %s\n# quality_metric: %s\n", s[0].dataset, metric);
        pb_write_provenance(out.f);
        fprintf(out.f, "family\trepeats\tbound_unpruned\tquality_unpruned\tf1_unpruned\tlambda_star\tkept_at_star\t"
                       "quality_at_star\tf1_at_star\tbound_at_star\n");
        for (int k = 0; k < 2; k++) {
            if (!fam[k].reps) continue;
            const double *u = fam[k].mean, *m = fam[k].mean + fam[k].star * N_COLS;
            fprintf(out.f, "%c\t%zu\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\n", fam[k].name, fam[k].reps,
                    u[COL_BOUND], u[COL_QUALITY], u[COL_F1], m[COL_LAMBDA], m[COL_KEPT], m[COL_QUALITY], m[COL_F1],
                    m[COL_BOUND]);
        }
        st = pb_out_commit(&out);
    }
    if (!st && o->macros_out && !(st = pb_out_open(&out, o->macros_out))) {
        char camel[128];
        pb_tex_camel(o->name, camel, sizeof camel);
        fprintf(out.f, "%% generated by prunebench sweep-summary -- do not edit\n");
        for (int k = 0; k < 2; k++)
            if (fam[k].reps) write_macros(out.f, camel, &fam[k]);
        st = pb_out_commit(&out);
    }
    for (int k = 0; k < 2; k++) family_free(&fam[k]);
    for (size_t k = 0; k < ns; k++) sweep_free(&s[k]);
    free(s);
    return st;
}
