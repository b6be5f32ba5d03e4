/* signal_host.c: the host signals meant for the payload (kill from another process, alarm
 * and other timers): blocked in every monitor thread and taken by one signal thread, which
 * queues them for the payload process and kicks again the threads that have not looked at
 * their signals yet (a kick can come just before a blocking host call and be lost).
 *
 * The state here is the host process's, not the payload process's, and so file-scope: host
 * signal dispositions, the mask new threads inherit and the one signal thread belong to the
 * monitor process, and a monitor process serves exactly one payload process (a payload's fork
 * is a fork of the monitor, exec keeps the process).  docs/architecture.md lists every such
 * piece of state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "monitor/proc_life.h"
#include "monitor/signal.h"
#include "monitor/signal_internal.h"

#define REKICK_NS 2000000 /* how often the signal thread kicks a thread that has not looked */

static pid_t sigthread_tid;      /* the signal thread, 0 when there is none */
static uint64_t initial_mask;    /* the host mask vmjail started with: the payload's */
static uint64_t initial_ignored; /* and the signals it ignored, which stay ignored */

void vj_sig_wake_signal_thread(void)
{
    pid_t tid = __atomic_load_n(&sigthread_tid, __ATOMIC_ACQUIRE);
    if (tid)
        syscall(SYS_tgkill, getpid(), tid, VJ_SIG_KICK);
}

/* The host signals the payload gets: every one a process can catch except those the monitor
 * raises itself on faults, SIGPIPE (the monitor takes EPIPE), SIGTTIN/SIGTTOU (whose host
 * disposition and mask mirror the payload's: signal_tty.c), the C library's internal ones and
 * the kick. */
static sigset_t catch_set;
static struct sigaction saved_actions[VJ_NSIG];
/* The process's interval timers as vmjail found them: the payload's (alarm, setitimer: the
 * host's, passed through) end with it, and the caller's come back. */
static const int itimers[] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
static struct itimerval saved_itimers[3];
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
    vj_sig_wake_signal_thread();
    errno = saved;
}

void vj_host_signals_init(void)
{
    sigemptyset(&catch_set);
    for (int s = 1; s < VJ_NSIG; s++)
        if (catchable(s))
            sigaddset(&catch_set, s);
    pthread_sigmask(SIG_BLOCK, &catch_set, &saved_host_mask);
    for (int k = 0; k < 3; k++)
        getitimer(itimers[k], &saved_itimers[k]);
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
    /* The payload's timers first (a SIGALRM of its itimer, once the host's default action is
     * back, would end this process), then what arrived after the payload ended is dropped. */
    for (int k = 0; k < 3; k++)
        setitimer(itimers[k], &saved_itimers[k], NULL);
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
    p->sig_rekick = again;
    pthread_mutex_unlock(&p->lock);
}

static void *signal_thread_main(void *arg)
{
    struct sigthread *st = arg;
    struct vj_proc *p = st->p;
    /* The kick stays pending here until waited for, so that none is lost between a look at
     * p->sig_rekick or the stop flag and the wait. */
    sigset_t wait_set = catch_set;
    sigaddset(&wait_set, VJ_SIG_KICK);
    pthread_sigmask(SIG_BLOCK, &wait_set, NULL);
    __atomic_store_n(&sigthread_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&p->lock);
        bool timed = p->sig_rekick;
        pthread_mutex_unlock(&p->lock);
        struct timespec tick = {0, REKICK_NS};
        siginfo_t si;
        int s = timed ? sigtimedwait(&wait_set, &si, &tick) : sigwaitinfo(&wait_set, &si);
        if (__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE))
            break;
        if (s == VJ_SIG_TIMER && si.si_code == SI_TIMER)
            vj_timer_fired(p, &si);
        else if (s == VJ_SIG_TIMER && si.si_code == SI_MESGQ)
            vj_mq_fired(p, &si);
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
    p->sig_rekick = false;
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
    p->sig_queued = 0;
    return start_signal_thread(p);
}

int vj_signals_after_fork(struct vj_proc *p)
{
    /* The child of fork: the parent's signal thread and timers stayed with the parent, and
     * the child starts with no signal pending (dispositions, masks and the alternate stack
     * are inherited). */
    vj_timers_after_fork(p);
    pthread_mutex_lock(&p->lock);
    vj_sig_flush(p, &p->shared_pending, ~0ULL);
    for (size_t i = 0; i < p->nthreads; i++) {
        struct vj_thread *t = p->threads[i];
        vj_sig_flush(p, &t->pending, ~0ULL);
        t->need_kick = t->waiting = false;
        vj_sig_recalc(p, t);
    }
    p->sig_queued = 0;
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
    vj_timers_free(p);
    pthread_mutex_lock(&p->lock);
    vj_signalfds_close(p);
    vj_sig_flush(p, &p->shared_pending, ~0ULL);
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&p->sigcond);
}

uint64_t vj_signal_initial_mask(void)
{
    return initial_mask;
}
