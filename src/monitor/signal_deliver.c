/* signal_deliver.c: delivering the payload's signals when a thread is about to resume it, as
 * Linux's get_signal and handle_signal do: default actions (ending or stopping the process),
 * a handler's frame (the architecture's: arch.h), and whether an interrupted syscall returns
 * EINTR or is made again. */
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "lib/error.h"
#include "monitor/proc_life.h"
#include "monitor/signal.h"
#include "monitor/signal_internal.h"

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
        if (vj_sig_stopping(p, t)) {
            pthread_mutex_unlock(&p->lock);
            return -1;
        }
        int s = vj_sig_dequeue(p, &t->pending, t->sigmask, info);
        if (s == 0)
            s = vj_sig_dequeue(p, &p->shared_pending, t->sigmask, info);
        if (s == 0) {
            vj_sig_recalc(p, t);
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
        if (!p->exited) { /* what a core file's NT_SIGINFO and first thread are */
            p->core_info = *info;
            p->core_tid = t->tid;
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
    bool ended = vj_sig_stopping(p, t);
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
            vj_sig_force_sigsegv(p, t, s);
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
        vj_sig_recalc(p, t);
        pthread_mutex_unlock(&p->lock);
        changed = true;
    }
    if (syscall_open) {
        /* No handler ran: the mask sigsuspend replaced comes back, and an interrupted call
         * is made again (Linux restarts every -ERESTART* call then). */
        vj_sig_restore_saved_mask(t);
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
