/* cmd_resume.c: `vmjail resume ID`: thaw a paused container. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_resume(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: vmjail [--root DIR] resume ID\n\nThaws paused container ID.\n");
        return 0;
    }
    const char *id = cli_one_id("resume", argc, argv, 1);
    vmjail_error *err = NULL;
    if (id == NULL)
        return EXIT_VMJAIL_ERROR;
    if (oci_container_pause(cli_global.root, id, false, &err) < 0)
        return cli_fail_container(err);
    return 0;
}
