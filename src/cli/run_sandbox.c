/* run_sandbox.c: `vmjail run`'s confinement options (--root, --volume, --tmpfs, --read-only,
 * --network, --publish, --user, --hostname, --pids, --cpus): parsed beside the others, then the
 * program run in a sandbox (the OCI runtime's container path, src/oci/sandbox.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run_sandbox.h"

/* What the sandbox gives the program of the caller's environment: a PATH, TERM where the
 * caller has one, and what --env adds. */
#define SANDBOX_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int add_volume(struct cli_sandbox *s, const char *arg)
{
    if (s->o.n_volumes == CLI_SANDBOX_MAX) {
        cli_error("--volume: more than %d", CLI_SANDBOX_MAX);
        return -1;
    }
    char *copy = strdup(arg), *host = copy, *guest = copy ? strchr(copy, ':') : NULL;
    if (guest == NULL || guest == host || guest[1] == '\0') {
        free(copy);
        cli_error("--volume: '%s' is not HOST:GUEST[:ro]", arg);
        return -1;
    }
    *guest++ = '\0';
    char *mode = strchr(guest, ':');
    bool ro = false;
    if (mode) {
        *mode++ = '\0';
        if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0) {
            free(copy);
            cli_error("--volume: '%s' is not HOST:GUEST[:ro]", arg);
            return -1;
        }
        ro = strcmp(mode, "ro") == 0;
    }
    s->volumes[s->o.n_volumes++] = (struct oci_sandbox_volume){host, guest, ro};
    s->owned[s->n_owned++] = copy;
    return 0;
}

/* --publish HOSTPORT:GUESTPORT[/udp] */
static int add_port(struct cli_sandbox *s, const char *arg)
{
    unsigned host, guest;
    char proto[8] = "tcp", tail;
    int n = sscanf(arg, "%5u:%5u/%7[a-z]%c", &host, &guest, proto, &tail);
    if (s->o.n_ports == CLI_SANDBOX_MAX || (n != 2 && n != 3) || host == 0 || host > 65535 ||
        guest == 0 || guest > 65535 || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) ||
        strspn(arg, "0123456789:/tcpud") != strlen(arg)) {
        cli_error("--publish: '%s' is not HOSTPORT:GUESTPORT[/udp]", arg);
        return -1;
    }
    s->ports[s->o.n_ports++] =
        (struct oci_sandbox_port){(uint16_t)host, (uint16_t)guest, strcmp(proto, "udp") == 0};
    return 0;
}

int cli_sandbox_option(struct cli_sandbox *s, int c, const char *arg)
{
    if (s->first == NULL && c != 'R')
        s->first = c == 'V' ? "--volume" : c == 'T' ? "--tmpfs" : c == 'O' ? "--read-only"
                 : c == 'N' ? "--network" : c == 'U' ? "--user" : c == 'H' ? "--hostname"
                 : c == 'I' ? "--pids" : c == 'B' ? "--publish" : "--cpus";
    switch (c) {
    case 'R':
        s->o.root = arg;
        return 0;
    case 'V':
        return add_volume(s, arg);
    case 'T':
        if (s->o.n_tmpfs == CLI_SANDBOX_MAX) {
            cli_error("--tmpfs: more than %d", CLI_SANDBOX_MAX);
            return -1;
        }
        s->tmpfs[s->o.n_tmpfs++] = arg;
        return 0;
    case 'O':
        s->o.read_only = true;
        return 0;
    case 'N':
        if (strcmp(arg, "none") == 0)
            s->o.network = OCI_SANDBOX_NET_NONE;
        else if (strcmp(arg, "host") == 0)
            s->o.network = OCI_SANDBOX_NET_HOST;
        else if (strcmp(arg, "nat") == 0)
            s->o.network = OCI_SANDBOX_NET_NAT;
        else {
            cli_error("--network: '%s' is not none, host or nat", arg);
            return -1;
        }
        return 0;
    case 'B':
        return add_port(s, arg);
    case 'U': {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", arg);
        char *colon = strchr(buf, ':');
        if (colon)
            *colon = '\0';
        if (parse_u32(buf, &s->o.uid) < 0 || (colon && parse_u32(colon + 1, &s->o.gid) < 0)) {
            cli_error("--user: '%s' is not UID[:GID]", arg);
            return -1;
        }
        if (!colon)
            s->o.gid = s->o.uid;
        return 0;
    }
    case 'H':
        if (arg[0] == '\0' || strlen(arg) > 64) {
            cli_error("--hostname: '%s' is not a host name", arg);
            return -1;
        }
        s->o.hostname = arg;
        return 0;
    case 'I': {
        uint32_t n;
        if (parse_u32(arg, &n) < 0 || n == 0) {
            cli_error("--pids: '%s' is not a positive number", arg);
            return -1;
        }
        s->o.pids = n;
        return 0;
    }
    case 'C': {
        char *end;
        errno = 0;
        double v = strtod(arg, &end);
        if (errno || end == arg || *end || !(v > 0) || v > 4096) {
            cli_error("--cpus: '%s' is not a positive number of CPUs", arg);
            return -1;
        }
        s->o.cpus = v;
        return 0;
    }
    default:
        return -1;
    }
}

int cli_sandbox_env(struct cli_sandbox *s, const char *entry)
{
    if (s->n_env + 2 >= CLI_SANDBOX_MAX) {
        cli_error("--env: more than %d", CLI_SANDBOX_MAX - 2);
        return -1;
    }
    s->env[s->n_env++] = (char *)entry;
    return 0;
}

int cli_sandbox_run(struct cli_sandbox *s, char **args)
{
    if (s->o.root == NULL) {
        cli_error("%s needs --root", s->first);
        return EXIT_VMJAIL_ERROR;
    }
    /* The environment: PATH and TERM first, each replaced by an --env of the same name. */
    char *env[CLI_SANDBOX_MAX + 3];
    size_t n = 0;
    const char *term = getenv("TERM");
    char termbuf[128];
    env[n++] = SANDBOX_PATH;
    if (term && snprintf(termbuf, sizeof termbuf, "TERM=%s", term) < (int)sizeof termbuf)
        env[n++] = termbuf;
    for (size_t i = 0; i < s->n_env; i++) {
        size_t len = strcspn(s->env[i], "=");
        for (size_t k = 0; k < n; k++)
            if (strncmp(env[k], s->env[i], len + 1) == 0) {
                env[k] = env[--n];
                break;
            }
        env[n++] = s->env[i];
    }
    env[n] = NULL;
    s->o.env = env;
    s->o.args = args;
    s->o.volumes = s->volumes;
    s->o.ports = s->ports;
    s->o.tmpfs = s->tmpfs;
    if (s->o.platform == NULL)
        s->o.platform = "auto";
    vmjail_error *err = NULL;
    int status = 0;
    if (oci_sandbox_run(&s->o, &status, &err) < 0)
        return cli_fail(err);
    return status;
}

void cli_sandbox_free(struct cli_sandbox *s)
{
    for (size_t i = 0; i < s->n_owned; i++)
        free(s->owned[i]);
}
