/* trace.h: --trace output: one strace-style line per syscall, and the payload's end. */
#ifndef VJ_TRACE_H
#define VJ_TRACE_H

#include "monitor/proc.h"

struct vj_syscall_desc; /* monitor/syscall.h */

/* Print "name(args) = result" for the call SC, described by D (NULL if unknown), that
 * returned R. */
void vj_trace_syscall(struct vj_proc *p, const struct vj_syscall *sc,
                      const struct vj_syscall_desc *d, int64_t r);
/* Print a fault ("--- SIGSEGV {...} ---"). */
void vj_trace_fault(struct vj_proc *p, const struct vj_fault *f);
/* Print how the payload ended ("+++ exited with 0 +++"). */
void vj_trace_end(struct vj_proc *p);

#endif
