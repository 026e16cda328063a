/* baselines.c -- seed 000 Table 1 baselines (protocols/baselines.h), their
 * metrics (protocols/metrics.h) and the LSA word vectors (datasets/lsa.h),
 * on fixtures small enough to check by hand. */
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <string.h>

#include "tap.h"
#include "base/util.h"
#include "datasets/data.h"
#include "protocols/baselines.h"
#include "datasets/lsa.h"
#include "protocols/metrics.h"

/* A splitmix stream for fixtures. */
static uint64_t st_ = 12345;
static double unif(void) { return (double)(pb_mix64(st_++) >> 11) / 9007199254740992.0; }

static void test_metrics(void)
{
    /* true 0: 5 right, 1 as class 1; true 1: 2 as 0, 3 right, 1 as 2; class 3 absent */
    int t[12], p[12], n = 0;
    for (int i = 0; i < 5; i++) t[n] = 0, p[n++] = 0;
    t[n] = 0, p[n++] = 1;
    for (int i = 0; i < 2; i++) t[n] = 1, p[n++] = 0;
    for (int i = 0; i < 3; i++) t[n] = 1, p[n++] = 1;
    t[n] = 1, p[n++] = 2;
    /* F1_0 = 10/13, F1_1 = 6/10, F1_2 = 0 (one false positive), class 3 left out */
    is_double(pb_macro_f1(t, p, 12, 4), (10.0 / 13 + 0.6 + 0) / 3, 1e-12,
              "macro F1 of a hand-computed confusion matrix");
    is_double(pb_accuracy(t, p, 12), 8.0 / 12, 1e-12, "accuracy of the same");
    size_t conf[16];
    ok(pb_confusion(t, p, 12, 4, conf) == PB_OK && conf[0] == 5 && conf[1] == 1 && conf[4] == 2 && conf[6] == 1 &&
           conf[15] == 0, "the confusion matrix, rows true and columns predicted");
    p[0] = 4;
    ok(pb_confusion(t, p, 12, 4, conf) == PB_ERR_ARG, "a prediction outside the classes is an error");
    int one[3] = {2, 2, 2};
    is_double(pb_macro_f1(one, one, 3, 6), 1.0, 0, "perfect predictions of one class present: macro F1 1");
}

static void test_features(void)
{
    pb_data pr, f;
    TAP_REQUIRE(pb_data_alloc(&pr, "pairs", 2, 6, 1, 6) == 0);
    pr.vocab = 5, pr.seq_len = 6;
    const double ids[12] = {0, 2, 3, 1, 4, 4, /* pair 1 */ 0, 0, 0, 0, 0, 2};
    memcpy(pr.X, ids, sizeof ids);
    pr.y[0] = 3, pr.y[1] = 5;
    const double E[10] = {9, 9, 9, 9, 1, 2, 3, 0, -1, 4};   /* ids 0 and 1 never read */
    TAP_REQUIRE(pb_pair_features(&pr, E, 5, 2, &f) == 0);
    /* pair 0: m_a = ((1,2)+(3,0))/2 = (2,1); m_b = (-1,4) (the OOV id 1 skipped) */
    const double want[16] = {2, 1, -1, 4, 3, 3, -2, 4, /* pair 1: empty A */ 0, 0, 1, 2, 1, 2, 0, 0};
    double diff = 0;
    for (int i = 0; i < 16; i++) diff = fmax(diff, fabs(f.X[i] - want[i]));
    ok(f.n == 2 && f.d == 8 && diff == 0 && f.y[0] == 3 && f.y[1] == 5 && f.vocab == 0,
       "pair features: means, |difference|, product, labels (max diff %g)", diff);
    pb_data_free(&f);
    pb_data_free(&pr);
}

static void test_linear(void)
{
    /* three well-separated clusters: every one-vs-rest problem is separable */
    enum { N = 60 };
    double X[2 * N];
    int y[N], pred[N];
    const double cx[3] = {-5, 5, 0}, cy[3] = {0, 0, 8};
    for (int i = 0; i < N; i++)
        y[i] = i % 3, X[2 * i] = cx[y[i]] + unif() - 0.5, X[2 * i + 1] = cy[y[i]] + unif() - 0.5;
    for (int kind = 0; kind < 2; kind++) {
        pb_linear *m;
        TAP_REQUIRE(pb_linear_fit(X, y, N, 2, kind, 10, &m) == 0);
        pb_linear_predict(m, X, N, 2, pred);
        ok(pb_accuracy(y, pred, N) == 1.0, "liblinear %s separates a separable fixture",
           kind == PB_LINEAR_LR ? "logistic regression" : "linear SVC");
        pb_linear_free(m);
    }
}

static void test_tree(void)
{
    /* XOR-like: (x0, x1) -> class; (0,0) x4 -> 0, (1,1) x2 -> 0, (0,1) x2 -> 1, (1,0) -> 1 */
    const double X[18] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0};
    const int y[9] = {0, 0, 0, 0, 0, 0, 1, 1, 1};
    pb_tree t;
    TAP_REQUIRE(pb_tree_fit(X, y, 9, 2, 2, 2, 1, &t) == 0);
    /* root: x0 <= .5 gives (6 rows, 4/2: Gini 4/9; 3 rows, 2/1: 4/9), weighted 4/9 = .444; x1 <= .5 gives
     * (5 rows, 4/1: 8/25; 4 rows, 2/2: 1/2), weighted 5/9 8/25 + 4/9 1/2 = 2/5: the split is on x1. (Both
     * misclassify 3 rows: an error-count criterion would keep the first feature, x0.) */
    ok(t.nodes[0].feature == 1 && t.nodes[0].threshold == 0.5, "the tree's root splits x1 at 0.5 (feature %d, %g)",
       t.nodes[0].feature, t.nodes[0].threshold);
    int right = 0, right1 = 0;
    for (int i = 0; i < 9; i++) right += pb_tree_predict(&t, X + 2 * i, -1) == y[i];
    for (int i = 0; i < 9; i++) right1 += pb_tree_predict(&t, X + 2 * i, 1) == y[i];
    ok(right == 9 && t.n_nodes == 7, "depth 2 fits the XOR-like fixture (%d of 9, %zu nodes)", right, t.n_nodes);
    ok(right1 == 6, "its depth-1 truncation: x1=0 -> 0 (4/1), x1=1 -> 0 (2/2 tie: lower class): 6 of 9 (%d)", right1);
    pb_tree_free(&t);
    TAP_REQUIRE(pb_tree_fit(X, y, 9, 2, 2, 2, 4, &t) == 0);
    ok(t.nodes[0].feature == 1 && t.n_nodes == 3,
       "min leaf 4: the root's 5 | 4 split, children of < 8 rows stay leaves");
    pb_tree_free(&t);
    TAP_REQUIRE(pb_tree_fit(X, y, 9, 2, 2, 2, 5, &t) == 0);
    ok(t.n_nodes == 1 && t.nodes[0].cls == 0, "min leaf 5: 9 rows do not split; the leaf predicts the majority 0");
    pb_tree_free(&t);

    /* a random set: the depth-k tree equals the depth-k truncation of a deeper one */
    enum { N = 300, D = 5 };
    static double R[N * D];
    static int ry[N];
    for (int i = 0; i < N * D; i++) R[i] = floor(unif() * 8);
    for (int i = 0; i < N; i++) ry[i] = (R[i * D] + R[i * D + 1] > 7) + (unif() < 0.2) * 2;
    pb_tree deep, shallow;
    TAP_REQUIRE(pb_tree_fit(R, ry, N, D, 4, 12, 2, &deep) == 0);
    int same = 1;
    for (int k = 0; k <= 4; k++) {
        TAP_REQUIRE(pb_tree_fit(R, ry, N, D, 4, k, 2, &shallow) == 0);
        for (int i = 0; i < N; i++)
            same &= pb_tree_predict(&deep, R + i * D, k) == pb_tree_predict(&shallow, R + i * D, -1);
        pb_tree_free(&shallow);
    }
    ok(same, "trees of depth 0..4 predict as the truncations of the depth-12 tree");
    pb_tree_free(&deep);
}

static void test_knn(void)
{
    const double X[5] = {0, 1, 2, 10, 3};
    const int y[5] = {0, 1, 1, 0, 2};
    size_t nbr[5 * 5];
    TAP_REQUIRE(pb_knn_neighbors(X, 5, X, 5, 1, 1, nbr) == 0);
    int right = 0;
    for (int i = 0; i < 5; i++) right += pb_knn_vote(nbr + i, 1, y, 3) == y[i];
    ok(right == 5, "kNN, k = 1, reproduces the training labels");
    const double q[3] = {0.9, 0.4, 0.5};
    TAP_REQUIRE(pb_knn_neighbors(X, 5, q, 3, 1, 3, nbr) == 0);
    /* 0.9: rows 1 (.01), 0 (.81), 2 (1.21) -> classes 1, 0, 1 -> 1 */
    ok(nbr[0] == 1 && nbr[1] == 0 && nbr[2] == 2 && pb_knn_vote(nbr, 3, y, 3) == 1, "kNN, k = 3, by hand: class 1");
    /* 0.4, k = 2: row 0 (class 0, .16) and row 1 (class 1, .36) tie 1-1: the nearest's class */
    ok(pb_knn_vote(nbr + 3, 2, y, 3) == 0, "a tied vote goes to the class of the nearer neighbour");
    /* 0.5: rows 0 and 1 both at .25: the lower index first */
    ok(nbr[6] == 0 && nbr[7] == 1 && pb_knn_vote(nbr + 6, 1, y, 3) == 0, "equal distances: the lower row first");
}

/* ||A - U U^T A||_F^2 for A (m x n), U (m x k) */
static double rank_error(const double *A, size_t m, size_t n, const double *U, size_t k)
{
    double e = 0;
    for (size_t c = 0; c < n; c++) {
        double proj[64] = {0};
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i < m; i++) proj[j] += U[i * k + j] * A[i * n + c];
        for (size_t i = 0; i < m; i++) {
            double r = A[i * n + c];
            for (size_t j = 0; j < k; j++) r -= U[i * k + j] * proj[j];
            e += r * r;
        }
    }
    return e;
}

/* The singular values of A (m x n, m >= n) by GSL's one-sided Jacobi SVD, descending. */
static void naive_sv(const double *A, size_t m, size_t n, double *s)
{
    gsl_matrix *a = gsl_matrix_alloc(m, n), *v = gsl_matrix_alloc(n, n);
    gsl_vector *sv = gsl_vector_alloc(n);
    memcpy(a->data, A, m * n * sizeof *A);
    gsl_linalg_SV_decomp_jacobi(a, v, sv);
    for (size_t i = 0; i < n; i++) s[i] = gsl_vector_get(sv, i);
    gsl_matrix_free(a), gsl_matrix_free(v), gsl_vector_free(sv);
}

static void test_lsa(void)
{
    /* a dense 30 x 20 matrix: the rank-5 reduction from the Gram matrix against GSL's full SVD */
    enum { M = 30, N = 20, K = 5 };
    static double A[M * N], G[M * M], U[M * K], s[K], sn[N];
    for (int i = 0; i < M * N; i++) A[i] = unif() < 0.3 ? floor(unif() * 4) : 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            G[i * M + j] = 0;
            for (int c = 0; c < N; c++) G[i * M + j] += A[i * N + c] * A[j * N + c];
        }
    TAP_REQUIRE(pb_lsa_from_gram(M, G, K, U, s) == 0);
    naive_sv(A, M, N, sn);
    double tail = 0, sdiff = 0;
    for (int i = K; i < N; i++) tail += sn[i] * sn[i];
    for (int i = 0; i < K; i++) sdiff = fmax(sdiff, fabs(s[i] - sn[i]));
    double err = rank_error(A, M, N, U, K);
    ok(sdiff < 1e-9 * sn[0], "LSA: the 5 leading singular values equal GSL's SVD's (max diff %g)", sdiff);
    is_double(err, tail, 1e-9 * tail, "LSA: rank-5 reconstruction error = sum of the squared trailing singular values");

    /* the tf-idf matrix of a pair set: 4 pairs, L = 3, vocab 7 */
    pb_data pr;
    TAP_REQUIRE(pb_data_alloc(&pr, "pairs", 4, 6, 1, 6) == 0);
    pr.vocab = 7, pr.seq_len = 6;
    const double ids[24] = {2, 2, 3, /**/ 0, 3, 4, /**/ 0, 5, 6, /**/ 1, 2, 6, /**/ 4, 5, 6, /**/ 0, 0, 3,
                            0, 2, 5, /**/ 6, 6, 4};
    memcpy(pr.X, ids, sizeof ids);
    static double T[7 * 8], GT[49], GG[49];
    TAP_REQUIRE(pb_lsa_tfidf(&pr, T) == 0);
    /* word 2: sentences 0 (tf 2), 3, 6: df 3 of 8; word 6: sentences 2, 3, 4, 7 (tf 2): df 4 */
    ok(fabs(T[2 * 8 + 0] - 2 * log(8.0 / 3)) < 1e-12 && fabs(T[6 * 8 + 7] - 2 * log(2.0)) < 1e-12 &&
           T[1 * 8 + 3] == 0 && T[0] == 0,
       "tf-idf: tf * log(N / df); padding and out-of-vocabulary ids have no row");
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            GT[i * 7 + j] = 0;
            for (int c = 0; c < 8; c++) GT[i * 7 + j] += T[i * 8 + c] * T[j * 8 + c];
        }
    TAP_REQUIRE(pb_lsa_gram(&pr, GG) == 0);
    double gd = 0;
    for (int i = 0; i < 49; i++) gd = fmax(gd, fabs(GG[i] - GT[i]));
    ok(gd < 1e-12, "the Gram matrix built sentence by sentence equals A A^T (max diff %g)", gd);
    /* the vectors: E^T E = diag(s^2) (U orthonormal), s = the leading singular values of A */
    static double E[7 * 3], E2[7 * 3], sv[3], stf[8];
    TAP_REQUIRE(pb_lsa_vectors(&pr, 3, E, sv) == 0);
    double At[8 * 7];   /* naive_sv needs rows >= columns: A^T has the same singular values */
    for (int i = 0; i < 7; i++)
        for (int c = 0; c < 8; c++) At[c * 7 + i] = T[i * 8 + c];
    naive_sv(At, 8, 7, stf);
    double od = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double e = 0;
            for (int w = 0; w < 7; w++) e += E[w * 3 + a] * E[w * 3 + b];
            od = fmax(od, fabs(e - (a == b ? sv[a] * sv[a] : 0)));
        }
    ok(od < 1e-9 && fabs(sv[0] - stf[0]) < 1e-9 && fabs(sv[2] - stf[2]) < 1e-9 && E[0] == 0 && E[3] == 0,
       "LSA vectors: E^T E = diag(s^2), s = A's singular values, rows of ids 0 and 1 zero");
    TAP_REQUIRE(pb_lsa_vectors(&pr, 3, E2, sv) == 0);
    ok(!memcmp(E, E2, sizeof E), "LSA vectors: the same bytes twice");
    pb_data_free(&pr);
}

/* A pair set whose class is the number of words the two sentences share (0..5). */
static void pair_fixture(pb_data *p, size_t n, const char *name)
{
    enum { L = 6, V = 40 };
    TAP_REQUIRE(pb_data_alloc(p, name, n, 2 * L, 1, 6) == 0);
    p->vocab = V, p->seq_len = 2 * L;
    for (size_t i = 0; i < n; i++) {
        int shared = (int)(unif() * 6);
        double *x = p->X + i * 2 * L;
        for (int t = 0; t < L; t++) x[t] = 2 + floor(unif() * (V - 2)), x[L + t] = 2 + floor(unif() * (V - 2));
        for (int t = 0; t < shared; t++) x[L + t] = x[t];
        x[0] = unif() < 0.3 ? 0 : x[0];   /* some padding */
        p->y[i] = shared;
    }
}

static void test_run(void)
{
    pb_data tr, va, te;
    pair_fixture(&tr, 400, "fx/train"), pair_fixture(&va, 100, "fx/val"), pair_fixture(&te, 100, "fx/test");
    size_t dim = 8;
    static double E[40 * 8], E2[40 * 8];
    TAP_REQUIRE(pb_lsa_vectors(&tr, dim, E, NULL) == 0);
    TAP_REQUIRE(pb_lsa_vectors(&tr, dim, E2, NULL) == 0);
    pb_baseline_result a[PB_BASELINES], b[PB_BASELINES];
    TAP_REQUIRE(pb_baselines_run(&tr, &va, &te, E, 40, dim, a) == 0);
    TAP_REQUIRE(pb_baselines_run(&tr, &va, &te, E2, 40, dim, b) == 0);
    int same = !memcmp(E, E2, sizeof E), sane = 1;
    for (int c = 0; c < PB_BASELINES; c++) {
        same &= a[c].value == b[c].value && a[c].val_f1 == b[c].val_f1 && a[c].test_f1 == b[c].test_f1 &&
                a[c].test_acc == b[c].test_acc;
        sane &= a[c].val_f1 >= 0 && a[c].val_f1 <= 1 && a[c].test_f1 >= 0 && a[c].test_f1 <= 1;
        diag("%-20s %-10s %-9s %8g  val F1 %.3f  test acc %.3f  test F1 %.3f", a[c].name, a[c].library, a[c].param,
             a[c].value, a[c].val_f1, a[c].test_acc, a[c].test_f1);
    }
    ok(same && sane, "the four baselines: the same choices and scores from the same data, twice");
    ok(!strcmp(a[0].library, "liblinear") && !strcmp(a[2].name, "decision_tree") && a[3].train_seconds == 0,
       "rows name their classifier and library");
    pb_data_free(&tr), pb_data_free(&va), pb_data_free(&te);
}

int main(void)
{
    plan(26);
    test_metrics();
    test_features();
    test_linear();
    test_tree();
    test_knn();
    test_lsa();
    test_run();
    return done_testing();
}
