/* sys_timer.c: the payload's timers: POSIX timers (timer_create and the rest), alarm and the
 * interval timers, all of them the host's, whose signals the signal thread queues for the
 * payload; and its CPU-time clocks, getrusage and times (the payload's own: payload_usage.c). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "host/vm.h"

#include "monitor/payload_usage.h"
#include "monitor/proc_life.h"
#include "monitor/procfs.h"
#include "monitor/signal.h"
#include "monitor/sys.h"

/* ---- timers: the host's, whose signals reach the monitor and are queued ------------------ */

/* Timers live on the host (their clocks are the host's); each host timer signals the monitor
 * with VJ_SIG_TIMER, carrying the payload's timer id, and the signal thread queues the
 * payload's signal (vj_timer_fired). */
struct vj_ptimer {
    bool used;
    int gen;
    int notify; /* SIGEV_NONE, SIGEV_SIGNAL or SIGEV_THREAD_ID */
    int signo;
    pid_t tid;
    union sigval value;
    long host; /* the host's timer id */
};

#define SIGEV_THREAD_ID_ 4

/* The payload's timer ID, or NULL.  Under p->lock. */
static struct vj_ptimer *find_timer(struct vj_proc *p, int id)
{
    return id >= 0 && id < p->ntimers && p->timers[id].used ? &p->timers[id] : NULL;
}

int64_t vj_sys_timer_create(struct vj_proc *p, const uint64_t a[6])
{
    struct ksigevent ev;
    if (a[1]) {
        if (vj_copy_from_guest(p, &ev, a[1], sizeof ev) < 0)
            return -EFAULT;
    } else {
        memset(&ev, 0, sizeof ev);
        ev.notify = SIGEV_SIGNAL;
        ev.signo = SIGALRM;
    }
    if (ev.notify == SIGEV_THREAD)
        ev.notify = SIGEV_SIGNAL; /* as Linux takes it */
    if (ev.notify != SIGEV_NONE && ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_THREAD_ID_)
        return -EINVAL;
    if (ev.notify != SIGEV_NONE && (ev.signo < 1 || ev.signo >= VJ_NSIG))
        return -EINVAL;
    if (ev.notify == SIGEV_THREAD_ID_ && vj_proc_find_thread(p, ev.tid) == NULL)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    int id = 0;
    while (id < p->ntimers && p->timers[id].used)
        id++;
    if (id == p->ntimers) {
        int n = p->ntimers ? 2 * p->ntimers : 8;
        struct vj_ptimer *v = n <= 32768 ? realloc(p->timers, (size_t)n * sizeof *v) : NULL;
        if (v == NULL) {
            pthread_mutex_unlock(&p->lock);
            return -EAGAIN;
        }
        memset(v + p->ntimers, 0, (size_t)(n - p->ntimers) * sizeof *v);
        p->timers = v;
        p->ntimers = n;
    }
    struct vj_ptimer *pt = &p->timers[id];
    pt->gen = (pt->gen + 1) & 0x7fff;
    struct ksigevent host = {.notify = ev.notify == SIGEV_NONE ? SIGEV_NONE : SIGEV_SIGNAL,
                             .signo = VJ_SIG_TIMER};
    host.value.sival_int = id | (pt->gen << 16);
    int host_id = -1;
    long r = syscall(SYS_timer_create, (clockid_t)a[0], &host, &host_id);
    if (r < 0) {
        r = -errno;
        pthread_mutex_unlock(&p->lock);
        return r;
    }
    pt->used = true;
    pt->notify = ev.notify;
    pt->signo = ev.signo;
    pt->tid = ev.tid;
    pt->value = a[1] ? ev.value : (union sigval){.sival_int = id};
    pt->host = host_id;
    pthread_mutex_unlock(&p->lock);
    if (vj_copy_to_guest(p, a[2], &id, sizeof id) < 0) {
        pthread_mutex_lock(&p->lock);
        syscall(SYS_timer_delete, pt->host);
        pt->used = false;
        pthread_mutex_unlock(&p->lock);
        return -EFAULT;
    }
    return 0;
}

/* The host timer id of the payload's timer ID, or -1. */
static long host_timer(struct vj_proc *p, uint64_t id)
{
    pthread_mutex_lock(&p->lock);
    struct vj_ptimer *pt = find_timer(p, (int)id); /* the kernel takes a timer_t, an int */
    long h = pt ? pt->host : -1;
    pthread_mutex_unlock(&p->lock);
    return h;
}

int64_t vj_sys_timer_settime(struct vj_proc *p, const uint64_t a[6])
{
    long h = host_timer(p, a[0]);
    if (h < 0)
        return -EINVAL;
    long r = syscall(SYS_timer_settime, h, (int)a[1], vj_guest_arg(p, a[2], 32),
                     vj_guest_arg(p, a[3], 32));
    return r < 0 ? -errno : r;
}

int64_t vj_sys_timer_gettime(struct vj_proc *p, const uint64_t a[6])
{
    long h = host_timer(p, a[0]);
    if (h < 0)
        return -EINVAL;
    long r = syscall(SYS_timer_gettime, h, vj_guest_arg(p, a[1], 32));
    return r < 0 ? -errno : r;
}

int64_t vj_sys_timer_getoverrun(struct vj_proc *p, const uint64_t a[6])
{
    long h = host_timer(p, a[0]);
    if (h < 0)
        return -EINVAL;
    long r = syscall(SYS_timer_getoverrun, h);
    return r < 0 ? -errno : r;
}

int64_t vj_sys_timer_delete(struct vj_proc *p, const uint64_t a[6])
{
    pthread_mutex_lock(&p->lock);
    struct vj_ptimer *pt = find_timer(p, (int)a[0]);
    if (pt == NULL) {
        pthread_mutex_unlock(&p->lock);
        return -EINVAL;
    }
    syscall(SYS_timer_delete, pt->host);
    pt->used = false;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void vj_timer_fired(struct vj_proc *p, const siginfo_t *host)
{
    int id = host->si_value.sival_int & 0xffff, gen = host->si_value.sival_int >> 16;
    pthread_mutex_lock(&p->lock);
    struct vj_ptimer *pt = find_timer(p, id);
    if (pt && pt->gen == gen && pt->notify != SIGEV_NONE) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        info.si_signo = pt->signo;
        info.si_code = SI_TIMER;
        info.si_timerid = id;
        info.si_overrun = host->si_overrun;
        info.si_value = pt->value;
        struct vj_thread *t = NULL;
        if (pt->notify == SIGEV_THREAD_ID_) {
            for (size_t i = 0; i < p->nthreads && !t; i++)
                if (p->threads[i]->tid == pt->tid && !p->threads[i]->exited)
                    t = p->threads[i];
        }
        if (pt->notify != SIGEV_THREAD_ID_ || t)
            vj_signal_send_locked(p, t, &info);
    }
    pthread_mutex_unlock(&p->lock);
}

void vj_timers_after_fork(struct vj_proc *p)
{
    free(p->timers);
    p->timers = NULL;
    p->ntimers = 0;
}

void vj_timers_free(struct vj_proc *p)
{
    for (int i = 0; i < p->ntimers; i++)
        if (p->timers[i].used)
            syscall(SYS_timer_delete, p->timers[i].host);
    free(p->timers);
    p->timers = NULL;
    p->ntimers = 0;
}

/* ---- alarm and interval timers: the host's process timers ------------------------------- */

/* The host sends their SIGALRM, SIGVTALRM and SIGPROF to the monitor process, whose signal
 * thread queues them for the payload. */
int64_t vj_sys_alarm(struct vj_proc *p, const uint64_t a[6])
{
    (void)p;
    return alarm((unsigned)a[0]);
}

int64_t vj_sys_setitimer(struct vj_proc *p, const uint64_t a[6])
{
    long r = syscall(SYS_setitimer, a[0], vj_guest_arg(p, a[1], 32), vj_guest_arg(p, a[2], 32));
    return r < 0 ? -errno : r;
}

int64_t vj_sys_getitimer(struct vj_proc *p, const uint64_t a[6])
{
    long r = syscall(SYS_getitimer, a[0], vj_guest_arg(p, a[1], 32));
    return r < 0 ? -errno : r;
}

/* ---- CPU-time clocks ------------------------------------------------------------------- */

/* Where the payload's code runs in a process of its own (the process platform's stub), its
 * CPU-time clocks are that process's and its threads': the monitor's own would answer for the
 * monitor (Python's time.process_time() read 0.0002 s for 0.14 s of work).  The process clock
 * (CLOCK_PROCESS_CPUTIME_ID, or the payload's own pid's clock from clock_getcpuclockid) becomes
 * the stub process's clock; the calling thread's (CLOCK_THREAD_CPUTIME_ID, or its own tid's)
 * is read from its stub thread's schedstat.  On KVM the monitor's vCPU threads run the payload:
 * the host's answer is the payload's.  Returns 1 where the host call answers as it is. */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_SCHED 2
static int payload_cpu_clock(struct vj_proc *p, clockid_t id, struct timespec *ts)
{
    pid_t stub = vj_payload_process(p);
    if (stub <= 0)
        return 1;
    bool thread;
    if (id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID) {
        thread = id == CLOCK_THREAD_CPUTIME_ID;
    } else if (id < 0 && (id & 3) == CPUCLOCK_SCHED) {
        pid_t who = (pid_t)~(id >> 3);
        thread = (id & CPUCLOCK_PERTHREAD) != 0;
        if (thread ? (who != 0 && (vj_self == NULL || who != vj_self->tid))
                   : (who != 0 && !vj_procfs_is_self(who)))
            return 1; /* another process's or thread's clock: the host's answer */
    } else {
        return 1;
    }
    if (!thread) {
        clockid_t host = (clockid_t)((~(unsigned)stub) << 3) | CPUCLOCK_SCHED;
        return clock_gettime(host, ts) < 0 ? -errno : 0;
    }
    return vj_payload_thread_cputime(p, ts);
}

int64_t vj_sys_clock_gettime(struct vj_proc *p, const uint64_t a[6])
{
    struct timespec ts;
    int r = payload_cpu_clock(p, (clockid_t)a[0], &ts);
    if (r < 0)
        return r;
    if (r == 0)
        return vj_copy_to_guest(p, a[1], &ts, sizeof ts) < 0 ? -EFAULT : 0;
    return vj_syscall_pass(p, SYS_clock_gettime, vj_syscall_lookup(SYS_clock_gettime), a);
}

/* getrusage(): RUSAGE_SELF and RUSAGE_THREAD of a payload whose code runs in a process of its
 * own are that process's and its thread's (times, faults, context switches, peak RSS as /proc
 * gives them, in clock ticks); RUSAGE_CHILDREN is the host's (the children's monitors). */
int64_t vj_sys_getrusage(struct vj_proc *p, const uint64_t a[6])
{
    int who = (int)a[0];
    if (who == RUSAGE_SELF || who == RUSAGE_THREAD) {
        struct vj_usage u;
        int r = vj_payload_usage(p, who == RUSAGE_THREAD, &u);
        if (r < 0)
            return r;
        if (r == 0) {
            struct rusage ru;
            vj_usage_to_rusage(&u, &ru);
            return vj_copy_to_guest(p, a[1], &ru, sizeof ru) < 0 ? -EFAULT : 0;
        }
    }
    return vj_syscall_pass(p, SYS_getrusage, vj_syscall_lookup(SYS_getrusage), a);
}

/* times(): the process's own times as getrusage's; the children's and the return value (ticks
 * since boot) the host's. */
int64_t vj_sys_times(struct vj_proc *p, const uint64_t a[6])
{
    struct tms t;
    clock_t now = times(&t);
    if (now == (clock_t)-1)
        return -errno;
    struct vj_usage u;
    int r = vj_payload_usage(p, false, &u);
    if (r < 0)
        return r;
    if (r == 0) {
        t.tms_utime = (clock_t)u.utime_ticks;
        t.tms_stime = (clock_t)u.stime_ticks;
    }
    if (a[0] != 0 && vj_copy_to_guest(p, a[0], &t, sizeof t) < 0)
        return -EFAULT;
    return (int64_t)now;
}
