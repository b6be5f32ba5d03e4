/* signalfd.c: the payload's signalfds: a host socket pair per signalfd, fed the pending
 * signals its mask names that no thread would take. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/signal.h"
#include "monitor/signal_internal.h"

/* A signalfd is one end of a host SOCK_SEQPACKET socket pair, given to the payload (which reads
 * it with pass-through calls, polls it, ...); the monitor keeps the other end.  A pending signal
 * its mask names that no thread would take now (blocked everywhere, as signalfd users do) is
 * moved into it as a struct signalfd_siginfo: it is then no longer pending, where Linux keeps it
 * pending until read. */
struct kssi { /* struct signalfd_siginfo */
    uint32_t signo;
    int32_t err;
    int32_t code;
    uint32_t pid, uid;
    int32_t fd;
    uint32_t tid, band, overrun, trapno;
    int32_t status, sint;
    uint64_t ptr, utime, stime, addr;
    uint16_t addr_lsb;
    uint8_t pad[46];
};
_Static_assert(sizeof(struct kssi) == 128, "struct signalfd_siginfo");

struct sfd {
    bool used;
    int mon;           /* the monitor's end */
    dev_t dev;         /* the payload's end */
    ino_t ino;
    uint64_t mask;
};
#define MAX_SIGNALFDS 64

/* The payload's signalfds (p->signalfds), made at its first. */
struct vj_signalfds {
    int n;
    struct sfd fd[MAX_SIGNALFDS];
};

/* Linux's signalfd_copyinfo: the siginfo fields that mean something for its kind. */
static void to_ssi(const siginfo_t *in, struct kssi *o)
{
    memset(o, 0, sizeof *o);
    o->signo = (uint32_t)in->si_signo;
    o->err = in->si_errno;
    o->code = in->si_code;
    int s = in->si_signo, c = in->si_code;
    if (c > SI_USER && c < SI_KERNEL) {
        if (s == SIGCHLD) {
            o->pid = (uint32_t)in->si_pid, o->uid = in->si_uid, o->status = in->si_status;
            o->utime = (uint64_t)in->si_utime, o->stime = (uint64_t)in->si_stime;
        } else if (s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGTRAP) {
            o->addr = (uint64_t)(uintptr_t)in->si_addr;
        } else {
            o->band = (uint32_t)in->si_band, o->fd = in->si_fd;
        }
    } else if (c == SI_TIMER) {
        o->tid = (uint32_t)in->si_timerid, o->overrun = (uint32_t)in->si_overrun;
        o->ptr = (uint64_t)(uintptr_t)in->si_ptr, o->sint = in->si_int;
    } else if (c < 0) {
        o->pid = (uint32_t)in->si_pid, o->uid = in->si_uid;
        o->ptr = (uint64_t)(uintptr_t)in->si_ptr, o->sint = in->si_int;
    } else {
        o->pid = (uint32_t)in->si_pid, o->uid = in->si_uid;
    }
}

static void sfd_release(struct vj_proc *p, struct sfd *f)
{
    vj_vm_disown_fd(p->vm, f->mon);
    close(f->mon);
    f->used = false;
    p->signalfds->n--;
}

/* Move what S's signalfd takes from Q.  BLOCKED: signals no thread would take from Q.
 * Returns false if the signalfd went away. */
static bool sfd_take(struct vj_proc *p, struct sfd *f, struct vj_sigpending *q, uint64_t blocked)
{
    uint64_t want = q->set & f->mask & blocked;
    while (want) {
        int s = __builtin_ctzll(want) + 1;
        siginfo_t info;
        struct vj_sigqueued *e = q->head;
        while (e && e->info.si_signo != s)
            e = e->next;
        if (e) {
            info = e->info;
        } else {
            memset(&info, 0, sizeof info);
            info.si_signo = s;
            info.si_code = SI_USER;
        }
        struct kssi rec;
        to_ssi(&info, &rec);
        if (send(f->mon, &rec, sizeof rec, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof rec) {
            if (errno == EAGAIN || errno == ENOBUFS)
                return true; /* full: the rest stays pending */
            sfd_release(p, f); /* the payload closed its end */
            return false;
        }
        siginfo_t gone;
        vj_sig_dequeue(p, q, ~VJ_SIGBIT(s), &gone);
        if (!(q->set & VJ_SIGBIT(s)))
            want &= ~VJ_SIGBIT(s);
    }
    return true;
}

/* Under p->lock. */
void vj_signalfd_feed(struct vj_proc *p)
{
    if (p->signalfds == NULL || p->signalfds->n == 0)
        return;
    for (int i = 0; i < MAX_SIGNALFDS; i++) {
        struct sfd *f = &p->signalfds->fd[i];
        if (!f->used)
            continue;
        uint64_t nobody = 0;
        for (int s = 1; s < VJ_NSIG; s++)
            if ((p->shared_pending.set & VJ_SIGBIT(s)) && vj_sig_pick(p, s) == NULL)
                nobody |= VJ_SIGBIT(s);
        if (!sfd_take(p, f, &p->shared_pending, nobody))
            continue;
        for (size_t k = 0; k < p->nthreads; k++) {
            struct vj_thread *t = p->threads[k];
            if (!t->exited && !sfd_take(p, f, &t->pending, vj_sig_blocked_now(t)))
                break;
        }
    }
}

int vj_signalfd(struct vj_proc *p, int fd, uint64_t mask, int flags)
{
    mask &= ~VJ_UNBLOCKABLE;
    if (fd != -1) {
        struct stat st;
        if (fstat(fd, &st) < 0)
            return -EBADF;
        pthread_mutex_lock(&p->lock);
        int r = -EINVAL;
        for (int i = 0; p->signalfds && i < MAX_SIGNALFDS; i++) {
            struct sfd *f = &p->signalfds->fd[i];
            if (f->used && f->dev == st.st_dev && f->ino == st.st_ino) {
                f->mask = mask;
                vj_signalfd_feed(p);
                r = fd;
                break;
            }
        }
        pthread_mutex_unlock(&p->lock);
        return r;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    struct stat st;
    if (shutdown(sv[0], SHUT_WR) < 0 || fstat(sv[0], &st) < 0 ||
        (!(flags & O_CLOEXEC) && fcntl(sv[0], F_SETFD, 0) < 0) ||
        ((flags & O_NONBLOCK) && fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return -e;
    }
    pthread_mutex_lock(&p->lock);
    if (p->signalfds == NULL && (p->signalfds = calloc(1, sizeof *p->signalfds)) == NULL) {
        pthread_mutex_unlock(&p->lock);
        close(sv[0]);
        close(sv[1]);
        return -ENOMEM;
    }
    int slot = 0;
    while (slot < MAX_SIGNALFDS && p->signalfds->fd[slot].used)
        slot++;
    if (slot == MAX_SIGNALFDS) {
        pthread_mutex_unlock(&p->lock);
        close(sv[0]);
        close(sv[1]);
        return -EMFILE;
    }
    p->signalfds->fd[slot] = (struct sfd){.used = true, .mon = vj_vm_own_fd(p->vm, sv[1]),
                                          .dev = st.st_dev, .ino = st.st_ino, .mask = mask};
    p->signalfds->n++;
    vj_signalfd_feed(p);
    pthread_mutex_unlock(&p->lock);
    return sv[0];
}

void vj_signalfds_close(struct vj_proc *p)
{
    if (p->signalfds == NULL)
        return;
    for (int i = 0; i < MAX_SIGNALFDS; i++)
        if (p->signalfds->fd[i].used)
            sfd_release(p, &p->signalfds->fd[i]);
    free(p->signalfds);
    p->signalfds = NULL;
}
