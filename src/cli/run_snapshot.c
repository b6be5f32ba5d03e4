/* run_snapshot.c: `vmjail run`'s snapshot options (--snapshot-at, --snapshot-file,
 * --snapshot-continue, --from), kept apart from cmd_run.c's other options. */
#include "cli/run_snapshot.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_snapshot_option(struct cli_snapshot *s, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_SNAPSHOT_AT:
        s->mark = vmjail_snapshot_mark_by_name(arg);
        if (s->mark < 0) {
            cli_error("--snapshot-at: '%s' is not read-stdin, accept or call", arg);
            return -1;
        }
        return 0;
    case CLI_OPT_SNAPSHOT_FILE:
        s->file = arg;
        return 0;
    case CLI_OPT_SNAPSHOT_CONTINUE:
        s->cont = true;
        return 0;
    case CLI_OPT_FROM:
        s->from = arg;
        return 0;
    }
    return -1;
}

int cli_snapshot_apply(const struct cli_snapshot *s, vmjail_config *cfg, bool sandbox,
                       bool has_program, vmjail_error **err)
{
    if ((s->file || s->cont) && s->mark <= 0) {
        cli_error("--snapshot-file and --snapshot-continue need --snapshot-at");
        return -1;
    }
    if (s->mark > 0 && s->file == NULL) {
        cli_error("--snapshot-at needs --snapshot-file FILE");
        return -1;
    }
    if (s->from && (s->mark > 0 || has_program)) {
        cli_error("--from takes no program and no --snapshot-at");
        return -1;
    }
    if ((s->from || s->mark > 0) && sandbox) {
        cli_error("snapshots are not taken or restored with --root yet");
        return -1;
    }
    if (s->mark > 0 && vmjail_config_set_snapshot(cfg, s->mark, s->file, s->cont, err) < 0)
        return -2;
    if (s->from && vmjail_config_set_restore(cfg, s->from, err) < 0)
        return -2;
    return 0;
}
