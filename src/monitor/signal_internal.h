/* signal_internal.h: what the parts of the signal code share (signal.c, signal_deliver.c,
 * signalfd.c, signal_host.c) and nothing else includes.  Everything here is under p->lock
 * unless said otherwise. */
#ifndef VJ_SIGNAL_INTERNAL_H
#define VJ_SIGNAL_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/proc.h"
#include "monitor/signal.h"

#define STOP_SIGNALS                                                                         \
    (VJ_SIGBIT(SIGSTOP) | VJ_SIGBIT(SIGTSTP) | VJ_SIGBIT(SIGTTIN) | VJ_SIGBIT(SIGTTOU))
#define DEFAULT_IGNORED                                                                      \
    (VJ_SIGBIT(SIGCHLD) | VJ_SIGBIT(SIGURG) | VJ_SIGBIT(SIGWINCH) | VJ_SIGBIT(SIGCONT))

/* ---- queues and threads (signal.c) ---- */

/* Take one pending signal of Q that BLOCKED does not block: synchronous ones (faults) first,
 * then the lowest number.  Returns it with its siginfo, or 0. */
int vj_sig_dequeue(struct vj_proc *p, struct vj_sigpending *q, uint64_t blocked, siginfo_t *info);
/* Drop every queued instance of the signals in MASK from Q. */
void vj_sig_flush(struct vj_proc *p, struct vj_sigpending *q, uint64_t mask);
/* The signals T does not take now (those it waits for in rt_sigtimedwait it takes). */
uint64_t vj_sig_blocked_now(const struct vj_thread *t);
/* T is to stop running the payload: the process ended, or another thread's exec ends T. */
bool vj_sig_stopping(const struct vj_proc *p, const struct vj_thread *t);
/* Set or clear T's flag: a signal it can take is pending, or the process ended. */
void vj_sig_recalc(struct vj_proc *p, struct vj_thread *t);
/* The thread that takes process signal S, or NULL (Linux's complete_signal). */
struct vj_thread *vj_sig_pick(struct vj_proc *p, int s);
/* Process signals in MASK are no longer taken by the thread that was to take them: find
 * others (Linux's retarget_shared_pending). */
void vj_sig_retarget(struct vj_proc *p, uint64_t mask);
/* A handler's frame could not be written: SIGSEGV (Linux's force_sigsegv).  Takes p->lock. */
void vj_sig_force_sigsegv(struct vj_proc *p, struct vj_thread *t, int s);
/* The mask a temporary one replaced comes back (no handler ran).  Takes p->lock. */
void vj_sig_restore_saved_mask(struct vj_thread *t);

/* ---- the signal thread (signal_host.c) ---- */

/* Wake the signal thread (to kick threads again, or to take a noted host signal).
 * Async-signal-safe; any lock. */
void vj_sig_wake_signal_thread(void);

/* ---- signalfds (signalfd.c) ---- */

/* Move the pending signals no thread would take into the signalfds that want them. */
void vj_signalfd_feed(struct vj_proc *p);
/* Close every signalfd's monitor end (the process ended). */
void vj_signalfds_close(struct vj_proc *p);

#endif
