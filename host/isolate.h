/* isolate.h -- plugin code run in a child process with a time limit.
 *
 * Every call into a plugin (its constructors at load, create, relevance or
 * order, settings, destroy, the training hooks of check-plugin) goes through
 * pb_isolate (the training hooks of `train --method` through the server
 * below): the host fork()s, the child runs the call on its own copy of
 * the host's memory (so the host services it calls -- loss, gradient,
 * Hessian-vector products, BLAS -- run there too) and hands its results
 * back through a MAP_SHARED mapping sized before the fork. Whatever the
 * plugin does -- crash, abort, overflow its stack, write past a buffer,
 * call exit() or _exit(), raise a signal, loop or sleep past the limit --
 * the host's memory is untouched and the failure becomes one line:
 *   plugin 'NAME': HOOK: killed by SIGSEGV
 *   plugin 'NAME': HOOK: timed out after 600 s
 *   plugin 'NAME': HOOK: exited with status 0 without returning
 * HOOK is the hook running when it happened (the child names each hook as
 * it enters it: pb_isolate_hook), and the time limit applies per hook.
 *
 * The child computes exactly what the same call would compute in the host
 * (same memory image, same seeded streams), so results are bit-identical
 * with and without isolation; a timeout of 0 turns isolation off (the call
 * runs in the host process, for debugging under gdb or valgrind).
 */
#ifndef PB_ISOLATE_H
#define PB_ISOLATE_H

#include <stddef.h>

/* The time limit per hook, in seconds, for every later call; 0: no child
 * process. The default is $PB_PLUGIN_TIMEOUT if set (a number >= 0), else
 * PB_PLUGIN_TIMEOUT_DEFAULT. Returns status (a negative or non-finite
 * value is refused). */
#define PB_PLUGIN_TIMEOUT_DEFAULT 600.0
#define PB_PLUGIN_TIMEOUT_ENV "PB_PLUGIN_TIMEOUT"
int pb_plugin_set_timeout(double seconds);
double pb_plugin_timeout(void);

/* Run fn(arg, io) for plugin `plugin` (its name, for the message), hook
 * `hook` (until the child names another). io (io_size bytes) is in and
 * out: the child sees its contents and writes its results there; the host
 * copies them back only when fn returned. Returns fn's status (with its
 * pb_last_error message) or, if the child did not return, PB_ERR_PLUGIN
 * with the one line above. With isolation off: fn(arg, io), directly. */
int pb_isolate(const char *plugin, const char *hook, int (*fn)(void *arg, void *io), void *arg, void *io,
               size_t io_size);

/* 1 if pb_isolate would fork: isolation is on and this is not already a child. */
int pb_isolate_active(void);

/* In the child: the hook about to run (a string literal), for the message
 * and for its own time limit. A no-op in the host. */
void pb_isolate_hook(const char *hook);

/* Hooks called many times in a row (the training hooks, at every
 * minibatch): one child for the whole series instead of a fork per call.
 * pb_isolate_server_start forks a child that waits for calls; each
 * pb_isolate_server_call(s, hook, op) has it run fn(arg, op, io) on the
 * shared io (io_size bytes, pb_isolate_server_io: the host writes the
 * inputs there before the call and reads the results after it) and waits
 * for the answer under the same time limit per hook, with the same one
 * line when the child does not answer. The child keeps its memory from
 * call to call (a plugin's state evolves there exactly as it would in the
 * host); it ignores SIGINT and SIGTERM (the host's to act on) and ends
 * with the host or at pb_isolate_server_stop. After a failure every call
 * returns the same status and line. A round trip costs two context
 * switches (docs/architecture.md, "Speed").
 * With isolation off (or in a child) start sets *s = NULL and returns
 * PB_OK: the caller then calls in process. */
typedef struct pb_isolate_server pb_isolate_server;
int pb_isolate_server_start(pb_isolate_server **s, const char *plugin, int (*fn)(void *arg, int op, void *io),
                            void *arg, size_t io_size);
void *pb_isolate_server_io(pb_isolate_server *s);
int pb_isolate_server_call(pb_isolate_server *s, const char *hook, int op);
void pb_isolate_server_stop(pb_isolate_server *s);  /* NULL: nothing */

#endif
