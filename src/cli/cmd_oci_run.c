/* cmd_oci_run.c: runc's `run`: create and start a container, and (unless --detach) wait for
 * it and exit as its process exits. */
#include <stdio.h>

#include "cli/cli.h"
#include "oci/oci.h"

static const char usage[] =
    "usage: vmjail [--root DIR] run [--bundle DIR] [--detach] [--pid-file FILE]\n"
    "                               [--console-socket PATH] [--no-pivot] [--preserve-fds N] ID\n"
    "\n"
    "runc's run: creates container ID from the bundle, starts it, and without --detach waits\n"
    "for it, passing signals on, then deletes it and exits with its exit status.  vmjail takes\n"
    "`run` in this form when --root comes before it or one of these options follows it;\n"
    "otherwise `vmjail run PROGRAM` runs one program (see 'vmjail run --help').\n";

int cmd_oci_run(int argc, char **argv)
{
    struct oci_create_opts opts = {0};
    int r = cli_parse_create(argc, argv, &opts, true);
    if (r == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (r < 0)
        return EXIT_VMJAIL_ERROR;
    vmjail_error *err = NULL;
    int status = 0;
    if (oci_container_create(&opts, &status, &err) < 0)
        return cli_fail_container(err);
    if (!opts.foreground && oci_container_start(opts.root, opts.id, &err) < 0)
        return cli_fail_container(err);
    return opts.foreground ? status : 0;
}
