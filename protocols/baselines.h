/* baselines.h -- the baselines of seed 000 Table 1 on a sentence-pair set:
 * logistic regression, a linear support vector classifier, a decision tree
 * and k nearest neighbours on pair features, hyperparameters chosen on a
 * validation part, scored by accuracy and macro F1 (metrics.h) on a test
 * part. The seed took all four from scikit-learn; here:
 *
 *   - logistic regression and the linear SVC come from liblinear (Debian
 *     liblinear-dev; the library behind scikit-learn's LogisticRegression
 *     with solver liblinear and its LinearSVC): L2-regularized, one model
 *     per class against the rest, a bias feature of value 1, liblinear's
 *     primal trust-region Newton solvers (solvers 0, L2R_LR, and 2,
 *     L2R_L2LOSS_SVC: squared hinge loss), tolerance 0.01 (liblinear's
 *     default for both). The primal solvers draw no random numbers (the
 *     dual ones shuffle with rand()), so a fit is a function of its data.
 *     (Seed 000's "SVC" is scikit-learn's SVC, an RBF-kernel libsvm model;
 *     the linear one is used here.)
 *   - the decision tree (CART) and kNN are written here: no Debian C
 *     library provides them in a form worth a dependency (libsvm-dev has
 *     kernel SVMs only, no trees; kNN is a distance loop and a vote).
 *
 * Pair features (pb_pair_features): for a pair (a, b) of sentences, with
 * m_a and m_b the means of the word vectors of their tokens (ids >= 2 with
 * a row in the vector matrix; padding 0 and out-of-vocabulary 1 are
 * skipped; a sentence without such a token has mean 0), the 4D features
 *   [m_a, m_b, |m_a - m_b|, m_a * m_b]   (elementwise),
 * standardized with the training part's means and sds (data.h).
 *
 * Decision tree: CART with Gini impurity 1 - sum_c p_c^2. A node splits
 * while it is impure, shallower than max_depth and holds at least
 * 2 min_leaf rows; the split x_f <= t minimizes the children's weighted
 * impurity (n_l G_l + n_r G_r) / n over every feature f and every
 * threshold t midway between consecutive distinct values that leaves at
 * least min_leaf rows on each side (no minimum decrease: a node splits
 * even when no split lowers the impurity, as XOR needs). Ties: the lowest
 * feature, then the lowest threshold. A node predicts its majority class
 * (ties: the lowest class). Growth is greedy top-down, so the tree of
 * depth k is the depth-k truncation of a deeper one with the same min_leaf
 * (pb_tree_predict's depth argument): the depth grid needs one fit.
 *
 * kNN: squared Euclidean distance on the standardized features,
 * neighbours ordered by (distance, training row index); the k nearest vote,
 * a tie between classes going to the tied class whose nearest member comes
 * first in that order.
 *
 * Selection: every value of a classifier's grid is fitted on the training
 * part and scored by macro F1 on the validation part; the first best value
 * of the grid (grids run from the most regularized) is kept, and that
 * model (trained on the training part only) is scored on the test part. */
#ifndef PB_BASELINES_H
#define PB_BASELINES_H

#include <stddef.h>

#include "datasets/data.h"

/* ---- features ---- */

/* out: pairs->n x 4 dim features (vocab 0, seq_len 0), labels copied.
 * E: rows x dim word vectors, row = token id. */
int pb_pair_features(const pb_data *pairs, const double *E, size_t rows, size_t dim, pb_data *out);

/* ---- liblinear ---- */

enum { PB_LINEAR_LR, PB_LINEAR_SVC };
typedef struct pb_linear pb_linear;   /* a liblinear model */
int pb_linear_fit(const double *X, const int *y, size_t n, size_t d, int kind, double C, pb_linear **out);
void pb_linear_predict(const pb_linear *m, const double *X, size_t n, size_t d, int *pred);
void pb_linear_free(pb_linear *m);
/* The linked liblinear's version (liblinear_version: 230 for 2.3.0), for provenance. */
int pb_linear_version(void);

/* ---- CART ---- */

typedef struct pb_tree_node {
    int feature;        /* -1: a leaf */
    double threshold;   /* x[feature] <= threshold goes left */
    int left, right;    /* node indices */
    int cls;            /* majority class of the node's training rows */
    int depth;          /* root 0 */
} pb_tree_node;
typedef struct pb_tree {
    pb_tree_node *nodes;
    size_t n_nodes, cap;
} pb_tree;
/* y in [0, k); max_depth >= 0; min_leaf >= 1. */
int pb_tree_fit(const double *X, const int *y, size_t n, size_t d, int k, int max_depth, size_t min_leaf,
                pb_tree *t);
/* The class of x, descending at most max_depth levels (< 0: to a leaf). */
int pb_tree_predict(const pb_tree *t, const double *x, int max_depth);
void pb_tree_free(pb_tree *t);

/* ---- kNN ---- */

/* nbr[q * kmax + j]: the training row that is query q's j-th nearest
 * (kmax <= ntr), in (squared distance, index) order. */
int pb_knn_neighbors(const double *Xtr, size_t ntr, const double *Xq, size_t nq, size_t d, size_t kmax,
                     size_t *nbr);
/* The vote of the first k of a query's neighbour list (k <= its length); n_classes <= 64. */
int pb_knn_vote(const size_t *nbr, size_t k, const int *ytr, int n_classes);

/* ---- the four baselines ---- */

enum { PB_BASELINES = 4 };
typedef struct pb_baseline_result {
    const char *name;       /* logistic_regression, linear_svc, decision_tree, knn */
    const char *library;    /* liblinear or prunebench */
    const char *param;      /* C, max_depth, k */
    double value;           /* the chosen value */
    double val_f1, test_acc, test_f1;
    double train_seconds;   /* fitting the chosen model on the training part (kNN: 0, it stores the rows) */
    double test_seconds;    /* predicting the test part */
} pb_baseline_result;

/* The grids (in the order tried). */
extern const double pb_baseline_C[];
extern const size_t pb_baseline_n_C;
extern const int pb_baseline_depths[];
extern const size_t pb_baseline_n_depths;
extern const size_t pb_baseline_ks[];
extern const size_t pb_baseline_n_ks;

/* Features of the three parts (pb_pair_features with E), standardized on
 * train, then the four classifiers. */
int pb_baselines_run(const pb_data *train, const pb_data *val, const pb_data *test, const double *E, size_t rows,
                     size_t dim, pb_baseline_result res[PB_BASELINES]);
/* The same from features already standardized (n_classes of train). */
int pb_baselines_fit(const pb_data *ftrain, const pb_data *fval, const pb_data *ftest,
                     pb_baseline_result res[PB_BASELINES]);

#endif
