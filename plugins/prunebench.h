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
#define PB_ABI_MINOR 6u
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

/* One dense layer of a network that is a stack of them (ABI 1.6,
 * pb_host.dense_layers): units_l = act_l(W_l units_{l-1} + b_l), units_0 the
 * input. */
typedef struct pb_layer {
    size_t in, out;          /* widths: W is out x in */
    size_t weight;           /* parameter index of W[0][0]; W[o][i] is weight + o * in + i */
    size_t bias;             /* parameter index of b[0]; b[o] is bias + o */
    size_t unit;             /* column of unit 0 of this layer in a row of pb_host.activations */
    const char *activation;  /* "tanh", "relu" or "identity" (the last layer: "identity"; the head follows) */
} pb_layer;

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

    /* ---- ABI 1.6: for methods that score at or near initialization (read
     * these only when host->abi_minor >= 6) ---- */
    /* The fit's initial weights into w (n_params): the parameters its
     * training started from. Fails for a fit that does not store them
     * (declare PB_REQUIRES_INITIAL_WEIGHTS to be refused before any hook). */
    int (*initial_weights)(void *ctx, double *w);
    /* A minibatch: `batch` training samples drawn without replacement by a
     * generator seeded with `seed` (the same seed and size give the same
     * samples in every service below; batch >= n_train: the whole set in
     * order). Loss summed over it, and its gradient (grad may be NULL). */
    int (*minibatch_loss_grad)(void *ctx, const double *w, size_t batch, uint64_t seed, double *loss, double *grad);
    /* H(w) v of the loss over that minibatch, into out (n_params); the
     * Hessian-gradient product of GraSP is v = the minibatch gradient.
     * Needs PB_REQUIRES_HESSIAN. */
    int (*minibatch_hessian_vec)(void *ctx, const double *w, const double *v, pb_hessian_kind kind, size_t batch,
                                 uint64_t seed, double *out);
    /* The network as a stack of dense layers (PB_REQUIRES_DENSE_LAYERS):
     * *n_layers gets their number; up to max of them go into layers (layers
     * may be NULL with max 0 to ask the number). */
    int (*dense_layers)(void *ctx, pb_layer *layers, size_t max, size_t *n_layers);
    /* Forward pass of the dense layers at w (PB_REQUIRES_DENSE_LAYERS): the
     * units of every layer (hidden units after their activation, outputs
     * before the head) for n inputs, into act (n rows of U = sum of the
     * layers' widths; layer l's units at columns pb_layer.unit ..). X holds
     * the n inputs (n rows of layers[0].in); X NULL: the minibatch of n
     * training samples drawn with seed as above (rows past n_train are 0). */
    int (*activations)(void *ctx, const double *w, const double *X, size_t n, uint64_t seed, double *act);
    /* Which weight tensor (a layer's W, its b, an LSTM's Wx, ...) holds each
     * parameter: tensor[j] in 0 .. *n_tensors - 1 for every j < n_params
     * (tensor may be NULL to ask the count). Every model offers it. */
    int (*param_tensors)(void *ctx, size_t *tensor, size_t *n_tensors);
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

/* ---- ABI 1.5: declared options ----
 *
 * A method that takes options declares them in a table; the host parses the
 * user's "name=value,name=value" string against it (unknown names, values of
 * the wrong type or outside the range or choices are refused in one line
 * before the plugin runs), fills in the defaults, prints the table in
 * `prunebench plugins` and records every effective value in result files.
 * The plugin then receives typed values (pb_method.create_with) and parses
 * nothing itself. */
typedef enum pb_option_type {
    PB_OPTION_INT = 1,     /* a decimal integer (int64 range) */
    PB_OPTION_DOUBLE = 2,  /* a finite number, as strtod reads it */
    PB_OPTION_STRING = 3,  /* any text without ',' '=' or control characters, may be empty */
    PB_OPTION_ENUM = 4     /* one of `choices` */
} pb_option_type;

typedef struct pb_option {
    const char *name;           /* [a-z0-9_]+, unique in the table */
    pb_option_type type;
    const char *default_value;  /* as it would be written after "name=" (must itself be valid) */
    const char *doc;            /* one line, for `prunebench plugins` */
    const char *choices;        /* PB_OPTION_ENUM: the allowed values separated by '|', e.g. "gn|exact" */
    double min, max;            /* PB_OPTION_INT, PB_OPTION_DOUBLE: the closed range allowed (INFINITY
                                   leaves a side open); min == max (e.g. both 0, unset): any value */
} pb_option;

/* The effective value of one declared option (given, or its default). */
typedef struct pb_value {
    int64_t i;       /* INT: the value; ENUM: the index of the choice in `choices` */
    double d;        /* DOUBLE: the value; INT: the value as a double */
    const char *s;   /* every type: the value as text (INT and DOUBLE in canonical form) */
} pb_value;

/* What a method needs of the model and the fit (pb_method.requires, ABI 1.5).
 * The host refuses a fit that cannot supply it, in one line, before any hook
 * runs (e.g. a Hessian on a model without curvature services). */
#define PB_REQUIRES_HESSIAN          (1u << 0)  /* host->hessian_diag / hessian_vec */
#define PB_REQUIRES_POSTERIOR_MATRIX (1u << 1)  /* host->posterior_matrix */
#define PB_REQUIRES_POSTERIOR_SD     (1u << 2)  /* fit->sd: a fit with a posterior, not a point estimate */
#define PB_REQUIRES_OWN_TRAINING     (1u << 3)  /* a fit trained with this method's training facet (implied by .training) */
#define PB_REQUIRES_INITIAL_WEIGHTS  (1u << 4)  /* ABI 1.6: host->initial_weights: a fit that stores them */
#define PB_REQUIRES_DENSE_LAYERS     (1u << 5)  /* ABI 1.6: host->dense_layers, activations: a stack of dense layers */
#define PB_REQUIRES_ALL              0x3fu

/* The descriptor a plugin exports. */
typedef struct pb_method {
    uint32_t abi_major, abi_minor;  /* PB_ABI_MAJOR, PB_ABI_MINOR as compiled */
    uint32_t struct_size;           /* sizeof(pb_method) as compiled */
    const char *name;               /* short id: [a-z0-9_]+, equals the file name */
    const char *summary;            /* one line */
    const char *citation;           /* where the method comes from */

    /* Optional: parse `options` ("key=value,key=value", may be ""), make
     * state. A method that declares `options` (ABI 1.5) gets instead the
     * host-checked string naming every option with its effective value, in
     * declaration order; such a method should set create_with instead. */
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

    /* ---- ABI 1.5 ---- */
    /* Optional: the options the method takes, ended by an entry whose name
     * is NULL (at most 32). NULL: the method takes no options (or, with
     * `create`, parses its own string as before 1.5). */
    const pb_option *options;
    /* PB_REQUIRES_* bits: what the method needs of the model and the fit. */
    uint32_t requires;
    /* Optional, instead of create: make state from the effective values of
     * the declared options, values[k] for options[k] (NULL when none are
     * declared). Pointers in values are valid only during the call. Given
     * together with destroy. */
    int (*create_with)(const pb_host *host, const pb_value *values, void **state);
} pb_method;

/* Declare the descriptor in a plugin as:
 *   PB_EXPORT const pb_method pb_method_descriptor = { .abi_major = PB_ABI_MAJOR,
 *       .abi_minor = PB_ABI_MINOR, .struct_size = sizeof(pb_method), .name = "name", ... };
 * (docs/plugin_template.c is a complete example with options.)                 */
extern PB_EXPORT const pb_method pb_method_descriptor;

#endif
