/* cmd_list.c: `vmjail list`: the containers under --root, as a table or JSON. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false, quiet = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+f:qh", opts, NULL)) != -1) {
        if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0)) {
            json = strcmp(optarg, "json") == 0;
        } else if (c == 'q') {
            quiet = true;
        } else if (c == 'h') {
            printf("usage: vmjail [--root DIR] list [--format table|json] [--quiet]\n\n"
                   "Lists the containers under --root.\n");
            return 0;
        } else {
            cli_error("list: bad option '%s'", argv[optind - 1]);
            return EXIT_VMJAIL_ERROR;
        }
    }
    vmjail_error *err = NULL;
    char **ids = oci_state_list(cli_global.root, &err);
    if (ids == NULL)
        return cli_fail_container(err);
    json_object *arr = json_object_new_array();
    if (!json && !quiet)
        printf("%-24s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
    for (char **id = ids; *id; id++) {
        struct oci_state st;
        if (oci_state_open(cli_global.root, *id, &st, NULL) < 0)
            continue; /* deleted meanwhile */
        enum oci_status s = oci_state_status(&st);
        int pid = s == OCI_STOPPED ? 0 : (int)st.pid;
        if (quiet) {
            printf("%s\n", *id);
        } else if (json) {
            char *one = oci_state_json(&st);
            json_object *o = one ? json_tokener_parse(one) : NULL;
            if (o)
                json_object_array_add(arr, o);
            free(one);
        } else {
            printf("%-24s %-8d %-10s %-40s %s\n", *id, pid, oci_status_name(s), st.bundle,
                   st.created);
        }
        oci_state_close(&st);
    }
    if (json)
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
    oci_free_strv(ids);
    return 0;
}
