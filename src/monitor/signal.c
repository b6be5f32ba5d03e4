/* signal.c: the payload's signals, kept as Linux keeps them: queues per thread and per
 * process, sending, forcing a fault's signal, masks, waiting, the alternate stack.
 *
 * Every payload signal is virtual: it is queued here (per thread or per process, with its
 * siginfo), and a thread that does not block it is told through its flag (t->sigflag), which
 * its run loop reads once per exit.  A thread running the payload or blocked in a host call is
 * woken with vj_vcpu_interrupt() and the kick signal; one waiting in the monitor (pause,
 * sigsuspend, sigtimedwait) through p->sigcond.  Before the thread resumes the payload,
 * vj_signal_deliver() (signal_deliver.c) takes the pending signals; host signals reach the
 * queues through the signal thread (signal_host.c), and signalfds take what no thread would
 * (signalfd.c). */
#include "monitor/signal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "monitor/gdb.h"
#include "monitor/proc_life.h"
#include "monitor/signal_internal.h"

#define SIGRTMIN_KERNEL 32 /* signals from here on are queued, not merged */
#define MAX_QUEUED 65536   /* queued instances per process, as RLIMIT_SIGPENDING bounds them */
#define KERNEL_MINSIGSTKSZ 2048
#define SYNCHRONOUS                                                                          \
    (VJ_SIGBIT(SIGSEGV) | VJ_SIGBIT(SIGBUS) | VJ_SIGBIT(SIGILL) | VJ_SIGBIT(SIGTRAP) |        \
     VJ_SIGBIT(SIGFPE) | VJ_SIGBIT(SIGSYS))

/* ---- queues (all under p->lock) -------------------------------------------------------- */

/* Queue INFO on Q: a standard signal already pending is not queued twice.  Returns 0, or
 * -EAGAIN if a real-time signal queued by the payload does not fit. */
static int queue_add(struct vj_proc *p, struct vj_sigpending *q, const siginfo_t *info)
{
    int s = info->si_signo;
    if (s < SIGRTMIN_KERNEL && (q->set & VJ_SIGBIT(s)))
        return 0;
    struct vj_sigqueued *e = p->sig_queued < MAX_QUEUED ? malloc(sizeof *e) : NULL;
    if (e == NULL) {
        /* As Linux does without queue space: the signal is still pending, without its
         * details, unless it is a real-time signal sigqueue'd by the payload. */
        if (s >= SIGRTMIN_KERNEL && info->si_code < 0 && info->si_code != SI_TKILL)
            return -EAGAIN;
        q->set |= VJ_SIGBIT(s);
        return 0;
    }
    e->next = NULL;
    e->info = *info;
    struct vj_sigqueued **at = &q->head;
    while (*at)
        at = &(*at)->next;
    *at = e;
    p->sig_queued++;
    q->set |= VJ_SIGBIT(s);
    return 0;
}

/* Take one pending signal of Q that BLOCKED does not block: synchronous ones (faults) first,
 * then the lowest number.  Returns it with its siginfo, or 0. */
int vj_sig_dequeue(struct vj_proc *p, struct vj_sigpending *q, uint64_t blocked, siginfo_t *info)
{
    uint64_t x = q->set & ~blocked;
    if (x == 0)
        return 0;
    if (x & SYNCHRONOUS)
        x &= SYNCHRONOUS;
    int s = __builtin_ctzll(x) + 1;
    struct vj_sigqueued **at = &q->head, *found = NULL;
    bool more = false;
    for (; *at; at = &(*at)->next) {
        if ((*at)->info.si_signo != s)
            continue;
        if (found == NULL) {
            found = *at;
            *at = found->next;
            if (*at == NULL)
                break;
            if ((*at)->info.si_signo == s) {
                more = true;
                break;
            }
        } else {
            more = true;
            break;
        }
    }
    if (found) {
        *info = found->info;
        free(found);
        p->sig_queued--;
    } else {
        memset(info, 0, sizeof *info);
        info->si_signo = s;
        info->si_code = SI_USER;
    }
    if (!more)
        q->set &= ~VJ_SIGBIT(s);
    return s;
}

/* Drop every queued instance of the signals in MASK from Q. */
void vj_sig_flush(struct vj_proc *p, struct vj_sigpending *q, uint64_t mask)
{
    if (!(q->set & mask))
        return;
    struct vj_sigqueued **at = &q->head;
    while (*at) {
        struct vj_sigqueued *e = *at;
        if (mask & VJ_SIGBIT(e->info.si_signo)) {
            *at = e->next;
            free(e);
            p->sig_queued--;
        } else {
            at = &e->next;
        }
    }
    q->set &= ~mask;
}

/* ---- waking threads (under p->lock) ----------------------------------------------------- */

/* The signals T does not take now (those it waits for in rt_sigtimedwait it takes). */
uint64_t vj_sig_blocked_now(const struct vj_thread *t)
{
    return t->sigmask & ~t->waitset;
}

static bool deliverable(struct vj_proc *p, struct vj_thread *t)
{
    return ((t->pending.set | p->shared_pending.set) & ~vj_sig_blocked_now(t)) != 0;
}

/* T is to stop running the payload: the process ended, or another thread's exec ends T. */
bool vj_sig_stopping(const struct vj_proc *p, const struct vj_thread *t)
{
    return p->exited || t->killed;
}

/* Set or clear T's flag: a signal it can take is pending, or the process ended. */
void vj_sig_recalc(struct vj_proc *p, struct vj_thread *t)
{
    __atomic_store_n(&t->sigflag, vj_sig_stopping(p, t) || deliverable(p, t), __ATOMIC_RELEASE);
}

/* Make T look at its signals before it next resumes the payload. */
static void wake(struct vj_proc *p, struct vj_thread *t)
{
    __atomic_store_n(&t->sigflag, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->sigcond);
    if (t == vj_self || t->exited || t->waiting)
        return;
    vj_vcpu_interrupt(t->vcpu);
    pthread_kill(t->host, VJ_SIG_KICK);
    if (!t->need_kick) {
        t->need_kick = true;
        if (!p->sig_rekick) {
            p->sig_rekick = true;
            vj_sig_wake_signal_thread();
        }
    }
}

void vj_signal_wake_locked(struct vj_proc *p, struct vj_thread *t)
{
    wake(p, t);
}

/* The thread that takes process signal S: the main thread if it does not block S, else the
 * next one in turn that does not (Linux's complete_signal), or NULL. */
struct vj_thread *vj_sig_pick(struct vj_proc *p, int s)
{
    size_t n = p->nthreads;
    for (size_t k = 0; k < n; k++) {
        size_t i = k == 0 ? 0 : 1 + (p->sig_next_pick + k - 1) % (n - 1);
        struct vj_thread *t = p->threads[i];
        if (!t->exited && !(vj_sig_blocked_now(t) & VJ_SIGBIT(s))) {
            if (i)
                p->sig_next_pick = i;
            return t;
        }
    }
    return NULL;
}

/* Process signals in MASK are no longer taken by the thread that was to take them: find
 * others (Linux's retarget_shared_pending). */
void vj_sig_retarget(struct vj_proc *p, uint64_t mask)
{
    mask &= p->shared_pending.set;
    while (mask) {
        int s = __builtin_ctzll(mask) + 1;
        mask &= mask - 1;
        struct vj_thread *t = vj_sig_pick(p, s);
        if (t)
            wake(p, t);
    }
}

/* ---- generating signals ----------------------------------------------------------------- */

static struct vj_thread *main_thread(struct vj_proc *p)
{
    for (size_t i = 0; i < p->nthreads; i++)
        if (!p->threads[i]->exited)
            return p->threads[i];
    return NULL;
}

static bool ignored(struct vj_proc *p, int s)
{
    const struct vj_ksigaction *ka = vj_sigaction(p, s);
    return ka->handler == VJ_SIG_IGN ||
           (ka->handler == VJ_SIG_DFL && (DEFAULT_IGNORED & VJ_SIGBIT(s)));
}

int vj_signal_send_locked(struct vj_proc *p, struct vj_thread *t, const siginfo_t *info)
{
    int s = info->si_signo;
    if (s < 1 || s >= VJ_NSIG || p->exited || (t && t->exited))
        return 0;
    if (s == SIGKILL) {
        vj_proc_end_locked(p, true, SIGKILL);
        return 0;
    }
    /* A continue signal cancels pending stops and the other way round. */
    uint64_t cancel = s == SIGCONT ? STOP_SIGNALS : (STOP_SIGNALS & VJ_SIGBIT(s)) ?
                                     VJ_SIGBIT(SIGCONT) : 0;
    if (cancel) {
        vj_sig_flush(p, &p->shared_pending, cancel);
        for (size_t i = 0; i < p->nthreads; i++)
            vj_sig_flush(p, &p->threads[i]->pending, cancel);
    }
    /* Ignored signals are dropped, unless blocked: the disposition may change before the
     * signal is unblocked. */
    struct vj_thread *ref = t ? t : main_thread(p);
    if (!(ref && (ref->sigmask & VJ_SIGBIT(s))) && ignored(p, s))
        return 0;
    struct vj_thread *target = t ? ((vj_sig_blocked_now(t) & VJ_SIGBIT(s)) ? NULL : t) : vj_sig_pick(p, s);
    /* A signal whose default action ends the process, sent where it is not blocked, ends it
     * at once (Linux's complete_signal): no thread has to take it first. */
    const struct vj_ksigaction *ka = vj_sigaction(p, s);
    if (ka->handler == VJ_SIG_DFL && !((DEFAULT_IGNORED | STOP_SIGNALS) & VJ_SIGBIT(s)) &&
        (target ? !(target->sigmask & VJ_SIGBIT(s)) : t == NULL && main_thread(p) == NULL)) {
        vj_proc_end_locked(p, true, s);
        return 0;
    }
    int r = queue_add(p, t ? &t->pending : &p->shared_pending, info);
    if (r < 0)
        return r;
    if (target)
        wake(p, target);
    else
        vj_signalfd_feed(p);
    return 0;
}

int vj_signal_send(struct vj_proc *p, struct vj_thread *t, const siginfo_t *info)
{
    pthread_mutex_lock(&p->lock);
    int r = vj_signal_send_locked(p, t, info);
    pthread_mutex_unlock(&p->lock);
    return r;
}

void vj_signal_raise(struct vj_proc *p, struct vj_thread *t, int signo)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = signo;
    info.si_code = SI_USER;
    info.si_pid = getpid();
    info.si_uid = getuid();
    vj_signal_send(p, t, &info);
}

/* Linux's force_sig: a blocked or ignored signal is unblocked and reset to its default
 * action, so that it cannot be missed.  Under p->lock. */
static void force_locked(struct vj_proc *p, struct vj_thread *t, const siginfo_t *info)
{
    int s = info->si_signo;
    struct vj_ksigaction *ka = vj_sigaction(p, s);
    if ((t->sigmask & VJ_SIGBIT(s)) || ka->handler == VJ_SIG_IGN) {
        ka->handler = VJ_SIG_DFL;
        t->sigmask &= ~VJ_SIGBIT(s);
    }
    queue_add(p, &t->pending, info);
    vj_sig_recalc(p, t);
}

void vj_signal_resolve_fault(struct vj_thread *t, struct vj_fault *f)
{
    if (f->code_unknown) {
        /* The address is known: unmapped (SEGV_MAPERR) or mapped without the access
         * (SEGV_ACCERR), as the address space says. */
        struct vj_proc *p = t->proc;
        pthread_mutex_lock(&p->mm_lock);
        f->code = vj_vmas_find(&p->vmas, f->addr) ? SEGV_ACCERR : SEGV_MAPERR;
        pthread_mutex_unlock(&p->mm_lock);
        return;
    }
    struct vj_user_regs regs;
    if (vj_vcpu_get_user_regs(t->vcpu, &regs))
        vj_arch_resolve_fault(t, &regs, f);
}

void vj_signal_fault(struct vj_thread *t, const struct vj_fault *f)
{
    struct vj_proc *p = t->proc;
    /* What the frame's sigcontext reports: Linux keeps the last fault's. */
    t->trapno = f->vector >= 0 ? (uint64_t)f->vector : 14;
    t->fault_err = f->vector >= 0 ? f->error_code : 4; /* a user-mode access */
    if (f->vector == 14 || f->vector < 0)
        t->cr2 = f->addr;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = f->signo;
    info.si_code = f->code;
    info.si_addr = (void *)(uintptr_t)f->addr;
    pthread_mutex_lock(&p->lock);
    force_locked(p, t, &info);
    pthread_mutex_unlock(&p->lock);
}

/* A handler's frame could not be written: SIGSEGV, with its default action if that is what
 * failed (Linux's force_sigsegv). */
void vj_sig_force_sigsegv(struct vj_proc *p, struct vj_thread *t, int s)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGSEGV;
    info.si_code = SI_KERNEL;
    pthread_mutex_lock(&p->lock);
    if (s == SIGSEGV)
        vj_sigaction(p, SIGSEGV)->handler = VJ_SIG_DFL;
    force_locked(p, t, &info);
    pthread_mutex_unlock(&p->lock);
}

/* ---- masks and waiting ------------------------------------------------------------------ */

/* Set T's mask; process signals it now blocks go to other threads.  Under p->lock. */
static void change_mask_locked(struct vj_proc *p, struct vj_thread *t, uint64_t mask)
{
    uint64_t old = t->sigmask;
    t->sigmask = mask & ~VJ_UNBLOCKABLE;
    vj_sig_recalc(p, t);
    if (t->sigmask & ~old)
        vj_sig_retarget(p, t->sigmask & ~old);
}

void vj_signal_set_mask(struct vj_thread *t, uint64_t mask)
{
    struct vj_proc *p = t->proc;
    pthread_mutex_lock(&p->lock);
    change_mask_locked(p, t, mask);
    pthread_mutex_unlock(&p->lock);
}

uint64_t vj_signal_get_mask(struct vj_thread *t)
{
    pthread_mutex_lock(&t->proc->lock);
    uint64_t m = t->sigmask;
    pthread_mutex_unlock(&t->proc->lock);
    return m;
}

void vj_signal_set_temporary_mask(struct vj_thread *t, uint64_t mask)
{
    struct vj_proc *p = t->proc;
    pthread_mutex_lock(&p->lock);
    if (!t->restore_mask) {
        t->saved_mask = t->sigmask;
        t->restore_mask = true;
    }
    change_mask_locked(p, t, mask);
    pthread_mutex_unlock(&p->lock);
}

int64_t vj_signal_call_mask_begin(struct vj_thread *t, uint64_t gva, uint64_t size)
{
    uint64_t mask;
    if (gva == 0)
        return 0;
    if (size != sizeof mask)
        return -EINVAL;
    if (vj_copy_from_guest(t->proc, &mask, gva, sizeof mask) < 0)
        return -EFAULT;
    vj_signal_set_temporary_mask(t, mask);
    return vj_signal_check(t) ? -VJ_ERESTARTNOHAND : 0;
}

int64_t vj_signal_call_mask_end(struct vj_thread *t, int64_t r)
{
    if (r == -EINTR || r == -VJ_ERESTARTNOHAND)
        return -VJ_ERESTARTNOHAND;
    vj_sig_restore_saved_mask(t);
    return r;
}

uint64_t vj_signal_pending(struct vj_thread *t)
{
    pthread_mutex_lock(&t->proc->lock);
    uint64_t s = t->pending.set | t->proc->shared_pending.set;
    pthread_mutex_unlock(&t->proc->lock);
    return s;
}

void vj_signal_wait_deliverable(struct vj_thread *t)
{
    struct vj_proc *p = t->proc;
    pthread_mutex_lock(&p->lock);
    t->waiting = true;
    while (!vj_sig_stopping(p, t) && !deliverable(p, t) && !vj_gdb_stopping(p))
        pthread_cond_wait(&p->sigcond, &p->lock);
    t->waiting = false;
    vj_sig_recalc(p, t);
    pthread_mutex_unlock(&p->lock);
}

int vj_signal_wait_set(struct vj_thread *t, uint64_t set, const struct timespec *timeout,
                       siginfo_t *info)
{
    struct vj_proc *p = t->proc;
    set &= ~VJ_UNBLOCKABLE;
    pthread_mutex_lock(&p->lock);
    int s = vj_sig_dequeue(p, &t->pending, ~set, info);
    if (s == 0)
        s = vj_sig_dequeue(p, &p->shared_pending, ~set, info);
    if (s == 0 && !(timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0)) {
        struct timespec deadline;
        if (timeout) {
            clock_gettime(CLOCK_MONOTONIC, &deadline);
            deadline.tv_sec += timeout->tv_sec;
            deadline.tv_nsec += timeout->tv_nsec;
            if (deadline.tv_nsec >= 1000000000) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000;
            }
        }
        /* Take SET while waiting, so that a process signal of SET can pick this thread. */
        t->waitset = set;
        vj_sig_retarget(p, set);
        t->waiting = true;
        bool timed_out = false;
        while (!vj_sig_stopping(p, t) && !deliverable(p, t) && !timed_out &&
               !vj_gdb_stopping(p))
            timed_out = (timeout ? pthread_cond_timedwait(&p->sigcond, &p->lock, &deadline)
                                 : pthread_cond_wait(&p->sigcond, &p->lock)) == ETIMEDOUT;
        t->waiting = false;
        t->waitset = 0;
        s = vj_sig_dequeue(p, &t->pending, ~set, info);
        if (s == 0)
            s = vj_sig_dequeue(p, &p->shared_pending, ~set, info);
        if (s == 0) /* gdb's stop: made again after it (with its whole timeout) */
            s = timed_out ? -EAGAIN : vj_gdb_stopping(p) ? -VJ_ERESTARTNOHAND : -EINTR;
        if (t->sigmask & set)
            vj_sig_retarget(p, t->sigmask & set);
    } else if (s == 0) {
        s = -EAGAIN;
    }
    vj_sig_recalc(p, t);
    pthread_mutex_unlock(&p->lock);
    return s;
}

int vj_sigaltstack(struct vj_thread *t, const stack_t *ss, stack_t *old, uint64_t sp)
{
    if (old) {
        memset(old, 0, sizeof *old);
        old->ss_sp = (void *)(uintptr_t)t->ss_sp;
        old->ss_size = t->ss_size;
        old->ss_flags = vj_altstack_flags(t, sp) | (t->ss_flags & SS_AUTODISARM);
    }
    if (ss == NULL)
        return 0;
    if (vj_altstack_active(t, sp))
        return -EPERM;
    int mode = ss->ss_flags & ~SS_AUTODISARM;
    if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
        return -EINVAL;
    uint64_t base = (uint64_t)(uintptr_t)ss->ss_sp, size = ss->ss_size;
    if (mode == SS_DISABLE) {
        base = 0;
        size = 0;
    } else if (size < KERNEL_MINSIGSTKSZ) {
        return -ENOMEM;
    }
    t->ss_sp = base;
    t->ss_size = size;
    t->ss_flags = ss->ss_flags;
    return 0;
}

/* The mask a temporary one replaced comes back (no handler ran). */
void vj_sig_restore_saved_mask(struct vj_thread *t)
{
    if (!t->restore_mask)
        return;
    struct vj_proc *p = t->proc;
    pthread_mutex_lock(&p->lock);
    uint64_t old = t->sigmask;
    t->sigmask = t->saved_mask;
    t->restore_mask = false;
    vj_sig_recalc(p, t);
    if (t->sigmask & ~old)
        vj_sig_retarget(p, t->sigmask & ~old);
    pthread_mutex_unlock(&p->lock);
}


/* ---- threads ------------------------------------------------------------------------------ */

void vj_signal_thread_init(struct vj_thread *t, uint64_t mask)
{
    t->sigmask = mask & ~VJ_UNBLOCKABLE;
    t->ss_sp = t->ss_size = 0;
    t->ss_flags = SS_DISABLE;
}

void vj_signal_discard_locked(struct vj_proc *p, int s)
{
    vj_sig_flush(p, &p->shared_pending, VJ_SIGBIT(s));
    for (size_t i = 0; i < p->nthreads; i++)
        vj_sig_flush(p, &p->threads[i]->pending, VJ_SIGBIT(s));
}

void vj_signal_retarget_locked(struct vj_proc *p)
{
    vj_sig_retarget(p, p->shared_pending.set);
}

void vj_signal_thread_free(struct vj_thread *t)
{
    struct vj_proc *p = t->proc;
    pthread_mutex_lock(&p->lock);
    vj_sig_flush(p, &t->pending, ~0ULL);
    pthread_mutex_unlock(&p->lock);
}
