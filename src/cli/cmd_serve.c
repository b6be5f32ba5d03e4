/* cmd_serve.c: `vmjail serve [--listen HOST:PORT] [--state DIR]`: the functions-as-a-service
 * gateway (src/faas), in the dynamically linked vmjail-image beside a static vmjail. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "faas/faas.h"

static const char usage[] =
    "usage: vmjail serve [--listen HOST:PORT] [--state DIR]\n"
    "\n"
    "The functions-as-a-service gateway (docs/faas.md): OpenFaaS's HTTP API; every invocation\n"
    "runs in a fresh VM, restored from the snapshot taken at deploy time.\n"
    "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080; port 0: any free port)\n"
    "  --state DIR         functions, snapshots and the API's token (default /var/lib/vmjail/faas,\n"
    "                      rootless $XDG_DATA_HOME/vmjail/faas)\n";

/* The vmjail that runs the functions: the static one beside this program (or installed in
 * ../../bin from libexec/vmjail), else this program itself. */
static void find_vmjail(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(out, size, "/proc/self/exe");
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    static const char *const places[] = {"/vmjail", "/../../bin/vmjail"};
    for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
        snprintf(out, size, "%s%s", self, places[i]);
        if (access(out, X_OK) == 0)
            return;
    }
    *slash = '/';
    snprintf(out, size, "%s", self);
}

int cmd_serve(int argc, char **argv)
{
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},
        {"state", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen_at = "127.0.0.1:8080", *state = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen_at = optarg;
            break;
        case 's':
            state = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return EXIT_VMJAIL_ERROR;
        }
    }
    if (optind != argc) {
        cli_error("serve takes no arguments (try 'vmjail serve --help')");
        return EXIT_VMJAIL_ERROR;
    }
    char host[256], dir[PATH_MAX], vmjail[PATH_MAX + 32];
    const char *colon = strrchr(listen_at, ':');
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t)(colon - listen_at) : 0;
    if (!colon || colon[1] == '\0' || *end || port > 65535 || hl == 0 || hl >= sizeof host) {
        cli_error("--listen: '%s' is not HOST:PORT", listen_at);
        return EXIT_VMJAIL_ERROR;
    }
    if (listen_at[0] == '[' && colon[-1] == ']')
        snprintf(host, sizeof host, "%.*s", (int)hl - 2, listen_at + 1);
    else
        snprintf(host, sizeof host, "%.*s", (int)hl, listen_at);
    if (state == NULL) {
        if (faas_state_default(dir, sizeof dir) < 0) {
            cli_error("no state directory: give --state DIR (HOME is not set)");
            return EXIT_VMJAIL_ERROR;
        }
    } else if (realpath(state, dir) == NULL) {
        if (state[0] == '/') {
            snprintf(dir, sizeof dir, "%s", state);
        } else {
            char cwd[PATH_MAX];
            if (getcwd(cwd, sizeof cwd) == NULL ||
                snprintf(dir, sizeof dir, "%s/%s", cwd, state) >= (int)sizeof dir) {
                cli_error("--state %s: cannot make it absolute", state);
                return EXIT_VMJAIL_ERROR;
            }
        }
    }
    find_vmjail(vmjail, sizeof vmjail);
    struct faas_gateway_opts o = {
        .host = host, .port = (unsigned)port, .state_dir = dir, .vmjail = vmjail};
    vmjail_error *err = NULL;
    if (faas_gateway_serve(&o, &err) < 0)
        return cli_fail(err);
    return 0;
}
