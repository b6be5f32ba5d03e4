/* proc_life.h: the payload process's life as signals, the fast path, exec and the syscalls
 * see it, without the thread loop: ending the process, a monitor failure, finding a thread,
 * stopping the others for an exec; and the host signal that stops a vCPU thread. */
#ifndef VJ_PROC_LIFE_H
#define VJ_PROC_LIFE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "monitor/proc.h"

/* The host signal that breaks a vCPU thread out of KVM_RUN or a blocking host call (its
 * handler does nothing, without SA_RESTART).  Payload signal masks are the monitor's business
 * and never reach the host, so the payload cannot block it. */
#define VJ_SIG_KICK (SIGRTMAX - 1)

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
/* A live thread of P with host thread id TID, or NULL. */
struct vj_thread *vj_proc_find_thread(struct vj_proc *p, pid_t tid);

#endif
