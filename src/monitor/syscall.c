/* syscall.c: dispatches the payload's syscalls through the table and performs pass-through
 * calls on the host with every argument translated and checked. */
#include "monitor/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/procfs.h"
#include "monitor/snapshot.h"
#include "monitor/signal.h"
#include "monitor/trace.h"

#define TASK_SIZE_MAX 0x7ffffffff000ULL /* highest user address + 1 on Linux x86-64 */
#define PROC_SUPER_MAGIC 0x9fa0

const struct vj_syscall_desc *vj_syscall_lookup(uint64_t nr)
{
    if (nr >= VJ_NR_SYSCALLS || vj_syscalls[nr].name == NULL)
        return NULL;
    return &vj_syscalls[nr];
}

/* Size of the memory argument SPEC of a call described by D, in bytes, or UINT64_MAX if it
 * overflows.  A length the kernel takes as an int or unsigned int is read from the low 32
 * bits, as it does. */
static uint64_t arg_size(const struct vj_syscall_desc *d, const struct vj_arg *spec,
                         const uint64_t a[6])
{
    if (spec->len < 0)
        return spec->size;
    uint64_t count = a[spec->len];
    if (d->arg[spec->len].type == VJ_A_INT || d->arg[spec->len].type == VJ_A_UINT)
        count = (uint32_t)count;
    uint64_t n;
    if (__builtin_mul_overflow(count, (uint64_t)spec->size, &n))
        return UINT64_MAX;
    return n;
}

int64_t vj_syscall_pass(struct vj_proc *p, uint64_t nr, const struct vj_syscall_desc *d,
                        const uint64_t a[6])
{
    uint64_t x[6] = {a[0], a[1], a[2], a[3], a[4], a[5]};
    uint32_t lens[6] = {0};
    int outl = -1;
    bool claimed[6] = {false}; /* length words an OUTL argument replaced with its copy */
    for (int i = 0; i < d->nargs; i++) {
        const struct vj_arg *s = &d->arg[i];
        if (claimed[i])
            continue;
        switch (s->type) {
        case VJ_A_FD:
            if (vj_monitor_fd(p, (int)a[i]))
                return -EBADF;
            break;
        case VJ_A_DIRFD:
            if ((int)a[i] != AT_FDCWD && vj_monitor_fd(p, (int)a[i]))
                return -EBADF;
            break;
        case VJ_A_PATH:
            /* The host stops at the NUL, at PATH_MAX, or at the inaccessible guard after guest
             * memory: only the start needs checking. */
            x[i] = (uint64_t)(uintptr_t)vj_guest_arg(p, a[i], 1);
            break;
        case VJ_A_IN:
        case VJ_A_INOUT:
        case VJ_A_OUT: {
            uint64_t size = arg_size(d, s, a);
            if (size == 0) {
                /* Nothing is accessed; Linux checks only that the address is a user one. */
                if (a[i] != 0)
                    x[i] = a[i] < TASK_SIZE_MAX ? (uint64_t)(uintptr_t)(p->mem + VJ_GUEST_MIN)
                                                : (uint64_t)(uintptr_t)VJ_BAD_HOST_PTR;
                break;
            }
            bool negative = s->len >= 0 && d->arg[s->len].type == VJ_A_INT && (int)a[s->len] < 0;
            if (s->type == VJ_A_OUT && s->len >= 0 && !negative && a[i] != 0 && size != UINT64_MAX &&
                a[i] + size >= a[i] && a[i] + size <= TASK_SIZE_MAX &&
                vj_guest_range_ok(p, a[i], 1) && !vj_guest_range_ok(p, a[i], size)) {
                /* An output buffer that runs past the end of guest memory: the kernel writes
                 * only what the call returns, so offer it the part inside guest memory. */
                uint64_t fit = (p->mem_size - a[i]) / s->size;
                x[s->len] = fit;
                size = fit * s->size;
            }
            x[i] = (uint64_t)(uintptr_t)vj_guest_arg(p, a[i], size == UINT64_MAX ? ~0ULL : size);
            break;
        }
        case VJ_A_OUTL:
            /* The kernel reads the length and writes it back: give it a copy of the monitor's,
             * so that another payload thread cannot change it between the check and the use. */
            if (a[i] != 0 && a[s->len] != 0) {
                if (vj_copy_from_guest(p, &lens[i], a[s->len], sizeof lens[i]) < 0)
                    return -EFAULT;
                x[s->len] = (uint64_t)(uintptr_t)&lens[i];
                claimed[s->len] = true;
                outl = i;
            }
            x[i] = (uint64_t)(uintptr_t)vj_guest_arg(p, a[i], lens[i]);
            break;
        default:
            break;
        }
    }
    long r = syscall((long)nr, x[0], x[1], x[2], x[3], x[4], x[5]);
    if (r < 0)
        return -errno;
    if (outl >= 0 && vj_copy_to_guest(p, a[d->arg[outl].len], &lens[outl], sizeof lens[outl]) < 0)
        return -EFAULT;
    return r;
}

/* Does the path of an open descriptor name something of the monitor's own (its memory, maps,
 * descriptors, or its VM), or of another monitor's (its memory: other payload processes'
 * maps, descriptors and tasks are the host's view of them)? */
static bool forbidden_target(const char *target)
{
    if (vj_vm_foreign_fd_target(target))
        return true;
    if (strncmp(target, "/proc/", 6) != 0 || target[6] < '1' || target[6] > '9')
        return false;
    char *end;
    long pid = strtol(target + 6, &end, 10);
    if (*end != '/')
        return false;
    const char *rest = end + 1;
    if (strncmp(rest, "task/", 5) == 0) { /* /proc/PID/task/TID/... */
        const char *slash = strchr(rest + 5, '/');
        rest = slash ? slash + 1 : "";
    }
    static const char *const own[] = {"mem",   "pagemap", "map_files", "maps",  "smaps",
                                      "smaps_rollup", "numa_maps", "fd",   "fdinfo",
                                      "syscall", "stack", "environ", "auxv", "task", NULL};
    static const char *const others[] = {"mem", "pagemap", "map_files", "syscall", "stack",
                                         "environ", "auxv", NULL};
    const char *const *denied = own;
    if (strcmp(rest, "fd") == 0 && pid == getpid())
        return false; /* its own descriptor directory: listed without the monitor's (getdents64) */
    if (!vj_procfs_is_self(pid)) { /* not this monitor or one of its threads */
        if (!vj_procfs_is_monitor((pid_t)pid))
            return false;
        denied = others;
    }
    for (int i = 0; denied[i]; i++) {
        size_t l = strlen(denied[i]);
        if (strncmp(rest, denied[i], l) == 0 && (rest[l] == '\0' || rest[l] == '/'))
            return true;
    }
    return false;
}

int64_t vj_fd_vet(struct vj_proc *p, int64_t fd)
{
    if (!vj_nofile_allows(p, fd)) {
        close((int)fd); /* the payload's RLIMIT_NOFILE (sys_limits.c) */
        return -EMFILE;
    }
    struct stat st;
    if (fstat((int)fd, &st) < 0)
        return fd;
    struct statfs sf;
    bool anon = (st.st_mode & S_IFMT) == 0;
    if (!anon && (fstatfs((int)fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC))
        return fd;
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", (int)fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return fd;
    target[n] = '\0';
    if (!forbidden_target(target))
        return fd;
    close((int)fd);
    return -EACCES;
}

/* Is mount MNT_ID one of this process's mount namespace?  (Its mountinfo's first fields.)
 * Unreadable: no, which refuses rather than lets through. */
static bool mount_is_ours(uint64_t mnt_id)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *end;
        unsigned long long id = strtoull(line, &end, 10);
        found = end != line && *end == ' ' && id == mnt_id;
        /* A line longer than the buffer: skip its rest, which is not a line's start. */
        while (strchr(line, '\n') == NULL && fgets(line, sizeof line, f))
            ;
    }
    fclose(f);
    return found;
}

int64_t vj_fd_vet_received(struct vj_proc *p, int64_t fd)
{
    fd = vj_fd_vet(p, fd);
    if (fd < 0)
        return fd;
    struct statx sx;
    if (statx((int)fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MNT_ID, &sx) < 0 ||
        !S_ISDIR(sx.stx_mode))
        return fd;
    if ((sx.stx_mask & STATX_MNT_ID) && mount_is_ours(sx.stx_mnt_id))
        return fd;
    close((int)fd);
    return -EACCES;
}

/* Writes to a broken pipe or socket send SIGPIPE, unless the call asks not to. */
static bool raises_sigpipe(const struct vj_syscall *sc)
{
    switch (sc->nr) {
    case SYS_write:
    case SYS_writev:
    case SYS_pwrite64:
    case SYS_pwritev:
    case SYS_pwritev2:
    case SYS_sendfile:
    case SYS_copy_file_range:
    case SYS_splice:
    case SYS_tee:
        return true;
    case SYS_sendto:
        return !(sc->arg[3] & MSG_NOSIGNAL);
    case SYS_sendmsg:
        return !(sc->arg[2] & MSG_NOSIGNAL);
    case SYS_sendmmsg:
        return !(sc->arg[3] & MSG_NOSIGNAL);
    default:
        return false;
    }
}

int64_t vj_syscall_dispatch(struct vj_proc *p, const struct vj_syscall *sc)
{
    const struct vj_syscall_desc *d = vj_syscall_lookup(sc->nr);
    struct vj_thread *t = vj_self;
    int64_t r;
    if (t)
        vj_tty_call_begin(t);
    if ((p->snap_req || sc->nr == VJ_NR_SNAPSHOT) && vj_snapshot_hook(p, sc, &r))
        ; /* answered by the snapshot's mark (snapshot.h) */
    else if (d == NULL || d->serve == VJ_NOSYS)
        r = -ENOSYS;
    else if (d->serve == VJ_PRIV)
        r = -EPERM;
    else if (d->fn)
        r = d->fn(p, sc->arg);
    else
        r = vj_syscall_pass(p, sc->nr, d, sc->arg);
    if (t)
        vj_tty_call_end(p);
    if (d && d->ret == VJ_RET_FD && r >= 0)
        r = vj_fd_vet(p, r);
    if (r == -EPIPE && raises_sigpipe(sc))
        vj_signal_default(p, SIGPIPE);
    if (p->trace_fd >= 0)
        vj_trace_syscall(p, sc, d, r);
    return r;
}
