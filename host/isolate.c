/* isolate.c -- see isolate.h. */
#define _GNU_SOURCE
#include "host/isolate.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* What the child tells the host, at the start of the shared mapping. */
typedef struct shared_state {
    volatile int returned;       /* 1 once fn returned and io holds its results */
    volatile int status;         /* fn's status */
    volatile double hook_start;  /* when the current hook began (pb_seconds) */
    char hook[48];               /* the current hook */
    char error[1024];            /* pb_last_error() when status != 0 */
} shared_state;

static double timeout_s = -2;           /* -2: not yet read from the environment; -1: the variable is invalid */
static shared_state *in_child = NULL;   /* the child's shared state; NULL in the host */

static int parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < 0 || v > 1e9) return 0;
    *out = v;
    return 1;
}

int pb_plugin_set_timeout(double seconds)
{
    if (!isfinite(seconds) || seconds < 0 || seconds > 1e9)
        return pb_error(PB_ERR_ARG, "plugin timeout %g s: expected a number of seconds >= 0 (0: no isolation)", seconds);
    timeout_s = seconds;
    return PB_OK;
}

double pb_plugin_timeout(void)
{
    if (timeout_s == -2) {
        const char *e = getenv(PB_PLUGIN_TIMEOUT_ENV);
        timeout_s = PB_PLUGIN_TIMEOUT_DEFAULT;
        if (e && *e && !parse_seconds(e, &timeout_s)) timeout_s = -1;
    }
    return timeout_s;
}

int pb_isolate_active(void) { return !in_child && pb_plugin_timeout() != 0; }

void pb_isolate_hook(const char *hook)
{
    if (!in_child) return;
    snprintf(in_child->hook, sizeof in_child->hook, "%s", hook);
    in_child->hook_start = pb_seconds();
}

/* "SIGSEGV" for the signals a faulty plugin meets, else "signal N". */
static const char *signal_name(int sig, char *buf, size_t len)
{
    static const struct { int sig; const char *name; } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"},
        {SIGILL, "SIGILL"},   {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"},
        {SIGQUIT, "SIGQUIT"}, {SIGHUP, "SIGHUP"},   {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},
        {SIGTRAP, "SIGTRAP"}, {SIGSYS, "SIGSYS"},   {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"},
        {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
    };
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (names[k].sig == sig) return names[k].name;
    snprintf(buf, len, "signal %d", sig);
    return buf;
}

/* The one line for a child that did not return. */
static int child_failure(const char *plugin, const char *hook, int wstatus, int timed_out, double limit)
{
    char sig[32];
    if (timed_out) return pb_error(PB_ERR_PLUGIN, "plugin '%s': %s: timed out after %g s", plugin, hook, limit);
    if (WIFSIGNALED(wstatus))
        return pb_error(PB_ERR_PLUGIN, "plugin '%s': %s: killed by %s", plugin, hook,
                        signal_name(WTERMSIG(wstatus), sig, sizeof sig));
    if (WIFEXITED(wstatus))
        return pb_error(PB_ERR_PLUGIN, "plugin '%s': %s: exited with status %d without returning", plugin, hook,
                        WEXITSTATUS(wstatus));
    return pb_error(PB_ERR_PLUGIN, "plugin '%s': %s: ended without returning (wait status 0x%x)", plugin, hook,
                    (unsigned)wstatus);
}

/* In the child: run fn, publish its status, leave without running the
 * host's exit handlers. */
static _Noreturn void child_main(shared_state *sh, pid_t host, int fd, int (*fn)(void *, void *), void *arg, void *io)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* a killed host takes its child with it */
    if (getppid() != host) _exit(126);
#else
    (void)host;
#endif
    in_child = sh;
    int st = fn(arg, io);
    sh->status = st;
    if (st) snprintf(sh->error, sizeof sh->error, "%s", pb_last_error());
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    sh->returned = 1;
    fflush(NULL);
    close(fd);
    _exit(0);
}

int pb_isolate(const char *plugin, const char *hook, int (*fn)(void *arg, void *io), void *arg, void *io,
               size_t io_size)
{
    double limit = pb_plugin_timeout();
    if (limit < 0)
        return pb_error(PB_ERR_ARG, "$%s='%s': expected a number of seconds >= 0 (0: no isolation)",
                        PB_PLUGIN_TIMEOUT_ENV, getenv(PB_PLUGIN_TIMEOUT_ENV));
    /* off, or already in a child (one child runs the whole isolated call) */
    if (limit == 0 || in_child) {
        if (in_child) pb_isolate_hook(hook);
        return fn(arg, io);
    }
    size_t head = (sizeof(shared_state) + 63) / 64 * 64, size = head + io_size;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return pb_error(PB_ERR_NOMEM, "plugin '%s': %s: cannot map %zu bytes for its results: %s", plugin, hook, size,
                        strerror(errno));
    shared_state *sh = map;
    unsigned char *shared_io = (unsigned char *)map + head;
    memset(sh, 0, sizeof *sh);
    snprintf(sh->hook, sizeof sh->hook, "%s", hook);
    if (io_size) memcpy(shared_io, io, io_size);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        munmap(map, size);
        return pb_error(PB_ERR_IO, "plugin '%s': %s: pipe: %s", plugin, hook, strerror(errno));
    }
    fflush(NULL);  /* nothing buffered twice */
    pid_t host = getpid();
    sh->hook_start = pb_seconds();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]), close(fds[1]), munmap(map, size);
        return pb_error(PB_ERR_IO, "plugin '%s': %s: fork: %s", plugin, hook, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(sh, host, fds[1], fn, arg, shared_io);
    }
    close(fds[1]);
    /* Wait for the child to end, or the current hook's time limit. The
     * child's end of the pipe closes when it exits: poll() on it, waking at
     * least once a second (the hook, and so its deadline, changes; a
     * grandchild may hold the pipe open); once it is closed (or a plugin
     * closed it), look every millisecond. */
    int wstatus = 0, timed_out = 0, pipe_open = 1;
    char hook_now[sizeof sh->hook];
    for (;;) {
        pid_t w = waitpid(pid, &wstatus, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) break;
        double deadline = sh->hook_start + limit, now = pb_seconds();
        if (now >= deadline) {
            memcpy(hook_now, sh->hook, sizeof hook_now);
            kill(pid, SIGKILL);
            while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}
            timed_out = 1;
            break;
        }
        double wait = deadline - now < 1 ? deadline - now : 1;
        if (pipe_open) {
            struct pollfd pfd = {fds[0], POLLIN, 0};
            int r = poll(&pfd, 1, (int)ceil(wait * 1000));
            if (r > 0) {
                char c;
                if (read(fds[0], &c, 1) <= 0) pipe_open = 0;
            }
        } else {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    close(fds[0]);
    if (!timed_out) memcpy(hook_now, sh->hook, sizeof hook_now);
    hook_now[sizeof hook_now - 1] = '\0';
    int st;
    if (!timed_out && sh->returned && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        st = sh->status;
        if (io_size) memcpy(io, shared_io, io_size);
        if (st) {
            sh->error[sizeof sh->error - 1] = '\0';
            pb_error(st, "%s", sh->error);
        }
    } else {
        st = child_failure(plugin, hook_now, wstatus, timed_out, limit);
    }
    munmap(map, size);
    return st;
}

/* ---- one child for a series of calls ---- */

struct pb_isolate_server {
    char plugin[128];
    pid_t pid;
    int fd;               /* the host's end of the socket pair */
    void *map;            /* shared_state, then io */
    size_t size, head;
    int failed;           /* once the child failed: its status; every later call returns it */
    char why[1024];       /* and its line */
};

/* In the child: wait for an op, run it, answer, until the host closes its
 * end. SIGINT and SIGTERM are the host's to handle (it checkpoints and
 * then closes the socket); a child outlives no host (PR_SET_PDEATHSIG). */
static _Noreturn void server_main(shared_state *sh, pid_t host, int fd, int (*fn)(void *, int, void *), void *arg,
                                  void *io)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != host) _exit(126);
#else
    (void)host;
#endif
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    in_child = sh;
    for (;;) {
        unsigned char op;
        ssize_t r = recv(fd, &op, 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r != 1) break;
        int st = fn(arg, op, io);
        sh->status = st;
        if (st) snprintf(sh->error, sizeof sh->error, "%s", pb_last_error());
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        sh->returned = 1;
        if (send(fd, &op, 1, MSG_NOSIGNAL) != 1) break;
    }
    fflush(NULL);
    _exit(0);
}

int pb_isolate_server_start(pb_isolate_server **out, const char *plugin, int (*fn)(void *arg, int op, void *io),
                            void *arg, size_t io_size)
{
    *out = NULL;
    double limit = pb_plugin_timeout();
    if (limit < 0)
        return pb_error(PB_ERR_ARG, "$%s='%s': expected a number of seconds >= 0 (0: no isolation)",
                        PB_PLUGIN_TIMEOUT_ENV, getenv(PB_PLUGIN_TIMEOUT_ENV));
    if (limit == 0 || in_child) return PB_OK;  /* the caller calls in process */
    pb_isolate_server *s = pb_calloc(1, sizeof *s);
    if (!s) return PB_ERR_NOMEM;
    snprintf(s->plugin, sizeof s->plugin, "%s", plugin);
    s->head = (sizeof(shared_state) + 63) / 64 * 64, s->size = s->head + io_size;
    s->map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->map == MAP_FAILED) {
        free(s);
        return pb_error(PB_ERR_NOMEM, "plugin '%s': cannot map %zu bytes for its hooks: %s", plugin, io_size,
                        strerror(errno));
    }
    memset(s->map, 0, sizeof(shared_state));
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        int e = errno;
        munmap(s->map, s->size), free(s);
        return pb_error(PB_ERR_IO, "plugin '%s': socketpair: %s", plugin, strerror(e));
    }
    fflush(NULL);
    pid_t host = getpid();
    s->pid = fork();
    if (s->pid < 0) {
        int e = errno;
        close(fds[0]), close(fds[1]), munmap(s->map, s->size), free(s);
        return pb_error(PB_ERR_IO, "plugin '%s': fork: %s", plugin, strerror(e));
    }
    if (s->pid == 0) {
        close(fds[0]);
        server_main(s->map, host, fds[1], fn, arg, (unsigned char *)s->map + s->head);
    }
    close(fds[1]);
    s->fd = fds[0];
    *out = s;
    return PB_OK;
}

void *pb_isolate_server_io(pb_isolate_server *s) { return (unsigned char *)s->map + s->head; }

int pb_isolate_server_call(pb_isolate_server *s, const char *hook, int op)
{
    if (s->failed) return pb_error(s->failed, "%s", s->why);
    shared_state *sh = s->map;
    double limit = pb_plugin_timeout();
    snprintf(sh->hook, sizeof sh->hook, "%s", hook);
    sh->returned = 0;
    sh->hook_start = pb_seconds();
    unsigned char c = (unsigned char)op;
    int timed_out = 0, ended = 0;
    if (send(s->fd, &c, 1, MSG_NOSIGNAL) != 1) ended = 1;  /* the child is gone */
    /* the answer, or the end of the child (its end of the socket closes),
     * or the current hook's deadline (poll wakes at least once a second:
     * the child may name another hook) */
    while (!ended) {
        double deadline = sh->hook_start + limit, now = pb_seconds();
        if (now >= deadline) {
            timed_out = 1;
            break;
        }
        double wait = deadline - now < 1 ? deadline - now : 1;
        struct pollfd pfd = {s->fd, POLLIN, 0};
        int r = poll(&pfd, 1, (int)ceil(wait * 1000));
        if (r < 0 && errno != EINTR) ended = 1;
        if (r <= 0) continue;
        ssize_t n = recv(s->fd, &c, 1, 0);
        if (n == 1 && sh->returned) {
            int st = sh->status;
            if (st) {
                sh->error[sizeof sh->error - 1] = '\0';
                pb_error(st, "%s", sh->error);
            }
            return st;
        }
        if (n < 0 && errno == EINTR) continue;
        ended = 1;
    }
    char hook_now[sizeof sh->hook];
    memcpy(hook_now, sh->hook, sizeof hook_now);
    hook_now[sizeof hook_now - 1] = '\0';
    int wstatus = 0;
    if (timed_out) {
        kill(s->pid, SIGKILL);
    } else {
        /* an end of the socket without an exit is a plugin that closed it: give the child a moment, then kill it */
        for (int k = 0; k < 100 && waitpid(s->pid, &wstatus, WNOHANG) == 0; k++) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        kill(s->pid, SIGKILL);
    }
    while (waitpid(s->pid, &wstatus, 0) < 0 && errno == EINTR) {}
    s->pid = 0;
    s->failed = child_failure(s->plugin, hook_now, wstatus, timed_out, limit);
    snprintf(s->why, sizeof s->why, "%s", pb_last_error());
    return s->failed;
}

void pb_isolate_server_stop(pb_isolate_server *s)
{
    if (!s) return;
    close(s->fd);  /* the child reads the end and leaves */
    if (s->pid > 0) {
        int wstatus;
        double end = pb_seconds() + 1;
        while (waitpid(s->pid, &wstatus, WNOHANG) == 0 && pb_seconds() < end) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        if (waitpid(s->pid, &wstatus, WNOHANG) == 0) {
            kill(s->pid, SIGKILL);
            while (waitpid(s->pid, &wstatus, 0) < 0 && errno == EINTR) {}
        }
    }
    munmap(s->map, s->size);
    free(s);
}
