/* cli.h: the vmjail command line: the subcommand table, exit codes, and error printing. */
#ifndef VJ_CLI_H
#define VJ_CLI_H

#include <stdbool.h>
#include <stdint.h>

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
/* The OCI runtime's commands (runc-compatible). */
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_oci_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_unsupported(int argc, char **argv);
/* The image commands (src/image): in the static command, each runs the dynamically linked
 * helper vmjail-image (image_exec.c), which has them. */
int cmd_pull(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_box(int argc, char **argv);
/* The functions-as-a-service gateway and its client (src/faas), in vmjail-image too. */
int cmd_serve(int argc, char **argv);
int cmd_fn(int argc, char **argv);

extern const struct cli_command cli_commands[];

/* The global options of the OCI runtime's command line (before the command). */
struct cli_global {
    const char *root;      /* --root: where container state lives (default /run/vmjail) */
    int log_fd;            /* --log: errors are also written here (-1: none) */
    bool log_json;         /* --log-format json */
    bool root_given;       /* --root was on the command line */
    bool systemd_cgroup;   /* --systemd-cgroup: accepted; cgroupfs behaviour */
    const char *store;     /* --store: the image store (NULL: the default) */
    int argc;              /* the whole command line, as main() got it */
    char **argv;
};
extern struct cli_global cli_global;

/* Parse the global options at the front of ARGV; returns how many arguments they took, or
 * -1 after printing an error. */
int cli_parse_global(int argc, char **argv);
/* A signal given by name ("TERM", "SIGTERM") or number; 0 if it is neither. */
int cli_parse_signal(const char *s);
/* Parse "512M", "2G", "1073741824" into bytes; 0 if it is not a size. */
uint64_t cli_parse_size(const char *s);
/* The options of create and runc-style run; returns optind, -1 after an error, 0 after
 * --help. */
struct oci_create_opts;
int cli_parse_create(int argc, char **argv, struct oci_create_opts *opts, bool with_run);
/* For the container commands: print ERR, free it, return 125 whatever its kind (126 and
 * 127 are a payload's statuses, not an unknown container's). */
int cli_fail_container(vmjail_error *err);
/* Exactly one container id among the remaining arguments, or print an error and return NULL. */
const char *cli_one_id(const char *cmd, int argc, char **argv, int optind_);

/* The option loop of the image and box commands (image_opts.c): getopt_long over SHORTS
 * and LONGS; -h/--help prints USAGE and gives 0; ON(c, optarg, CTX) takes every other option
 * (< 0: refused, its message printed); an unknown option gives -1.  Else optind (> 0). */
struct option;
int cli_getopts(int argc, char **argv, const char *shorts, const struct option *longs,
                const char *usage, int (*on)(int c, const char *arg, void *ctx), void *ctx);
/* --format json|table: *JSON set; -1 after an error naming CMD. */
int cli_parse_format(const char *cmd, const char *arg, bool *json);
/* The options of the listing commands (images, box ls), for cli_getopts: -a, -q, --no-trunc
 * ('n'), --format ('f'). */
struct cli_list_opts {
    const char *cmd;
    bool all, quiet, notrunc, json;
};
int cli_list_option(int c, const char *arg, void *ctx);

/* Open the image store (--store, $VMJAIL_STORE or the default): for the image commands. */
struct img_store;
int cli_store_open(bool write, struct img_store **s);

/* Print "vmjail: MESSAGE" on one line to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print ERR on one line, free it, and return the exit code for its kind. */
int cli_fail(vmjail_error *err);

#endif
