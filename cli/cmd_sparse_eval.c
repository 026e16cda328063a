/* cmd_sparse_eval.c -- `prunebench sparse-eval`: test accuracy
 * (classification) or RMSE in target units (regression) of a .csr network
 * (`prunebench export`) on the test split of its fit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/csr.h"
#include "host/cell.h"
#include "protocols/p1.h"
#include "base/util.h"

/* Test quality from the sparse network's outputs, as pb_evaluate (p1.c)
 * computes it from the dense one: accuracy and mean NLL (ce), or RMSE and
 * MSE in the original target units (mse). */
static int sparse_evaluate(const pb_cell *c, const pb_csr_net *net, double *quality, double *aux)
{
    const pb_data *t = &c->test;
    size_t C = c->net->out_dim;
    double *out = pb_calloc(t->n * C, sizeof *out);
    if (!out) return PB_ERR_NOMEM;
    int st = pb_csr_predict(net, t->X, t->n, out);
    if (!st) pb_score_outputs(c, out, quality, aux);
    free(out);
    return st;
}

int cmd_sparse_eval(int argc, char **argv)
{
    opt o[] = {O("net"), O("fit"), O("data-dir"), END};
    parse_or_die(argc, argv, o, "sparse-eval");
    int st;
    const char *net_path = need(o, "net"), *fit_path = need(o, "fit");
    pb_csr_net net;
    if ((st = pb_csr_load(net_path, &net))) die(st);
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, data_dir(o)))) die(st);
    if (strcmp(net.spec, c.fit.model))
        die(pb_error(PB_ERR_ARG, "%s holds a %s network but %s is a fit of %s", net_path, net.spec, fit_path,
                     c.fit.model));
    double q, aux;
    if ((st = sparse_evaluate(&c, &net, &q, &aux))) die(st);
    size_t nnz = pb_csr_nnz(&net), n_weights = 0;
    for (size_t l = 0; l < net.n_layers; l++) n_weights += (size_t)net.layers[l].rows * net.layers[l].cols;
    printf("sparse-eval: %s %.10g (%s %.10g; %zu test samples of %s; nnz %zu/%zu)\n", pb_quality_metric(&c), q,
           c.test.n_classes ? "test_nll" : "test_mse", aux, c.test.n, c.fit.dataset, nnz, n_weights);
    pb_csr_free(&net);
    pb_cell_close(&c);
    return 0;
}
