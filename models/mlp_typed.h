/* mlp_typed.h -- the MLP's training functions in one precision: included
 * twice by mlp.h, with PB_R the scalar type (double, float) and PB_N(name)
 * the name of that precision (name, name_f32). No include guard, on
 * purpose. The loss is summed in double in both precisions. */

/* Scratch space for batches of up to `batch` samples. */
typedef struct PB_N(pb_mlp_ws) PB_N(pb_mlp_ws);
PB_N(pb_mlp_ws) *PB_N(pb_mlp_ws_alloc)(const pb_mlp *m, size_t batch);
void PB_N(pb_mlp_ws_free)(PB_N(pb_mlp_ws) *ws);

/* A head on its own, for any model: loss += sum over B rows of l(z_i, y_i)
 * for outputs z (B x C); dz = dl/dz (B x C); p (may be NULL) receives the
 * softmax probabilities (ce). mse uses noise precision beta. */
int PB_N(pb_head_loss)(pb_head head, double noise_precision, size_t C, const PB_R *z, const PB_R *y, size_t B,
                       double *loss, PB_R *dz, PB_R *p);

/* The head alone: loss += sum over B rows of l(z_i, y_i); dz = dl/dz
 * (B x dL); p (may be NULL) receives the softmax probabilities (ce). */
int PB_N(pb_mlp_head_loss)(const pb_mlp *m, const PB_R *z, const PB_R *y, size_t B, double *loss, PB_R *dz,
                           PB_R *p);

/* Network outputs for N samples into out (N x dL): class probabilities (ce)
 * or predictions (mse). */
int PB_N(pb_mlp_predict)(const pb_mlp *m, PB_N(pb_mlp_ws) *ws, const PB_R *w, const PB_R *X, size_t N, PB_R *out);

/* loss = L(w) over the N samples; grad (n_params), if not NULL, is
 * overwritten with dL/dw. */
int PB_N(pb_mlp_loss_grad)(const pb_mlp *m, PB_N(pb_mlp_ws) *ws, const PB_R *w, const PB_R *X, const PB_R *y,
                           size_t N, double *loss, PB_R *grad);
