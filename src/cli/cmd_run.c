/* cmd_run.c: `vmjail run`: run a program inside its own VM, with the caller's stdio and
 * environment, and exit as it exits. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_sandbox.h"
#include "cli/run_snapshot.h"

extern char **environ;

static const char usage[] =
    "usage: vmjail run [--memory SIZE] [--cwd DIR] [--env NAME=VALUE]... [--trace] [--seccomp]\n"
    "                  [--syscall-path auto|exit|poll] [--platform kvm|process|auto]\n"
    "                  [--core-dump PATH] [--gdb HOST:PORT | --gdb-listen HOST:PORT]\n"
    "                  [--snapshot-at MARK --snapshot-file FILE [--snapshot-continue]]\n"
    "                  [--root DIR [--volume HOST:GUEST[:ro]]... [--tmpfs PATH]... [--read-only]\n"
    "                   [--network none|host|nat] [--publish HOSTPORT:GUESTPORT[/udp]]...\n"
    "                   [--user UID[:GID]] [--hostname NAME]\n"
    "                   [--pids N] [--cpus N]] [--] PROGRAM [ARG...]\n"
    "       vmjail run [--platform P] [--trace] [--seccomp] --from SNAPSHOT\n"
    "\n"
    "Runs PROGRAM (a path, or a name looked up in PATH), an x86-64 Linux executable (static or\n"
    "dynamically linked), inside its own KVM virtual machine.\n"
    "\n"
    "  --memory SIZE     guest memory, e.g. 512M or 2G (default 1G; a multiple of 2M)\n"
    "  --cwd DIR         start the program in DIR\n"
    "  --env NAME=VALUE  add to (or replace in) the program's environment; repeatable\n"
    "  --trace           print every syscall of the program to stderr, strace-style\n"
    "  --core-dump PATH  where a core file goes if a signal that dumps core ends the program\n"
    "                    (default: core_pattern's place or \"core\"; RLIMIT_CORE applies)\n"
    "  --gdb HOST:PORT   wait for gdb (target remote HOST:PORT) before the first instruction,\n"
    "                    then serve it; :PORT listens on the loopback address only\n"
    "  --gdb-listen HOST:PORT  the same, but the program runs at once, and stops when gdb\n"
    "                    connects (gdb's quit detaches: the program runs on)\n"
    "  --seccomp         confine the monitor itself with a seccomp filter that allows only\n"
    "                    the system calls it serves or needs (always on in containers)\n"
    "  --syscall-path P  how system calls reach the monitor: exit (a VM exit each), poll\n"
    "                    (handed to a monitor thread through shared memory, no exit, for the\n"
    "                    calls it can serve), auto (poll where the host has 2 CPUs; default)\n"
    "  --platform P      what runs the program: kvm (a KVM virtual machine), process (a host\n"
    "                    process whose every system call traps to the monitor, for hosts\n"
    "                    without KVM), auto (kvm where /dev/kvm works, else process; default)\n"
    "\n"
    "Snapshots (docs/cli.md):\n"
    "  --snapshot-at M   write a snapshot when the program reaches mark M, before that call\n"
    "                    is served: read-stdin (its first read of fd 0), accept (its first\n"
    "                    accept), call (the vmjail call VJ_NR_SNAPSHOT); then end it\n"
    "                    (status 0), or with --snapshot-continue let it go on\n"
    "  --snapshot-file F the snapshot file to write\n"
    "  --from SNAPSHOT   start from a snapshot instead of a program: it makes its marked\n"
    "                    call anew (read-stdin reads this vmjail's stdin)\n"
    "\n"
    "Confined (--root DIR: run as a container, DIR as /; docs/cli.md):\n"
    "  --volume H:G[:ro] the host path H at G inside (read-only with :ro); repeatable\n"
    "  --tmpfs PATH      a fresh tmpfs at PATH inside; repeatable (/tmp always is one)\n"
    "  --read-only       the root read-only\n"
    "  --network MODE    none (default: loopback only), host, or nat (pasta)\n"
    "  --publish H:G     with nat: host port H to port G inside (/udp for UDP); repeatable\n"
    "  --user UID[:GID]  the identity inside (default 0:0)\n"
    "  --hostname NAME   the host name inside (default vmjail)\n"
    "  --pids N          at most N host tasks; --cpus N: at most N CPUs' time\n"
    "\n"
    "Exit status: the program's, or 128+N if it was ended by signal N; 125 if vmjail\n"
    "failed, 126 if the program cannot be executed, 127 if it was not found.\n";

/* runc's `run ID` (an OCI bundle) or vmjail's `run PROGRAM`: the runc form is recognised by
 * --root before the command or one of runc's run options before the first argument. */
static bool is_oci_run(int argc, char **argv)
{
    static const char *const oci_opts[] = {"bundle", "b", "detach", "d", "pid-file",
                                           "console-socket", "no-pivot", "no-new-keyring",
                                           "preserve-fds", "keep", "no-subreaper", NULL};
    if (cli_global.root_given)
        return true;
    for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
        size_t n = strcspn(a, "=");
        for (const char *const *o = oci_opts; *o; o++)
            if (strlen(*o) == n && strncmp(a, *o, n) == 0)
                return true;
    }
    return false;
}

/* Where `vmjail run` keeps the host's KVM facts between runs: /run/vmjail for root,
 * $XDG_RUNTIME_DIR/vmjail for others (none without it). */
static const char *host_cache_dir(void)
{
    static char dir[4096];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (geteuid() == 0)
        return "/run/vmjail";
    if (xdg == NULL || xdg[0] != '/' ||
        (size_t)snprintf(dir, sizeof dir, "%s/vmjail", xdg) >= sizeof dir)
        return NULL;
    return dir;
}

int cmd_run(int argc, char **argv)
{
    if (is_oci_run(argc, argv))
        return cmd_oci_run(argc, argv);
    static const struct option opts[] = {
        {"memory", required_argument, NULL, 'm'},
        {"cwd", required_argument, NULL, 'c'},
        {"env", required_argument, NULL, 'e'},
        {"trace", no_argument, NULL, 't'},
        {"core-dump", required_argument, NULL, 'D'},
        {"gdb", required_argument, NULL, 'G'},
        {"gdb-listen", required_argument, NULL, 'L'},
        {"seccomp", no_argument, NULL, 's'},
        {"syscall-path", required_argument, NULL, 'p'},
        {"platform", required_argument, NULL, 'P'},
        {"root", required_argument, NULL, 'R'},
        {"volume", required_argument, NULL, 'V'},
        {"tmpfs", required_argument, NULL, 'T'},
        {"read-only", no_argument, NULL, 'O'},
        {"network", required_argument, NULL, 'N'},
        {"publish", required_argument, NULL, 'B'},
        {"user", required_argument, NULL, 'U'},
        {"hostname", required_argument, NULL, 'H'},
        {"pids", required_argument, NULL, 'I'},
        {"cpus", required_argument, NULL, 'C'},
        CLI_SNAPSHOT_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    vmjail_error *err = NULL;
    vmjail_config *cfg = vmjail_config_new(&err);
    if (cfg == NULL)
        return cli_fail(err);
    int rc = EXIT_VMJAIL_ERROR;
    struct cli_sandbox sb; /* the confinement options (run_sandbox.h) */
    memset(&sb, 0, sizeof sb);
    struct cli_snapshot snap = {0}; /* the snapshot options (run_snapshot.h) */
    if (vmjail_config_set_env(cfg, environ, &err) < 0 ||
        vmjail_config_set_proctitle(cfg, 1, &err) < 0 ||
        vmjail_config_set_exit_after_run(cfg, 1, &err) < 0 ||
        vmjail_config_set_host_cache(cfg, host_cache_dir(), &err) < 0)
        goto fail;
    opterr = 0;
    optind = 1;
    int c;
    const char *gdb = NULL; /* --gdb: not with a root (yet) */
    while ((c = getopt_long(argc, argv, "+m:c:e:tsp:P:h", opts, NULL)) != -1) {
        switch (c) {
        case 'R': case 'V': case 'T': case 'O': case 'N': case 'B': case 'U': case 'H': case 'I':
        case 'C':
            if (cli_sandbox_option(&sb, c, optarg) < 0)
                goto out;
            break;
        case 'm': {
            uint64_t size = cli_parse_size(optarg);
            if (size == 0) {
                cli_error("--memory: '%s' is not a size", optarg);
                goto out;
            }
            if (vmjail_config_set_memory(cfg, size, &err) < 0)
                goto fail;
            sb.o.memory = optarg;
            break;
        }
        case 'c':
            sb.o.cwd = optarg;
            if (vmjail_config_set_cwd(cfg, optarg, &err) < 0)
                goto fail;
            break;
        case 'e': {
            if (strchr(optarg, '=') == NULL) { /* --env NAME: the caller's value */
                const char *v = getenv(optarg);
                if (v == NULL)
                    break;
                size_t n = strlen(optarg) + strlen(v) + 2;
                char *nv = malloc(n);
                if (nv == NULL) {
                    cli_error("out of memory");
                    goto out;
                }
                snprintf(nv, n, "%s=%s", optarg, v);
                int r = vmjail_config_add_env(cfg, nv, &err);
                free(nv);
                if (r < 0)
                    goto fail;
            } else if (vmjail_config_add_env(cfg, optarg, &err) < 0 ||
                       cli_sandbox_env(&sb, optarg) < 0) {
                goto fail;
            }
            break;
        }
        case 't':
            sb.o.trace = true;
            if (vmjail_config_set_trace_fd(cfg, STDERR_FILENO, &err) < 0)
                goto fail;
            break;
        case 'G':
            gdb = optarg;
            if (vmjail_config_set_gdb(cfg, optarg, &err) < 0)
                goto fail;
            break;
        case 'L':
            gdb = optarg;
            if (vmjail_config_set_gdb_listen(cfg, optarg, &err) < 0)
                goto fail;
            break;
        case 'D':
            sb.o.core_dump = optarg;
            if (vmjail_config_set_core_dump(cfg, optarg, &err) < 0)
                goto fail;
            break;
        case 's':
            if (vmjail_config_set_seccomp(cfg, 1, &err) < 0)
                goto fail;
            break;
        case 'p': {
            int path = vmjail_syscall_path_by_name(optarg);
            if (path < 0) {
                cli_error("--syscall-path: '%s' is not auto, exit or poll", optarg);
                goto out;
            }
            sb.o.syscall_path = optarg;
            if (vmjail_config_set_syscall_path(cfg, path, &err) < 0)
                goto fail;
            break;
        }
        case 'P': {
            int which = vmjail_platform_by_name(optarg);
            if (which < 0) {
                cli_error("--platform: '%s' is not kvm, process or auto", optarg);
                goto out;
            }
            sb.o.platform = optarg;
            if (vmjail_config_set_platform(cfg, which, &err) < 0)
                goto fail;
            break;
        }
        case CLI_OPT_SNAPSHOT_AT: case CLI_OPT_SNAPSHOT_FILE: case CLI_OPT_SNAPSHOT_CONTINUE:
        case CLI_OPT_FROM:
            if (cli_snapshot_option(&snap, c, optarg) < 0)
                goto out;
            break;
        case 'h':
            fputs(usage, stdout);
            rc = 0;
            goto out;
        default:
            if (optopt)
                cli_error("run: option '-%c' needs an argument or is unknown", optopt);
            else
                cli_error("run: unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    int sr = cli_snapshot_apply(&snap, cfg, cli_sandbox_wanted(&sb), optind < argc, &err);
    if (sr == -2)
        goto fail;
    if (sr < 0)
        goto out;
    if (snap.from)
        goto run;
    if (optind >= argc) {
        cli_error("run: no program given (see 'vmjail run --help')");
        goto out;
    }
    if (cli_sandbox_wanted(&sb) && gdb != NULL) {
        cli_error("--gdb does not work with --root (yet)");
        goto out;
    }
    if (cli_sandbox_wanted(&sb)) {
        rc = cli_sandbox_run(&sb, argv + optind);
        goto out;
    }
    if (vmjail_config_set_program(cfg, argv[optind], argc - optind, argv + optind, &err) < 0)
        goto fail;
run:;
    struct vmjail_result res;
    if (vmjail_run(cfg, &res, &err) < 0)
        goto fail;
    rc = res.signaled ? 128 + res.signal : res.exit_code;
    goto out;
fail:
    rc = cli_fail(err);
out:
    cli_sandbox_free(&sb);
    vmjail_config_free(cfg);
    return rc;
}
