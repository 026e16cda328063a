/* baselines.c -- see baselines.h. */
#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/baselines.h"
#include "protocols/metrics.h"
#include "base/util.h"

/* ---- features ---- */

int pb_pair_features(const pb_data *pairs, const double *E, size_t rows, size_t dim, pb_data *out)
{
    memset(out, 0, sizeof *out);
    if (pairs->vocab == 0 || pairs->d == 0 || pairs->d % 2 || pairs->ydim != 1)
        return pb_error(PB_ERR_ARG, "%s: not a pair set of token ids (vocab %zu, d %zu)", pairs->name, pairs->vocab,
                        pairs->d);
    int st = pb_data_alloc(out, pairs->name, pairs->n, 4 * dim, 1, pairs->n_classes);
    if (st) return st;
    size_t L = pairs->d / 2;
    for (size_t i = 0; i < pairs->n; i++) {
        double *f = out->X + i * 4 * dim;   /* m_a at f, m_b at f + dim */
        for (int half = 0; half < 2; half++) {
            double *m = f + half * dim;
            size_t cnt = 0;
            for (size_t t = 0; t < L; t++) {
                double v = pairs->X[i * pairs->d + half * L + t];
                if (!(v >= 2 && v < (double)rows)) continue;
                const double *e = E + (size_t)v * dim;
                for (size_t j = 0; j < dim; j++) m[j] += e[j];
                cnt++;
            }
            for (size_t j = 0; j < dim && cnt; j++) m[j] /= (double)cnt;
        }
        for (size_t j = 0; j < dim; j++) {
            f[2 * dim + j] = fabs(f[j] - f[dim + j]);
            f[3 * dim + j] = f[j] * f[dim + j];
        }
        out->y[i] = pairs->y[i];
    }
    return PB_OK;
}

static int *labels_of(const pb_data *d)
{
    int *y = pb_calloc(d->n ? d->n : 1, sizeof *y);
    for (size_t i = 0; y && i < d->n; i++) y[i] = (int)d->y[i];
    return y;
}

/* ---- liblinear ---- */

struct pb_linear { struct model *m; };

static void quiet(const char *s) { (void)s; }

/* Rows as liblinear's sparse vectors: d entries (index 1..d), the bias
 * feature (index d+1, value 1), the terminator (index -1). */
static struct feature_node *rows_of(const double *X, size_t n, size_t d, struct feature_node **x)
{
    struct feature_node *nodes = pb_calloc(n * (d + 2), sizeof *nodes);
    if (!nodes) return NULL;
    for (size_t i = 0; i < n; i++) {
        struct feature_node *r = nodes + i * (d + 2);
        for (size_t j = 0; j < d; j++) r[j].index = (int)j + 1, r[j].value = X[i * d + j];
        r[d].index = (int)d + 1, r[d].value = 1.0;
        r[d + 1].index = -1;
        if (x) x[i] = r;
    }
    return nodes;
}

int pb_linear_fit(const double *X, const int *y, size_t n, size_t d, int kind, double C, pb_linear **out)
{
    *out = NULL;
    set_print_string_function(quiet);
    struct problem prob = {(int)n, (int)d + 1, pb_calloc(n, sizeof(double)), pb_calloc(n, sizeof(void *)), 1.0};
    struct parameter par = {kind == PB_LINEAR_LR ? L2R_LR : L2R_L2LOSS_SVC, 0.01, C, 0, NULL, NULL, 0.1, NULL};
    struct feature_node *nodes = prob.y && prob.x ? rows_of(X, n, d, prob.x) : NULL;
    int st = nodes ? PB_OK : PB_ERR_NOMEM;
    const char *why = st ? NULL : check_parameter(&prob, &par);
    if (why) st = pb_error(PB_ERR_ARG, "liblinear: %s", why);
    pb_linear *m = st ? NULL : pb_calloc(1, sizeof *m);
    if (!st && !m) st = PB_ERR_NOMEM;
    for (size_t i = 0; !st && i < n; i++) prob.y[i] = y[i];
    if (!st && !(m->m = train(&prob, &par))) st = pb_error(PB_ERR_NUMERIC, "liblinear: training failed");
    /* the model keeps no pointer into the problem */
    free(prob.y), free(prob.x), free(nodes);
    if (st) free(m);
    else *out = m;
    return st;
}

void pb_linear_predict(const pb_linear *m, const double *X, size_t n, size_t d, int *pred)
{
    struct feature_node *r = pb_calloc(d + 2, sizeof *r);
    if (!r) {
        memset(pred, 0, n * sizeof *pred);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) r[j].index = (int)j + 1, r[j].value = X[i * d + j];
        r[d].index = (int)d + 1, r[d].value = 1.0;
        r[d + 1].index = -1;
        pred[i] = (int)predict(m->m, r);
    }
    free(r);
}

int pb_linear_version(void) { return liblinear_version; }

void pb_linear_free(pb_linear *m)
{
    if (!m) return;
    free_and_destroy_model(&m->m);
    free(m);
}

/* ---- CART ---- */

typedef struct tree_build {
    const double *X;
    const int *y;
    size_t d, min_leaf;
    int k, max_depth;
    size_t *idx, *tmp;
    struct { double v; size_t row; } *sorted;
    size_t *cl, *cr;    /* class counts left and right, k each */
} tree_build;

static int by_value(const void *a, const void *b)
{
    const struct { double v; size_t row; } *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* n G = n - sum_c n_c^2 / n: Gini impurity times the count. */
static double gini_n(const size_t *c, int k, size_t n)
{
    double s = 0;
    for (int j = 0; j < k; j++) s += (double)c[j] * (double)c[j];
    return n ? (double)n - s / (double)n : 0.0;
}

static int tree_push(pb_tree *t, int depth, int cls)
{
    if (t->n_nodes == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        pb_tree_node *nn = realloc(t->nodes, cap * sizeof *nn);
        if (!nn) return -1;
        t->nodes = nn, t->cap = cap;
    }
    t->nodes[t->n_nodes] = (pb_tree_node){-1, 0.0, -1, -1, cls, depth};
    return (int)t->n_nodes++;
}

/* Grow the node of rows idx[lo, hi) at depth; returns its index or -1 (no memory). */
static int grow(tree_build *b, pb_tree *t, size_t lo, size_t hi, int depth)
{
    size_t n = hi - lo;
    memset(b->cl, 0, (size_t)b->k * sizeof *b->cl);
    for (size_t i = lo; i < hi; i++) b->cl[b->y[b->idx[i]]]++;
    int cls = 0;
    for (int c = 1; c < b->k; c++)
        if (b->cl[c] > b->cl[cls]) cls = c;
    int node = tree_push(t, depth, cls);
    if (node < 0) return -1;
    if (depth >= b->max_depth || n < 2 * b->min_leaf || b->cl[cls] == n) return node;
    int best_f = -1;
    double best = INFINITY, best_t = 0;
    for (size_t f = 0; f < b->d; f++) {
        for (size_t i = 0; i < n; i++) {
            size_t r = b->idx[lo + i];
            b->sorted[i].v = b->X[r * b->d + f], b->sorted[i].row = r;
        }
        qsort(b->sorted, n, sizeof *b->sorted, by_value);
        memset(b->cl, 0, (size_t)b->k * sizeof *b->cl);
        memset(b->cr, 0, (size_t)b->k * sizeof *b->cr);
        for (size_t i = 0; i < n; i++) b->cr[b->y[b->sorted[i].row]]++;
        for (size_t i = 0; i + 1 < n; i++) {  /* left: sorted[0..i] */
            int c = b->y[b->sorted[i].row];
            b->cl[c]++, b->cr[c]--;
            size_t nl = i + 1, nr = n - nl;
            if (b->sorted[i].v == b->sorted[i + 1].v || nl < b->min_leaf || nr < b->min_leaf) continue;
            double g = (gini_n(b->cl, b->k, nl) + gini_n(b->cr, b->k, nr)) / (double)n;
            if (g < best - 1e-12 * (best < INFINITY ? fabs(best) : 0)) {
                double lo_v = b->sorted[i].v, hi_v = b->sorted[i + 1].v, th = lo_v + (hi_v - lo_v) / 2;
                best = g, best_f = (int)f, best_t = th < hi_v ? th : lo_v;
            }
        }
    }
    if (best_f < 0) return node;
    size_t nl = 0, nr = 0;  /* stable partition of idx[lo, hi) */
    for (size_t i = lo; i < hi; i++)
        if (b->X[b->idx[i] * b->d + (size_t)best_f] <= best_t) b->idx[lo + nl++] = b->idx[i];
        else b->tmp[nr++] = b->idx[i];
    memcpy(b->idx + lo + nl, b->tmp, nr * sizeof *b->tmp);
    int l = grow(b, t, lo, lo + nl, depth + 1);
    int r = l < 0 ? -1 : grow(b, t, lo + nl, hi, depth + 1);
    if (r < 0) return -1;
    t->nodes[node].feature = best_f, t->nodes[node].threshold = best_t;
    t->nodes[node].left = l, t->nodes[node].right = r;
    return node;
}

int pb_tree_fit(const double *X, const int *y, size_t n, size_t d, int k, int max_depth, size_t min_leaf, pb_tree *t)
{
    memset(t, 0, sizeof *t);
    if (n == 0 || k < 1 || max_depth < 0 || min_leaf < 1)
        return pb_error(PB_ERR_ARG, "tree: %zu rows, %d classes, depth %d, min leaf %zu", n, k, max_depth, min_leaf);
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= k) return pb_error(PB_ERR_ARG, "tree: row %zu has class %d of %d", i, y[i], k);
    tree_build b = {X, y, d, min_leaf, k, max_depth, pb_calloc(n, sizeof(size_t)), pb_calloc(n, sizeof(size_t)),
                    NULL, pb_calloc((size_t)k, sizeof(size_t)), pb_calloc((size_t)k, sizeof(size_t))};
    b.sorted = pb_calloc(n, sizeof *b.sorted);
    int st = b.idx && b.tmp && b.sorted && b.cl && b.cr ? PB_OK : PB_ERR_NOMEM;
    for (size_t i = 0; !st && i < n; i++) b.idx[i] = i;
    if (!st && grow(&b, t, 0, n, 0) < 0) st = pb_error(PB_ERR_NOMEM, "tree: out of memory");
    free(b.idx), free(b.tmp), free(b.sorted), free(b.cl), free(b.cr);
    if (st) pb_tree_free(t);
    return st;
}

int pb_tree_predict(const pb_tree *t, const double *x, int max_depth)
{
    const pb_tree_node *nd = t->nodes;
    while (nd->feature >= 0 && (max_depth < 0 || nd->depth < max_depth))
        nd = t->nodes + (x[nd->feature] <= nd->threshold ? nd->left : nd->right);
    return nd->cls;
}

void pb_tree_free(pb_tree *t)
{
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

/* ---- kNN ---- */

int pb_knn_neighbors(const double *Xtr, size_t ntr, const double *Xq, size_t nq, size_t d, size_t kmax,
                     size_t *nbr)
{
    if (kmax == 0 || kmax > ntr) return pb_error(PB_ERR_ARG, "kNN: %zu neighbours of %zu rows", kmax, ntr);
    double *best = pb_calloc(kmax, sizeof *best);
    if (!best) return PB_ERR_NOMEM;
    for (size_t q = 0; q < nq; q++) {
        const double *x = Xq + q * d;
        size_t *nb = nbr + q * kmax, have = 0;
        for (size_t i = 0; i < ntr; i++) {
            const double *z = Xtr + i * d;
            double s = 0;   /* ||x - z||^2 */
            for (size_t j = 0; j < d; j++) s += (x[j] - z[j]) * (x[j] - z[j]);
            /* insert into the sorted list; equal distances keep index order (i grows) */
            if (have == kmax && !(s < best[kmax - 1])) continue;
            size_t p = have < kmax ? have++ : kmax - 1;
            while (p > 0 && s < best[p - 1]) best[p] = best[p - 1], nb[p] = nb[p - 1], p--;
            best[p] = s, nb[p] = i;
        }
    }
    free(best);
    return PB_OK;
}

int pb_knn_vote(const size_t *nbr, size_t k, const int *ytr, int n_classes)
{
    size_t votes[64] = {0}, first[64];
    int nc = n_classes < 64 ? n_classes : 64;
    for (int c = 0; c < nc; c++) first[c] = (size_t)-1;
    for (size_t j = 0; j < k; j++) {
        int c = ytr[nbr[j]];
        if (c < 0 || c >= nc) continue;
        if (!votes[c]++) first[c] = j;
    }
    int win = 0;
    for (int c = 1; c < nc; c++)
        if (votes[c] > votes[win] || (votes[c] == votes[win] && first[c] < first[win])) win = c;
    return win;
}

/* ---- the four baselines ---- */

const double pb_baseline_C[] = {1e-3, 1e-2, 1e-1, 1, 10, 100};
const size_t pb_baseline_n_C = sizeof pb_baseline_C / sizeof *pb_baseline_C;
const int pb_baseline_depths[] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20};
const size_t pb_baseline_n_depths = sizeof pb_baseline_depths / sizeof *pb_baseline_depths;
const size_t pb_baseline_ks[] = {1, 3, 5, 7, 9, 11, 15, 21, 31, 41, 51, 71, 101};
const size_t pb_baseline_n_ks = sizeof pb_baseline_ks / sizeof *pb_baseline_ks;
#define TREE_MIN_LEAF 1   /* scikit-learn's default */

typedef struct parts {
    const pb_data *tr, *va, *te;
    int *ytr, *yva, *yte, *pred;
    int k;
} parts;

static int linear_baseline(const parts *p, int kind, pb_baseline_result *r)
{
    int st = PB_OK;
    pb_linear *keep = NULL;
    r->val_f1 = -1;
    for (size_t g = 0; !st && g < pb_baseline_n_C; g++) {
        pb_linear *m;
        double t0 = pb_seconds();
        if ((st = pb_linear_fit(p->tr->X, p->ytr, p->tr->n, p->tr->d, kind, pb_baseline_C[g], &m))) break;
        double secs = pb_seconds() - t0;
        pb_linear_predict(m, p->va->X, p->va->n, p->va->d, p->pred);
        double f1 = pb_macro_f1(p->yva, p->pred, p->va->n, p->k);
        if (f1 > r->val_f1) {
            pb_linear_free(keep);
            keep = m, r->val_f1 = f1, r->value = pb_baseline_C[g], r->train_seconds = secs;
        } else pb_linear_free(m);
    }
    if (!st) {
        double t0 = pb_seconds();
        pb_linear_predict(keep, p->te->X, p->te->n, p->te->d, p->pred);
        r->test_seconds = pb_seconds() - t0;
        r->test_f1 = pb_macro_f1(p->yte, p->pred, p->te->n, p->k);
        r->test_acc = pb_accuracy(p->yte, p->pred, p->te->n);
    }
    pb_linear_free(keep);
    return st;
}

static void tree_predict_all(const pb_tree *t, const pb_data *x, int depth, int *pred)
{
    for (size_t i = 0; i < x->n; i++) pred[i] = pb_tree_predict(t, x->X + i * x->d, depth);
}

static int tree_baseline(const parts *p, pb_baseline_result *r)
{
    pb_tree t;
    int deepest = pb_baseline_depths[pb_baseline_n_depths - 1], best = 0;
    int st = pb_tree_fit(p->tr->X, p->ytr, p->tr->n, p->tr->d, p->k, deepest, TREE_MIN_LEAF, &t);
    if (st) return st;
    r->val_f1 = -1;
    for (size_t g = 0; g < pb_baseline_n_depths; g++) {  /* depth g: the truncation of the deepest tree */
        tree_predict_all(&t, p->va, pb_baseline_depths[g], p->pred);
        double f1 = pb_macro_f1(p->yva, p->pred, p->va->n, p->k);
        if (f1 > r->val_f1) r->val_f1 = f1, best = pb_baseline_depths[g];
    }
    pb_tree_free(&t);
    double t0 = pb_seconds();   /* the chosen tree, fitted at its own depth */
    if ((st = pb_tree_fit(p->tr->X, p->ytr, p->tr->n, p->tr->d, p->k, best, TREE_MIN_LEAF, &t))) return st;
    r->train_seconds = pb_seconds() - t0;
    r->value = best;
    t0 = pb_seconds();
    tree_predict_all(&t, p->te, -1, p->pred);
    r->test_seconds = pb_seconds() - t0;
    r->test_f1 = pb_macro_f1(p->yte, p->pred, p->te->n, p->k);
    r->test_acc = pb_accuracy(p->yte, p->pred, p->te->n);
    pb_tree_free(&t);
    return PB_OK;
}

static int knn_baseline(const parts *p, pb_baseline_result *r)
{
    size_t kmax = 0;
    for (size_t g = 0; g < pb_baseline_n_ks; g++)
        if (pb_baseline_ks[g] <= p->tr->n && pb_baseline_ks[g] > kmax) kmax = pb_baseline_ks[g];
    size_t nq = p->va->n > p->te->n ? p->va->n : p->te->n;
    size_t *nbr = pb_calloc((nq ? nq : 1) * (kmax ? kmax : 1), sizeof *nbr);
    if (!nbr) return PB_ERR_NOMEM;
    int st = pb_knn_neighbors(p->tr->X, p->tr->n, p->va->X, p->va->n, p->tr->d, kmax, nbr);
    size_t best = 1;
    r->val_f1 = -1;
    for (size_t g = 0; !st && g < pb_baseline_n_ks && pb_baseline_ks[g] <= kmax; g++) {
        for (size_t i = 0; i < p->va->n; i++) p->pred[i] = pb_knn_vote(nbr + i * kmax, pb_baseline_ks[g], p->ytr, p->k);
        double f1 = pb_macro_f1(p->yva, p->pred, p->va->n, p->k);
        if (f1 > r->val_f1) r->val_f1 = f1, best = pb_baseline_ks[g];
    }
    double t0 = pb_seconds();
    if (!st) st = pb_knn_neighbors(p->tr->X, p->tr->n, p->te->X, p->te->n, p->tr->d, best, nbr);
    if (!st) {
        for (size_t i = 0; i < p->te->n; i++) p->pred[i] = pb_knn_vote(nbr + i * best, best, p->ytr, p->k);
        r->test_seconds = pb_seconds() - t0;
        r->value = (double)best, r->train_seconds = 0;
        r->test_f1 = pb_macro_f1(p->yte, p->pred, p->te->n, p->k);
        r->test_acc = pb_accuracy(p->yte, p->pred, p->te->n);
    }
    free(nbr);
    return st;
}

int pb_baselines_fit(const pb_data *ftrain, const pb_data *fval, const pb_data *ftest,
                     pb_baseline_result res[PB_BASELINES])
{
    memset(res, 0, PB_BASELINES * sizeof *res);
    if (ftrain->n_classes < 2 || ftrain->n_classes > 64 || !ftrain->n || !fval->n || !ftest->n ||
        fval->d != ftrain->d || ftest->d != ftrain->d)
        return pb_error(PB_ERR_ARG, "baselines: %d classes (2..64), %zu/%zu/%zu rows, %zu/%zu/%zu features",
                        ftrain->n_classes, ftrain->n, fval->n, ftest->n, ftrain->d, fval->d, ftest->d);
    static const char *names[] = {"logistic_regression", "linear_svc", "decision_tree", "knn"};
    static const char *libs[] = {"liblinear", "liblinear", "prunebench", "prunebench"};
    static const char *params[] = {"C", "C", "max_depth", "k"};
    for (int c = 0; c < PB_BASELINES; c++) res[c].name = names[c], res[c].library = libs[c], res[c].param = params[c];
    size_t nmax = ftrain->n > fval->n ? ftrain->n : fval->n;
    nmax = nmax > ftest->n ? nmax : ftest->n;
    parts p = {ftrain, fval, ftest, labels_of(ftrain), labels_of(fval), labels_of(ftest), pb_calloc(nmax, sizeof(int)),
               ftrain->n_classes};
    int st = p.ytr && p.yva && p.yte && p.pred ? PB_OK : PB_ERR_NOMEM;
    const pb_data *all[] = {ftrain, fval, ftest};
    const int *ys[] = {p.ytr, p.yva, p.yte};
    for (int a = 0; !st && a < 3; a++)
        for (size_t i = 0; !st && i < all[a]->n; i++)
            if (ys[a][i] < 0 || ys[a][i] >= p.k || ys[a][i] != all[a]->y[i])
                st = pb_error(PB_ERR_ARG, "%s: row %zu has label %g (classes 0..%d)", all[a]->name, i, all[a]->y[i],
                              p.k - 1);
    if (!st) st = linear_baseline(&p, PB_LINEAR_LR, &res[0]);
    if (!st) st = linear_baseline(&p, PB_LINEAR_SVC, &res[1]);
    if (!st) st = tree_baseline(&p, &res[2]);
    if (!st) st = knn_baseline(&p, &res[3]);
    free(p.ytr), free(p.yva), free(p.yte), free(p.pred);
    return st;
}

int pb_baselines_run(const pb_data *train, const pb_data *val, const pb_data *test, const double *E, size_t rows,
                     size_t dim, pb_baseline_result res[PB_BASELINES])
{
    pb_data f[3];
    memset(f, 0, sizeof f);
    pb_scaling sc = {0};
    const pb_data *in[] = {train, val, test};
    int st = PB_OK;
    for (int a = 0; !st && a < 3; a++) st = pb_pair_features(in[a], E, rows, dim, &f[a]);
    if (!st) st = pb_standardize(&f[0], &f[1], 0, &sc);
    for (size_t i = 0; !st && i < f[2].n; i++) {  /* the test part with the training part's scaling */
        double *x = f[2].X + i * f[2].d;
        for (size_t j = 0; j < f[2].d; j++) x[j] = (x[j] - sc.x_mean[j]) / sc.x_sd[j];
    }
    if (!st) st = pb_baselines_fit(&f[0], &f[1], &f[2], res);
    pb_scaling_free(&sc);
    for (int a = 0; a < 3; a++) pb_data_free(&f[a]);
    return st;
}
