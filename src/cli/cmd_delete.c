/* cmd_delete.c: `vmjail delete [--force] ID`: remove a stopped container (with --force, kill
 * a running one first), its cgroup and its state, and run its poststop hooks. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_delete(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool force = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+fh", opts, NULL)) != -1) {
        if (c == 'f') {
            force = true;
        } else if (c == 'h') {
            printf("usage: vmjail [--root DIR] delete [--force] ID\n\n"
                   "Deletes container ID, which must be stopped or created; --force kills a\n"
                   "running one first.\n");
            return 0;
        } else {
            cli_error("delete: unknown option '%s'", argv[optind - 1]);
            return EXIT_VMJAIL_ERROR;
        }
    }
    const char *id = cli_one_id("delete", argc, argv, optind);
    if (id == NULL)
        return EXIT_VMJAIL_ERROR;
    vmjail_error *err = NULL;
    if (oci_container_delete(cli_global.root, id, force, &err) < 0) {
        /* runc: deleting a container that is already gone succeeds with --force. */
        if (force && vmjail_error_kind(err) == VMJAIL_ERR_NOTFOUND) {
            vmjail_error_free(err);
            return 0;
        }
        return cli_fail_container(err);
    }
    return 0;
}
