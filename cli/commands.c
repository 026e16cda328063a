/* commands.c -- the command table (commands.h): one row per command, in the
 * order `help` lists them. */
#include <string.h>

#include "cli/commands.h"

const command commands[] = {
    {"train", "fit a model to a dataset (one cell): a fit file",
     "train --data NAME --model SPEC [--repeat R] [--family gauss-diag|gauss-scalar|point] [--precision f64|f32] [--epochs E]\n"
     "        [--batch B] [--lr LR] [--init-sd S] [--prior-mean eb|zero] [--noise eb|fixed] [--test-fraction F]\n"
     "        [--init default|seed004-synthetic] [--lr-decay none|linear] [--method NAME [--options STR] [--plugin-dir DIR]\n"
     "        [--plugin-timeout S]] [--weight-decay WD] [--dropout P] [--train-limit N] [--experiment NAME] [--data-dir DIR] [--progress]\n"
     "        [--checkpoint-minutes M | --no-checkpoint] [--pause-after-steps S] [--snapshot-every E] [--estimate S]\n        [--trace F] [--weight-sample minibatch|object] [--kl-weight L] [--prior eb|fixed] [--optimizer adam|sgd]\n"
     "        [--lrt] [--init-fit F] [--evidence S] -o FIT\n"
     "        (state in FIT.ckpt every M minutes (10) and on SIGINT/SIGTERM; the same command resumes; exit 75 = paused;\n"
     "        --snapshot-every E: the fit after every E-th epoch too, as FIT with .e<epoch> before .fit;\n"
     "        --precision f32: the model's products in float, the optimizer in double (default f64);\n"
     "        --estimate S: time S steps, print the whole run's estimated time instead of training)\n",
     cmd_train},
    {"hyper-train", "seed 003 (P5): train a hypernetwork generating a variational model from lambda: a .hyp file",
     "hyper-train --data NAME --model SPEC --hyper lowrank|linear [--repeat R] [--epochs E] [--batch B] [--lr LR]\n"
     "        [--optimizer sgd|adam] [--hidden H] [--lambda-draws K] [--clip C] [--init-sd S] [--test-fraction F] [--train-limit N]\n"
     "        [--experiment NAME] [--data-dir DIR] [--progress] [--checkpoint-minutes M | --no-checkpoint]\n"
     "        [--pause-after-steps S] -o HYPER.hyp\n",
     cmd_hyper_train},
    {"hyper-gen", "seed 003 (P5): the model a hypernetwork generates at one lambda, as an ordinary gauss-diag fit",
     "hyper-gen HYPER.hyp --lambda L [--evidence S] [--data-dir DIR] -o FIT\n",
     cmd_hyper_gen},
    {"rank", "score a fit with a pruning-method plugin: a removal order",
     "rank --fit FIT --method NAME|PATH.so [--options STR] [--prunable weights|all]\n"
     "        [--plugin-dir DIR] [--data-dir DIR] [--plugin-timeout S] -o ORDER.tsv\n",
     cmd_rank},
    {"curve", "protocol P1 for one order: test quality against the fraction removed",
     "curve --fit FIT --order ORDER.tsv [--fractions LIST] [--compensate none|conditional]\n"
     "        [--estimator laplace|laplace-exact|samples] [--data-dir DIR]\n"
     "        [--finetune E [--ft-batch B] [--ft-lr LR] [--ft-precision f64|f32]\n"
     "        [--ft-train-limit N] [--iterative P [--rounds R] [--rewind]]]\n"
     "        -o CURVE.tsv\n"
     "        (--finetune E: after removing the first k, train the kept parameters E epochs, removed ones held at 0;\n"
     "        --iterative P: remove P of what remains, fine-tune, repeat R rounds (10); --rewind: each round starts\n"
     "        the kept weights from the fit's initial weights)\n",
     cmd_curve},
    {"summarize", "the P1 summary of one dataset: gnuplot data, LaTeX tables and macros",
     "summarize --dataset NAME [--title T] [--tol X] [--mean F] [--gp F] [--tsv F] [--tex F]\n"
     "        [--macros F] [--reference F] [--variant NAME] CURVE.tsv...\n",
     cmd_summarize},
    {"noise", "protocol P2 for one order: output noise under input noise, per fraction removed and noise level",
     "noise --fit FIT --order ORDER.tsv [--fractions LIST] [--levels LIST] [--draws K]\n"
     "        [--compensate none|conditional] [--estimator laplace|laplace-exact|samples] [--data-dir DIR] -o NOISE.tsv\n",
     cmd_noise},
    {"noise-summary", "the P2 summary of one dataset: surfaces and slices for gnuplot, LaTeX table and macros",
     "noise-summary --dataset NAME [--tex F] [--title T] --surface-prefix PREFIX --slices OUT.tsv --macros OUT.tex\n"
     "        [--at-fraction F] [--at-level S] NOISE.tsv...\n",
     cmd_noise_summary},
    {"export", "a pruned MLP in compressed sparse row form",
     "export --fit FIT --order ORDER.tsv (--fraction F | --score-below X | --operating-point) [--data-dir DIR]\n"
     "        [--plugin-dir DIR] [--tex F --name NAME] -o NET.csr\n",
     cmd_export},
    {"structure", "protocol P4: the group structure, size and speed of a pruned recurrent network",
     "structure --fit FIT --order ORDER.tsv (--operating-point | --score-below X) [--gates G.tsv]\n"
     "        [--repeats R] [--plugin-dir DIR] [--data-dir DIR] [--tex F --name NAME] -o OUT.tsv   protocol P4\n",
     cmd_structure},
    {"sparse-eval", "test quality of a CSR network on the split of its fit",
     "sparse-eval --net NET.csr --fit FIT [--data-dir DIR]\n",
     cmd_sparse_eval},
    {"plugins", "list the plugins found, their options and requirements",
     "plugins [--plugin-dir DIR] [--trainers | --defaults NAME] [--plugin-timeout S]\n"
     "        --trainers: the methods that train their own network; --defaults NAME: NAME's options as name=default\n",
     cmd_plugins},
    {"check-plugin", "conformance test of a plugin, for its author (TAP on stdout)",
     "check-plugin [--plugin-timeout S] PATH.so\n",
     cmd_check_plugin},
    {"evaluate", "test quality of a fit as trained, nothing removed",
     "evaluate --fit FIT [--data-dir DIR] [--tex F --name NAME] -o OUT.tsv   test quality, nothing removed\n",
     cmd_evaluate},
    {"provenance", "LaTeX macros describing this build and its data (report appendix)",
     "provenance\n",
     cmd_provenance},
    {"version", "the version string every result's provenance records", "version   (also prunebench --version)\n", cmd_version},
    {"bench", "throughput of training steps, compressed LSTM inference and the Belsley order",
     "bench [--plugin-dir DIR] [--only SUBSTR] [--repeat K]   throughput of training steps, compressed LSTM\n"
     "        inference and the Belsley order\n",
     cmd_bench},
    {"help", "every command's usage, or one command's",
     "help [COMMAND]   this text, or one command's (as COMMAND --help)\n",
     cmd_help},
    {"tidy", "one tidy CSV of the P1 curve and P2 noise files given", "tidy -o OUT.csv RESULT.tsv...   a row per result row: dataset, experiment, method, variant, repeat, fraction, quality, P2 columns\n", cmd_tidy},
    {"findings", "the report's Findings: each seed claim, our measurement, a verdict; every method across datasets",
     "findings --claims CLAIMS.tsv --results results/SCALE [--scale S] [--datasets LIST] [--methods LIST]\n"
     "        [--experiments LIST] [--tex F] [--tsv F]\n"
     "        (--scale: quick marks every verdict as not evidence; default: the last part of --results;\n"
     "        --datasets: the cross-dataset table's P1 summaries, separated by spaces or commas;\n"
     "        default: the experiments the claims read P1 summaries of; --methods, --experiments: the run's,\n"
     "        a claim on another is not run; default: any)\n",
     cmd_findings},
    {"sweep", "protocol P3: kept fraction, test quality and the variational bound against the threshold on |m/s|",
     "sweep --fit FIT [--lambdas LIST] [--samples S] [--prunable weights|all] [--data-dir DIR] -o SWEEP.tsv\n", cmd_sweep},
    {"sweep-summary", "protocol P3 over repeats: mean and sd per lambda for each posterior family (D, I), and the lambda of the smallest bound",
     "sweep-summary SWEEP.tsv... [--name N] [--title T] [--mean F] [--gp F] [--tsv F] [--macros F]\n", cmd_sweep_summary},
    {"baselines", "seed 000 Table 1: logistic regression, linear SVC, tree, kNN on a pair set", "baselines --data NAME [--repeat R] [--vectors lsa|glove] [--data-dir DIR] [--tex F --name N] -o OUT.tsv\n", cmd_baselines},
    {NULL, NULL, NULL, NULL},
};

const command *find_command(const char *name)
{
    for (const command *c = commands; c->name; c++)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}
