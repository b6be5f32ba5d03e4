/* sys_io.c: pass-through calls whose arguments hold pointers or descriptor ranges the table
 * cannot describe: vectored I/O, ioctl, fcntl, select, epoll_pwait(2), futex, close_range; and
 * mknod(at), whose mode the monitor checks first. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/proc_life.h"
#include "monitor/signal.h"
#include "monitor/sys.h"

#define IOV_MAX_ 1024

/* Vectored I/O: each iovec is translated and checked; a bad one makes the host report
 * EFAULT. */
static int64_t rw_vec(struct vj_proc *p, long nr, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    int cnt = (int)a[2];
    if (cnt < 0 || cnt > IOV_MAX_)
        return -EINVAL;
    struct iovec *iov = calloc((size_t)cnt + 1, sizeof *iov);
    if (iov == NULL)
        return -ENOMEM;
    int64_t r = vj_copy_from_guest(p, iov, a[1], (uint64_t)cnt * sizeof *iov);
    for (int i = 0; r == 0 && i < cnt; i++) {
        uint64_t base = (uint64_t)(uintptr_t)iov[i].iov_base, len = iov[i].iov_len;
        iov[i].iov_base = len ? vj_guest_arg(p, base, len) : NULL;
    }
    if (r == 0) {
        r = syscall(nr, a[0], iov, a[2], a[3], a[4], a[5]);
        if (r < 0)
            r = -errno;
    }
    free(iov);
    return r;
}

int64_t vj_sys_readv(struct vj_proc *p, const uint64_t a[6]) { return rw_vec(p, SYS_readv, a); }
int64_t vj_sys_writev(struct vj_proc *p, const uint64_t a[6]) { return rw_vec(p, SYS_writev, a); }
int64_t vj_sys_preadv(struct vj_proc *p, const uint64_t a[6]) { return rw_vec(p, SYS_preadv, a); }
int64_t vj_sys_pwritev(struct vj_proc *p, const uint64_t a[6]) { return rw_vec(p, SYS_pwritev, a); }
int64_t vj_sys_preadv2(struct vj_proc *p, const uint64_t a[6]) { return rw_vec(p, SYS_preadv2, a); }
int64_t vj_sys_pwritev2(struct vj_proc *p, const uint64_t a[6]) { return rw_vec(p, SYS_pwritev2, a); }

/* The ioctls passed through, with the size of the memory their argument points to (0: the
 * argument is a plain value).  Others are answered ENOTTY. */
static const struct {
    unsigned long req;
    uint32_t size;
    bool out; /* the kernel writes the memory */
} ioctls[] = {
    {TCGETS, sizeof(struct termios), true},
    {TCSETS, sizeof(struct termios), false},
    {TCSETSW, sizeof(struct termios), false},
    {TCSETSF, sizeof(struct termios), false},
    {TIOCGWINSZ, sizeof(struct winsize), true},
    {TIOCSWINSZ, sizeof(struct winsize), false},
    {TIOCGPGRP, sizeof(pid_t), true},
    {TIOCSPGRP, sizeof(pid_t), false},
    {TIOCSCTTY, 0, false},
    {TIOCNOTTY, 0, false},
    {TIOCGPTN, sizeof(unsigned), true},
    {TIOCSPTLCK, sizeof(int), false},
    {TIOCOUTQ, sizeof(int), true},
    {TCFLSH, 0, false},
    {TCXONC, 0, false},
    {TCSBRK, 0, false},
    {FIONREAD, sizeof(int), true},
    {FIONBIO, sizeof(int), false},
    {FIOASYNC, sizeof(int), false},
    {FIOCLEX, 0, false},
    {FIONCLEX, 0, false},
    /* Network interfaces, read only (if_nametoindex, if_indextoname, ...): a struct ifreq
     * without pointers in it. */
    {SIOCGIFNAME, sizeof(struct ifreq), true},
    {SIOCGIFINDEX, sizeof(struct ifreq), true},
    {SIOCGIFFLAGS, sizeof(struct ifreq), true},
    {SIOCGIFADDR, sizeof(struct ifreq), true},
    {SIOCGIFNETMASK, sizeof(struct ifreq), true},
    {SIOCGIFBRDADDR, sizeof(struct ifreq), true},
    {SIOCGIFHWADDR, sizeof(struct ifreq), true},
    {SIOCGIFMTU, sizeof(struct ifreq), true},
};

int64_t vj_sys_ioctl(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    for (size_t i = 0; i < sizeof ioctls / sizeof *ioctls; i++) {
        if (ioctls[i].req != (unsigned long)a[1])
            continue;
        uint64_t arg = a[2];
        if (ioctls[i].size)
            arg = (uint64_t)(uintptr_t)vj_guest_arg(p, a[2], ioctls[i].size);
        long r = syscall(SYS_ioctl, a[0], a[1], arg);
        return r < 0 ? -errno : r;
    }
    /* Unknown requests: fail as the host would for a request the file does not support, but
     * only after checking the descriptor. */
    if (fcntl((int)a[0], F_GETFD) < 0)
        return -errno;
    return -ENOTTY;
}

int64_t vj_sys_fcntl(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    uint64_t arg = a[2];
    switch ((int)a[1]) {
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        arg = (uint64_t)(uintptr_t)vj_guest_arg(p, a[2], sizeof(struct flock));
        break;
    case F_GETOWN_EX:
    case F_SETOWN_EX:
        arg = (uint64_t)(uintptr_t)vj_guest_arg(p, a[2], sizeof(struct f_owner_ex));
        break;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (!vj_nofile_allows(p, (int64_t)(int)a[2]))
            return -EINVAL; /* the payload's RLIMIT_NOFILE (sys_limits.c) */
        {
            long fd = syscall(SYS_fcntl, a[0], a[1], a[2]);
            return fd < 0 ? -errno : vj_fd_vet(p, fd);
        }
    case F_GETFD:
    case F_SETFD:
    case F_GETFL:
    case F_SETFL:
    case F_GETOWN:
    case F_SETOWN:
    case F_GETSIG:
    case F_SETSIG:
    case F_SETLEASE:
    case F_GETLEASE:
    case F_NOTIFY:
    case F_SETPIPE_SZ:
    case F_GETPIPE_SZ:
    case F_ADD_SEALS:
    case F_GET_SEALS:
        break;
    default:
        return -EINVAL;
    }
    long r = syscall(SYS_fcntl, a[0], a[1], arg);
    return r < 0 ? -errno : r;
}

/* Bytes of an fd_set for NFDS descriptors, as the kernel reads and writes it. */
static uint64_t fdset_size(int nfds)
{
    return ((uint64_t)nfds + 63) / 64 * 8;
}

/* A signal mask the payload hands a waiting call (ppoll, epoll_pwait, pselect6) is the
 * payload's, applied by the monitor for the duration of the call (signal.h); the host call
 * gets none, so the monitor's own signal mask stays as it is. */

int64_t vj_sys_ppoll(struct vj_proc *p, const uint64_t a[6])
{
    uint64_t nfds = a[1];
    void *fds = vj_guest_arg(p, a[0], nfds > (1u << 20) ? ~0ULL : nfds * 8);
    void *tmo = vj_guest_arg(p, a[2], 16);
    int64_t r = vj_signal_call_mask_begin(vj_self, a[3], a[4]);
    if (r == -EINVAL || r == -EFAULT)
        return r;
    if (r == 0) {
        long n = syscall(SYS_ppoll, fds, nfds, tmo, NULL, 8);
        r = n < 0 ? -errno : n;
    }
    return vj_signal_call_mask_end(vj_self, r);
}

/* epoll_pwait (NR SYS_epoll_pwait: its timeout TIMEOUT milliseconds) and epoll_pwait2 (its
 * timeout a struct timespec the kernel reads, TIMEOUT its host address or NULL), under the
 * payload's signal mask applied by the monitor. */
static int64_t epoll_masked(struct vj_proc *p, long nr, const uint64_t a[6], uint64_t timeout)
{
    int max = (int)a[2];
    void *ev = vj_guest_arg(p, a[1], max > 0 ? (uint64_t)max * 12 : 0);
    int64_t r = vj_signal_call_mask_begin(vj_self, a[4], a[5]);
    if (r == -EINVAL || r == -EFAULT)
        return r;
    if (r == 0) {
        long n = syscall(nr, a[0], ev, a[2], timeout, NULL, 8);
        r = n < 0 ? -errno : n;
    }
    return vj_signal_call_mask_end(vj_self, r);
}

int64_t vj_sys_epoll_pwait(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    return epoll_masked(p, SYS_epoll_pwait, a, a[3]);
}

int64_t vj_sys_epoll_pwait2(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    return epoll_masked(p, SYS_epoll_pwait2, a, (uint64_t)(uintptr_t)vj_guest_arg(p, a[3], 16));
}

static int64_t do_select(struct vj_proc *p, long nr, const uint64_t a[6], uint64_t sigdata)
{
    int nfds = (int)a[0];
    if (nfds < 0)
        return -EINVAL;
    uint64_t sz = fdset_size(nfds);
    void *set[3];
    for (int i = 0; i < 3; i++)
        set[i] = vj_guest_arg(p, a[1 + i], sz);
    void *tmo = vj_guest_arg(p, a[4], 16);
    long r = syscall(nr, nfds, set[0], set[1], set[2], tmo, sigdata);
    return r < 0 ? -errno : r;
}

int64_t vj_sys_select(struct vj_proc *p, const uint64_t a[6])
{
    return do_select(p, SYS_select, a, 0);
}

int64_t vj_sys_pselect6(struct vj_proc *p, const uint64_t a[6])
{
    /* The sixth argument points to {const sigset_t *ss, size_t ss_len}. */
    uint64_t data[2] = {0, 0};
    if (a[5] && vj_copy_from_guest(p, data, a[5], sizeof data) < 0)
        return -EFAULT;
    int64_t r = vj_signal_call_mask_begin(vj_self, data[0], data[1]);
    if (r == -EINVAL || r == -EFAULT)
        return r;
    if (r == 0)
        r = do_select(p, SYS_pselect6, a, 0);
    return vj_signal_call_mask_end(vj_self, r);
}

int64_t vj_sys_futex(struct vj_proc *p, const uint64_t a[6])
{
    int op = (int)a[1] & FUTEX_CMD_MASK;
    void *uaddr = vj_guest_arg(p, a[0], 4);
    uint64_t arg4 = a[3], uaddr2 = a[4];
    switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        arg4 = (uint64_t)(uintptr_t)vj_guest_arg(p, a[3], 16);
        break;
    default:
        break;
    }
    switch (op) {
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE_PI:
        uaddr2 = (uint64_t)(uintptr_t)vj_guest_arg(p, a[4], 4);
        break;
    default:
        break;
    }
    long r = syscall(SYS_futex, uaddr, a[1], a[2], arg4, uaddr2, a[5]);
    return r < 0 ? -errno : r;
}

int64_t vj_sys_close_range(struct vj_proc *p, const uint64_t a[6])
{
    unsigned first = (unsigned)a[0], last = (unsigned)a[1];
    if (first > last || (a[2] & CLOSE_RANGE_UNSHARE))
        return -EINVAL;
    /* Close the payload's descriptors in the range in pieces that step around the
     * monitor's own. */
    int own[64], n = vj_vm_fds(p->vm, own, 63);
    if (p->trace_fd >= 0) {
        int i = n++;
        while (i > 0 && own[i - 1] > p->trace_fd)
            own[i] = own[i - 1], i--;
        own[i] = p->trace_fd;
    }
    unsigned lo = first;
    for (int i = 0; i < n; i++) {
        unsigned f = (unsigned)own[i];
        if (f < lo)
            continue;
        if (f > last)
            break;
        if (f > lo && syscall(SYS_close_range, lo, f - 1, a[2]) < 0)
            return -errno;
        lo = f + 1;
        if (lo > last)
            return 0;
    }
    if (syscall(SYS_close_range, lo, last, a[2]) < 0)
        return -errno;
    return 0;
}

/* mknodat and mknod: regular files, FIFOs and sockets, as Linux lets any process make them;
 * a device node needs CAP_MKNOD, which vmjail never gives the payload (the monitor may hold
 * it): EPERM, as in a container without it.  Then mknodat's pass-through (its path checked as
 * every path is). */
static int64_t make_node(struct vj_proc *p, uint64_t dirfd, uint64_t path, uint64_t mode,
                         uint64_t dev)
{
    switch ((mode_t)mode & S_IFMT) {
    case 0:
    case S_IFREG:
    case S_IFIFO:
    case S_IFSOCK:
        break;
    case S_IFCHR:
    case S_IFBLK:
        return -EPERM;
    default:
        return -EINVAL;
    }
    const uint64_t b[6] = {dirfd, path, mode, dev, 0, 0};
    return vj_syscall_pass(p, SYS_mknodat, vj_syscall_lookup(SYS_mknodat), b);
}

int64_t vj_sys_mknodat(struct vj_proc *p, const uint64_t a[6])
{
    return make_node(p, a[0], a[1], a[2], a[3]);
}

int64_t vj_sys_mknod(struct vj_proc *p, const uint64_t a[6])
{
    return make_node(p, (uint64_t)(int64_t)AT_FDCWD, a[0], a[1], a[2]);
}
