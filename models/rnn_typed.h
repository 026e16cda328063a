/* rnn_typed.h -- the recurrent models' training functions in one
 * precision: included twice by rnn.h, with PB_R the scalar type (double,
 * float) and PB_N(name) the name of that precision (name, name_f32). No
 * include guard, on purpose. The loss is summed in double in both. */

/* Scratch space for chunks of up to `batch` sequences. It stores every
 * step's activations for backpropagation through time: about
 * 8 (double) or 4 (float) * batch * T * (G*H + 3H + 2d) bytes (LSTM; Elman without the 2H of cell
 * states; + 8 * batch * T with tokens), plus 8 * batch * T * (G*H + H) more
 * values allocated on the first call with group multipliers Z. A workspace belongs
 * to the model it was allocated for. */
typedef struct PB_N(pb_rnn_ws) PB_N(pb_rnn_ws);
PB_N(pb_rnn_ws) *PB_N(pb_rnn_ws_alloc)(const pb_rnn *m, size_t batch);
void PB_N(pb_rnn_ws_free)(PB_N(pb_rnn_ws) *ws);

/* loss = L over the N samples (chunks of at most the workspace batch).
 * y: N labels (ce) or N x C targets (mse). Z: N x n_groups multipliers, or
 * NULL for all ones. grad (n_params), if not NULL, is overwritten with dL/dw;
 * dZ (N x n_groups), if not NULL, with dL/dZ (then Z must not be NULL). */
int PB_N(pb_rnn_loss_grad)(const pb_rnn *m, PB_N(pb_rnn_ws) *ws, const PB_R *w, const PB_R *X, const PB_R *y,
                     size_t N, const PB_R *Z, PB_R *dZ, double *loss, PB_R *grad);

/* One training step of the model under a factorized Gaussian over its
 * weights, w = theta + sigma .* eps (seed 001 §4.1), for B sequences (at
 * most the workspace batch):
 *   - the recurrent layer cannot use the local reparameterization trick: its
 *     weights (Emb, Wx, Wh: parameters [0, off_b)) take ONE sample per call,
 *     shared by every sequence and time step, eps drawn from rng in buffer
 *     order; the biases b are not sampled;
 *   - the dense output layer keeps the trick: given HZ = z_h .* h_T,
 *       zo = HZ theta_out^T + bout + sd .* e,  sd^2 = HZ^2 sigma2_out^T,
 *     e ~ N(0, 1) per sample and output (row-major), drawn after the
 *     recurrent eps.
 * sigma2 holds sigma^2 of every parameter (entries of b and bout are
 * ignored). loss = sum of the B samples' losses; dtheta (n_params, or NULL)
 * and dsigma2 (n_params, or NULL; needs dtheta) are overwritten with
 * dL/dtheta and dL/dsigma^2 at the drawn noise; Z and dZ as in
 * pb_rnn_loss_grad. */
int PB_N(pb_rnn_vd_loss_grad)(const pb_rnn *m, PB_N(pb_rnn_ws) *ws, const PB_R *theta, const PB_R *sigma2, const PB_R *X,
                        const PB_R *y, size_t B, const PB_R *Z, PB_R *dZ, gsl_rng *rng, double *loss,
                        PB_R *dtheta, PB_R *dsigma2);


/* The recurrence alone, for a model that puts its own layer on the last
 * hidden states (models/siamese.c): h_T (B x H) of B sequences (B at most
 * the workspace batch; X rows as for pb_rnn_loss_grad; no group
 * multipliers), reading only w[0, off_wout). pb_rnn_hidden_backward, called
 * right after pb_rnn_hidden_forward with the same ws, w, X and B,
 * backpropagates dL/dh_T (dhT, B x H) through time and ADDS dL/dw to
 * grad[0, off_wout) (Emb, Wx, Wh, b); grad[off_wout, n_params) is not
 * touched. */
int PB_N(pb_rnn_hidden_forward)(const pb_rnn *m, PB_N(pb_rnn_ws) *ws, const PB_R *w, const PB_R *X, size_t B,
                                PB_R *hT);
void PB_N(pb_rnn_hidden_backward)(const pb_rnn *m, PB_N(pb_rnn_ws) *ws, const PB_R *w, const PB_R *X, size_t B,
                                  const PB_R *dhT, PB_R *grad);
