/* split.c -- seeded stratified split, standardization, synthetic data. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "datasets/csv.h"
#include "datasets/data.h"
#include "datasets/synthetic.h"
#include "base/util.h"

static int count_class(const pb_data *d, int c)
{
    int k = 0;
    for (size_t i = 0; i < d->n; i++) k += (int)d->y[i] == c;
    return k;
}

/* Is train + test a permutation of all's rows? Rows matched by content
 * (features and target), each original row used exactly once. */
static int is_row_permutation(const pb_data *all, const pb_data *train, const pb_data *test)
{
    if (train->n + test->n != all->n) return 0;
    size_t d = all->d, k = all->ydim;
    unsigned char *used = calloc(all->n, 1);
    TAP_REQUIRE(used != NULL);
    int okay = 1;
    for (size_t part = 0; part < 2 && okay; part++) {
        const pb_data *p = part ? test : train;
        for (size_t i = 0; i < p->n && okay; i++) {
            size_t found = all->n;
            for (size_t r = 0; r < all->n; r++) {
                if (used[r]) continue;
                if (!memcmp(all->X + r * d, p->X + i * d, d * sizeof(double)) &&
                    !memcmp(all->y + r * k, p->y + i * k, k * sizeof(double))) {
                    found = r;
                    break;
                }
            }
            if (found == all->n) okay = 0;
            else used[found] = 1;
        }
    }
    free(used);
    return okay;
}

static int same_data(const pb_data *a, const pb_data *b)
{
    return a->n == b->n && a->d == b->d && a->ydim == b->ydim && a->n_classes == b->n_classes &&
           !memcmp(a->X, b->X, a->n * a->d * sizeof(double)) && !memcmp(a->y, b->y, a->n * a->ydim * sizeof(double));
}

static void col_stats(const double *A, size_t n, size_t stride, size_t j, double *mean, double *sd)
{
    long double m = 0, v = 0;
    for (size_t i = 0; i < n; i++) m += A[i * stride + j];
    m /= n;
    for (size_t i = 0; i < n; i++) v += (A[i * stride + j] - m) * (A[i * stride + j] - m);
    *mean = (double)m;
    *sd = sqrt((double)(v / n));
}

int main(void)
{
    plan(41);
    pb_data wine;
    TAP_REQUIRE(pb_csv_load("datasets/wine_data.csv", 1, "wine", &wine) == 0);

    /* stratified split: round(0.2 * count) of every class goes to test:
     * 59 -> 11.8 -> 12, 71 -> 14.2 -> 14, 48 -> 9.6 -> 10 */
    pb_data tr, te;
    int st = pb_split(&wine, 0.2, 12345, &tr, &te);
    TAP_REQUIRE(st == 0);
    ok(count_class(&te, 0) == 12 && count_class(&te, 1) == 14 && count_class(&te, 2) == 10,
       "test keeps 12/14/10 of classes 59/71/48 (got %d/%d/%d)", count_class(&te, 0), count_class(&te, 1),
       count_class(&te, 2));
    ok(count_class(&tr, 0) == 47 && count_class(&tr, 1) == 57 && count_class(&tr, 2) == 38,
       "train keeps 47/57/38 (got %d/%d/%d)", count_class(&tr, 0), count_class(&tr, 1), count_class(&tr, 2));
    ok(tr.n == 142 && te.n == 36, "sizes 142 + 36");
    ok(tr.d == 13 && te.d == 13 && tr.ydim == 1 && te.n_classes == 3 && tr.n_classes == 3,
       "split keeps d, ydim, n_classes");
    ok(is_row_permutation(&wine, &tr, &te), "train + test is a permutation of the rows (matched by content)");
    /* not class-sorted: some class change happens more than twice along train */
    int changes = 0;
    for (size_t i = 1; i < tr.n; i++) changes += tr.y[i] != tr.y[i - 1];
    ok(changes > 2, "train rows are shuffled, not grouped by class (%d label changes)", changes);

    pb_data tr2, te2;
    TAP_REQUIRE(pb_split(&wine, 0.2, 12345, &tr2, &te2) == 0);
    ok(same_data(&tr, &tr2) && same_data(&te, &te2), "same seed => identical split");
    pb_data_free(&tr2);
    pb_data_free(&te2);
    TAP_REQUIRE(pb_split(&wine, 0.2, 12346, &tr2, &te2) == 0);
    ok(!same_data(&te, &te2), "different seed => different test set");
    ok(!same_data(&tr, &tr2), "different seed => different train set");
    ok(is_row_permutation(&wine, &tr2, &te2), "the other seed's split is also a permutation");
    pb_data_free(&tr2);
    pb_data_free(&te2);

    /* other fractions: 0.5 of 59/71/48 -> 29.5 -> 30, 35.5 -> 36, 24 */
    TAP_REQUIRE(pb_split(&wine, 0.5, 1, &tr2, &te2) == 0);
    ok(count_class(&te2, 0) == 30 && count_class(&te2, 1) == 36 && count_class(&te2, 2) == 24,
       "fraction 0.5: test 30/36/24 (got %d/%d/%d)", count_class(&te2, 0), count_class(&te2, 1), count_class(&te2, 2));
    pb_data_free(&tr2);
    pb_data_free(&te2);
    ok(pb_split(&wine, 0, 1, &tr2, &te2) != 0 && tr2.X == NULL, "fraction 0 rejected");
    ok(pb_split(&wine, 1, 1, &tr2, &te2) != 0 && te2.X == NULL, "fraction 1 rejected");
    ok(pb_split(&wine, NAN, 1, &tr2, &te2) != 0, "fraction NaN rejected");

    /* standardization fitted on train only */
    pb_data raw_tr, raw_te;
    TAP_REQUIRE(pb_data_alloc(&raw_tr, "raw", tr.n, tr.d, 1, 3) == 0);
    TAP_REQUIRE(pb_data_alloc(&raw_te, "raw", te.n, te.d, 1, 3) == 0);
    memcpy(raw_tr.X, tr.X, tr.n * tr.d * sizeof(double));
    memcpy(raw_te.X, te.X, te.n * te.d * sizeof(double));
    memcpy(raw_tr.y, tr.y, tr.n * sizeof(double));
    pb_scaling sc;
    TAP_REQUIRE(pb_standardize(&tr, &te, 1, &sc) == 0);
    double worst_mean = 0, worst_sd = 0;
    for (size_t j = 0; j < tr.d; j++) {
        double m, s;
        col_stats(tr.X, tr.n, tr.d, j, &m, &s);
        if (fabs(m) > worst_mean) worst_mean = fabs(m);
        if (fabs(s - 1) > worst_sd) worst_sd = fabs(s - 1);
    }
    ok(worst_mean < 1e-12, "standardized train columns have mean 0 (worst |mean| %g)", worst_mean);
    ok(worst_sd < 1e-12, "standardized train columns have population sd 1 (worst |sd-1| %g)", worst_sd);
    /* test row 5, feature 12 (proline) by hand from train's raw statistics */
    double m12, s12;
    col_stats(raw_tr.X, raw_tr.n, raw_tr.d, 12, &m12, &s12);
    is_double(sc.x_mean[12], m12, 1e-9, "scaling records train mean of feature 12");
    is_double(sc.x_sd[12], s12, 1e-9, "scaling records train population sd of feature 12");
    is_double(te.X[5 * 13 + 12], (raw_te.X[5 * 13 + 12] - m12) / s12, 1e-12,
              "test value uses train's mean and sd: (x - m_train) / s_train");
    /* test statistics differ from train's, so the test columns are not exactly standardized */
    double tm, ts;
    col_stats(te.X, te.n, te.d, 12, &tm, &ts);
    ok(fabs(tm) > 1e-6 || fabs(ts - 1) > 1e-6, "test columns are not re-standardized on their own statistics");
    ok(!memcmp(tr.y, raw_tr.y, tr.n * sizeof(double)), "classification labels untouched even with standardize_y");
    ok(sc.y_mean[0] == 0 && sc.y_sd[0] == 1, "classification: y scaling is the identity");
    pb_scaling_free(&sc);
    pb_data_free(&raw_tr);
    pb_data_free(&raw_te);
    pb_data_free(&tr);
    pb_data_free(&te);

    /* constant column: sd 0 becomes 1, so values become x - mean = 0 */
    pb_data ctr, cte;
    TAP_REQUIRE(pb_data_alloc(&ctr, "c", 4, 2, 1, 0) == 0);
    TAP_REQUIRE(pb_data_alloc(&cte, "c", 1, 2, 1, 0) == 0);
    double cx[8] = {7, 1, 7, 2, 7, 3, 7, 4}, cy[4] = {1, 2, 3, 6};
    memcpy(ctr.X, cx, sizeof cx);
    memcpy(ctr.y, cy, sizeof cy);
    cte.X[0] = 9, cte.X[1] = 5, cte.y[0] = 8;
    TAP_REQUIRE(pb_standardize(&ctr, &cte, 0, &sc) == 0);
    ok(sc.x_sd[0] == 1 && sc.x_mean[0] == 7, "constant column: mean 7, sd set to 1");
    ok(ctr.X[0] == 0 && ctr.X[6] == 0 && cte.X[0] == 2, "constant column: train -> 0, test 9 -> 9 - 7 = 2");
    /* column 1 = {1,2,3,4}: mean 2.5, population sd sqrt(1.25) */
    is_double(sc.x_sd[1], sqrt(1.25), 1e-15, "column {1,2,3,4}: population sd sqrt(5/4)");
    is_double(cte.X[1], (5 - 2.5) / sqrt(1.25), 1e-14, "column {1,2,3,4}: test 5 -> 2.5 / sqrt(1.25)");
    ok(ctr.y[3] == 6 && cte.y[0] == 8 && sc.y_mean[0] == 0 && sc.y_sd[0] == 1,
       "regression y untouched when standardize_y = 0");
    pb_scaling_free(&sc);
    memcpy(ctr.X, cx, sizeof cx);
    TAP_REQUIRE(pb_standardize(&ctr, &cte, 1, &sc) == 0);
    /* y = {1,2,3,6}: mean 3, population variance (4+1+0+9)/4 = 3.5 */
    ok(sc.y_mean[0] == 3, "standardize_y: y mean 3");
    is_double(sc.y_sd[0], sqrt(3.5), 1e-15, "standardize_y: y population sd sqrt(3.5)");
    is_double(ctr.y[3], 3 / sqrt(3.5), 1e-14, "standardize_y: train y 6 -> (6-3)/sqrt(3.5)");
    is_double(cte.y[0], 5 / sqrt(3.5), 1e-14, "standardize_y: test y 8 -> (8-3)/sqrt(3.5) with train's statistics");
    pb_scaling_free(&sc);
    ok(sc.x_mean == NULL && sc.y_sd == NULL, "pb_scaling_free clears the struct");
    pb_data_free(&ctr);
    pb_data_free(&cte);

    /* regression split: round(0.2 * 506) = 101 test rows */
    pb_data boston;
    TAP_REQUIRE(pb_csv_load("datasets/boston_house_prices.csv", 0, "boston", &boston) == 0);
    TAP_REQUIRE(pb_split(&boston, 0.2, 99, &tr, &te) == 0);
    ok(tr.n == 405 && te.n == 101 && te.n_classes == 0, "boston: 405 train + 101 test (got %zu + %zu)", tr.n, te.n);
    ok(is_row_permutation(&boston, &tr, &te), "boston: train + test is a permutation of the rows");
    pb_data_free(&tr);
    pb_data_free(&te);
    pb_data_free(&boston);
    pb_data_free(&wine);

    /* synthetic: x ~ N(1, I), y = x_0 */
    pb_data syn;
    size_t n = 10000, d = 5;
    TAP_REQUIRE(pb_synthetic_make(n, d, 2024, &syn) == 0);
    ok(syn.n == n && syn.d == d && syn.ydim == 1 && syn.n_classes == 0, "synthetic: %zu x %zu regression", n, d);
    int y_is_x0 = 1;
    for (size_t i = 0; i < n; i++) y_is_x0 &= syn.y[i] == syn.X[i * d];
    ok(y_is_x0, "synthetic: y == x_0 exactly for every row");
    /* per column: the sample mean has sd 1/sqrt(n) = 0.01, the sample sd about 1/sqrt(2n) = 0.007;
     * tolerances are 5 standard errors */
    double wm = 0, ws = 0;
    for (size_t j = 0; j < d; j++) {
        double m, s;
        col_stats(syn.X, n, d, j, &m, &s);
        if (fabs(m - 1) > wm) wm = fabs(m - 1);
        if (fabs(s - 1) > ws) ws = fabs(s - 1);
    }
    ok(wm < 0.05, "synthetic: every column mean within 0.05 of 1 (worst %.4f)", wm);
    ok(ws < 0.036, "synthetic: every column sd within 0.036 of 1 (worst %.4f)", ws);
    /* independence: correlation of columns 0 and 1 has sd 1/sqrt(n) */
    double m0, s0, m1, s1, cov = 0;
    col_stats(syn.X, n, d, 0, &m0, &s0);
    col_stats(syn.X, n, d, 1, &m1, &s1);
    for (size_t i = 0; i < n; i++) cov += (syn.X[i * d] - m0) * (syn.X[i * d + 1] - m1);
    double corr = cov / (double)n / (s0 * s1);
    ok(fabs(corr) < 0.05, "synthetic: columns 0 and 1 uncorrelated (r = %.4f)", corr);
    pb_data syn2;
    TAP_REQUIRE(pb_synthetic_make(n, d, 2024, &syn2) == 0);
    ok(same_data(&syn, &syn2), "synthetic: same seed => same data");
    pb_data_free(&syn2);
    TAP_REQUIRE(pb_synthetic_make(n, d, 2025, &syn2) == 0);
    ok(!same_data(&syn, &syn2), "synthetic: different seed => different data");
    pb_data_free(&syn2);
    pb_data_free(&syn);
    return done_testing();
}
