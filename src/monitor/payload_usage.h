/* payload_usage.h: the payload's CPU time and resource usage where its code runs in a process of its own. */
#ifndef VJ_MONITOR_PAYLOAD_USAGE_H
#define VJ_MONITOR_PAYLOAD_USAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

struct vj_proc;

/* What /proc says of a host process or thread (pure parsers below fill it). */
struct vj_usage {
    uint64_t utime_ticks, stime_ticks; /* clock ticks (sysconf(_SC_CLK_TCK)) */
    uint64_t minflt, majflt;
    uint64_t maxrss_kb; /* VmHWM: a process's only */
    uint64_t nvcsw, nivcsw;
};

/* Pure, for the unit tests: field INDEX of a schedstat line; /proc stat and status text. */
uint64_t vj_usage_field(const char *text, int index);
int vj_usage_parse_stat(const char *text, struct vj_usage *u);
void vj_usage_parse_status(const char *text, struct vj_usage *u);
void vj_usage_to_rusage(const struct vj_usage *u, struct rusage *ru);

/* Field INDEX of the schedstat open at FD (ns), read from its start; -1 if unreadable. */
int vj_usage_read_schedstat(int fd, int index, uint64_t *out);

/* The process P's payload runs in where it has one of its own (the process platform's stub),
 * else 0. */
pid_t vj_payload_process(const struct vj_proc *p);
/* Where P's payload runs in a process of its own (the process platform's stub), its usage, or
 * with THREAD the calling thread's (its stub thread's): 0, or -errno.  1 where the monitor's
 * own answer is the payload's (KVM: the vCPU threads run the payload's code). */
int vj_payload_usage(struct vj_proc *p, bool thread, struct vj_usage *u);
/* The same for the calling thread's CPU time (its stub thread's schedstat, in ns). */
int vj_payload_thread_cputime(struct vj_proc *p, struct timespec *ts);

#endif
