/* p4.h -- protocol P4, group structure (PROTOCOLS.md; seed 001 Tables 2-4,
 * Fig. 2), for recurrent models.
 *
 * The pruned network is the fit's means with every parameter whose order
 * score is below a threshold set to 0 (no retraining; NA scores are kept).
 * From it, models/rnn.h builds the physically smaller network (kept rows and
 * columns only, constant gates folded into precomputed values) and P4
 * reports: remaining vocabulary, embedding components, input and hidden
 * neurons, non-constant gates, nonzero weights; compression (weights /
 * nonzero weights); FLOPs of a forward pass, dense and compact; and the
 * measured inference time on the test set (best of R runs, one thread) of
 * the compact network against the same inference code on the unpruned
 * network (so the ratio measures what the removed groups save, not a
 * difference between implementations), after checking that the compact
 * network gives the pruned dense network's outputs (max |difference| <=
 * 1e-9). Optionally, per kept hidden unit and gate, whether the gate is
 * constant and its value (the heat map of seed 001 Fig. 2).
 */
#ifndef PB_P4_H
#define PB_P4_H

#include <stddef.h>
#include <stdio.h>
#include "host/cell.h"
#include "models/model.h"

typedef struct pb_p4_opts {
    const char *fit_path;       /* the cell's fit file: named in errors and the header */
    const char *order_path;     /* the removal order with its scores */
    double threshold;           /* parameters whose order score is < threshold are set to 0 */
    int operating_point;        /* 1: the threshold is the method's operating point (said in the header) */
    size_t repeats;             /* timing: best of this many runs (>= 1) */
    int gates;                  /* 1: tabulate the constant gates too (unit, constant, value below) */
} pb_p4_opts;

typedef struct pb_p4_result {
    char method[64];                        /* the order's '# method:' */
    double quality, aux;                    /* pb_evaluate of the pruned dense network */
    size_t removed, prunable;               /* parameters set to 0; rows of the order */
    pb_structure s;                     /* sizes of the compact network */
    double compression;                     /* weights / weights_nonzero (HUGE_VAL if none is left) */
    double flop_ratio;                      /* flops_dense / flops_compact (HUGE_VAL if 0) */
    double seconds_dense, seconds_compact;  /* best of `repeats` over the test set */
    double max_output_diff;                 /* compact vs pruned dense outputs */
    size_t n_units, n_gates;                /* with opts.gates: kept units x G */
    size_t *unit;                           /* n_units: original index of each kept unit */
    int *constant;                          /* n_units x n_gates: 1 if the gate is constant */
    double *value;                          /* n_units x n_gates: its value (NaN if not constant) */
} pb_p4_result;

/* Run P4 on cell c (a fit of a recurrent model and its test split). Refuses
 * a model without compaction, repeats < 1, and an order that does not match
 * the model, in one line. Free *r with pb_p4_result_free (also after an
 * error). */
int pb_p4_run(const pb_cell *c, const pb_p4_opts *o, pb_p4_result *r);
void pb_p4_result_free(pb_p4_result *r);

/* The P4 table: a '#' header (method, fit, order, removal, timing,
 * provenance), then key<TAB>value rows. */
void pb_p4_write(FILE *f, const pb_cell *c, const pb_p4_opts *o, const pb_p4_result *r);
/* The gate table (opts.gates): pos, unit, gate, gate_index, constant, value. */
void pb_p4_write_gates(FILE *f, const pb_p4_opts *o, const pb_p4_result *r);
/* LaTeX macros \pb<Name>HiddenKept etc. for the report (name camel-cased):
 * counts, Accuracy or Rmse, and the ratios Compression, FlopRatio (dense /
 * compact FLOPs) and Speedup (dense / compact time) as numbers
 * (pb_p4_ratio_str), and the same two ratios in words, FlopChange
 * ("3.2$\times$ fewer", "unchanged") and InferenceChange ("1.5$\times$
 * faster", "1.11$\times$ slower", "unchanged"; pb_p4_ratio_words). */
void pb_p4_write_macros(FILE *f, const char *name, const pb_cell *c, const pb_p4_result *r);

/* A ratio r > 0 with the precision it deserves: two decimals below 2
 * ("1.02", so a 2% change shows), one below 10 ("3.2"), none from 10 on
 * ("12", "140"); "inf" if r is infinite. */
void pb_p4_ratio_str(char *buf, size_t len, double r);
/* r = before / after in words: "unchanged" when r shows as 1.00; "<r><times>
 * <up>" when r > 1, "<1/r><times> <down>" when r < 1 (so 0.981 of the time
 * becomes "1.02x slower", never "0.981x faster"); "none left" when r is
 * infinite (nothing after). times: "x" or "$\times$". E.g. FLOPs: up
 * "fewer", down "more"; inference time: up "faster", down "slower". */
void pb_p4_ratio_words(char *buf, size_t len, double r, const char *up, const char *down, const char *times);

#endif
