/* plugin_provenance.c -- SHA-256 (base/sha256.h) against the FIPS 180-4
 * examples and against the system's sha256sum, and the plugin a result was
 * made with named in its provenance: '# plugin_sha256:' in an order file
 * from `rank`, plugin_sha256= in the settings of a fit from `train --method`,
 * each equal to what sha256sum says of the .so. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tap.h"
#include "runcmd.h"
#include "base/sha256.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-plugprov-XXXXXX";

static void hex_of(const void *data, size_t len, char hex[65])
{
    pb_sha256 s;
    unsigned char d[32];
    pb_sha256_init(&s);
    pb_sha256_update(&s, data, len);
    pb_sha256_final(&s, d);
    pb_sha256_hex(d, hex);
}

/* sha256sum's hex digest of path into hex (empty string on failure). */
static void sha256sum_of(const char *path, char hex[65])
{
    char cmd[1200], out[256];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    hex[0] = '\0';
    if (run_capture(cmd, out, sizeof out) == 0 && strlen(out) >= 64) {
        memcpy(hex, out, 64);
        hex[64] = '\0';
    }
}

/* The value of the first line of file starting with prefix, or "" . */
static void line_value(const char *path, const char *prefix, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, prefix, strlen(prefix))) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, len, "%s", line + strlen(prefix));
            break;
        }
    fclose(f);
}

int main(void)
{
    plan(11);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    char hex[65], want[65];

    /* ---- FIPS 180-4 examples (NIST CSRC "SHA256.pdf") ---- */
    hex_of("abc", 3, hex);
    ok(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "SHA-256(\"abc\")");
    hex_of("", 0, hex);
    ok(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "SHA-256(\"\")");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two, strlen(two), hex);
    ok(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
       "SHA-256 of the 448-bit example (two blocks once padded)");
    /* one million 'a', fed in uneven pieces */
    pb_sha256 s;
    unsigned char d[32], a[1000];
    memset(a, 'a', sizeof a);
    pb_sha256_init(&s);
    size_t fed = 0;
    for (size_t k = 1; fed < 1000000; k = k % 997 + 1) {
        size_t n = k < 1000000 - fed ? k : 1000000 - fed;
        pb_sha256_update(&s, a, n);
        fed += n;
    }
    pb_sha256_final(&s, d);
    pb_sha256_hex(d, hex);
    ok(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
       "SHA-256 of a million 'a' fed in pieces of 1..997 bytes");

    /* ---- files of every length around the padding boundaries, against sha256sum ---- */
    int same = 1;
    char path[600];
    snprintf(path, sizeof path, "%s/bytes", dir);
    for (size_t len = 0; len <= 130; len++) {
        if (!(len <= 1 || (len >= 54 && len <= 66) || (len >= 118 && len <= 130))) continue;
        FILE *f = fopen(path, "wb");
        TAP_REQUIRE(f != NULL);
        for (size_t i = 0; i < len; i++) fputc((int)((i * 37 + 11) & 0xff), f);
        TAP_REQUIRE(fclose(f) == 0);
        sha256sum_of(path, want);
        if (pb_sha256_file(path, hex) != PB_OK || strcmp(hex, want)) {
            same = 0;
            diag("length %zu: %s, sha256sum %s", len, hex, want);
        }
    }
    ok(same, "files of 0, 1, 54..66, 118..130 bytes: the same digest as sha256sum");
    snprintf(path, sizeof path, "%s/missing", dir);
    ok(pb_sha256_file(path, hex) == PB_ERR_IO && strstr(pb_last_error(), path), "a missing file: one error naming it");

    /* ---- a result names the plugin that made it ---- */
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char cmd[4096], out[4096], so[1024], got[256];
    snprintf(so, sizeof so, "%s/plugins/obd.so", bdir);
    sha256sum_of(so, want);
    TAP_REQUIRE(strlen(want) == 64);
    snprintf(cmd, sizeof cmd,
             "'%s/prunebench' train --data wine --model mlp:13-13-3:tanh --epochs 2 --data-dir datasets -o '%s/a.fit' "
             "&& '%s/prunebench' rank --fit '%s/a.fit' --method obd --plugin-dir '%s/plugins' -o '%s/o.tsv' 2>&1",
             bdir, dir, bdir, dir, bdir, dir);
    int rc = run_capture(cmd, out, sizeof out);
    if (rc) diag("%s", out);
    ok(rc == 0, "train a base fit, rank it with obd");
    snprintf(path, sizeof path, "%s/o.tsv", dir);
    line_value(path, "# plugin_sha256: ", got, sizeof got);
    ok(!strcmp(got, want), "order file: '# plugin_sha256: %s' is sha256sum of %s", got, so);
    line_value(path, "# plugin: ", got, sizeof got);
    char abi[64];
    line_value(path, "# plugin_abi: ", abi, sizeof abi);
    ok(!strcmp(got, so) && !strcmp(abi, "1.5"), "order file: '# plugin: %s', '# plugin_abi: %s'", got, abi);

    /* a method that trains its own network: the fit's settings name the plugin */
    snprintf(so, sizeof so, "%s/plugins/svd.so", bdir);
    sha256sum_of(so, want);
    snprintf(cmd, sizeof cmd,
             "'%s/prunebench' train --data wine --model mlp:13-13-3:tanh --epochs 1 --method svd --plugin-dir '%s/plugins' "
             "--data-dir datasets -o '%s/s.fit' && '%s/prunebench' evaluate --fit '%s/s.fit' --data-dir datasets "
             "-o '%s/e.tsv' 2>&1",
             bdir, bdir, dir, bdir, dir, dir);
    rc = run_capture(cmd, out, sizeof out);
    if (rc) diag("%s", out);
    snprintf(path, sizeof path, "%s/e.tsv", dir);
    char settings[1024], expect[1400];
    line_value(path, "# fit_settings: ", settings, sizeof settings);
    snprintf(expect, sizeof expect, " method=svd plugin_sha256=%s plugin_abi=1.5 plugin=%s", want, so);
    ok(rc == 0 && strstr(settings, expect), "fit of train --method svd: settings end in '%s'", expect);
    snprintf(cmd, sizeof cmd, "'%s/prunebench' rank --fit '%s/s.fit' --method svd --plugin-dir '%s/plugins' -o '%s/os.tsv'"
             " 2>&1", bdir, dir, bdir, dir);
    rc = run_capture(cmd, out, sizeof out);
    snprintf(path, sizeof path, "%s/os.tsv", dir);
    line_value(path, "# plugin_sha256: ", got, sizeof got);
    ok(rc == 0 && !strcmp(got, want), "its order file: the same SHA-256");

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
