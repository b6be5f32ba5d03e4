/* exec.c: `exec`: another process in a running container, in its own VM, inside the
 * container's namespaces and cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "monitor/seccomp.h"
#include "oci/oci.h"
#include "oci/sync.h"

/* The namespaces of the container's process that differ from ours, opened. */
static int open_container_namespaces(pid_t pid, int *fds, int *flags, size_t *n,
                                     vmjail_error **err)
{
    static const int order[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWNET, CLONE_NEWUTS,
                                CLONE_NEWIPC,  CLONE_NEWCGROUP, CLONE_NEWPID};
    *n = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *name = oci_namespace_proc_name(order[i]);
        char theirs[64], ours[64];
        snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, name);
        snprintf(ours, sizeof ours, "/proc/self/ns/%s", name);
        struct stat a, b;
        if (stat(theirs, &a) < 0) {
            if (errno == ENOENT)
                continue; /* a kernel without this namespace type */
            for (size_t k = 0; k < *n; k++)
                close(fds[k]);
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s", theirs);
        }
        if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            continue;
        int fd = open(theirs, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            for (size_t k = 0; k < *n; k++)
                close(fds[k]);
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open %s", theirs);
        }
        fds[*n] = fd;
        flags[(*n)++] = order[i];
    }
    return 0;
}

/* "uid[:gid]" */
static int parse_user(const char *s, struct oci_process *p, vmjail_error **err)
{
    char *end;
    unsigned long uid = strtoul(s, &end, 10);
    if (end == s || (*end != '\0' && *end != ':') || uid > UINT32_MAX)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--user %s: not uid[:gid]", s);
    p->uid = (uint32_t)uid;
    if (*end == ':') {
        const char *g = end + 1;
        unsigned long gid = strtoul(g, &end, 10);
        if (end == g || *end != '\0' || gid > UINT32_MAX)
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "--user %s: not uid[:gid]", s);
        p->gid = (uint32_t)gid;
    }
    return 0;
}

static char **strv_dup(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **r = calloc(n + 1, sizeof *r);
    for (size_t i = 0; r && i < n; i++)
        if ((r[i] = strdup(v[i])) == NULL) {
            oci_free_strv(r);
            return NULL;
        }
    return r;
}

/* Add or replace NAME=VALUE in *ENV. */
static int env_set(char ***env, const char *nv)
{
    size_t nlen = strcspn(nv, "="), n = 0;
    for (; (*env)[n]; n++) {
        if (strncmp((*env)[n], nv, nlen) == 0 && (*env)[n][nlen] == '=') {
            char *c = strdup(nv);
            if (c == NULL)
                return -1;
            free((*env)[n]);
            (*env)[n] = c;
            return 0;
        }
    }
    char **b = realloc(*env, (n + 2) * sizeof **env);
    if (b == NULL)
        return -1;
    *env = b;
    b[n] = strdup(nv);
    b[n + 1] = NULL;
    return b[n] ? 0 : -1;
}

/* The process to run: from --process, or the container's own process with the command
 * line's args, cwd, env and user. */
static int build_process(const struct oci_exec_opts *o, const struct oci_state *st,
                         struct oci_process *p, vmjail_error **err)
{
    memset(p, 0, sizeof *p);
    if (o->process_file)
        return oci_process_load(o->process_file, p, err);
    if (o->args == NULL || o->args[0] == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "exec: no command given");
    struct oci_spec *spec = NULL;
    if (oci_spec_load(st->bundle, &spec, NULL) == 0) {
        *p = spec->process; /* take the container's process settings */
        memset(&spec->process, 0, sizeof spec->process);
        oci_spec_free(spec);
        oci_free_strv(p->args);
    } else {
        p->env = calloc(2, sizeof *p->env);
        if (p->env)
            p->env[0] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        p->cwd = strdup("/");
    }
    p->terminal = o->tty;
    p->args = strv_dup(o->args);
    if (p->args == NULL || p->env == NULL || p->cwd == NULL) {
        oci_process_fini(p);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "exec");
    }
    if (o->cwd) {
        free(p->cwd);
        p->cwd = strdup(o->cwd);
    }
    for (char **e = o->env; e && *e; e++)
        if (env_set(&p->env, *e) < 0) {
            oci_process_fini(p);
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "exec");
        }
    if (o->user && parse_user(o->user, p, err) < 0) {
        oci_process_fini(p);
        return -1;
    }
    if (o->no_new_privs)
        p->no_new_privileges = true;
    return 0;
}

int oci_container_exec(const struct oci_exec_opts *o, int *status, vmjail_error **err)
{
    struct oci_state st;
    if (oci_state_open(o->root, o->id, &st, err) < 0)
        return -1;
    enum oci_status s = oci_state_status(&st);
    if (s != OCI_RUNNING && s != OCI_CREATED) {
        vj_error(err, VMJAIL_ERR_USAGE, 0, "cannot exec in container '%s': it is %s", o->id,
                 oci_status_name(s));
        oci_state_close(&st);
        return -1;
    }
    struct oci_process proc;
    if (build_process(o, &st, &proc, err) < 0) {
        oci_state_close(&st);
        return -1;
    }
    if (o->tty)
        proc.terminal = true;
    int r = -1, sync[2] = {-1, -1}, console_fd = -1, kvm_fd = -1, fds[8], flags[8];
    size_t n = 0;
    pid_t first = -1, child = -1;
    if (proc.terminal && o->console_socket == NULL) {
        vj_error(err, VMJAIL_ERR_USAGE, 0, "exec: a terminal needs --console-socket");
        goto out;
    }
    /* The container's platform: where it runs on KVM, so does this process. */
    int platform = oci_platform_resolve(st.platform, &kvm_fd, err);
    if (platform < 0 || open_container_namespaces(st.pid, fds, flags, &n, err) < 0)
        goto out;
    if (o->console_socket && (console_fd = oci_console_connect(o->console_socket, err)) < 0)
        goto out;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "socketpair");
        goto out;
    }
    /* The lock is not held while the process runs: other commands go on meanwhile. */
    char cgroup[sizeof st.cgroup];
    snprintf(cgroup, sizeof cgroup, "%s", st.cgroup);
    oci_state_close(&st);
    if (!o->detach)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    fflush(NULL);
    first = fork();
    if (first < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "fork");
        goto out;
    }
    if (first == 0) {
        close(sync[0]);
        struct oci_sync_msg m;
        vmjail_error *cerr = NULL;
        if (oci_sync_expect(sync[1], OCI_SYNC_GO, &m, &cerr) < 0)
            _exit(125);
        oci_enter_namespaces(sync[1], fds, flags, n, 0);
        int keep[] = {sync[1], console_fd, kvm_fd};
        oci_close_fds_from(3 + o->preserve_fds, keep, sizeof keep / sizeof keep[0]);
        if (vj_seccomp_install(platform, &cerr) < 0)
            oci_sync_fail(sync[1], cerr);
        if (console_fd >= 0 && oci_console_setup(console_fd, &proc, &cerr) < 0)
            oci_sync_fail(sync[1], cerr);
        if (oci_process_apply(&proc, &cerr) < 0)
            oci_sync_fail(sync[1], cerr);
        oci_sync_send(sync[1], OCI_SYNC_READY, 0, NULL);
        close(sync[1]);
        oci_run_payload(&proc, NULL, 0, platform, -1);
    }
    close(sync[1]);
    sync[1] = -1;
    for (size_t k = 0; k < n; k++)
        close(fds[k]);
    n = 0;
    if (console_fd >= 0)
        close(console_fd);
    console_fd = -1;
    if (oci_cgroup_enter(cgroup, first, err) < 0)
        goto out;
    oci_sync_send(sync[0], OCI_SYNC_GO, 0, NULL);
    struct oci_sync_msg m;
    for (;;) {
        if (oci_sync_recv(sync[0], &m, err) < 0)
            goto out;
        if (m.type == OCI_SYNC_ERROR) {
            oci_sync_error(&m, err);
            goto out;
        }
        if (m.type == OCI_SYNC_PID) {
            child = m.value;
            waitpid(first, NULL, 0);
            first = -1;
        } else if (m.type == OCI_SYNC_READY) {
            break;
        }
    }
    if (o->pid_file && oci_write_pid_file(o->pid_file, child, err) < 0)
        goto out;
    r = 0;
    if (!o->detach) {
        oci_forward_signals(child);
        *status = oci_wait_status(child);
        child = -1;
    }
out:
    if (r < 0 && first > 0) {
        kill(first, SIGKILL);
        waitpid(first, NULL, 0);
    }
    if (r < 0 && child > 0)
        kill(child, SIGKILL);
    for (size_t k = 0; k < n; k++)
        close(fds[k]);
    if (console_fd >= 0)
        close(console_fd);
    if (sync[0] >= 0)
        close(sync[0]);
    if (sync[1] >= 0)
        close(sync[1]);
    if (st.lock_fd >= 0)
        oci_state_close(&st);
    oci_process_fini(&proc);
    return r;
}
