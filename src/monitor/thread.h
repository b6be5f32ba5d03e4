/* thread.h: payload threads and the end of the payload process: the per-thread run loop,
 * clone, thread exit, and ending every thread at once. */
#ifndef VJ_THREAD_H
#define VJ_THREAD_H

#include <signal.h>
#include <stdbool.h>

#include "monitor/proc.h"

/* The host signal that breaks a vCPU thread out of KVM_RUN or a blocking host call (its
 * handler does nothing, without SA_RESTART).  Payload signal masks are the monitor's business
 * and never reach the host, so the payload cannot block it. */
#define VJ_SIG_KICK (SIGRTMAX - 1)

/* Install (and later restore) the handler of the host signal that stops vCPU threads, and
 * take over the host signals meant for the payload (signal.h). */
void vj_threads_init_signals(struct sigaction *old);
void vj_threads_restore_signals(const struct sigaction *old);

/* The first thread, run by the calling host thread on VCPU. */
struct vj_thread *vj_thread_first(struct vj_proc *p, struct vj_vcpu *vcpu);
/* Drive thread T (on the calling host thread) until it or the process ends. */
void vj_thread_loop(struct vj_thread *t);
/* The payload thread T called exit: clear its tid as CLONE_CHILD_CLEARTID asks; the last
 * thread to exit ends the process with STATUS. */
void vj_thread_exit(struct vj_thread *t, int status);
/* A live thread of P with host thread id TID, or NULL. */
struct vj_thread *vj_proc_find_thread(struct vj_proc *p, pid_t tid);

/* End the process (exit_group, a fatal signal): the first end recorded wins; every other
 * thread is stopped. */
void vj_proc_end(struct vj_proc *p, bool signaled, int code);
/* The same with p->lock held. */
void vj_proc_end_locked(struct vj_proc *p, bool signaled, int code);
/* A monitor failure in a payload thread: the process ends with ERR. */
void vj_proc_fail(struct vj_proc *p, vmjail_error *err);
bool vj_proc_ended(struct vj_proc *p);
/* For an exec: stop every other payload thread (their vCPUs go idle) and wait until they have
 * stopped, as Linux's exec kills the other threads.  Returns -1 if this thread is to stop
 * instead (the process ended, or another thread's exec got there first). */
int vj_proc_kill_others(struct vj_proc *p);
/* Wait until the process has ended and every thread has stopped; free the threads.  In a
 * forked payload process of one thread that ended without a monitor failure, end the host
 * process instead (vj_proc_exit_host): this then does not return. */
void vj_proc_join_threads(struct vj_proc *p);

#endif
