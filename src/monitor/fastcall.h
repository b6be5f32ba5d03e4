/* fastcall.h: the fast syscall path: syscalls a payload thread makes from patched sites are
 * posted in its vCPU's slot in the low window and served by a monitor thread (its poller)
 * while the vCPU spins, with no VM exit.  The exit path stays the fallback for every call
 * the poller does not serve, for idle threads, and for the delivery of signals. */
#ifndef VJ_FASTCALL_H
#define VJ_FASTCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/proc.h"

struct vj_fast_thread;

/* Turn the fast path on for P if MODE (VMJAIL_SYSCALL_PATH_*) and the host allow it; maps the
 * low window.  Returns true if it is on. */
bool vj_fast_init(struct vj_proc *p, int mode);

/* The call the payload thread T made through the exit path (STOP is its stop) just completed:
 * learn from it (patch its site), and wake T's poller if T is making calls often enough. */
void vj_fast_after_syscall(struct vj_thread *t, const struct vj_stop *stop);

/* T stopped at the VJ_NR_FAST_WAIT syscall: wait for the answer to the call it posted (serving
 * it here if the poller left it), make SC that call (for restarts and tracing), and return its
 * result.  -ENOSYS, SC unchanged, if T has no call in flight. */
int64_t vj_fast_wait(struct vj_thread *t, struct vj_syscall *sc);

/* T was stopped (vj_vcpu_interrupt) with its vCPU inside the fast-call code: move it out, as
 * if it had stopped just before its syscall instruction or just after the call.  Returns true
 * and fills STOP (a syscall stop) and *R if a posted call completed: the caller treats it as a
 * syscall that returned *R.  Returns false otherwise (the vCPU is set to make its call at
 * the site, or to return from it).  Fails (-1) only if the vCPU state cannot be set. */
int vj_fast_settle(struct vj_thread *t, struct vj_stop *stop, int64_t *r);

/* A second vCPU is about to run payload code in P: where the vCPUs share slot 0, no call is
 * posted from now on (every patched site makes its call through the exit path). */
void vj_fast_before_thread(struct vj_proc *p);
/* T ends: stop its poller. */
void vj_fast_thread_end(struct vj_thread *t);
/* The new program replaces the old (exec): patched sites are gone with it. */
void vj_fast_after_exec(struct vj_proc *p);
/* The payload sets its GS base: where the fast-call code found its slot there, it posts no
 * more calls (until an exec). */
void vj_fast_gs_taken(struct vj_proc *p);
/* In a fork's child: the parent's pollers are not here; T is the only thread. */
void vj_fast_after_fork(struct vj_proc *p, struct vj_thread *t);
/* In a fork's child: T (not the forking thread) is not here; its poller's record goes. */
void vj_fast_forget(struct vj_thread *t);

/* Does another thread want a core of the payload's: over WALL_NS its spinning poller ran
 * CPU_NS and was preempted PREEMPTED times, its thread waited WAITED_NS for a CPU?  (The
 * poller then steps aside.) */
bool vj_fast_contended(uint64_t wall_ns, uint64_t cpu_ns, long preempted, uint64_t waited_ns);

#endif
