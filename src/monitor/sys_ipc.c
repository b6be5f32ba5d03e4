/* sys_ipc.c: the payload's SysV message queues and semaphores (the host's objects, every
 * pointer checked: a message sized by its length, a semaphore set's array by its size),
 * POSIX message queue notifications (through the monitor's signal queue) and membarrier; and
 * the IPC state a fork, an exec and the process's end change (ipc.h).  msgget, semget, semop,
 * semtimedop and the other mq_* calls are passed through by the table. */
#include <errno.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/ipc.h"
#include "monitor/mm.h"
#include "monitor/signal.h"
#include "monitor/sys.h"

/* ---- SysV message queues ---------------------------------------------------------------- */

/* The host pointer for a struct msgbuf of MSGSZ bytes of text at GVA (its long mtype first):
 * checked whole where it fits in guest memory.  Where it does not, its mtype word still must:
 * the kernel reads mtype first (EFAULT), then refuses a length over msgmax (EINVAL), and
 * otherwise copies the text in order from its start, which the inaccessible guard after
 * guest memory stops (EFAULT), as the end of the mapped memory stops it natively. */
static void *msgbuf(const struct vj_proc *p, uint64_t gva, uint64_t msgsz)
{
    uint64_t size;
    if (!__builtin_add_overflow(msgsz, 8, &size) && vj_guest_range_ok(p, gva, size))
        return vj_guest_arg(p, gva, size);
    return vj_guest_arg(p, gva, 8);
}

int64_t vj_sys_msgsnd(struct vj_proc *p, const uint64_t a[6])
{
    long r = syscall(SYS_msgsnd, (int)a[0], msgbuf(p, a[1], a[2]), a[2], (int)a[3]);
    return r < 0 ? -errno : r;
}

int64_t vj_sys_msgrcv(struct vj_proc *p, const uint64_t a[6])
{
    long r = syscall(SYS_msgrcv, (int)a[0], msgbuf(p, a[1], a[2]), a[2], (long)a[3], (int)a[4]);
    return r < 0 ? -errno : r;
}

/* The buffer argument of a msgctl, semctl or shmctl command that names a structure. */
static void *ctl_buf(const struct vj_proc *p, enum vj_ipc_buf b, uint32_t size, uint64_t gva)
{
    if (b == VJ_IPC_BUF_IN || b == VJ_IPC_BUF_OUT)
        return vj_guest_arg(p, gva, size);
    /* A command the monitor does not know: the host refuses it without the buffer. */
    return b == VJ_IPC_BUF_UNKNOWN && gva ? VJ_BAD_HOST_PTR : NULL;
}

int64_t vj_sys_msgctl(struct vj_proc *p, const uint64_t a[6])
{
    uint32_t size;
    enum vj_ipc_buf b = vj_ipc_ctl_buf(VJ_IPC_MSG, (int)a[1], &size);
    long r = syscall(SYS_msgctl, (int)a[0], (int)a[1], ctl_buf(p, b, size, a[2]));
    return r < 0 ? -errno : r;
}

/* ---- SysV semaphores -------------------------------------------------------------------- */

/* The number of semaphores in set ID, or 0 if the monitor cannot read it: IPC_STAT, or where
 * the caller may not read the set (a write-only set, which SETALL may still change)
 * SEM_STAT_ANY on the set's index (the id's low 15 bits, or 24 where the host extends ids),
 * if that index holds ID. */
static uint64_t set_size(int id)
{
    struct semid_ds ds;
    if (syscall(SYS_semctl, id, 0, IPC_STAT, &ds) == 0)
        return ds.sem_nsems;
    if (errno != EACCES)
        return 0;
    const int masks[] = {0x7fff, 0xffffff};
    for (int i = 0; i < 2; i++)
        if (syscall(SYS_semctl, id & masks[i], 0, SEM_STAT_ANY, &ds) == id)
            return ds.sem_nsems;
    return 0;
}

/* semctl's fourth argument is union semun, by value: an int for SETVAL, a pointer to a
 * structure or (GETALL, SETALL) to the set's array of nsems unsigned shorts. */
int64_t vj_sys_semctl(struct vj_proc *p, const uint64_t a[6])
{
    int id = (int)a[0], cmd = (int)a[2];
    uint32_t size;
    enum vj_ipc_buf b = vj_ipc_ctl_buf(VJ_IPC_SEM, cmd, &size);
    uint64_t arg = 0;
    if (b == VJ_IPC_BUF_VALUE) {
        arg = a[3];
    } else if (b == VJ_IPC_BUF_ARRAY_IN || b == VJ_IPC_BUF_ARRAY_OUT) {
        uint64_t n = set_size(id);
        /* Unknown: the call itself fails where the monitor's IPC_STAT did (the id is not a
         * set's), or it reads or writes in order from the array's start, which the guard
         * after guest memory stops. */
        arg = (uint64_t)(uintptr_t)vj_guest_arg(p, a[3], n ? 2 * n : 2);
    } else {
        arg = (uint64_t)(uintptr_t)ctl_buf(p, b, size, a[3]);
    }
    long r = syscall(SYS_semctl, id, (int)a[1], cmd, arg);
    return r < 0 ? -errno : r;
}

/* ---- POSIX message queue notifications -------------------------------------------------- */

/* A notification asked with SIGEV_SIGNAL: the host sends the monitor VJ_SIG_TIMER with
 * si_code SI_MESGQ and, as its value, the queue's descriptor and a number of the monitor's
 * for this registration; the signal thread queues the payload's signal (vj_mq_fired).  A
 * notification fires once, and Linux allows one per queue: a new one for a descriptor means
 * the last is gone, but if it fired, its signal may not have reached the signal thread yet,
 * so the one before the newest stays until the next (two per descriptor at most). */
struct vj_mq_notify {
    int fd;      /* -1: free */
    uint32_t gen; /* the registration's number */
    int signo;   /* 0: none sent (Linux accepts signal 0 and sends nothing) */
    union sigval value;
};

#define NOTIFY_COOKIE_LEN 32 /* SIGEV_THREAD's cookie, sent on the netlink socket */

/* A free entry (the table grown if need be), or NULL.  Under p->lock. */
static struct vj_mq_notify *mq_slot(struct vj_proc *p)
{
    for (int i = 0; i < p->n_mq_notify; i++)
        if (p->mq_notify[i].fd < 0)
            return &p->mq_notify[i];
    int n = p->n_mq_notify ? 2 * p->n_mq_notify : 8;
    struct vj_mq_notify *v = n <= (1 << 21) ? realloc(p->mq_notify, (size_t)n * sizeof *v) : NULL;
    if (v == NULL)
        return NULL;
    for (int i = p->n_mq_notify; i < n; i++)
        v[i] = (struct vj_mq_notify){.fd = -1};
    p->mq_notify = v;
    struct vj_mq_notify *slot = &v[p->n_mq_notify];
    p->n_mq_notify = n;
    return slot;
}

/* FD has a new registration (numbered NEWEST, or none: 0): of the older entries for FD only
 * the last stays.  Under p->lock. */
static void mq_prune(struct vj_proc *p, int fd, uint32_t newest)
{
    struct vj_mq_notify *keep = NULL;
    for (int i = 0; i < p->n_mq_notify; i++) {
        struct vj_mq_notify *n = &p->mq_notify[i];
        if (n->fd != fd || (newest && n->gen == newest))
            continue;
        if (keep == NULL || (int32_t)(n->gen - keep->gen) > 0) {
            if (keep)
                keep->fd = -1;
            keep = n;
        } else {
            n->fd = -1;
        }
    }
}

/* The host's registration for a SIGEV_SIGNAL notification of FD. */
static int64_t mq_notify_signal(struct vj_proc *p, int fd, const struct ksigevent *ev)
{
    if ((uint32_t)ev->signo >= VJ_NSIG) /* Linux's valid_signal: 0 to 64 */
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    struct vj_mq_notify *n = mq_slot(p);
    if (n == NULL) {
        pthread_mutex_unlock(&p->lock);
        return -ENOMEM;
    }
    static uint32_t next_gen; /* under p->lock (the monitor process serves one process) */
    if (++next_gen == 0)
        next_gen = 1;
    /* Recorded first: the notification may fire before the call returns. */
    *n = (struct vj_mq_notify){.fd = fd, .gen = next_gen, .signo = ev->signo, .value = ev->value};
    struct ksigevent host = {.notify = SIGEV_SIGNAL, .signo = VJ_SIG_TIMER};
    host.value.sival_ptr = (void *)(uintptr_t)((uint64_t)n->gen << 32 | (uint32_t)fd);
    long r = syscall(SYS_mq_notify, fd, &host);
    if (r < 0) {
        r = -errno;
        n->fd = -1;
    } else {
        mq_prune(p, fd, n->gen);
    }
    pthread_mutex_unlock(&p->lock);
    return r;
}

int64_t vj_sys_mq_notify(struct vj_proc *p, const uint64_t a[6])
{
    int fd = (int)a[0];
    if (vj_monitor_fd(p, fd))
        return -EBADF;
    long r;
    if (a[1] == 0) {
        /* The entries stay: a notification that fired just before is still delivered. */
        r = syscall(SYS_mq_notify, fd, NULL);
        return r < 0 ? -errno : 0;
    }
    struct ksigevent ev;
    if (vj_copy_from_guest(p, &ev, a[1], sizeof ev) < 0)
        return -EFAULT;
    uint8_t cookie[NOTIFY_COOKIE_LEN];
    switch (ev.notify) {
    case SIGEV_SIGNAL:
        return mq_notify_signal(p, fd, &ev);
    case SIGEV_THREAD:
        /* The kernel's form of it (glibc and musl make it): a netlink socket of the caller's
         * in signo, sent the 32-byte cookie at value.sival_ptr, copied in now. */
        if (vj_copy_from_guest(p, cookie, (uint64_t)(uintptr_t)ev.value.sival_ptr,
                               sizeof cookie) < 0)
            return -EFAULT;
        if (vj_monitor_fd(p, ev.signo))
            return -EBADF;
        ev.value.sival_ptr = cookie;
        break;
    case SIGEV_NONE:
        break;
    default:
        return -EINVAL;
    }
    pthread_mutex_lock(&p->lock);
    r = syscall(SYS_mq_notify, fd, &ev);
    if (r == 0)
        mq_prune(p, fd, 0); /* a registration without a signal of the monitor's */
    pthread_mutex_unlock(&p->lock);
    return r < 0 ? -errno : 0;
}

void vj_mq_fired(struct vj_proc *p, const siginfo_t *host)
{
    uint64_t v = (uint64_t)(uintptr_t)host->si_value.sival_ptr;
    int fd = (int)(uint32_t)v;
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->n_mq_notify; i++) {
        struct vj_mq_notify *n = &p->mq_notify[i];
        if (n->fd != fd || n->gen != (uint32_t)(v >> 32))
            continue;
        n->fd = -1; /* a notification fires once */
        if (n->signo == 0)
            break;
        siginfo_t info;
        memset(&info, 0, sizeof info);
        info.si_signo = n->signo;
        info.si_code = SI_MESGQ;
        info.si_pid = host->si_pid; /* the sender's */
        info.si_uid = host->si_uid;
        info.si_value = n->value;
        vj_signal_send_locked(p, NULL, &info);
        break;
    }
    pthread_mutex_unlock(&p->lock);
}

/* ---- membarrier ------------------------------------------------------------------------- */

/* GLOBAL and GLOBAL_EXPEDITED act on other processes' threads (every one, or the registered
 * ones), whoever asks: the host's call as the monitor makes it.  Registrations and the
 * private barriers act on the payload's own threads: the platform makes the call in the
 * process that runs them (vm.h).  The monitor keeps the payload's registrations, which an
 * exec drops (a new address space) and a fork's child keeps, as Linux's. */
int64_t vj_sys_membarrier(struct vj_proc *p, const uint64_t a[6])
{
    int cmd = (int)a[0];
    unsigned flags = (unsigned)a[1];
    if (cmd != MEMBARRIER_CMD_QUERY && !(cmd > 0 && (cmd & (cmd - 1)) == 0 &&
                                         (cmd & VJ_MEMBARRIER_SERVED)))
        return -EINVAL; /* the rseq commands among them: there is no rseq to restart */
    if (flags != 0)
        return -EINVAL;
    long r;
    switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
        r = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        return r < 0 ? -errno : (r & VJ_MEMBARRIER_SERVED);
    case MEMBARRIER_CMD_GLOBAL:
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
        r = syscall(SYS_membarrier, cmd, 0, 0);
        return r < 0 ? -errno : r;
    case VJ_MEMBARRIER_GET_REGISTRATIONS:
        /* Only where the host has the command (Linux 6.3). */
        r = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        if (r < 0 || !(r & VJ_MEMBARRIER_GET_REGISTRATIONS))
            return -EINVAL;
        return __atomic_load_n(&p->membarrier_reg, __ATOMIC_ACQUIRE);
    default:
        break;
    }
    int need = vj_membarrier_needs(cmd);
    if (need && !(__atomic_load_n(&p->membarrier_reg, __ATOMIC_ACQUIRE) & (uint32_t)need))
        return -EPERM; /* as Linux: the process has not registered */
    r = vj_vm_membarrier(p->vm, cmd, 0, 0);
    if (r == 0 && need == 0) /* a registration */
        __atomic_or_fetch(&p->membarrier_reg, (uint32_t)cmd, __ATOMIC_ACQ_REL);
    return r;
}

/* ---- the process's life ------------------------------------------------------------------ */

void vj_ipc_after_fork(struct vj_proc *p)
{
    free(p->mq_notify);
    p->mq_notify = NULL;
    p->n_mq_notify = 0;
    uint32_t reg = p->membarrier_reg;
    while (reg) {
        uint32_t cmd = reg & -reg;
        reg &= reg - 1;
        vj_vm_membarrier(p->vm, (int)cmd, 0, 0);
    }
}

void vj_ipc_after_exec(struct vj_proc *p)
{
    __atomic_store_n(&p->membarrier_reg, 0, __ATOMIC_RELEASE);
}

void vj_ipc_end(struct vj_proc *p)
{
    pthread_mutex_lock(&p->mm_lock);
    vj_mm_shm_detach_all(p);
    pthread_mutex_unlock(&p->mm_lock);
    pthread_mutex_lock(&p->lock);
    free(p->mq_notify);
    p->mq_notify = NULL;
    p->n_mq_notify = 0;
    pthread_mutex_unlock(&p->lock);
}
