/* sys_net.c: socket calls whose arguments hold nested pointers (msghdr, iovecs, control
 * messages with descriptors): sendmsg, recvmsg, sendmmsg, recvmmsg.
 *
 * The host is always handed a monitor-owned copy of each msghdr whose pointers are translated
 * (a bad one becomes VJ_BAD_HOST_PTR, so the host reports EFAULT where Linux would) and whose
 * lengths are the ones checked.  Control data goes through monitor buffers both ways: sent
 * descriptors are checked in the copy the host then reads, and received ones are vetted before
 * the payload can see them (another payload thread cannot change either in between).  Payload
 * data (iovecs, addresses) is read and written by the host in guest memory directly. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "monitor/sys.h"

#define TASK_SIZE_MAX 0x7ffffffff000ULL /* highest user address + 1 on Linux x86-64 */
#define UIO_MAXIOV_ 1024                /* iovecs per message, mmsghdrs per call (sendmmsg) */
#define MAX_RW_COUNT_ 0x7ffff000ULL     /* the most one call transfers */
#define SOCKADDR_MAX 128                /* sizeof(struct sockaddr_storage): the kernel's cap */
/* Control data sent: copied up to this many bytes (more than optmem_max, beyond which the
 * host answers ENOBUFS anyway).  Received: the most offered to the host (far more than the
 * ancillary data of one message). */
#define CTL_SEND_MAX (1u << 20)
#define CTL_RECV_MAX (64u << 10)
#define IOV_INLINE 8
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* struct user_msghdr and struct mmsghdr as the x86-64 kernel reads them, whatever the
 * payload's libc calls the fields (musl's msg_iovlen and msg_controllen are int with padding:
 * its wrappers clear the padding). */
struct kmsghdr {
    uint64_t name;
    int32_t namelen;
    uint32_t pad0;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
    uint32_t pad1;
};

struct kmmsghdr {
    struct kmsghdr hdr;
    uint32_t len;
    uint32_t pad;
};

_Static_assert(sizeof(struct kmsghdr) == sizeof(struct msghdr), "msghdr layout");
_Static_assert(offsetof(struct kmsghdr, namelen) == offsetof(struct msghdr, msg_namelen), "namelen");
_Static_assert(offsetof(struct kmsghdr, iovlen) == offsetof(struct msghdr, msg_iovlen), "iovlen");
_Static_assert(offsetof(struct kmsghdr, controllen) == offsetof(struct msghdr, msg_controllen),
               "controllen");
_Static_assert(offsetof(struct kmsghdr, flags) == offsetof(struct msghdr, msg_flags), "flags");
_Static_assert(sizeof(struct kmmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(struct kmmsghdr, len) == offsetof(struct mmsghdr, msg_len), "msg_len");

/* One message as translated for the host: what to free and what to copy back. */
struct xmsg {
    struct iovec *iov;   /* the translated iovecs: iov_inline or allocated */
    uint8_t *ctl;        /* the monitor's copy of the control data, or NULL */
    uint64_t name_gva;   /* the payload's msg_name and msg_control */
    uint64_t ctl_gva;
    uint64_t total;      /* bytes the iovecs describe (at most MAX_RW_COUNT_) */
    struct iovec iov_inline[IOV_INLINE];
};

static int64_t host_result(long r)
{
    return r < 0 ? -errno : r;
}

/* Host pointer for LEN bytes of guest memory at GVA that the host may access.  For LEN 0
 * nothing is accessed and Linux checks only that a non-NULL address is a user one. */
static uint64_t host_ptr(const struct vj_proc *p, uint64_t gva, uint64_t len)
{
    if (len == 0 && gva != 0)
        return gva < TASK_SIZE_MAX ? (uint64_t)(uintptr_t)(p->mem + VJ_GUEST_MIN)
                                   : (uint64_t)(uintptr_t)VJ_BAD_HOST_PTR;
    return (uint64_t)(uintptr_t)vj_guest_arg(p, gva, len);
}

static void xmsg_release(struct xmsg *x)
{
    if (x->iov != x->iov_inline)
        free(x->iov);
    free(x->ctl);
    x->iov = NULL;
    x->ctl = NULL;
}

/* The next control message after C (the first if C is NULL) in CTL[0, LEN), walked as the
 * kernel walks it; NULL at the end or at a malformed one (which makes the host refuse a sent
 * message with EINVAL). */
static struct cmsghdr *cmsg_next(uint8_t *ctl, uint64_t len, struct cmsghdr *c)
{
    uint64_t off = c ? (uint64_t)((uint8_t *)c - ctl) + CMSG_ALIGN(c->cmsg_len) : 0;
    if (off > len || len - off < sizeof(struct cmsghdr))
        return NULL;
    c = (struct cmsghdr *)(ctl + off);
    if (c->cmsg_len < sizeof *c || c->cmsg_len > len - off)
        return NULL;
    return c;
}

/* Descriptors in control message C: SCM_RIGHTS, and SCM_PIDFD (one pidfd, received only). */
static size_t cmsg_fds(const struct cmsghdr *c, int **fds)
{
    if (c->cmsg_level != SOL_SOCKET || (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD))
        return 0;
    *fds = (int *)CMSG_DATA(c);
    return (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
}

/* Translate the payload's message header H (a monitor copy) in place for the host, keeping
 * in X what the call needs afterwards.  SEND: the host reads the buffers, else it writes them.
 * Returns 0 or a negative errno for what the monitor refuses itself; bad guest pointers are
 * left for the host to report. */
static int64_t xmsg_prepare(struct vj_proc *p, struct kmsghdr *h, struct xmsg *x, bool send)
{
    x->iov = NULL;
    x->ctl = NULL;
    x->name_gva = h->name;
    x->ctl_gva = h->control;
    x->total = 0;

    /* The address: the kernel reads or writes at most SOCKADDR_MAX bytes; a negative length
     * is the host's EINVAL. */
    if (h->name) {
        uint64_t n = h->namelen < 0 ? 0 : (uint64_t)h->namelen;
        h->name = host_ptr(p, h->name, n < SOCKADDR_MAX ? n : SOCKADDR_MAX);
    }

    /* The iovecs.  More than UIO_MAXIOV is the host's EMSGSIZE, an unreadable array its
     * EFAULT, a negative length its EINVAL. */
    if (h->iovlen > UIO_MAXIOV_) {
        h->iov = (uint64_t)(uintptr_t)VJ_BAD_HOST_PTR;
    } else if (h->iovlen == 0) {
        h->iov = host_ptr(p, h->iov, 0);
    } else {
        size_t n = (size_t)h->iovlen;
        x->iov = n <= IOV_INLINE ? x->iov_inline : malloc(n * sizeof *x->iov);
        if (x->iov == NULL)
            return -ENOMEM;
        if (vj_copy_from_guest(p, x->iov, h->iov, n * sizeof *x->iov) < 0) {
            h->iov = (uint64_t)(uintptr_t)VJ_BAD_HOST_PTR;
        } else {
            for (size_t i = 0; i < n; i++) {
                uint64_t base = (uint64_t)(uintptr_t)x->iov[i].iov_base, len = x->iov[i].iov_len;
                if (!send && len > 0 && base + len > base && base + len <= TASK_SIZE_MAX &&
                    vj_guest_range_ok(p, base, 1) && !vj_guest_range_ok(p, base, len)) {
                    /* A receive buffer that runs past the end of guest memory: the host
                     * writes only what arrives, so offer it the part inside (as read). */
                    len = p->mem_size - base;
                    x->iov[i].iov_len = len;
                }
                x->iov[i].iov_base = (void *)(uintptr_t)host_ptr(p, base, len);
                x->total = len > MAX_RW_COUNT_ - x->total ? MAX_RW_COUNT_ : x->total + len;
            }
            h->iov = (uint64_t)(uintptr_t)x->iov;
        }
    }

    /* Control data. */
    if (h->control == 0)
        return 0; /* the host takes NULL as no room (receive) or ignores it (no length) */
    if (h->controllen == 0) {
        h->control = host_ptr(p, h->control, 0);
        return 0;
    }
    if (!send) {
        uint64_t n = h->controllen < CTL_RECV_MAX ? h->controllen : CTL_RECV_MAX;
        /* Zeroed: the kernel skips the padding after each message, which the payload gets. */
        x->ctl = calloc(1, n);
        if (x->ctl == NULL)
            return -ENOMEM;
        h->control = (uint64_t)(uintptr_t)x->ctl;
        h->controllen = n;
        return 0;
    }
    if (h->controllen > CTL_SEND_MAX) {
        /* The host refuses it (ENOBUFS above optmem_max) before reading it. */
        h->control = (uint64_t)(uintptr_t)VJ_BAD_HOST_PTR;
        return 0;
    }
    x->ctl = malloc(h->controllen);
    if (x->ctl == NULL)
        return -ENOMEM;
    if (vj_copy_from_guest(p, x->ctl, h->control, h->controllen) < 0) {
        free(x->ctl);
        x->ctl = NULL;
        h->control = (uint64_t)(uintptr_t)VJ_BAD_HOST_PTR; /* the host's EFAULT */
        return 0;
    }
    h->control = (uint64_t)(uintptr_t)x->ctl;
    /* The host reads the descriptors to pass from this copy: none may be the monitor's. */
    for (struct cmsghdr *c = cmsg_next(x->ctl, h->controllen, NULL); c;
         c = cmsg_next(x->ctl, h->controllen, c)) {
        int *fds;
        size_t n = c->cmsg_type == SCM_RIGHTS ? cmsg_fds(c, &fds) : 0;
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, fds + i, sizeof fd);
            if (vj_monitor_fd(p, fd))
                return -EBADF;
        }
    }
    return 0;
}

/* Close the descriptors in received control data CTL[0, LEN).  Returns how many there were. */
static size_t close_received(uint8_t *ctl, uint64_t len)
{
    size_t count = 0;
    for (struct cmsghdr *c = cmsg_next(ctl, len, NULL); c; c = cmsg_next(ctl, len, c)) {
        int *fds;
        size_t n = cmsg_fds(c, &fds);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, fds + i, sizeof fd);
            if (fd >= 0)
                close(fd);
            count++;
        }
    }
    return count;
}

/* After a successful receive into H (translated by X): vet the descriptors received, give
 * the payload the control data, and copy the header fields the kernel updates (msg_namelen
 * if there is an address, msg_controllen, msg_flags) into the payload's header at GVA.
 * Returns 0 or -EFAULT. */
static int64_t xmsg_finish_recv(struct vj_proc *p, struct xmsg *x, struct kmsghdr *h, uint64_t gva)
{
    if (x->ctl && h->controllen) {
        for (struct cmsghdr *c = cmsg_next(x->ctl, h->controllen, NULL); c;
             c = cmsg_next(x->ctl, h->controllen, c)) {
            int *fds;
            size_t n = cmsg_fds(c, &fds);
            for (size_t i = 0; i < n; i++) {
                int fd;
                memcpy(&fd, fds + i, sizeof fd);
                if (fd >= 0 && vj_fd_vet_received(p, fd) < 0) {
                    /* Closed: the payload gets -1 in its place and knows some are missing. */
                    fd = -1;
                    memcpy(fds + i, &fd, sizeof fd);
                    h->flags |= MSG_CTRUNC;
                }
            }
        }
        if (vj_copy_to_guest(p, x->ctl_gva, x->ctl, h->controllen) < 0) {
            /* Linux drops what it cannot write: descriptors are not installed. */
            if (close_received(x->ctl, h->controllen))
                h->flags |= MSG_CTRUNC;
            h->controllen = 0;
        }
    }
    /* msg_controllen and msg_flags are adjacent: one copy. */
    _Static_assert(offsetof(struct kmsghdr, flags) ==
                       offsetof(struct kmsghdr, controllen) + sizeof h->controllen, "adjacent");
    if ((x->name_gva &&
         vj_copy_to_guest(p, gva + offsetof(struct kmsghdr, namelen), &h->namelen,
                          sizeof h->namelen) < 0) ||
        vj_copy_to_guest(p, gva + offsetof(struct kmsghdr, controllen), &h->controllen,
                         sizeof h->controllen + sizeof h->flags) < 0)
        return -EFAULT;
    return 0;
}

int64_t vj_sys_sendmsg(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    struct kmsghdr h;
    if (vj_copy_from_guest(p, &h, a[1], sizeof h) < 0)
        return host_result(syscall(SYS_sendmsg, a[0], VJ_BAD_HOST_PTR, a[2]));
    struct xmsg x;
    int64_t r = xmsg_prepare(p, &h, &x, true);
    if (r == 0)
        r = host_result(syscall(SYS_sendmsg, a[0], &h, a[2]));
    xmsg_release(&x);
    return r;
}

int64_t vj_sys_recvmsg(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    struct kmsghdr h;
    if (vj_copy_from_guest(p, &h, a[1], sizeof h) < 0)
        return host_result(syscall(SYS_recvmsg, a[0], VJ_BAD_HOST_PTR, a[2]));
    struct xmsg x;
    int64_t r = xmsg_prepare(p, &h, &x, false);
    if (r == 0)
        r = host_result(syscall(SYS_recvmsg, a[0], &h, a[2]));
    if (r >= 0) {
        int64_t e = xmsg_finish_recv(p, &x, &h, a[1]);
        if (e < 0)
            r = e;
    }
    xmsg_release(&x);
    return r;
}

/* sendmmsg as Linux does it: one message after another, each message's byte count into its
 * msg_len, stopping at an error or a partial send; the count sent, or the error if none was. */
int64_t vj_sys_sendmmsg(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    unsigned vlen = (unsigned)a[2];
    if (vlen > UIO_MAXIOV_)
        vlen = UIO_MAXIOV_;
    if (vlen == 0) /* the host still checks the descriptor */
        return host_result(syscall(SYS_sendmmsg, a[0], NULL, 0, a[3]));
    unsigned sent = 0;
    int64_t err = 0;
    while (sent < vlen) {
        uint64_t gva = a[1] + (uint64_t)sent * sizeof(struct kmmsghdr);
        struct kmsghdr h;
        struct xmsg x;
        if (gva < a[1] || vj_copy_from_guest(p, &h, gva, sizeof h) < 0) {
            err = host_result(syscall(SYS_sendmsg, a[0], VJ_BAD_HOST_PTR, a[3]));
            break;
        }
        err = xmsg_prepare(p, &h, &x, true);
        if (err == 0)
            err = host_result(syscall(SYS_sendmsg, a[0], &h, a[3]));
        xmsg_release(&x);
        if (err < 0)
            break;
        uint32_t len = (uint32_t)err;
        if (vj_copy_to_guest(p, gva + offsetof(struct kmmsghdr, len), &len, sizeof len) < 0) {
            err = -EFAULT;
            break;
        }
        sent++;
        err = 0;
        if (len < x.total)
            break; /* a partial send ends the call */
    }
    if (sent == 0)
        return err;
    /* An error after some were sent is not reported, but a broken stream still signals (the
     * dispatcher raises SIGPIPE only for an -EPIPE result). */
    if (err == -EPIPE && !(a[3] & MSG_NOSIGNAL))
        vj_signal_default(p, SIGPIPE);
    return sent;
}

/* recvmmsg in one host call on translated copies of the headers (at most UIO_MAXIOV of
 * them), so the host keeps its semantics: MSG_WAITFORONE, the timeout (read and updated in
 * guest memory), errors after some messages. */
int64_t vj_sys_recvmmsg(struct vj_proc *p, const uint64_t a[6])
{
    if (vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    unsigned vlen = (unsigned)a[2];
    if (vlen > UIO_MAXIOV_)
        vlen = UIO_MAXIOV_;
    void *tmo = vj_guest_arg(p, a[4], 16);
    if (vlen == 0)
        return host_result(syscall(SYS_recvmmsg, a[0], NULL, 0, a[3], tmo));
    struct kmmsghdr *hv = calloc(vlen, sizeof *hv);
    struct xmsg *xv = calloc(vlen, sizeof *xv);
    int64_t r = 0;
    unsigned n = 0;
    if (hv == NULL || xv == NULL)
        r = -ENOMEM;
    while (r == 0 && n < vlen) {
        uint64_t gva = a[1] + (uint64_t)n * sizeof *hv;
        if (gva < a[1] || vj_copy_from_guest(p, &hv[n].hdr, gva, sizeof hv[n].hdr) < 0)
            break; /* Linux receives into the entries before an unreadable one */
        r = xmsg_prepare(p, &hv[n].hdr, &xv[n], false);
        n++; /* released below even if it failed */
    }
    if (r == 0) {
        void *vec = n ? (void *)hv : VJ_BAD_HOST_PTR; /* none readable: the host's EFAULT */
        r = host_result(syscall(SYS_recvmmsg, a[0], vec, n ? n : 1, a[3], tmo));
    }
    unsigned done = 0;
    for (unsigned i = 0; r > 0 && i < (unsigned)r; i++) {
        uint64_t gva = a[1] + (uint64_t)i * sizeof *hv;
        if (done == i && xmsg_finish_recv(p, &xv[i], &hv[i].hdr, gva) == 0 &&
            vj_copy_to_guest(p, gva + offsetof(struct kmmsghdr, len), &hv[i].len,
                             sizeof hv[i].len) == 0)
            done++;
        else if (done < i && xv[i].ctl) /* after one failed: nowhere to deliver these */
            close_received(xv[i].ctl, hv[i].hdr.controllen);
    }
    if (r > 0)
        r = done ? (int64_t)done : -EFAULT;
    for (unsigned i = 0; xv && i < n; i++)
        xmsg_release(&xv[i]);
    free(hv);
    free(xv);
    return r;
}
