/* coredump.h: the payload's core file when a core-dumping signal ends it (coredump.c), and the
 * mark by which a parent payload's wait learns that a forked payload process dumped core. */
#ifndef VJ_COREDUMP_H
#define VJ_COREDUMP_H

#include <stdbool.h>
#include <sys/types.h>

#include "monitor/proc.h"

/* On a payload thread's host thread, as its run loop ends: if the process ended by a
 * core-dumping signal, keep the thread's registers and FPU state for the core. */
void vj_core_capture(struct vj_thread *t);
/* Every thread stopped: write the core file if the process ended by a core-dumping signal and
 * RLIMIT_CORE allows (one line on stderr if it cannot be written); sets p->core_dumped.
 * Frees what vj_core_capture kept. */
void vj_core_dump(struct vj_proc *p);
/* Before the first fork: the marks shared with every forked monitor. */
void vj_core_marks_init(void);
/* True if forked payload process PID dumped core; the mark is removed unless KEEP. */
bool vj_core_take_mark(pid_t pid, bool keep);

#endif
