/* findings.c -- see findings.h. */
#define _POSIX_C_SOURCE 200809L
#include "protocols/findings.h"
#include "protocols/p1_summary.h"
#include "base/util.h"
#include "formats/provenance.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The P1 summary's columns this file reads (p1_summary.c writes them). */
#define C_METHOD  "method"
#define C_REPEATS "repeats"
#define C_Q0      "q0_mean"
#define C_AUC     "auc_mean"
#define C_TOL     "tol_fraction"
#define C_S       "stability"
#define C_DIFF    "auc_diff"       /* mean over repeats of AUC(method) - AUC(random), paired */
#define C_DIFF_LO "auc_diff_low"   /* its 95% interval */
#define C_DIFF_HI "auc_diff_high"
static const char *const p_columns[] = {"p_value", "p_vs_random"};   /* the first one present */

#define MAXLINE 4096

/* ---- a TSV read by column name ---- */

typedef struct table {
    char path[512];
    char metric[32];        /* "# quality_metric: ..." */
    char tolerance[64];     /* "# tolerance: ..." */
    size_t ncol, nrow, hline_no;
    char *hline, **head;    /* header line and its ncol names */
    char **line, **cell;    /* nrow row buffers; nrow * ncol fields */
    size_t *lineno;
} table;

static void table_free(table *t)
{
    for (size_t r = 0; r < t->nrow; r++) free(t->line[r]);
    free(t->line);
    free(t->cell);
    free(t->lineno);
    free(t->head);
    free(t->hline);
    memset(t, 0, sizeof *t);
}

static size_t count_fields(const char *s)
{
    size_t n = 1;
    for (; *s; s++) n += *s == '\t';
    return n;
}

static void split_tabs(char *s, char **f)
{
    for (size_t n = 0;; n++) {
        f[n] = s;
        if (!(s = strchr(s, '\t'))) break;
        *s++ = '\0';
    }
}

static long col_of(const table *t, const char *name)
{
    for (size_t c = 0; c < t->ncol; c++)
        if (!strcmp(t->head[c], name)) return (long)c;
    return -1;
}

static long row_of(const table *t, long keycol, const char *key)
{
    for (size_t r = 0; keycol >= 0 && r < t->nrow; r++)
        if (!strcmp(t->cell[r * t->ncol + (size_t)keycol], key)) return (long)r;
    return -1;
}

static int is_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && end != s;
}

/* Read path: '#' lines (quality_metric, tolerance kept), a header, rows of as
 * many tab-separated fields; the column `key` must exist and be unique per
 * row; with `numeric`, every other field is a number (nan and inf allowed).
 * A file that does not exist sets *absent (when absent is not NULL) and is no error. */
static int table_read(table *t, const char *path, const char *key, int numeric, int *absent)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s", path);
    if (absent) *absent = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (absent && errno == ENOENT) { *absent = 1; return PB_OK; }
        return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    char *buf = NULL;
    size_t cap = 0, lineno = 0, rcap = 0;
    int st = PB_OK;
    long kc = -1;
    while (getline(&buf, &cap, f) >= 0) {
        lineno++;
        buf[strcspn(buf, "\r\n")] = '\0';
        if (buf[0] == '#') {
            if (!strncmp(buf, "# quality_metric: ", 18)) snprintf(t->metric, sizeof t->metric, "%s", buf + 18);
            else if (!strncmp(buf, "# tolerance: ", 13)) snprintf(t->tolerance, sizeof t->tolerance, "%s", buf + 13);
            continue;
        }
        if (!buf[0]) continue;
        size_t n = count_fields(buf);
        if (!t->hline) {
            if (!(t->hline = strdup(buf)) || !(t->head = pb_calloc(n, sizeof *t->head))) { st = PB_ERR_NOMEM; break; }
            split_tabs(t->hline, t->head);
            t->ncol = n;
            t->hline_no = lineno;
            if ((kc = col_of(t, key)) < 0) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu: the header has no '%s' column", path, lineno, key);
                break;
            }
            continue;
        }
        if (n != t->ncol) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: %zu fields, but the header (line %zu) names %zu columns", path, lineno, n,
                          t->hline_no, t->ncol);
            break;
        }
        if (t->nrow == rcap) {
            rcap = rcap ? 2 * rcap : 16;
            char **nl = realloc(t->line, rcap * sizeof *nl), **nc = NULL;
            size_t *nn = NULL;
            if (nl) t->line = nl;
            if (nl && (nc = realloc(t->cell, rcap * t->ncol * sizeof *nc))) t->cell = nc;
            if (nc && (nn = realloc(t->lineno, rcap * sizeof *nn))) t->lineno = nn;
            if (!nn) { st = pb_error(PB_ERR_NOMEM, "out of memory reading %s", path); break; }
        }
        char *copy = strdup(buf);
        if (!copy) { st = pb_error(PB_ERR_NOMEM, "out of memory reading %s", path); break; }
        char **fields = t->cell + t->nrow * t->ncol;
        split_tabs(copy, fields);
        t->line[t->nrow] = copy;
        t->lineno[t->nrow] = lineno;
        t->nrow++;
        const char *k = fields[kc];
        if (!k[0]) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: empty '%s'", path, lineno, key); break; }
        if (row_of(t, kc, k) != (long)t->nrow - 1) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: %s '%s' appears twice", path, lineno, key, k);
            break;
        }
        for (size_t c = 0; numeric && c < t->ncol; c++) {
            double v;
            if ((long)c != kc && !is_number(fields[c], &v)) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu: column '%s': '%s' is not a number", path, lineno, t->head[c], fields[c]);
                break;
            }
        }
        if (st) break;
    }
    free(buf);
    fclose(f);
    if (!st && !t->hline) st = pb_error(PB_ERR_FORMAT, "%s: no header line", path);
    if (st) table_free(t);
    return st;
}

/* The number in column `name` of row r: 1 if the column exists and holds a
 * finite number, else 0 (v = NAN). */
static int num_at(const table *t, long r, const char *name, double *v)
{
    long c = col_of(t, name);
    *v = NAN;
    if (r < 0 || c < 0) return 0;
    double x;
    if (!is_number(t->cell[(size_t)r * t->ncol + (size_t)c], &x) || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

/* A P1 summary: as a table, plus the direction of its quality metric. */
static int summary_read(table *t, const char *path, int *absent, int *higher)
{
    int st = table_read(t, path, C_METHOD, 1, absent);
    if (st || (absent && *absent)) return st;
    if (strcmp(t->metric, "accuracy") && strcmp(t->metric, "rmse")) {
        st = pb_error(PB_ERR_FORMAT, "%s: no '# quality_metric: accuracy|rmse' line (found '%s')", path, t->metric);
        table_free(t);
        return st;
    }
    *higher = !strcmp(t->metric, "accuracy");
    return PB_OK;
}

/* The value of \newcommand{\NAME}{VALUE} in a LaTeX file: 1 if found (a
 * missing file counts as not found). */
static int macro_value(const char *path, const char *name, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[MAXLINE], want[256];
    snprintf(want, sizeof want, "\\newcommand{\\%s}{", name);
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, want, strlen(want))) continue;
        const char *v = line + strlen(want);
        const char *e = strrchr(v, '}');
        if (!e) continue;
        snprintf(out, len, "%.*s", (int)(e - v), v);
        found = 1;
    }
    fclose(f);
    return found;
}

static int macro_num(const char *path, const char *name, double *v)
{
    char s[128];
    *v = NAN;
    return macro_value(path, name, s, sizeof s) && is_number(s, v) && isfinite(*v);
}

/* ---- claims ---- */

typedef enum { V_HOLDS, V_PARTLY, V_NOT, V_NOT_RUN, V_NA, V_COUNT } verdict;
static const char *const verdict_name[V_COUNT] = {"holds", "partly", "does not hold", "not run", "not available"};

typedef struct claim {
    const char *id, *seed, *cite, *exp, *method, *criterion, *params, *text;
    const char *claims_path, *dir;
    size_t lineno;
    verdict v;
    char measured[1024], rule[1024];
} claim;

/* "key=value" of a claim's params (separated by spaces): 1 if present. */
static int param_str(const claim *c, const char *key, char *out, size_t len)
{
    size_t k = strlen(key);
    for (const char *p = c->params; *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (n > k && !strncmp(p, key, k) && p[k] == '=') {
            snprintf(out, len, "%.*s", (int)(n - k - 1), p + k + 1);
            return 1;
        }
        p += n;
    }
    return 0;
}

static int param_num(const claim *c, const char *key, double dflt, double *v)
{
    char s[64];
    *v = dflt;
    if (!param_str(c, key, s, sizeof s)) {
        if (isnan(dflt)) return pb_error(PB_ERR_FORMAT, "%s:%zu: criterion %s needs params %s=NUMBER", c->claims_path,
                                         c->lineno, c->criterion, key);
        return PB_OK;
    }
    if (!is_number(s, v) || !isfinite(*v))
        return pb_error(PB_ERR_FORMAT, "%s:%zu: params: %s='%s' is not a number", c->claims_path, c->lineno, key, s);
    return PB_OK;
}

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    if (n < len) vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}

/* x >= bound, with a margin for the rounding of printed results (a
 * summary's 0.7 and a threshold 0.7 are equal; 83% - 80% is 3 points). */
#define SLACK 1e-9
static int at_least(double x, double bound) { return x >= bound - SLACK * fmax(1, fabs(bound)); }
static int at_most(double x, double bound) { return x <= bound + SLACK * fmax(1, fabs(bound)); }

/* Holds if x >= hi, partly if x >= lo (or <= with below). */
static verdict threshold(double x, double hi, double lo, int below)
{
    if (below) return at_most(x, hi) ? V_HOLDS : at_most(x, lo) ? V_PARTLY : V_NOT;
    return at_least(x, hi) ? V_HOLDS : at_least(x, lo) ? V_PARTLY : V_NOT;
}

/* The claim's P1 summary (params summary=p1|p1c) and the method's row in it;
 * sets the verdict "not run" when either is missing (returns 0 then). */
static int claim_summary(claim *c, table *t, int *higher, long *row, int *st)
{
    char which[16] = "p1", path[1024];
    param_str(c, "summary", which, sizeof which);
    if (strcmp(which, "p1") && strcmp(which, "p1c")) {
        *st = pb_error(PB_ERR_FORMAT, "%s:%zu: params: summary='%s' (p1 or p1c)", c->claims_path, c->lineno, which);
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s/%s-summary.tsv", c->dir, c->exp, which);
    int absent;
    if ((*st = summary_read(t, path, &absent, higher))) return 0;
    if (absent) {
        c->v = V_NOT_RUN;
        say(c->measured, sizeof c->measured, "%s: no %s summary in this run", c->exp, which);
        return 0;
    }
    if ((*row = row_of(t, col_of(t, C_METHOD), c->method)) < 0) {
        c->v = V_NOT_RUN;
        say(c->measured, sizeof c->measured, "%s was not run on %s", c->method, c->exp);
        table_free(t);
        return 0;
    }
    return 1;
}

static void repeats_note(const table *t, long r, char *buf, size_t len)
{
    double n;
    if (num_at(t, r, C_REPEATS, &n)) say(buf, len, "; %.0f repeat%s", n, n == 1 ? "" : "s");
}

static int eval_tol_fraction(claim *c)
{
    double hi, lo, x;
    int st, higher;
    long r;
    table t;
    if ((st = param_num(c, "holds", NAN, &hi)) || (st = param_num(c, "partly", NAN, &lo))) return st;
    say(c->rule, sizeof c->rule, "holds if at least %g%% of the weights are removed with the mean test quality "
        "within tolerance of the unpruned network's; partly if at least %g%%; otherwise does not hold", 100 * hi, 100 * lo);
    if (!claim_summary(c, &t, &higher, &r, &st)) return st;
    if (!num_at(&t, r, C_TOL, &x)) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "%s: no %s in %s", c->method, C_TOL, t.path);
    } else {
        c->v = threshold(x, hi, lo, 0);
        char tol[64] = "", *q = tol;   /* "0.01 (absolute drop)" -> "0.01 absolute drop" */
        for (const char *p = t.tolerance; *p && q < tol + sizeof tol - 1; p++) if (*p != '(' && *p != ')') *q++ = *p;
        *q = '\0';
        say(c->measured, sizeof c->measured, "%s: %.0f%% removed within tolerance (%s, tolerance %s", c->method, 100 * x,
            t.metric, tol[0] ? tol : "the default");
        repeats_note(&t, r, c->measured, sizeof c->measured);
        say(c->measured, sizeof c->measured, ")");
    }
    table_free(&t);
    return PB_OK;
}

static int eval_beats_random(claim *c)
{
    int st, higher;
    long r, rr;
    table t;
    say(c->rule, sizeof c->rule, "holds if the paired difference of AUC to random is in the method's favour, its "
        "95%% interval excludes 0 and the paired Wilcoxon p < 0.05 (where the results give p); partly if it is in "
        "the method's favour but not significant by one of the two; otherwise does not hold");
    if (!claim_summary(c, &t, &higher, &r, &st)) return st;
    if ((rr = row_of(&t, col_of(&t, C_METHOD), "random")) < 0) {
        c->v = V_NOT_RUN;
        say(c->measured, sizeof c->measured, "random was not run on %s", c->exp);
        table_free(&t);
        return PB_OK;
    }
    double am, ar, d, lo, hi, p = NAN;
    int have_auc = num_at(&t, r, C_AUC, &am) && num_at(&t, rr, C_AUC, &ar);
    for (size_t k = 0; k < sizeof p_columns / sizeof *p_columns; k++)
        if (col_of(&t, p_columns[k]) >= 0) { num_at(&t, r, p_columns[k], &p); break; }
    double sgn = higher ? 1 : -1;   /* d * sgn > 0: in the method's favour */
    if (have_auc)
        say(c->measured, sizeof c->measured, "%s AUC %.3f, random %.3f (%s, %s is better)", c->method, am, ar, t.metric,
            higher ? "higher" : "lower");
    if (num_at(&t, r, C_DIFF, &d) && num_at(&t, r, C_DIFF_LO, &lo) && num_at(&t, r, C_DIFF_HI, &hi)) {
        /* d is read as AUC(method) - AUC(random); the mean of paired
         * differences equals the difference of the means, so a column signed
         * the other way (random - method, or "improvement" for RMSE) shows
         * as d close to -(am - ar), and its sign is read the other way. */
        if (have_auc && fabs(d + (am - ar)) < fabs(d - (am - ar))) sgn = -sgn;
        say(c->measured, sizeof c->measured, "%spaired AUC difference %+.3f, 95%% interval [%.3f, %.3f] (%s favours %s)",
            have_auc ? "; " : "", d, lo, hi, sgn > 0 ? "positive" : "negative", c->method);
        /* both tests must agree: a t interval over 2 repeats can exclude 0
         * while no Wilcoxon p over 2 repeats goes below 0.5 */
        int interval = lo > 0 || hi < 0, wilcoxon = isnan(p) || p < 0.05;
        c->v = d * sgn <= 0 ? V_NOT : interval && wilcoxon ? V_HOLDS : V_PARTLY;
        if (c->v == V_PARTLY && !interval) say(c->measured, sizeof c->measured, ", the interval includes 0: not significant");
    } else if (have_auc && !isnan(p)) {
        /* no interval in these results: the Wilcoxon p-value stands in for it */
        c->rule[0] = '\0';
        say(c->rule, sizeof c->rule, "holds if the AUC is better than random's and the paired Wilcoxon p < 0.05; "
            "partly if better with p >= 0.05; otherwise does not hold (these results have no interval of the difference)");
        c->v = (am - ar) * sgn <= 0 ? V_NOT : p < 0.05 ? V_HOLDS : V_PARTLY;
    } else {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "%sno paired difference to random in %s", have_auc ? "; " : "", t.path);
    }
    if (!isnan(p)) say(c->measured, sizeof c->measured, "; p = %.3g%s", p, p >= 0.05 ? " (not significant)" : "");
    repeats_note(&t, r, c->measured, sizeof c->measured);
    table_free(&t);
    return PB_OK;
}

static int eval_best(claim *c)
{
    char against[512], by[32] = "auc";
    int st, higher;
    long r;
    table t;
    if (!param_str(c, "against", against, sizeof against))
        return pb_error(PB_ERR_FORMAT, "%s:%zu: criterion best needs params against=M1,M2,...", c->claims_path, c->lineno);
    param_str(c, "by", by, sizeof by);
    int by_auc = !strcmp(by, "auc");
    if (!by_auc && strcmp(by, "tol_fraction"))
        return pb_error(PB_ERR_FORMAT, "%s:%zu: params: by='%s' (auc or tol_fraction)", c->claims_path, c->lineno, by);
    const char *what = by_auc ? "AUC" : "largest fraction within tolerance";
    char list[600] = "";
    for (const char *p = against; *p; p++) say(list, sizeof list, "%.*s%s", *p != ',', p, *p == ',' ? ", " : "");
    say(c->rule, sizeof c->rule, "holds if none of %s (those run) has a better %s; partly if some do; does not hold "
        "if all do", list, what);
    if (!claim_summary(c, &t, &higher, &r, &st)) return st;
    const char *col = by_auc ? C_AUC : C_TOL;
    int up = by_auc ? higher : 1;   /* a larger fraction within tolerance is always better */
    double x, y;
    if (!num_at(&t, r, col, &x)) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "%s: no %s in %s", c->method, col, t.path);
        table_free(&t);
        return PB_OK;
    }
    if (by_auc) say(c->measured, sizeof c->measured, "%s AUC %.3f (%s)", c->method, x, t.metric);
    else say(c->measured, sizeof c->measured, "%s %.0f%% within tolerance", c->method, 100 * x);
    size_t n = 0, better = 0;
    for (char *save = NULL, *m = strtok_r(against, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        long k = row_of(&t, col_of(&t, C_METHOD), m);
        if (k < 0 || k == r || !num_at(&t, k, col, &y)) continue;
        n++;
        better += up ? y > x : y < x;
        if (by_auc) say(c->measured, sizeof c->measured, "; %s %.3f", m, y);
        else say(c->measured, sizeof c->measured, "; %s %.0f%%", m, 100 * y);
    }
    if (!n) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "; none of the others was run");
    } else {
        c->v = better == 0 ? V_HOLDS : better < n ? V_PARTLY : V_NOT;
        say(c->measured, sizeof c->measured, "; %zu of these %zu better than %s", better, n, c->method);
    }
    table_free(&t);
    return PB_OK;
}

static int eval_stability(claim *c)
{
    double hi, lo, x;
    int st, higher;
    long r;
    table t;
    if ((st = param_num(c, "holds", NAN, &hi)) || (st = param_num(c, "partly", NAN, &lo))) return st;
    say(c->rule, sizeof c->rule, "holds if the stability S (quality at 0%% over quality at 90%% removed for accuracy, "
        "the inverse for RMSE; below 1: better after pruning) is at most %g; partly if at most %g; otherwise does not hold",
        hi, lo);
    if (!claim_summary(c, &t, &higher, &r, &st)) return st;
    if (!num_at(&t, r, C_S, &x)) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "%s: no %s in %s", c->method, C_S, t.path);
    } else {
        double q0;
        c->v = threshold(x, hi, lo, 1);
        say(c->measured, sizeof c->measured, "%s: S = %.3f", c->method, x);
        if (num_at(&t, r, C_Q0, &q0)) say(c->measured, sizeof c->measured, " (%s unpruned %.3f)", t.metric, q0);
        repeats_note(&t, r, c->measured, sizeof c->measured);
    }
    table_free(&t);
    return PB_OK;
}

/* Both parts of a two-part criterion: holds; one: partly; none: does not hold. */
static verdict two_parts(int a, int b) { return a && b ? V_HOLDS : a || b ? V_PARTLY : V_NOT; }

static int eval_compression(claim *c)
{
    double cmin, rise, comp, err, plain;
    int st;
    if ((st = param_num(c, "min", NAN, &cmin)) || (st = param_num(c, "rise", NAN, &rise))) return st;
    say(c->rule, sizeof c->rule, "holds if the compression is at least %gx and the test error at most %g point%s above "
        "the same network trained without sparsification; partly if one of the two; otherwise does not hold", cmin, rise,
        rise == 1 ? "" : "s");
    char path[1024], plain_path[1024], name[256], camel[128];
    snprintf(path, sizeof path, "%s/%s/%s-export.tex", c->dir, c->exp, c->method);
    snprintf(plain_path, sizeof plain_path, "%s/%s/plain-macros.tex", c->dir, c->exp);
    snprintf(name, sizeof name, "%s-%s", c->exp, c->method);
    pb_tex_camel(name, camel, sizeof camel);
    FILE *f = fopen(path, "r");
    if (!f) {
        c->v = V_NOT_RUN;
        say(c->measured, sizeof c->measured, "%s was not run on %s (no %s)", c->method, c->exp, path);
        return PB_OK;
    }
    fclose(f);
    snprintf(name, sizeof name, "pb%sCompression", camel);
    int have_c = macro_num(path, name, &comp);
    snprintf(name, sizeof name, "pb%sError", camel);
    int have_e = macro_num(path, name, &err);
    snprintf(name, sizeof name, "%s-plain", c->exp);
    pb_tex_camel(name, camel, sizeof camel);
    snprintf(name, sizeof name, "pb%sError", camel);
    int have_p = macro_num(plain_path, name, &plain);
    if (!have_c || !have_e || !have_p) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "compression or error not in %s, or the plain network's error not in %s",
            path, plain_path);
        return PB_OK;
    }
    c->v = two_parts(at_least(comp, cmin), at_most(err - plain, rise));
    say(c->measured, sizeof c->measured, "%s: compression %.1fx, test error %.2f%% (without sparsification %.2f%%, %+.2f points)",
        c->method, comp, err, plain, err - plain);
    return PB_OK;
}

/* Protocol P4 of a recurrent network and its unregularized baseline's accuracy. */
static int p4_and_plain(claim *c, table *p4, double *plain)
{
    char path[1024];
    int absent, st;
    snprintf(path, sizeof path, "%s/%s/%s-p4.tsv", c->dir, c->exp, c->method);
    if ((st = table_read(p4, path, "key", 0, &absent))) return st;
    if (absent) {
        c->v = V_NOT_RUN;
        say(c->measured, sizeof c->measured, "%s was not run on %s (no %s)", c->method, c->exp, path);
        return PB_OK;
    }
    table e;
    snprintf(path, sizeof path, "%s/%s/plain-eval.tsv", c->dir, c->exp);
    if ((st = table_read(&e, path, "repeat", 1, &absent))) { table_free(p4); return st; }
    *plain = NAN;
    if (!absent) {
        if (!strcmp(e.metric, "accuracy") && e.nrow) num_at(&e, 0, "quality", plain);
        table_free(&e);
    }
    return PB_OK;
}

static int p4_num(const table *t, const char *key, double *v)
{
    return num_at(t, row_of(t, col_of(t, "key"), key), "value", v);
}

static int eval_lstm(claim *c, int groups)
{
    double need, drop, plain, q, comp, hid, hidk, gat, gatn, inp, inpk;
    int st;
    table t;
    if ((st = param_num(c, groups ? "hidden" : "min", NAN, &need)) || (st = param_num(c, "drop", NAN, &drop))) return st;
    if (groups)
        say(c->rule, sizeof c->rule, "holds if at least %g%% of the hidden neurons are removed and the test accuracy is "
            "at most %g points below the unregularized network's; partly if some hidden neurons, inputs or gates are "
            "removed; otherwise does not hold", 100 * need, drop);
    else
        say(c->rule, sizeof c->rule, "holds if the compression is at least %gx and the test accuracy at most %g points "
            "below the unregularized network's; partly if one of the two; otherwise does not hold", need, drop);
    if ((st = p4_and_plain(c, &t, &plain)) || c->v == V_NOT_RUN) return st;
    int have = p4_num(&t, "quality", &q) && !isnan(plain);
    have = have && (groups ? p4_num(&t, "hidden", &hid) && p4_num(&t, "hidden_kept", &hidk) && p4_num(&t, "gates", &gat) &&
                             p4_num(&t, "gates_nonconst", &gatn) && p4_num(&t, "inputs", &inp) &&
                             p4_num(&t, "inputs_kept", &inpk) && hid > 0
                           : p4_num(&t, "compression", &comp));
    if (!have) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "%s: P4 quantities or the unregularized accuracy (plain-eval.tsv) missing",
            c->method);
        table_free(&t);
        return PB_OK;
    }
    double fall = 100 * (plain - q);
    if (groups) {
        int some = hidk < hid || gatn < gat || inpk < inp;
        c->v = (at_least(1 - hidk / hid, need) && at_most(fall, drop)) ? V_HOLDS : some ? V_PARTLY : V_NOT;
        say(c->measured, sizeof c->measured, "%s keeps %.0f of %.0f hidden neurons, %.0f of %.0f inputs, %.0f of %.0f "
            "gates non-constant; ", c->method, hidk, hid, inpk, inp, gatn, gat);
    } else {
        c->v = two_parts(at_least(comp, need), at_most(fall, drop));
        say(c->measured, sizeof c->measured, "%s: compression %.2fx; ", c->method, comp);
    }
    say(c->measured, sizeof c->measured, "accuracy %.1f%% (unregularized %.1f%%, %+.1f points)", 100 * q, 100 * plain, -fall);
    table_free(&t);
    return PB_OK;
}

/* The columns names[0..k) in a header of nf fields: ci[j] their indices;
 * PB_ERR_FORMAT naming the first one missing (path:lineno). */
static int header_columns(char **fld, size_t nf, const char *const *names, int k, long *ci, const char *path,
                          size_t lineno)
{
    for (int j = 0; j < k; j++) {
        ci[j] = -1;
        for (size_t i = 0; i < nf; i++)
            if (!strcmp(fld[i], names[j])) ci[j] = (long)i;
        if (ci[j] < 0) return pb_error(PB_ERR_FORMAT, "%s:%zu: no '%s' column", path, lineno, names[j]);
    }
    return PB_OK;
}

/* A protocol's result file of c's experiment, opened; NULL with *st = PB_OK
 * and the claim marked not run when the file does not exist (the protocol
 * was not part of this run), NULL with *st an error when it cannot be read. */
static FILE *open_or_not_run(claim *c, const char *path, const char *protocol, int *st)
{
    *st = PB_OK;
    FILE *f = fopen(path, "r");
    if (f) return f;
    if (errno != ENOENT) {
        *st = pb_error(PB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    c->v = V_NOT_RUN;
    say(c->measured, sizeof c->measured, "%s was not run on %s (no %s)", protocol, c->exp, path);
    return NULL;
}

/* ---- P3 (seed 000): the threshold sweep's mean curves per posterior family ---- */

#define P3_MAXGRID 256

typedef struct p3fam {
    char name[16];
    size_t n;
    double lambda[P3_MAXGRID], kept[P3_MAXGRID], f1[P3_MAXGRID], bound[P3_MAXGRID];
} p3fam;

/* <dir>/<exp>/p3-mean.tsv (sweep-summary --mean): blocks "# family F, ..."
 * each with a header (lambda, kept, f1, bound among its columns) and one
 * row per lambda, ascending. *nf families (at most 4). Absent: V_NOT_RUN. */
static int p3_read(claim *c, p3fam *fam, size_t *nf)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/p3-mean.tsv", c->dir, c->exp);
    *nf = 0;
    int st;
    FILE *f = open_or_not_run(c, path, "P3", &st);
    if (!f) return st;
    char line[MAXLINE];
    size_t lineno = 0;
    long ci[4] = {-1, -1, -1, -1};   /* lambda, kept, f1, bound */
    int want_header = 0;
    p3fam *cur = NULL;
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "# family ", 9)) {
            if (*nf == 4) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: more than 4 families", path, lineno); break; }
            cur = &fam[(*nf)++];
            memset(cur, 0, sizeof *cur);
            snprintf(cur->name, sizeof cur->name, "%.*s", (int)strcspn(line + 9, ", "), line + 9);
            want_header = 1;
            continue;
        }
        if (line[0] == '#' || !line[0]) continue;
        if (!cur) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: a row before any '# family' line", path, lineno); break; }
        char *fld[64];
        size_t n = count_fields(line);
        if (n > 64) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: %zu columns", path, lineno, n); break; }
        split_tabs(line, fld);
        if (want_header) {
            static const char *const names[4] = {"lambda", "kept", "f1", "bound"};
            st = header_columns(fld, n, names, 4, ci, path, lineno);
            want_header = 0;
            continue;
        }
        if (cur->n == P3_MAXGRID) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: more than %d lambdas", path, lineno, P3_MAXGRID); break; }
        double v[4];
        for (int k = 0; k < 4 && !st; k++)
            if ((size_t)ci[k] >= n || !is_number(fld[ci[k]], &v[k]))
                st = pb_error(PB_ERR_FORMAT, "%s:%zu: column %ld is not a number", path, lineno, ci[k] + 1);
        if (st) break;
        if (cur->n && !(v[0] > cur->lambda[cur->n - 1]))
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: lambda %g does not ascend", path, lineno, v[0]);
        cur->lambda[cur->n] = v[0], cur->kept[cur->n] = v[1], cur->f1[cur->n] = v[2], cur->bound[cur->n] = v[3];
        cur->n++;
    }
    fclose(f);
    for (size_t k = 0; !st && k < *nf; k++)
        if (fam[k].n < 3) st = pb_error(PB_ERR_FORMAT, "%s: family %s has %zu lambdas (at least 3 needed)", path,
                                        fam[k].name, fam[k].n);
    if (!st && *nf == 0) st = pb_error(PB_ERR_FORMAT, "%s: no '# family' block", path);
    return st;
}

static const p3fam *p3_family(const p3fam *fam, size_t nf, const char *name)
{
    for (size_t k = 0; k < nf; k++)
        if (!strcmp(fam[k].name, name)) return &fam[k];
    return NULL;
}

/* p3_min: "a lambda exists that minimizes L": the mean bound's argmin over
 * the grid (the first on a plateau) lies strictly inside it and keeps some
 * weights (a minimum at the empty network is the trivial model, not a
 * complexity that balances fit and KL), for every family (holds), some
 * (partly). */
static int eval_p3_min(claim *c)
{
    p3fam fam[4];
    size_t nf;
    say(c->rule, sizeof c->rule, "holds if the mean bound L is smallest at a lambda strictly inside the grid that keeps "
        "some weights, for every posterior family; partly for some; otherwise does not hold");
    int st = p3_read(c, fam, &nf);
    if (st || c->v == V_NOT_RUN) return st;
    size_t inside = 0;
    for (size_t k = 0; k < nf; k++) {
        const p3fam *f = &fam[k];
        size_t a = 0;
        for (size_t j = 1; j < f->n; j++)
            if (f->bound[j] < f->bound[a]) a = j;
        int in = a > 0 && a + 1 < f->n, some = f->kept[a] > 0;
        inside += in && some;
        say(c->measured, sizeof c->measured, "%s%s: L smallest at lambda %.3g (grid %.3g..%.3g), keeping %.1f%% (L %.4g "
            "against %.4g unpruned)%s", k ? "; " : "", f->name, f->lambda[a], f->lambda[0], f->lambda[f->n - 1],
            100 * f->kept[a], f->bound[a], f->bound[0],
            !in ? ", at the grid's end" : !some ? ", the empty network" : "");
    }
    c->v = inside == nf ? V_HOLDS : inside ? V_PARTLY : V_NOT;
    return PB_OK;
}

/* p3_prune keep=K drop=D: "most parameters can be removed with little
 * change in F1": per family, the smallest kept fraction over the lambdas
 * whose mean macro F1 is at most D below the smallest lambda's; at most K
 * for every family holds, for some partly. */
static int eval_p3_prune(claim *c)
{
    double keep, drop;
    int st;
    if ((st = param_num(c, "keep", NAN, &keep)) || (st = param_num(c, "drop", NAN, &drop))) return st;
    say(c->rule, sizeof c->rule, "holds if, for every posterior family, some lambda keeps at most %g%% of the weights "
        "with a mean macro F1 at most %g below the smallest lambda's (nearly unpruned); partly for some; otherwise does "
        "not hold", 100 * keep, drop);
    p3fam fam[4];
    size_t nf;
    if ((st = p3_read(c, fam, &nf)) || c->v == V_NOT_RUN) return st;
    size_t good = 0;
    for (size_t k = 0; k < nf; k++) {
        const p3fam *f = &fam[k];
        size_t best = 0;
        for (size_t j = 1; j < f->n; j++)
            if (at_least(f->f1[j], f->f1[0] - drop) && f->kept[j] < f->kept[best]) best = j;
        good += at_most(f->kept[best], keep);
        say(c->measured, sizeof c->measured, "%s%s keeps %.1f%% at lambda %.3g, macro F1 %.3f (%.3f nearly unpruned)",
            k ? "; " : "", f->name, 100 * f->kept[best], f->lambda[best], f->f1[best], f->f1[0]);
    }
    c->v = good == nf ? V_HOLDS : good ? V_PARTLY : V_NOT;
    return PB_OK;
}

/* p3_cross: "at small lambda D removes more weights than I, at large lambda
 * fewer": some lambda where D keeps less than I, and a larger one where D
 * keeps more (by more than 1 point of the weights each): holds; only the
 * first: partly. Needs families I and D on the same grid. */
static int eval_p3_cross(claim *c)
{
    say(c->rule, sizeof c->rule, "holds if at some lambda D keeps fewer weights than I and at a larger lambda more "
        "(differences above 1%% of the weights); partly if only the first; otherwise does not hold");
    p3fam fam[4];
    size_t nf;
    int st = p3_read(c, fam, &nf);
    if (st || c->v == V_NOT_RUN) return st;
    const p3fam *I = p3_family(fam, nf, "I"), *D = p3_family(fam, nf, "D");
    if (!I || !D || I->n != D->n) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "families I and D on one grid needed");
        return PB_OK;
    }
    const double margin = 0.01;
    long first = -1, later = -1;
    for (size_t j = 0; j < I->n; j++) {
        if (I->lambda[j] != D->lambda[j]) {
            c->v = V_NA;
            say(c->measured, sizeof c->measured, "I and D swept on different grids");
            return PB_OK;
        }
        if (first < 0 && D->kept[j] < I->kept[j] - margin) first = (long)j;
        if (first >= 0 && later < 0 && D->kept[j] > I->kept[j] + margin) later = (long)j;
    }
    c->v = first >= 0 && later >= 0 ? V_HOLDS : first >= 0 ? V_PARTLY : V_NOT;
    if (first >= 0)
        say(c->measured, sizeof c->measured, "at lambda %.3g D keeps %.1f%%, I %.1f%%", D->lambda[first],
            100 * D->kept[first], 100 * I->kept[first]);
    else
        say(c->measured, sizeof c->measured, "D never keeps fewer weights than I");
    if (later >= 0)
        say(c->measured, sizeof c->measured, "; at lambda %.3g D keeps %.1f%%, I %.1f%%", D->lambda[later],
            100 * D->kept[later], 100 * I->kept[later]);
    else if (first >= 0)
        say(c->measured, sizeof c->measured, "; at no larger lambda does D keep more");
    return PB_OK;
}

/* ---- P5 (seed 003): the summary per method and lambda ---- */

#define P5_MAX 64

typedef struct p5row {
    char method[32];
    double lambda, acc, stab, own, shared;
} p5row;

/* <dir>/<exp>/p5-summary.tsv (scripts/p5-summary.sh). Absent: V_NOT_RUN. */
static int p5_read(claim *c, p5row *rows, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/p5-summary.tsv", c->dir, c->exp);
    *n = 0;
    int st;
    FILE *f = open_or_not_run(c, path, "P5", &st);
    if (!f) return st;
    char line[MAXLINE];
    size_t lineno = 0;
    long ci[6] = {-1, -1, -1, -1, -1, -1};
    static const char *const names[6] = {"method", "lambda", "accuracy", "stability", "updates_own", "updates_shared"};
    int header = 1;
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !line[0]) continue;
        char *fld[64];
        size_t nf = count_fields(line);
        if (nf > 64) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: %zu columns", path, lineno, nf); break; }
        split_tabs(line, fld);
        if (header) {
            st = header_columns(fld, nf, names, 6, ci, path, lineno);
            header = 0;
            continue;
        }
        if (*n == P5_MAX) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: more than %d rows", path, lineno, P5_MAX); break; }
        p5row *r = &rows[*n];
        double v[5];
        for (int k = 1; k < 6 && !st; k++)
            if ((size_t)ci[k] >= nf || !is_number(fld[ci[k]], &v[k - 1]))
                st = pb_error(PB_ERR_FORMAT, "%s:%zu: column '%s' is not a number", path, lineno, names[k]);
        if (st) break;
        snprintf(r->method, sizeof r->method, "%s", fld[ci[0]]);
        r->lambda = v[0], r->acc = v[1], r->stab = v[2], r->own = v[3], r->shared = v[4];
        (*n)++;
    }
    fclose(f);
    return st;
}

/* A method's mean accuracy over its lambdas and its cost (the sum of the
 * own updates plus the shared ones); 0 if absent. */
static int p5_method(const p5row *rows, size_t n, const char *method, double *acc, double *cost, size_t *nl)
{
    double a = 0, own = 0, shared = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].method, method)) a += rows[i].acc, own += rows[i].own, shared = fmax(shared, rows[i].shared), k++;
    if (!k) return 0;
    *acc = a / (double)k, *cost = own + shared, *nl = k;
    return 1;
}

/* p5_close drop=D ratio=R: "the hypernetwork's models reach accuracy close
 * to direct training at a fraction of the parameter updates": the claim's
 * method's mean accuracy over the lambdas at most D below direct's, and its
 * updates (for every lambda) at most R times direct's: holds; one: partly. */
static int eval_p5_close(claim *c)
{
    double drop, ratio;
    int st;
    if ((st = param_num(c, "drop", NAN, &drop)) || (st = param_num(c, "ratio", NAN, &ratio))) return st;
    say(c->rule, sizeof c->rule, "holds if the mean test accuracy over the lambdas is at most %g below direct "
        "training's and the parameter updates to obtain every lambda's model at most %g times direct's; partly if one "
        "of the two; otherwise does not hold", drop, ratio);
    p5row rows[P5_MAX];
    size_t n, nl, nd;
    if ((st = p5_read(c, rows, &n)) || c->v == V_NOT_RUN) return st;
    double a, u, ad, ud;
    if (!p5_method(rows, n, c->method, &a, &u, &nl) || !p5_method(rows, n, "direct", &ad, &ud, &nd) || ud <= 0) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "%s or direct missing from the P5 summary", c->method);
        return PB_OK;
    }
    c->v = two_parts(at_least(a, ad - drop), at_most(u / ud, ratio));
    say(c->measured, sizeof c->measured, "%s: mean accuracy %.3f against direct %.3f (%+.3f); updates %.3g against "
        "%.3g (%.2f times)", c->method, a, ad, a - ad, u, ud, u / ud);
    return PB_OK;
}

/* p5_stable: "more stable under pruning (S closer to 1)": |S - 1| of the
 * claim's method below direct training's at every lambda: holds; at half of
 * them or more: partly. */
static int eval_p5_stable(claim *c)
{
    say(c->rule, sizeof c->rule, "holds if the stability S is closer to 1 than direct training's at every lambda; "
        "partly at half of them or more; otherwise does not hold");
    p5row rows[P5_MAX];
    size_t n;
    int st = p5_read(c, rows, &n);
    if (st || c->v == V_NOT_RUN) return st;
    size_t total = 0, closer = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].method, c->method)) continue;
        for (size_t j = 0; j < n; j++)
            if (!strcmp(rows[j].method, "direct") && rows[j].lambda == rows[i].lambda) {
                total++;
                closer += fabs(rows[i].stab - 1) < fabs(rows[j].stab - 1);
                say(c->measured, sizeof c->measured, "%slambda %g: S %.3f against direct %.3f", total > 1 ? "; " : "",
                    rows[i].lambda, rows[i].stab, rows[j].stab);
            }
    }
    if (!total) {
        c->v = V_NA;
        say(c->measured, sizeof c->measured, "%s or direct missing from the P5 summary", c->method);
        return PB_OK;
    }
    c->v = closer == total ? V_HOLDS : 2 * closer >= total ? V_PARTLY : V_NOT;
    return PB_OK;
}

static const char *const criteria[] = {"tol_fraction", "beats_random", "best", "stability", "compression",
                                       "lstm_compression", "groups", "p3_min", "p3_prune", "p3_cross", "p5_close", "p5_stable"};

static int eval_claim(claim *c)
{
    c->v = V_NA;
    c->measured[0] = c->rule[0] = '\0';
    if (!strcmp(c->criterion, "tol_fraction")) return eval_tol_fraction(c);
    if (!strcmp(c->criterion, "beats_random")) return eval_beats_random(c);
    if (!strcmp(c->criterion, "best")) return eval_best(c);
    if (!strcmp(c->criterion, "stability")) return eval_stability(c);
    if (!strcmp(c->criterion, "compression")) return eval_compression(c);
    if (!strcmp(c->criterion, "lstm_compression")) return eval_lstm(c, 0);
    if (!strcmp(c->criterion, "groups")) return eval_lstm(c, 1);
    if (!strcmp(c->criterion, "p3_min")) return eval_p3_min(c);
    if (!strcmp(c->criterion, "p3_prune")) return eval_p3_prune(c);
    if (!strcmp(c->criterion, "p3_cross")) return eval_p3_cross(c);
    if (!strcmp(c->criterion, "p5_close")) return eval_p5_close(c);
    if (!strcmp(c->criterion, "p5_stable")) return eval_p5_stable(c);
    char known[256] = "";
    for (size_t k = 0; k < sizeof criteria / sizeof *criteria; k++) say(known, sizeof known, "%s%s", k ? ", " : "", criteria[k]);
    return pb_error(PB_ERR_FORMAT, "%s:%zu: unknown criterion '%s' (known: %s)", c->claims_path, c->lineno, c->criterion, known);
}

/* Is word w in the list (separated by spaces, commas or tabs)? A NULL list holds every word. */
static int in_list(const char *list, const char *w)
{
    if (!list) return 1;
    size_t n = strlen(w);
    for (const char *p = list; *p;) {
        p += strspn(p, " ,\t\n");
        size_t k = strcspn(p, " ,\t\n");
        if (k == n && !strncmp(p, w, n)) return 1;
        p += k;
    }
    return 0;
}

/* The criteria that read a tabular P1 summary (their experiments make the
 * cross-dataset table when no datasets are given). */
static int on_summary(const char *criterion)
{
    return !strcmp(criterion, "tol_fraction") || !strcmp(criterion, "beats_random") || !strcmp(criterion, "best") ||
           !strcmp(criterion, "stability");
}

/* ---- the cross-dataset table ---- */

typedef struct dset {
    char name[128];
    int absent, higher;
    table t;
} dset;

typedef struct mrow {
    char name[128];
    double mean_rank;
    size_t nd;
    int own;                 /* unpruned quality differs from random's somewhere */
    double *auc, *tol, *rank;   /* per dataset; NAN where not run */
} mrow;

static int cmp_mrow(const void *a, const void *b)
{
    const mrow *x = a, *y = b;
    if (!x->nd != !y->nd) return !x->nd - !y->nd;
    if (x->nd && x->mean_rank != y->mean_rank) return x->mean_rank < y->mean_rank ? -1 : 1;
    return pb_summary_method_cmp(x->name, y->name);
}

/* Rank of every method of dataset d by AUC: 1 + the number strictly better
 * + half the number tied with it (the mean of the tied ranks). */
static void rank_dataset(mrow *m, size_t nm, size_t d, int higher)
{
    for (size_t i = 0; i < nm; i++) {
        double a = m[i].auc[d];
        if (isnan(a)) continue;
        double better = 0, tied = 0;
        for (size_t j = 0; j < nm; j++) {
            double b = m[j].auc[d];
            if (j == i || isnan(b)) continue;
            if (b == a) tied++;
            else better += higher ? b > a : b < a;
        }
        m[i].rank[d] = 1 + better + tied / 2;
    }
}

static void free_methods(mrow *m, size_t nm)
{
    for (size_t i = 0; i < nm; i++) { free(m[i].auc); free(m[i].tol); free(m[i].rank); }
    free(m);
}

/* Every method of the datasets' summaries, with its AUC, fraction and ranks. */
static int build_methods(dset *ds, size_t nd, mrow **out, size_t *nout)
{
    size_t nm = 0, cap = 0;
    mrow *m = NULL;
    for (size_t d = 0; d < nd; d++) {
        if (ds[d].absent) continue;
        table *t = &ds[d].t;
        long mc = col_of(t, C_METHOD), rr = row_of(t, mc, "random");
        double q0r = NAN;
        num_at(t, rr, C_Q0, &q0r);
        for (size_t r = 0; r < t->nrow; r++) {
            const char *name = t->cell[r * t->ncol + (size_t)mc];
            size_t i;
            for (i = 0; i < nm; i++) if (!strcmp(m[i].name, name)) break;
            if (i == nm) {
                if (nm == cap) {
                    mrow *g = realloc(m, (cap = cap ? 2 * cap : 16) * sizeof *g);
                    if (!g) { free_methods(m, nm); return pb_error(PB_ERR_NOMEM, "out of memory"); }
                    m = g;
                }
                memset(&m[nm], 0, sizeof m[nm]);
                snprintf(m[nm].name, sizeof m[nm].name, "%s", name);
                m[nm].auc = malloc(nd * sizeof(double)), m[nm].tol = malloc(nd * sizeof(double));
                m[nm].rank = malloc(nd * sizeof(double));
                nm++;
                if (!m[i].auc || !m[i].tol || !m[i].rank) { free_methods(m, nm); return pb_error(PB_ERR_NOMEM, "out of memory"); }
                for (size_t k = 0; k < nd; k++) m[i].auc[k] = m[i].tol[k] = m[i].rank[k] = NAN;
            }
            double q0;
            num_at(t, (long)r, C_AUC, &m[i].auc[d]);
            num_at(t, (long)r, C_TOL, &m[i].tol[d]);
            if (num_at(t, (long)r, C_Q0, &q0) && !isnan(q0r) && fabs(q0 - q0r) > 1e-9 * fmax(1, fabs(q0r))) m[i].own = 1;
        }
    }
    for (size_t d = 0; d < nd; d++) if (!ds[d].absent) rank_dataset(m, nm, d, ds[d].higher);
    for (size_t i = 0; i < nm; i++) {
        double s = 0;
        for (size_t d = 0; d < nd; d++) if (!isnan(m[i].rank[d])) s += m[i].rank[d], m[i].nd++;
        m[i].mean_rank = m[i].nd ? s / (double)m[i].nd : NAN;
    }
    if (nm) qsort(m, nm, sizeof *m, cmp_mrow);
    *out = m;
    *nout = nm;
    return PB_OK;
}

/* ---- output ---- */

static void tex_num(FILE *f, double x, const char *fmt, double scale, const char *unit)
{
    if (isnan(x)) fputs("---", f);
    else fprintf(f, fmt, scale * x), fputs(unit, f);
}

static void write_tex_methods(FILE *f, const dset *ds, size_t nd, const mrow *m, size_t nm, int quick)
{
    char e[512];
    size_t shown = 0;
    for (size_t d = 0; d < nd; d++) shown += !ds[d].absent;
    fprintf(f, "\n\\subsection*{All methods across datasets}\n");
    if (!nm) {
        fprintf(f, "No P1 summary of a tabular dataset in this run.\n");
        return;
    }
    /* shrunk to the line width only when wider */
    fprintf(f, "\\begin{table}[H]\n\\centering\\small\n"
               "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%%\n\\begin{tabular}{l");
    for (size_t d = 0; d < nd; d++) if (!ds[d].absent) fprintf(f, "rr");
    fprintf(f, "r}\n\\toprule\n");
    size_t col = 2;
    for (size_t d = 0; d < nd; d++) {
        if (ds[d].absent) continue;
        pb_tex_escape(ds[d].name, e, sizeof e);
        fprintf(f, " & \\multicolumn{2}{c}{%s (%s)}", e, ds[d].higher ? "accuracy" : "RMSE");
    }
    fprintf(f, " & \\\\\n");
    for (size_t d = 0; d < nd; d++) if (!ds[d].absent) fprintf(f, "\\cmidrule(lr){%zu-%zu}", col, col + 1), col += 2;
    fprintf(f, "\nmethod");
    for (size_t d = 0; d < nd; d++) if (!ds[d].absent) fprintf(f, " & AUC (rank) & max.\\ removed");
    fprintf(f, " & mean rank \\\\\n\\midrule\n");
    int any_own = 0;
    for (size_t i = 0; i < nm; i++) {
        pb_tex_escape(m[i].name, e, sizeof e);
        fprintf(f, "\\texttt{%s}%s", e, m[i].own ? "$^\\dagger$" : "");
        any_own |= m[i].own;
        for (size_t d = 0; d < nd; d++) {
            if (ds[d].absent) continue;
            fputs(" & ", f);
            tex_num(f, m[i].auc[d], "%.3g", 1, "");
            if (!isnan(m[i].rank[d])) fprintf(f, " (%g)", m[i].rank[d]);
            fputs(" & ", f);
            tex_num(f, m[i].tol[d], "%.0f", 100, "\\%");
        }
        fputs(" & ", f);
        if (m[i].nd) fprintf(f, "%.2f", m[i].mean_rank);
        else fputs("---", f);
        if (m[i].nd && m[i].nd < shown) fprintf(f, " (%zu of %zu)", m[i].nd, shown);
        fprintf(f, " \\\\\n");
    }
    fprintf(f, "\\bottomrule\n\\end{tabular}}\n");
    fprintf(f, "\\caption{Every method of this run on the tabular datasets (protocol P1, without compensation, mean "
               "over repeats): area under the quality--fraction curve with its rank on the dataset (1 = best: highest AUC "
               "for accuracy, lowest for RMSE; ties share the mean rank), the largest fraction removed within tolerance, "
               "and the mean rank over the datasets where the method ran, by which the rows are sorted.");
    if (any_own)
        fprintf(f, " $^\\dagger$: the unpruned quality differs from random's: the method trains its own network, so its "
                   "AUC also reflects that network's quality, not only the removal order.");
    if (quick) fprintf(f, " Quick scale: not evidence.");
    fprintf(f, "}\n\\end{table}\n");
}

static void write_tex(FILE *f, const pb_findings_opts *o, const claim *c, size_t nc, const size_t *count, const dset *ds,
                      size_t nd, const mrow *m, size_t nm, int quick)
{
    char e[4096], sc[256];
    pb_tex_escape(o->scale ? o->scale : "unknown", sc, sizeof sc);
    fprintf(f, "%% generated by prunebench findings -- do not edit (the body of report.tex's Findings section)\n");
    if (quick)
        fprintf(f, "\\paragraph{Quick scale: not evidence.} Every number in this section comes from the quick setting "
                   "(few repeats, short training), which checks that the pipeline runs; none of it is evidence for or "
                   "against a claim, and no $p$-value at this scale can be significant. The verdicts are computed all the "
                   "same and marked ``(quick scale)''.\n\n");
    fprintf(f, "Each claim below is one a seed paper makes and this suite tests, with what this run (scale: %s) "
               "measured and the verdict under the criterion stated with it: holds, partly, or does not hold; ``not "
               "run'' when the method or experiment was not part of this run, ``not available'' when the results lack "
               "the quantity. All numbers are read from the results by \\texttt{prunebench findings}.\n", sc);
    fprintf(f, "Of %zu claims: %zu hold, %zu partly, %zu do not hold, %zu not run, %zu not available%s.\n", nc,
            count[V_HOLDS], count[V_PARTLY], count[V_NOT], count[V_NOT_RUN], count[V_NA], quick ? " (quick scale)" : "");
    fprintf(f, "\\begin{enumerate}\n");
    for (size_t i = 0; i < nc; i++) {
        const claim *k = &c[i];
        pb_tex_escape(k->id, e, sizeof e);
        fprintf(f, "\\item \\textbf{%s}%s --- \\texttt{%s} ", verdict_name[k->v], quick ? " (quick scale)" : "", e);
        pb_tex_escape(k->seed, e, sizeof e);
        fprintf(f, "(seed %s", e);
        if (k->cite[0]) fprintf(f, " \\cite{%s}", k->cite);
        pb_tex_escape(k->exp, e, sizeof e);
        fprintf(f, "; \\texttt{%s}): ", e);
        pb_tex_escape(k->text, e, sizeof e);
        fprintf(f, "``%s''\\\\\n", e);
        pb_tex_escape(k->measured, e, sizeof e);
        fprintf(f, "\\emph{Measured:} %s.\\\\\n", e);
        pb_tex_escape(k->rule, e, sizeof e);
        fprintf(f, "\\emph{Criterion:} %s.\n", e);
    }
    fprintf(f, "\\end{enumerate}\n");
    write_tex_methods(f, ds, nd, m, nm, quick);
}

static void write_tsv(FILE *f, const pb_findings_opts *o, const claim *c, size_t nc, const size_t *count, const dset *ds,
                      size_t nd, const mrow *m, size_t nm, int quick)
{
    fprintf(f, "# prunebench findings\n");
    pb_write_provenance(f);
    fprintf(f, "# scale: %s%s\n", o->scale ? o->scale : "unknown", quick ? " (quick setting: not evidence)" : "");
    fprintf(f, "# claims: %zu; holds %zu, partly %zu, does not hold %zu, not run %zu, not available %zu\n", nc,
            count[V_HOLDS], count[V_PARTLY], count[V_NOT], count[V_NOT_RUN], count[V_NA]);
    fprintf(f, "# table: claims\nid\tseed\texperiment\tmethod\tverdict\tmeasured\tcriterion\n");
    for (size_t i = 0; i < nc; i++)
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c[i].id, c[i].seed, c[i].exp, c[i].method, verdict_name[c[i].v],
                c[i].measured, c[i].rule);
    fprintf(f, "\n# table: methods (rank by AUC per dataset, 1 = best; mean over the datasets where the method ran; "
               "own_network 1: unpruned quality differs from random's)\nmethod\tmean_rank\tdatasets\town_network");
    for (size_t d = 0; d < nd; d++)
        if (!ds[d].absent) fprintf(f, "\t%s_auc\t%s_rank\t%s_tol_fraction", ds[d].name, ds[d].name, ds[d].name);
    fputc('\n', f);
    for (size_t i = 0; i < nm; i++) {
        fprintf(f, "%s\t%.4g\t%zu\t%d", m[i].name, m[i].mean_rank, m[i].nd, m[i].own);
        for (size_t d = 0; d < nd; d++)
            if (!ds[d].absent) fprintf(f, "\t%.6g\t%.4g\t%.4g", m[i].auc[d], m[i].rank[d], m[i].tol[d]);
        fputc('\n', f);
    }
}

int pb_findings(const pb_findings_opts *o)
{
    static const char *const need_cols[] = {"id", "seed", "cite", "experiment", "method", "criterion", "params", "claim"};
    table ct;
    int st = table_read(&ct, o->claims, "id", 0, NULL);
    if (st) return st;
    long col[8];
    for (size_t k = 0; k < 8; k++)
        if ((col[k] = col_of(&ct, need_cols[k])) < 0) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: the header has no '%s' column", o->claims, ct.hline_no, need_cols[k]);
            table_free(&ct);
            return st;
        }
    int quick = o->scale && !strcmp(o->scale, "quick");
    size_t nc = ct.nrow, nd = 0, nm = 0, count[V_COUNT] = {0};
    claim *c = pb_calloc(nc ? nc : 1, sizeof *c);
    dset *ds = NULL;
    mrow *m = NULL;
    char *dlist = NULL;
    pb_outfile out = {0};
    if (!c) { st = PB_ERR_NOMEM; goto done; }
    for (size_t i = 0; i < nc && !st; i++) {
        char **f = ct.cell + i * ct.ncol;
        c[i] = (claim){f[col[0]], f[col[1]], f[col[2]], f[col[3]], f[col[4]], f[col[5]], f[col[6]], f[col[7]],
                       o->claims, o->results_dir, ct.lineno[i], V_NA, "", ""};
        if (strspn(c[i].cite, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:-,") != strlen(c[i].cite))
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: cite '%s' is not a list of citation keys", o->claims, c[i].lineno,
                          c[i].cite);
        else if (!(st = eval_claim(&c[i]))) {
            /* (P3 claims concern the posterior families I and D, not a method: method "-";
             * P5 claims the protocol's own methods, not plugins) */
            int exp_in = in_list(o->experiments, c[i].exp),
                method_in = !strcmp(c[i].method, "-") || !strncmp(c[i].criterion, "p5_", 3) ||
                            in_list(o->methods, c[i].method);
            if (!exp_in || !method_in) {   /* whatever older results say */
                c[i].v = V_NOT_RUN;
                snprintf(c[i].measured, sizeof c[i].measured, "%s is not among this run's %s", exp_in ? c[i].method : c[i].exp,
                         exp_in ? "methods" : "experiments");
            }
            count[c[i].v]++;
        }
    }
    if (st) goto done;
    /* the datasets of the method table */
    if (o->datasets) dlist = strdup(o->datasets);
    else {
        size_t len = 1;
        for (size_t i = 0; i < nc; i++) len += strlen(c[i].exp) + 1;
        if ((dlist = malloc(len))) {
            dlist[0] = '\0';
            for (size_t i = 0; i < nc; i++) {
                if (!on_summary(c[i].criterion)) continue;
                int seen = 0;
                for (size_t j = 0; j < i; j++) seen |= on_summary(c[j].criterion) && !strcmp(c[j].exp, c[i].exp);
                if (!seen) strcat(strcat(dlist, c[i].exp), " ");
            }
        }
    }
    if (!dlist) { st = pb_error(PB_ERR_NOMEM, "out of memory"); goto done; }
    ds = pb_calloc(strlen(dlist) / 2 + 1, sizeof *ds);
    if (!ds) { st = PB_ERR_NOMEM; goto done; }
    for (char *save = NULL, *d = strtok_r(dlist, " ,\t\n", &save); d; d = strtok_r(NULL, " ,\t\n", &save)) {
        char path[1024];
        snprintf(ds[nd].name, sizeof ds[nd].name, "%s", d);
        snprintf(path, sizeof path, "%s/%s/p1-summary.tsv", o->results_dir, d);
        if ((st = summary_read(&ds[nd].t, path, &ds[nd].absent, &ds[nd].higher))) goto done;
        nd++;
    }
    if ((st = build_methods(ds, nd, &m, &nm))) { m = NULL; goto done; }
    if (o->tex_out) {
        if ((st = pb_out_open(&out, o->tex_out))) goto done;
        write_tex(out.f, o, c, nc, count, ds, nd, m, nm, quick);
        if ((st = pb_out_commit(&out))) goto done;
    }
    if (o->tsv_out) {
        if ((st = pb_out_open(&out, o->tsv_out))) goto done;
        write_tsv(out.f, o, c, nc, count, ds, nd, m, nm, quick);
        if ((st = pb_out_commit(&out))) goto done;
    }
done:
    if (out.f) pb_out_abort(&out);
    if (m) free_methods(m, nm);
    for (size_t d = 0; ds && d < nd; d++) if (!ds[d].absent) table_free(&ds[d].t);
    free(ds);
    free(dlist);
    free(c);
    table_free(&ct);
    return st;
}
