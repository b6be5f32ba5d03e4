/* container.c: the container lifecycle: create (the container process set up and waiting
 * before its first instruction), start, kill, delete, and run (create + start + wait). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "monitor/seccomp.h"
#include "oci/oci.h"
#include "oci/sync.h"

/* Signals that end a container process still waiting for start (as pid 1 it would ignore
 * them with the default action). */
static void waiting_signal(int sig)
{
    _exit(128 + sig);
}

/* The container process: everything after the namespaces, up to the payload. */
/* The container process's descriptors from the runtime: the sync socket, the exec FIFO, the
 * console socket's connection, and the watch pipe's read end (or -1). */
struct container_fds {
    int sync, fifo, console, watch;
};

static _Noreturn void container_main(const struct container_fds *fds, const struct oci_spec *spec,
                                     const struct oci_create_opts *opts, bool in_userns,
                                     int platform)
{
    int sync_fd = fds->sync, fifo_fd = fds->fifo, console_fd = fds->console;
    vmjail_error *err = NULL;
    struct oci_sync_msg m;
    if (oci_spec_namespace(spec, CLONE_NEWNS) == NULL)
        oci_sync_fail(sync_fd, (vj_error(&err, VMJAIL_ERR_USAGE, 0,
                                         "config.json: a mount namespace is required"), err));
    if (oci_rootfs_prepare(spec, in_userns, &err) < 0)
        oci_sync_fail(sync_fd, err);
    if (oci_sync_send(sync_fd, OCI_SYNC_HOOKS, 0, NULL) < 0 ||
        oci_sync_expect(sync_fd, OCI_SYNC_HOOKS_ACK, &m, &err) < 0)
        _exit(125);
    /* createContainer hooks: in the container's namespaces, before pivot_root. */
    char *state_json = strdup(m.text);
    if (state_json == NULL ||
        oci_hooks_run(spec, OCI_HOOK_CREATE_CONTAINER, state_json, &err) < 0)
        oci_sync_fail(sync_fd, err);
    /* sysctls before the read-only paths (/proc/sys is usually one). */
    if (oci_rootfs_enter(spec, opts->no_pivot, &err) < 0 || oci_apply_sysctl(spec, &err) < 0 ||
        oci_rootfs_finish(spec, &err) < 0)
        oci_sync_fail(sync_fd, err);
    /* The monitor's filter goes on while the process may still load it without
     * no_new_privs; everything after this point is allowed by it. */
    if (vj_seccomp_install(platform, &err) < 0)
        oci_sync_fail(sync_fd, err);
    if (console_fd >= 0 && oci_console_setup(console_fd, &spec->process, &err) < 0)
        oci_sync_fail(sync_fd, err);
    if (oci_process_apply(&spec->process, &err) < 0)
        oci_sync_fail(sync_fd, err);
    struct sigaction sa = {.sa_handler = waiting_signal};
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && s != SIGCONT && s != SIGWINCH &&
            s != SIGURG)
            sigaction(s, &sa, NULL);
    oci_sync_send(sync_fd, OCI_SYNC_READY, 0, NULL);
    close(sync_fd);
    /* Wait for start: it writes one byte into the FIFO. */
    char c;
    ssize_t n;
    do
        n = read(fifo_fd, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(125);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &dfl, NULL);
    /* startContainer hooks: in the container, before the payload's first instruction. */
    if (oci_hooks_run(spec, OCI_HOOK_START_CONTAINER, state_json, &err) < 0) {
        fprintf(stderr, "vmjail: %s\n", vmjail_error_message(err));
        _exit(125);
    }
    free(state_json);
    /* start waits for this close before it runs the poststart hooks. */
    close(fifo_fd);
    oci_run_payload(&spec->process, spec->annotations, spec->n_annotations, platform,
                    fds->watch);
}

/* Namespaces to join (opened now, in the runtime's mount namespace) and to make. */
struct ns_plan {
    int fds[8], flags[8];
    size_t n;
    int new_flags;
};

static int plan_namespaces(const struct oci_spec *spec, struct ns_plan *plan, vmjail_error **err)
{
    memset(plan, 0, sizeof *plan);
    for (size_t i = 0; i < spec->n_namespaces; i++) {
        const struct oci_namespace *ns = &spec->namespaces[i];
        if (ns->path == NULL || ns->path[0] == '\0') {
            plan->new_flags |= ns->flag;
            continue;
        }
        int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            for (size_t k = 0; k < plan->n; k++)
                close(plan->fds[k]);
            return vj_error(err, VMJAIL_ERR_USAGE, errno, "linux.namespaces: %s", ns->path);
        }
        plan->fds[plan->n] = fd;
        plan->flags[plan->n++] = ns->flag;
    }
    return 0;
}

static char *creating_state_json(struct oci_state *st, pid_t pid)
{
    struct oci_state copy = *st;
    copy.pid = pid;
    copy.start_time = oci_pid_start_time(pid);
    return oci_state_json(&copy);
}

int oci_wait_status(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 125;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

static pid_t forward_to = 0;

static void forward_signal(int sig)
{
    if (forward_to > 0)
        kill(forward_to, sig);
}

void oci_forward_signals(pid_t pid)
{
    forward_to = pid;
    struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && s != SIGSEGV && s != SIGBUS &&
            s != SIGILL && s != SIGFPE && s != SIGPIPE)
            sigaction(s, &sa, NULL);
}

int oci_container_create(const struct oci_create_opts *opts, int *status, vmjail_error **err)
{
    struct oci_spec *spec = NULL;
    if (oci_spec_load(opts->bundle, &spec, err) < 0)
        return -1;
    return oci_container_create_spec(opts, spec, status, err);
}

int oci_container_create_spec(const struct oci_create_opts *opts, struct oci_spec *spec,
                              int *status, vmjail_error **err)
{
    struct stat rst;
    if (stat(spec->root_path, &rst) < 0 || !S_ISDIR(rst.st_mode)) {
        vj_error(err, VMJAIL_ERR_USAGE, errno ? errno : ENOTDIR, "root.path %s", spec->root_path);
        oci_spec_free(spec);
        return -1;
    }
    if (spec->process.terminal && opts->console_socket == NULL) {
        vj_error(err, VMJAIL_ERR_USAGE, 0,
                 "process.terminal is set: --console-socket is required");
        oci_spec_free(spec);
        return -1;
    }
    struct oci_state st;
    if (oci_state_create(opts->root, opts->id, &st, err) < 0) {
        oci_spec_free(spec);
        return -1;
    }
    char bundle[PATH_MAX];
    if (realpath(opts->bundle, bundle) == NULL)
        snprintf(bundle, sizeof bundle, "%s", opts->bundle);
    snprintf(st.bundle, sizeof st.bundle, "%s", bundle);
    if (opts->no_cgroup)
        st.cgroup[0] = '\0'; /* every cgroup operation is then none (cgroup.c) */
    else if (spec->cgroups_path && spec->cgroups_path[0])
        snprintf(st.cgroup, sizeof st.cgroup, "%s", spec->cgroups_path);
    else
        oci_cgroup_default_path(opts->id, st.cgroup, sizeof st.cgroup);
    st.annotations = spec->annotations; /* borrowed: given back before oci_state_close */
    st.n_annotations = spec->n_annotations;

    int r = -1, sync[2] = {-1, -1}, fifo_fd = -1, console_fd = -1, kvm_fd = -1;
    int watch[2] = {-1, -1}; /* die_with_caller: the container ends when this end closes */
    pid_t first = -1, container = -1;
    bool cgroup_made = false;
    char fifo[PATH_MAX];
    struct ns_plan plan;
    plan.n = 0;
    oci_state_fifo_path(&st, fifo, sizeof fifo);
    if (mkfifo(fifo, 0600) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mkfifo %s", fifo);
        goto fail;
    }
    fifo_fd = open(fifo, O_RDWR | O_CLOEXEC);
    if (fifo_fd < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open %s", fifo);
        goto fail;
    }
    int platform = oci_platform_of(spec->annotations, spec->n_annotations, err);
    if (platform < 0 || (platform = oci_platform_resolve(platform, &kvm_fd, err)) < 0)
        goto fail;
    st.platform = platform;
    if (opts->console_socket && (console_fd = oci_console_connect(opts->console_socket, err)) < 0)
        goto fail;
    if (plan_namespaces(spec, &plan, err) < 0)
        goto fail;
    cgroup_made = true; /* a half-made cgroup is removed too */
    if (oci_cgroup_create(st.cgroup, &spec->resources, err) < 0)
        goto fail;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "socketpair");
        goto fail;
    }
    if (opts->die_with_caller && pipe2(watch, O_CLOEXEC) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "pipe");
        goto fail;
    }
    if (opts->foreground)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    fflush(NULL);
    first = fork();
    if (first < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "fork");
        goto fail;
    }
    if (first == 0) {
        close(sync[0]);
        close(st.lock_fd);
        struct oci_sync_msg m;
        vmjail_error *cerr = NULL;
        if (oci_sync_expect(sync[1], OCI_SYNC_GO, &m, &cerr) < 0)
            _exit(125);
        oci_enter_namespaces(sync[1], plan.fds, plan.flags, plan.n, plan.new_flags);
        /* The container process: keep stdio, the preserved descriptors and our own. */
        int keep[] = {sync[1], fifo_fd, console_fd, kvm_fd, watch[0]};
        oci_close_fds_from(3 + opts->preserve_fds, keep, sizeof keep / sizeof keep[0]);
        bool in_userns = plan.new_flags & CLONE_NEWUSER;
        for (size_t i = 0; i < plan.n; i++)
            in_userns |= plan.flags[i] == CLONE_NEWUSER;
        struct container_fds fds = {sync[1], fifo_fd, console_fd, watch[0]};
        container_main(&fds, spec, opts, in_userns, platform);
    }
    if (watch[0] >= 0)
        close(watch[0]);
    watch[0] = -1;
    close(sync[1]);
    sync[1] = -1;
    for (size_t k = 0; k < plan.n; k++)
        close(plan.fds[k]);
    plan.n = 0;
    if (console_fd >= 0)
        close(console_fd);
    console_fd = -1;
    if (oci_cgroup_enter(st.cgroup, first, err) < 0)
        goto fail;
    oci_sync_send(sync[0], OCI_SYNC_GO, 0, NULL);
    struct oci_sync_msg m;
    for (;;) {
        if (oci_sync_recv(sync[0], &m, err) < 0)
            goto fail;
        if (m.type == OCI_SYNC_ERROR) {
            oci_sync_error(&m, err);
            goto fail;
        }
        if (m.type == OCI_SYNC_USERMAP) {
            if (oci_write_id_maps(first, spec, err) < 0)
                goto fail;
            oci_sync_send(sync[0], OCI_SYNC_USERMAP_ACK, 0, NULL);
        } else if (m.type == OCI_SYNC_PID) {
            container = m.value;
            int ws;
            waitpid(first, &ws, 0);
            first = -1;
        } else if (m.type == OCI_SYNC_HOOKS) {
            char *json = creating_state_json(&st, container);
            int hr = json ? oci_hooks_run(spec, OCI_HOOK_PRESTART, json, err) : -1;
            if (hr == 0)
                hr = oci_hooks_run(spec, OCI_HOOK_CREATE_RUNTIME, json, err);
            if (hr < 0) {
                free(json);
                goto fail;
            }
            oci_sync_send(sync[0], OCI_SYNC_HOOKS_ACK, 0, json);
            free(json);
        } else if (m.type == OCI_SYNC_READY) {
            break;
        }
    }
    if (opts->attach && opts->attach(container, opts->attach_arg, err) < 0)
        goto fail;
    st.pid = container;
    st.start_time = oci_pid_start_time(container);
    if (oci_state_save(&st, err) < 0)
        goto fail;
    if (opts->pid_file && oci_write_pid_file(opts->pid_file, container, err) < 0)
        goto fail;
    r = 0;
    if (opts->foreground) {
        /* run: start it now and wait, passing our signals on. */
        close(fifo_fd);
        fifo_fd = -1;
        st.annotations = NULL;
        st.n_annotations = 0;
        oci_state_close(&st);
        if (oci_container_start(opts->root, opts->id, err) < 0) {
            kill(container, SIGKILL);
            oci_wait_status(container);
            oci_container_delete(opts->root, opts->id, true, NULL);
            oci_spec_free(spec);
            close(sync[0]);
            if (watch[1] >= 0)
                close(watch[1]);
            return -1;
        }
        oci_forward_signals(container);
        *status = oci_wait_status(container);
        oci_container_delete(opts->root, opts->id, true, NULL);
        close(sync[0]);
        if (watch[1] >= 0)
            close(watch[1]);
        oci_spec_free(spec);
        return 0;
    }
    goto out;
fail:
    if (first > 0) {
        kill(first, SIGKILL);
        waitpid(first, NULL, 0);
    }
    if (container > 0)
        kill(container, SIGKILL);
    for (size_t k = 0; k < plan.n; k++)
        close(plan.fds[k]);
    if (console_fd >= 0)
        close(console_fd);
    if (cgroup_made) {
        for (int i = 0; container > 0 && i < 200 && oci_pid_start_time(container); i++)
            usleep(5000);
        oci_cgroup_destroy(st.cgroup, NULL);
    }
    st.annotations = NULL;
    st.n_annotations = 0;
    oci_state_remove(&st, NULL);
out:
    if (sync[0] >= 0)
        close(sync[0]);
    if (sync[1] >= 0)
        close(sync[1]);
    for (int k = 0; k < 2; k++)
        if (watch[k] >= 0)
            close(watch[k]);
    if (fifo_fd >= 0)
        close(fifo_fd);
    st.annotations = NULL;
    st.n_annotations = 0;
    oci_state_close(&st);
    oci_spec_free(spec);
    return r;
}

/* The spec the container was made from (for its hooks), or NULL. */
static struct oci_spec *load_bundle_spec(const struct oci_state *st)
{
    struct oci_spec *spec = NULL;
    if (st->bundle[0] && oci_spec_load(st->bundle, &spec, NULL) == 0)
        return spec;
    return NULL;
}

/* Wait (at most 10 s) until process PID no longer has the FIFO FIFO_ST open. */
static void wait_fifo_closed(pid_t pid, const struct stat *fifo_st)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    for (int round = 0; round < 10000; round++) {
        DIR *d = opendir(dir);
        if (d == NULL)
            return; /* it ended */
        bool open_there = false;
        struct dirent *de;
        while (!open_there && (de = readdir(d)) != NULL) {
            char path[sizeof dir + 300];
            struct stat fst;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            if (de->d_name[0] != '.' && stat(path, &fst) == 0 && fst.st_ino == fifo_st->st_ino &&
                fst.st_dev == fifo_st->st_dev)
                open_there = true;
        }
        closedir(d);
        if (!open_there)
            return;
        usleep(1000);
    }
}

int oci_container_start(const char *root, const char *id, vmjail_error **err)
{
    struct oci_state st;
    if (oci_state_open(root, id, &st, err) < 0)
        return -1;
    enum oci_status s = oci_state_status(&st);
    if (s != OCI_CREATED) {
        vj_error(err, VMJAIL_ERR_USAGE, 0, "cannot start container '%s': it is %s", id,
                 oci_status_name(s));
        oci_state_close(&st);
        return -1;
    }
    char fifo[PATH_MAX];
    oci_state_fifo_path(&st, fifo, sizeof fifo);
    int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "start container '%s'", id);
        oci_state_close(&st);
        return -1;
    }
    struct stat fifo_st;
    bool know_fifo = fstat(fd, &fifo_st) == 0;
    ssize_t n = write(fd, "0", 1);
    int e = errno;
    close(fd);
    unlink(fifo);
    /* poststart hooks run after the container's startContainer hooks: it closes its end of
     * the FIFO once they have run (or it ended). */
    if (n == 1 && know_fifo)
        wait_fifo_closed(st.pid, &fifo_st);
    if (n != 1) {
        vj_error(err, VMJAIL_ERR_INTERNAL, e, "start container '%s'", id);
        oci_state_close(&st);
        return -1;
    }
    struct oci_spec *spec = load_bundle_spec(&st);
    if (spec) {
        char *json = oci_state_json(&st);
        vmjail_error *herr = NULL;
        if (json && oci_hooks_run(spec, OCI_HOOK_POSTSTART, json, &herr) < 0) {
            fprintf(stderr, "vmjail: warning: %s\n", vmjail_error_message(herr));
            vmjail_error_free(herr);
        }
        free(json);
        oci_spec_free(spec);
    }
    oci_state_close(&st);
    return 0;
}

int oci_container_kill(const char *root, const char *id, int sig, bool all, vmjail_error **err)
{
    struct oci_state st;
    if (oci_state_open(root, id, &st, err) < 0)
        return -1;
    enum oci_status s = oci_state_status(&st);
    int r = 0;
    if (s == OCI_STOPPED || s == OCI_CREATING) {
        r = vj_error(err, VMJAIL_ERR_USAGE, 0, "container '%s' is not running", id);
    } else if (all) {
        pid_t *pids = NULL;
        int n = oci_cgroup_pids(st.cgroup, &pids, NULL);
        if (n <= 0) {
            if (kill(st.pid, sig) < 0)
                r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "kill %d", (int)st.pid);
        }
        for (int i = 0; i < n; i++)
            kill(pids[i], sig);
        free(pids);
    } else if (kill(st.pid, sig) < 0) {
        r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "kill %d", (int)st.pid);
    }
    if (s == OCI_PAUSED && (sig == SIGKILL || sig == SIGTERM))
        oci_cgroup_freeze(st.cgroup, false, NULL);
    oci_state_close(&st);
    return r;
}

int oci_container_delete(const char *root, const char *id, bool force, vmjail_error **err)
{
    struct oci_state st;
    if (oci_state_open(root, id, &st, err) < 0)
        return -1;
    enum oci_status s = oci_state_status(&st);
    if ((s == OCI_RUNNING || s == OCI_PAUSED) && !force) {
        vj_error(err, VMJAIL_ERR_USAGE, 0,
                 "cannot delete container '%s': it is %s (use --force)", id, oci_status_name(s));
        oci_state_close(&st);
        return -1;
    }
    if (s != OCI_STOPPED) {
        if (s == OCI_PAUSED)
            oci_cgroup_freeze(st.cgroup, false, NULL);
        kill(st.pid, SIGKILL);
        pid_t *pids = NULL;
        int n = oci_cgroup_pids(st.cgroup, &pids, NULL);
        for (int i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        free(pids);
        for (int i = 0; i < 2000 && oci_state_status(&st) != OCI_STOPPED; i++)
            usleep(5000);
    }
    /* Other processes of the container (its payload's children) go too. */
    for (int round = 0; round < 200; round++) {
        pid_t *pids = NULL;
        int n = oci_cgroup_pids(st.cgroup, &pids, NULL);
        for (int i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        free(pids);
        if (n <= 0)
            break;
        usleep(5000);
    }
    struct oci_spec *spec = load_bundle_spec(&st);
    if (spec) {
        char *json = oci_state_json(&st);
        vmjail_error *herr = NULL;
        if (json && oci_hooks_run(spec, OCI_HOOK_POSTSTOP, json, &herr) < 0) {
            fprintf(stderr, "vmjail: warning: %s\n", vmjail_error_message(herr));
            vmjail_error_free(herr);
        }
        free(json);
        oci_spec_free(spec);
    }
    oci_cgroup_destroy(st.cgroup, NULL);
    char fifo[PATH_MAX];
    oci_state_fifo_path(&st, fifo, sizeof fifo);
    unlink(fifo);
    return oci_state_remove(&st, err);
}

int oci_container_pause(const char *root, const char *id, bool pause, vmjail_error **err)
{
    struct oci_state st;
    if (oci_state_open(root, id, &st, err) < 0)
        return -1;
    enum oci_status s = oci_state_status(&st);
    int r;
    if (pause && s != OCI_RUNNING)
        r = vj_error(err, VMJAIL_ERR_USAGE, 0, "cannot pause container '%s': it is %s", id,
                     oci_status_name(s));
    else if (!pause && s != OCI_PAUSED)
        r = vj_error(err, VMJAIL_ERR_USAGE, 0, "cannot resume container '%s': it is %s", id,
                     oci_status_name(s));
    else
        r = oci_cgroup_freeze(st.cgroup, pause, err);
    oci_state_close(&st);
    return r;
}
