/* global.c: what the subcommands share: the global options (--root, --log, --log-format,
 * --systemd-cgroup), and parsers for sizes, signals and container ids. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct cli_global cli_global = {.root = "/run/vmjail", .log_fd = -1};

/* "--name=value", "--name value", "-name value" (runc accepts one dash too). */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    a += a[1] == '-' ? 2 : 1;
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static bool is_flag(const char *arg, const char *name)
{
    const char *a = arg + (arg[1] == '-' ? 2 : 1);
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == '\0' || strcmp(a + n, "=true") == 0);
}

int cli_parse_global(int argc, char **argv)
{
    int i = 1; /* argv[0] is the program */
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0)
            break;
        if ((v = option_value(argc, argv, &i, "root")) != NULL) {
            cli_global.root = v;
            cli_global.root_given = true;
        } else if ((v = option_value(argc, argv, &i, "store")) != NULL) {
            cli_global.store = v;
        } else if ((v = option_value(argc, argv, &i, "log-format")) != NULL) {
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
                cli_error("--log-format: '%s' is neither text nor json", v);
                return -1;
            }
            cli_global.log_json = strcmp(v, "json") == 0;
        } else if ((v = option_value(argc, argv, &i, "log")) != NULL) {
            int fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
            if (fd < 0) {
                cli_error("--log %s: %s", v, strerror(errno));
                return -1;
            }
            cli_global.log_fd = fd;
        } else if (is_flag(argv[i], "systemd-cgroup")) {
            cli_global.systemd_cgroup = true;
        } else if (is_flag(argv[i], "debug")) {
            /* accepted: vmjail has no debug log of its own (see `run --trace`) */
        } else if ((v = option_value(argc, argv, &i, "criu")) != NULL) {
            /* accepted: checkpoint/restore are not supported, and say so */
        } else if ((v = option_value(argc, argv, &i, "rootless")) != NULL) {
            if (strcmp(v, "true") == 0) {
                cli_error("--rootless true: rootless containers are not supported yet");
                return -1;
            }
        } else {
            cli_error("unknown global option '%s' (try 'vmjail help')", argv[i]);
            return -1;
        }
    }
    return i - 1;
}

static const char *const signal_names[] = {
    [SIGHUP] = "HUP",   [SIGINT] = "INT",     [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
    [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",   [SIGBUS] = "BUS",   [SIGFPE] = "FPE",
    [SIGKILL] = "KILL", [SIGUSR1] = "USR1",   [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
    [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",   [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
    [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",   [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
    [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",   [SIGURG] = "URG",   [SIGXCPU] = "XCPU",
    [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
    [SIGIO] = "IO",     [SIGPWR] = "PWR",     [SIGSYS] = "SYS",
};

int cli_parse_signal(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (end != s && *end == '\0')
        return n > 0 && n <= SIGRTMAX ? (int)n : 0;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 1; i < (int)(sizeof signal_names / sizeof signal_names[0]); i++)
        if (signal_names[i] && strcasecmp(s, signal_names[i]) == 0)
            return i;
    if (strcasecmp(s, "IOT") == 0)
        return SIGABRT;
    if (strcasecmp(s, "CLD") == 0)
        return SIGCHLD;
    if (strcasecmp(s, "POLL") == 0)
        return SIGIO;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
        bool min = strncasecmp(s, "RTMIN", 5) == 0;
        long off = 0;
        if (s[5] != '\0') {
            off = strtol(s + 5, &end, 10);
            if (*end != '\0')
                return 0;
        }
        long sig = min ? SIGRTMIN + off : SIGRTMAX + off;
        return sig >= SIGRTMIN && sig <= SIGRTMAX ? (int)sig : 0;
    }
    return 0;
}

uint64_t cli_parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return 0;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'B')
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end != '\0' || v > (UINT64_MAX >> shift))
        return 0;
    return (uint64_t)v << shift;
}

const char *cli_one_id(const char *cmd, int argc, char **argv, int optind_)
{
    if (optind_ >= argc) {
        cli_error("%s: no container id given", cmd);
        return NULL;
    }
    if (optind_ + 1 < argc) {
        cli_error("%s: unexpected argument '%s'", cmd, argv[optind_ + 1]);
        return NULL;
    }
    return argv[optind_];
}

int cmd_unsupported(int argc, char **argv)
{
    (void)argc;
    cli_error("%s: not supported by vmjail", argv[0]);
    return EXIT_VMJAIL_ERROR;
}

int cli_fail_container(vmjail_error *err)
{
    cli_error("%s", vmjail_error_message(err));
    vmjail_error_free(err);
    return EXIT_VMJAIL_ERROR;
}
