/* payload_usage.c: the payload's CPU time and resource usage where its code runs in a process of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "host/vm.h"
#include "monitor/payload_usage.h"
#include "monitor/proc.h"

/* Field INDEX (0 = the first) of a line of numbers separated by spaces (a schedstat), or 0. */
uint64_t vj_usage_field(const char *text, int index)
{
    const char *s = text;
    for (int i = 0; i < index; i++) {
        s = strchr(s, ' ');
        if (s == NULL)
            return 0;
        s++;
    }
    return strtoull(s, NULL, 10);
}

/* /proc/PID/stat or /proc/PID/task/TID/stat: the fields after the command name, which may
 * hold spaces and parentheses (so the last ')' ends it).  Fields 10 to 15 of proc(5):
 * minflt, cminflt, majflt, cmajflt, utime, stime (clock ticks).  0, or -1 if TEXT is not one. */
int vj_usage_parse_stat(const char *text, struct vj_usage *u)
{
    const char *s = strrchr(text, ')');
    if (s == NULL || s[1] != ' ')
        return -1;
    s += 2; /* field 3, the state */
    unsigned long long v[16] = {0};
    for (int field = 3; field <= 15; field++) {
        if (field > 3) {
            char *end;
            errno = 0;
            v[field] = strtoull(s, &end, 10);
            if (end == s || errno != 0)
                return -1;
            s = end;
        } else {
            s++; /* the state is one letter */
        }
        if (*s != ' ')
            return -1;
        s++;
    }
    u->minflt = v[10];
    u->majflt = v[12];
    u->utime_ticks = v[14];
    u->stime_ticks = v[15];
    return 0;
}

/* The value of the line "KEY:\tN" of a /proc status file, or 0. */
static uint64_t status_value(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *s = text; s != NULL && *s != '\0';) {
        if (strncmp(s, key, n) == 0 && s[n] == ':')
            return strtoull(s + n + 1, NULL, 10);
        s = strchr(s, '\n');
        if (s != NULL)
            s++;
    }
    return 0;
}

/* /proc/.../status: the peak resident set (VmHWM, kB, a process's only) and the context
 * switches. */
void vj_usage_parse_status(const char *text, struct vj_usage *u)
{
    u->maxrss_kb = status_value(text, "VmHWM");
    u->nvcsw = status_value(text, "voluntary_ctxt_switches");
    u->nivcsw = status_value(text, "nonvoluntary_ctxt_switches");
}

/* The file NAME of /proc's directory of P's stub process (with THREAD: of the calling thread's
 * stub thread), up to SIZE - 1 bytes, NUL-terminated; -1 on failure. */
static int read_small(struct vj_proc *p, bool thread, const char *name, char *buf, size_t size)
{
    int fd;
    if (thread) {
        fd = vj_vcpu_open_task_file(vj_self->vcpu, name);
    } else {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)vj_vm_payload_process(p->vm), name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

pid_t vj_payload_process(const struct vj_proc *p)
{
    return p->vm ? vj_vm_payload_process(p->vm) : 0;
}

int vj_payload_usage(struct vj_proc *p, bool thread, struct vj_usage *u)
{
    pid_t stub = vj_payload_process(p);
    if (stub <= 0)
        return 1;
    if (thread && (vj_self == NULL || vj_self->vcpu == NULL))
        return 1;
    char buf[4096];
    memset(u, 0, sizeof *u);
    if (read_small(p, thread, "stat", buf, sizeof buf) < 0 || vj_usage_parse_stat(buf, u) < 0)
        return -EINVAL;
    /* A task's status has its process's VmHWM: RUSAGE_THREAD's ru_maxrss is the process's in
     * Linux too. */
    if (read_small(p, thread, "status", buf, sizeof buf) == 0)
        vj_usage_parse_status(buf, u);
    return 0;
}

/* Ticks of the host's clock (sysconf(_SC_CLK_TCK)) as a timeval. */
static struct timeval ticks_tv(uint64_t ticks)
{
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    return (struct timeval){.tv_sec = (time_t)(ticks / (uint64_t)hz),
                            .tv_usec = (suseconds_t)(ticks % (uint64_t)hz * 1000000u / (uint64_t)hz)};
}

void vj_usage_to_rusage(const struct vj_usage *u, struct rusage *ru)
{
    memset(ru, 0, sizeof *ru);
    ru->ru_utime = ticks_tv(u->utime_ticks);
    ru->ru_stime = ticks_tv(u->stime_ticks);
    ru->ru_maxrss = (long)u->maxrss_kb;
    ru->ru_minflt = (long)u->minflt;
    ru->ru_majflt = (long)u->majflt;
    ru->ru_nvcsw = (long)u->nvcsw;
    ru->ru_nivcsw = (long)u->nivcsw;
}

int vj_payload_thread_cputime(struct vj_proc *p, struct timespec *ts)
{
    if (vj_payload_process(p) <= 0 || vj_self == NULL || vj_self->vcpu == NULL)
        return 1;
    int fd = vj_vcpu_open_task_file(vj_self->vcpu, "schedstat");
    if (fd < 0)
        return -EINVAL;
    uint64_t ns;
    int r = vj_usage_read_schedstat(fd, 0, &ns);
    close(fd);
    if (r < 0)
        return -EINVAL;
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    return 0;
}

int vj_usage_read_schedstat(int fd, int index, uint64_t *out)
{
    char buf[96];
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    *out = vj_usage_field(buf, index);
    return 0;
}
