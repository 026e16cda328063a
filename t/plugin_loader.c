/* plugin_loader.c -- pb_plugin_open rejects broken plugins with a one-line
 * message naming the path and the cause; pb_plugin_rank enforces the ABI
 * contract; the host parses declared options (ABI 1.5) and refuses a fit a
 * method cannot score; an ABI 1.4 plugin that parses its own options still
 * loads and runs; the shipped random and obd plugins load and compute what
 * they claim; `prunebench plugins` prints the options and the Makefile's
 * --trainers and --defaults answers. Broken plugins are compiled at test time
 * from sources written here. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "runcmd.h"
#include "base/util.h"
#include "host/cell.h"
#include "host/host.h"
#include "host/isolate.h"
#include "models/mlp.h"
#include "datasets/data.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-plugin-XXXXXX";

static const char PRELUDE[] =
    "#include <math.h>\n"
    "#include <stddef.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include \"prunebench.h\"\n"
    "static int rel_sq(const pb_host *h, const pb_fit_view *f, double *s, void *st)\n"
    "{ (void)h; (void)st; for (size_t j = 0; j < f->n_params; j++) s[j] = f->mean[j] * f->mean[j]; return 0; }\n"
    "#define HEAD PB_ABI_MAJOR, PB_ABI_MINOR, sizeof(pb_method)\n";

typedef struct variant { const char *file; const char *body; } variant;

static const variant VARIANTS[] = {
    {"nosym", "int pb_some_other_symbol = 1;\n"
              "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"},
    {"major", "PB_EXPORT const pb_method pb_method_descriptor = { PB_ABI_MAJOR + 1, 0, sizeof(pb_method),\n"
              "  \"major\", \"s\", \"c\", NULL, NULL, NULL, rel_sq, NULL };\n"},
    {"minor", "PB_EXPORT const pb_method pb_method_descriptor = { PB_ABI_MAJOR, PB_ABI_MINOR + 1, sizeof(pb_method),\n"
              "  \"minor\", \"s\", \"c\", NULL, NULL, NULL, rel_sq, NULL };\n"},
    {"small", "PB_EXPORT const pb_method pb_method_descriptor = { PB_ABI_MAJOR, PB_ABI_MINOR,\n"
              "  offsetof(pb_method, order), \"small\", \"s\", \"c\", NULL, NULL, NULL, rel_sq, NULL };\n"},
    {"nohooks", "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"nohooks\", \"s\", \"c\",\n"
                "  NULL, NULL, NULL, NULL, NULL };\n"
                "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"},
    {"badname", "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"Bad-Name\", \"s\", \"c\",\n"
                "  NULL, NULL, NULL, rel_sq, NULL };\n"},
    {"noname", "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, NULL, \"s\", \"c\",\n"
               "  NULL, NULL, NULL, rel_sq, NULL };\n"},
    {"nosummary", "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"nosummary\", NULL, \"c\",\n"
                  "  NULL, NULL, NULL, rel_sq, NULL };\n"},
    {"nodestroy", "static int cr(const pb_host *h, const char *o, void **s) { (void)h; (void)o; *s = NULL; return 0; }\n"
                  "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"nodestroy\", \"s\", \"c\",\n"
                  "  cr, NULL, NULL, rel_sq, NULL };\n"},
    /* valid, and the one plugin of an older ABI (1.4: no declared options,
     * the descriptor as 1.4 laid it out): it parses its own options, which
     * it echoes in the settings line */
    {"good", "typedef struct { char set[128]; } st_t;\n"
             "static int cr(const pb_host *h, const char *o, void **s)\n"
             "{ st_t *t = calloc(1, sizeof *t); if (!t) { h->fail(h->ctx, \"oom\"); return 1; }\n"
             "  snprintf(t->set, sizeof t->set, \"opts=%s\", o); *s = t; return 0; }\n"
             "static void de(void *s) { free(s); }\n"
             "static const char *se(const void *s) { return ((const st_t *)s)->set; }\n"
             "PB_EXPORT const pb_method pb_method_descriptor = { PB_ABI_MAJOR, 4, offsetof(pb_method, options),\n"
             "  \"good\", \"squared mean\", \"test\", cr, de, se, rel_sq, NULL, NULL };\n"},
    /* valid order-only plugin: prunable indices, highest first */
    {"ordergood", "static int ord(const pb_host *h, const pb_fit_view *f, size_t *o, void *st)\n"
                  "{ (void)h; (void)st; size_t k = 0; for (size_t j = f->n_params; j-- > 0;) if (f->prunable[j]) o[k++] = j;\n"
                  "  return 0; }\n"
                  "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                  "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"ordergood\", \"s\", \"c\",\n"
                  "  NULL, NULL, NULL, NULL, ord };\n"},
    {"failrel", "static int rel(const pb_host *h, const pb_fit_view *f, double *s, void *st)\n"
                "{ (void)f; (void)s; (void)st; h->fail(h->ctx, \"deliberate failure %d\", 42); return 1; }\n"
                "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"failrel\", \"s\", \"c\",\n"
                "  NULL, NULL, NULL, rel, NULL };\n"},
    {"failcreate", "static int cr(const pb_host *h, const pb_value *v, void **s)\n"
                   "{ (void)s; h->fail(h->ctx, \"deliberate create failure, level %s\", v[0].s); return 1; }\n"
                   "static void de(void *s) { free(s); }\n"
                   "static const pb_option opt[] = {{\"level\", PB_OPTION_INT, \"3\", \"d\", NULL, 0, 0}, {0}};\n"
                   "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"failcreate\", \"s\", \"c\",\n"
                   "  NULL, de, NULL, rel_sq, NULL, NULL, opt, 0, cr };\n"},
    /* ABI 1.5: one option of each type; create_with writes what it got into
     * the settings line and counts its calls (exported for the test) */
    {"opts", "typedef struct { char set[256]; } st_t;\n"
             "PB_EXPORT int opts_creates;\n"
             "static int cr(const pb_host *h, const pb_value *v, void **s)\n"
             "{ st_t *t = calloc(1, sizeof *t); if (!t) { h->fail(h->ctx, \"oom\"); return 1; } opts_creates++;\n"
             "  snprintf(t->set, sizeof t->set, \"n=%lld x=%.17g s=%s e=%lld:%s\", (long long)v[0].i, v[1].d, v[2].s,\n"
             "           (long long)v[3].i, v[3].s); *s = t; return 0; }\n"
             "static void de(void *s) { free(s); }\n"
             "static const char *se(const void *s) { return ((const st_t *)s)->set; }\n"
             "static const pb_option opt[] = {\n"
             "  {.name = \"n\", .type = PB_OPTION_INT, .default_value = \"3\", .doc = \"a count\", .min = 1, .max = 10},\n"
             "  {.name = \"x\", .type = PB_OPTION_DOUBLE, .default_value = \"0.5\", .doc = \"a fraction\", .min = 0, .max = 1},\n"
             "  {.name = \"s\", .type = PB_OPTION_STRING, .default_value = \"abc\", .doc = \"a word\"},\n"
             "  {.name = \"e\", .type = PB_OPTION_ENUM, .default_value = \"b\", .choices = \"a|b|c\", .doc = \"a choice\"},\n"
             "  {0}};\n"
             "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"opts\", \"options of every type\", \"c\",\n"
             "  .destroy = de, .settings = se, .relevance = rel_sq, .options = opt, .create_with = cr };\n"},
    /* valid, but its create_with fails on one enum choice: check-plugin must say so */
    {"choicefail", "static int cr(const pb_host *h, const pb_value *v, void **s)\n"
                   "{ *s = NULL; if (v[0].i == 1) { h->fail(h->ctx, \"mode b is not implemented\"); return 1; } return 0; }\n"
                   "static void de(void *s) { (void)s; }\n"
                   "static const pb_option opt[] = {{\"mode\", PB_OPTION_ENUM, \"a\", \"d\", \"a|b|c\", 0, 0}, {0}};\n"
                   "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"choicefail\", \"s\", \"c\",\n"
                   "  .destroy = de, .relevance = rel_sq, .options = opt, .create_with = cr };\n"},
    /* declarations the loader refuses */
    {"baddefault", "static const pb_option opt[] = {{\"n\", PB_OPTION_INT, \"abc\", \"d\", NULL, 0, 0}, {0}};\n"
                   "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"baddefault\", \"s\", \"c\",\n"
                   "  .relevance = rel_sq, .options = opt };\n"},
    {"dupopt", "static const pb_option opt[] = {{\"n\", PB_OPTION_INT, \"1\", \"d\", NULL, 0, 0},\n"
               "  {\"n\", PB_OPTION_DOUBLE, \"1\", \"d\", NULL, 0, 0}, {0}};\n"
               "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"dupopt\", \"s\", \"c\",\n"
               "  .relevance = rel_sq, .options = opt };\n"},
    {"nochoices", "static const pb_option opt[] = {{\"e\", PB_OPTION_ENUM, \"a\", \"d\", NULL, 0, 0}, {0}};\n"
                  "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"nochoices\", \"s\", \"c\",\n"
                  "  .relevance = rel_sq, .options = opt };\n"},
    {"oldfields", "static const pb_option opt[] = {{\"n\", PB_OPTION_INT, \"1\", \"d\", NULL, 0, 0}, {0}};\n"
                  "PB_EXPORT const pb_method pb_method_descriptor = { PB_ABI_MAJOR, 4, sizeof(pb_method), \"oldfields\",\n"
                  "  \"s\", \"c\", .relevance = rel_sq, .options = opt };\n"},
    {"bothcreate", "static int c1(const pb_host *h, const char *o, void **s) { (void)h; (void)o; *s = NULL; return 0; }\n"
                   "static int c2(const pb_host *h, const pb_value *v, void **s) { (void)h; (void)v; *s = NULL; return 0; }\n"
                   "static void de(void *s) { (void)s; }\n"
                   "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"bothcreate\", \"s\", \"c\",\n"
                   "  .create = c1, .destroy = de, .relevance = rel_sq, .create_with = c2 };\n"},
    {"badreq", "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"badreq\", \"s\", \"c\",\n"
               "  .relevance = rel_sq, .requires = 1u << 9 };\n"},
    {"reqtrain", "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"reqtrain\", \"s\", \"c\",\n"
                 "  .relevance = rel_sq, .requires = PB_REQUIRES_OWN_TRAINING };\n"},
    {"nanscore", "static int rel(const pb_host *h, const pb_fit_view *f, double *s, void *st)\n"
                 "{ (void)h; (void)st; for (size_t j = 0; j < f->n_params; j++) s[j] = (double)j; s[7] = NAN; return 0; }\n"
                 "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                 "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"nanscore\", \"s\", \"c\",\n"
                 "  NULL, NULL, NULL, rel, NULL };\n"},
    {"infscore", "static int rel(const pb_host *h, const pb_fit_view *f, double *s, void *st)\n"
                 "{ (void)h; (void)st; for (size_t j = 0; j < f->n_params; j++) s[j] = (double)j; s[2] = -INFINITY; return 0; }\n"
                 "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                 "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"infscore\", \"s\", \"c\",\n"
                 "  NULL, NULL, NULL, rel, NULL };\n"},
    /* NaN only where the parameter is not prunable (index 4 = b0[0]): allowed */
    {"nanbias", "static int rel(const pb_host *h, const pb_fit_view *f, double *s, void *st)\n"
                "{ (void)h; (void)st; for (size_t j = 0; j < f->n_params; j++) s[j] = -(double)j; s[4] = NAN; return 0; }\n"
                "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"nanbias\", \"s\", \"c\",\n"
                "  NULL, NULL, NULL, rel, NULL };\n"},
    {"duporder", "static int ord(const pb_host *h, const pb_fit_view *f, size_t *o, void *st)\n"
                 "{ (void)h; (void)st; size_t k = 0; for (size_t j = 0; j < f->n_params; j++) if (f->prunable[j]) o[k++] = j;\n"
                 "  o[1] = o[0]; return 0; }\n"
                 "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                 "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"duporder\", \"s\", \"c\",\n"
                 "  NULL, NULL, NULL, NULL, ord };\n"},
    {"biasorder", "static int ord(const pb_host *h, const pb_fit_view *f, size_t *o, void *st)\n"
                  "{ (void)h; (void)st; size_t k = 0; for (size_t j = 0; j < f->n_params; j++) if (f->prunable[j]) o[k++] = j;\n"
                  "  o[k - 1] = 4; return 0; }\n"
                  "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                  "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"biasorder\", \"s\", \"c\",\n"
                  "  NULL, NULL, NULL, NULL, ord };\n"},
    {"rangeorder", "static int ord(const pb_host *h, const pb_fit_view *f, size_t *o, void *st)\n"
                   "{ (void)h; (void)st; size_t k = 0; for (size_t j = 0; j < f->n_params; j++) if (f->prunable[j]) o[k++] = j;\n"
                   "  o[0] = f->n_params; return 0; }\n"
                   "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                   "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"rangeorder\", \"s\", \"c\",\n"
                   "  NULL, NULL, NULL, NULL, ord };\n"},
    /* fills only the first half of the order */
    {"lazyorder", "static int ord(const pb_host *h, const pb_fit_view *f, size_t *o, void *st)\n"
                  "{ (void)h; (void)st; size_t k = 0; for (size_t j = 0; j < f->n_params && k < f->n_prunable / 2; j++)\n"
                  "  if (f->prunable[j]) o[k++] = j; return 0; }\n"
                  "int pb_unused(void) { return rel_sq(NULL, NULL, NULL, NULL); }\n"
                  "PB_EXPORT const pb_method pb_method_descriptor = { HEAD, \"lazyorder\", \"s\", \"c\",\n"
                  "  NULL, NULL, NULL, NULL, ord };\n"},
};
enum { N_VARIANTS = sizeof VARIANTS / sizeof *VARIANTS };

static void so_path(const char *file, char *out, size_t len) { snprintf(out, len, "%s/%s.so", dir, file); }

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }


/* Build every variant in parallel with one shell; returns 1 when all built. */
static int build_all(void)
{
    char script[600];
    snprintf(script, sizeof script, "%s/build.sh", dir);
    FILE *sh = fopen(script, "w");
    TAP_REQUIRE(sh != NULL);
    for (size_t i = 0; i < N_VARIANTS; i++) {
        char src[512];
        snprintf(src, sizeof src, "%s/%s.c", dir, VARIANTS[i].file);
        FILE *f = fopen(src, "w");
        TAP_REQUIRE(f != NULL);
        fprintf(f, "%s%s", PRELUDE, VARIANTS[i].body);
        TAP_REQUIRE(fclose(f) == 0);
        fprintf(sh, "cc -std=c11 -shared -fPIC -Iplugins -o '%s/%s.so' '%s' 2>'%s/%s.log' &\n", dir, VARIANTS[i].file,
                src, dir, VARIANTS[i].file);
    }
    fprintf(sh, "wait\n");
    TAP_REQUIRE(fclose(sh) == 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "sh '%s'", script);
    if (system(cmd) != 0) return 0;
    int all = 1;
    for (size_t i = 0; i < N_VARIANTS; i++) {
        char so[512];
        so_path(VARIANTS[i].file, so, sizeof so);
        if (access(so, R_OK) != 0) {
            all = 0;
            diag("could not build %s (see %s/%s.log)", so, dir, VARIANTS[i].file);
        }
    }
    return all;
}

/* pb_plugin_open must fail with one line naming the path and containing `cause`. */
static void expect_open_error(const char *path, const char *cause, const char *what)
{
    pb_plugin p;
    int st = pb_plugin_open(path, &p);
    const char *msg = pb_last_error();
    ok(st == PB_ERR_PLUGIN && p.handle == NULL && has(msg, path) && has(msg, cause) && !strchr(msg, '\n'),
       "%s: rejected naming the path and '%s'", what, cause);
    if (st != PB_ERR_PLUGIN || !has(msg, cause) || !has(msg, path)) diag("status %d: %s", st, msg);
    if (!st) pb_plugin_close(&p);
}

typedef struct sorted { double s; size_t j; } sorted;
/* Prunable indices by ascending score, ties by index: insertion sort written here. */
static size_t expected_order(const double *score, const unsigned char *mask, size_t n, size_t *out)
{
    sorted *v = malloc(n * sizeof *v);
    TAP_REQUIRE(v != NULL);
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        if (!mask[j]) continue;
        size_t i = k++;
        while (i > 0 && (v[i - 1].s > score[j] || (v[i - 1].s == score[j] && v[i - 1].j > j))) v[i] = v[i - 1], i--;
        v[i].s = score[j], v[i].j = j;
    }
    for (size_t i = 0; i < k; i++) out[i] = v[i].j;
    free(v);
    return k;
}

/* Model mlp:2-2-2:tanh: W0 = 0..3, b0 = 4..5, W1 = 6..9, b1 = 10..11. */
#define NP 12
static const double MEAN[NP] = {0.5, -0.1, 0.3, 0.1, 0.7, -0.7, 0.2, -0.3, 0.05, 0.4, 0.9, -0.9};

int main(void)
{
    plan(99);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";

    /* the tiny host: model, data, fit view */
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse("mlp:2-2-2:tanh", &m) == 0);
    ok(m->n_params == NP, "mlp:2-2-2:tanh has 12 parameters");
    pb_data data;
    TAP_REQUIRE(pb_data_alloc(&data, "tiny", 6, 2, 1, 2) == 0);
    static const double X[12] = {0.1, -1.2, 0.8, 0.3, -0.5, 0.9, 1.5, -0.4, -1.1, -0.7, 0.2, 1.3};
    memcpy(data.X, X, sizeof X);
    for (size_t i = 0; i < 6; i++) data.y[i] = (double)(i % 2);
    unsigned char mask[NP], mask_all[NP];
    size_t np = pb_prunable_mask(m, 0, mask);
    size_t np_all = pb_prunable_mask(m, 1, mask_all);
    static const unsigned char want_mask[NP] = {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0};
    ok(np == 8 && !memcmp(mask, want_mask, NP) && np_all == NP, "prunable mask: the 8 weights (W0, W1), or all 12");
    pb_fit_view view = {NP, MEAN, NULL, mask, np, 0.0, 1.0, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    pb_host host;
    pb_host_ctx ctx;
    TAP_REQUIRE(pb_host_init(&host, &ctx, m, &data, 77) == 0);
    ok(host.abi_major == PB_ABI_MAJOR && host.struct_size == sizeof(pb_host) && host.n_train == 6,
       "pb_host_init fills ABI, size and n_train");
    size_t order[NP], want[NP];
    double score[NP];
    char settings[256];

    /* loader failures that need no compiler */
    char path[512];
    snprintf(path, sizeof path, "%s/missing.so", dir);
    expect_open_error(path, "cannot open", "missing file");
    snprintf(path, sizeof path, "%s/text.so", dir);
    FILE *tf = fopen(path, "w");
    TAP_REQUIRE(tf != NULL);
    fputs("this is a text file, not an ELF object\n", tf);
    fclose(tf);
    expect_open_error(path, "not a usable shared object", "text file named .so");

    int built = system("cc --version >/dev/null 2>&1") == 0 && build_all();
    enum { N_COMPILED = 45, N_OPTIONS = 25 };
    if (!built) {
        skip(N_COMPILED, "could not compile test plugins with cc");
    } else {
        so_path("nosym", path, sizeof path);
        expect_open_error(path, "no symbol 'pb_method_descriptor'", "shared object without the descriptor");
        so_path("major", path, sizeof path);
        expect_open_error(path, "ABI major version 2", "ABI major mismatch");
        so_path("minor", path, sizeof path);
        expect_open_error(path, "newer than this host", "ABI minor newer than the host's");
        so_path("small", path, sizeof path);
        expect_open_error(path, "struct_size", "struct_size too small");
        so_path("nohooks", path, sizeof path);
        expect_open_error(path, "neither the relevance nor the order hook", "NULL relevance and NULL order");
        so_path("badname", path, sizeof path);
        expect_open_error(path, "name must be", "invalid name 'Bad-Name'");
        so_path("noname", path, sizeof path);
        expect_open_error(path, "name must be", "NULL name");
        so_path("nosummary", path, sizeof path);
        expect_open_error(path, "summary and citation", "NULL summary");
        so_path("nodestroy", path, sizeof path);
        expect_open_error(path, "create and destroy", "create without destroy");
        /* ABI 1.5 declarations the loader refuses */
        so_path("baddefault", path, sizeof path);
        expect_open_error(path, "default 'abc' is not valid", "an option whose default is not of its type");
        so_path("dupopt", path, sizeof path);
        expect_open_error(path, "option 'n' is declared twice", "an option declared twice");
        so_path("nochoices", path, sizeof path);
        expect_open_error(path, "an enum needs choices", "an enum option without choices");
        so_path("oldfields", path, sizeof path);
        expect_open_error(path, "declares ABI 1.4", "1.5 fields set by a plugin declaring ABI 1.4");
        so_path("bothcreate", path, sizeof path);
        expect_open_error(path, "not both", "create and create_with both set");
        so_path("badreq", path, sizeof path);
        expect_open_error(path, "requires unknown bits 0x200", "requires with a bit this host does not know");
        so_path("reqtrain", path, sizeof path);
        expect_open_error(path, "no training facet", "requires OWN_TRAINING without a training facet");

        /* a valid plugin */
        pb_plugin p;
        so_path("good", path, sizeof path);
        int st = pb_plugin_open(path, &p);
        if (st) diag("%s", pb_last_error());
        ok(st == 0 && p.handle && !strcmp(p.name, "good") && !strcmp(p.method.summary, "squared mean") &&
               p.method.create && p.method.destroy && p.method.settings && p.method.relevance && !p.method.order,
           "valid plugin built the same way loads with every field");
        ok(st == 0 && p.method.abi_minor == 4 && p.method.struct_size < sizeof(pb_method) && !p.host_parses &&
               !p.method.options && !p.method.create_with && p.requires == 0,
           "... an ABI 1.4 plugin (shorter descriptor): the 1.5 fields read as absent, it parses its own options");
        if (!st) {
            st = pb_plugin_rank(&p, &host, &view, "alpha=1", order, score, settings, sizeof settings);
            if (st) diag("%s", pb_last_error());
            ok(st == 0, "valid plugin ranks");
            /* squares: 8 .0025, 1 .01, 3 .01, 6 .04, 2 .09, 7 .09, 9 .16, 0 .25 (ties by index) */
            static const size_t hand[8] = {8, 1, 3, 6, 2, 7, 9, 0};
            ok(!memcmp(order, hand, sizeof hand), "order = ascending score, ties by index: 8 1 3 6 2 7 9 0");
            int sc_ok = 1;
            for (size_t j = 0; j < NP; j++) sc_ok &= score[j] == MEAN[j] * MEAN[j];
            ok(sc_ok, "scores returned as the plugin computed them");
            ok(!strcmp(settings, "opts=alpha=1"), "settings line from the plugin ('%s')", settings);
            st = pb_plugin_rank(&p, &host, &view, NULL, order, score, settings, sizeof settings);
            ok(st == 0 && !strcmp(settings, "opts="), "NULL options reach create as \"\"");
            pb_plugin_record rec;
            st = pb_plugin_record_of(&p, "alpha=1", &rec);
            int rec_ok = st == 0 && !strcmp(rec.options, "alpha=1") && !strcmp(rec.abi, "1.4");
            st = pb_plugin_record_of(&p, "", &rec);
            ok(rec_ok && st == 0 && !strcmp(rec.options, "default"),
               "ABI 1.4 plugin: result files record its options as given ('alpha=1', or 'default')");
            pb_plugin_close(&p);
            ok(p.handle == NULL, "pb_plugin_close clears the handle");
        } else {
            skip(6, "valid plugin did not load");
        }

        /* a valid order-only plugin; scores stay NaN */
        so_path("ordergood", path, sizeof path);
        st = pb_plugin_open(path, &p);
        ok(st == 0, "order-only plugin loads");
        st = st ? st : pb_plugin_rank(&p, &host, &view, "", order, score, settings, sizeof settings);
        static const size_t desc[8] = {9, 8, 7, 6, 3, 2, 1, 0};
        int all_nan = 1;
        for (size_t j = 0; j < NP; j++) all_nan &= isnan(score[j]);
        ok(st == 0 && !memcmp(order, desc, sizeof desc) && all_nan && settings[0] == '\0',
           "order-only plugin: its order is used, every score NaN, settings empty");
        st = pb_plugin_rank(&p, &host, &view, "x=1", order, score, settings, sizeof settings);
        ok(st == PB_ERR_ARG && has(pb_last_error(), "takes no options") && has(pb_last_error(), "x=1"),
           "options given to a plugin without create: rejected (%s)", pb_last_error());
        pb_plugin_close(&p);

        /* contract violations found by pb_plugin_rank */
        struct { const char *file, *options, *cause, *what; } bad[] = {
            {"failrel", "", "deliberate failure 42", "relevance hook returns non-zero"},
            {"failcreate", "", "deliberate create failure, level 3", "create_with returns non-zero"},
            {"nanscore", "", "parameter 7", "NaN score"},
            {"infscore", "", "parameter 2", "-inf score"},
            {"duporder", "", "not a permutation", "order repeats an index"},
            {"biasorder", "", "not a prunable parameter", "order lists a non-prunable index"},
            {"rangeorder", "", "not a prunable parameter", "order lists an index past n_params"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            so_path(bad[i].file, path, sizeof path);
            st = pb_plugin_open(path, &p);
            if (st) {
                ok(0, "%s: plugin loads", bad[i].file);
                diag("%s", pb_last_error());
                ok(0, "%s", bad[i].what);
                continue;
            }
            ok(1, "%s: plugin loads", bad[i].file);
            st = pb_plugin_rank(&p, &host, &view, bad[i].options, order, score, settings, sizeof settings);
            const char *msg = pb_last_error();
            char named[128];
            snprintf(named, sizeof named, "plugin %s", bad[i].file);
            ok(st == PB_ERR_PLUGIN && has(msg, bad[i].cause) && has(msg, named) && !strchr(msg, '\n'),
               "%s: reported naming the plugin and '%s' (%s)", bad[i].what, bad[i].cause, msg);
            pb_plugin_close(&p);
        }
        /* an order hook that leaves entries unwritten: the buffer holds a valid
         * permutation from before, which must not pass for the plugin's answer */
        so_path("lazyorder", path, sizeof path);
        st = pb_plugin_open(path, &p);
        static const size_t asc[8] = {0, 1, 2, 3, 6, 7, 8, 9};
        memcpy(order, asc, sizeof asc);
        st = st ? st : pb_plugin_rank(&p, &host, &view, "", order, score, settings, sizeof settings);
        ok(st == PB_ERR_PLUGIN && has(pb_last_error(), "entry 4") && has(pb_last_error(), "plugin lazyorder"),
           "order hook filling 4 of 8 entries over stale valid data: rejected (%s)", pb_last_error());
        pb_plugin_close(&p);

        /* NaN where the parameter is not prunable is fine */
        so_path("nanbias", path, sizeof path);
        st = pb_plugin_open(path, &p);
        st = st ? st : pb_plugin_rank(&p, &host, &view, "", order, score, settings, sizeof settings);
        static const size_t rev[8] = {9, 8, 7, 6, 3, 2, 1, 0};
        ok(st == 0 && !memcmp(order, rev, sizeof rev), "NaN score of a non-prunable parameter is ignored");
        st = pb_plugin_rank(&p, &host, &(pb_fit_view){NP, MEAN, NULL, mask_all, np_all, 0, 1, m->spec, 0, NULL, NULL, NULL, NULL, NULL}, "", order,
                            score, settings, sizeof settings);
        ok(st == PB_ERR_PLUGIN && has(pb_last_error(), "parameter 4"), "... but not once biases are prunable (%s)",
           pb_last_error());
        pb_plugin_close(&p);
    }

    /* ABI 1.5: declared options, parsed by the host */
    if (!built) {
        skip(N_OPTIONS, "could not compile test plugins with cc");
    } else {
        pb_plugin p;
        /* the checks below count create calls in the plugin's memory: in process */
        pb_plugin_set_timeout(0);
        so_path("opts", path, sizeof path);
        int st = pb_plugin_open(path, &p);
        if (st) diag("%s", pb_last_error());
        TAP_REQUIRE(st == 0);
        const int *creates = dlsym(p.handle, "opts_creates");
        TAP_REQUIRE(creates != NULL);
        ok(p.host_parses && p.n_options == 4 && p.method.create_with, "opts: 4 declared options, host-parsed");
        st = pb_plugin_rank(&p, &host, &view, "", order, score, settings, sizeof settings);
        ok(st == 0 && !strcmp(settings, "n=3 x=0.5 s=abc e=1:b") && *creates == 1,
           "no options given: create_with gets every default, typed ('%s')", settings);
        pb_plugin_record rec;
        st = pb_plugin_record_of(&p, "", &rec);
        ok(st == 0 && !strcmp(rec.options, "n=3,x=0.5,s=abc,e=b") && !strcmp(rec.abi, "1.6"),
           "defaults recorded in declaration order ('%s')", rec.options);
        st = pb_plugin_rank(&p, &host, &view, "e=c,n=+07,x=1e-1,s=", order, score, settings, sizeof settings);
        ok(st == 0 && !strcmp(settings, "n=7 x=0.10000000000000001 s= e=2:c") && *creates == 2,
           "given values override defaults in any order, typed ('%s')", settings);
        st = pb_plugin_record_of(&p, "e=c,n=+07,x=1e-1,s=", &rec);
        ok(st == 0 && !strcmp(rec.options, "n=7,x=0.1,s=,e=c"), "effective values recorded canonically ('%s')",
           rec.options);
        /* refused by the host in one line naming the plugin and the option, before create runs */
        struct { const char *given, *cause, *what; } badopt[] = {
            {"n=3.5", "expected an integer (int in [1, 10])", "an int option given a fraction"},
            {"n=11", "expected int in [1, 10]", "an int option out of range"},
            {"x=abc", "expected a finite number", "a double option given text"},
            {"x=nan", "expected a finite number", "a double option given nan"},
            {"x=2", "expected double in [0, 1]", "a double option out of range"},
            {"e=z", "expected one of a|b|c", "an enum option given another word"},
            {"s=a=b", "may not contain", "a string option containing '='"},
            {"zz=1", "option 'zz=1' is unknown (options: n, x, s, e)", "an unknown option"},
            {"n=1,n=2", "option 'n' is given twice", "an option given twice"},
            {"n", "option 'n' is not name=value", "a token without '='"},
            {"n=1,,x=0", "empty option", "an empty token"},
        };
        for (size_t i = 0; i < sizeof badopt / sizeof *badopt; i++) {
            st = pb_plugin_rank(&p, &host, &view, badopt[i].given, order, score, settings, sizeof settings);
            const char *msg = pb_last_error();
            ok(st == PB_ERR_ARG && has(msg, "plugin opts") && has(msg, badopt[i].cause) && !strchr(msg, '\n') &&
                   *creates == 2,
               "%s ('%s'): refused before create (%s)", badopt[i].what, badopt[i].given, msg);
        }
        pb_plugin_set_timeout(PB_PLUGIN_TIMEOUT_DEFAULT);
        st = pb_plugin_record_of(&p, "n=0", &rec);
        ok(st == PB_ERR_ARG && has(pb_last_error(), "n=0"), "the record of a bad option string fails the same way");
        /* the listing, and the Makefile's two questions, through the binary */
        char cmd[1400], out[8192];
        snprintf(cmd, sizeof cmd, "'%s/prunebench' plugins --plugin-dir '%s/plugins' 2>&1", bdir, bdir);
        int rc = run_capture(cmd, out, sizeof out);
        ok(rc == 0 && has(out, "option hessian=gn") && has(out, "gn|exact") &&
               has(out, "diagonal of the Hessian: Gauss-Newton") && has(out, "option batch=1") && has(out, "int >= 1") &&
               has(out, "requires: hessian") && has(out, "requires: posterior-sd"),
           "plugins prints each option with its default, type and doc, and what the method requires");
        if (rc || !has(out, "option hessian=gn")) diag("%s", out);
        snprintf(cmd, sizeof cmd, "'%s/prunebench' plugins --plugin-dir '%s/plugins' --trainers", bdir, bdir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc == 0 && !strcmp(out, "groupvd\nsvd\n"), "plugins --trainers: the methods with a training facet, one per line");
        snprintf(cmd, sizeof cmd, "'%s/prunebench' plugins --plugin-dir '%s/plugins' --defaults belsley", bdir, bdir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc == 0 && !strcmp(out, "estimator=laplace\nbatch=1\n"), "plugins --defaults belsley: name=default lines");
        snprintf(cmd, sizeof cmd, "'%s/prunebench' plugins --plugin-dir '%s' --defaults opts", bdir, dir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc == 0 && !strcmp(out, "n=3\nx=0.5\ns=abc\ne=b\n"), "plugins --defaults opts: every type");
        snprintf(cmd, sizeof cmd, "'%s/prunebench' plugins --plugin-dir '%s' --defaults good", bdir, dir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc == 0 && out[0] == '\0', "plugins --defaults of an ABI 1.4 plugin: nothing declared, nothing printed");
        snprintf(cmd, sizeof cmd, "'%s/prunebench' plugins --plugin-dir '%s' --defaults nosuch 2>&1", bdir, dir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc != 0 && has(out, "nosuch.so"), "plugins --defaults of a missing plugin fails naming it");
        snprintf(cmd, sizeof cmd, "'%s/prunebench' check-plugin '%s/choicefail.so' 2>&1", bdir, dir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc != 0 && has(out, "not ok 2 - makes its state") && has(out, "'mode=b'") &&
               has(out, "mode b is not implemented"),
           "check-plugin tries every enum choice and names the one whose create fails");
        snprintf(cmd, sizeof cmd, "'%s/prunebench' check-plugin '%s/opts.so' 2>&1", bdir, dir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc == 0 && has(out, "ok 2 - makes its state from the defaults of its 4 declared option(s) and from every "
                               "enum choice (4 settings)"), "check-plugin: the defaults and the 3 choices of opts");
        pb_plugin_close(&p);
    }

    /* the shipped plugins */
    char rnd[1024], obd[1024];
    snprintf(rnd, sizeof rnd, "%s/plugins/random.so", bdir);
    snprintf(obd, sizeof obd, "%s/plugins/obd.so", bdir);
    pb_plugin pr, po;
    int st = pb_plugin_open(rnd, &pr);
    if (st) diag("%s", pb_last_error());
    ok(st == 0 && !strcmp(pr.name, "random") && pr.method.relevance, "%s loads as 'random'", rnd);
    TAP_REQUIRE(st == 0);
    st = pb_plugin_open(obd, &po);
    if (st) diag("%s", pb_last_error());
    ok(st == 0 && !strcmp(po.name, "obd") && po.method.create_with && po.method.destroy, "%s loads as 'obd'", obd);
    TAP_REQUIRE(st == 0);

    /* random: the scores are the host stream's first n_params uniforms */
    pb_host_release(&ctx);
    TAP_REQUIRE(pb_host_init(&host, &ctx, m, &data, 2024) == 0);
    st = pb_plugin_rank(&pr, &host, &view, "", order, score, settings, sizeof settings);
    ok(st == 0, "random ranks");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(r != NULL);
    gsl_rng_set(r, 2024);
    double u[NP];
    int same_u = 1;
    for (size_t j = 0; j < NP; j++) u[j] = gsl_rng_uniform(r), same_u &= u[j] == score[j];
    gsl_rng_free(r);
    ok(same_u, "random: scores are the first 12 U[0,1) draws of MT19937 seeded with the cell seed");
    size_t k = expected_order(u, mask, NP, want);
    ok(k == np && !memcmp(order, want, np * sizeof *order), "random: order sorts those draws");
    pb_host_release(&ctx);
    TAP_REQUIRE(pb_host_init(&host, &ctx, m, &data, 2024) == 0);
    size_t order2[NP];
    double score2[NP];
    st = pb_plugin_rank(&pr, &host, &view, "", order2, score2, settings, sizeof settings);
    ok(st == 0 && !memcmp(order, order2, np * sizeof *order), "random: same seed, same order");

    /* obd: s_j = h_jj m_j^2 / 2 with the Gauss-Newton diagonal */
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, data.n);
    TAP_REQUIRE(ws != NULL);
    double h[NP], s[NP];
    TAP_REQUIRE(pb_mlp_gn_diag(m, ws, MEAN, data.X, data.y, data.n, h) == 0);
    int h_ok = 1;
    for (size_t j = 0; j < NP; j++) s[j] = h[j] * MEAN[j] * MEAN[j] / 2, h_ok &= h[j] >= 0 && isfinite(h[j]);
    ok(h_ok, "Gauss-Newton diagonal is finite and non-negative");
    st = pb_plugin_rank(&po, &host, &view, "", order, score, settings, sizeof settings);
    if (st) diag("%s", pb_last_error());
    expected_order(s, mask, NP, want);
    ok(st == 0 && !memcmp(order, want, np * sizeof *order), "obd: order = sorting h_jj m_j^2 / 2 (weights)");
    double worst = 0;
    for (size_t j = 0; j < NP; j++)
        if (fabs(score[j] - s[j]) > worst || isnan(score[j])) worst = isnan(score[j]) ? INFINITY : fabs(score[j] - s[j]);
    ok(worst <= 1e-15, "obd: scores equal h_jj m_j^2 / 2 (worst difference %g)", worst);
    ok(!strcmp(settings, "hessian=gauss-newton"), "obd: settings '%s'", settings);
    pb_fit_view view_all = {NP, MEAN, NULL, mask_all, np_all, 0, 1, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    st = pb_plugin_rank(&po, &host, &view_all, "hessian=gn", order, score, settings, sizeof settings);
    expected_order(s, mask_all, NP, want);
    ok(st == 0 && !memcmp(order, want, NP * sizeof *order), "obd: order over weights and biases");
    /* exact diagonal */
    TAP_REQUIRE(pb_mlp_hessian_diag(m, ws, MEAN, data.X, data.y, data.n, h) == 0);
    for (size_t j = 0; j < NP; j++) s[j] = h[j] * MEAN[j] * MEAN[j] / 2;
    /* obd logs the count of negative entries through host->log (stderr): keep prove's output clean */
    fflush(stderr);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    if (saved >= 0 && devnull >= 0) dup2(devnull, 2);
    st = pb_plugin_rank(&po, &host, &view, "hessian=exact", order, score, settings, sizeof settings);
    fflush(stderr);
    if (saved >= 0 && devnull >= 0) dup2(saved, 2);
    if (saved >= 0) close(saved);
    if (devnull >= 0) close(devnull);
    expected_order(s, mask, NP, want);
    ok(st == 0 && !memcmp(order, want, np * sizeof *order) && has(settings, "hessian=exact"),
       "obd hessian=exact: order = sorting with the exact diagonal (settings '%s')", settings);
    st = pb_plugin_rank(&po, &host, &view, "hessian=bogus", order, score, settings, sizeof settings);
    ok(st == PB_ERR_ARG && has(pb_last_error(), "plugin obd: option 'hessian=bogus': expected one of gn|exact"),
       "obd: a value outside its choices refused by the host (%s)", pb_last_error());
    pb_plugin_record rec;
    st = pb_plugin_record_of(&po, "", &rec);
    ok(st == 0 && !strcmp(rec.options, "hessian=gn"), "obd: the default recorded ('%s')", rec.options);
    /* the plugin's provenance: FNV-1a 64 of the file's bytes */
    {
        FILE *hf = fopen(obd, "rb");
        TAP_REQUIRE(hf != NULL);
        uint64_t hh = PB_FNV_OFFSET;
        int c;
        while ((c = fgetc(hf)) != EOF) {
            unsigned char b = (unsigned char)c;
            hh = pb_fnv1a(hh, &b, 1);
        }
        fclose(hf);
        char want_hash[32];
        snprintf(want_hash, sizeof want_hash, "fnv1a64:%016llx", (unsigned long long)hh);
        ok(po.hash == hh && !strcmp(rec.hash, want_hash) && pr.hash != po.hash,
           "plugin hash: FNV-1a 64 of the whole .so, byte by byte ('%s'); random's differs", rec.hash);
    }

    /* requires: an impossible pairing refused before any work, in one line */
    {
        pb_model *lstm, *mlpm;
        TAP_REQUIRE(pb_model_parse("lstm:2x2-3-2", &lstm) == 0);
        TAP_REQUIRE(pb_model_parse("mlp:2-2-2:tanh", &mlpm) == 0);
        pb_fit fit;
        memset(&fit, 0, sizeof fit);
        strcpy(fit.family, "gauss-diag");
        st = pb_plugin_check_fit(&po, lstm, &fit, "tiny-lstm.fit");
        const char *msg = pb_last_error();
        ok(st == PB_ERR_ARG && has(msg, "method obd") && has(msg, "lstm:2x2-3-2") && has(msg, "curvature") &&
               has(msg, "tiny-lstm.fit") && !strchr(msg, '\n'),
           "obd (requires the Hessian) on an LSTM fit: refused (%s)", msg);
        ok(pb_plugin_check_fit(&po, mlpm, &fit, "mlp.fit") == 0 && pb_plugin_check_fit(&pr, lstm, &fit, "l.fit") == 0,
           "obd on an MLP fit, random on an LSTM fit: accepted");
        char vpath[1024], bpath[1024], spath[1024];
        snprintf(vpath, sizeof vpath, "%s/plugins/variational.so", bdir);
        snprintf(bpath, sizeof bpath, "%s/plugins/belsley.so", bdir);
        snprintf(spath, sizeof spath, "%s/plugins/svd.so", bdir);
        pb_plugin pv, pbl, ps;
        TAP_REQUIRE(pb_plugin_open(vpath, &pv) == 0 && pb_plugin_open(bpath, &pbl) == 0 && pb_plugin_open(spath, &ps) == 0);
        st = pb_plugin_check_fit(&pbl, lstm, &fit, "l.fit");
        ok(st == PB_ERR_ARG && has(pb_last_error(), "method belsley (the posterior matrix)"),
           "belsley (requires the posterior matrix) on an LSTM fit: refused (%s)", pb_last_error());
        strcpy(fit.family, "point");
        st = pb_plugin_check_fit(&pv, mlpm, &fit, "p.fit");
        ok(st == PB_ERR_ARG && has(pb_last_error(), "method variational needs posterior standard deviations") &&
               has(pb_last_error(), "p.fit is a point fit"),
           "variational (requires the posterior sd) on a point fit: refused (%s)", pb_last_error());
        strcpy(fit.family, "gauss-diag");
        ok(pb_plugin_check_fit(&pv, mlpm, &fit, "g.fit") == 0, "variational on a Gaussian fit: accepted");
        st = pb_plugin_check_fit(&ps, mlpm, &fit, "g.fit");
        ok(st == PB_ERR_ARG && has(pb_last_error(), "method svd trains its own network (family log-uniform)") &&
               (ps.requires & PB_REQUIRES_OWN_TRAINING),
           "svd (own training) on a fit of another family: refused (%s)", pb_last_error());
        strcpy(fit.family, "log-uniform");
        ok(pb_plugin_check_fit(&ps, lstm, &fit, "s.fit") == 0, "svd on its own family's LSTM fit: accepted");
        /* through the binary: refused before the fit's data set is even looked for */
        pb_fit lf;
        TAP_REQUIRE(pb_fit_alloc(&lf, lstm->n_params) == 0);
        snprintf(lf.model, sizeof lf.model, "%s", lstm->spec);
        snprintf(lf.dataset, sizeof lf.dataset, "no-such-data");
        snprintf(lf.family, sizeof lf.family, "gauss-diag");
        for (size_t j = 0; j < lstm->n_params; j++) lf.sd[j] = 0.1;
        lf.prior_sd = 1, lf.noise_precision = 1, lf.test_fraction = 0.2;
        char fpath[600], cmd[2000], out[4096];
        snprintf(fpath, sizeof fpath, "%s/tiny-lstm.fit", dir);
        TAP_REQUIRE(pb_fit_save(&lf, fpath) == 0);
        pb_fit_free(&lf);
        snprintf(cmd, sizeof cmd, "'%s/prunebench' rank --fit '%s' --method obd --plugin-dir '%s/plugins' -o '%s/x.tsv' 2>&1",
                 bdir, fpath, bdir, dir);
        int rc = run_capture(cmd, out, sizeof out);
        char xpath[600];
        snprintf(xpath, sizeof xpath, "%s/x.tsv", dir);
        ok(rc != 0 && has(out, "method obd (the Hessian)") && has(out, "lstm:2x2-3-2") && !has(out, "no-such-data") &&
               strchr(out, '\n') == out + strlen(out) - 1 && access(xpath, F_OK) != 0,
           "prunebench rank --method obd on a tiny LSTM fit: one line, no output, data set never opened");
        snprintf(cmd, sizeof cmd, "'%s/prunebench' rank --fit '%s' --method random --plugin-dir '%s/plugins' -o '%s/x.tsv' 2>&1",
                 bdir, fpath, bdir, dir);
        rc = run_capture(cmd, out, sizeof out);
        ok(rc != 0 && has(out, "no-such-data"), "... while random, which needs nothing, gets as far as the data set");
        pb_plugin_close(&pv);
        pb_plugin_close(&pbl);
        pb_plugin_close(&ps);
        pb_model_free(lstm);
        pb_model_free(mlpm);
    }

    pb_mlp_ws_free(ws);
    pb_plugin_close(&pr);
    pb_plugin_close(&po);
    pb_host_release(&ctx);
    pb_data_free(&data);
    pb_mlp_free(m);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
