/* run_sandbox.h: `vmjail run`'s confinement options, collected while the command line is
 * parsed and run through the sandbox (run_sandbox.c). */
#ifndef VJ_CLI_RUN_SANDBOX_H
#define VJ_CLI_RUN_SANDBOX_H

#include "oci/oci.h"

#define CLI_SANDBOX_MAX 64 /* volumes, tmpfs mounts, --env entries */

struct cli_sandbox {
    struct oci_sandbox_opts o;
    struct oci_sandbox_volume volumes[CLI_SANDBOX_MAX];
    struct oci_sandbox_port ports[CLI_SANDBOX_MAX];
    const char *tmpfs[CLI_SANDBOX_MAX];
    char *env[CLI_SANDBOX_MAX];
    size_t n_env;
    char *owned[CLI_SANDBOX_MAX]; /* the copies the volumes point into */
    size_t n_owned;
    const char *first; /* the first option given that needs --root */
};

/* Take option C (the letter cmd_run gives it) with ARG; -1 after printing an error. */
int cli_sandbox_option(struct cli_sandbox *s, int c, const char *arg);
/* Add an --env NAME=VALUE entry (ENTRY stays the caller's). */
int cli_sandbox_env(struct cli_sandbox *s, const char *entry);
/* Is any option given that makes the run a sandbox? */
static inline bool cli_sandbox_wanted(const struct cli_sandbox *s)
{
    return s->o.root != NULL || s->first != NULL;
}
/* Run ARGS (the program and its arguments) in the sandbox; the exit code to exit with. */
int cli_sandbox_run(struct cli_sandbox *s, char **args);
void cli_sandbox_free(struct cli_sandbox *s);

#endif
