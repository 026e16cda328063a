/* cmd_structure.c -- `prunebench structure`: protocol P4, group structure of
 * a pruned recurrent network (protocols/p4.h), at the method's operating
 * point (as `export` takes it) or at --score-below X:
 *
 *   structure --fit F --order O (--operating-point | --score-below X) -o OUT.tsv
 *             [--gates G.tsv] [--repeats R] [--tex T --name N] [--plugin-dir D]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/pruning.h"
#include "formats/order.h"
#include "host/cell.h"
#include "protocols/p4.h"
#include "base/util.h"

int cmd_structure(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), F("operating-point"), O("score-below"), O("plugin-dir"), O("data-dir"), O("gates"),
               O("repeats"), O("tex"), O("name"), O("o"), END};
    parse_or_die(argc, argv, o, "structure");
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *xspec = get(o, "score-below", NULL);
    size_t repeats = get_count(o, "repeats", 5, 1, 1000);
    int op = get(o, "operating-point", NULL) != NULL;
    if (op == (xspec != NULL)) die(pb_error(PB_ERR_ARG, "structure: give exactly one of --operating-point, --score-below X"));
    double below = op ? method_operating_point(order_path, plugin_dir(o)) : get_num(o, "score-below", 0, -HUGE_VAL, HUGE_VAL);
    const char *gates = get(o, "gates", NULL), *tex = get(o, "tex", NULL);
    int st;
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, data_dir(o)))) die(st);
    if ((st = pb_order_check_fit(order_path, fit_path, c.net))) die(st);
    pb_p4_opts po = {fit_path, order_path, below, op, repeats, gates != NULL};
    pb_p4_result r;
    if ((st = pb_p4_run(&c, &po, &r))) die(st);

    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    pb_p4_write(out.f, &c, &po, &r);
    if ((st = pb_out_commit(&out))) die(st);
    const pb_structure *s = &r.s;
    char compression[32], flops[64], speed[64];
    pb_p4_ratio_str(compression, sizeof compression, r.compression);
    pb_p4_ratio_words(flops, sizeof flops, r.flop_ratio, "fewer", "more", "x");
    pb_p4_ratio_words(speed, sizeof speed, r.seconds_dense / r.seconds_compact, "faster", "slower", "x");
    printf("structure: %s at %g: quality %.4g; hidden %zu/%zu, gates %zu/%zu non-constant, inputs %zu/%zu; weights "
           "%zu/%zu nonzero (compression %sx); FLOPs %s; inference %s (%.3g s pruned, %.3g s unpruned)\n",
           r.method, below, r.quality, s->hidden_kept, s->hidden, s->gates_nonconst, s->gates, s->inputs_kept, s->inputs,
           s->weights_nonzero, s->weights, compression, flops, speed, r.seconds_compact, r.seconds_dense);
    if (gates) {
        if ((st = pb_out_open(&out, gates))) die(st);
        pb_p4_write_gates(out.f, &po, &r);
        if ((st = pb_out_commit(&out))) die(st);
    }
    if (tex) {
        const char *name = need(o, "name");
        if ((st = pb_out_open(&out, tex))) die(st);
        pb_p4_write_macros(out.f, name, &c, &r);
        if ((st = pb_out_commit(&out))) die(st);
    }
    pb_p4_result_free(&r);
    pb_cell_close(&c);
    return 0;
}
