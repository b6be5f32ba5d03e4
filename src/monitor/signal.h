/* signal.h: the payload's signals as Linux keeps them: dispositions, per-thread masks, signals
 * pending per thread and per process (signal.c), and their delivery to handlers or their
 * default action whenever a payload thread is about to resume the payload (signal_deliver.c).
 * Signals from outside the payload (kill from another process, timers) arrive as host signals
 * that one monitor thread waits for and queues (signal_host.c, signal_tty.c).  The frame a
 * handler runs on is the architecture's (arch.h); signalfds are signalfd.c's, timers
 * sys_timer.c's. */
#ifndef VJ_SIGNAL_H
#define VJ_SIGNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/proc.h"

/* The kernel's flag values (the C library headers may not define them). */
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

#define VJ_SIGBIT(s) (1ULL << ((s) - 1))
#define VJ_UNBLOCKABLE (VJ_SIGBIT(SIGKILL) | VJ_SIGBIT(SIGSTOP))

/* Linux's internal "restart the call" results.  A handler of an emulated call returns
 * -VJ_ERESTARTNOHAND to say: interrupted by a signal, restart unless a handler runs (then
 * -EINTR). */
#define VJ_ERESTARTSYS 512
#define VJ_ERESTARTNOHAND 514

/* The kernel's struct sigaction on x86-64 (p->sigact holds these). */
struct vj_ksigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};
#define VJ_SIG_DFL 0
#define VJ_SIG_IGN 1

static inline struct vj_ksigaction *vj_sigaction(struct vj_proc *p, int signo)
{
    _Static_assert(sizeof(struct sigaction) >= sizeof(struct vj_ksigaction), "room for it");
    return (struct vj_ksigaction *)(void *)&p->sigact[signo];
}

/* ---- the monitor's host signals (thread.c calls these) ---- */

/* Block the catchable host signals in the calling thread (threads it creates inherit that):
 * the monitor's signal thread takes them and queues them for the payload.  Restore puts the
 * mask and dispositions back.  The host process's state: one payload process per monitor
 * process (signal_host.c). */
void vj_host_signals_init(void);
void vj_host_signals_restore(void);
/* Note host signal S for the signal thread, which queues it for the payload (as SI_USER).
 * Async-signal-safe. */
void vj_host_signal_async(int s);
/* SIGTTIN and SIGTTOU (signal_tty.c): remember the dispositions vmjail started with (returns
 * those ignored) and put them back at the end; mirror the payload's action for S (handler:
 * VJ_SIG_DFL, VJ_SIG_IGN or a handler) in the host's; around each payload syscall, apply
 * T's mask for them to the host thread and queue those the terminal sent during the call. */
uint64_t vj_tty_signals_init(void);
void vj_tty_signals_restore(void);
void vj_tty_signal_action(int s, uint64_t handler);
void vj_tty_call_begin(const struct vj_thread *t);
void vj_tty_call_end(struct vj_proc *p);
/* The payload set SIGCHLD's action: ignored (the host then reaps children itself), or with
 * FLAGS' SA_NOCLDWAIT and SA_NOCLDSTOP. */
void vj_host_sigchld(bool ignore, int flags);
/* The mask the payload starts with: the one vmjail was started with, as exec keeps it. */
uint64_t vj_signal_initial_mask(void);
/* Start and stop P's signal thread (between the first payload thread and the end). */
int vj_signals_start(struct vj_proc *p);
void vj_signals_stop(struct vj_proc *p);
/* In the child of a fork (one thread): no signal pending, no timers, a signal thread of its
 * own.  Returns 0 or a negative errno. */
int vj_signals_after_fork(struct vj_proc *p);
/* A new thread's signal state: the mask it inherits, no alternate stack. */
void vj_signal_thread_init(struct vj_thread *t, uint64_t mask);
/* Make thread T look at its signals (and at the end of the process) before it resumes the
 * payload: flag it, break it out of KVM_RUN or a blocking host call, and kick it again until
 * it has looked, so that a kick that lands just before a blocking call is not lost.  Under
 * p->lock. */
void vj_signal_wake_locked(struct vj_proc *p, struct vj_thread *t);
/* Find threads for the pending process signals (a thread ended or started).  Under
 * p->lock. */
void vj_signal_retarget_locked(struct vj_proc *p);
/* Free what is still queued for T. */
void vj_signal_thread_free(struct vj_thread *t);

/* ---- generating signals ---- */

/* Send INFO (si_signo set) to thread T, or to the process if T is NULL, as Linux's
 * send_signal does: ignored signals are dropped, SIGKILL ends the process, a thread that can
 * take it is woken.  Returns 0 or -EAGAIN (the queue of real-time signals is full). */
int vj_signal_send(struct vj_proc *p, struct vj_thread *t, const siginfo_t *info);
/* The same with p->lock held (SIGKILL is queued, not acted on). */
int vj_signal_send_locked(struct vj_proc *p, struct vj_thread *t, const siginfo_t *info);
/* Drop every pending instance of S (its disposition became "ignore").  Under p->lock. */
void vj_signal_discard_locked(struct vj_proc *p, int s);
/* A signal the kernel sends a thread on its own behalf (SIGPIPE after EPIPE): SI_USER from
 * the process itself. */
void vj_signal_raise(struct vj_proc *p, struct vj_thread *t, int signo);
/* A memory fault of T the host reported without its address (F->addr_unknown), or without
 * whether the page is mapped (F->code_unknown): find the address and si_code Linux would
 * report. */
void vj_signal_resolve_fault(struct vj_thread *t, struct vj_fault *f);
/* The payload thread T faulted: force the fault's signal on it as Linux's force_sig does (a
 * blocked or ignored signal is unblocked and takes its default action). */
void vj_signal_fault(struct vj_thread *t, const struct vj_fault *f);

/* ---- masks and waiting ---- */

/* Set T's mask (SIGKILL and SIGSTOP are never blocked) and note what became deliverable. */
void vj_signal_set_mask(struct vj_thread *t, uint64_t mask);
uint64_t vj_signal_get_mask(struct vj_thread *t);
/* Replace T's mask with MASK until a handler runs or the current call returns (sigsuspend,
 * ppoll): the old mask is what the handler's frame saves. */
void vj_signal_set_temporary_mask(struct vj_thread *t, uint64_t mask);
/* ppoll, pselect6, epoll_pwait: use the call's mask (guest address GVA, SIZE bytes; none if
 * GVA is 0) while it waits, as Linux's set_user_sigmask does.  Returns 0, -EINVAL or -EFAULT,
 * or -VJ_ERESTARTNOHAND if a signal the mask lets through is already pending (the call must
 * not wait).  The host call itself then runs without a mask. */
int64_t vj_signal_call_mask_begin(struct vj_thread *t, uint64_t gva, uint64_t size);
/* The call returned R: the old mask comes back now, or after the handler of the signal that
 * interrupted it (R EINTR, which becomes -VJ_ERESTARTNOHAND).  Returns the result. */
int64_t vj_signal_call_mask_end(struct vj_thread *t, int64_t r);
/* Signals pending for T (thread and process), blocked or not. */
uint64_t vj_signal_pending(struct vj_thread *t);
/* Block until a signal T does not block is pending or the process ends (pause, sigsuspend). */
void vj_signal_wait_deliverable(struct vj_thread *t);
/* rt_sigtimedwait: take a pending signal of SET, waiting up to TIMEOUT (NULL: forever).
 * Returns the signal number with *INFO filled, -EAGAIN on timeout, -EINTR if another signal
 * came. */
int vj_signal_wait_set(struct vj_thread *t, uint64_t set, const struct timespec *timeout,
                       siginfo_t *info);

/* ---- delivery (the run loop) ---- */

/* Does T need to look at its signals before it resumes the payload?  One relaxed atomic load:
 * the syscall path calls it on every exit. */
static inline bool vj_signal_check(struct vj_thread *t)
{
    return __atomic_load_n(&t->sigflag, __ATOMIC_ACQUIRE) != 0;
}
/* T stopped as STOP says (for a syscall: R is what it returned): deliver what is pending,
 * restart or complete the syscall, and leave the vCPU ready to resume.  Returns -1 if T must
 * stop running (the process ended). */
int vj_signal_deliver(struct vj_thread *t, const struct vj_stop *stop, int64_t r);

/* ---- signalfd ---- */

/* signalfd4: a new signalfd for MASK (FD -1; FLAGS O_CLOEXEC, O_NONBLOCK) or a new mask for
 * the signalfd FD.  Returns the descriptor or a negative errno. */
int vj_signalfd(struct vj_proc *p, int fd, uint64_t mask, int flags);

/* ---- timers (sys_timer.c) ---- */

/* The host signal the payload's timers (host POSIX timers) send the monitor. */
#define VJ_SIG_TIMER SIGRTMAX
/* The signal thread got VJ_SIG_TIMER from a host timer: queue the payload's signal. */
void vj_timer_fired(struct vj_proc *p, const siginfo_t *host);
/* Delete every timer of P (the process ended, or exec). */
void vj_timers_free(struct vj_proc *p);
/* Forget P's timers without deleting them: they are the parent's (the child of a fork). */
void vj_timers_after_fork(struct vj_proc *p);

/* ---- message queue notifications (sys_ipc.c) ---- */

/* The signal thread got VJ_SIG_TIMER with si_code SI_MESGQ: a message queue notification the
 * payload asked with SIGEV_SIGNAL (the host's, sent with VJ_SIG_TIMER): queue its signal. */
void vj_mq_fired(struct vj_proc *p, const siginfo_t *host);

/* ---- the alternate signal stack ---- */

static inline bool vj_on_altstack(const struct vj_thread *t, uint64_t sp)
{
    return sp > t->ss_sp && sp - t->ss_sp <= t->ss_size;
}
/* Linux's on_sig_stack: never true for an SS_AUTODISARM stack. */
static inline bool vj_altstack_active(const struct vj_thread *t, uint64_t sp)
{
    return !(t->ss_flags & SS_AUTODISARM) && vj_on_altstack(t, sp);
}
/* What sigaltstack reports for stack pointer SP: SS_DISABLE, SS_ONSTACK or 0. */
static inline int vj_altstack_flags(const struct vj_thread *t, uint64_t sp)
{
    if (t->ss_size == 0)
        return SS_DISABLE;
    return vj_altstack_active(t, sp) ? SS_ONSTACK : 0;
}
/* sigaltstack(SS, OLD) at stack pointer SP: Linux's do_sigaltstack. */
int vj_sigaltstack(struct vj_thread *t, const stack_t *ss, stack_t *old, uint64_t sp);

#endif
