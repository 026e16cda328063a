/* cell.h -- what every step of a cell needs: the fit, its model, and the
 * same train/test split and standardization the fit was trained on,
 * re-derived from the seeds the fit file records. */
#ifndef PB_CELL_H
#define PB_CELL_H

#include "formats/fit.h"
#include "plugins/prunebench.h"
#include "models/model.h"
#include "datasets/data.h"

typedef struct pb_cell {
    pb_fit fit;
    pb_model *net;          /* the fit's model (services it may lack: pb_model_require) */
    pb_data train, test;
    pb_scaling scaling;
} pb_cell;

/* Split and standardize `all` as PROTOCOLS.md says (seeded stratified split,
 * scaling fitted on train only). */
int pb_cell_prepare_data(const pb_data *all, double test_fraction, uint64_t split_seed, int standardize_y,
                         pb_data *train, pb_data *test, pb_scaling *sc);

/* Load fit_path, parse its model, reload its dataset from data_dir, split. */
int pb_cell_open(pb_cell *c, const char *fit_path, const char *data_dir);
/* The same with the data given: train, test and sc as pb_dataset_open made
 * them for this fit (its dataset, seed, test fraction and standardize_y),
 * moved into c (the three are left empty) -- for a caller that has just
 * opened them (train's last line), so a slow set (wordnet-pairs-lsa) is not
 * opened twice. */
int pb_cell_open_data(pb_cell *c, const char *fit_path, pb_data *train, pb_data *test, pb_scaling *sc);
void pb_cell_close(pb_cell *c);

/* The prunable set: weight-matrix entries, plus biases when include_biases. */
size_t pb_prunable_mask(const pb_mlp *m, int include_biases, unsigned char *mask);

/* The plugin's view of fit f of model m (prunable mask given), including
 * its group variables and the model's variable groups. Free with
 * pb_fit_view_free. */
int pb_fit_view_of(const pb_fit *f, const pb_model *m, const unsigned char *mask, size_t n_prunable, pb_fit_view *view);
void pb_fit_view_free(pb_fit_view *view);

#endif
