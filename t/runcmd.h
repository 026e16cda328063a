/* runcmd.h -- run a shell command from a test and capture its stdout
 * (header-only; append 2>&1 to the command for stderr too). */
#ifndef PB_RUNCMD_H
#define PB_RUNCMD_H

#include <stdio.h>
#include <sys/wait.h>

/* Run cmd; its stdout into out (NUL-terminated, at most len - 1 bytes).
 * Returns the exit status, or -1 if it could not run or did not exit. */
static inline int run_capture(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
