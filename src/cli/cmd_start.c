/* cmd_start.c: `vmjail start ID`: let a created container's process run its payload. */
#include <string.h>
#include <stdio.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_start(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: vmjail [--root DIR] start ID\n\nStarts created container ID: its "
               "payload runs its first instruction.\n");
        return 0;
    }
    const char *id = cli_one_id("start", argc, argv, 1);
    if (id == NULL)
        return EXIT_VMJAIL_ERROR;
    vmjail_error *err = NULL;
    if (oci_container_start(cli_global.root, id, &err) < 0)
        return cli_fail_container(err);
    return 0;
}
