/* cmd_ps.c: `vmjail ps ID`: the processes of a container (each a monitor with its VM). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "oci/oci.h"

static void print_cmdline(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    size_t len = 0;
    char *cmd = oci_read_file(path, &len, NULL);
    for (size_t i = 0; cmd && i + 1 < len; i++)
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    printf("%-8d %s\n", (int)pid, cmd ? cmd : "?");
    free(cmd);
}

int cmd_ps(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+f:h", opts, NULL)) != -1) {
        if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0)) {
            json = strcmp(optarg, "json") == 0;
        } else if (c == 'h') {
            printf("usage: vmjail [--root DIR] ps [--format table|json] ID\n\n"
                   "Lists the processes of container ID (host pids; json: an array of them).\n");
            return 0;
        } else {
            cli_error("ps: bad option '%s'", argv[optind - 1]);
            return EXIT_VMJAIL_ERROR;
        }
    }
    if (optind >= argc) {
        cli_error("ps: no container id given");
        return EXIT_VMJAIL_ERROR;
    }
    vmjail_error *err = NULL;
    struct oci_state st;
    if (oci_state_open(cli_global.root, argv[optind], &st, &err) < 0)
        return cli_fail_container(err);
    pid_t *pids = NULL;
    int n = oci_cgroup_pids(st.cgroup, &pids, &err);
    oci_state_close(&st);
    if (n < 0)
        return cli_fail_container(err);
    if (json) {
        printf("[");
        for (int i = 0; i < n; i++)
            printf("%s%d", i ? "," : "", (int)pids[i]);
        printf("]\n");
    } else {
        printf("%-8s %s\n", "PID", "CMD");
        for (int i = 0; i < n; i++)
            print_cmdline(pids[i]);
    }
    free(pids);
    return 0;
}
