/* cmd_state.c: `vmjail state ID`: print the container's OCI state as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_state(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: vmjail [--root DIR] state ID\n\nPrints the OCI state of container ID "
               "(id, status, pid, bundle, annotations) as JSON.\n");
        return 0;
    }
    const char *id = cli_one_id("state", argc, argv, 1);
    if (id == NULL)
        return EXIT_VMJAIL_ERROR;
    vmjail_error *err = NULL;
    struct oci_state st;
    if (oci_state_open(cli_global.root, id, &st, &err) < 0)
        return cli_fail_container(err);
    char *json = oci_state_json(&st);
    oci_state_close(&st);
    if (json == NULL) {
        cli_error("state: out of memory");
        return EXIT_VMJAIL_ERROR;
    }
    puts(json);
    free(json);
    return 0;
}
