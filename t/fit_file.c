/* fit_file.c -- the binary fit file: round trip, rejection of damaged files,
 * atomic save. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "formats/fit.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-fit-XXXXXX";

/* Layout offsets from fit.h: magic 8, version u32, order mark u32, payload length u64. */
enum { OFF_VERSION = 8, OFF_MARK = 12, OFF_PLEN = 16, HEAD = 24 };

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    TAP_REQUIRE(f != NULL);
    TAP_REQUIRE(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    TAP_REQUIRE(n >= 0);
    rewind(f);
    unsigned char *p = malloc((size_t)n + 1);
    TAP_REQUIRE(p != NULL);
    TAP_REQUIRE(fread(p, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void spit(const char *path, const unsigned char *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    TAP_REQUIRE(f != NULL);
    TAP_REQUIRE(fwrite(p, 1, len, f) == len);
    TAP_REQUIRE(fclose(f) == 0);
}

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Load must fail; fit left empty; message names the path and one of the words. */
static int rejected(const char *path, const char *word1, const char *word2)
{
    pb_fit g;
    int st = pb_fit_load(path, &g);
    const char *msg = pb_last_error();
    int good = st != 0 && g.mean == NULL && g.sd == NULL && has(msg, path) && !strchr(msg, '\n') &&
               (has(msg, word1) || (word2 && has(msg, word2)));
    if (!good) diag("status %d, message: %s", st, msg);
    if (!st) pb_fit_free(&g);
    return good;
}

static size_t count_tmp_files(void)
{
    DIR *d = opendir(dir);
    TAP_REQUIRE(d != NULL);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

int main(void)
{
    plan(47);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/a.fit", dir);
    snprintf(bad, sizeof bad, "%s/bad.fit", dir);

    /* a fit with awkward values: -0, subnormal, extremes (a NaN or a negative
     * sd is no fit: pb_fit_load refuses it, t/robust.c) */
    pb_fit f;
    size_t n = 37;
    TAP_REQUIRE(pb_fit_alloc(&f, n) == 0);
    ok(f.n == n && f.mean && f.sd && f.mean[n - 1] == 0 && f.sd[0] == 0, "pb_fit_alloc: n set, arrays zeroed");
    snprintf(f.model, sizeof f.model, "mlp:13-13-3:tanh");
    snprintf(f.dataset, sizeof f.dataset, "wine");
    snprintf(f.family, sizeof f.family, "gauss-diag");
    memset(f.settings, 's', sizeof f.settings - 1); /* the longest string that fits: 511 bytes */
    f.settings[sizeof f.settings - 1] = '\0';
    f.repeat = 4000000000u;
    f.data_seed = UINT64_C(0xfedcba9876543210);
    f.init_seed = UINT64_C(0x0123456789abcdef);
    f.test_fraction = 0.2;
    f.standardize_y = 1;
    f.prior_mean = -0.0;
    f.prior_sd = 0.123456789012345678;
    f.noise_precision = 7.25;
    f.final_objective = DBL_MAX;
    for (size_t j = 0; j < n; j++) {
        f.mean[j] = sin((double)j + 0.5) * pow(10.0, (double)j - 18.0);
        f.sd[j] = exp(-(double)j);
    }
    f.mean[0] = -0.0;
    f.mean[1] = DBL_TRUE_MIN;
    f.mean[2] = -DBL_MAX;
    f.sd[3] = DBL_TRUE_MIN;
    f.sd[4] = DBL_MAX;
    TAP_REQUIRE(pb_fit_alloc_groups(&f, 3) == 0);
    for (size_t k = 0; k < 3; k++) f.group_mean[k] = 1.0 / (double)(k + 3), f.group_sd[k] = (double)k + 0.25;
    int st = pb_fit_save(&f, path);
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "pb_fit_save succeeds");
    ok(count_tmp_files() == 0, "no '*.tmp.*' file left after a successful save");

    pb_fit g;
    st = pb_fit_load(path, &g);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ok(!strcmp(g.model, f.model) && !strcmp(g.dataset, f.dataset) && !strcmp(g.family, f.family),
       "round trip: model, dataset, family");
    ok(!strcmp(g.settings, f.settings), "round trip: 511-byte settings string");
    ok(g.repeat == f.repeat && g.data_seed == f.data_seed && g.init_seed == f.init_seed, "round trip: repeat and seeds");
    ok(!memcmp(&g.test_fraction, &f.test_fraction, sizeof(double)) && g.standardize_y == 1,
       "round trip: test_fraction, standardize_y");
    ok(!memcmp(&g.prior_mean, &f.prior_mean, sizeof(double)) && signbit(g.prior_mean),
       "round trip: prior_mean -0 keeps its sign");
    ok(!memcmp(&g.prior_sd, &f.prior_sd, sizeof(double)) && !memcmp(&g.final_objective, &f.final_objective, sizeof(double)) &&
       g.noise_precision == 7.25,
       "round trip: prior_sd, noise_precision, final_objective bitwise");
    ok(g.n == n && !memcmp(g.mean, f.mean, n * sizeof(double)), "round trip: mean[] bitwise equal");
    ok(!memcmp(g.sd, f.sd, n * sizeof(double)), "round trip: sd[] bitwise equal (NaN included)");
    ok(g.n_groups == 3 && !memcmp(g.group_mean, f.group_mean, 3 * sizeof(double)) &&
       !memcmp(g.group_sd, f.group_sd, 3 * sizeof(double)), "round trip: 3 group variables bitwise equal");
    pb_fit_free(&g);
    ok(g.mean == NULL && g.sd == NULL && g.group_mean == NULL && g.n_groups == 0, "pb_fit_free clears the arrays");

    /* layout per fit.h */
    size_t len;
    unsigned char *data = slurp(path, &len);
    uint32_t version, mark;
    uint64_t plen, sum;
    memcpy(&version, data + OFF_VERSION, 4);
    memcpy(&mark, data + OFF_MARK, 4);
    memcpy(&plen, data + OFF_PLEN, 8);
    memcpy(&sum, data + len - 8, 8);
    ok(!memcmp(data, "PBFIT\r\n\032", 8) && version == PB_FIT_VERSION_NO_INIT && mark == 0x01020304u,
       "header: magic, version (3: no initial weights), order mark");
    /* payload: 4 strings, u32, 2 u64, f64, u32, u64, 4 f64 (prior mean, prior sd,
     * noise precision, objective), string, u64 n_groups, then 2n + 2 n_groups f64 */
    size_t want_plen = (4 + strlen(f.model)) + (4 + strlen(f.dataset)) + (4 + strlen(f.family)) + 4 + 8 + 8 + 8 + 4 + 8 +
                       4 * 8 + (4 + strlen(f.settings)) + 8 + 2 * n * 8 + 2 * 3 * 8;
    ok(plen == want_plen && len == HEAD + plen + 8, "payload length %zu, file %zu bytes", want_plen, HEAD + want_plen + 8);
    ok(sum == pb_fnv1a(PB_FNV_OFFSET, data, len - 8), "trailer is the FNV-1a of everything before it");

    /* truncated at several lengths */
    static const size_t cuts_small[] = {0, 1, 7};
    int all_ok = 1;
    for (size_t i = 0; i < sizeof cuts_small / sizeof *cuts_small; i++) {
        spit(bad, data, cuts_small[i]);
        if (!rejected(bad, "truncated", "magic")) all_ok = 0, diag("cut at %zu", cuts_small[i]);
    }
    ok(all_ok, "files cut to 0, 1, 7 bytes rejected");
    size_t cuts[] = {8, 12, 23, 24, 31, 32, 40, len / 2, len - 9, len - 8, len - 1};
    all_ok = 1;
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        spit(bad, data, cuts[i]);
        if (!rejected(bad, "truncated", NULL)) all_ok = 0, diag("cut at %zu", cuts[i]);
    }
    ok(all_ok, "files cut to 8, 12, 23, 24, 31, 32, 40, half, len-9, len-8, len-1 bytes: 'truncated'");
    unsigned char *big = malloc(len + 1);
    TAP_REQUIRE(big != NULL);
    memcpy(big, data, len);
    big[len] = 0;
    spit(bad, big, len + 1);
    ok(rejected(bad, "padded", NULL), "one byte appended: rejected");
    free(big);

    /* one flipped byte: in a string, in mean[], in sd[], in the checksum */
    size_t flips[] = {HEAD + 5, HEAD + plen - 2 * n * 8 + 3, len - 8 - 1, len - 1};
    const char *where[] = {"model string", "mean[0]", "sd[n-1]", "checksum"};
    for (size_t i = 0; i < 4; i++) {
        memcpy(big = malloc(len), data, len);
        big[flips[i]] ^= 0x10;
        spit(bad, big, len);
        ok(rejected(bad, "checksum", NULL), "flipped byte in the %s: checksum mismatch", where[i]);
        free(big);
    }

    /* bad magic */
    memcpy(big = malloc(len), data, len);
    big[0] = 'X';
    spit(bad, big, len);
    ok(rejected(bad, "magic", NULL), "bad magic: rejected");
    free(big);
    spit(bad, (const unsigned char *)"hello, world, this is not a fit file at all\n", 44);
    ok(rejected(bad, "magic", NULL), "text file: bad magic");

    /* wrong version, nothing else fixed up */
    memcpy(big = malloc(len), data, len);
    uint32_t v2 = PB_FIT_VERSION + 1;
    memcpy(big + OFF_VERSION, &v2, 4);
    spit(bad, big, len);
    ok(rejected(bad, "version", "checksum"), "version %u: rejected (version or checksum)", v2);
    /* wrong version with the checksum fixed up: must name the version */
    uint64_t fixed = pb_fnv1a(PB_FNV_OFFSET, big, len - 8);
    memcpy(big + len - 8, &fixed, 8);
    spit(bad, big, len);
    ok(rejected(bad, "version", NULL), "version %u with a valid checksum: 'version'", v2);
    free(big);

    /* a version-2 file (before group variables: no n_groups field, no group arrays) still loads */
    {
        size_t pre = want_plen - 8 - 2 * n * 8 - 2 * 3 * 8, plen2 = pre + 2 * n * 8, len2 = HEAD + plen2 + 8;
        unsigned char *old = malloc(len2);
        TAP_REQUIRE(old != NULL);
        memcpy(old, data, HEAD + pre);
        memcpy(old + HEAD + pre, data + HEAD + pre + 8, 2 * n * 8);
        uint32_t two = 2;
        uint64_t pl = plen2;
        memcpy(old + OFF_VERSION, &two, 4);
        memcpy(old + OFF_PLEN, &pl, 8);
        uint64_t sum2 = pb_fnv1a(PB_FNV_OFFSET, old, len2 - 8);
        memcpy(old + len2 - 8, &sum2, 8);
        spit(bad, old, len2);
        pb_fit g2;
        int st2 = pb_fit_load(bad, &g2);
        if (st2) diag("%s", pb_last_error());
        ok(st2 == 0 && g2.n == n && g2.n_groups == 0 && !memcmp(g2.mean, f.mean, n * sizeof(double)) &&
               !strcmp(g2.settings, f.settings),
           "a version-2 fit file loads: same means and settings, no group variables");
        if (!st2) pb_fit_free(&g2);
        two = 1;
        memcpy(old + OFF_VERSION, &two, 4);
        sum2 = pb_fnv1a(PB_FNV_OFFSET, old, len2 - 8);
        memcpy(old + len2 - 8, &sum2, 8);
        spit(bad, old, len2);
        ok(rejected(bad, "versions 2 to", NULL), "version 1: 'this build reads versions 2 to %u'", PB_FIT_VERSION);
        free(old);
    }

    /* byte order mark of the other endianness */
    memcpy(big = malloc(len), data, len);
    uint32_t swapped = 0x04030201u;
    memcpy(big + OFF_MARK, &swapped, 4);
    spit(bad, big, len);
    ok(rejected(bad, "byte order", NULL), "swapped order mark: 'byte order'");
    free(big);

    /* payload length field off by one */
    memcpy(big = malloc(len), data, len);
    uint64_t p1 = plen + 1;
    memcpy(big + OFF_PLEN, &p1, 8);
    spit(bad, big, len);
    ok(rejected(bad, "truncated", "padded"), "payload length field off by one: rejected");
    free(big);

    /* consistent checksum but n that disagrees with the arrays */
    memcpy(big = malloc(len), data, len);
    size_t off_n = HEAD + (4 + strlen(f.model)) + (4 + strlen(f.dataset)) + (4 + strlen(f.family)) + 4 + 8 + 8 + 8 + 4;
    uint64_t n_read, n_bad = n + 1;
    memcpy(&n_read, big + off_n, 8);
    ok(n_read == n, "n is at the expected payload offset");
    memcpy(big + off_n, &n_bad, 8);
    fixed = pb_fnv1a(PB_FNV_OFFSET, big, len - 8);
    memcpy(big + len - 8, &fixed, 8);
    spit(bad, big, len);
    ok(rejected(bad, "inconsistent", NULL), "n = %zu with %zu stored values (valid checksum): 'inconsistent'", n + 1, n);
    /* string length beyond its field */
    memcpy(big, data, len);
    uint32_t huge = 4000000000u;
    memcpy(big + HEAD, &huge, 4);
    fixed = pb_fnv1a(PB_FNV_OFFSET, big, len - 8);
    memcpy(big + len - 8, &fixed, 8);
    spit(bad, big, len);
    ok(rejected(bad, "inconsistent", NULL), "model string length 4e9 (valid checksum): 'inconsistent'");
    free(big);

    /* initial weights (version 4): n_init after n_groups, init[] after the group arrays */
    {
        char p4[600];
        snprintf(p4, sizeof p4, "%s/init.fit", dir);
        TAP_REQUIRE(pb_fit_alloc_init(&f) == 0);
        for (size_t j = 0; j < n; j++) f.init[j] = cos((double)j) * pow(10.0, (double)j - 20.0);
        f.init[0] = -0.0;
        TAP_REQUIRE(pb_fit_save(&f, p4) == 0);
        size_t len4;
        unsigned char *d4 = slurp(p4, &len4);
        uint32_t v4;
        uint64_t plen4, ninit;
        memcpy(&v4, d4 + OFF_VERSION, 4);
        memcpy(&plen4, d4 + OFF_PLEN, 8);
        memcpy(&ninit, d4 + HEAD + want_plen - 2 * n * 8 - 2 * 3 * 8, 8);
        ok(v4 == 4 && plen4 == want_plen + 8 + n * 8 && ninit == n &&
               !memcmp(d4 + HEAD + plen4 - n * 8, f.init, n * sizeof(double)),
           "a fit with initial weights: version 4, n_init = n after n_groups, init[] last (%zu more bytes)",
           (size_t)(8 + n * 8));
        pb_fit g4;
        st = pb_fit_load(p4, &g4);
        ok(st == 0 && g4.init && !memcmp(g4.init, f.init, n * sizeof(double)) && signbit(g4.init[0]) &&
               !memcmp(g4.mean, f.mean, n * sizeof(double)) && g4.n_groups == 3,
           "round trip: init[] bitwise equal, means and groups as before");
        if (!st) pb_fit_free(&g4);
        ok(g4.init == NULL, "pb_fit_free clears init");
        f.init[7] = NAN;
        TAP_REQUIRE(pb_fit_save(&f, p4) == 0);
        ok(rejected(p4, "initial value of parameter 7", NULL), "a NaN initial value: refused naming it");
        free(f.init);
        f.init = NULL;
        TAP_REQUIRE(pb_fit_save(&f, p4) == 0);
        size_t len3;
        unsigned char *d3 = slurp(p4, &len3);
        ok(len3 == len && !memcmp(d3, data, len), "without initial weights the file is the version-3 file, byte for byte");
        free(d3);
        free(d4);
    }

    /* missing file */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.fit", dir);
    ok(rejected(missing, "cannot open", NULL), "missing file: 'cannot open'");

    /* overwrite an existing file atomically; the old content is replaced */
    f.repeat = 7;
    f.mean[5] = 42;
    st = pb_fit_save(&f, path);
    ok(st == 0 && pb_fit_load(path, &g) == 0 && g.repeat == 7 && g.mean[5] == 42, "saving over an existing fit replaces it");
    pb_fit_free(&g);
    ok(count_tmp_files() == 0, "no '*.tmp.*' file left after overwriting");

    /* saving into a directory that does not exist fails cleanly */
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/no/such/dir/x.fit", dir);
    st = pb_fit_save(&f, nodir);
    ok(st != 0 && has(pb_last_error(), nodir), "save into a missing directory fails naming the path (%s)", pb_last_error());
    ok(count_tmp_files() == 0, "no '*.tmp.*' file left after the failures");

    free(data);
    pb_fit_free(&f);
    /* settings lookup: whole keys only, the first word too, numbers checked */
    const char *line = "family=gauss-diag lr_decay=linear lr=0.05 batch=32 note=x1";
    char v[32];
    ok(pb_setting(line, "family", v, sizeof v) && !strcmp(v, "gauss-diag") && pb_setting(line, "lr", v, sizeof v) &&
           !strcmp(v, "0.05") && !pb_setting(line, "decay", v, sizeof v) && !strcmp(v, ""),
       "pb_setting: the first word, a key that is a prefix of another (lr, lr_decay), no partial match");
    ok(pb_setting_num(line, "batch", 0) == 32 && pb_setting_num(line, "lr", 0) == 0.05, "pb_setting_num: numbers");
    ok(pb_setting_num(line, "updates", -1) == -1 && pb_setting_num(line, "note", -2) == -2 &&
           pb_setting_num(line, "lr_decay", -3) == -3,
       "pb_setting_num: the default when absent or not a number");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
