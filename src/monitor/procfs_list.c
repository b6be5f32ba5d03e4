/* procfs_list.c: the /proc directory as the payload lists it: vmjail's helper processes (the
 * process platform's stub and keeper beside each payload process, in its pid namespace; the
 * teardown helpers, briefly) left out, so that ps, top and `ls /proc` show the payload's
 * processes as Linux would.  They stay reachable by number.  Known by name (host/vm.h), and
 * before they have it: a keeper or teardown helper by its exit signal (none, while its parent
 * lives; every payload process the monitor starts has SIGCHLD, whatever the payload asked
 * for), a stub (whose exec gave it SIGCHLD) by its parent, a keeper. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>

#include "host/vm.h"
#include "monitor/procfs.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"

/* struct linux_dirent64's fixed part: d_ino, d_off, d_reclen, d_type, then the name. */
#define DIRENT_NAME 19
#define DIRENT_RECLEN 16

static bool is_proc_root(int fd)
{
    struct statfs sf;
    struct stat st;
    return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC && fstat(fd, &st) == 0 &&
           st.st_ino == 1 /* procfs's root */;
}

/* What the listing needs of a process, from its stat file. */
struct proc_stat {
    char comm[16];
    long ppid, pgrp, exit_signal;
};

/* Of process PID in the /proc open as PROC (or AT_FDCWD: /proc), from its stat file ("PID
 * (COMM) STATE PPID PGRP ...": the name is what lies between the first '(' and the last ')',
 * since a name may hold either; the exit signal is the 38th field).  False if it is gone or
 * not as expected. */
static bool read_stat(int proc, pid_t pid, struct proc_stat *ps)
{
    char path[40], stat[1024];
    snprintf(path, sizeof path, proc == AT_FDCWD ? "/proc/%d/stat" : "%d/stat", (int)pid);
    int fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n <= 0)
        return false;
    stat[n] = '\0';
    char *name = strchr(stat, '('), *end = strrchr(stat, ')');
    if (name == NULL || end == NULL || end < name || end - name - 1 > 15)
        return false;
    memcpy(ps->comm, name + 1, (size_t)(end - name - 1));
    ps->comm[end - name - 1] = '\0';
    const char *f = end + 1; /* the space before field 3 */
    for (int field = 3; field <= 37 && f != NULL; field++) {
        f = strchr(f + 1, ' '); /* the space before field + 1 */
        if (f && field == 3)
            ps->ppid = strtol(f + 1, NULL, 10);
        else if (f && field == 4)
            ps->pgrp = strtol(f + 1, NULL, 10);
        else if (f && field == 37)
            ps->exit_signal = strtol(f + 1, NULL, 10);
    }
    return f != NULL;
}

static bool is_helper_name(const char *comm)
{
    return strcmp(comm, VJ_VM_HELPER_NAME) == 0 || strcmp(comm, VJ_VM_KEEPER_NAME) == 0 ||
           strcmp(comm, VJ_VM_TEARDOWN_NAME) == 0;
}

/* Is the process PS describes (in the /proc open as PROC) one of vmjail's helpers? */
static bool is_helper_stat(int proc, const struct proc_stat *ps)
{
    if (is_helper_name(ps->comm) || ps->exit_signal == 0)
        return true;
    /* A stub between its exec and naming itself: its parent is its keeper, which has its
     * name before it starts the stub. */
    struct proc_stat parent;
    return ps->ppid > 0 && read_stat(proc, (pid_t)ps->ppid, &parent) &&
           strcmp(parent.comm, VJ_VM_KEEPER_NAME) == 0;
}

bool vj_procfs_is_helper(int proc, pid_t pid)
{
    struct proc_stat ps;
    return read_stat(proc, pid, &ps) && is_helper_stat(proc, &ps);
}

int64_t vj_procfs_kill_others(pid_t pgrp, int sig, int *sent)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return -errno;
    /* As the kernel counts (kill_something_info, __kill_pgrp_info): for a group, 0 if one
     * took it, else the last error; for all, the last error that is not EPERM, else 0. */
    int64_t r = pgrp > 0 ? -ESRCH : 0;
    bool delivered = false;
    *sent = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        struct proc_stat ps;
        if (*end || pid <= 0 || pid == getpid() || (pgrp == 0 && pid == 1) ||
            !read_stat(AT_FDCWD, (pid_t)pid, &ps) || (pgrp > 0 && ps.pgrp != pgrp) ||
            is_helper_stat(AT_FDCWD, &ps))
            continue;
        (*sent)++;
        int err = kill((pid_t)pid, sig) == 0 ? 0 : -errno;
        delivered |= err == 0;
        if (pgrp > 0 || err != -EPERM)
            r = err;
    }
    closedir(d);
    if (*sent == 0)
        return -ESRCH;
    return pgrp > 0 && delivered ? 0 : r;
}

/* Is NAME (an entry of the /proc open as DIR) one of vmjail's helpers? */
static bool is_helper_entry(int dir, const char *name)
{
    if (name[0] < '1' || name[0] > '9' || strspn(name, "0123456789") != strlen(name))
        return false;
    return vj_procfs_is_helper(dir, (pid_t)atoi(name));
}

/* Is FD (a directory of /proc) this process's own descriptor directory, /proc/PID/fd or
 * /proc/PID/task/TID/fd? */
static bool is_own_fd_dir(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        return false;
    char link[64], target[128], want[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    int len = snprintf(want, sizeof want, "/proc/%d/", (int)getpid());
    if (strncmp(target, want, (size_t)len) != 0)
        return false;
    const char *rest = target + len;
    if (strncmp(rest, "task/", 5) == 0) {
        const char *slash = strchr(rest + 5, '/');
        rest = slash ? slash + 1 : "";
    }
    return strcmp(rest, "fd") == 0;
}

/* What a listing leaves out: vmjail's helpers from /proc, the monitor's own descriptors
 * from the payload's /proc/self/fd. */
enum listing { LIST_PROC_ROOT, LIST_OWN_FDS };

static bool dropped(struct vj_proc *p, enum listing kind, int dir, const char *name)
{
    if (kind == LIST_PROC_ROOT)
        return is_helper_entry(dir, name);
    char *end;
    long fd = strtol(name, &end, 10);
    return *end == '\0' && end != name && fd >= 0 && fd <= INT32_MAX && vj_monitor_fd(p, (int)fd);
}

/* Drop the entries KIND leaves out from the N bytes of BUF; the bytes kept. */
static size_t drop_entries(struct vj_proc *p, enum listing kind, int dir, uint8_t *buf, size_t n)
{
    size_t in = 0, out = 0;
    while (in + DIRENT_NAME < n) {
        uint16_t reclen;
        memcpy(&reclen, buf + in + DIRENT_RECLEN, sizeof reclen);
        if (reclen <= DIRENT_NAME || reclen > n - in)
            break; /* not what the host wrote: leave the rest as it is */
        char name[32];
        size_t len = strnlen((char *)buf + in + DIRENT_NAME, reclen - DIRENT_NAME);
        bool numeric = len < sizeof name;
        if (numeric) {
            memcpy(name, buf + in + DIRENT_NAME, len);
            name[len] = '\0';
        }
        if (!(numeric && dropped(p, kind, dir, name))) {
            memmove(buf + out, buf + in, reclen);
            out += reclen;
        }
        in += reclen;
    }
    memmove(buf + out, buf + in, n - in);
    return out + (n - in);
}

int64_t vj_sys_getdents64(struct vj_proc *p, const uint64_t a[6])
{
    const struct vj_syscall_desc *d = vj_syscall_lookup(SYS_getdents64);
    for (;;) {
        int64_t r = vj_syscall_pass(p, SYS_getdents64, d, a);
        enum listing kind;
        if (r <= 0)
            return r;
        if (is_proc_root((int)a[0]))
            kind = LIST_PROC_ROOT;
        else if (is_own_fd_dir((int)a[0]))
            kind = LIST_OWN_FDS;
        else
            return r;
        uint8_t *buf = malloc((size_t)r);
        if (buf == NULL)
            return r;
        if (vj_copy_from_guest(p, buf, a[1], (uint64_t)r) < 0) {
            free(buf);
            return -EFAULT;
        }
        size_t kept = drop_entries(p, kind, (int)a[0], buf, (size_t)r);
        int e = kept > 0 ? vj_copy_to_guest(p, a[1], buf, kept) : 0;
        free(buf);
        if (e < 0)
            return -EFAULT;
        if (kept > 0)
            return (int64_t)kept;
        /* Every entry read was left out: read on, or an empty read would mean the end. */
    }
}
