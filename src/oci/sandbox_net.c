/* sandbox_net.c: the sandbox's `--network nat`: Debian's pasta (package passt) attached to the
 * container's network namespace once the container process is ready: an interface with the
 * host's addresses and routes, outbound connections made by pasta on the host, the gateway's
 * address mapped to the host's loopback, and only the --publish ports forwarded inbound.  The
 * pasta daemon is ended with the sandbox (its pid kept in the sandbox's state directory, so
 * that a later run ends one a killed vmjail left). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

#define PASTA "pasta"

/* SPEC for pasta's -t or -u: the ports of O of that protocol, HOST:GUEST, or "none". */
static void port_spec(const struct oci_sandbox_opts *o, bool udp, char *spec, size_t size)
{
    size_t n = 0;
    spec[0] = '\0';
    for (size_t i = 0; i < o->n_ports && n < size; i++)
        if (o->ports[i].udp == udp)
            n += (size_t)snprintf(spec + n, size - n, "%s%u:%u", n ? "," : "",
                                  o->ports[i].host, o->ports[i].guest);
    if (n == 0)
        snprintf(spec, size, "none");
}

/* pasta's last line of its own on stderr, the one that says why it stopped (before it, its
 * warnings; between them, that it cannot reach syslog). */
static void last_line(const char *text, char *out, size_t size)
{
    snprintf(out, size, "no message");
    for (const char *l = text; l && *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (len > 0 && strncmp(l, "Failed to send", 14) != 0 &&
            strncmp(l, "Don't run as root", 17) != 0)
            snprintf(out, size, "%.*s", (int)len, l);
        l = end ? end + 1 : NULL;
    }
}

/* Is PID a pasta (so that a pid from a stale file is never another process's)? */
static bool is_pasta(pid_t pid)
{
    char path[40], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    /* pasta runs as itself or as the passt build it execs (passt, passt.avx2) */
    bool yes = fgets(comm, sizeof comm, f) &&
               (strncmp(comm, "pasta", 5) == 0 || strncmp(comm, "passt", 5) == 0);
    fclose(f);
    return yes;
}

int oci_sandbox_ports_free(const struct oci_sandbox_opts *o, vmjail_error **err)
{
    for (size_t i = 0; i < o->n_ports; i++) {
        const struct oci_sandbox_port *p = &o->ports[i];
        int s = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (s < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "--publish: socket");
        int one = 1; /* as a server binds: a port some connection of the past holds is free */
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p->host)};
        int r = bind(s, (struct sockaddr *)&a, sizeof a);
        int e = errno;
        close(s);
        if (r < 0)
            return vj_error(err, VMJAIL_ERR_USAGE, e, "--publish %u%s: the host's port",
                            (unsigned)p->host, p->udp ? "/udp" : "");
    }
    return 0;
}

void oci_sandbox_nat_end(const char *pid_file)
{
    FILE *f = fopen(pid_file, "re");
    int pid = 0;
    if (f == NULL)
        return;
    if (fscanf(f, "%d", &pid) == 1 && pid > 1 && is_pasta(pid))
        kill(pid, SIGTERM);
    fclose(f);
    unlink(pid_file);
}

int oci_sandbox_nat_attach(pid_t pid, void *arg, vmjail_error **err)
{
    const struct oci_sandbox_nat *nat = arg;
    const struct oci_sandbox_opts *o = nat->opts;
    char tcp[1024], udp[1024], target[16];
    port_spec(o, false, tcp, sizeof tcp);
    port_spec(o, true, udp, sizeof udp);
    snprintf(target, sizeof target, "%d", (int)pid);
    /* Host loopback ports are not the sandbox's (-T/-U none); as root pasta keeps uid 0 (its
     * capabilities it drops itself) so that it may join the sandbox's user namespace. */
    char *argv[16];
    int a = 0;
    for (char *const *w = (char *const[]){PASTA, "--config-net", "-q", "-t", tcp, "-u", udp, "-T",
                                          "none", "-U", "none", "-P", (char *)nat->pid_file, NULL};
         *w; w++)
        argv[a++] = *w;
    if (geteuid() == 0)
        argv[a++] = "--runas=0";
    argv[a++] = target;
    argv[a] = NULL;
    /* pasta configures the namespace, then leaves a daemon behind and exits: until then its
     * output is read (the daemon's descriptors are /dev/null by then). */
    char text[4096], line[256];
    int status;
    if (oci_run_helper(argv, text, sizeof text, &status) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "--network nat: run pasta");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && text[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0,
                        "--network nat needs pasta (Debian's passt package): not found");
    last_line(text, line, sizeof line);
    return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "--network nat: pasta failed: %s", line);
}
