/* options.c -- what each option of each command means, and its default:
 * the one text `help COMMAND`, `COMMAND --help` and the man page
 * (`help --man`, build/prunebench.1) print. One entry per command of the
 * table in commands.c (or consecutive entries of the same name, joined) (t/cli.c checks that every listed command has one);
 * each line is "OPTION ARG<TAB>what it means (default: ...)". */
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "protocols/p1.h"
#include "protocols/p2.h"
#include "protocols/p3.h"
#include "train/train.h"
#include "train/hyper.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* The options several commands share. */
#define FIT_OPT "--fit FIT\tthe fit file (from train); its dataset is re-read from the data directory (required)\n"
#define ORDER_OPT "--order ORDER.tsv\tthe removal order (from rank) (required)\n"
#define DATA_DIR_OPT \
    "--data-dir DIR\twhere the shipped data files are (default: $" PB_DATA_DIR_ENV ", else the installed or source " \
    "tree's datasets/)\n"
#define PLUGIN_DIR_OPT \
    "--plugin-dir DIR\twhere method NAME is NAME.so (default: $" PB_PLUGIN_DIR_ENV ", else the installed or build " \
    "tree's plugins/)\n"
#define PLUGIN_TIMEOUT_OPT \
    "--plugin-timeout S\tthe plugin runs in a child process: its time limit per hook, in seconds; 0: in this " \
    "process, no limit (for a debugger) (default: $PB_PLUGIN_TIMEOUT, else 600)\n"
#define COMPENSATE_OPT \
    "--compensate none|conditional\tnone: the kept weights stay at the posterior mean; conditional: moved to the " \
    "Gaussian conditional mean given the removed are 0 (default: none)\n"
#define ESTIMATOR_OPT \
    "--estimator laplace|laplace-exact|samples\tthe covariance behind --compensate conditional: Gauss-Newton, exact " \
    "Hessian, or SGD iterates (default: laplace)\n"
#define TEX_NAME_OPTS \
    "--tex F\talso write LaTeX macros for the report to F (needs --name)\n" \
    "--name NAME\tthe name in those macros' names (\\pb<Name>...)\n"

static const command_help helps[] = {
    {"train",
     "--data NAME\tthe dataset, one of those listed under Datasets (required)\n"
     "--model SPEC\tthe model, e.g. mlp:13-13-3:tanh (see Model specs) (required)\n"
     "-o FIT\tthe fit file to write (required)\n"
     "--repeat R\twhich repeat: picks the split and initialization seeds (default: 0)\n"
     "--family gauss-diag|gauss-scalar|point\tgauss-diag: diagonal Gaussian posterior with an empirical-Bayes prior; "
     "gauss-scalar: the scalar posterior N(m, alpha I), one variance for all weights, same prior; point: a "
     "point estimate (default: gauss-diag)\n"
     "--precision f64|f32\tthe model's products in double or float; the optimizer is always double (default: f64)\n"
     "--epochs E\tpasses over the training set (default: 300)\n"
     "--batch B\tminibatch size; 0 is the full batch (default: 32)\n"
     "--lr LR\tAdam step size (default: 0.01)\n"
     "--lr-decay none|linear\tlinear: the step size falls linearly to 0 over the second half of the epochs "
     "(default: none)\n"
     "--init-sd S\tinitial posterior standard deviation of gauss-diag and gauss-scalar (default: 0.5)\n"
     "--init default|seed004-synthetic\tinitial weights: the model's own, or seed 004's for a 100-1 network "
     "(default: default)\n"
     "--prior-mean eb|zero\tthe prior mean: empirical Bayes, or held at 0 (default: eb)\n"
     "--noise eb|fixed\tthe output noise precision of a squared-error head: empirical Bayes, or held at 1 "
     "(default: eb)\n"
     "--test-fraction F\tthe share of the data held out for test (default: 0.2)\n"
     "--weight-decay WD\tL2 penalty of a point estimate (default: 0)\n"
     "--dropout P\tinput and hidden dropout of a recurrent point estimate (default: 0)\n"
     "--train-limit N\ttrain on the first N training samples only; 0 is all (default: 0)\n"
     "--method NAME\ta method that trains its own network (see `plugins --trainers`) instead of the base fit "
     "(default: none)\n"
     "--options STR\tthat method's options, name=value[,name=value] (default: its defaults)\n"
     PLUGIN_DIR_OPT
     PLUGIN_TIMEOUT_OPT
     "--experiment NAME\tthe experiment the seeds are named after (default: p1)\n"
     DATA_DIR_OPT
     "--progress\tprint progress lines to stderr (default: silent)\n"
     "--checkpoint-minutes M\tsave resumable state in FIT.ckpt every M minutes and on SIGINT/SIGTERM; the same "
     "command resumes (default: 10)\n"
     "--no-checkpoint\tno FIT.ckpt\n"
     "--pause-after-steps S\tsave the state and exit 75 after S steps in all (default: never)\n"
     "--snapshot-every E\talso write the fit after every E-th epoch, as FIT with .e<epoch> before .fit "
     "(default: never)\n"
     "--estimate S\ttime S steps, print the whole run's estimated time and write no fit (default: train)\n"
     "--trace F\tthe objective per epoch (the negative ELBO per sample for gauss-diag and gauss-scalar) and its KL "
     "term to F as TSV; a resumed run appends (default: none)\n"},
    {"train",  /* (continued: one string literal stays within C's 4095 characters) */
     "--weight-sample minibatch|object\tgauss-scalar, gauss-diag: one weight sample per minibatch, or one per object (a "
     "sequence's time steps share it; one model pass per object, slower) (default: minibatch)\n"
     "--kl-weight L\tgauss-diag: lambda, the weight of KL(q||p) in the objective (seed 003 eq. 3); recorded as "
     "kl_weight= when not 1 (default: 1)\n"
     "--prior eb|fixed\tgauss-diag: the prior's empirical-Bayes update, or held at N(0, 1) (recorded as prior=fixed-N(0,1)) "
     "(default: eb)\n"
     "--optimizer adam|sgd\tAdam, or plain SGD x <- x - LR g (recorded as optimizer=) (default: adam)\n"
     "--lrt\tgauss-diag: local reparameterization on dense layers, the biases one sample per minibatch (recorded as "
     "lrt=dense) (default: off)\n"
     "--init-fit F\tgauss-diag: start from fit F's means and sds (fine-tuning; same model), recorded as init_fit= "
     "(default: none)\n"
     "--evidence S\tMonte-Carlo draws of the generalized evidence Lgen = E_q log p(D|w) - lambda KL at the end "
     "(0: none) (default: " STR(PB_EVIDENCE_SAMPLES) ")\n"
     "\tany of --kl-weight, --prior, --optimizer, --lrt, --init-fit, --evidence appends the P5 record to the fit's "
     "settings: updates= (optimized scalars times steps, as counted), lgen= elogl= kl= lgen_samples= (on the "
     "training data), updates_total= (with --init-fit: plus that fit's updates)\n"},
    {"hyper-train",
     "--data NAME\tthe dataset (required)\n"
     "--model SPEC\tthe generated model, e.g. mlp:784-100-10:relu (required)\n"
     "--hyper lowrank|linear\tlowrank: G = (f U1)^T (f U2) + B1 per tensor, f a 1->H ReLU layer of log10 lambda "
     "(seed 003 eq. 5); linear: G = lambda b2 + b3 per value (eq. 6) (required)\n"
     "-o HYPER.hyp\tthe hypernetwork file to write (required)\n"
     "--repeat R\twhich repeat: picks the split and initialization seeds (default: 0)\n"
     "--epochs E\tpasses over the training set (default: 25)\n"
     "--batch B\tminibatch size (default: 128)\n"
     "--optimizer sgd|adam\t(default: sgd)\n"
     "--lr LR\tstep size (default: " STR(PB_HYPER_SGD_LR) " for sgd, 0.001 for adam)\n"
     "--hidden H\twidth of f (default: " STR(PB_HYPER_HIDDEN) ")\n"
     "--lambda-draws K\tsteps per minibatch, each with its own log10 lambda ~ U(-1, 2) (default: 5 for linear, 1 "
     "for lowrank)\n"
     "--clip C\tscale the lambda-dependent part of each step's gradient (f, U1, U2; or b2) to L2 norm at most C; "
     "0: never; ours, not the seed's, without it SGD diverges (default: " STR(PB_HYPER_CLIP_LOWRANK) " for lowrank, "
     STR(PB_HYPER_CLIP_LINEAR) " for linear)\n"
     "--init-sd S\tinitial posterior sd of the generated model (default: 0.05)\n"
     "--test-fraction F\tthe share held out for test where the dataset has no test file (default: 0.2)\n"
     "--train-limit N\ttrain on the first N training samples only (default: all)\n"
     "--experiment NAME\tthe experiment the seeds are named after (default: p5)\n"
     DATA_DIR_OPT
     "--progress\tprint progress lines to stderr (default: silent)\n"
     "--checkpoint-minutes M\tsave resumable state in HYPER.hyp.ckpt every M minutes and on SIGINT/SIGTERM "
     "(default: 10)\n"
     "--no-checkpoint\tno HYPER.hyp.ckpt\n"
     "--pause-after-steps S\tsave the state and exit 75 after S steps in all (default: never)\n"
     "\tthe file records the updates counted in training (every hypernetwork value once per step)\n"},
    {"hyper-gen",
     "HYPER.hyp\tthe hypernetwork (from hyper-train) (required)\n"
     "--lambda L\tthe complexity weight to generate the model at (default: 1)\n"
     "-o FIT\tthe fit to write: family gauss-diag, prior N(0, 1), settings generator=hyper-KIND hyper_file= lambda= "
     "updates= (the hypernetwork's) lgen= elogl= kl= lgen_samples= (required)\n"
     "--evidence S\tMonte-Carlo draws of the generalized evidence on the training data (0: none) (default: "
     STR(PB_EVIDENCE_SAMPLES) ")\n"
     DATA_DIR_OPT},
    {"rank",
     FIT_OPT
     "--method NAME|PATH.so\tthe pruning method (see `plugins`) (required)\n"
     "-o ORDER.tsv\tthe order file to write (required)\n"
     "--options STR\tthe method's options, name=value[,name=value] (default: its defaults, see `plugins --defaults "
     "NAME`)\n"
     "--prunable weights|all\twhat may be removed: weight-matrix entries, or biases too (default: weights)\n"
     "--experiment NAME\tthe experiment the ranking seed is named after (default: p1)\n"
     PLUGIN_DIR_OPT DATA_DIR_OPT PLUGIN_TIMEOUT_OPT},
    {"curve",
     FIT_OPT ORDER_OPT
     "-o CURVE.tsv\tthe curve to write (required)\n"
     "--fractions LIST\tfractions removed, comma-separated, a:step:b for a range (default: " PB_DEFAULT_FRACTIONS ")\n"
     COMPENSATE_OPT ESTIMATOR_OPT DATA_DIR_OPT
     "--finetune E\tafter removing the first k, train the kept parameters E epochs (point loss, Adam, constant step) "
     "with the removed ones held at exactly 0, then measure; every fraction from the fit on its own, 0 included "
     "(default: no fine-tuning)\n"
     "--ft-batch B\tfine-tuning minibatch size (default: the fit's batch=)\n"
     "--ft-lr LR\tfine-tuning Adam step size (default: the fit's lr=)\n"
     "--ft-precision f64|f32\tfine-tuning precision of the model's products (default: the fit's precision=)\n"
     "--ft-train-limit N\tfine-tune on the first N training samples only (default: all)\n"
     "--iterative P\titerative pruning instead of --fractions: round r removes the order up to 1 - (1 - P)^r, "
     "then fine-tunes from the last round's weights; round 0 is the fit (default: one-shot)\n"
     "--rounds R\tthe rounds of --iterative (default: 10)\n"
     "--rewind\twith --iterative: before each round's fine-tuning the kept weights go back to the initial weights "
     "of the fit's training, regenerated from its seed (lottery ticket) (default: no rewinding)\n"},
    {"summarize",
     "--dataset NAME\tthe dataset the curves are of (required)\n"
     "CURVE.tsv...\tthe curves (from curve), every method and repeat (at least one)\n"
     "--title T\tthe dataset's name as printed (default: NAME)\n"
     "--tol X\tthe tolerance of the largest fraction within tolerance: accuracy drop, or RMSE relative rise "
     "(default: 0.01 for accuracy, 0.05 for RMSE)\n"
     "--mean F\twrite gnuplot data: mean and sd per fraction, one block per method\n"
     "--gp F\twrite a gnuplot include: the method list and the metric\n"
     "--tsv F\twrite the summary table\n"
     "--tex F\twrite the LaTeX table\n"
     "--macros F\twrite LaTeX macros of the numbers\n"
     "--reference F\tpublished values (TSV) to print beside ours (default: none)\n"
     "--variant NAME\ta name put in the macro names, \\pb<Dataset><Variant><Method>... (default: none)\n"
     "\tat least one of --mean, --gp, --tsv, --tex, --macros is required\n"},
    {"noise",
     FIT_OPT ORDER_OPT
     "-o NOISE.tsv\tthe table to write (required)\n"
     "--fractions LIST\tfractions removed (default: " PB_DEFAULT_FRACTIONS ")\n"
     "--levels LIST\tinput noise levels, standard deviations in standardized units (default: " PB_DEFAULT_LEVELS ")\n"
     "--draws K\tnoise draws per test input and level (default: " STR(PB_DEFAULT_DRAWS) ")\n"
     COMPENSATE_OPT ESTIMATOR_OPT DATA_DIR_OPT},
    {"noise-summary",
     "--dataset NAME\tthe dataset the tables are of (required)\n"
     "NOISE.tsv...\tthe tables (from noise), every method and repeat\n"
     "--surface-prefix PREFIX\twrite PREFIX-<method>.tsv, one surface per method (required)\n"
     "--slices OUT.tsv\twrite the slices: against the fraction at one level, against the level at one fraction "
     "(required)\n"
     "--macros OUT.tex\twrite LaTeX macros of the numbers (required)\n"
     "--tex F\talso write the LaTeX table (default: none)\n"
     "--title T\tthe dataset's name as printed (default: NAME)\n"
     "--at-fraction F\tthe fraction of the slice against the level (default: 0.5)\n"
     "--at-level S\tthe noise level of the slice against the fraction (default: 0.5)\n"},
    {"export",
     FIT_OPT ORDER_OPT
     "-o NET.csr\tthe compressed sparse row network to write (required)\n"
     "--fraction F\tremove this fraction of the order\n"
     "--score-below X\tremove the weights scoring below X\n"
     "--operating-point\tremove below the method's own operating point (its descriptor's threshold)\n"
     "\texactly one of --fraction, --score-below, --operating-point\n"
     PLUGIN_DIR_OPT DATA_DIR_OPT TEX_NAME_OPTS},
    {"structure",
     FIT_OPT ORDER_OPT
     "-o OUT.tsv\tthe table to write (required)\n"
     "--operating-point\tremove below the method's own operating point\n"
     "--score-below X\tremove the weights scoring below X\n"
     "--gates G.tsv\talso write which gates are constant\n"
     "--repeats R\ttimed repeats of the dense and compressed inference (default: 5)\n"
     PLUGIN_DIR_OPT DATA_DIR_OPT TEX_NAME_OPTS},
    {"sparse-eval",
     "--net NET.csr\tthe network (from export) (required)\n"
     FIT_OPT DATA_DIR_OPT},
    {"plugins",
     PLUGIN_DIR_OPT
     "--trainers\tonly the names of the methods that train their own network\n"
     "--defaults NAME\tNAME's options as name=default\n"
     PLUGIN_TIMEOUT_OPT},
    {"check-plugin",
     "PATH.so\tthe plugin to test: conformance to plugins/prunebench.h, TAP on stdout, exit 0 if it conforms\n"
     PLUGIN_TIMEOUT_OPT},
    {"evaluate",
     FIT_OPT
     "-o OUT.tsv\tthe one-row table to write (required)\n"
     DATA_DIR_OPT TEX_NAME_OPTS},
    {"provenance", "\tno options; the macros go to stdout\n"},
    {"bench",
     PLUGIN_DIR_OPT
     "--only SUBSTR\tonly the benchmarks whose name contains SUBSTR (default: all)\n"
     "--repeat K\ttimed runs of each (default: 1)\n"},
    {"help",
     "COMMAND\tthat command's usage, options and notes (default: every command's usage)\n"
     "--man\tthe manual page (roff) on stdout\n"},
    {"version", "\tno options; also `prunebench --version`\n"},
    {"findings",
     "--claims CLAIMS.tsv\tthe seed claims and their criteria (report/claims.tsv; protocols/findings.h) (required)\n"
     "--results DIR\tone scale's results, results/<scale> (required)\n"
     "--scale S\tquick marks every verdict \"(quick scale)\" and says the numbers are not evidence (default: the last "
     "part of --results)\n"
     "--datasets LIST\tthe datasets of the cross-dataset table, separated by spaces or commas (default: the "
     "experiments whose P1 summaries the claims read)\n"
     "--methods LIST\tthis run's methods: a claim on another is not run (default: any)\n"
     "--experiments LIST\tthis run's experiments: a claim on another is not run (default: any)\n"
     "--tex F\tthe LaTeX body of the report's Findings section (at least one of --tex, --tsv)\n"
     "--tsv F\tthe same as text: the claims table, then the method table\n"},
    {"tidy",
     "-o OUT.csv\tthe CSV to write (required): a header row, then one row per row of the inputs\n"
     "RESULT.tsv...\tP1 curves (curve/, curvec/) and P2 noise files (noise/); dataset, method, repeat and variant "
     "come from each file's header, not its path\n"},
    {"sweep",
     "--fit FIT\ta gauss-diag or gauss-scalar fit (from train); its dataset is re-read from the data directory "
     "(required)\n"
     "-o SWEEP.tsv\tthe table to write (required): per lambda the kept count and fraction of the prunable set, test "
     "quality (accuracy or RMSE), macro F1, the bound L and its two terms\n"
     "--lambdas LIST\tthe thresholds: values and log ranges A..B/K (K points per decade), comma separated (default: "
     PB_P3_DEFAULT_LAMBDAS ", 1e-3 to 1e3 in quarter decades)\n"
     "--samples S\tMonte Carlo samples of the posterior of the kept weights for E_q[-log p(D|w)], the same draws at "
     "every lambda (default: " STR(PB_P3_DEFAULT_SAMPLES) ")\n"
     "--prunable weights|all\tthe removable set: weight-matrix entries, or biases too (default: weights)\n"
     DATA_DIR_OPT},
    {"sweep-summary",
     "SWEEP.tsv...\tsweeps of one dataset and lambda grid (from sweep), any repeats of the D (gauss-diag) and I "
     "(gauss-scalar) families, told apart by their '# family:' line\n"
     "--mean F\twrite gnuplot data: per family a block of lambda and the mean and sd of kept fraction, quality, "
     "macro F1 and the bound\n"
     "--gp F\twrite a gnuplot include: the families present, the metric, the title, the repeats\n"
     "--tsv F\twrite per family the unpruned values and those at the lambda of the smallest mean bound\n"
     "--macros F\twrite LaTeX macros of the same, \\pb<Name><D|I>... (needs --name)\n"
     "--name N\tthe macro prefix (required with --macros)\n"
     "--title T\tthe dataset as printed in the figures (default: the files' dataset)\n"
     "\tat least one of --mean, --gp, --tsv, --macros is required\n"},
    {"baselines",
     "--data NAME\ta sentence-pair set (token ids, the two sentences side by side), e.g. wordnet-pairs (required)\n"
     "-o OUT.tsv\tthe table to write, one row per classifier (required)\n"
     "--repeat R\twhich repeat: picks the split seeds; the test part is train's --test-fraction 0.15 part of the "
     "same repeat (default: 0)\n"
     DATA_DIR_OPT TEX_NAME_OPTS},
    {NULL, NULL},
};

/* A command's text: its entry, or its consecutive entries joined. */
const char *command_options(const char *name)
{
    static char joined[16384];
    for (const command_help *h = helps; h->name; h++) {
        if (strcmp(h->name, name)) continue;
        if (!h[1].name || strcmp(h[1].name, name)) return h->options;
        size_t len = 0;
        for (; h->name && !strcmp(h->name, name) && len < sizeof joined; h++)
            len += (size_t)snprintf(joined + len, sizeof joined - len, "%s", h->options);
        return joined;
    }
    return NULL;
}
