/* order.c -- fuzz the order readers (formats/order.h): pb_order_read,
 * pb_order_read_scores and pb_order_check_fit, against a 35-parameter model
 * (mlp:4-4-3:tanh; the "fit" whose SHA-256 is compared is the input itself). */
#include "fuzz.h"
#include "formats/order.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pb_model *m;
    if (!m && pb_model_parse("mlp:4-4-3:tanh", &m)) abort();
    const char *path = fuzz_file(data, size, ".tsv");
    size_t *order, n_order;
    double *score;
    char method[64];
    if (!pb_order_read(path, m->n_params, &order, &n_order, method, sizeof method)) free(order);
    if (!pb_order_read_scores(path, m->n_params, &order, &score, &n_order, NULL, 0)) free(order), free(score);
    pb_order_check_fit(path, path, m);
    return 0;
}
