/* mkseeds.c -- write the seed corpus of the fuzz targets, one small valid
 * file (or two) per reader, into DIR/<reader>/ (fuzz/corpus/ is what this
 * wrote; `make fuzz-seeds` writes it again):
 *
 *   build/fuzz-mkseeds DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/util.h"
#include "formats/checkpoint.h"
#include "formats/csr.h"
#include "formats/fit.h"
#include "formats/order.h"

static const char *dir;

static const char *at(const char *sub, const char *name)
{
    static char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    return p;
}

static void text(const char *sub, const char *name, const char *s)
{
    FILE *f = fopen(at(sub, name), "w");
    if (!f) exit(1);
    fputs(s, f);
    fclose(f);
}

static void must(int st)
{
    if (st) {
        fprintf(stderr, "mkseeds: %s\n", pb_last_error());
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    dir = argv[1];
    mkdir(dir, 0755);
    text("csv", "regression.csv", "4,2,a,b\na,b,y\n1,2,0.5\n3,4,1.5\n-1,0.25,2\n7,1e3,3\n");
    text("csv", "classes.csv", "3,1\n0.5,0\n1.5,1\n2.5,2\n");
    text("text", "reviews.tsv", "a fine film\t0.8\nbad, bad film\t0.1\nfine\t0.5\nit was long\t0.3\n");
    text("text", "semeval.tsv", "a man plays\ta man is playing\t4.2\ntwo dogs\ta cat sleeps\t0.4\nrain\train falls\t3\n"
                                "the sun\tthe sun rises\t2.5\n");
    /* IDX: 2 items of 2 x 3 bytes, plain and gzip-compressed */
    const unsigned char idx[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    FILE *f = fopen(at("idx", "plain-idx3-ubyte"), "wb");
    if (!f) return 1;
    fwrite(idx, 1, sizeof idx, f);
    fclose(f);
    gzFile g = gzopen(at("idx", "packed-idx3-ubyte.gz"), "wb");
    if (!g) return 1;
    gzwrite(g, idx, sizeof idx);
    gzclose(g);

    /* a fit, a sparse network, an order of mlp:4-4-3:tanh (35 parameters) */
    pb_model *m;
    must(pb_model_parse("mlp:4-4-3:tanh", &m));
    pb_fit fit;
    must(pb_fit_alloc(&fit, m->n_params));
    snprintf(fit.model, sizeof fit.model, "%s", m->spec);
    snprintf(fit.dataset, sizeof fit.dataset, "wine");
    snprintf(fit.family, sizeof fit.family, "gauss-diag");
    snprintf(fit.settings, sizeof fit.settings, "fuzz seed");
    fit.test_fraction = 0.2, fit.prior_sd = 1, fit.noise_precision = 1;
    double score[64];
    size_t order[64];
    for (size_t j = 0; j < m->n_params; j++) {
        fit.mean[j] = (j % 3 == 0) ? 0 : 0.1 * (double)j - 1;
        fit.sd[j] = 0.05 * (double)(j % 7 + 1);
        score[j] = (double)((j * 7) % m->n_params);
    }
    must(pb_fit_save(&fit, at("fit", "mlp-4-4-3.fit")));
    pb_csr_net net;
    must(pb_csr_from_dense(pb_model_dense_layers(m), fit.mean, &net));
    must(pb_csr_save(&net, at("csr", "mlp-4-4-3.csr")));
    pb_csr_free(&net);
    unsigned char mask[64];
    size_t np = pb_model_prunable(m, 0, mask), k = 0;
    for (size_t j = 0; j < m->n_params; j++)
        if (mask[j]) order[k++] = j;
    pb_order_meta meta = {.method = "fuzz", .settings = "", .fit_path = "mlp-4-4-3.fit", .prunable = "weights",
                          .seed = 1, .fit_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"};
    must(pb_order_write(at("order", "weights.tsv"), &meta, m, order, score, np));
    score[order[1]] = NAN;
    meta.fit_sha256 = NULL;
    must(pb_order_write(at("order", "with-na.tsv"), &meta, m, order, score, np));

    /* the checkpoint fuzz/checkpoint.c loads */
    double a = 1.5, b = -2, v[5] = {1, 2, 3, 4, 5}, m1[5] = {0.1, 0.2, 0.3, 0.4, 0.5};
    size_t perm[6] = {5, 4, 3, 2, 1, 0};
    pb_ckpt c = {.key = "fuzz", .epoch = 2, .next = 3, .step = 9, .n_scalars = 2, .n_vectors = 2, .perm = perm,
                 .n_perm = 6, .rng = gsl_rng_alloc(gsl_rng_mt19937)};
    c.scalar[0] = (pb_ckpt_scalar){"a", &a};
    c.scalar[1] = (pb_ckpt_scalar){"b", &b};
    c.vector[0] = (pb_ckpt_vector){"values", v, 5};
    c.vector[1] = (pb_ckpt_vector){"m1", m1, 5};
    must(pb_ckpt_save(at("checkpoint", "run.ckpt"), &c));
    gsl_rng_free(c.rng);
    pb_fit_free(&fit);
    pb_model_free(m);
    return 0;
}
