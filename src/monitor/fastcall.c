/* fastcall.c: the fast syscall path's monitor side: which calls it serves, patching syscall
 * sites, the poller thread of each payload thread, and the hand-over to the exit path
 * (waiting for an answer, settling a vCPU stopped inside the fast-call code). */
#include "monitor/fastcall.h"
#include "monitor/payload_usage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "monitor/mm.h"
#include "monitor/proc_life.h"
#include "monitor/signal.h"
#include "monitor/syscall.h"
#include "monitor/trace.h"
#include "vmjail_abi.h"

#define IDLE_NS 2000000    /* a poller with no call for this long goes to sleep ... */
#define BUSY_NS 1000000    /* ... and is woken when its thread makes two calls this close */
#define STREAK 16          /* calls this close in a row before a thread gets a poller */
#define REKICK_NS 2000000  /* how often a waiting thread kicks its poller again */
/* A spinning poller looks at how it and its payload thread were scheduled over the last
 * LOAD_NS (long enough to average the kernel's lumpy accounting and a kernel thread's moment
 * on a core); if another thread wanted their cores (less than SHARE_MIN percent of a core),
 * it steps aside for BACKOFF_NS: asleep, its thread's calls taking the exit path. */
#define LOAD_NS 8000000
#define SHARE_MIN 75
#define BACKOFF_NS 50000000

/* Guest address of the fast-call code's entry. */
#define FAST_ENTRY (VJ_LOW_VA + VJ_LOW_FAST_CODE + VJ_LOW_FAST_ENTRY)

/* Offset of the first trampoline in the low window's code: after the fast-call code. */
static uint32_t first_trampoline(void)
{
    return (uint32_t)((VJ_LOW_FAST_ENTRY + vj_fast_code_size() + 63) & ~63ULL);
}

struct vj_fast_thread {
    struct vj_thread *t;
    uint32_t *state;  /* the slot's state word (host address; the payload writes it too) */
    uint8_t *slot;
    pthread_t poller;
    int stop;         /* atomic: the poller ends */
    /* The call the poller took from the slot, and its answer; written before DONE. */
    struct vj_syscall call;
    int64_t ret;
    bool served;      /* false: the poller left the call to the thread's own exit path */
    uint64_t last_call_ns; /* the thread's last call through the exit path (its thread only) */
    uint64_t backoff_until; /* atomic: the poller stepped aside; not woken before this */
    int asleep;             /* atomic: the poller sleeps (or is about to): a waiter wakes it */
    uint64_t cpu_at;        /* its CPU time and involuntary switches at that look ... */
    long preempted_at;
    int sched_fd;           /* the payload thread's /proc/thread-self/schedstat, or -1 ... */
    uint64_t waited_at;     /* ... and the time it had waited for a CPU at that look */
};

/* Calls the poller serves: they act on descriptors, files, memory, time, identity and the
 * signal mask and dispositions, never on the calling thread's vCPU or host thread (gettid is
 * answered from the thread's own record).  A call that blocks is still served: the payload then waits in the
 * monitor (VJ_NR_FAST_WAIT) and a signal interrupts the poller's host call. */
static const uint16_t served_calls[] = {
    SYS_read, SYS_write, SYS_open, SYS_close, SYS_stat, SYS_fstat, SYS_lstat, SYS_lseek,
    SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev, SYS_access, SYS_getpid, SYS_getppid,
    SYS_gettid, SYS_getuid, SYS_getgid, SYS_geteuid, SYS_getegid, SYS_getpgrp, SYS_getdents64,
    SYS_getcwd, SYS_openat, SYS_newfstatat, SYS_statx, SYS_faccessat, SYS_faccessat2,
    SYS_readlink, SYS_readlinkat, SYS_uname, SYS_gettimeofday, SYS_clock_gettime,
    SYS_clock_getres, SYS_time, SYS_getrandom, SYS_dup, SYS_dup3, SYS_pipe2, SYS_mkdir,
    SYS_mkdirat, SYS_rmdir, SYS_unlink, SYS_unlinkat, SYS_rename, SYS_renameat, SYS_fsync,
    SYS_fdatasync, SYS_ftruncate, SYS_statfs, SYS_fstatfs, SYS_umask, SYS_getrlimit,
    SYS_sysinfo, SYS_poll, SYS_sendto, SYS_recvfrom, SYS_getsockname, SYS_getpeername,
    SYS_getsockopt, SYS_setsockopt, SYS_socket, SYS_connect, SYS_bind, SYS_listen,
    SYS_accept4, SYS_shutdown, SYS_epoll_wait, SYS_epoll_ctl, SYS_fadvise64, SYS_chdir,
    SYS_fchdir, SYS_chmod, SYS_fchmod, SYS_fchmodat, SYS_utimensat, SYS_symlink, SYS_link,
    SYS_ioctl, SYS_fcntl, SYS_prlimit64,
    /* The memory map: guest page tables only ever gain entries (vm.h), so no vCPU needs a TLB
     * flush; the memory manager has its own lock. */
    SYS_mmap, SYS_munmap, SYS_mprotect, SYS_brk, SYS_madvise, SYS_mremap,
    /* Dispositions are the process's; the mask is the thread's record, which the poller
     * changes for it (a signal it unblocks is then delivered through an exit). */
    SYS_rt_sigaction, SYS_rt_sigprocmask,
};

static uint64_t served_bits[VJ_NR_SYSCALLS / 64 + 1];
static pthread_once_t served_once = PTHREAD_ONCE_INIT;

static void served_init(void)
{
    for (size_t i = 0; i < sizeof served_calls / sizeof served_calls[0]; i++)
        served_bits[served_calls[i] / 64] |= 1ULL << (served_calls[i] % 64);
}

static bool served(uint64_t nr)
{
    return nr < VJ_NR_SYSCALLS && (served_bits[nr / 64] & (1ULL << (nr % 64)));
}

/* A clock call on the calling thread's CPU-time clock: the poller's own would answer. */
static bool thread_clock(const struct vj_syscall *sc)
{
    if (sc->nr != SYS_clock_gettime && sc->nr != SYS_clock_getres)
        return false;
    int id = (int)sc->arg[0];
    return id == CLOCK_THREAD_CPUTIME_ID || (id < 0 && (id & 4)); /* CPUCLOCK_PERTHREAD */
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
    return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

static uint32_t load_state(const struct vj_fast_thread *f)
{
    return __atomic_load_n(f->state, __ATOMIC_ACQUIRE);
}

/* The poller's CPU time (ns) and involuntary context switches so far. */
static void poller_usage(uint64_t *cpu_ns, long *preempted)
{
    struct rusage ru;
    struct timespec ts;
    /* The thread's CPU clock is exact; getrusage's times are counted in ticks. */
    *cpu_ns = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0
                  ? 0
                  : (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    *preempted = getrusage(RUSAGE_THREAD, &ru) < 0 ? 0 : ru.ru_nivcsw;
}

/* How long (ns) the payload thread has waited on a run queue so far (the second field of
 * its schedstat), or 0. */
static uint64_t payload_waited(const struct vj_fast_thread *f)
{
    uint64_t ns;
    return vj_usage_read_schedstat(f->sched_fd, 1, &ns) < 0 ? 0 : ns;
}

/* Another thread wants a core of the payload's: over WALL_NS the spinning poller was
 * preempted and got less than SHARE_MIN percent of its core (CPU_NS; a poller blocked in a
 * call it serves sleeps voluntarily, without preemption), or the payload thread waited on a
 * run queue for more than 100 - SHARE_MIN percent of it (WAITED_NS).  Pure, for the unit
 * tests. */
bool vj_fast_contended(uint64_t wall_ns, uint64_t cpu_ns, long preempted, uint64_t waited_ns)
{
    if (wall_ns == 0)
        return false;
    return (preempted > 0 && cpu_ns * 100 < wall_ns * SHARE_MIN) ||
           waited_ns * 100 > wall_ns * (100 - SHARE_MIN);
}

/* The low window's bitmap of the calls the fast-call code posts. */
static uint8_t *bitmap_of(struct vj_proc *p)
{
    return vj_vm_low(p->vm) + VJ_LOW_FAST_CODE + VJ_LOW_FAST_BITMAP;
}

/* T's fast-call slot: its vCPU's, or slot 0 where rdpid does not give the vCPU's index. */
static uint8_t *slot_of(struct vj_thread *t)
{
    uint64_t id = vj_vm_fast_capable(t->proc->vm) ? (uint64_t)vj_vcpu_id(t->vcpu) : 0;
    return vj_vm_low(t->proc->vm) + VJ_LOW_FAST_SLOTS + (id << VJ_FAST_SLOT_SHIFT);
}

/* ---- the poller ---------------------------------------------------------------------- */

/* Serve the call posted in F's slot.  Each field is read once: the payload can change the
 * slot at any time. */
static void serve(struct vj_fast_thread *f)
{
    struct vj_thread *t = f->t;
    struct vj_syscall sc;
    sc.nr = __atomic_load_n((uint64_t *)(void *)(f->slot + VJ_FS_NR), __ATOMIC_RELAXED);
    for (int i = 0; i < 6; i++)
        sc.arg[i] = __atomic_load_n((uint64_t *)(void *)(f->slot + VJ_FS_ARGS + 8 * i),
                                    __ATOMIC_RELAXED);
    f->call = sc;
    f->served = served(sc.nr) && !thread_clock(&sc);
    int64_t r = 0;
    if (f->served)
        r = sc.nr == SYS_gettid ? t->tid : vj_syscall_dispatch(t->proc, &sc);
    f->ret = r;
    /* Signals the call raised or that came meanwhile, a call left to the exit path, or a
     * call to restart: the answer goes through an exit, where they are dealt with. */
    uint32_t done = VJ_FAST_DONE;
    if (!f->served || vj_signal_check(t) || (r <= -VJ_ERESTARTSYS && r >= -VJ_ERESTARTNOHAND))
        done |= VJ_FAST_EXIT;
    __atomic_store_n((int64_t *)(void *)(f->slot + VJ_FS_RET), r, __ATOMIC_RELAXED);
    uint32_t old = __atomic_fetch_or(f->state, done, __ATOMIC_ACQ_REL);
    if (old & VJ_FAST_WAITER)
        futex(f->state, FUTEX_WAKE, 1, NULL);
}

/* Look at how the poller and its thread were scheduled now and then: true if the poller
 * is to step aside. */
/* Where the next look at the poller's scheduling starts from. */
static void mark_usage(struct vj_fast_thread *f)
{
    poller_usage(&f->cpu_at, &f->preempted_at);
    f->waited_at = payload_waited(f);
}

static bool step_aside(struct vj_fast_thread *f, uint64_t now, uint64_t *load_at)
{
    if (!f->t->proc->fast_adapt || now - *load_at < LOAD_NS)
        return false;
    uint64_t wall = now - *load_at, cpu;
    long preempted;
    *load_at = now;
    poller_usage(&cpu, &preempted);
    uint64_t waited = payload_waited(f);
    bool busy = vj_fast_contended(wall, cpu - f->cpu_at, preempted - f->preempted_at,
                                  waited - f->waited_at);
    f->cpu_at = cpu;
    f->preempted_at = preempted;
    f->waited_at = waited;
    if (!busy)
        return false;
    __atomic_store_n(&f->backoff_until, now + BACKOFF_NS, __ATOMIC_RELEASE);
    return true;
}

static void *poller_main(void *arg)
{
    struct vj_fast_thread *f = arg;
    vj_self = f->t; /* the handlers act for the payload thread */
    uint64_t idle_since = now_ns(), load_at = idle_since;
    mark_usage(f);
    unsigned rounds = 0, calls = 0;
    bool aside = false;
    /* AWAKE is set by the poller itself, running: the payload never spins on a poller that
     * is not on a CPU yet. */
    __atomic_fetch_or(f->state, VJ_FAST_AWAKE, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        uint32_t s = load_state(f);
        if (s & VJ_FAST_WAKE) /* awake already: the payload posts only to exactly AWAKE */
            __atomic_and_fetch(f->state, ~(uint32_t)VJ_FAST_WAKE, __ATOMIC_ACQ_REL);
        if ((s & (VJ_FAST_AWAKE | VJ_FAST_REQ | VJ_FAST_DONE)) == (VJ_FAST_AWAKE | VJ_FAST_REQ)) {
            serve(f);
            idle_since = 0;
            rounds = 0;
            if (++calls % 64 == 0 && !aside)
                aside = step_aside(f, now_ns(), &load_at);
            continue;
        }
        __builtin_ia32_pause();
        if (!aside && ++rounds % 256)
            continue;
        uint64_t now = now_ns();
        if (idle_since == 0)
            idle_since = now;
        if (!aside)
            aside = step_aside(f, now, &load_at);
        if (!aside && now - idle_since < IDLE_NS)
            continue;
        /* Idle or stepping aside: sleep, unless a call is being posted (the payload's post
         * wins the race; the poller serves it first). */
        __atomic_store_n(&f->asleep, 1, __ATOMIC_SEQ_CST);
        uint32_t expect = load_state(f);
        if ((expect & ~(uint32_t)(VJ_FAST_AWAKE | VJ_FAST_WAKE)) ||
            !__atomic_compare_exchange_n(f->state, &expect, 0, false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST)) {
            __atomic_store_n(&f->asleep, 0, __ATOMIC_SEQ_CST);
            continue;
        }
        for (;;) {
            uint32_t v = load_state(f); /* one load: a wake after it is not lost */
            if ((v & (VJ_FAST_WAKE | VJ_FAST_AWAKE)) || __atomic_load_n(&f->stop, __ATOMIC_ACQUIRE))
                break;
            futex(f->state, FUTEX_WAIT, v, NULL);
        }
        __atomic_store_n(&f->asleep, 0, __ATOMIC_SEQ_CST);
        __atomic_and_fetch(f->state, ~(uint32_t)VJ_FAST_WAKE, __ATOMIC_ACQ_REL);
        __atomic_fetch_or(f->state, VJ_FAST_AWAKE, __ATOMIC_ACQ_REL);
        idle_since = now_ns();
        load_at = idle_since;
        mark_usage(f);
        aside = false;
    }
    return NULL;
}

static void wake_poller(struct vj_fast_thread *f)
{
    if (now_ns() < __atomic_load_n(&f->backoff_until, __ATOMIC_ACQUIRE))
        return;
    if (load_state(f) & VJ_FAST_AWAKE)
        return;
    uint32_t old = __atomic_fetch_or(f->state, VJ_FAST_WAKE, __ATOMIC_ACQ_REL);
    if (!(old & (VJ_FAST_AWAKE | VJ_FAST_WAKE)))
        futex(f->state, FUTEX_WAKE, 1, NULL);
}

/* Close F's descriptor and free it (its poller has ended, or is the parent's after a fork). */
static void forget(struct vj_proc *p, struct vj_fast_thread *f)
{
    if (f->sched_fd >= 0) {
        vj_vm_disown_fd(p->vm, f->sched_fd);
        close(f->sched_fd);
    }
    free(f);
}

static struct vj_fast_thread *fast_thread(struct vj_thread *t)
{
    if (t->fast)
        return t->fast;
    struct vj_fast_thread *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->t = t;
    f->slot = slot_of(t);
    f->state = (uint32_t *)(void *)(f->slot + VJ_FS_STATE);
    __atomic_store_n(f->state, 0, __ATOMIC_RELEASE);
    /* Called on the payload's thread: the schedstat of the host thread that runs its code
     * (where the kernel keeps one). */
    f->sched_fd = -1;
    if (t->proc->fast_adapt) {
        int fd = vj_vcpu_open_task_file(t->vcpu, "schedstat");
        f->sched_fd = fd < 0 ? -1 : vj_vm_own_fd(t->proc->vm, fd);
    }
    /* The poller takes no signal but the kick (which interrupts its blocking host calls). */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, VJ_SIG_KICK);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&f->poller, NULL, poller_main, f);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        forget(t->proc, f);
        return NULL;
    }
    t->fast = f;
    return f;
}

/* ---- patching ------------------------------------------------------------------------ */

/* Write the LEN bytes SRC at guest address GVA, a page of VMA (private, executable). */
static bool write_code(struct vj_proc *p, const struct vj_vma *vma, uint64_t gva,
                       const uint8_t *src, size_t len)
{
    uint64_t page = gva & ~(uint64_t)(VJ_PAGE_SIZE - 1);
    uint64_t span = ((gva + len - 1) & ~(uint64_t)(VJ_PAGE_SIZE - 1)) + VJ_PAGE_SIZE - page;
    if (page < vma->start || page + span > vma->end)
        return false;
    int prot = vj_host_prot(vma->prot);
    if (vj_vm_mem_prepare_write(p->vm, page, span, vma->prot) < 0)
        return false;
    if (!(prot & PROT_WRITE) && mprotect(p->mem + page, span, PROT_READ | PROT_WRITE) < 0)
        return false;
    memcpy(p->mem + gva, src, len);
    if (!(prot & PROT_WRITE) && mprotect(p->mem + page, span, prot) < 0)
        p->mem_broken = true;
    return true;
}

/* Patch the site of the call the thread just made through the exit path (its syscall
 * instruction ends at RET_ADDR), if it has the pattern and a trampoline fits.  Only while the
 * process has one thread: no other vCPU can be executing the bytes being changed. */
static void learn(struct vj_proc *p, const struct vj_user_regs *regs)
{
    uint64_t ret_addr = regs->rip;
    if (p->live != 1 || ret_addr < VJ_GUEST_MIN + 16 || ret_addr > p->mem_size)
        return;
    uint8_t code[16];
    if (vj_copy_from_guest(p, code, ret_addr - sizeof code, sizeof code) < 0)
        return;
    struct vj_fast_site_regs sr = {.rax = regs->rax, .rdx = regs->rdx, .rbx = regs->rbx,
                                   .rbp = regs->rbp, .rsi = regs->rsi, .rdi = regs->rdi,
                                   .r9 = regs->r9};
    sr.stack8_ok = regs->rsp <= UINT64_MAX - 16 &&
                   vj_copy_from_guest(p, &sr.stack8, regs->rsp + 8, 8) == 0;
    int at = vj_fast_site_decode(code, (int)sizeof code, &sr);
    if (at < 0)
        return;
    uint64_t site = ret_addr - sizeof code + (uint64_t)at;
    pthread_mutex_lock(&p->mm_lock);
    const struct vj_vma *vma = vj_vmas_find(&p->vmas, site);
    uint64_t tramp = VJ_LOW_FAST_CODE + p->fast_next;
    uint8_t out[VJ_FAST_TRAMP_SIZE], patch[VJ_FAST_PATCH_SIZE];
    if (vma && !vma->shared && (vma->prot & PROT_EXEC) && site + 7 <= vma->end &&
        tramp + VJ_FAST_TRAMP_SIZE <= VJ_LOW_FAST_CODE + VJ_LOW_FAST_CODE_SIZE &&
        vj_fast_site_build(site, code + at, VJ_LOW_VA + tramp, FAST_ENTRY, out, patch)) {
        /* The trampoline first: the patch makes it reachable. */
        memcpy(vj_vm_low(p->vm) + tramp, out, sizeof out);
        if (write_code(p, vma, site, patch, sizeof patch)) {
            p->fast_next += VJ_FAST_TRAMP_SIZE;
            p->fast_patched++;
        }
    }
    pthread_mutex_unlock(&p->mm_lock);
}

/* ---- the exit path's side ------------------------------------------------------------ */

/* The calls the fast-call code posts: every one the pollers serve. */
static void fill_bitmap(struct vj_proc *p)
{
    uint8_t *bitmap = bitmap_of(p);
    for (uint64_t nr = 0; nr < VJ_FAST_MAX_NR; nr++)
        if (served(nr))
            bitmap[nr / 8] |= (uint8_t)(1u << (nr % 8));
}

bool vj_fast_init(struct vj_proc *p, int mode)
{
    pthread_once(&served_once, served_init);
    p->fast_on = false;
    if (mode == VMJAIL_SYSCALL_PATH_EXIT || vj_vm_low(p->vm) == NULL)
        return false; /* a platform without a low window has no fast path */
    /* auto: a poller needs a core of its own besides the payload's. */
    p->fast_ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (mode == VMJAIL_SYSCALL_PATH_AUTO && (p->fast_ncpus < 2 || !vj_vm_fast_by_default(p->vm)))
        return false;
    p->fast_adapt = mode == VMJAIL_SYSCALL_PATH_AUTO;
    fill_bitmap(p);
    if (vj_vm_slot_in_gs(p->vm))
        vj_fast_code_use_gs(vj_vm_low(p->vm) + VJ_LOW_FAST_CODE);
    else if (!vj_vm_fast_capable(p->vm))
        vj_fast_code_use_slot0(vj_vm_low(p->vm) + VJ_LOW_FAST_CODE);
    vj_vm_map_low(p->vm);
    p->fast_next = first_trampoline();
    p->fast_on = true;
    return true;
}

void vj_fast_after_syscall(struct vj_thread *t, const struct vj_stop *stop)
{
    struct vj_proc *p = t->proc;
    const uint8_t *bitmap = bitmap_of(p);
    if (!p->fast_on || stop->sc.nr >= VJ_FAST_MAX_NR ||
        !(bitmap[stop->sc.nr / 8] & (1u << (stop->sc.nr % 8))))
        return;
    struct vj_user_regs regs;
    if (!vj_vcpu_get_user_regs(t->vcpu, &regs))
        return;
    learn(p, &regs);
    /* A thread that makes calls often gets a poller, or has it woken. */
    uint64_t now = now_ns();
    struct vj_fast_thread *f = t->fast;
    uint64_t last = f ? f->last_call_ns : t->fast_first_ns;
    if (f == NULL) {
        /* A poller (a thread) is made for a thread that made a run of STREAK calls, each
         * within BUSY_NS of the last: short programs do not pay for one. */
        t->fast_first_ns = now;
        t->fast_streak = last != 0 && now - last <= BUSY_NS ? t->fast_streak + 1 : 0;
        if (t->fast_streak < STREAK || (f = fast_thread(t)) == NULL)
            return;
    } else if (now - last > BUSY_NS) {
        f->last_call_ns = now;
        return;
    }
    f->last_call_ns = now;
    wake_poller(f);
}

/* Wait until F's posted call is answered (true); a signal for the thread interrupts the
 * poller's host call.  The payload can write the slot's state word at any time, so none of it
 * is trusted to mean a poller will answer: a call withdrawn (neither REQ nor DONE: no poller
 * takes it) is not waited for (false), and a call posted while the poller sleeps (the payload
 * can set AWAKE|REQ itself) wakes it.  Either way the thread never waits for nothing. */
static bool wait_answer(struct vj_fast_thread *f)
{
    uint64_t kicked = 0;
    for (;;) {
        uint32_t s = __atomic_fetch_or(f->state, VJ_FAST_WAITER, __ATOMIC_SEQ_CST) | VJ_FAST_WAITER;
        if (s & VJ_FAST_DONE)
            return true;
        if (!(s & VJ_FAST_REQ))
            return false;
        /* The poller sleeps only from a state without REQ or WAITER (its compare-and-swap):
         * after WAITER is set, either it saw it and stays up, or its flag is seen here. */
        if (__atomic_load_n(&f->asleep, __ATOMIC_SEQ_CST)) {
            __atomic_fetch_or(f->state, VJ_FAST_WAKE, __ATOMIC_SEQ_CST);
            futex(f->state, FUTEX_WAKE, INT_MAX, NULL);
            continue;
        }
        if (vj_signal_check(f->t)) {
            uint64_t now = now_ns();
            if (kicked == 0 || now - kicked >= REKICK_NS) {
                pthread_kill(f->poller, VJ_SIG_KICK);
                kicked = now;
            }
            struct timespec ts = {0, REKICK_NS};
            futex(f->state, FUTEX_WAIT, s, &ts);
        } else {
            futex(f->state, FUTEX_WAIT, s, NULL);
        }
    }
}

/* Take the answer to F's call; the slot is free again. */
static int64_t take_answer(struct vj_fast_thread *f, struct vj_syscall *sc)
{
    __atomic_and_fetch(f->state, ~(uint32_t)(VJ_FAST_REQ | VJ_FAST_DONE | VJ_FAST_EXIT |
                                             VJ_FAST_WAITER), __ATOMIC_ACQ_REL);
    *sc = f->call;
    if (f->served)
        return f->ret;
    /* Left to the exit path: make the call here, on the thread's own host thread. */
    return vj_syscall_dispatch(f->t->proc, sc);
}

/* Is a call of F's posted and being served (or answered)? */
static bool in_flight(struct vj_fast_thread *f)
{
    uint32_t s = load_state(f);
    return (s & VJ_FAST_REQ) && (s & (VJ_FAST_AWAKE | VJ_FAST_DONE));
}

int64_t vj_fast_wait(struct vj_thread *t, struct vj_syscall *sc)
{
    struct vj_fast_thread *f = t->fast;
    if (f == NULL || !in_flight(f) || !wait_answer(f))
        return -ENOSYS;
    return take_answer(f, sc);
}

int vj_fast_settle(struct vj_thread *t, struct vj_stop *stop, int64_t *r)
{
    struct vj_user_regs regs;
    if (!t->proc->fast_on || !vj_vcpu_get_user_regs(t->vcpu, &regs))
        return 0;
    uint64_t code = FAST_ENTRY;
    if (regs.rip < code || regs.rip - code >= vj_fast_code_size())
        return 0;
    struct vj_fast_thread *f = t->fast;
    enum vj_fast_point at = vj_fast_point_at(regs.rip - code);
    const uint8_t *slot = slot_of(t);
    if (at == VJ_FAST_SAVED || at == VJ_FAST_NOT_POSTED) {
        /* rax and rcx may be scratch here: the slot has the number and return address. */
        regs.rcx = __atomic_load_n((const uint64_t *)(const void *)(slot + VJ_FS_RCX),
                                   __ATOMIC_RELAXED);
        if (at == VJ_FAST_NOT_POSTED || !(f && in_flight(f)))
            regs.rax = __atomic_load_n((const uint64_t *)(const void *)(slot + VJ_FS_NR),
                                       __ATOMIC_RELAXED);
    }
    bool complete = false;
    if ((at == VJ_FAST_POSTED || at == VJ_FAST_SAVED) && f && in_flight(f)) {
        if (wait_answer(f)) {
            *r = take_answer(f, &stop->sc);
            regs.rax = (uint64_t)*r;
            complete = true;
        } else {
            /* Withdrawn (the payload wrote over its slot): made at the site, as not posted. */
            regs.rax = __atomic_load_n((const uint64_t *)(const void *)(slot + VJ_FS_NR),
                                       __ATOMIC_RELAXED);
        }
    }
    if (at == VJ_FAST_CONSUMED || complete) {
        /* Answered (rax holds the result): return from the call. */
        regs.rip = regs.rcx;
        regs.r11 = regs.rflags; /* as a syscall leaves it */
    } else {
        /* Not posted: make the call at the site's syscall instruction. */
        regs.rip = regs.rcx - 2;
    }
    vmjail_error *err = NULL;
    if (vj_vcpu_set_user_regs(t->vcpu, &regs, &err) < 0) {
        vj_proc_fail(t->proc, err);
        return -1;
    }
    if (!complete)
        return 0;
    stop->kind = VJ_STOP_SYSCALL;
    return 1;
}

void vj_fast_before_thread(struct vj_proc *p)
{
    if (p->fast_on && !vj_vm_fast_capable(p->vm))
        memset(bitmap_of(p), 0, VJ_FAST_MAX_NR / 8);
}

void vj_fast_thread_end(struct vj_thread *t)
{
    struct vj_fast_thread *f = t->fast;
    if (f == NULL)
        return;
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
    __atomic_fetch_or(f->state, VJ_FAST_AWAKE, __ATOMIC_ACQ_REL);
    futex(f->state, FUTEX_WAKE, 1, NULL);
    /* It may be in a blocking host call for the thread (the process is ending): kick it out,
     * again until it has gone (a kick just before the call is lost). */
    for (;;) {
        pthread_kill(f->poller, VJ_SIG_KICK);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += REKICK_NS;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        if (pthread_timedjoin_np(f->poller, NULL, &ts) == 0)
            break;
    }
    __atomic_store_n(f->state, 0, __ATOMIC_RELEASE);
    t->fast = NULL;
    forget(t->proc, f);
}

void vj_fast_forget(struct vj_thread *t)
{
    if (t->fast)
        forget(t->proc, t->fast);
    t->fast = NULL;
}

void vj_fast_after_exec(struct vj_proc *p)
{
    if (!p->fast_on)
        return;
    p->fast_next = first_trampoline();
    fill_bitmap(p); /* emptied if the old program had threads or its own GS base */
}

void vj_fast_gs_taken(struct vj_proc *p)
{
    /* The vCPUs' GS bases become the payload's: no code finds a slot any more. */
    if (p->fast_on && vj_vm_slot_in_gs(p->vm))
        memset(bitmap_of(p), 0, VJ_FAST_MAX_NR / 8);
}

void vj_fast_after_fork(struct vj_proc *p, struct vj_thread *t)
{
    /* The parent's pollers are not here: their structures and descriptors go. */
    vj_fast_forget(t);
    t->fast_first_ns = 0;
    t->fast_streak = 0;
    if (p->fast_on)
        memset(vj_vm_low(p->vm) + VJ_LOW_FAST_SLOTS, 0, VJ_LOW_FAST_SLOTS_SIZE);
}
