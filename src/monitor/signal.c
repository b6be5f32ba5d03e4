/* signal.c: the payload's signals, kept and delivered as Linux does.
 *
 * Every payload signal is virtual: it is queued here (per thread or per process, with its
 * siginfo), and a thread that does not block it is told through its flag (t->sigflag), which
 * its run loop reads once per exit.  A thread running the payload or blocked in a host call is
 * woken with vj_vcpu_interrupt() and the kick signal; one waiting in the monitor (pause,
 * sigsuspend, sigtimedwait) through p->sigcond.  Before the thread resumes the payload,
 * vj_signal_deliver() takes the pending signals in Linux's order and runs their default
 * action or builds a handler's frame (src/arch/x86_64/signal_frame.c), and decides whether an
 * interrupted syscall returns EINTR or is restarted.
 *
 * Host signals meant for the payload (kill from another process, alarm and other timers) are
 * blocked in every monitor thread and taken by one signal thread, which queues them for the
 * process.  A kick can come just before a thread enters a blocking host call and be lost; the
 * signal thread therefore kicks a thread again every few milliseconds until it has looked at
 * its signals. */
#include "monitor/signal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "arch/arch.h"
#include "lib/error.h"
#include "monitor/proc_life.h"

#define SIGRTMIN_KERNEL 32 /* signals from here on are queued, not merged */
#define MAX_QUEUED 65536   /* queued instances per process, as RLIMIT_SIGPENDING bounds them */
#define KERNEL_MINSIGSTKSZ 2048
#define SYNCHRONOUS                                                                          \
    (VJ_SIGBIT(SIGSEGV) | VJ_SIGBIT(SIGBUS) | VJ_SIGBIT(SIGILL) | VJ_SIGBIT(SIGTRAP) |        \
     VJ_SIGBIT(SIGFPE) | VJ_SIGBIT(SIGSYS))
#define STOP_SIGNALS                                                                         \
    (VJ_SIGBIT(SIGSTOP) | VJ_SIGBIT(SIGTSTP) | VJ_SIGBIT(SIGTTIN) | VJ_SIGBIT(SIGTTOU))
#define DEFAULT_IGNORED                                                                      \
    (VJ_SIGBIT(SIGCHLD) | VJ_SIGBIT(SIGURG) | VJ_SIGBIT(SIGWINCH) | VJ_SIGBIT(SIGCONT))
#define REKICK_NS 2000000 /* how often the signal thread kicks a thread that has not looked */

static void restore_saved_mask(struct vj_thread *t);
static void signalfd_feed(struct vj_proc *p);
static int nsignalfds;

/* ---- queues (all under p->lock) -------------------------------------------------------- */

static int queued; /* instances queued in the process (one process at a time) */

/* Queue INFO on Q: a standard signal already pending is not queued twice.  Returns 0, or
 * -EAGAIN if a real-time signal queued by the payload does not fit. */
static int queue_add(struct vj_sigpending *q, const siginfo_t *info)
{
    int s = info->si_signo;
    if (s < SIGRTMIN_KERNEL && (q->set & VJ_SIGBIT(s)))
        return 0;
    struct vj_sigqueued *e = queued < MAX_QUEUED ? malloc(sizeof *e) : NULL;
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
    queued++;
    q->set |= VJ_SIGBIT(s);
    return 0;
}

/* Take one pending signal of Q that BLOCKED does not block: synchronous ones (faults) first,
 * then the lowest number.  Returns it with its siginfo, or 0. */
static int dequeue(struct vj_sigpending *q, uint64_t blocked, siginfo_t *info)
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
        queued--;
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
static void flush(struct vj_sigpending *q, uint64_t mask)
{
    if (!(q->set & mask))
        return;
    struct vj_sigqueued **at = &q->head;
    while (*at) {
        struct vj_sigqueued *e = *at;
        if (mask & VJ_SIGBIT(e->info.si_signo)) {
            *at = e->next;
            free(e);
            queued--;
        } else {
            at = &e->next;
        }
    }
    q->set &= ~mask;
}

/* ---- waking threads (under p->lock) ----------------------------------------------------- */

static pid_t sigthread_tid; /* the signal thread, 0 when there is none */
static bool rekick_active;  /* the signal thread is kicking threads again (under p->lock) */

/* The signals T does not take now (those it waits for in rt_sigtimedwait it takes). */
static uint64_t blocked_now(const struct vj_thread *t)
{
    return t->sigmask & ~t->waitset;
}

static bool deliverable(struct vj_proc *p, struct vj_thread *t)
{
    return ((t->pending.set | p->shared_pending.set) & ~blocked_now(t)) != 0;
}

/* T is to stop running the payload: the process ended, or another thread's exec ends T. */
static bool stopping(const struct vj_proc *p, const struct vj_thread *t)
{
    return p->exited || t->killed;
}

/* Set or clear T's flag: a signal it can take is pending, or the process ended. */
static void recalc(struct vj_proc *p, struct vj_thread *t)
{
    __atomic_store_n(&t->sigflag, stopping(p, t) || deliverable(p, t), __ATOMIC_RELEASE);
}

static void wake_signal_thread(void)
{
    pid_t tid = __atomic_load_n(&sigthread_tid, __ATOMIC_ACQUIRE);
    if (tid)
        syscall(SYS_tgkill, getpid(), tid, VJ_SIG_KICK);
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
        if (!rekick_active) {
            rekick_active = true;
            wake_signal_thread();
        }
    }
}

void vj_signal_wake_locked(struct vj_proc *p, struct vj_thread *t)
{
    wake(p, t);
}

/* The thread that takes process signal S: the main thread if it does not block S, else the
 * next one in turn that does not (Linux's complete_signal), or NULL. */
static struct vj_thread *pick(struct vj_proc *p, int s)
{
    static size_t next;
    size_t n = p->nthreads;
    for (size_t k = 0; k < n; k++) {
        size_t i = k == 0 ? 0 : 1 + (next + k - 1) % (n - 1);
        struct vj_thread *t = p->threads[i];
        if (!t->exited && !(blocked_now(t) & VJ_SIGBIT(s))) {
            if (i)
                next = i;
            return t;
        }
    }
    return NULL;
}

/* Process signals in MASK are no longer taken by the thread that was to take them: find
 * others (Linux's retarget_shared_pending). */
static void retarget(struct vj_proc *p, uint64_t mask)
{
    mask &= p->shared_pending.set;
    while (mask) {
        int s = __builtin_ctzll(mask) + 1;
        mask &= mask - 1;
        struct vj_thread *t = pick(p, s);
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
        flush(&p->shared_pending, cancel);
        for (size_t i = 0; i < p->nthreads; i++)
            flush(&p->threads[i]->pending, cancel);
    }
    /* Ignored signals are dropped, unless blocked: the disposition may change before the
     * signal is unblocked. */
    struct vj_thread *ref = t ? t : main_thread(p);
    if (!(ref && (ref->sigmask & VJ_SIGBIT(s))) && ignored(p, s))
        return 0;
    struct vj_thread *target = t ? ((blocked_now(t) & VJ_SIGBIT(s)) ? NULL : t) : pick(p, s);
    /* A signal whose default action ends the process, sent where it is not blocked, ends it
     * at once (Linux's complete_signal): no thread has to take it first. */
    const struct vj_ksigaction *ka = vj_sigaction(p, s);
    if (ka->handler == VJ_SIG_DFL && !((DEFAULT_IGNORED | STOP_SIGNALS) & VJ_SIGBIT(s)) &&
        (target ? !(target->sigmask & VJ_SIGBIT(s)) : t == NULL && main_thread(p) == NULL)) {
        vj_proc_end_locked(p, true, s);
        return 0;
    }
    int r = queue_add(t ? &t->pending : &p->shared_pending, info);
    if (r < 0)
        return r;
    if (target)
        wake(p, target);
    else if (nsignalfds)
        signalfd_feed(p);
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
    queue_add(&t->pending, info);
    recalc(p, t);
}

void vj_signal_resolve_fault(struct vj_thread *t, struct vj_fault *f)
{
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
static void force_sigsegv(struct vj_proc *p, struct vj_thread *t, int s)
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
    recalc(p, t);
    if (t->sigmask & ~old)
        retarget(p, t->sigmask & ~old);
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
    restore_saved_mask(t);
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
    while (!stopping(p, t) && !deliverable(p, t))
        pthread_cond_wait(&p->sigcond, &p->lock);
    t->waiting = false;
    recalc(p, t);
    pthread_mutex_unlock(&p->lock);
}

int vj_signal_wait_set(struct vj_thread *t, uint64_t set, const struct timespec *timeout,
                       siginfo_t *info)
{
    struct vj_proc *p = t->proc;
    set &= ~VJ_UNBLOCKABLE;
    pthread_mutex_lock(&p->lock);
    int s = dequeue(&t->pending, ~set, info);
    if (s == 0)
        s = dequeue(&p->shared_pending, ~set, info);
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
        retarget(p, set);
        t->waiting = true;
        bool timed_out = false;
        while (!stopping(p, t) && !deliverable(p, t) && !timed_out)
            timed_out = (timeout ? pthread_cond_timedwait(&p->sigcond, &p->lock, &deadline)
                                 : pthread_cond_wait(&p->sigcond, &p->lock)) == ETIMEDOUT;
        t->waiting = false;
        t->waitset = 0;
        s = dequeue(&t->pending, ~set, info);
        if (s == 0)
            s = dequeue(&p->shared_pending, ~set, info);
        if (s == 0)
            s = timed_out ? -EAGAIN : -EINTR;
        if (t->sigmask & set)
            retarget(p, t->sigmask & set);
    } else if (s == 0) {
        s = -EAGAIN;
    }
    recalc(p, t);
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

/* ---- delivery ----------------------------------------------------------------------------- */

/* Calls that Linux never restarts once a handler ran (-ERESTARTNOHAND and restart blocks):
 * they return EINTR whatever SA_RESTART says. */
static bool never_restarted(uint64_t nr, const uint64_t a[6])
{
    switch (nr) {
    case SYS_poll:
    case SYS_ppoll:
    case SYS_select:
    case SYS_pselect6:
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
    case SYS_epoll_pwait2:
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
    case SYS_pause:
    case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait:
    case SYS_semop:
    case SYS_semtimedop:
    case SYS_msgrcv:
    case SYS_msgsnd:
    case SYS_io_getevents:
    case SYS_io_pgetevents:
        return true;
    case SYS_futex: {
        int op = (int)a[1] & FUTEX_CMD_MASK;
        return (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) && a[3] != 0;
    }
    default:
        return false;
    }
}

static bool interrupted(int64_t r)
{
    return r == -EINTR || r == -VJ_ERESTARTNOHAND || r == -VJ_ERESTARTSYS;
}

/* Take T's next signal to act on: default actions are taken here (a fatal one ends the
 * process).  Returns the signal number of a handler to run with its siginfo and action, 0 if
 * there is none, or -1 if the process ended. */
/* Stop the whole monitor process by stop signal S, as the payload process stops: S takes its
 * default action in the calling thread (the others block it for the signal thread). */
static void stop_host(int s)
{
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(s, &dfl, &old);
    sigset_t one, saved;
    sigemptyset(&one);
    sigaddset(&one, s);
    pthread_sigmask(SIG_UNBLOCK, &one, &saved);
    raise(s); /* returns after SIGCONT */
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    sigaction(s, &old, NULL);
}

static int get_signal(struct vj_proc *p, struct vj_thread *t, siginfo_t *info,
                      struct vj_ksigaction *ka)
{
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (stopping(p, t)) {
            pthread_mutex_unlock(&p->lock);
            return -1;
        }
        int s = dequeue(&t->pending, t->sigmask, info);
        if (s == 0)
            s = dequeue(&p->shared_pending, t->sigmask, info);
        if (s == 0) {
            recalc(p, t);
            pthread_mutex_unlock(&p->lock);
            return 0;
        }
        struct vj_ksigaction *act = vj_sigaction(p, s);
        if (act->handler == VJ_SIG_IGN)
            continue;
        if (act->handler != VJ_SIG_DFL) {
            *ka = *act;
            if (act->flags & SA_RESETHAND)
                act->handler = VJ_SIG_DFL;
            pthread_mutex_unlock(&p->lock);
            return s;
        }
        if (DEFAULT_IGNORED & VJ_SIGBIT(s))
            continue;
        if (STOP_SIGNALS & VJ_SIGBIT(s)) {
            /* Stop: the whole host process stops until SIGCONT, by the same signal, so that
             * the parent's wait reports it (WSTOPSIG). */
            pthread_mutex_unlock(&p->lock);
            stop_host(s);
            pthread_mutex_lock(&p->lock);
            continue;
        }
        if (p->trace_fd >= 0) {
            char line[96];
            int n = snprintf(line, sizeof line, "--- SIG%s {si_code=%d} (default action) ---\n",
                             sigabbrev_np(s) ? sigabbrev_np(s) : "?", info->si_code);
            if (write(p->trace_fd, line, (size_t)n) < 0) {
                /* the trace is best effort */
            }
        }
        vj_proc_end_locked(p, true, s);
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
}

static void trace_handler(struct vj_proc *p, int s, const siginfo_t *info, uint64_t handler)
{
    char line[160];
    int n = snprintf(line, sizeof line,
                     "--- SIG%s {si_code=%d, si_addr=%#llx} (handler %#llx) ---\n",
                     sigabbrev_np(s) ? sigabbrev_np(s) : "?", info->si_code,
                     (unsigned long long)(uintptr_t)info->si_addr, (unsigned long long)handler);
    if (write(p->trace_fd, line, (size_t)n) < 0) {
        /* the trace is best effort */
    }
}

/* The mask a temporary one replaced comes back (no handler ran). */
static void restore_saved_mask(struct vj_thread *t)
{
    if (!t->restore_mask)
        return;
    struct vj_proc *p = t->proc;
    pthread_mutex_lock(&p->lock);
    uint64_t old = t->sigmask;
    t->sigmask = t->saved_mask;
    t->restore_mask = false;
    recalc(p, t);
    if (t->sigmask & ~old)
        retarget(p, t->sigmask & ~old);
    pthread_mutex_unlock(&p->lock);
}

int vj_signal_deliver(struct vj_thread *t, const struct vj_stop *stop, int64_t r)
{
    struct vj_proc *p = t->proc;
    vmjail_error *err = NULL;
    bool sigreturned = t->sigreturned;
    t->sigreturned = false;
    bool in_syscall = stop->kind == VJ_STOP_SYSCALL && !sigreturned;
    bool fault = stop->kind == VJ_STOP_FAULT;
    if (!in_syscall && !fault && !vj_signal_check(t))
        return 0;
    pthread_mutex_lock(&p->lock);
    t->need_kick = false;
    bool ended = stopping(p, t);
    pthread_mutex_unlock(&p->lock);
    if (ended)
        return -1;

    struct vj_user_regs regs;
    if (!vj_vcpu_get_user_regs(t->vcpu, &regs)) {
        if (fault) {
            /* No user context left to run a handler in (a triple fault). */
            vj_proc_end(p, true, stop->fault.signo);
            return -1;
        }
        /* Stopped inside the stubs: resume; the signal thread kicks it again soon. */
        pthread_mutex_lock(&p->lock);
        if (vj_signal_check(t))
            t->need_kick = true;
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    if (in_syscall)
        regs.rax = (uint64_t)r;
    bool syscall_open = in_syscall, changed = false;
    for (;;) {
        siginfo_t info;
        struct vj_ksigaction ka;
        int s = get_signal(p, t, &info, &ka);
        if (s < 0)
            return -1;
        if (s == 0)
            break;
        if (syscall_open && interrupted(r)) {
            /* A handler runs: the call returns EINTR or, for SA_RESTART, is made again
             * when the handler returns. */
            if (r == -EINTR || r == -VJ_ERESTARTSYS) {
                if ((ka.flags & SA_RESTART) && !never_restarted(stop->sc.nr, stop->sc.arg)) {
                    regs.rax = stop->sc.nr;
                    regs.rip -= 2;
                } else {
                    regs.rax = (uint64_t)-EINTR;
                }
            } else {
                regs.rax = (uint64_t)-EINTR;
            }
        }
        syscall_open = false;
        uint64_t saved = t->restore_mask ? t->saved_mask : t->sigmask;
        int e = vj_arch_setup_rt_frame(t, &regs, s, &info, &ka, saved, &err);
        if (e == -1) {
            vj_proc_fail(p, err);
            return -1;
        }
        if (e < 0) {
            force_sigsegv(p, t, s);
            continue;
        }
        if (p->trace_fd >= 0)
            trace_handler(p, s, &info, ka.handler);
        pthread_mutex_lock(&p->lock);
        t->sigmask |= ka.mask | ((ka.flags & SA_NODEFER) ? 0 : VJ_SIGBIT(s));
        t->sigmask &= ~VJ_UNBLOCKABLE;
        t->restore_mask = false;
        if (t->ss_flags & SS_AUTODISARM) {
            t->ss_sp = t->ss_size = 0;
            t->ss_flags = SS_DISABLE;
        }
        recalc(p, t);
        pthread_mutex_unlock(&p->lock);
        changed = true;
    }
    if (syscall_open) {
        /* No handler ran: the mask sigsuspend replaced comes back, and an interrupted call
         * is made again (Linux restarts every -ERESTART* call then). */
        restore_saved_mask(t);
        if (interrupted(r) && stop->sc.nr != SYS_rt_sigtimedwait) {
            vj_vcpu_syscall_restart(t->vcpu, stop->sc.nr);
            return 0;
        }
        vj_vcpu_syscall_return(t->vcpu, interrupted(r) ? -EINTR : r);
        return 0;
    }
    if (changed && vj_vcpu_set_user_regs(t->vcpu, &regs, &err) < 0) {
        vj_proc_fail(p, err);
        return -1;
    }
    return 0;
}

/* ---- signalfd ---------------------------------------------------------------------------- */

/* A signalfd is one end of a host SOCK_SEQPACKET socket pair, given to the payload (which reads
 * it with pass-through calls, polls it, ...); the monitor keeps the other end.  A pending signal
 * its mask names that no thread would take now (blocked everywhere, as signalfd users do) is
 * moved into it as a struct signalfd_siginfo: it is then no longer pending, where Linux keeps it
 * pending until read. */
struct kssi { /* struct signalfd_siginfo */
    uint32_t signo;
    int32_t err;
    int32_t code;
    uint32_t pid, uid;
    int32_t fd;
    uint32_t tid, band, overrun, trapno;
    int32_t status, sint;
    uint64_t ptr, utime, stime, addr;
    uint16_t addr_lsb;
    uint8_t pad[46];
};
_Static_assert(sizeof(struct kssi) == 128, "struct signalfd_siginfo");

struct sfd {
    bool used;
    int mon;           /* the monitor's end */
    dev_t dev;         /* the payload's end */
    ino_t ino;
    uint64_t mask;
};
#define MAX_SIGNALFDS 64
static struct sfd sfds[MAX_SIGNALFDS];

/* Linux's signalfd_copyinfo: the siginfo fields that mean something for its kind. */
static void to_ssi(const siginfo_t *in, struct kssi *o)
{
    memset(o, 0, sizeof *o);
    o->signo = (uint32_t)in->si_signo;
    o->err = in->si_errno;
    o->code = in->si_code;
    int s = in->si_signo, c = in->si_code;
    if (c > SI_USER && c < SI_KERNEL) {
        if (s == SIGCHLD) {
            o->pid = (uint32_t)in->si_pid, o->uid = in->si_uid, o->status = in->si_status;
            o->utime = (uint64_t)in->si_utime, o->stime = (uint64_t)in->si_stime;
        } else if (s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGTRAP) {
            o->addr = (uint64_t)(uintptr_t)in->si_addr;
        } else {
            o->band = (uint32_t)in->si_band, o->fd = in->si_fd;
        }
    } else if (c == SI_TIMER) {
        o->tid = (uint32_t)in->si_timerid, o->overrun = (uint32_t)in->si_overrun;
        o->ptr = (uint64_t)(uintptr_t)in->si_ptr, o->sint = in->si_int;
    } else if (c < 0) {
        o->pid = (uint32_t)in->si_pid, o->uid = in->si_uid;
        o->ptr = (uint64_t)(uintptr_t)in->si_ptr, o->sint = in->si_int;
    } else {
        o->pid = (uint32_t)in->si_pid, o->uid = in->si_uid;
    }
}

static void sfd_release(struct vj_proc *p, struct sfd *f)
{
    vj_vm_disown_fd(p->vm, f->mon);
    close(f->mon);
    f->used = false;
    nsignalfds--;
}

/* Move what S's signalfd takes from Q.  BLOCKED: signals no thread would take from Q.
 * Returns false if the signalfd went away. */
static bool sfd_take(struct vj_proc *p, struct sfd *f, struct vj_sigpending *q, uint64_t blocked)
{
    uint64_t want = q->set & f->mask & blocked;
    while (want) {
        int s = __builtin_ctzll(want) + 1;
        siginfo_t info;
        struct vj_sigqueued *e = q->head;
        while (e && e->info.si_signo != s)
            e = e->next;
        if (e) {
            info = e->info;
        } else {
            memset(&info, 0, sizeof info);
            info.si_signo = s;
            info.si_code = SI_USER;
        }
        struct kssi rec;
        to_ssi(&info, &rec);
        if (send(f->mon, &rec, sizeof rec, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof rec) {
            if (errno == EAGAIN || errno == ENOBUFS)
                return true; /* full: the rest stays pending */
            sfd_release(p, f); /* the payload closed its end */
            return false;
        }
        siginfo_t gone;
        dequeue(q, ~VJ_SIGBIT(s), &gone);
        if (!(q->set & VJ_SIGBIT(s)))
            want &= ~VJ_SIGBIT(s);
    }
    return true;
}

/* Under p->lock. */
static void signalfd_feed(struct vj_proc *p)
{
    for (int i = 0; i < MAX_SIGNALFDS; i++) {
        struct sfd *f = &sfds[i];
        if (!f->used)
            continue;
        uint64_t nobody = 0;
        for (int s = 1; s < VJ_NSIG; s++)
            if ((p->shared_pending.set & VJ_SIGBIT(s)) && pick(p, s) == NULL)
                nobody |= VJ_SIGBIT(s);
        if (!sfd_take(p, f, &p->shared_pending, nobody))
            continue;
        for (size_t k = 0; k < p->nthreads; k++) {
            struct vj_thread *t = p->threads[k];
            if (!t->exited && !sfd_take(p, f, &t->pending, blocked_now(t)))
                break;
        }
    }
}

int vj_signalfd(struct vj_proc *p, int fd, uint64_t mask, int flags)
{
    mask &= ~VJ_UNBLOCKABLE;
    if (fd != -1) {
        struct stat st;
        if (fstat(fd, &st) < 0)
            return -EBADF;
        pthread_mutex_lock(&p->lock);
        int r = -EINVAL;
        for (int i = 0; i < MAX_SIGNALFDS; i++)
            if (sfds[i].used && sfds[i].dev == st.st_dev && sfds[i].ino == st.st_ino) {
                sfds[i].mask = mask;
                signalfd_feed(p);
                r = fd;
                break;
            }
        pthread_mutex_unlock(&p->lock);
        return r;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    struct stat st;
    if (shutdown(sv[0], SHUT_WR) < 0 || fstat(sv[0], &st) < 0 ||
        (!(flags & O_CLOEXEC) && fcntl(sv[0], F_SETFD, 0) < 0) ||
        ((flags & O_NONBLOCK) && fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return -e;
    }
    pthread_mutex_lock(&p->lock);
    int slot = 0;
    while (slot < MAX_SIGNALFDS && sfds[slot].used)
        slot++;
    if (slot == MAX_SIGNALFDS) {
        pthread_mutex_unlock(&p->lock);
        close(sv[0]);
        close(sv[1]);
        return -EMFILE;
    }
    sfds[slot] = (struct sfd){.used = true, .mon = vj_vm_own_fd(p->vm, sv[1]), .dev = st.st_dev,
                              .ino = st.st_ino, .mask = mask};
    nsignalfds++;
    signalfd_feed(p);
    pthread_mutex_unlock(&p->lock);
    return sv[0];
}

static void signalfds_close(struct vj_proc *p)
{
    for (int i = 0; i < MAX_SIGNALFDS; i++)
        if (sfds[i].used)
            sfd_release(p, &sfds[i]);
}

/* ---- threads ------------------------------------------------------------------------------ */

static uint64_t initial_mask;    /* the host mask vmjail started with: the payload's */
static uint64_t initial_ignored; /* and the signals it ignored, which stay ignored */

void vj_signal_thread_init(struct vj_thread *t, uint64_t mask)
{
    t->sigmask = mask & ~VJ_UNBLOCKABLE;
    t->ss_sp = t->ss_size = 0;
    t->ss_flags = SS_DISABLE;
}

void vj_signal_discard_locked(struct vj_proc *p, int s)
{
    flush(&p->shared_pending, VJ_SIGBIT(s));
    for (size_t i = 0; i < p->nthreads; i++)
        flush(&p->threads[i]->pending, VJ_SIGBIT(s));
}

void vj_signal_retarget_locked(struct vj_proc *p)
{
    retarget(p, p->shared_pending.set);
}

void vj_signal_thread_free(struct vj_thread *t)
{
    pthread_mutex_lock(&t->proc->lock);
    flush(&t->pending, ~0ULL);
    pthread_mutex_unlock(&t->proc->lock);
}

/* ---- host signals ------------------------------------------------------------------------- */

/* The host signals the payload gets: every one a process can catch except those the monitor
 * raises itself on faults, SIGPIPE (the monitor takes EPIPE), SIGTTIN/SIGTTOU (whose host
 * disposition and mask mirror the payload's: signal_tty.c), the C library's internal ones and
 * the kick. */
static sigset_t catch_set;
static struct sigaction saved_actions[VJ_NSIG];
static sigset_t saved_host_mask;
static uint64_t async_bits; /* caught by the fallback handler, for the signal thread */

static bool catchable(int s)
{
    switch (s) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
    case SIGTRAP:
    case SIGSYS:
    case SIGPIPE:
    case SIGTTIN:
    case SIGTTOU:
        return false;
    default:
        return s < 32 || (s >= SIGRTMIN && s <= SIGRTMAX && s != VJ_SIG_KICK);
    }
}

/* Only if some thread has the signal unblocked (a payload's ppoll mask lets the host apply
 * it): note it for the signal thread. */
static void on_host_signal(int s, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    vj_host_signal_async(s);
}

void vj_host_signal_async(int s)
{
    int saved = errno;
    __atomic_or_fetch(&async_bits, VJ_SIGBIT(s), __ATOMIC_RELEASE);
    wake_signal_thread();
    errno = saved;
}

void vj_host_signals_init(void)
{
    sigemptyset(&catch_set);
    for (int s = 1; s < VJ_NSIG; s++)
        if (catchable(s))
            sigaddset(&catch_set, s);
    pthread_sigmask(SIG_BLOCK, &catch_set, &saved_host_mask);
    initial_mask = 0;
    initial_ignored = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_host_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    for (int s = 1; s < VJ_NSIG; s++) {
        if (s < 32 || s >= SIGRTMIN)
            if (sigismember(&saved_host_mask, s) == 1 && s != VJ_SIG_KICK)
                initial_mask |= VJ_SIGBIT(s);
        if (!catchable(s))
            continue;
        sigaction(s, &sa, &saved_actions[s]);
        if (saved_actions[s].sa_handler == SIG_IGN)
            initial_ignored |= VJ_SIGBIT(s);
    }
    initial_ignored |= vj_tty_signals_init();
}

void vj_host_sigchld(bool ignore, int flags)
{
    /* The host kernel reaps children itself, or sends no SIGCHLD when they stop, only if the
     * monitor's own disposition says so: the payload's choice is mirrored there. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (ignore) {
        sa.sa_handler = SIG_IGN;
    } else {
        sa.sa_sigaction = on_host_signal;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigfillset(&sa.sa_mask);
    }
    sa.sa_flags |= flags & (SA_NOCLDWAIT | SA_NOCLDSTOP);
    sigaction(SIGCHLD, &sa, NULL);
}

void vj_host_signals_restore(void)
{
    /* What arrived after the payload ended is dropped. */
    siginfo_t si;
    struct timespec zero = {0, 0};
    while (sigtimedwait(&catch_set, &si, &zero) > 0)
        ;
    for (int s = 1; s < VJ_NSIG; s++)
        if (catchable(s))
            sigaction(s, &saved_actions[s], NULL);
    vj_tty_signals_restore();
    pthread_sigmask(SIG_SETMASK, &saved_host_mask, NULL);
}

struct sigthread {
    struct vj_proc *p;
    pthread_t thread;
    bool running;
    int stop; /* atomic */
};
static struct sigthread sigthread;

/* Kick again the threads that have not looked at their signals since they were woken: the
 * first kick may have come just before a blocking host call. */
static void rekick(struct vj_proc *p)
{
    pthread_mutex_lock(&p->lock);
    bool again = false;
    for (size_t i = 0; i < p->nthreads; i++) {
        struct vj_thread *t = p->threads[i];
        if (t->exited || !t->need_kick)
            continue;
        if (!vj_signal_check(t)) {
            t->need_kick = false;
            continue;
        }
        again = true;
        if (!t->waiting) {
            vj_vcpu_interrupt(t->vcpu);
            pthread_kill(t->host, VJ_SIG_KICK);
        }
    }
    rekick_active = again;
    pthread_mutex_unlock(&p->lock);
}

static void *signal_thread_main(void *arg)
{
    struct sigthread *st = arg;
    struct vj_proc *p = st->p;
    /* The kick stays pending here until waited for, so that none is lost between a look at
     * rekick_active or the stop flag and the wait. */
    sigset_t wait_set = catch_set;
    sigaddset(&wait_set, VJ_SIG_KICK);
    pthread_sigmask(SIG_BLOCK, &wait_set, NULL);
    __atomic_store_n(&sigthread_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&p->lock);
        bool timed = rekick_active;
        pthread_mutex_unlock(&p->lock);
        struct timespec tick = {0, REKICK_NS};
        siginfo_t si;
        int s = timed ? sigtimedwait(&wait_set, &si, &tick) : sigwaitinfo(&wait_set, &si);
        if (__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE))
            break;
        if (s == VJ_SIG_TIMER && si.si_code == SI_TIMER)
            vj_timer_fired(p, &si);
        else if (s > 0 && s != VJ_SIG_KICK)
            vj_signal_send(p, NULL, &si);
        uint64_t bits = __atomic_exchange_n(&async_bits, 0, __ATOMIC_ACQUIRE);
        while (bits) {
            int b = __builtin_ctzll(bits) + 1;
            bits &= bits - 1;
            siginfo_t info;
            memset(&info, 0, sizeof info);
            info.si_signo = b;
            info.si_code = SI_USER;
            vj_signal_send(p, NULL, &info);
        }
        if (timed)
            rekick(p);
    }
    __atomic_store_n(&sigthread_tid, 0, __ATOMIC_RELEASE);
    return NULL;
}

static int start_signal_thread(struct vj_proc *p)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->sigcond, &ca);
    pthread_condattr_destroy(&ca);
    rekick_active = false;
    __atomic_store_n(&async_bits, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&sigthread_tid, 0, __ATOMIC_RELEASE);
    sigthread = (struct sigthread){.p = p};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    int r = pthread_create(&sigthread.thread, &attr, signal_thread_main, &sigthread);
    pthread_attr_destroy(&attr);
    if (r != 0)
        return -r;
    sigthread.running = true;
    return 0;
}

int vj_signals_start(struct vj_proc *p)
{
    for (int s = 1; s < VJ_NSIG; s++)
        if (initial_ignored & VJ_SIGBIT(s))
            vj_sigaction(p, s)->handler = VJ_SIG_IGN;
    if (initial_ignored & VJ_SIGBIT(SIGCHLD))
        vj_host_sigchld(true, 0);
    queued = 0;
    return start_signal_thread(p);
}

int vj_signals_after_fork(struct vj_proc *p)
{
    /* The child of fork: the parent's signal thread and timers stayed with the parent, and
     * the child starts with no signal pending (dispositions, masks and the alternate stack
     * are inherited). */
    vj_timers_after_fork();
    pthread_mutex_lock(&p->lock);
    flush(&p->shared_pending, ~0ULL);
    for (size_t i = 0; i < p->nthreads; i++) {
        struct vj_thread *t = p->threads[i];
        flush(&t->pending, ~0ULL);
        t->need_kick = t->waiting = false;
        recalc(p, t);
    }
    queued = 0;
    pthread_mutex_unlock(&p->lock);
    return start_signal_thread(p);
}

void vj_signals_stop(struct vj_proc *p)
{
    if (sigthread.running) {
        __atomic_store_n(&sigthread.stop, 1, __ATOMIC_RELEASE);
        pthread_kill(sigthread.thread, VJ_SIG_KICK);
        pthread_join(sigthread.thread, NULL);
        sigthread.running = false;
    }
    vj_timers_free();
    pthread_mutex_lock(&p->lock);
    signalfds_close(p);
    flush(&p->shared_pending, ~0ULL);
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&p->sigcond);
}

uint64_t vj_signal_initial_mask(void)
{
    return initial_mask;
}
