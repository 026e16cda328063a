/* util.c -- see util.h. */
#define _POSIX_C_SOURCE 200809L
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>

static _Thread_local char last_error[1024];

const char *pb_strerror(int status)
{
    switch (status) {
    case PB_OK: return "success";
    case PB_ERR_NOMEM: return "out of memory";
    case PB_ERR_IO: return "input/output error";
    case PB_ERR_FORMAT: return "malformed input";
    case PB_ERR_ARG: return "invalid argument";
    case PB_ERR_PLUGIN: return "plugin error";
    case PB_ERR_NUMERIC: return "numerical failure";
    case PB_PAUSED: return "paused";
    default: return "unknown error";
    }
}

int pb_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *pb_last_error(void)
{
    return last_error[0] ? last_error : "no error recorded";
}

void *pb_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) pb_error(PB_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

uint64_t pb_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t pb_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t hash_field(uint64_t h, const char *s)
{
    static const char sep = 0x1f;
    if (s) h = pb_fnv1a(h, s, strlen(s));
    return pb_fnv1a(h, &sep, 1);
}

uint64_t pb_seed(const char *experiment, const char *dataset, const char *model,
                 const char *method, unsigned repeat, const char *purpose)
{
    char rep[32];
    snprintf(rep, sizeof rep, "%u", repeat);
    uint64_t h = PB_FNV_OFFSET;
    h = hash_field(h, experiment);
    h = hash_field(h, dataset);
    h = hash_field(h, model);
    h = hash_field(h, method);
    h = hash_field(h, rep);
    h = hash_field(h, purpose);
    return pb_mix64(h);
}

/* The directory part of path ("." when it has none) into dir, and where
 * its last component starts. 0 if it does not fit. */
static int split_path(const char *path, char *dir, size_t len, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    size_t dl = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 1;
    if (dl >= len) return 0;
    memcpy(dir, slash ? path : ".", dl);
    dir[dl] = '\0';
    return 1;
}

int pb_out_check(const char *path)
{
    char dir[4096];
    const char *base;
    struct stat s;
    if (!*path) return pb_error(PB_ERR_IO, "cannot write '': an empty path");
    if (!split_path(path, dir, sizeof dir, &base)) return pb_error(PB_ERR_IO, "cannot write %s: path too long", path);
    int exists = stat(path, &s) == 0;
    if (!*base || (exists && S_ISDIR(s.st_mode)))
        return pb_error(PB_ERR_IO, "cannot write %s: it is a directory", path);
    if (exists && !S_ISREG(s.st_mode) && access(path, W_OK) == 0) return PB_OK;   /* /dev/null */
    if (stat(dir, &s) != 0)
        return pb_error(PB_ERR_IO, "cannot write %s: directory %s: %s", path, dir, strerror(errno));
    if (!S_ISDIR(s.st_mode)) return pb_error(PB_ERR_IO, "cannot write %s: %s is not a directory", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return pb_error(PB_ERR_IO, "cannot write %s: directory %s: %s", path, dir, strerror(errno));
    return PB_OK;
}

size_t pb_out_remove_stale(const char *path)
{
    char dir[4096], file[8192];
    const char *base;
    if (!split_path(path, dir, sizeof dir, &base) || !*base) return 0;
    size_t bl = strlen(base), removed = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strncmp(n, base, bl) || strncmp(n + bl, ".tmp.", 5)) continue;
        const char *digits = n + bl + 5;
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (!isdigit((unsigned char)*digits) || *end || errno || pid <= 0 || pid == (long)getpid()) continue;
        /* ESRCH: no such process (EPERM means one lives, of another user) */
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        if ((size_t)snprintf(file, sizeof file, "%s/%s", dir, n) < sizeof file && unlink(file) == 0) removed++;
    }
    closedir(d);
    return removed;
}

int pb_out_open(pb_outfile *o, const char *path)
{
    memset(o, 0, sizeof *o);
    pb_out_remove_stale(path);
    size_t len = strlen(path) + 32;
    o->path = strdup(path);
    o->tmp = malloc(len);
    if (!o->path || !o->tmp) {
        pb_out_abort(o);
        return pb_error(PB_ERR_NOMEM, "out of memory");
    }
    snprintf(o->tmp, len, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        int e = errno;
        pb_out_abort(o);
        return pb_error(PB_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return PB_OK;
}

int pb_out_commit(pb_outfile *o)
{
    int st = PB_OK;
    if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0) {
        st = pb_error(PB_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
    }
    if (fclose(o->f) != 0 && st == PB_OK)
        st = pb_error(PB_ERR_IO, "cannot close %s: %s", o->path, strerror(errno));
    o->f = NULL;
    if (st == PB_OK && rename(o->tmp, o->path) != 0)
        st = pb_error(PB_ERR_IO, "cannot rename %s to %s: %s", o->tmp, o->path, strerror(errno));
    if (st != PB_OK) remove(o->tmp);
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    return st;
}

void pb_out_abort(pb_outfile *o)
{
    if (o->f) fclose(o->f);
    if (o->tmp) remove(o->tmp);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

void pb_rng_seed(void *r, uint64_t seed)
{
    gsl_rng_set((gsl_rng *)r, (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffULL));
}

void pb_tex_camel(const char *s, char *out, size_t len)
{
    static const char *digit[] = {"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"};
    size_t k = 0;
    int up = 1;
    if (!len) return;
    for (; *s && k + 6 < len; s++) {
        if (isdigit((unsigned char)*s)) { k += (size_t)snprintf(out + k, len - k, "%s", digit[*s - '0']); up = 1; }
        else if (isalpha((unsigned char)*s)) { out[k++] = (char)(up ? toupper((unsigned char)*s) : *s); up = 0; }
        else up = 1;
    }
    out[k] = '\0';
}

void pb_tex_escape(const char *s, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (; *s; s++) {
        char one[2] = {*s, '\0'};
        const char *r = one;
        switch (*s) {
        case '\\': r = "\\textbackslash{}"; break;
        case '{': r = "\\{"; break;
        case '}': r = "\\}"; break;
        case '$': r = "\\$"; break;
        case '&': r = "\\&"; break;
        case '#': r = "\\#"; break;
        case '_': r = "\\_"; break;
        case '%': r = "\\%"; break;
        case '^': r = "\\^{}"; break;
        case '~': r = "\\~{}"; break;
        case '|': r = "\\textbar{}"; break;
        case '<': r = "\\textless{}"; break;
        case '>': r = "\\textgreater{}"; break;
        default: break;
        }
        size_t k = strlen(r);
        if (n + k + 1 > len) break;
        memcpy(out + n, r, k + 1);
        n += k;
    }
}

static int cmp_double_asc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t pb_sort_unique(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double_asc);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || v[i] != v[u - 1]) v[u++] = v[i];
    return u;
}

FILE *pb_fopen_read(const char *path, const char *mode)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat s;
    int e = fstat(fd, &s) != 0 ? errno : !S_ISREG(s.st_mode) ? EINVAL : 0;
    if (e) {
        close(fd);
        errno = e;
        return NULL;
    }
    /* blocking reads from here on (a regular file never blocks anyway) */
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, mode);
    if (!f) {
        e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

const char *pb_open_strerror(int e)
{
    return e == EINVAL ? "not a regular file (a directory, FIFO, socket or device)" : strerror(e);
}

uint64_t pb_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
            fclose(f);
            return (uint64_t)kb * 1024;
        }
    if (f) fclose(f);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

double pb_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
