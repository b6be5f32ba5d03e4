/* sys_limits.c: the payload's RLIMIT_NOFILE, kept and enforced by the monitor, whose own descriptors it must not bind. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/procfs.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"

/* The payload's descriptors are the monitor's own table, so a limit passed through to the host
 * would bind the monitor too: a payload that lowered RLIMIT_NOFILE below the descriptors it
 * holds could no longer run a program (exec needs the monitor's descriptors for the new VM).
 * So the monitor keeps the payload's limit (p->nofile, from the host's at the start), runs
 * itself at its hard limit, and refuses what the payload's limit would refuse: a new
 * descriptor at or above it (EMFILE), dup2/dup3 to one (EBADF), F_DUPFD from one (EINVAL). */

void vj_limits_init(struct vj_proc *p, struct rlimit *saved)
{
    if (getrlimit(RLIMIT_NOFILE, &p->nofile) < 0)
        p->nofile = (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
    *saved = p->nofile;
    p->nofile_kept = true;
    struct rlimit raised = {p->nofile.rlim_max, p->nofile.rlim_max};
    if (raised.rlim_cur != p->nofile.rlim_cur)
        setrlimit(RLIMIT_NOFILE, &raised);
}

bool vj_nofile_allows(const struct vj_proc *p, int64_t fd)
{
    return fd < 0 || !p->nofile_kept || p->nofile.rlim_cur == RLIM_INFINITY ||
           (uint64_t)fd < p->nofile.rlim_cur;
}

/* Does the monitor hold CAP_SYS_RESOURCE (in effect), which lets a hard limit be raised? */
static bool may_raise(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2] = {{0}};
    if (syscall(SYS_capget, &h, d) < 0)
        return false;
    return (d[CAP_SYS_RESOURCE / 32].effective >> (CAP_SYS_RESOURCE % 32)) & 1;
}

/* The nr_open ceiling (fs.nr_open) no limit may pass. */
static uint64_t nr_open(void)
{
    unsigned long long v = 1048576;
    FILE *f = fopen("/proc/sys/fs/nr_open", "re");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 1048576;
        fclose(f);
    }
    return v;
}

/* Set the payload's limit to NEW as Linux's do_prlimit checks it. */
static int64_t set_nofile(struct vj_proc *p, const struct rlimit *new)
{
    if (new->rlim_cur > new->rlim_max)
        return -EINVAL;
    if (new->rlim_max > nr_open())
        return -EPERM;
    if (new->rlim_max > p->nofile.rlim_max) {
        if (!may_raise())
            return -EPERM;
        /* The monitor's own hard limit follows (it runs at it). */
        struct rlimit host = {new->rlim_max, new->rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &host) < 0)
            return -errno;
    }
    p->nofile = *new;
    return 0;
}

/* prlimit64(pid, resource, new, old): RLIMIT_NOFILE of the payload itself is the monitor's
 * record; anything else (another resource, another process) is the host's. */
int64_t vj_sys_prlimit64(struct vj_proc *p, const uint64_t a[6])
{
    pid_t pid = (pid_t)a[0];
    if ((int)a[1] != RLIMIT_NOFILE || !p->nofile_kept || (pid != 0 && !vj_procfs_is_self(pid)))
        return vj_syscall_pass(p, SYS_prlimit64, vj_syscall_lookup(SYS_prlimit64), a);
    struct rlimit new, old = p->nofile;
    if (a[2] != 0 && vj_copy_from_guest(p, &new, a[2], sizeof new) < 0)
        return -EFAULT;
    if (a[3] != 0 && !vj_guest_range_ok(p, a[3], sizeof old))
        return -EFAULT;
    if (a[2] != 0) {
        int64_t r = set_nofile(p, &new);
        if (r < 0)
            return r;
    }
    if (a[3] != 0 && vj_copy_to_guest(p, a[3], &old, sizeof old) < 0)
        return -EFAULT;
    return 0;
}

int64_t vj_sys_getrlimit(struct vj_proc *p, const uint64_t a[6])
{
    const uint64_t pa[6] = {0, a[0], 0, a[1], 0, 0};
    return vj_sys_prlimit64(p, pa);
}

int64_t vj_sys_setrlimit(struct vj_proc *p, const uint64_t a[6])
{
    const uint64_t pa[6] = {0, a[0], a[1], 0, 0, 0};
    return vj_sys_prlimit64(p, pa);
}

/* dup2 and dup3 to a descriptor at or above the payload's limit: EBADF, as Linux answers. */
int64_t vj_sys_dup2(struct vj_proc *p, const uint64_t a[6])
{
    if ((int)a[1] >= 0 && !vj_nofile_allows(p, (int)a[1]))
        return -EBADF;
    return vj_syscall_pass(p, SYS_dup2, vj_syscall_lookup(SYS_dup2), a);
}

int64_t vj_sys_dup3(struct vj_proc *p, const uint64_t a[6])
{
    if ((int)a[1] >= 0 && !vj_nofile_allows(p, (int)a[1]))
        return -EBADF;
    return vj_syscall_pass(p, SYS_dup3, vj_syscall_lookup(SYS_dup3), a);
}

/* pipe, pipe2, socketpair: both new descriptors under the limit, or neither (EMFILE). */
static int64_t pair_within(struct vj_proc *p, uint64_t gva, int64_t r)
{
    int fds[2];
    if (r < 0 || vj_copy_from_guest(p, fds, gva, sizeof fds) < 0)
        return r;
    if (vj_nofile_allows(p, fds[0]) && vj_nofile_allows(p, fds[1]))
        return r;
    /* Another thread may have written other numbers there since: never close the monitor's. */
    for (int i = 0; i < 2; i++)
        if (!vj_monitor_fd(p, fds[i]))
            close(fds[i]);
    return -EMFILE;
}

int64_t vj_sys_pipe2(struct vj_proc *p, const uint64_t a[6])
{
    const uint64_t pa[6] = {a[0], a[1], 0, 0, 0, 0};
    return pair_within(p, a[0], vj_syscall_pass(p, SYS_pipe2, vj_syscall_lookup(SYS_pipe2), pa));
}

int64_t vj_sys_pipe(struct vj_proc *p, const uint64_t a[6])
{
    return pair_within(p, a[0], vj_syscall_pass(p, SYS_pipe, vj_syscall_lookup(SYS_pipe), a));
}

int64_t vj_sys_socketpair(struct vj_proc *p, const uint64_t a[6])
{
    int64_t r = vj_syscall_pass(p, SYS_socketpair, vj_syscall_lookup(SYS_socketpair), a);
    return pair_within(p, a[3], r);
}

/* One line of /proc/PID/limits for LIMIT, in the kernel's format (fs/proc/base.c). */
static void limits_line(FILE *f, const char *name, const struct rlimit *l, const char *unit)
{
    if (l->rlim_cur == RLIM_INFINITY)
        fprintf(f, "%-25s %-20s ", name, "unlimited");
    else
        fprintf(f, "%-25s %-20llu ", name, (unsigned long long)l->rlim_cur);
    if (l->rlim_max == RLIM_INFINITY)
        fprintf(f, "%-20s ", "unlimited");
    else
        fprintf(f, "%-20llu ", (unsigned long long)l->rlim_max);
    fprintf(f, "%-10s\n", unit);
}

int vj_limits_text(const char *host, const struct rlimit *nofile, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    if (f == NULL)
        return -ENOMEM;
    for (const char *s = host; *s != '\0';) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        if (strncmp(s, "Max open files ", 15) == 0)
            limits_line(f, "Max open files", nofile, "files");
        else
            fwrite(s, 1, n, f);
        s += n;
    }
    if (fclose(f) != 0)
        return -ENOMEM;
    return 0;
}

int vj_limits_proc_text(const struct vj_proc *p, char **out, size_t *len)
{
    char host[4096];
    FILE *f = fopen("/proc/self/limits", "re");
    if (f == NULL)
        return -errno;
    size_t n = fread(host, 1, sizeof host - 1, f);
    fclose(f);
    host[n] = '\0';
    struct rlimit nofile = p->nofile;
    if (!p->nofile_kept)
        getrlimit(RLIMIT_NOFILE, &nofile);
    return vj_limits_text(host, &nofile, out, len);
}
