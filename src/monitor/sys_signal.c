/* sys_signal.c: the payload's signal syscalls: dispositions, masks, the alternate stack,
 * signals it sends (to itself, its threads, or other processes), waiting for signals,
 * rt_sigreturn, signalfd, pidfds.  Queues and delivery are signal.c's, timers sys_timer.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "lib/error.h"
#include "monitor/proc_life.h"
#include "monitor/procfs.h"
#include "monitor/signal.h"
#include "monitor/sys.h"

#define SFD_CLOEXEC_ 02000000 /* O_CLOEXEC */
#define SFD_NONBLOCK_ 04000   /* O_NONBLOCK */

/* The sa_flags Linux keeps (UAPI_SA_FLAGS on x86-64); it clears the others. */
#define SA_EXPOSE_TAGBITS_ 0x00000800
#define KNOWN_SA_FLAGS                                                                       \
    ((uint64_t)(SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART |          \
                SA_NODEFER | SA_RESETHAND | SA_EXPOSE_TAGBITS_ | SA_RESTORER) &             \
     0xffffffffULL)

void vj_signal_default(struct vj_proc *p, int signo)
{
    vj_signal_raise(p, vj_self, signo);
}

static bool valid_signal(int64_t s)
{
    return s >= 0 && s < VJ_NSIG;
}

int64_t vj_sys_rt_sigaction(struct vj_proc *p, const uint64_t a[6])
{
    int s = (int)a[0];
    if (a[3] != 8 || s < 1 || s >= VJ_NSIG)
        return -EINVAL;
    struct vj_ksigaction act, old;
    if (a[1] && vj_copy_from_guest(p, &act, a[1], sizeof act) < 0)
        return -EFAULT;
    if (a[1] && (s == SIGKILL || s == SIGSTOP))
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    struct vj_ksigaction *cur = vj_sigaction(p, s);
    old = *cur;
    if (a[1]) {
        act.mask &= ~VJ_UNBLOCKABLE;
        act.flags &= KNOWN_SA_FLAGS;
        *cur = act;
        /* POSIX: setting a pending signal to be ignored discards it. */
        bool ign = act.handler == VJ_SIG_IGN ||
                   (act.handler == VJ_SIG_DFL &&
                    (s == SIGCHLD || s == SIGURG || s == SIGWINCH || s == SIGCONT));
        if (ign)
            vj_signal_discard_locked(p, s);
        if (s == SIGCHLD)
            vj_host_sigchld(act.handler == VJ_SIG_IGN, (int)act.flags);
        vj_tty_signal_action(s, act.handler);
    }
    pthread_mutex_unlock(&p->lock);
    old.flags &= KNOWN_SA_FLAGS;
    if (a[2] && vj_copy_to_guest(p, a[2], &old, sizeof old) < 0)
        return -EFAULT;
    return 0;
}

int64_t vj_sys_rt_sigprocmask(struct vj_proc *p, const uint64_t a[6])
{
    if (a[3] != 8)
        return -EINVAL;
    struct vj_thread *t = vj_self;
    uint64_t set = 0, old = vj_signal_get_mask(t);
    if (a[1] && vj_copy_from_guest(p, &set, a[1], sizeof set) < 0)
        return -EFAULT;
    if (a[1]) {
        uint64_t m;
        switch (a[0]) {
        case SIG_BLOCK:
            m = old | set;
            break;
        case SIG_UNBLOCK:
            m = old & ~set;
            break;
        case SIG_SETMASK:
            m = set;
            break;
        default:
            return -EINVAL;
        }
        vj_signal_set_mask(t, m);
    }
    if (a[2] && vj_copy_to_guest(p, a[2], &old, sizeof old) < 0)
        return -EFAULT;
    return 0;
}

int64_t vj_sys_rt_sigpending(struct vj_proc *p, const uint64_t a[6])
{
    if (a[1] > 8)
        return -EINVAL;
    uint64_t pending = vj_signal_pending(vj_self) & vj_signal_get_mask(vj_self);
    return vj_copy_to_guest(p, a[0], &pending, a[1]);
}

/* The payload's stack pointer at this syscall. */
static uint64_t user_sp(void)
{
    struct vj_user_regs r;
    return vj_vcpu_get_user_regs(vj_self->vcpu, &r) ? r.rsp : 0;
}

int64_t vj_sys_sigaltstack(struct vj_proc *p, const uint64_t a[6])
{
    stack_t ss, old;
    if (a[0] && vj_copy_from_guest(p, &ss, a[0], sizeof ss) < 0)
        return -EFAULT;
    int r = vj_sigaltstack(vj_self, a[0] ? &ss : NULL, a[1] ? &old : NULL, user_sp());
    if (r == 0 && a[1] && vj_copy_to_guest(p, a[1], &old, sizeof old) < 0)
        return -EFAULT;
    return r;
}

/* ---- sending signals -------------------------------------------------------------------- */

static void user_info(siginfo_t *info, int signo, int code)
{
    memset(info, 0, sizeof *info);
    info->si_signo = signo;
    info->si_code = code;
    info->si_pid = getpid();
    info->si_uid = getuid();
}

/* SIGNO from the payload to itself: to thread T, or to the process if T is NULL. */
static int64_t to_self(struct vj_proc *p, struct vj_thread *t, int64_t signo, int code)
{
    if (!valid_signal(signo))
        return -EINVAL;
    if (signo == 0)
        return 0;
    siginfo_t info;
    user_info(&info, (int)signo, code);
    return vj_signal_send(p, t, &info);
}

/* kill(): to itself through its own queue (delivered before the call returns, as Linux does);
 * to others, the host's kill.  kill(-1) and kill(0) or kill(-its group) reach the others
 * one by one, leaving out vmjail's helpers (a payload's stub and keeper are processes too;
 * the host's kill(-1) would end its own stub) and, for -1, itself and pid 1, as Linux does. */
int64_t vj_sys_kill(struct vj_proc *p, const uint64_t a[6])
{
    pid_t pid = (pid_t)a[0];
    int sig = (int)a[1];
    if (pid == getpid())
        return to_self(p, NULL, sig, SI_USER);
    if (pid != 0 && pid != -1 && pid != -getpgrp())
        return kill(pid, sig) < 0 ? -errno : 0;
    if (!valid_signal(sig))
        return -EINVAL;
    int sent;
    int64_t others = vj_procfs_kill_others(pid == -1 ? 0 : getpgrp(), sig, &sent);
    if (pid == -1)
        return others;
    int64_t self = to_self(p, NULL, sig, SI_USER); /* the caller is in its own group */
    return self == 0 || others == 0 ? 0 : self;
}

int64_t vj_sys_tgkill(struct vj_proc *p, const uint64_t a[6])
{
    if ((pid_t)a[0] <= 0 || (pid_t)a[1] <= 0)
        return -EINVAL;
    if ((pid_t)a[0] == getpid()) {
        if (!valid_signal((int)a[2]))
            return -EINVAL;
        struct vj_thread *t = vj_proc_find_thread(p, (pid_t)a[1]);
        return t ? to_self(p, t, (int)a[2], SI_TKILL) : -ESRCH;
    }
    return syscall(SYS_tgkill, a[0], a[1], a[2]) < 0 ? -errno : 0;
}

int64_t vj_sys_tkill(struct vj_proc *p, const uint64_t a[6])
{
    if ((pid_t)a[0] <= 0)
        return -EINVAL;
    struct vj_thread *t = vj_proc_find_thread(p, (pid_t)a[0]);
    if (t)
        return to_self(p, t, (int)a[1], SI_TKILL);
    return syscall(SYS_tkill, a[0], a[1]) < 0 ? -errno : 0;
}

/* rt_sigqueueinfo / rt_tgsigqueueinfo: the siginfo is the caller's, but only the process
 * itself may claim a kernel or kill() origin for it. */
static int64_t queueinfo(struct vj_proc *p, pid_t tgid, pid_t tid, int64_t signo, uint64_t uinfo)
{
    siginfo_t info;
    if (vj_copy_from_guest(p, &info, uinfo, sizeof info) < 0)
        return -EFAULT;
    if (!valid_signal(signo))
        return -EINVAL;
    info.si_signo = (int)signo;
    bool self = tgid == getpid();
    if (!self) {
        long r = tid ? syscall(SYS_rt_tgsigqueueinfo, tgid, tid, signo, &info)
                     : syscall(SYS_rt_sigqueueinfo, tgid, signo, &info);
        return r < 0 ? -errno : 0;
    }
    struct vj_thread *t = NULL;
    if (tid && (t = vj_proc_find_thread(p, tid)) == NULL)
        return -ESRCH;
    if ((info.si_code >= 0 || info.si_code == SI_TKILL) && tid && tid != vj_self->tid)
        return -EPERM;
    if (signo == 0)
        return 0;
    return vj_signal_send(p, t, &info);
}

int64_t vj_sys_rt_sigqueueinfo(struct vj_proc *p, const uint64_t a[6])
{
    return queueinfo(p, (pid_t)a[0], 0, (int)a[1], a[2]);
}

int64_t vj_sys_rt_tgsigqueueinfo(struct vj_proc *p, const uint64_t a[6])
{
    if ((pid_t)a[0] <= 0 || (pid_t)a[1] <= 0)
        return -EINVAL;
    return queueinfo(p, (pid_t)a[0], (pid_t)a[1], (int)a[2], a[3]);
}

/* ---- pidfds ---------------------------------------------------------------------------- */

#define PIDFD_NONBLOCK_ 04000 /* O_NONBLOCK */
#define PROC_SUPER_MAGIC_ 0x9fa0

/* pidfd_open: a process's pidfd (the payload's own is the monitor's, which is its pid).  Only
 * PIDFD_NONBLOCK: a thread's pidfd (PIDFD_THREAD) is refused as kernels before 6.9 do, so a
 * pidfd the payload holds never names one of the monitor's threads by itself. */
int64_t vj_sys_pidfd_open(struct vj_proc *p, const uint64_t a[6])
{
    (void)p;
    if (a[1] & ~(uint64_t)PIDFD_NONBLOCK_)
        return -EINVAL;
    long fd = syscall(SYS_pidfd_open, (pid_t)a[0], (unsigned)a[1]);
    return fd < 0 ? -errno : fd;
}

/* The pid (in the monitor's namespace) FD names, a pidfd or a /proc/PID directory, or 0 if it
 * is neither (the host then answers EBADF) or names no process here (-1 has exited).  -2 if
 * that cannot be told (no fdinfo, a procfs not at /proc): the caller refuses, not guesses. */
static pid_t pidfd_target(int fd)
{
    char name[64], line[128];
    snprintf(name, sizeof name, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(name, "re");
    if (f == NULL)
        return -2;
    long pid = 0;
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = sscanf(line, "Pid: %ld", &pid) == 1;
    fclose(f);
    if (found)
        return (pid_t)pid;
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC_)
        return 0;
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(name, line, sizeof line - 1);
    if (n < 0)
        return 0;
    line[n] = '\0';
    if (strncmp(line, "/proc/", 6) != 0)
        return -2; /* a procfs mounted elsewhere: not looked into */
    char *end;
    pid = strtol(line + 6, &end, 10);
    return pid > 0 && pid <= INT_MAX && *end == '\0' ? (pid_t)pid : 0;
}

/* pidfd_send_signal keeps kill's guarantees: a signal to the payload itself goes through its
 * own queue (never the host's signal to the monitor), and there are no flags (no process
 * group: kill(0) leaves vmjail's helpers out, PIDFD_SIGNAL_PROCESS_GROUP would not).  The
 * descriptor is duplicated first, and the copy is the one looked at and used, so that another
 * payload thread cannot swap the process between the check and the call. */
int64_t vj_sys_pidfd_send_signal(struct vj_proc *p, const uint64_t a[6])
{
    int fd = (int)a[0], sig = (int)a[1];
    if (a[3] != 0)
        return -EINVAL;
    if (fd < 0 || vj_monitor_fd(p, fd))
        return -EBADF;
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0)
        return -errno;
    siginfo_t info;
    int64_t r = 0;
    pid_t target = pidfd_target(own);
    if (target == -2) {
        r = -EPERM;
    } else if (target > 0 && vj_procfs_is_self(target)) {
        /* In Linux's order: the siginfo is read and matched first, the signal checked last. */
        if (a[2] == 0)
            r = to_self(p, NULL, sig, SI_USER);
        else if (vj_copy_from_guest(p, &info, a[2], sizeof info) < 0)
            r = -EFAULT;
        else if (info.si_signo != sig || !valid_signal(sig))
            r = -EINVAL;
        else if (sig != 0)
            r = vj_signal_send(p, NULL, &info);
    } else {
        if (a[2] && vj_copy_from_guest(p, &info, a[2], sizeof info) < 0)
            r = -EFAULT;
        else if (syscall(SYS_pidfd_send_signal, own, sig, a[2] ? &info : NULL, 0) < 0)
            r = -errno;
    }
    close(own);
    return r;
}

/* ---- waiting for signals ---------------------------------------------------------------- */

int64_t vj_sys_pause(struct vj_proc *p, const uint64_t a[6])
{
    (void)p, (void)a;
    vj_signal_wait_deliverable(vj_self);
    return -VJ_ERESTARTNOHAND;
}

int64_t vj_sys_rt_sigsuspend(struct vj_proc *p, const uint64_t a[6])
{
    uint64_t mask;
    if (a[1] != 8)
        return -EINVAL;
    if (vj_copy_from_guest(p, &mask, a[0], sizeof mask) < 0)
        return -EFAULT;
    vj_signal_set_temporary_mask(vj_self, mask);
    vj_signal_wait_deliverable(vj_self);
    return -VJ_ERESTARTNOHAND;
}

int64_t vj_sys_rt_sigtimedwait(struct vj_proc *p, const uint64_t a[6])
{
    uint64_t set;
    struct timespec ts;
    if (a[3] != 8)
        return -EINVAL;
    if (vj_copy_from_guest(p, &set, a[0], sizeof set) < 0)
        return -EFAULT;
    if (a[2]) {
        if (vj_copy_from_guest(p, &ts, a[2], sizeof ts) < 0)
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
            return -EINVAL;
    }
    siginfo_t info;
    int s = vj_signal_wait_set(vj_self, set, a[2] ? &ts : NULL, &info);
    if (s > 0 && a[1] && vj_copy_to_guest(p, a[1], &info, sizeof info) < 0)
        return -EFAULT;
    return s;
}

/* ---- rt_sigreturn ----------------------------------------------------------------------- */

int64_t vj_sys_rt_sigreturn(struct vj_proc *p, const uint64_t a[6])
{
    (void)a;
    struct vj_thread *t = vj_self;
    struct vj_user_regs regs;
    uint64_t mask;
    stack_t ss;
    vmjail_error *err = NULL;
    if (!vj_vcpu_get_user_regs(t->vcpu, &regs))
        return -EFAULT;
    int r = vj_arch_rt_sigreturn(t, &regs, &mask, &ss, &err);
    if (r == -1) {
        vj_proc_fail(p, err);
        return 0;
    }
    if (r < 0) {
        /* A bad frame: SIGSEGV, delivered on top of the context the call returns to. */
        siginfo_t info;
        memset(&info, 0, sizeof info);
        info.si_signo = SIGSEGV;
        info.si_code = SI_KERNEL;
        struct vj_fault f = {.signo = SIGSEGV, .code = SI_KERNEL, .vector = 13};
        f.pc = regs.rip;
        vj_signal_fault(t, &f);
        return 0;
    }
    vj_signal_set_mask(t, mask);
    vj_sigaltstack(t, &ss, NULL, regs.rsp); /* errors are ignored, as Linux does */
    if (vj_vcpu_set_user_regs(t->vcpu, &regs, &err) < 0) {
        vj_proc_fail(p, err);
        return 0;
    }
    t->sigreturned = true;
    return (int64_t)regs.rax;
}

/* ---- signalfd (signal.c) ---------------------------------------------------------------- */

int64_t vj_sys_signalfd4(struct vj_proc *p, const uint64_t a[6])
{
    int fd = (int)a[0];
    uint64_t mask;
    if (a[2] != 8 || (a[3] & ~(uint64_t)(SFD_CLOEXEC_ | SFD_NONBLOCK_)))
        return -EINVAL;
    if (vj_copy_from_guest(p, &mask, a[1], sizeof mask) < 0)
        return -EFAULT;
    if (fd != -1 && (fd < 0 || vj_monitor_fd(p, fd)))
        return -EBADF;
    return vj_signalfd(p, fd, mask, (int)a[3]);
}

int64_t vj_sys_signalfd(struct vj_proc *p, const uint64_t a[6])
{
    uint64_t b[6] = {a[0], a[1], a[2], 0, 0, 0};
    return vj_sys_signalfd4(p, b);
}
