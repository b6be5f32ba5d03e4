/* thread.h: payload threads: the first one, the per-thread run loop, clone (sys.h), thread
 * exit, and joining them all at the end (ending the process: proc_life.h). */
#ifndef VJ_THREAD_H
#define VJ_THREAD_H

#include <signal.h>
#include <stdbool.h>

#include "monitor/proc.h"
#include "monitor/proc_life.h"

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

/* Wait until the process has ended and every thread has stopped; free the threads.  In a
 * forked payload process of one thread that ended without a monitor failure, end the host
 * process instead (vj_proc_exit_host): this then does not return. */
void vj_proc_join_threads(struct vj_proc *p);

#endif
