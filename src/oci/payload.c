/* payload.c: the last step of a container process: run its program in a VM in this process
 * and end as the program ended (by the same signal where the kernel lets us).  The monitor's
 * seccomp filter is already on (installed before the process dropped its privileges). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

/* An annotation (or environment) value such as "512M" for the guest memory size. */
static uint64_t parse_memory(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    switch (*end) {
    case 'k': case 'K': v <<= 10; break;
    case 'm': case 'M': v <<= 20; break;
    case 'g': case 'G': v <<= 30; break;
    default: break;
    }
    return v;
}

/* The payload could not be run: one line, and the exit code `vmjail run` gives for it. */
static _Noreturn void payload_failed(vmjail_error *err)
{
    fprintf(stderr, "vmjail: %s\n", vmjail_error_message(err));
    int code = vmjail_error_kind(err) == VMJAIL_ERR_NOTFOUND ? 127
               : vmjail_error_kind(err) == VMJAIL_ERR_NOEXEC ? 126
                                                              : 125;
    vmjail_error_free(err);
    _exit(code);
}

/* The run options the annotations give (cli.md lists them). */
static int apply_annotations(vmjail_config *cfg, const struct oci_kv *ann, size_t n,
                             vmjail_error **err)
{
    const char *memory = oci_annotation(ann, n, OCI_ANNOTATION_MEMORY);
    if (memory && vmjail_config_set_memory(cfg, parse_memory(memory), err) < 0)
        return -1;
    const char *trace = oci_annotation(ann, n, OCI_ANNOTATION_TRACE);
    if (trace && strcmp(trace, "stderr") != 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "annotation %s: '%s' is not stderr",
                        OCI_ANNOTATION_TRACE, trace);
    if (trace && vmjail_config_set_trace_fd(cfg, STDERR_FILENO, err) < 0)
        return -1;
    /* The core file's path, resolved by the monitor in the container's root. */
    const char *core = oci_annotation(ann, n, OCI_ANNOTATION_CORE_DUMP);
    if (core && vmjail_config_set_core_dump(cfg, core, err) < 0)
        return -1;
    const char *path = oci_annotation(ann, n, OCI_ANNOTATION_SYSCALL_PATH);
    int which = vmjail_syscall_path_by_name(path);
    if (which >= 0)
        return vmjail_config_set_syscall_path(cfg, which, err);
    if (path)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "annotation %s: '%s' is not auto, exit or poll",
                        OCI_ANNOTATION_SYSCALL_PATH, path);
    return 0;
}

/* The watch: the caller that holds the pipe's other end has ended.  Every signal blocked (the
 * monitor's kicks never interrupt the read), so that once it blocks nothing but the caller's
 * end can end it. */
static void *watch_caller(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    char b;
    while (read((int)(intptr_t)arg, &b, 1) < 0 && errno == EINTR)
        ;
    _exit(128 + SIGKILL);
    return NULL;
}

/* The watch pipe's end, moved near the top of the descriptor table (below the monitor's own,
 * out of the way of the numbers the payload's own descriptors take); the run keeps it from
 * the payload (vmjail_config_keep_fd: the payload cannot use or close it, and its execs leave
 * it open). */
static int keep_watch_fd(int fd)
{
    struct rlimit rl;
    int ceiling = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)ceiling && rl.rlim_cur > 128)
        ceiling = (int)rl.rlim_cur;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, ceiling - 48);
    if (high < 0)
        high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (high >= 0)
        close(fd);
    return high;
}

_Noreturn void oci_run_payload(const struct oci_process *proc, const struct oci_kv *ann,
                               size_t n_ann, int platform, int watch_fd)
{
    vmjail_error *err = NULL;
    pthread_t watcher;
    if (watch_fd >= 0 && (watch_fd = keep_watch_fd(watch_fd)) < 0)
        payload_failed((vj_error(&err, VMJAIL_ERR_INTERNAL, errno, "watch the caller"), err));
    if (watch_fd >= 0 &&
        (errno = pthread_create(&watcher, NULL, watch_caller, (void *)(intptr_t)watch_fd)) != 0)
        payload_failed((vj_error(&err, VMJAIL_ERR_INTERNAL, errno, "watch the caller"), err));
    vmjail_config *cfg = vmjail_config_new(&err);
    if (cfg == NULL)
        payload_failed(err);
    int argc = 0;
    while (proc->args[argc])
        argc++;
    if (vmjail_config_set_platform(cfg, platform, &err) < 0 ||
        vmjail_config_set_env(cfg, proc->env, &err) < 0 ||
        vmjail_config_set_proctitle(cfg, 1, &err) < 0 ||
        vmjail_config_set_program(cfg, proc->args[0], argc, proc->args, &err) < 0 ||
        (watch_fd >= 0 && vmjail_config_keep_fd(cfg, watch_fd, &err) < 0) ||
        apply_annotations(cfg, ann, n_ann, &err) < 0)
        payload_failed(err);
    struct vmjail_result res;
    int r = vmjail_run(cfg, &res, &err);
    vmjail_config_free(cfg);
    if (r < 0)
        payload_failed(err);
    fflush(NULL);
    if (!res.signaled)
        _exit(res.exit_code);
    /* Die of the same signal, so that the waiter (conmon, containerd's shim) sees it. */
    signal(res.signal, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, res.signal);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), res.signal);
    /* pid 1 of a pid namespace cannot signal itself to death: exit as a shell reports it. */
    _exit(128 + res.signal);
}
