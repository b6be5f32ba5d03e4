/* run_snapshot.h: `vmjail run`'s snapshot options (run_snapshot.c; docs/cli.md). */
#ifndef VJ_RUN_SNAPSHOT_H
#define VJ_RUN_SNAPSHOT_H

#include <stdbool.h>

#include "vmjail.h"

/* getopt values of the options (outside the characters other options use). */
#define CLI_OPT_SNAPSHOT_AT 0x5301
#define CLI_OPT_SNAPSHOT_FILE 0x5302
#define CLI_OPT_SNAPSHOT_CONTINUE 0x5303
#define CLI_OPT_FROM 0x5304

#define CLI_SNAPSHOT_OPTIONS                                                                \
    {"snapshot-at", required_argument, NULL, CLI_OPT_SNAPSHOT_AT},                         \
        {"snapshot-file", required_argument, NULL, CLI_OPT_SNAPSHOT_FILE},                 \
        {"snapshot-continue", no_argument, NULL, CLI_OPT_SNAPSHOT_CONTINUE},               \
        {"from", required_argument, NULL, CLI_OPT_FROM}

struct cli_snapshot {
    int mark;          /* enum vmjail_snapshot_mark, or 0 */
    const char *file;  /* --snapshot-file */
    bool cont;         /* --snapshot-continue */
    const char *from;  /* --from */
};

/* Take option C (one of the above) with ARG.  0, or -1 after printing an error. */
int cli_snapshot_option(struct cli_snapshot *s, int c, const char *arg);
/* Check the combination and set it in CFG.  0; -1 after printing an error; -2 with *ERR. */
int cli_snapshot_apply(const struct cli_snapshot *s, vmjail_config *cfg, bool sandbox,
                       bool has_program, vmjail_error **err);

#endif
