/* vcpu_process.c: vCPUs on the process platform: each is a stub thread whose context (in the
 * control region) carries its registers and XSAVE state at every stop: a trapped system call,
 * a fault, or the monitor's interrupt.  The payload can write the context at any time: each
 * field is read once, and nothing read is trusted beyond the register values it gives. */
#include <cpuid.h>
#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "host/process/process_platform.h"
#include "lib/error.h"

#define USER_FLAGS 0x254dd5ULL /* what user code may set in RFLAGS */

/* How long each side spins for the other before it sleeps: long enough to cover a system call
 * the monitor serves, and not at all where the two would spin on one CPU. */
uint32_t vj_process_spins(void)
{
    static uint32_t spins = UINT32_MAX;
    if (spins == UINT32_MAX)
        spins = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? VJ_PROCESS_SPINS : 0;
    return spins;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

bool vj_process_wait_stopped(struct vj_vm *vm, struct vj_stub_ctx *c, bool started,
                             uint32_t budget, const int *interrupted)
{
    int64_t asked = 0; /* when the sleeping wait first saw the interrupt */
    for (uint32_t spins = 0;; spins++) {
        uint32_t s = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
        if (s == VJ_STUB_STOPPED)
            return true;
        if (spins < budget) {
            __builtin_ia32_pause();
            continue;
        }
        /* Say so, then look once more: the stub wakes a sleeping monitor only. */
        __atomic_store_n(&c->mon_sleeps, 1, __ATOMIC_SEQ_CST);
        s = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
        if (s != VJ_STUB_STOPPED) {
            struct timespec tick = {0, 20 * 1000 * 1000};
            syscall(SYS_futex, &c->state, FUTEX_WAIT, s, &tick, NULL, 0);
        }
        __atomic_store_n(&c->mon_sleeps, 0, __ATOMIC_RELAXED);
        /* A thread the payload ended behind the monitor's back (the stub's exit call, from
         * its code): the kernel cleared its word. */
        if ((started && __atomic_load_n(&c->alive, __ATOMIC_ACQUIRE) == 0) ||
            (spins % 16 == 0 && vj_process_stub_ended(vm)))
            return false;
        if (interrupted && __atomic_load_n(interrupted, __ATOMIC_RELAXED)) {
            if (asked == 0)
                asked = now_ns();
            else if (now_ns() - asked > VJ_PROCESS_INTERRUPT_GRACE_NS)
                return false;
        }
    }
}

void vj_process_resume(struct vj_stub_ctx *c)
{
    __atomic_store_n(&c->state, VJ_STUB_RESUME, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->stub_sleeps, __ATOMIC_SEQ_CST))
        syscall(SYS_futex, &c->state, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int vj_process_vcpu_start(struct vj_vcpu *c, uint64_t entry, uint64_t sp, vmjail_error **err)
{
    if (c->started)
        return vj_error(err, VMJAIL_ERR_INTERNAL, EINVAL, "process platform: vCPU started twice");
    struct vj_stub_regs *r = &c->ctx->regs;
    memset(r, 0, sizeof *r);
    r->rip = entry;
    r->rsp = sp;
    r->rflags = 0x202;
    c->ctx->fpu_load = 0;
    c->started = true;
    c->held = true; /* since its START stop: run resumes it */
    return 0;
}

int vj_process_vcpu_run(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err)
{
    memset(stop, 0, sizeof *stop);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (c->held) {
        c->held = false;
        vj_process_resume(c->ctx);
    }
    if (!vj_process_wait_stopped(c->vm, c->ctx, true, c->spin_long ? 0 : vj_process_spins(),
                                 &c->interrupted))
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "process platform: the payload's stub process or thread ended by "
                        "itself or stopped answering (killed from outside, or broken by the "
                        "payload)");
    c->held = true;
    /* Spin for the next stop only if this one came soon: a payload that runs long between
     * stops (or a fast path that serves its calls) leaves the CPU to others. */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    c->spin_long = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec) >
                   VJ_PROCESS_SPIN_WINDOW_NS;
    struct vj_stub_ctx *x = c->ctx;
    uint32_t kind = __atomic_load_n(&x->kind, __ATOMIC_RELAXED);
    c->stop_kind = kind;
    const struct vj_stub_regs *r = &x->regs;
    if (kind == VJ_STUB_KIND_SYSCALL) {
        stop->kind = VJ_STOP_SYSCALL;
        stop->sc.nr = r->rax;
        stop->sc.arg[0] = r->rdi;
        stop->sc.arg[1] = r->rsi;
        stop->sc.arg[2] = r->rdx;
        stop->sc.arg[3] = r->r10;
        stop->sc.arg[4] = r->r8;
        stop->sc.arg[5] = r->r9;
    } else if (kind == VJ_STUB_KIND_FAULT) {
        int signo = x->signo, code = x->code;
        stop->kind = VJ_STOP_FAULT;
        stop->fault = (struct vj_fault){
            .signo = signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE ||
                             signo == SIGTRAP
                         ? signo
                         : SIGSEGV,
            .code = code,
            .vector = (int)(x->trapno & 0xff),
            .error_code = x->err,
            .pc = r->rip,
            .addr = x->addr,
            .what = "fault",
        };
        /* Unmapped guest memory is mapped without access in the stub: the host says
         * SEGV_ACCERR for both. */
        stop->fault.code_unknown = stop->fault.signo == SIGSEGV && code == SEGV_ACCERR;
    } else {
        __atomic_store_n(&c->interrupted, 0, __ATOMIC_RELAXED);
        stop->kind = VJ_STOP_INTERRUPT;
    }
    return 0;
}

/* The answers below are written into the held context; the next run resumes it. */
void vj_process_vcpu_syscall_return(struct vj_vcpu *c, int64_t ret)
{
    c->ctx->regs.rax = (uint64_t)ret;
}

void vj_process_vcpu_syscall_restart(struct vj_vcpu *c, uint64_t nr)
{
    c->ctx->regs.rax = nr;
    c->ctx->regs.rip -= 2; /* the syscall instruction again */
}

void vj_process_vcpu_interrupt(struct vj_vcpu *c)
{
    __atomic_store_n(&c->interrupted, 1, __ATOMIC_RELAXED);
    if (c->vm->stub > 0 && c->tid > 0)
        syscall(SYS_tgkill, c->vm->stub, c->tid, VJ_STUB_SIG_INTERRUPT);
}

bool vj_process_vcpu_get_user_regs(struct vj_vcpu *c, struct vj_user_regs *u)
{
    struct vj_stub_regs r;
    memcpy(&r, &c->ctx->regs, sizeof r);
    *u = (struct vj_user_regs){.r8 = r.r8, .r9 = r.r9, .r10 = r.r10, .r11 = r.r11,
                               .r12 = r.r12, .r13 = r.r13, .r14 = r.r14, .r15 = r.r15,
                               .rdi = r.rdi, .rsi = r.rsi, .rbp = r.rbp, .rbx = r.rbx,
                               .rdx = r.rdx, .rax = r.rax, .rcx = r.rcx, .rsp = r.rsp,
                               .rip = r.rip, .rflags = r.rflags};
    return true;
}

int vj_process_vcpu_set_user_regs(struct vj_vcpu *c, const struct vj_user_regs *u,
                                  vmjail_error **err)
{
    (void)err;
    struct vj_stub_regs *r = &c->ctx->regs;
    r->r8 = u->r8, r->r9 = u->r9, r->r10 = u->r10, r->r11 = u->r11, r->r12 = u->r12;
    r->r13 = u->r13, r->r14 = u->r14, r->r15 = u->r15, r->rdi = u->rdi, r->rsi = u->rsi;
    r->rbp = u->rbp, r->rbx = u->rbx, r->rdx = u->rdx, r->rax = u->rax, r->rcx = u->rcx;
    r->rsp = u->rsp, r->rip = u->rip;
    r->rflags = (u->rflags & USER_FLAGS) | 0x202;
    /* A syscall stop resumes with these registers: nothing more to return. */
    return 0;
}

/* ---- FPU state: the signal frame's XSAVE area, in the standard format ---------------------- */

uint64_t vj_process_vm_fpu_features(const struct vj_vm *vm)
{
    (void)vm;
    unsigned a, b, c, d;
    __cpuid_count(0xd, 0, a, b, c, d);
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32 | lo) & ((uint64_t)d << 32 | a);
}

uint32_t vj_process_vm_fpu_size(const struct vj_vm *vm)
{
    (void)vm;
    unsigned a, b, c, d;
    __cpuid_count(0xd, 0, a, b, c, d);
    return b < sizeof(struct vj_fpu) ? b : sizeof(struct vj_fpu);
}

bool vj_process_vm_fpu_component(const struct vj_vm *vm, int i, uint32_t *offset,
                                 uint32_t *size)
{
    if (i < 2 || i > 62 || !(vj_process_vm_fpu_features(vm) & (1ULL << i)))
        return false;
    unsigned a, b, c, d;
    __cpuid_count(0xd, (unsigned)i, a, b, c, d);
    *offset = b;
    *size = a;
    return true;
}

int vj_process_vcpu_get_fpu(struct vj_vcpu *c, struct vj_fpu *f, vmjail_error **err)
{
    (void)err;
    uint32_t size = c->ctx->fpu_size;
    if (size > sizeof f->area)
        size = sizeof f->area;
    memset(f->area, 0, sizeof f->area);
    memcpy(f->area, (uint8_t *)c->ctx + VJ_STUB_CTX_FPU, size);
    return 0;
}

int vj_process_vcpu_set_fpu(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err)
{
    (void)err;
    memcpy((uint8_t *)c->ctx + VJ_STUB_CTX_FPU, f->area, 0x1000);
    c->ctx->fpu_load = 1;
    return 0;
}

/* ---- FS and GS bases: set by the stub when the thread resumes ------------------------------- */

int vj_process_vcpu_set_tls_base(struct vj_vcpu *c, bool gs, uint64_t base, vmjail_error **err)
{
    (void)err;
    if (gs)
        c->ctx->regs.gs_base = base;
    else
        c->ctx->regs.fs_base = base;
    return 0;
}

int vj_process_vcpu_get_tls_base(struct vj_vcpu *c, bool gs, uint64_t *base, vmjail_error **err)
{
    (void)err;
    *base = gs ? c->ctx->regs.gs_base : c->ctx->regs.fs_base;
    return 0;
}

uint64_t vj_process_vcpu_gs_for_payload(const struct vj_vcpu *c, uint64_t real)
{
    (void)c;
    return real;
}

int vj_process_vcpu_set_payload_gs(struct vj_vcpu *c, uint64_t base, bool exec,
                                   vmjail_error **err)
{
    (void)exec;
    return vj_process_vcpu_set_tls_base(c, true, base, err);
}

/* ---- what is not built yet: threads, fork ---------------------------------------------------- */

/* A vCPU for a new payload thread: an idle context whose stub thread has ended, or a new one;
 * the control thread starts a stub thread on it, which stops at its START. */
int vj_process_vcpu_get(struct vj_vm *vm, struct vj_vcpu **out, vmjail_error **err)
{
    pthread_mutex_lock(&vm->lock);
    struct vj_vcpu *c = NULL;
    for (int i = 1; i < vm->nvcpus && !c; i++)
        /* Its old thread said GONE, and has ended: the kernel cleared its word (after GONE;
         * a new thread on the context before that would see its own word cleared). */
        if (vm->vcpus[i]->idle &&
            __atomic_load_n(&vm->vcpus[i]->ctx->state, __ATOMIC_ACQUIRE) == VJ_STUB_GONE &&
            __atomic_load_n(&vm->vcpus[i]->ctx->alive, __ATOMIC_ACQUIRE) == 0)
            c = vm->vcpus[i];
    if (c == NULL) {
        if (vm->nvcpus == VJ_STUB_MAX_VCPUS || (c = calloc(1, sizeof *c)) == NULL) {
            pthread_mutex_unlock(&vm->lock);
            return vj_error(err, VMJAIL_ERR_INTERNAL, EAGAIN, "process platform: no vCPU left");
        }
        c->vm = vm;
        c->id = vm->nvcpus;
        c->ctx = (struct vj_stub_ctx *)(vm->ctl + VJ_STUB_CTX_OFF +
                                        (uint64_t)c->id * VJ_STUB_CTX_SIZE);
        vm->vcpus[vm->nvcpus++] = c;
    }
    c->idle = false;
    pthread_mutex_unlock(&vm->lock);
    c->started = c->held = false;
    memset(c->ctx, 0, sizeof *c->ctx);
    long tid = vj_process_ask(vm, VJ_STUB_REQ_CLONE, 0, 0, (uint64_t)c->id);
    if (tid <= 0 || !vj_process_wait_stopped(vm, c->ctx, false, vj_process_spins(), NULL) ||
        __atomic_load_n(&c->ctx->kind, __ATOMIC_ACQUIRE) != VJ_STUB_KIND_START) {
        c->idle = true;
        return vj_error(err, VMJAIL_ERR_INTERNAL, tid < 0 ? (int)-tid : 0,
                        "process platform: start a stub thread");
    }
    c->tid = (pid_t)tid;
    c->held = true;
    *out = c;
    return 0;
}

int vj_process_vcpu_id(const struct vj_vcpu *c)
{
    return c->id;
}

/* The payload's code runs on the stub's thread for C. */
int vj_process_vcpu_open_task_file(struct vj_vcpu *c, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)c->vm->stub, (int)c->tid, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* The thread ended: its stub thread ends too (asked to on resume). */
void vj_process_vcpu_put(struct vj_vcpu *c)
{
    if (c == &c->vm->first)
        return;
    __atomic_store_n(&c->ctx->quit, 1, __ATOMIC_RELEASE);
    if (c->held) {
        c->held = false;
        vj_process_resume(c->ctx);
    } else {
        vj_process_vcpu_interrupt(c); /* it stops, then sees quit */
    }
    pthread_mutex_lock(&c->vm->lock);
    c->idle = true;
    pthread_mutex_unlock(&c->vm->lock);
}

int vj_process_vcpu_start_clone(struct vj_vcpu *child, struct vj_vcpu *parent, uint64_t sp,
                                bool set_tls, uint64_t tls, vmjail_error **err)
{
    (void)err;
    struct vj_stub_regs r;
    memcpy(&r, &parent->ctx->regs, sizeof r);
    r.rax = 0;
    if (sp)
        r.rsp = sp;
    if (set_tls)
        r.fs_base = tls;
    memcpy(&child->ctx->regs, &r, sizeof r);
    memcpy((uint8_t *)child->ctx + VJ_STUB_CTX_FPU, (uint8_t *)parent->ctx + VJ_STUB_CTX_FPU,
           0x1000);
    child->ctx->fpu_load = parent->ctx->fpu_size != 0;
    child->started = true;
    return 0;
}

int vj_process_vcpu_snapshot(struct vj_vcpu *c, struct vj_vcpu_snapshot *s, vmjail_error **err)
{
    (void)err;
    vj_process_vcpu_get_user_regs(c, &s->regs);
    s->fs_base = c->ctx->regs.fs_base;
    s->gs_base = c->ctx->regs.gs_base;
    return vj_process_vcpu_get_fpu(c, &s->fpu, NULL);
}
