/* cell.c -- see cell.h. */
#include "cell.h"
#include "util.h"

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

int pb_cell_open(pb_cell *c, const char *fit_path, const char *data_dir)
{
    memset(c, 0, sizeof *c);
    int st = pb_fit_load(fit_path, &c->fit);
    if (st) return st;
    if ((st = pb_mlp_parse(c->fit.model, &c->model))) goto fail;
    c->model->noise_precision = c->fit.noise_precision > 0 ? c->fit.noise_precision : 1.0;
    if (c->model->n_params != c->fit.n) {
        st = pb_error(PB_ERR_FORMAT, "%s: model %s has %zu parameters, the fit stores %zu", fit_path, c->fit.model,
                      c->model->n_params, c->fit.n);
        goto fail;
    }
    if ((st = pb_dataset_open(c->fit.dataset, data_dir, c->fit.data_seed, c->fit.test_fraction, c->fit.standardize_y,
                              &c->train, &c->test, &c->scaling)))
        goto fail;
    return PB_OK;
fail:
    pb_cell_close(c);
    return st;
}

void pb_cell_close(pb_cell *c)
{
    pb_fit_free(&c->fit);
    pb_mlp_free(c->model);
    pb_data_free(&c->train);
    pb_data_free(&c->test);
    pb_scaling_free(&c->scaling);
    memset(c, 0, sizeof *c);
}

size_t pb_prunable_mask(const pb_mlp *m, int include_biases, unsigned char *mask)
{
    size_t count = 0;
    memset(mask, 0, m->n_params);
    for (size_t t = 0; t < m->n_tensors; t++) {
        const pb_tensor *T = &m->tensors[t];
        if (T->is_bias && !include_biases) continue;
        for (size_t k = 0; k < T->rows * T->cols; k++) mask[T->offset + k] = 1;
        count += T->rows * T->cols;
    }
    return count;
}
