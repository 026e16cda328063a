/* cmd_baselines.c -- `prunebench baselines`: seed 000 Table 1's four
 * baselines (protocols/baselines.h) on a sentence-pair set, one row per
 * classifier, with provenance.
 *
 * Parts: 70/15/15 train/validation/test, stratified. The test part is the
 * 15% that `train --test-fraction 0.15` of the same repeat holds out (the
 * same split seed, pb_seed("split", pb_dataset_split_name(data), "", "", repeat, "split")), so the
 * baselines and the siamese RNN are scored on the same pairs; the other 85%
 * is split again, 15/85 of it to validation, by the stream
 * pb_seed("baselines", data, "", "", repeat, "validation").
 * Word vectors (--vectors): lsa (the default), LSA of the training part's
 * sentences (datasets/lsa.h); glove, the GloVe text file $PB_GLOVE_FILE
 * (datasets/vector_pairs.h), as seed 000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "datasets/data.h"
#include "datasets/registry.h"
#include "formats/provenance.h"
#include "protocols/baselines.h"
#include "datasets/lsa.h"
#include "datasets/vector_pairs.h"
#include "base/util.h"

#define TEST_FRACTION 0.15
#define VAL_FRACTION (0.15 / 0.85)   /* of the 85% left: 15% of all */

int cmd_baselines(int argc, char **argv)
{
    opt o[] = {O("data"), O("repeat"), O("vectors"), O("data-dir"), O("tex"), O("name"), O("o"), END};
    parse_or_die(argc, argv, o, "baselines");
    const char *data = need(o, "data"), *path = need(o, "o"), *tex = get(o, "tex", NULL);
    unsigned repeat = (unsigned)get_count(o, "repeat", 0, 0, 1000000);
    const char *vectors = get(o, "vectors", "lsa");
    if (strcmp(vectors, "lsa") && strcmp(vectors, "glove"))
        die(pb_error(PB_ERR_ARG, "--vectors %s: expected lsa or glove", vectors));
    if (!pb_vector_pairs_available(vectors)) die(PB_ERR_IO);
    char nm[64] = "";
    if (tex) pb_tex_camel(need(o, "name"), nm, sizeof nm);
    dataset_or_die(data);
    int st;
    pb_data rest, test, train, val;
    pb_scaling sc;
    uint64_t split_seed = pb_seed("split", pb_dataset_split_name(data), "", "", repeat, "split");
    uint64_t val_seed = pb_seed("baselines", data, "", "", repeat, "validation");
    if ((st = pb_dataset_open(data, data_dir(o), split_seed, TEST_FRACTION, 0, &rest, &test, &sc))) die(st);
    pb_scaling_free(&sc);
    if (!rest.vocab || rest.d % 2 || rest.seq_len != rest.d || rest.n_classes < 2)
        die(pb_error(PB_ERR_ARG, "baselines: dataset '%s' is not a set of sentence pairs (token ids, 2L per row)",
                     data));
    if ((st = pb_split(&rest, VAL_FRACTION, val_seed, &train, &val))) die(st);
    pb_data_free(&rest);

    size_t dim = PB_LSA_DIM, rows = train.vocab, found = 0;
    double *E = NULL, s[PB_LSA_DIM];
    double t0 = pb_seconds();
    if (!strcmp(vectors, "lsa")) {
        if (!(E = pb_calloc(rows * dim, sizeof *E))) die(PB_ERR_NOMEM);
        if ((st = pb_lsa_vectors(&train, dim, E, s))) die(st);
    } else {
        pb_vocab v;
        if ((st = pb_dataset_vocab(data, data_dir(o), split_seed, TEST_FRACTION, &v))) die(st);
        st = pb_vector_pairs_vectors("glove", &train, &v, &E, &dim, &found);
        pb_vocab_free(&v);
        if (st) die(st);
    }
    double vec_seconds = pb_seconds() - t0;
    pb_baseline_result res[PB_BASELINES];
    if ((st = pb_baselines_run(&train, &val, &test, E, rows, dim, res))) die(st);

    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    fprintf(out.f, "# prunebench baselines: seed 000 Table 1, four classifiers on sentence-pair features\n");
    fprintf(out.f, "# dataset: %s\n# repeat: %u\n", data, repeat);
    fprintf(out.f, "# parts: train %zu, validation %zu, test %zu pairs (70/15/15, stratified; the test part is train's "
                   "--test-fraction 0.15 part)\n", train.n, val.n, test.n);
    if (!strcmp(vectors, "lsa"))
        fprintf(out.f, "# word_vectors: LSA, tf-idf word x sentence matrix of the training part, %zu dimensions by the "
                       "Gram matrix's eigenpairs (dsyevr); %zu ids; s_1 %.6g, s_%zu %.6g; %.2f s\n", dim, rows, s[0],
                dim, s[dim - 1], vec_seconds);
    else
        fprintf(out.f, "# word_vectors: GloVe %s, %zu dimensions; %zu of %zu ids found; %.2f s\n",
                getenv(PB_GLOVE_ENV), dim, found, rows, vec_seconds);
    fprintf(out.f, "# features: [m_a, m_b, |m_a - m_b|, m_a * m_b] of the mean word vectors, %zu, standardized on "
                   "train\n", 4 * dim);
    fprintf(out.f, "# selection: the first best validation macro F1 over each grid; test scored once\n");
    fprintf(out.f, "# quality_metric: macro F1 (classes absent from truth and predictions left out)\n");
    pb_write_provenance(out.f);
    fprintf(out.f, "# liblinear: %d\n", pb_linear_version());
    fprintf(out.f, "classifier\tlibrary\tparameter\tvalue\tval_macro_f1\ttest_accuracy\ttest_macro_f1\ttrain_seconds\t"
                   "test_seconds\n");
    for (int c = 0; c < PB_BASELINES; c++)
        fprintf(out.f, "%s\t%s\t%s\t%.10g\t%.10g\t%.10g\t%.10g\t%.4f\t%.4f\n", res[c].name, res[c].library,
                res[c].param, res[c].value, res[c].val_f1, res[c].test_acc, res[c].test_f1, res[c].train_seconds,
                res[c].test_seconds);
    if ((st = pb_out_commit(&out))) die(st);
    if (tex) {  /* \pb<Name><Classifier>ValFOne, ...TestFOne, ...TestAccuracy (3 decimals) */
        if ((st = pb_out_open(&out, tex))) die(st);
        fprintf(out.f, "%% generated by prunebench baselines -- do not edit\n");
        for (int c = 0; c < PB_BASELINES; c++) {
            char cn[64];
            pb_tex_camel(res[c].name, cn, sizeof cn);
            fprintf(out.f, "\\newcommand{\\pb%s%sValFOne}{%.3f}\n\\newcommand{\\pb%s%sTestFOne}{%.3f}\n"
                           "\\newcommand{\\pb%s%sTestAccuracy}{%.3f}\n",
                    nm, cn, res[c].val_f1, nm, cn, res[c].test_f1, nm, cn, res[c].test_acc);
        }
        if ((st = pb_out_commit(&out))) die(st);
    }
    free(E);
    pb_data_free(&train), pb_data_free(&val), pb_data_free(&test);
    return 0;
}
