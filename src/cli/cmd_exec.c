/* cmd_exec.c: `vmjail exec`: run another process, in its own VM, inside a running
 * container's namespaces and cgroup. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "oci/oci.h"

static const char usage[] =
    "usage: vmjail [--root DIR] exec [OPTIONS] ID [COMMAND [ARG...]]\n"
    "\n"
    "Runs COMMAND (or the process described by --process) inside container ID, in a VM of\n"
    "its own; without --detach, waits for it and exits with its exit status.\n"
    "\n"
    "  -p, --process FILE       the process, as the \"process\" object of config.json\n"
    "  -t, --tty                give it a terminal (needs --console-socket)\n"
    "  -d, --detach             do not wait for it\n"
    "  --pid-file FILE          write its pid to FILE\n"
    "  --console-socket PATH    send the master of its pty to this unix socket\n"
    "  --cwd DIR                its working directory\n"
    "  -e, --env NAME=VALUE     add to its environment; repeatable\n"
    "  -u, --user UID[:GID]     its user and group\n"
    "  --no-new-privs           set no_new_privs\n"
    "  --preserve-fds N         pass descriptors 3..3+N-1 on to it\n";

int cmd_exec(int argc, char **argv)
{
    static const struct option opts[] = {
        {"process", required_argument, NULL, 'p'},
        {"tty", no_argument, NULL, 't'},
        {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, 'P'},
        {"console-socket", required_argument, NULL, 'c'},
        {"cwd", required_argument, NULL, 'w'},
        {"env", required_argument, NULL, 'e'},
        {"user", required_argument, NULL, 'u'},
        {"no-new-privs", no_argument, NULL, 'n'},
        {"preserve-fds", required_argument, NULL, 'f'},
        {"process-label", required_argument, NULL, 'L'},
        {"apparmor", required_argument, NULL, 'A'},
        {"cap", required_argument, NULL, 'C'},
        {"additional-gids", required_argument, NULL, 'g'},
        {"ignore-paused", no_argument, NULL, 'i'},
        {"cgroup", required_argument, NULL, 'G'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct oci_exec_opts o = {.root = cli_global.root};
    size_t nenv = 0;
    char **env = calloc((size_t)argc + 1, sizeof *env);
    if (env == NULL) {
        cli_error("exec: out of memory");
        return EXIT_VMJAIL_ERROR;
    }
    int rc = EXIT_VMJAIL_ERROR;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+p:tde:u:g:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': o.process_file = optarg; break;
        case 't': o.tty = true; break;
        case 'd': o.detach = true; break;
        case 'P': o.pid_file = optarg; break;
        case 'c': o.console_socket = optarg; break;
        case 'w': o.cwd = optarg; break;
        case 'e': env[nenv++] = optarg; break;
        case 'u': o.user = optarg; break;
        case 'n': o.no_new_privs = true; break;
        case 'f': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 1000) {
                cli_error("exec: --preserve-fds: '%s' is not a count", optarg);
                goto out;
            }
            o.preserve_fds = (int)n;
            break;
        }
        case 'L': case 'A': case 'i': case 'G':
            break; /* no LSM labels here; --ignore-paused and --cgroup: accepted */
        case 'C': case 'g':
            cli_error("exec: --%s is not supported (use --process)", c == 'C' ? "cap"
                                                                               : "additional-gids");
            goto out;
        case 'h':
            fputs(usage, stdout);
            rc = 0;
            goto out;
        default:
            cli_error("exec: unknown option or missing value '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind >= argc) {
        cli_error("exec: no container id given");
        goto out;
    }
    o.id = argv[optind];
    o.args = argv + optind + 1;
    o.env = env;
    if (o.process_file == NULL && o.args[0] == NULL) {
        cli_error("exec: no command given (and no --process)");
        goto out;
    }
    vmjail_error *err = NULL;
    int status = 0;
    if (oci_container_exec(&o, &status, &err) < 0)
        rc = cli_fail_container(err);
    else
        rc = o.detach ? 0 : status;
out:
    free(env);
    return rc;
}
