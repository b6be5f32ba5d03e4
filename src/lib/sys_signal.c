/* sys_signal.c: the payload's signal dispositions and masks, kept by the monitor, and signals
 * it sends itself.  Delivery to handlers comes in a later step; until then a signal takes its
 * default action unless it is ignored. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall.h"
#include "thread.h"

/* The kernel's struct sigaction on x86-64. */
struct ksigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

#define KSIG_DFL 0
#define KSIG_IGN 1
#define SIGMASK(s) (1ULL << ((s)-1))
#define UNBLOCKABLE (SIGMASK(SIGKILL) | SIGMASK(SIGSTOP))

static bool ignored_by_default(int s)
{
    return s == SIGCHLD || s == SIGURG || s == SIGWINCH || s == SIGCONT;
}

void vj_signal_default(struct vj_proc *p, int signo)
{
    const struct ksigaction *ka = (const struct ksigaction *)&p->sigact[signo];
    /* Ignored signals are dropped; a caught one takes its default action until handlers are
     * delivered (a later step), so one whose default is to be ignored is dropped too. */
    if (signo != SIGKILL && signo != SIGSTOP &&
        (ka->handler == KSIG_IGN || ignored_by_default(signo)))
        return;
    if (signo == SIGSTOP || signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU)
        return; /* job control comes with processes */
    vj_proc_end(p, true, signo);
}

/* Deliver T's pending signals that its mask no longer blocks. */
static void deliver_unblocked(struct vj_proc *p, struct vj_thread *t)
{
    pthread_mutex_lock(&p->lock);
    uint64_t now = t->pending & ~t->sigmask;
    t->pending &= ~now;
    pthread_mutex_unlock(&p->lock);
    for (int s = 1; now && s < VJ_NSIG; s++)
        if (now & SIGMASK(s)) {
            now &= ~SIGMASK(s);
            vj_signal_default(p, s);
        }
}

int64_t vj_sys_rt_sigaction(struct vj_proc *p, const uint64_t a[6])
{
    int s = (int)a[0];
    if (a[3] != 8 || s < 1 || s >= VJ_NSIG)
        return -EINVAL;
    struct ksigaction *cur = (struct ksigaction *)&p->sigact[s], act;
    _Static_assert(sizeof(struct sigaction) >= sizeof(struct ksigaction), "room for the action");
    if (a[1] && vj_copy_from_guest(p, &act, a[1], sizeof act) < 0)
        return -EFAULT;
    if (a[1] && (s == SIGKILL || s == SIGSTOP))
        return -EINVAL;
    if (a[2] && vj_copy_to_guest(p, a[2], cur, sizeof *cur) < 0)
        return -EFAULT;
    if (a[1]) {
        act.mask &= ~UNBLOCKABLE;
        *cur = act;
    }
    return 0;
}

int64_t vj_sys_rt_sigprocmask(struct vj_proc *p, const uint64_t a[6])
{
    if (a[3] != 8)
        return -EINVAL;
    struct vj_thread *t = vj_self;
    uint64_t set = 0, old = t->sigmask;
    if (a[1] && vj_copy_from_guest(p, &set, a[1], sizeof set) < 0)
        return -EFAULT;
    if (a[1]) {
        switch (a[0]) {
        case SIG_BLOCK:
            t->sigmask |= set;
            break;
        case SIG_UNBLOCK:
            t->sigmask &= ~set;
            break;
        case SIG_SETMASK:
            t->sigmask = set;
            break;
        default:
            return -EINVAL;
        }
        t->sigmask &= ~UNBLOCKABLE;
    }
    if (a[2] && vj_copy_to_guest(p, a[2], &old, sizeof old) < 0)
        return -EFAULT;
    deliver_unblocked(p, t);
    return 0;
}

int64_t vj_sys_rt_sigpending(struct vj_proc *p, const uint64_t a[6])
{
    if (a[1] > 8)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    uint64_t pending = vj_self->pending;
    pthread_mutex_unlock(&p->lock);
    return vj_copy_to_guest(p, a[0], &pending, a[1]);
}

int64_t vj_sys_sigaltstack(struct vj_proc *p, const uint64_t a[6])
{
    /* Recorded in a later step, with signal delivery; report no alternate stack. */
    stack_t old = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
    stack_t ss;
    if (a[0] && vj_copy_from_guest(p, &ss, a[0], sizeof ss) < 0)
        return -EFAULT;
    if (a[1] && vj_copy_to_guest(p, a[1], &old, sizeof old) < 0)
        return -EFAULT;
    return 0;
}

/* A signal the payload sends one of its own threads (T), or itself as a process (T NULL:
 * the calling thread takes it): it takes effect when the call returns, or stays pending
 * while the thread blocks it. */
static int64_t to_self(struct vj_proc *p, struct vj_thread *t, int signo)
{
    if (signo < 0 || signo >= VJ_NSIG)
        return -EINVAL;
    if (signo == 0)
        return 0;
    if (t == NULL)
        t = vj_self;
    pthread_mutex_lock(&p->lock);
    bool blocked = t->sigmask & SIGMASK(signo);
    if (blocked)
        t->pending |= SIGMASK(signo);
    pthread_mutex_unlock(&p->lock);
    if (!blocked)
        vj_signal_default(p, signo);
    return 0;
}

int64_t vj_sys_kill(struct vj_proc *p, const uint64_t a[6])
{
    pid_t pid = (pid_t)a[0];
    if (pid == getpid())
        return to_self(p, NULL, (int)a[1]);
    if (pid == 0 || pid == -1 || pid == -getpgrp())
        return to_self(p, NULL, (int)a[1]); /* other members of the group: with processes */
    return kill(pid, (int)a[1]) < 0 ? -errno : 0;
}

int64_t vj_sys_tgkill(struct vj_proc *p, const uint64_t a[6])
{
    if ((pid_t)a[0] == getpid()) {
        struct vj_thread *t = vj_proc_find_thread(p, (pid_t)a[1]);
        return t ? to_self(p, t, (int)a[2]) : -ESRCH;
    }
    return syscall(SYS_tgkill, a[0], a[1], a[2]) < 0 ? -errno : 0;
}

int64_t vj_sys_tkill(struct vj_proc *p, const uint64_t a[6])
{
    struct vj_thread *t = vj_proc_find_thread(p, (pid_t)a[0]);
    if (t)
        return to_self(p, t, (int)a[1]);
    return syscall(SYS_tkill, a[0], a[1]) < 0 ? -errno : 0;
}

/* ---- not served yet: answered -ENOSYS (signal delivery comes next) ---- */

#define NOT_YET(name)                                                                      \
    int64_t vj_sys_##name(struct vj_proc *p, const uint64_t a[6])                           \
    {                                                                                      \
        (void)p, (void)a;                                                                  \
        return -ENOSYS;                                                                    \
    }
NOT_YET(rt_sigreturn)
NOT_YET(rt_sigsuspend)
NOT_YET(rt_sigtimedwait)
NOT_YET(rt_sigqueueinfo)
NOT_YET(rt_tgsigqueueinfo)
NOT_YET(signalfd)
NOT_YET(signalfd4)
NOT_YET(timer_create)
NOT_YET(timer_settime)
NOT_YET(timer_gettime)
NOT_YET(timer_getoverrun)
NOT_YET(timer_delete)

/* Until signals are delivered, timers and pause are the host's: a timer's signal reaches the
 * monitor process and takes its default action there. */
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

int64_t vj_sys_pause(struct vj_proc *p, const uint64_t a[6])
{
    (void)p, (void)a;
    return pause() < 0 ? -errno : 0;
}
