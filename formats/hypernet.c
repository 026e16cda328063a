/* hypernet.c -- see hypernet.h. */
#include "formats/hypernet.h"
#include "base/binfile.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char MAGIC[8] = {'P', 'B', 'H', 'Y', 'P', '\r', '\n', 032};

void pb_hypernet_free(pb_hypernet *h)
{
    if (!h) return;
    free(h->u);
    h->u = NULL;
}

int pb_hypernet_save(const pb_hypernet *h, const char *path)
{
    pb_buf pl = {0};
    pb_buf_str(&pl, h->model);
    pb_buf_str(&pl, h->dataset);
    pb_buf_str(&pl, h->kind);
    pb_buf_u32(&pl, h->repeat);
    pb_buf_u64(&pl, h->data_seed);
    pb_buf_u64(&pl, h->init_seed);
    pb_buf_f64(&pl, h->test_fraction);
    pb_buf_u32(&pl, (uint32_t)h->standardize_y);
    pb_buf_u64(&pl, h->n);
    pb_buf_u64(&pl, h->hidden);
    pb_buf_u64(&pl, h->n_u);
    pb_buf_f64(&pl, h->updates);
    pb_buf_f64(&pl, h->final_objective);
    pb_buf_str(&pl, h->settings);
    pb_buf_put(&pl, h->u, h->n_u * sizeof *h->u);
    int st = pb_binfile_write(path, MAGIC, PB_HYPERNET_VERSION, "hypernetwork file", &pl);
    free(pl.p);
    return st;
}

int pb_hypernet_load(const char *path, pb_hypernet *h)
{
    memset(h, 0, sizeof *h);
    unsigned char *data;
    pb_reader r;
    int st = pb_binfile_read(path, MAGIC, PB_HYPERNET_VERSION, "hypernetwork file", &data, &r);
    if (st) return st;
    pb_reader_str(&r, h->model, sizeof h->model);
    pb_reader_str(&r, h->dataset, sizeof h->dataset);
    pb_reader_str(&r, h->kind, sizeof h->kind);
    h->repeat = pb_reader_u32(&r);
    h->data_seed = pb_reader_u64(&r);
    h->init_seed = pb_reader_u64(&r);
    h->test_fraction = pb_reader_f64(&r);
    h->standardize_y = (int)pb_reader_u32(&r);
    uint64_t n = pb_reader_u64(&r), hidden = pb_reader_u64(&r), nu = pb_reader_u64(&r);
    h->updates = pb_reader_f64(&r);
    h->final_objective = pb_reader_f64(&r);
    pb_reader_str(&r, h->settings, sizeof h->settings);
    if (r.bad || n == 0 || nu == 0 || (r.len - r.pos) % 8 != 0 || (r.len - r.pos) / 8 != nu) {
        st = pb_error(PB_ERR_FORMAT, "%s: hypernetwork file payload is inconsistent", path);
        goto done;
    }
    if (strcmp(h->kind, "lowrank") && strcmp(h->kind, "linear")) {
        st = pb_error(PB_ERR_FORMAT, "%s: hypernetwork kind '%s' is neither lowrank nor linear", path, h->kind);
        goto done;
    }
    h->n = (size_t)n, h->hidden = (size_t)hidden, h->n_u = (size_t)nu;
    if (!(h->u = pb_calloc(h->n_u, sizeof *h->u))) { st = PB_ERR_NOMEM; goto done; }
    pb_reader_get(&r, h->u, h->n_u * sizeof *h->u);
done:
    free(data);
    if (st) pb_hypernet_free(h);
    return st;
}
