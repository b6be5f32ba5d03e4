/* sandbox.c: confined runs (a configuration with a root, made a container by the OCI runtime's
 * own code, src/oci/sandbox.c) and the sandbox handles of the public API: a payload run in a
 * child process of the caller's, started, waited for, signalled and destroyed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/error.h"
#include "loader/loader.h"
#include "oci/oci.h"

/* ---- a confined run, in the foreground ------------------------------------------------- */

int vj_sandbox_run(const vmjail_config *cfg, struct vmjail_result *result, vmjail_error **err)
{
    const struct vj_confine *k = &cfg->confine;
    if (cfg->program == NULL || cfg->argv == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no program given");
    size_t argc = 0;
    while (cfg->argv[argc])
        argc++;
    /* The program is args[0] in a container: the payload's argv[0]. */
    char **args = calloc(argc + 1, sizeof *args);
    struct oci_sandbox_volume *vols = calloc(k->n_volumes + 1, sizeof *vols);
    struct oci_sandbox_port *ports = calloc(k->n_ports + 1, sizeof *ports);
    int r = -1;
    if (args == NULL || vols == NULL || ports == NULL) {
        vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "sandbox");
        goto out;
    }
    args[0] = cfg->program;
    for (size_t i = 1; i < argc; i++)
        args[i] = cfg->argv[i];
    for (size_t i = 0; i < k->n_volumes; i++)
        vols[i] = (struct oci_sandbox_volume){k->volumes[i].host, k->volumes[i].guest,
                                              k->volumes[i].read_only};
    for (size_t i = 0; i < k->n_ports; i++)
        ports[i] = (struct oci_sandbox_port){k->ports[i].host, k->ports[i].guest, k->ports[i].udp};
    char memory[32];
    snprintf(memory, sizeof memory, "%llu", (unsigned long long)cfg->memory);
    struct oci_sandbox_opts o = {
        .root = k->root,
        .args = args,
        .env = cfg->envp,
        .cwd = cfg->cwd,
        .hostname = k->hostname,
        .read_only = k->read_only,
        .volumes = vols,
        .n_volumes = k->n_volumes,
        .tmpfs = (const char *const *)k->tmpfs,
        .n_tmpfs = k->n_tmpfs,
        .network = k->network == VMJAIL_NETWORK_HOST  ? OCI_SANDBOX_NET_HOST
                   : k->network == VMJAIL_NETWORK_NAT ? OCI_SANDBOX_NET_NAT
                                                      : OCI_SANDBOX_NET_NONE,
        .ports = ports,
        .n_ports = k->n_ports,
        .uid = k->uid,
        .gid = k->gid,
        .pids = k->pids,
        .cpus = k->cpus,
        .memory = memory,
        .platform = vj_platform_name(cfg->platform),
        .syscall_path = vj_syscall_path_name(cfg->syscall_path),
        .core_dump = cfg->core_path,
        .trace = cfg->trace_fd >= 0,
    };
    int status = 0;
    if (oci_sandbox_run(&o, &status, err) < 0)
        goto out;
    /* The container's convention: 128 + N for a payload ended by signal N. */
    *result = status > 128 && status < 128 + NSIG
                  ? (struct vmjail_result){.signaled = 1, .signal = status - 128}
                  : (struct vmjail_result){.exit_code = status};
    r = 0;
out:
    free(args);
    free(vols);
    free(ports);
    return r;
}

/* ---- handles --------------------------------------------------------------------------- */

/* What the child says of its run, in memory it shares with the caller (not a descriptor the
 * payload could reach): written once, just before it exits. */
enum { REPORT_NONE, REPORT_RESULT, REPORT_ERROR };
struct sandbox_report {
    int state;
    struct vmjail_result result;
    enum vmjail_error_kind kind;
    int errnum;
    char message[sizeof(((struct vmjail_error *)0)->msg)];
};

struct vmjail_sandbox {
    vmjail_config *cfg; /* the handle's own copy */
    int stdio[3];       /* the caller's descriptors, or -1 for /dev/null */
    pid_t pid;          /* 0 before start */
    int pidfd;          /* -1 before start */
    bool reaped;
    struct vmjail_result result;
    struct sandbox_report *report;
};

vmjail_sandbox *vmjail_sandbox_create(const vmjail_config *cfg, vmjail_error **err)
{
    if (cfg == NULL || cfg->program == NULL) {
        vj_error(err, VMJAIL_ERR_USAGE, 0, "no program given");
        return NULL;
    }
    if (cfg->confine.root == NULL && cfg->confine.first != NULL) {
        vj_error(err, VMJAIL_ERR_USAGE, 0, "%s needs a root", cfg->confine.first);
        return NULL;
    }
    vmjail_sandbox *sb = calloc(1, sizeof *sb);
    if (sb == NULL || (sb->cfg = vj_config_copy(cfg)) == NULL) {
        free(sb);
        vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "sandbox");
        return NULL;
    }
    sb->stdio[0] = STDIN_FILENO;
    sb->stdio[1] = STDOUT_FILENO;
    sb->stdio[2] = STDERR_FILENO;
    sb->pidfd = -1;
    return sb;
}

int vmjail_sandbox_set_stdio(vmjail_sandbox *sb, int in, int out, int errfd, vmjail_error **err)
{
    if (sb == NULL || sb->pid != 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "sandbox: stdio set %s",
                        sb ? "after start" : "on no sandbox");
    const int fds[3] = {in, out, errfd};
    for (int i = 0; i < 3; i++)
        if (fds[i] < -1 || (fds[i] >= 0 && fcntl(fds[i], F_GETFD) < 0))
            return vj_error(err, VMJAIL_ERR_USAGE, EBADF, "sandbox: descriptor %d", fds[i]);
    memcpy(sb->stdio, fds, sizeof fds);
    return 0;
}

/* The child's standard descriptors: each moved out of the way first (a given descriptor may
 * be another's number), then to its place; -1 is /dev/null. */
static int child_stdio(const int want[3])
{
    int tmp[3];
    for (int i = 0; i < 3; i++) {
        tmp[i] = want[i] >= 0 ? fcntl(want[i], F_DUPFD, 3) : open("/dev/null", O_RDWR);
        if (tmp[i] < 0)
            return -1;
    }
    for (int i = 0; i < 3; i++)
        if (dup2(tmp[i], i) < 0)
            return -1;
    return 0;
}

static _Noreturn void child_main(vmjail_sandbox *sb, pid_t parent)
{
    struct sandbox_report *rep = sb->report;
    vmjail_config *cfg = sb->cfg;
    /* It ends with the caller's thread that started it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    vmjail_error *e = NULL;
    /* The trace's descriptor (a confined run's trace is its stderr), moved high first: the
     * run keeps it as the monitor's own. */
    int trace = -1;
    if (cfg->trace_fd >= 0 && cfg->confine.root == NULL &&
        (trace = fcntl(cfg->trace_fd, F_DUPFD_CLOEXEC, 900)) < 0)
        _exit(127);
    if (child_stdio(sb->stdio) < 0) {
        vj_error(&e, VMJAIL_ERR_INTERNAL, errno, "sandbox: standard descriptors");
    } else {
        /* None of the caller's descriptors but those. */
        if (trace >= 0) {
            syscall(SYS_close_range, 3, trace - 1, 0);
            syscall(SYS_close_range, trace + 1, ~0U, 0);
            cfg->trace_fd = trace;
            cfg->trace_fd_taken = true;
        } else {
            syscall(SYS_close_range, 3, ~0U, 0);
        }
        cfg->exit_after_run = true;
        struct vmjail_result res;
        if (vmjail_run(cfg, &res, &e) == 0) {
            rep->result = res;
            __atomic_store_n(&rep->state, REPORT_RESULT, __ATOMIC_RELEASE);
            _exit(0);
        }
    }
    rep->kind = vmjail_error_kind(e);
    rep->errnum = vmjail_error_errno(e);
    snprintf(rep->message, sizeof rep->message, "%s", vmjail_error_message(e));
    __atomic_store_n(&rep->state, REPORT_ERROR, __ATOMIC_RELEASE);
    _exit(125);
}

int vmjail_sandbox_start(vmjail_sandbox *sb, vmjail_error **err)
{
    if (sb == NULL || sb->pid != 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "sandbox: %s",
                        sb ? "already started" : "no sandbox");
    if (sb->cfg->confine.root == NULL) { /* said now, where it can be */
        char *path = NULL;
        if (vj_find_program(sb->cfg->program, sb->cfg->envp, &path, err) < 0)
            return -1;
        free(path);
    }
    sb->report = mmap(NULL, sizeof *sb->report, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sb->report == MAP_FAILED) {
        sb->report = NULL;
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "sandbox: its report");
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "sandbox: fork");
    if (pid == 0)
        child_main(sb, parent);
    sb->pid = pid;
    sb->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (sb->pidfd < 0) {
        int e = errno;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        sb->reaped = true;
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "sandbox: pidfd_open");
    }
    fcntl(sb->pidfd, F_SETFD, FD_CLOEXEC);
    return 0;
}

int vmjail_sandbox_pid(const vmjail_sandbox *sb)
{
    return sb ? sb->pid : 0;
}

int vmjail_sandbox_fd(const vmjail_sandbox *sb)
{
    return sb ? sb->pidfd : -1;
}

/* The sandbox's end, from the child's report and wait status SI. */
static int take_end(vmjail_sandbox *sb, const siginfo_t *si, vmjail_error **err)
{
    const struct sandbox_report *rep = sb->report;
    int state = __atomic_load_n(&rep->state, __ATOMIC_ACQUIRE);
    if (state == REPORT_RESULT) {
        sb->result = rep->result;
        return 0;
    }
    if (state == REPORT_ERROR) {
        vj_error(err, rep->kind, 0, "%s", rep->message);
        if (err && *err)
            (*err)->errnum = rep->errnum;
        return -1;
    }
    if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED) {
        sb->result = (struct vmjail_result){.signaled = 1, .signal = si->si_status};
        return 0;
    }
    return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                    "sandbox: its process ended with status %d before it ran the payload",
                    si->si_status);
}

int vmjail_sandbox_wait(vmjail_sandbox *sb, int nohang, struct vmjail_result *result,
                        vmjail_error **err)
{
    if (sb == NULL || sb->pid == 0 || result == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "sandbox: %s",
                        sb == NULL ? "no sandbox" : sb->pid == 0 ? "not started" : "no result");
    if (!sb->reaped) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int r;
        while ((r = waitid(P_PID, (id_t)sb->pid, &si, WEXITED | (nohang ? WNOHANG : 0))) < 0 &&
               errno == EINTR)
            ;
        if (r < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "sandbox: wait for %d", sb->pid);
        if (si.si_pid == 0)
            return 0; /* it runs */
        sb->reaped = true;
        if (take_end(sb, &si, err) < 0) {
            sb->report->state = REPORT_NONE; /* said once */
            sb->result = (struct vmjail_result){.exit_code = 125};
            return -1;
        }
    }
    *result = sb->result;
    return 1;
}

int vmjail_sandbox_kill(vmjail_sandbox *sb, int sig, vmjail_error **err)
{
    if (sb == NULL || sb->pid == 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "sandbox: %s",
                        sb ? "not started" : "no sandbox");
    if (sb->reaped)
        return vj_error(err, VMJAIL_ERR_USAGE, ESRCH, "sandbox: it has ended");
    if (syscall(SYS_pidfd_send_signal, sb->pidfd, sig, NULL, 0) < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, errno, "sandbox: signal %d", sig);
    return 0;
}

void vmjail_sandbox_destroy(vmjail_sandbox *sb)
{
    if (sb == NULL)
        return;
    if (sb->pid > 0 && !sb->reaped) {
        syscall(SYS_pidfd_send_signal, sb->pidfd, SIGKILL, NULL, 0);
        while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (sb->pidfd >= 0)
        close(sb->pidfd);
    if (sb->report)
        munmap(sb->report, sizeof *sb->report);
    vmjail_config_free(sb->cfg);
    free(sb);
}
