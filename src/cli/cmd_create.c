/* cmd_create.c: `vmjail create`: create a container from an OCI bundle; its process waits,
 * confined and before its first instruction, for `vmjail start`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "oci/oci.h"

static const char usage[] =
    "usage: vmjail [--root DIR] create [--bundle DIR] [--pid-file FILE]\n"
    "                                  [--console-socket PATH] [--no-pivot] [--preserve-fds N] ID\n"
    "\n"
    "Creates container ID from the OCI bundle DIR (default: the current directory): the\n"
    "namespaces, mounts, cgroup and credentials of its config.json are set up, and its process\n"
    "waits before the payload's first instruction until `vmjail start ID`.\n"
    "\n"
    "  -b, --bundle DIR         the bundle (holding config.json)\n"
    "  --pid-file FILE          write the container process's pid (its monitor) to FILE\n"
    "  --console-socket PATH    send the master of the container's pty to this unix socket\n"
    "  --no-pivot               chroot into the root instead of pivot_root\n"
    "  --no-new-keyring         accepted (vmjail makes no session keyring)\n"
    "  --preserve-fds N         pass descriptors 3..3+N-1 on to the container\n";

int cli_parse_create(int argc, char **argv, struct oci_create_opts *opts, bool with_run)
{
    static const struct option long_opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"pid-file", required_argument, NULL, 'p'},
        {"console-socket", required_argument, NULL, 'c'},
        {"no-pivot", no_argument, NULL, 'P'},
        {"no-new-keyring", no_argument, NULL, 'k'},
        {"preserve-fds", required_argument, NULL, 'f'},
        {"detach", no_argument, NULL, 'd'},
        {"keep", no_argument, NULL, 'K'},
        {"no-subreaper", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opts->bundle = ".";
    opts->root = cli_global.root;
    opts->foreground = with_run;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+b:dh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'b': opts->bundle = optarg; break;
        case 'p': opts->pid_file = optarg; break;
        case 'c': opts->console_socket = optarg; break;
        case 'P': opts->no_pivot = true; break;
        case 'k': break;
        case 'f': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 1000) {
                cli_error("%s: --preserve-fds: '%s' is not a count", argv[0], optarg);
                return -1;
            }
            opts->preserve_fds = (int)n;
            break;
        }
        case 'd':
        case 'K':
        case 'S':
            if (!with_run)
                goto unknown;
            if (c == 'd')
                opts->foreground = false;
            break;
        case 'h':
            return 0;
        default:
        unknown:
            cli_error("%s: unknown option or missing value '%s' (see 'vmjail %s --help')",
                      argv[0], argv[optind - 1], argv[0]);
            return -1;
        }
    }
    opts->id = cli_one_id(argv[0], argc, argv, optind);
    return opts->id ? optind : -1;
}

int cmd_create(int argc, char **argv)
{
    struct oci_create_opts opts = {0};
    int r = cli_parse_create(argc, argv, &opts, false);
    if (r == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (r < 0)
        return EXIT_VMJAIL_ERROR;
    vmjail_error *err = NULL;
    if (oci_container_create(&opts, NULL, &err) < 0)
        return cli_fail_container(err);
    return 0;
}
