/* syscall.h: the syscall table and its dispatcher.  Every Linux x86-64 syscall number has one
 * entry saying how the monitor serves it: passed to the host with each argument translated and
 * checked as its type says, emulated by a handler, or refused with -ENOSYS (the default for any
 * call not listed). */
#ifndef VJ_SYSCALL_H
#define VJ_SYSCALL_H

#include <stdint.h>

#include "monitor/proc.h"

#define VJ_NR_SYSCALLS 462

enum vj_serve {
    VJ_NOSYS = 0, /* answered -ENOSYS */
    VJ_PASS = 1,  /* performed by the host on translated arguments */
    VJ_EMUL = 2,  /* emulated by the monitor */
};

/* How an argument is translated (pass-through) and printed (--trace). */
enum vj_arg_type {
    VJ_A_NONE = 0,
    VJ_A_INT,   /* signed 32-bit value */
    VJ_A_LONG,  /* signed 64-bit value */
    VJ_A_ULONG, /* unsigned value */
    VJ_A_UINT,  /* unsigned 32-bit value */
    VJ_A_HEX,   /* flags or an address the call does not dereference */
    VJ_A_OCT,   /* a file mode */
    VJ_A_FD,    /* a descriptor: the monitor's own are refused with EBADF */
    VJ_A_DIRFD, /* a descriptor or AT_FDCWD */
    VJ_A_PATH,  /* a NUL-terminated string the kernel reads */
    VJ_A_IN,    /* memory the kernel reads */
    VJ_A_OUT,   /* memory the kernel writes */
    VJ_A_INOUT, /* memory the kernel reads and writes */
    VJ_A_OUTL,  /* memory the kernel writes, its size in a socklen_t the argument .len points to */
};

/* An argument's type and, for memory, its size: .size bytes, times argument .len when
 * .len >= 0. */
struct vj_arg {
    uint8_t type;
    int8_t len;
    uint16_t size;
};

enum vj_ret {
    VJ_RET_INT = 0, /* a count or 0 */
    VJ_RET_HEX,     /* an address */
    VJ_RET_FD,      /* a new descriptor: vetted before the payload gets it */
};

typedef int64_t (*vj_sys_fn)(struct vj_proc *p, const uint64_t a[6]);

struct vj_syscall_desc {
    const char *name;
    uint8_t serve;
    uint8_t nargs;
    uint8_t ret;
    vj_sys_fn fn; /* the handler for emulated calls and pass-through calls that need one */
    struct vj_arg arg[6];
};

/* The table, indexed by syscall number. */
extern const struct vj_syscall_desc vj_syscalls[VJ_NR_SYSCALLS];

/* The entry for NR, or NULL if NR is outside the table or unnamed. */
const struct vj_syscall_desc *vj_syscall_lookup(uint64_t nr);

/* Serve one syscall of the payload; returns the value for rax (a negative errno on failure).
 * Sets p->exited when the payload ended. */
int64_t vj_syscall_dispatch(struct vj_proc *p, const struct vj_syscall *sc);

/* The generic pass-through: translate A as D says and perform the call on the host. */
int64_t vj_syscall_pass(struct vj_proc *p, uint64_t nr, const struct vj_syscall_desc *d,
                        const uint64_t a[6]);

/* Handlers (sys_*.c). */
int64_t vj_sys_brk(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mmap(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_munmap(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mprotect(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mremap(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_madvise(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_msync(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mincore(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mlock(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_ok(struct vj_proc *p, const uint64_t a[6]);

int64_t vj_sys_exit(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_exit_group(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_clone(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_execve(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_fork(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_vfork(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_execveat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_arch_prctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_set_tid_address(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_set_robust_list(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_uname(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_clock_settime(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_settimeofday(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_prctl(struct vj_proc *p, const uint64_t a[6]);

int64_t vj_sys_rt_sigaction(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_rt_sigprocmask(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_rt_sigpending(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_sigaltstack(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_kill(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_rt_sigreturn(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_rt_sigsuspend(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_rt_sigtimedwait(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_rt_sigqueueinfo(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_rt_tgsigqueueinfo(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_signalfd(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_signalfd4(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_timer_create(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_timer_settime(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_timer_gettime(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_timer_getoverrun(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_timer_delete(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_alarm(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_setitimer(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_getitimer(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pause(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_sendmsg(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_recvmsg(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_sendmmsg(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_recvmmsg(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_tgkill(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_tkill(struct vj_proc *p, const uint64_t a[6]);

int64_t vj_sys_readv(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_writev(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_preadv(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pwritev(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_preadv2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pwritev2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_ioctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_open(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_openat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_readlink(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_readlinkat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_fcntl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_select(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_ppoll(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_epoll_pwait(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pselect6(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_futex(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_close_range(struct vj_proc *p, const uint64_t a[6]);

/* A signal the kernel raises for the calling payload thread on its own behalf (SIGPIPE after
 * EPIPE): sent to that thread as Linux's send_sig does (signal.h). */
void vj_signal_default(struct vj_proc *p, int signo);

/* Vet a descriptor a pass-through call just gave the payload: one that reaches the monitor's
 * own memory or VM is closed and refused.  Returns FD or a negative errno. */
int64_t vj_fd_vet(struct vj_proc *p, int64_t fd);

#endif
