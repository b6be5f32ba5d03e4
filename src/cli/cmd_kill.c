/* cmd_kill.c: `vmjail kill ID [SIGNAL]`: send a signal to the container's process (which
 * passes it into its guest), or with --all to every process of the container. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool all = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+ah", opts, NULL)) != -1) {
        if (c == 'a') {
            all = true;
        } else if (c == 'h') {
            printf("usage: vmjail [--root DIR] kill [--all] ID [SIGNAL]\n\n"
                   "Sends SIGNAL (a name such as TERM or SIGKILL, or a number; default TERM) "
                   "to the\ncontainer's process, or with --all to each of its processes.\n");
            return 0;
        } else {
            cli_error("kill: unknown option '%s'", argv[optind - 1]);
            return EXIT_VMJAIL_ERROR;
        }
    }
    if (optind >= argc || optind + 2 < argc) {
        cli_error("kill: expected ID [SIGNAL]");
        return EXIT_VMJAIL_ERROR;
    }
    int sig = SIGTERM;
    if (optind + 1 < argc && (sig = cli_parse_signal(argv[optind + 1])) == 0) {
        cli_error("kill: unknown signal '%s'", argv[optind + 1]);
        return EXIT_VMJAIL_ERROR;
    }
    vmjail_error *err = NULL;
    if (oci_container_kill(cli_global.root, argv[optind], sig, all, &err) < 0)
        return cli_fail_container(err);
    return 0;
}
