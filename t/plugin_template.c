/* plugin_template.c -- the plugin template in docs/ builds and passes the
 * conformance test (`prunebench check-plugin`), so the README's recipe for
 * adding a method stays true. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "runcmd.h"


int main(void)
{
    const char *b = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char cmd[1024], out[8192];
    plan(8);
    snprintf(cmd, sizeof cmd, "%s/prunebench check-plugin %s/template/plugin_template.so 2>&1", b, b);
    is_int(run_capture(cmd, out, sizeof out), 0, "check-plugin accepts the template");
    ok(strstr(out, "not ok") == NULL && strstr(out, "conforms to ABI") != NULL, "every conformance check passes");
    if (strstr(out, "not ok")) diag("%s", out);
    /* the conformance test itself must be able to fail: a plugin whose
     * scores are NaN */
    snprintf(cmd, sizeof cmd, "%s/prunebench check-plugin %s/template/nan_plugin.so 2>&1", b, b);
    int st = run_capture(cmd, out, sizeof out);
    ok(st != 0, "check-plugin rejects a plugin that returns NaN scores");
    ok(strstr(out, "not ok") != NULL && strstr(out, "must be finite") != NULL, "and says why");
    /* a method that trains its own network: its training facet is checked too */
    snprintf(cmd, sizeof cmd, "%s/prunebench check-plugin %s/plugins/svd.so 2>&1", b, b);
    is_int(run_capture(cmd, out, sizeof out), 0, "check-plugin accepts svd (trains its own network)");
    ok(strstr(out, "KL gradients match central differences") && strstr(out, "trains its own network") &&
           !strstr(out, "not ok"),
       "and checks its KL gradients and trains with its family");
    snprintf(cmd, sizeof cmd, "%s/prunebench check-plugin %s/template/badkl_plugin.so 2>&1", b, b);
    st = run_capture(cmd, out, sizeof out);
    ok(st != 0, "check-plugin rejects a training plugin whose KL gradient is wrong");
    ok(strstr(out, "not ok") && strstr(out, "central differences"), "and says which check failed");
    return done_testing();
}
