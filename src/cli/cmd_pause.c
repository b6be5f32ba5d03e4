/* cmd_pause.c: `vmjail pause ID`: freeze every process of a container (its cgroup freezer). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_pause(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: vmjail [--root DIR] pause ID\n\nFreezes every process of container ID "
               "(resume thaws them).\n");
        return 0;
    }
    const char *id = cli_one_id("pause", argc, argv, 1);
    vmjail_error *err = NULL;
    if (id == NULL)
        return EXIT_VMJAIL_ERROR;
    if (oci_container_pause(cli_global.root, id, true, &err) < 0)
        return cli_fail_container(err);
    return 0;
}
