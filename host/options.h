/* options.h -- a plugin's declared options (pb_option, ABI 1.5): checking
 * the table a plugin declares, parsing the user's "name=value,name=value"
 * string against it, and the effective values in declaration order.
 *
 * Every error is one line beginning with `who` (e.g. "plugin obd") and
 * quoting what was wrong: "plugin obd: option 'hessian=bogus': expected one
 * of gn|exact".
 */
#ifndef PB_OPTIONS_H
#define PB_OPTIONS_H

#include <stddef.h>
#include "plugins/prunebench.h"

#define PB_OPTIONS_MAX 32    /* options a plugin may declare */
#define PB_OPTION_TEXT 128   /* longest value text, with its terminating NUL */

/* The effective values of a table's options. value[k].s points into text[k],
 * so the struct must not be copied while the values are in use. */
typedef struct pb_option_values {
    size_t n;
    pb_value value[PB_OPTIONS_MAX];
    char text[PB_OPTIONS_MAX][PB_OPTION_TEXT];
} pb_option_values;

/* Check a declared table: at most PB_OPTIONS_MAX entries before the NULL
 * name, valid unique names, a known type, a doc line, an enum's choices, a
 * sane range, and a default that is itself a valid value. *n receives the
 * count. PB_ERR_PLUGIN with one line otherwise. */
int pb_options_check(const pb_option *table, const char *who, size_t *n);

/* Parse `given` (NULL or "": every default) against table[0..n) into out:
 * every option's default, then the given ones over them. PB_ERR_ARG with
 * one line on an unknown name, a repeated name, a token that is not
 * name=value, or a value of the wrong type, range or choice. */
int pb_options_parse(const pb_option *table, size_t n, const char *given, const char *who, pb_option_values *out);

/* "name=value,name=value" of every option in declaration order (the same
 * syntax --options takes), into buf; "" when n is 0. */
void pb_options_format(const pb_option *table, const pb_option_values *v, char *buf, size_t len);

/* What values an option takes, e.g. "int >= 1", "double in [0, 1]",
 * "string", "gn|exact". */
void pb_option_describe(const pb_option *o, char *buf, size_t len);

#endif
