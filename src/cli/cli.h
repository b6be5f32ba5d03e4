/* cli.h: the vmjail command line: the subcommand table, exit codes, and error printing. */
#ifndef VJ_CLI_H
#define VJ_CLI_H

#include "vmjail.h"

/* Exit codes of vmjail's own failures (a payload's exit status is passed on unchanged, and a
 * payload ended by signal N gives 128+N). */
#define EXIT_VMJAIL_ERROR 125  /* vmjail failed, or a bad option */
#define EXIT_CANNOT_EXEC 126   /* the program cannot be executed */
#define EXIT_NOT_FOUND 127     /* the program was not found */

struct cli_command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the command's name */
};

int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);

extern const struct cli_command cli_commands[];

/* Print "vmjail: MESSAGE" on one line to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print ERR on one line, free it, and return the exit code for its kind. */
int cli_fail(vmjail_error *err);

#endif
