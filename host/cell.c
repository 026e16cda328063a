/* cell.c -- see cell.h. */
#include "host/cell.h"
#include "datasets/registry.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pb_cell_prepare_data(const pb_data *all, double test_fraction, uint64_t split_seed, int standardize_y,
                         pb_data *train, pb_data *test, pb_scaling *sc)
{
    int st = pb_split(all, test_fraction, split_seed, train, test);
    if (st) return st;
    st = pb_standardize(train, test, standardize_y, sc);
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    return st;
}

/* The fit and its model, checked against each other. */
static int open_fit(pb_cell *c, const char *fit_path)
{
    memset(c, 0, sizeof *c);
    int st = pb_fit_load(fit_path, &c->fit);
    if (st) return st;
    if ((st = pb_model_parse(c->fit.model, &c->net))) return st;
    pb_model_set_noise_precision(c->net, c->fit.noise_precision > 0 ? c->fit.noise_precision : 1.0);
    if (c->net->n_params != c->fit.n)
        return pb_error(PB_ERR_FORMAT, "%s: model %s has %zu parameters, the fit stores %zu", fit_path, c->fit.model,
                        c->net->n_params, c->fit.n);
    if (c->fit.n_groups && c->fit.n_groups != c->net->n_variable_groups)
        return pb_error(PB_ERR_FORMAT, "%s: model %s has %zu variable groups, the fit stores %zu", fit_path,
                        c->fit.model, c->net->n_variable_groups, c->fit.n_groups);
    return PB_OK;
}

/* a fit whose dataset field names another set than its model was trained on */
static int check_data(pb_cell *c, const char *fit_path)
{
    int st = pb_model_check_data(c->net, c->train.d, c->train.n_classes > 0 ? (size_t)c->train.n_classes : 0,
                                 c->train.vocab);
    if (!st) return PB_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", pb_last_error());
    return pb_error(st, "%s: the fit's model does not read its dataset %s: %s", fit_path, c->fit.dataset, why);
}

int pb_cell_open(pb_cell *c, const char *fit_path, const char *data_dir)
{
    int st = open_fit(c, fit_path);
    if (!st)
        st = pb_dataset_open(c->fit.dataset, data_dir, c->fit.data_seed, c->fit.test_fraction, c->fit.standardize_y,
                             &c->train, &c->test, &c->scaling);
    if (!st) st = check_data(c, fit_path);
    if (st) pb_cell_close(c);
    return st;
}

int pb_cell_open_data(pb_cell *c, const char *fit_path, pb_data *train, pb_data *test, pb_scaling *sc)
{
    int st = open_fit(c, fit_path);
    if (st) {
        pb_cell_close(c);
        return st;
    }
    c->train = *train, c->test = *test, c->scaling = *sc;
    memset(train, 0, sizeof *train), memset(test, 0, sizeof *test), memset(sc, 0, sizeof *sc);
    return PB_OK;
}

void pb_cell_close(pb_cell *c)
{
    pb_fit_free(&c->fit);
    pb_model_free(c->net);
    pb_data_free(&c->train);
    pb_data_free(&c->test);
    pb_scaling_free(&c->scaling);
    memset(c, 0, sizeof *c);
}

size_t pb_prunable_mask(const pb_mlp *m, int include_biases, unsigned char *mask)
{
    return pb_tensor_mask(m->tensors, m->n_tensors, m->n_params, include_biases, mask);
}

int pb_fit_view_of(const pb_fit *f, const pb_model *m, const unsigned char *mask, size_t n_prunable, pb_fit_view *view)
{
    memset(view, 0, sizeof *view);
    view->n_params = f->n;
    view->mean = f->mean;
    view->sd = !strcmp(f->family, "point") ? NULL : f->sd;
    view->prunable = mask;
    view->n_prunable = n_prunable;
    view->prior_mean = f->prior_mean;
    view->prior_sd = f->prior_sd;
    view->model_spec = f->model;
    if (!f->n_groups) return PB_OK;
    size_t ng = f->n_groups, nm = 0;
    for (size_t k = 0; k < ng; k++) nm += m->groups[m->variable_group[k]].n_members;
    size_t *start = pb_calloc(ng + 1, sizeof *start), *members = pb_calloc(nm ? nm : 1, sizeof *members);
    const char **kind = pb_calloc(ng, sizeof *kind);
    if (!start || !members || !kind) {
        free(start); free(members); free(kind);
        return pb_error(PB_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0, q = 0; k < ng; k++) {
        const pb_group *G = &m->groups[m->variable_group[k]];
        start[k] = q;
        memcpy(members + q, G->members, G->n_members * sizeof *members);
        q += G->n_members;
        start[k + 1] = q;
        kind[k] = pb_group_kind_name(G->kind);
    }
    view->n_groups = ng;
    view->group_mean = f->group_mean;
    view->group_sd = f->group_sd;
    view->group_start = start;
    view->group_members = members;
    view->group_kind = kind;
    return PB_OK;
}

void pb_fit_view_free(pb_fit_view *view)
{
    free((void *)view->group_start);
    free((void *)view->group_members);
    free((void *)view->group_kind);
    view->group_start = view->group_members = NULL;
    view->group_kind = NULL;
}
