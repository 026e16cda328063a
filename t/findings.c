/* findings.c -- the Findings (protocols/findings.h) on summaries written
 * here: the verdict boundaries of each criterion (holds / partly / does not
 * hold exactly at the thresholds), a method or experiment not run, a column
 * absent ("not available"), RMSE read lower-is-better, an unknown method in
 * the cross-dataset table with its mean rank computed by hand (ties share
 * their mean rank), LaTeX escaping of names with '_', the quick-scale label,
 * claims on methods or experiments outside the run's lists;
 * then the refusals: a malformed summary (one error naming file and line,
 * through the library and through the binary), a non-number, an unknown
 * criterion, none of which writes a file. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "protocols/findings.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-findings-XXXXXX";
static char tex[1 << 16], tsv[1 << 16];

static char *path_of(const char *name)
{
    static char p[64][512];
    static int k;
    TAP_REQUIRE(k < 64);
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k++];
}

static void put(const char *name, const char *text)
{
    char *p = path_of(name), sub[512];
    snprintf(sub, sizeof sub, "%s", p);
    for (char *s = sub + strlen(dir) + 1; (s = strchr(s, '/')); s++) { *s = '\0'; mkdir(sub, 0755); *s = '/'; }
    FILE *f = fopen(p, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

static void slurp(const char *name, char *buf, size_t len)
{
    FILE *f = fopen(path_of(name), "r");
    buf[0] = '\0';
    if (!f) return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* The verdict of claim `id` in the TSV (its fifth field), or "". */
static const char *verdict_of(const char *id)
{
    static char v[64];
    char key[128];
    snprintf(key, sizeof key, "\n%s\t", id);
    const char *p = strstr(tsv, key);
    v[0] = '\0';
    if (!p) return v;
    p++;
    for (int k = 0; k < 4 && p; k++) p = strchr(p, '\t'), p = p ? p + 1 : NULL;
    if (p) snprintf(v, sizeof v, "%.*s", (int)strcspn(p, "\t\n"), p);
    return v;
}

static int starts(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

/* The row of method m in the method table (after "# table: methods"). */
static const char *method_row(const char *m, char *out, size_t len)
{
    const char *t = strstr(tsv, "# table: methods");
    char key[128];
    snprintf(key, sizeof key, "\n%s\t", m);
    const char *p = t ? strstr(t, key) : NULL;
    out[0] = '\0';
    if (p) snprintf(out, len, "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
    return out;
}

#define HEAD "method\trepeats\tq0_mean\tauc_mean\ttol_fraction\tstability\tp_vs_random\tauc_diff\tauc_diff_low\tauc_diff_high\tfuture_column\n"

static const char *claims_hdr = "# a comment\nid\tseed\tcite\texperiment\tmethod\tcriterion\tparams\tclaim\n";

static const char *run_methods, *run_exps;   /* the run's methods and experiments (NULL: any) */

static int run_findings(const char *claims, const char *scale, const char *datasets)
{
    put("claims.tsv", claims);
    pb_findings_opts o = {path_of("claims.tsv"), path_of("res"), scale, datasets, path_of("out/findings.tex"),
                          path_of("out/findings.tsv"), run_methods, run_exps};
    int st = pb_findings(&o);
    slurp("out/findings.tex", tex, sizeof tex);
    slurp("out/findings.tsv", tsv, sizeof tsv);
    return st;
}

int main(void)
{
    plan(54);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    mkdir(path_of("out"), 0755);
    /* accuracy: higher is better; rows at the thresholds of the claims below */
    put("res/ds_a/p1-summary.tsv", "# dataset: ds_a\n# quality_metric: accuracy\n# tolerance: 0.01 (absolute drop)\n" HEAD
        "random\t5\t0.9\t0.70\t0.40\t2.0\tnan\tnan\tnan\tnan\t7\n"
        "m_hi\t5\t0.9\t0.90\t0.70\t1.1\t0.01\t0.20\t0.10\t0.30\t7\n"
        "m_mid\t5\t0.9\t0.80\t0.50\t1.2\t0.2\t0.10\t-0.02\t0.22\t7\n"
        "m_lo\t5\t0.9\t0.60\t0.4999\t1.2001\t0.03\t-0.10\t-0.2\t-0.01\t7\n"
        "m_tiny\t2\t0.9\t0.75\t0.45\t1.3\t0.5\t0.05\t0.01\t0.09\t7\n"
        "new_plugin\t5\t0.95\t0.85\t0.80\t1.0\t0.05\t0.15\t0.05\t0.25\t7\n");
    /* RMSE: lower is better; m_hi and new_plugin tie; m_lo not run here */
    put("res/ds_b/p1-summary.tsv", "# dataset: ds_b\n# quality_metric: rmse\n# tolerance: 0.05 (relative rise)\n" HEAD
        "random\t5\t3.0\t7.0\t0.4\t3.0\tnan\tnan\tnan\tnan\t7\n"
        "m_hi\t5\t3.0\t4.0\t0.6\t0.9\t0.01\t-3.0\t-4.0\t-2.0\t7\n"
        "m_mid\t5\t3.0\t6.0\t0.5\t1.0\t0.4\t-1.0\t-2.5\t0.5\t7\n"
        "new_plugin\t5\t3.0\t4.0\t0.6\t1.0\t0.01\t-3.0\t-4.0\t-2.0\t7\n");
    /* no paired difference, no p-value: "not available" */
    put("res/ds_c/p1-summary.tsv", "# quality_metric: accuracy\nmethod\tauc_mean\ttol_fraction\nrandom\t0.5\t0.1\nm_hi\t0.9\t0.8\n");
    /* an image experiment (export and evaluate macros) and a recurrent one (P4) */
    put("res/img/svd-export.tex", "% x\n\\newcommand{\\pbImgSvdCompression}{12.0}\n\\newcommand{\\pbImgSvdError}{2.60}\n");
    put("res/img/plain-macros.tex", "\\newcommand{\\pbImgPlainError}{1.60}\n");
    put("res/rnn/groupvd-p4.tsv", "# P4\nkey\tvalue\nquality\t0.82\nhidden\t128\nhidden_kept\t64\ninputs\t28\n"
        "inputs_kept\t28\ngates\t512\ngates_nonconst\t100\ncompression\t9.99\n");
    /* P3 mean curves of two pair experiments (sweep-summary --mean's layout) */
    put("res/pairs/p3-mean.tsv", "# P3\n# family D, 3 repeats\nlambda\tkept\tkept_sd\tf1\tbound\n"
        "0.01\t0.9\t0\t0.40\t100\n0.1\t0.5\t0\t0.39\t80\n1\t0.3\t0\t0.385\t70\n10\t0.2\t0\t0.2\t90\n"
        "# family I, 3 repeats\nlambda\tkept\tkept_sd\tf1\tbound\n"
        "0.01\t0.95\t0\t0.41\t100\n0.1\t0.6\t0\t0.40\t70\n1\t0.25\t0\t0.395\t80\n10\t0.1\t0\t0.1\t90\n");
    put("res/pairs2/p3-mean.tsv", "# family D, 1 repeats\nlambda\tkept\tf1\tbound\n"
        "0.01\t0.9\t0.4\t100\n0.1\t0.8\t0.3\t90\n1\t0.4\t0.3\t80\n10\t0.3\t0.3\t70\n"
        "# family I, 1 repeats\nlambda\tkept\tf1\tbound\n"
        "0.01\t0.95\t0.4\t100\n0.1\t0.85\t0.39\t50\n1\t0.45\t0.39\t60\n10\t0.35\t0.3\t70\n");
    put("res/pairs3/p3-mean.tsv", "# family D, 1 repeats\nlambda\tkept\tf1\tbound\n"
        "0.01\t0.9\t0.4\t100\n0.1\t0\t0.1\t50\n1\t0\t0.1\t50\n"
        "# family I, 1 repeats\nlambda\tkept\tf1\tbound\n"
        "0.01\t0.95\t0.4\t100\n0.1\t0.5\t0.39\t50\n1\t0\t0.1\t60\n");
    /* a P5 summary: direct, a cheaper hypernetwork close in accuracy and more stable, a costly one */
    put("res/p5/p5-summary.tsv", "# P5\nmethod\tlambda\truns\taccuracy\tstability\tupdates_own\tupdates_shared\n"
        "direct\t0.1\t5\t0.88\t1.5\t100\t0\ndirect\t100\t5\t0.80\t1.2\t100\t0\n"
        "hyp\t0.1\t5\t0.87\t1.1\t0\t100\nhyp\t100\t5\t0.80\t1.3\t0\t100\n"
        "big\t0.1\t5\t0.90\t1.05\t10\t400\nbig\t100\t5\t0.85\t1.1\t10\t400\n");
    put("res/rnn/plain-eval.tsv", "# quality_metric: accuracy\nrepeat\tquality\ttest_nll\n0\t0.85\t0.5\n");

    char claims[8192];
    snprintf(claims, sizeof claims, "%s"
             "t-holds\t004\tgrabovoy2019\tds_a\tm_hi\ttol_fraction\tholds=0.7 partly=0.5\tabout 80%% & |m/s|\n"
             "t-partly\t004\tgrabovoy2019\tds_a\tm_mid\ttol_fraction\tholds=0.7 partly=0.5\tx\n"
             "t-not\t004\tgrabovoy2019\tds_a\tm_lo\ttol_fraction\tholds=0.7 partly=0.5\tx\n"
             "t-norun\t004\tgrabovoy2019\tds_a\tbelsley\ttol_fraction\tholds=0.7 partly=0.5\tx\n"
             "t-noexp\t004\tgrabovoy2019\tds_none\tm_hi\ttol_fraction\tholds=0.7 partly=0.5\tx\n"
             "r-holds\t004\tgrabovoy2019\tds_a\tm_hi\tbeats_random\t\tx\n"
             "r-partly\t004\tgrabovoy2019\tds_a\tm_mid\tbeats_random\t\tx\n"
             "r-not\t004\tgrabovoy2019\tds_a\tm_lo\tbeats_random\t\tx\n"
             "r-wilcoxon\t004\tgrabovoy2019\tds_a\tm_tiny\tbeats_random\t\tx\n"
             "r-rmse-holds\t004\tgrabovoy2019\tds_b\tm_hi\tbeats_random\t\tx\n"
             "r-rmse-partly\t004\tgrabovoy2019\tds_b\tm_mid\tbeats_random\t\tx\n"
             "r-na\t004\tgrabovoy2019\tds_c\tm_hi\tbeats_random\t\tx\n"
             "s-holds\t004\tgrabovoy2019\tds_a\tm_hi\tstability\tholds=1.1 partly=1.2\tx\n"
             "s-partly\t004\tgrabovoy2019\tds_a\tm_mid\tstability\tholds=1.1 partly=1.2\tx\n"
             "s-not\t004\tgrabovoy2019\tds_a\tm_lo\tstability\tholds=1.1 partly=1.2\tx\n"
             "b-tie-holds\t004\tgrabovoy2019\tds_b\tm_hi\tbest\tagainst=random,m_mid,new_plugin by=auc\tx\n"
             "b-partly\t004\tgrabovoy2019\tds_a\tm_mid\tbest\tagainst=random,m_hi,belsley\tx\n"
             "b-not\t004\tgrabovoy2019\tds_a\tm_lo\tbest\tagainst=m_hi,m_mid by=tol_fraction\tx\n"
             "c-img\t001\tmolchanov2017,lobacheva2018\timg\tsvd\tcompression\tmin=12 rise=1\tx\n"
             "c-img-partly\t001\tmolchanov2017\timg\tsvd\tcompression\tmin=12.1 rise=1\tx\n"
             "g-rnn\t001\tlobacheva2018\trnn\tgroupvd\tgroups\thidden=0.5 drop=3\tx\n"
             "g-rnn-partly\t001\tlobacheva2018\trnn\tgroupvd\tgroups\thidden=0.51 drop=3\tx\n"
             "l-rnn\t001\tlobacheva2018\trnn\tgroupvd\tlstm_compression\tmin=10 drop=3\tx\n"
             "l-rnn-norun\t001\tlobacheva2018\trnn\tsvd\tlstm_compression\tmin=10 drop=3\tx\n"
             "p-min\t000\tsmerdov2019\tpairs\t-\tp3_min\t\tx\n"
             "p-min-partly\t000\tsmerdov2019\tpairs2\t-\tp3_min\t\tx\n"
             "p-prune\t000\tsmerdov2019\tpairs\t-\tp3_prune\tkeep=0.5 drop=0.02\tx\n"
             "p-prune-partly\t000\tsmerdov2019\tpairs2\t-\tp3_prune\tkeep=0.5 drop=0.02\tx\n"
             "p-cross\t000\tsmerdov2019\tpairs\t-\tp3_cross\t\tx\n"
             "p-cross-partly\t000\tsmerdov2019\tpairs2\t-\tp3_cross\t\tx\n"
             "h-close\t003\tgrebenkova2021\tp5\thyp\tp5_close\tdrop=0.02 ratio=0.75\tx\n"
             "h-close-partly\t003\tgrebenkova2021\tp5\tbig\tp5_close\tdrop=0.02 ratio=0.75\tx\n"
             "h-stable-partly\t003\tgrebenkova2021\tp5\thyp\tp5_stable\t\tx\n"
             "h-stable\t003\tgrebenkova2021\tp5\tbig\tp5_stable\t\tx\n"
             "p-min-empty\t000\tsmerdov2019\tpairs3\t-\tp3_min\t\tx\n"
             "p-norun\t000\tsmerdov2019\tpairs_none\t-\tp3_min\t\tx\n",
             claims_hdr);
    int st = run_findings(claims, "full", "ds_a,ds_b ds_none");
    is_int(st, PB_OK, "findings on the fixture summaries: %s", st ? pb_last_error() : "ok");
    static const char *const want[][2] = {
        {"t-holds", "holds"}, {"t-partly", "partly"}, {"t-not", "does not hold"}, {"t-norun", "not run"},
        {"t-noexp", "not run"}, {"r-holds", "holds"}, {"r-partly", "partly"}, {"r-not", "does not hold"}, {"r-wilcoxon", "partly"},
        {"r-rmse-holds", "holds"}, {"r-rmse-partly", "partly"}, {"r-na", "not available"}, {"s-holds", "holds"},
        {"s-partly", "partly"}, {"s-not", "does not hold"}, {"b-tie-holds", "holds"}, {"b-partly", "partly"},
        {"b-not", "does not hold"}, {"c-img", "holds"}, {"c-img-partly", "partly"}, {"g-rnn", "holds"},
        {"g-rnn-partly", "partly"}, {"l-rnn", "partly"}, {"l-rnn-norun", "not run"}, {"p-min", "holds"},
        {"p-min-partly", "partly"}, {"p-prune", "holds"}, {"p-prune-partly", "partly"}, {"p-cross", "holds"},
        {"p-cross-partly", "partly"}, {"p-norun", "not run"}, {"p-min-empty", "partly"}, {"h-close", "holds"},
        {"h-close-partly", "partly"}, {"h-stable-partly", "partly"}, {"h-stable", "holds"}};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        ok(!strcmp(verdict_of(want[k][0]), want[k][1]), "%s: %s (got '%s')", want[k][0], want[k][1], verdict_of(want[k][0]));

    /* ranks by hand: ds_a (higher better) m_hi 1, new_plugin 2, m_mid 3, random 4, m_lo 5;
     * ds_b (lower better) m_hi and new_plugin tie at 4.0: 1.5 each, m_mid 3, random 4.
     * Mean: m_hi 1.25, new_plugin 1.75, m_mid 3, random 4, m_lo 5 (one dataset); ds_none not run. */
    char row[512];
    ok(starts(method_row("m_hi", row, sizeof row), "m_hi\t1.25\t2\t0\t"), "m_hi: mean rank 1.25 over 2 datasets (%s)", row);
    ok(starts(method_row("new_plugin", row, sizeof row), "new_plugin\t1.75\t2\t1\t"),
       "an unknown method: mean rank 1.75, marked as its own network (%s)", row);
    ok(starts(method_row("m_lo", row, sizeof row), "m_lo\t6\t1\t0\t"), "m_lo: rank 6 on its one dataset (below m_tiny) (%s)", row);
    const char *t = strstr(tsv, "# table: methods"), *a = t ? strstr(t, "\nm_hi\t") : NULL, *b = t ? strstr(t, "\nnew_plugin\t") : NULL,
               *c = t ? strstr(t, "\nm_mid\t") : NULL, *r = t ? strstr(t, "\nrandom\t") : NULL, *l = t ? strstr(t, "\nm_lo\t") : NULL;
    ok(a && b && c && r && l && a < b && b < c && c < r && r < l, "rows sorted by mean rank");
    ok(t && !strstr(t, "ds_none_auc") && strstr(t, "ds_b_auc\tds_b_rank\tds_b_tol_fraction"), "a dataset not run has no columns");
    ok(strstr(tex, "\\texttt{new\\_plugin}$^\\dagger$") && strstr(tex, "\\texttt{m\\_hi}") && !strstr(tex, "new_plugin") &&
       !strstr(tex, "m_hi"), "method names escaped for LaTeX, own network marked");
    ok(strstr(tex, "about 80\\% \\& \\textbar{}m/s\\textbar{}") != NULL, "claim text escaped");
    ok(strstr(tex, "\\cite{molchanov2017,lobacheva2018}") && !strstr(tex, "quick scale") && !strstr(tex, "Quick scale"),
       "citations; no quick-scale label at full scale");

    st = run_findings(claims, "quick", NULL);
    ok(!st && strstr(tex, "Quick scale: not evidence") && strstr(tex, "\\textbf{holds} (quick scale)") &&
       strstr(tsv, "# scale: quick (quick setting: not evidence)"), "quick scale labelled in both outputs");
    ok(!st && strstr(tsv, "ds_c_auc") && !strstr(tsv, "img_auc"), "default datasets: those of the P1 criteria");

    /* results of a method or experiment outside this run are older ones: not run */
    run_methods = "random m_hi m_mid m_lo new_plugin groupvd";
    run_exps = "ds_a,ds_b,img";
    st = run_findings(claims, "full", NULL);
    ok(!st && !strcmp(verdict_of("c-img"), "not run") && strstr(tsv, "svd is not among this run's methods") &&
       !strcmp(verdict_of("t-holds"), "holds"), "a method outside the run: not run, whatever its files say");
    ok(!st && !strcmp(verdict_of("g-rnn"), "not run") && strstr(tsv, "rnn is not among this run's experiments"),
       "an experiment outside the run: not run");
    run_methods = run_exps = NULL;

    /* refusals: nothing written */
    unlink(path_of("out/findings.tex"));
    unlink(path_of("out/findings.tsv"));
    put("res/ds_a/p1-summary.tsv", "# quality_metric: accuracy\n" HEAD "random\t5\t0.9\t0.70\t0.40\n");
    st = run_findings(claims, "full", NULL);
    ok(st == PB_ERR_FORMAT && strstr(pb_last_error(), "ds_a/p1-summary.tsv:3: 5 fields") != NULL,
       "a short row: file and line named (%s)", pb_last_error());
    ok(access(path_of("out/findings.tex"), F_OK) != 0 && access(path_of("out/findings.tsv"), F_OK) != 0, "nothing written");
    put("res/ds_a/p1-summary.tsv", "# quality_metric: accuracy\n" HEAD "random\t5\t0.9\tabc\t0.40\t2.0\tnan\tnan\tnan\tnan\t7\n");
    st = run_findings(claims, "full", NULL);
    ok(st && strstr(pb_last_error(), "ds_a/p1-summary.tsv:3: column 'auc_mean': 'abc' is not a number"),
       "a non-number: file, line and column named (%s)", pb_last_error());
    /* through the binary: one line on stderr */
    char cmd[2048], err[1024] = "";
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    snprintf(cmd, sizeof cmd, "'%s/prunebench' findings --claims '%s' --results '%s' --tsv '%s' 2>&1 >/dev/null", bdir,
             path_of("claims.tsv"), path_of("res"), path_of("out/x.tsv"));
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(err, 1, sizeof err - 1, p) : 0;
    err[n] = '\0';
    int rc = p ? pclose(p) : -1;
    ok(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) != 0 && !strncmp(err, "prunebench: ", 12) &&
       strstr(err, "p1-summary.tsv:3:") && strchr(err, '\n') == err + n - 1, "the binary: exit non-zero, one error line (%s)", err);
    snprintf(claims, sizeof claims, "%sx\t004\tgrabovoy2019\tds_b\tm_hi\tbetter_than_all\t\tx\n", claims_hdr);
    st = run_findings(claims, "full", NULL);
    ok(st && strstr(pb_last_error(), "claims.tsv:3: unknown criterion 'better_than_all'"), "unknown criterion: %s",
       pb_last_error());

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
