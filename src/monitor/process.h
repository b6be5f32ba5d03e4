/* process.h: new payload processes (fork, vfork, clone without CLONE_VM), each a forked
 * monitor with a VM of its own, and how such a process ends. */
#ifndef VJ_PROCESS_H
#define VJ_PROCESS_H

#include <stdint.h>

#include "monitor/proc.h"

/* Fork the payload process at the calling thread's syscall.  Returns the child's pid in the
 * parent and 0 in the child (which runs on a new VM), or a negative errno.  FLAGS are
 * clone's; vfork is served as fork. */
int64_t vj_proc_fork(struct vj_proc *p, uint64_t flags, uint64_t newsp, uint64_t parent_tid,
                     uint64_t child_tid, uint64_t tls);
/* In a forked payload process whose payload has ended: end the host process the same way
 * (exit status, or death by the same signal).  Does not return. */
void vj_proc_exit_host(struct vj_proc *p) __attribute__((noreturn));

#endif
