/* prunebench.h -- the one header a pruning-method plugin includes.
 *
 * A plugin is one C file built into build/plugins/<name>.so. It exports one
 * const object, `pb_method_descriptor`, of type pb_method. The host dlopen()s
 * the file, checks every field of the descriptor before the first call, and
 * then calls the hooks with a table of host services (pb_host), so a plugin
 * never links against the host and never needs another header.
 *
 * Versioning: the host accepts a plugin whose abi_major equals PB_ABI_MAJOR
 * and whose abi_minor is not newer than the host's. Services added in a
 * minor version are marked; a plugin that uses them checks
 * host->abi_minor first (a plugin built for 1.1 runs on a 1.1 host or newer). struct_size is
 * sizeof(pb_method) as the plugin was compiled; fields are only ever appended,
 * so a host reads the fields that fit in struct_size and treats the rest as
 * absent (NULL).
 *
 * Ownership: every pointer the host passes stays owned by the host and is valid
 * only during the call; every pointer a plugin returns (state, strings) stays
 * owned by the plugin. Nothing is freed across the boundary.
 *
 * Status: hooks return 0 on success and non-zero on failure; before failing,
 * a hook should say why through host->fail().
 */
#ifndef PRUNEBENCH_H
#define PRUNEBENCH_H

#include <stddef.h>
#include <stdint.h>

#define PB_ABI_MAJOR 1u
#define PB_ABI_MINOR 4u
#define PB_METHOD_SYMBOL "pb_method_descriptor"

#if defined(__GNUC__)
#define PB_EXPORT __attribute__((visibility("default")))
#else
#define PB_EXPORT
#endif

/* Which second derivative of the training loss a host service computes. */
/* Which matrix the posterior service returns (ABI 1.1). */
typedef enum pb_posterior_what {
    PB_POSTERIOR_COVARIANCE = 0, /* Sigma_PP: marginal covariance of the prunable parameters */
    PB_POSTERIOR_PRECISION = 1   /* A_PP = Sigma_PP^{-1}: marginal precision */
} pb_posterior_what;

typedef enum pb_hessian_kind {
    PB_HESSIAN_GAUSS_NEWTON = 0, /* J^T H_out J: positive semi-definite */
    PB_HESSIAN_EXACT = 1         /* full second derivative (small models) */
} pb_hessian_kind;

/* A trained network as the pruner sees it (read-only, owned by the host).
 * Units are single parameters in ABI 1.0. */
typedef struct pb_fit_view {
    size_t n_params;                /* length of every array below */
    const double *mean;             /* posterior mean m (or point estimate) */
    const double *sd;               /* posterior standard deviation s; NULL for point fits */
    const unsigned char *prunable;  /* 1 where the parameter is in the prunable set */
    size_t n_prunable;              /* number of ones in prunable */
    double prior_mean, prior_sd;    /* Gaussian prior N(mu, sigma_p^2) of the fit */
    const char *model_spec;         /* e.g. "mlp:13-13-3:tanh" */

    /* ---- ABI 1.3: group variables (hosts of ABI 1.3 and newer; read them
     * only when host->abi_minor >= 3) ---- */
    /* A fit trained with group variables (pb_training.group_variables) has
     * one multiplicative variable z_k ~ N(group_mean[k], group_sd[k]^2) per
     * variable group of the model; group k holds the parameter indices
     * group_members[group_start[k] .. group_start[k+1]-1], and
     * group_kind[k] is "input", "hidden", "gate" or "vocabulary". mean and sd
     * above are then the effective weights: the weight's own posterior times
     * the means of its groups (so sd/|mean| is still the weight's own
     * sqrt(alpha)). n_groups is 0 for every other fit. */
    size_t n_groups;
    const double *group_mean, *group_sd;
    const size_t *group_start, *group_members;
    const char *const *group_kind;
} pb_fit_view;

/* Services the host offers a plugin. `ctx` is the first argument of each. */
typedef struct pb_host {
    uint32_t abi_major, abi_minor;  /* the host's ABI */
    uint32_t struct_size;           /* sizeof(pb_host) in the host */
    void *ctx;

    /* Progress or diagnostic line (printf format), shown with the plugin name. */
    void (*log)(void *ctx, const char *fmt, ...);
    /* Record why a hook is about to fail; the host prints it with the plugin name. */
    void (*fail)(void *ctx, const char *fmt, ...);

    /* The cell's seeded random stream (same cell => same numbers). */
    double (*rng_uniform)(void *ctx);   /* U[0,1) */
    double (*rng_gaussian)(void *ctx);  /* N(0,1) */

    /* Training data size and the training loss L(w) = sum_i -log p(y_i | x_i, w). */
    size_t n_train;
    /* loss and gradient at w (n_params); grad may be NULL. */
    int (*loss_grad)(void *ctx, const double *w, double *loss, double *grad);
    /* Diagonal of d^2 L / dw^2 at w, into diag (n_params). */
    int (*hessian_diag)(void *ctx, const double *w, pb_hessian_kind kind, double *diag);
    /* Hessian-vector product H(w) v, into out (n_params). */
    int (*hessian_vec)(void *ctx, const double *w, const double *v, pb_hessian_kind kind,
                       double *out);

    /* ---- ABI 1.1 ---- */
    /* The full-covariance posterior of the fit restricted to the prunable
     * parameters: an n_prunable x n_prunable row-major matrix, rows and
     * columns in increasing parameter index. estimator: "laplace" (Gauss-Newton
     * Hessian of the training loss at the mean + prior precision; the default
     * when NULL), "laplace-exact" (exact Hessian, eigenvalues floored at the
     * prior precision), "samples" (covariance of SGD iterates). info, if not
     * NULL, receives one line describing the estimate. */
    int (*posterior_matrix)(void *ctx, const pb_fit_view *fit, const char *estimator, pb_posterior_what what,
                            double *out, char *info, size_t info_len);
    /* Eigenpairs il..iu (1-based, ascending eigenvalues) of the symmetric
     * m x m matrix A (row-major, leading dimension lda; A is overwritten),
     * by LAPACK dsyevr: eigenvalues into w (iu-il+1), eigenvectors as the
     * columns of Z (m x (iu-il+1), leading dimension ldz) unless Z is NULL. */
    int (*eigen_sym)(void *ctx, size_t m, double *A, size_t lda, size_t il, size_t iu, double *w, double *Z,
                     size_t ldz);
} pb_host;

/* A variational family a method trains its own network with (ABI 1.2).
 *
 * The harness trains every weight-matrix entry w_j (the prunable set; biases
 * stay point estimates) with the additive reparameterization
 *   w_j = theta_j + sigma_j eps_j,  eps_j ~ N(0, 1),
 * over (theta, log sigma^2), minimizing per minibatch of B samples
 *   (N/B) sum_i -log p(y_i | x_i, w) + kl_weight(t) * KL(q || p)
 * with Adam. The method supplies its prior through `kl`, the warm-up
 * through `kl_weight` (or `kl_weight_epochs`, ABI 1.4), and reads the trained posterior in its relevance
 * hook (fit->mean = theta, fit->sd = sigma). */
typedef struct pb_training {
    uint32_t struct_size;           /* sizeof(pb_training) as compiled */
    const char *family;             /* recorded in the fit, e.g. "log-uniform" */
    double init_log_sigma2;         /* initial log sigma^2 of every trained weight */
    /* 1: dense layers sample pre-activations instead of weights (local
     * reparameterization: mean x theta, variance x^2 sigma^2); 0: one weight
     * sample per minibatch. */
    int local_reparameterization;
    /* KL(q || p) summed over the n trained weights; writes dKL/dtheta and
     * dKL/dlog sigma^2 (n each). Must be finite. */
    double (*kl)(void *state, size_t n, const double *theta, const double *log_sigma2, double *dtheta,
                 double *dlog_sigma2);
    /* Weight of the KL term at training time t in [0, 1) (fraction of all
     * epochs done). NULL: 1 throughout. */
    double (*kl_weight)(void *state, double t);
    /* Natural operating point: at test time, parameters whose relevance is
     * below this are zero (e.g. -3 for -log alpha: log alpha > 3). NaN: none. */
    double relevance_threshold;

    /* ---- ABI 1.3 ---- */
    /* 1: also train one multiplicative group variable z_k per variable group
     * of the model (input neurons, hidden neurons, gate pre-activations,
     * vocabulary entries: models/layout.h), w_j = w^_j prod_k z_k, with the
     * same additive reparameterization z = theta_z + sigma_z eps, a fresh eps
     * per sample (per sequence, shared in time), the same `kl` applied to the
     * group variables (the harness calls it once for the weights and once for
     * the groups) and the same warm-up; relevance then sees the groups in
     * pb_fit_view. 0 or absent: no group variables. */
    int group_variables;

    /* ---- ABI 1.4 ---- */
    /* Weight of the KL term after `epoch` of `epochs` epochs (epoch counts
     * the minibatches done as fractions: in [0, epochs)), for warm-ups stated
     * in epochs ("0 for the first 5 epochs"). Used instead of kl_weight when
     * present. */
    double (*kl_weight_epochs)(void *state, double epoch, double epochs);
} pb_training;

/* The descriptor a plugin exports. */
typedef struct pb_method {
    uint32_t abi_major, abi_minor;  /* PB_ABI_MAJOR, PB_ABI_MINOR as compiled */
    uint32_t struct_size;           /* sizeof(pb_method) as compiled */
    const char *name;               /* short id: [a-z0-9_]+, equals the file name */
    const char *summary;            /* one line */
    const char *citation;           /* where the method comes from */

    /* Optional: parse `options` ("key=value,key=value", may be ""), make state. */
    int (*create)(const pb_host *host, const char *options, void **state);
    /* Optional: free what create made. */
    void (*destroy)(void *state);
    /* Optional: the settings in effect, one line, recorded in result files. */
    const char *(*settings)(const void *state);

    /* Relevance of every parameter (higher = more relevant = removed later).
     * score has n_params entries; only prunable ones are used; each must be
     * finite. Required unless `order` is given. */
    int (*relevance)(const pb_host *host, const pb_fit_view *fit, double *score, void *state);
    /* Optional: methods that must remove one unit at a time fill the whole
     * removal order instead: n_prunable distinct prunable indices, least
     * relevant first. Used instead of relevance when present. */
    int (*order)(const pb_host *host, const pb_fit_view *fit, size_t *order, void *state);

    /* ---- ABI 1.2 ---- */
    /* Optional: the method trains its own network with this family (see
     * pb_training). NULL: the method scores the shared base fit. */
    const pb_training *training;
} pb_method;

/* Declare the descriptor in a plugin as:
 *   PB_EXPORT const pb_method pb_method_descriptor = { PB_ABI_MAJOR, PB_ABI_MINOR,
 *       sizeof(pb_method), "name", ... };                                          */
extern PB_EXPORT const pb_method pb_method_descriptor;

#endif
