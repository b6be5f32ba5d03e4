/* run.c: vmjail_run: builds the guest process (VM, memory, program) and drives it from one
 * syscall or fault to the next until it ends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/error.h"
#include "loader/loader.h"
#include "monitor/fastcall.h"
#include "monitor/gdb.h"
#include "monitor/proc_life.h"
#include "monitor/ipc.h"
#include "monitor/mm.h"
#include "monitor/proc.h"
#include "monitor/process.h"
#include "monitor/procfs.h"
#include "monitor/seccomp.h"
#include "monitor/snapshot.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"
#include "monitor/thread.h"
#include "monitor/trace.h"

#define VERSION "0.1.0"

const char *vmjail_version(void)
{
    return VERSION;
}

int vmjail_run(const vmjail_config *cfg, struct vmjail_result *result, vmjail_error **err)
{
    if (cfg == NULL || (cfg->program == NULL && cfg->restore_file == NULL) || result == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no program given");
    if (cfg->confine.root != NULL && (cfg->restore_file || cfg->snap_mark))
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "snapshots are not taken in a sandbox yet");
    if (cfg->confine.root != NULL && cfg->gdb != NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--gdb does not work with a root (yet)");
    if (cfg->confine.root != NULL)
        return vj_sandbox_run(cfg, result, err);
    if (cfg->confine.first != NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "%s needs a root", cfg->confine.first);
    char *path = NULL;
    struct vj_snap_image *img = NULL; /* --from: the snapshot (snapshot.h) */
    struct vj_snap_req snap_req = {cfg->snap_mark, cfg->snap_file, cfg->snap_cont, false};
    if (cfg->restore_file && vj_snapshot_open(cfg->restore_file, &img, err) < 0)
        return -1;
    if (img == NULL && vj_find_program(cfg->program, cfg->envp, &path, err) < 0)
        return -1;
    if (cfg->cwd && chdir(cfg->cwd) < 0) {
        free(path);
        vj_snapshot_close(img);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cwd %s", cfg->cwd);
    }

    struct vj_proc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        free(path);
        vj_snapshot_close(img);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "allocate the process");
    }
    p->trace_fd = -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->mm_lock, NULL);
    pthread_cond_init(&p->ended, NULL);
    int r = -1;
    /* The monitor takes SIGPIPE as an EPIPE result and gives the payload its own SIGPIPE. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);
    struct sigaction old_kick;
    vj_threads_init_signals(&old_kick);
    struct rlimit old_nofile; /* the caller's, given back at the end (an embedder's process) */
    vj_limits_init(p, &old_nofile);
    if (vj_vm_use_platform(cfg->platform, err) < 0 ||
        vj_vm_create(img ? img->snap.proc.mem_size : cfg->memory, cfg->host_cache, &p->vm,
                     err) < 0)
        goto out;
    p->mem = vj_vm_mem(p->vm);
    p->mem_size = vj_vm_mem_size(p->vm);
    vj_mm_init(p);
    if (cfg->trace_fd >= 0) {
        p->trace_fd = cfg->trace_fd_taken ? cfg->trace_fd
                                          : fcntl(cfg->trace_fd, F_DUPFD_CLOEXEC, 900);
        if (p->trace_fd < 0) {
            vj_error(err, VMJAIL_ERR_INTERNAL, errno, "trace descriptor");
            goto out;
        }
    }
    p->proctitle = cfg->proctitle;
    p->core_path = cfg->core_path;
    _Static_assert(sizeof p->kept_fds == sizeof cfg->kept_fds, "kept descriptors");
    memcpy(p->kept_fds, cfg->kept_fds, sizeof p->kept_fds);
    p->n_kept_fds = cfg->n_kept_fds;
    /* A snapshot is taken at a VM exit, with no code patched for the fast path. */
    vj_fast_init(p, cfg->snap_mark ? VMJAIL_SYSCALL_PATH_EXIT : cfg->syscall_path);
    if (cfg->snap_mark)
        p->snap_req = &snap_req;
    if (img && vj_snapshot_restore_proc(p, img, err) < 0)
        goto out;
    if (img == NULL && vj_procfs_init(p, path, cfg->argv, cfg->envp) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "process information");
        goto out;
    }
    uint64_t entry, sp;
    struct vj_vcpu *vcpu = vj_vm_first_vcpu(p->vm);
    if (img) {
        entry = img->snap.thread.regs.rip;
        sp = img->snap.thread.regs.rsp;
    } else if (vj_load_program(p, path, cfg->argv, cfg->envp, &entry, &sp, err) < 0) {
        goto out;
    }
    if (vj_vcpu_start(vcpu, entry, sp, err) < 0)
        goto out;
    struct vj_thread *first = vj_thread_first(p, vcpu);
    if (first == NULL) {
        vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "start the first thread");
        goto out;
    }
    if (img && vj_snapshot_restore_thread(first, img, err) < 0)
        goto out;
    vj_snapshot_close(img); /* its memory stays mapped */
    img = NULL;
    if (cfg->gdb && vj_gdb_start(p, cfg->gdb, !cfg->gdb_listen, err) < 0) {
        vj_proc_end(p, true, SIGKILL);
        vj_proc_join_threads(p);
        goto out;
    }
    if (cfg->seccomp && vj_seccomp_install(vj_vm_platform_in_use(), err) < 0)
        goto out;
    vj_thread_loop(first);
    vj_proc_join_threads(p);
    vj_ipc_end(p);
    if (p->error) {
        if (err)
            *err = p->error;
        else
            vmjail_error_free(p->error);
        goto out;
    }
    if (p->trace_fd >= 0)
        vj_trace_end(p);
    if (p->snap_req && !p->forked && !snap_req.done) {
        vj_error(err, VMJAIL_ERR_USAGE, 0, "snapshot: the program ended (%s %d) before its mark",
                 p->result.signaled ? "signal" : "status",
                 p->result.signaled ? p->result.signal : p->result.exit_code);
        goto out;
    }
    if (p->forked)
        vj_proc_exit_host(p); /* a payload process forked from this one ends here */
    *result = p->result;
    r = 0;
out:
    vj_threads_restore_signals(&old_kick);
    sigaction(SIGPIPE, &old_pipe, NULL);
    setrlimit(RLIMIT_NOFILE, &old_nofile);
    if (p->trace_fd >= 0)
        close(p->trace_fd);
    vj_procfs_fini(p);
    vj_mm_fini(p);
    /* The caller exits next: a helper frees the VM after it (not in a payload's forked
     * process, where the helper would become its parent's payload's child). */
    if (cfg->exit_after_run && !p->forked && p->vm && vj_vm_leave_to_helper())
        vj_vm_forget(p->vm);
    else
        vj_vm_destroy(p->vm);
    pthread_cond_destroy(&p->ended);
    pthread_mutex_destroy(&p->mm_lock);
    pthread_mutex_destroy(&p->lock);
    free(p);
    free(path);
    vj_snapshot_close(img);
    return r;
}
