/* run.c: vmjail_run: builds the guest process (VM, memory, program) and drives it from one
 * syscall or fault to the next until it ends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "loader.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include "trace.h"

#define VERSION "0.1.0"

const char *vmjail_version(void)
{
    return VERSION;
}

static int drive(struct vj_proc *p, vmjail_error **err)
{
    struct vj_stop stop;
    while (!p->exited) {
        if (vj_vm_run(p->vm, &stop, err) < 0)
            return -1;
        if (stop.kind == VJ_STOP_FAULT) {
            if (p->trace_fd >= 0)
                vj_trace_fault(p, &stop.fault);
            p->exited = true;
            p->result.signaled = 1;
            p->result.signal = stop.fault.signo;
            break;
        }
        int64_t r = vj_syscall_dispatch(p, &stop.sc);
        if (p->mem_broken)
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "lost the host mapping of guest memory");
        vj_vm_syscall_return(p->vm, r);
    }
    if (p->trace_fd >= 0)
        vj_trace_end(p);
    return 0;
}

int vmjail_run(const vmjail_config *cfg, struct vmjail_result *result, vmjail_error **err)
{
    if (cfg == NULL || cfg->program == NULL || result == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no program given");
    char *path = NULL;
    if (vj_find_program(cfg->program, cfg->envp, &path, err) < 0)
        return -1;
    if (cfg->cwd && chdir(cfg->cwd) < 0) {
        free(path);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cwd %s", cfg->cwd);
    }

    struct vj_proc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        free(path);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "allocate the process");
    }
    p->trace_fd = -1;
    int r = -1;
    /* The monitor takes SIGPIPE as an EPIPE result and gives the payload its own SIGPIPE. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);
    if (vj_vm_create(cfg->memory, &p->vm, err) < 0)
        goto out;
    p->mem = vj_vm_mem(p->vm);
    p->mem_size = vj_vm_mem_size(p->vm);
    vj_mm_init(p);
    if (cfg->trace_fd >= 0) {
        p->trace_fd = fcntl(cfg->trace_fd, F_DUPFD_CLOEXEC, 900);
        if (p->trace_fd < 0) {
            vj_error(err, VMJAIL_ERR_INTERNAL, errno, "trace descriptor");
            goto out;
        }
    }
    uint64_t entry, sp;
    if (vj_load_program(p, path, cfg->argv, cfg->envp, &entry, &sp, err) < 0 ||
        vj_vm_start(p->vm, entry, sp, err) < 0 || drive(p, err) < 0)
        goto out;
    *result = p->result;
    r = 0;
out:
    sigaction(SIGPIPE, &old_pipe, NULL);
    if (p->trace_fd >= 0)
        close(p->trace_fd);
    vj_mm_fini(p);
    vj_vm_destroy(p->vm);
    free(p);
    free(path);
    return r;
}
