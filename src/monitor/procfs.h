/* procfs.h: the payload's view of /proc/self (and /proc/PID, /proc/thread-self): exe, maps,
 * auxv, cmdline and environ describe the guest program, not the monitor. */
#ifndef VJ_PROCFS_H
#define VJ_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "monitor/proc.h"

/* Remember what /proc/self shows of the program: its path (made absolute), argv and envp. */
int vj_procfs_init(struct vj_proc *p, const char *exe, char *const argv[], char *const envp[]);
void vj_procfs_fini(struct vj_proc *p);
/* Remember that [START, END) maps the file open as host descriptor FD, for maps.  Called
 * under p->mm_lock. */
void vj_procfs_note_file(struct vj_proc *p, uint64_t start, uint64_t end, int fd,
                         uint64_t offset);
/* The file mapped over [start, end) and the file offset of START, or NULL if none is known. */
const char *vj_procfs_file_of(const struct vj_proc *p, uint64_t start, uint64_t end,
                              uint64_t *offset);

/* True if process PID, seen in the /proc open as PROC (or AT_FDCWD: /proc), is one of
 * vmjail's helpers (host/vm.h: a stub, a keeper, a teardown helper), by its name, or before
 * it has its name by its exit signal or its parent (procfs_list.c); a zombie keeps them. */
bool vj_procfs_is_helper(int proc, pid_t pid);

/* kill(-1) and kill(-PGRP) of the payload, to processes other than its own: SIG sent to every
 * process of /proc (the payload's pid namespace, in a sandbox) but this one and vmjail's
 * helpers; with PGRP > 0 those of that process group, else all but pid 1.  *SENT: how many
 * were tried.  As Linux says it: -ESRCH if none; for a group 0 if one took it, else the last
 * error; for all, the last error other than EPERM, else 0. */
int64_t vj_procfs_kill_others(pid_t pgrp, int sig, int *sent);

/* True if process PID is a vmjail monitor (runs the same program as this one). */
bool vj_procfs_is_monitor(pid_t pid);
/* True if PID is this monitor process or one of its threads (the payload's own process). */
bool vj_procfs_is_self(long pid);

/* PATH as the payload means it: its own /proc/self/exe (and /proc/PID/exe, ...) is its
 * program; any other path is returned unchanged. */
const char *vj_procfs_path(struct vj_proc *p, const char *path);

/* Write ARGV over this process's own argv area (as /proc/PID/cmdline shows it), cut to fit
 * and NUL-padded. */
void vj_proctitle_set(char *const argv[]);

#endif
