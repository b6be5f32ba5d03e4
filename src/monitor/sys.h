/* sys.h: the handlers of the calls the syscall table serves with a function (sys_*.c and the
 * files of the parts they belong to), and the helpers they share.  Only the table and the
 * handlers include it. */
#ifndef VJ_SYS_H
#define VJ_SYS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "monitor/proc.h"
#include "monitor/syscall.h"

/* The kernel's struct sigevent (64 bytes), as timer_create and mq_notify take it. */
struct ksigevent {
    union sigval value;
    int32_t signo;
    int32_t notify;
    int32_t tid;
    int32_t pad[11];
};

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
int64_t vj_sys_getdents64(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_wait4(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_waitid(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_execveat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_arch_prctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_set_tid_address(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_set_robust_list(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_uname(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_sysinfo(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_clock_settime(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_settimeofday(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_prctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_personality(struct vj_proc *p, const uint64_t a[6]);

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
int64_t vj_sys_pidfd_open(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pidfd_send_signal(struct vj_proc *p, const uint64_t a[6]);

int64_t vj_sys_readv(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_writev(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_preadv(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pwritev(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_preadv2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pwritev2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_ioctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_open(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_openat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_openat2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mknod(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_clock_gettime(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_getrusage(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_times(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mknodat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_readlink(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_readlinkat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_fcntl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_select(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_ppoll(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_epoll_pwait(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_epoll_pwait2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pselect6(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_futex(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_close_range(struct vj_proc *p, const uint64_t a[6]);

int64_t vj_sys_msgsnd(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_msgrcv(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_msgctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_semctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_shmat(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_shmdt(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_shmctl(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_mq_notify(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_membarrier(struct vj_proc *p, const uint64_t a[6]);

/* A signal the kernel raises for the calling payload thread on its own behalf (SIGPIPE after
 * EPIPE): sent to that thread as Linux's send_sig does (signal.h). */
void vj_signal_default(struct vj_proc *p, int signo);

/* Vet a descriptor a pass-through call just gave the payload: one that reaches the monitor's
 * own memory or VM is closed and refused.  Returns FD or a negative errno. */
int64_t vj_fd_vet(struct vj_proc *p, int64_t fd);

/* The payload's RLIMIT_NOFILE (sys_limits.c): taken from the host's at the start (the host's
 * before, into SAVED), enforced by the monitor; is FD a number the limit allows? */
void vj_limits_init(struct vj_proc *p, struct rlimit *saved);
bool vj_nofile_allows(const struct vj_proc *p, int64_t fd);
/* /proc/self/limits as the payload reads it: the host's text HOST with the "Max open files"
 * line its own (pure, for the unit tests); and the whole of it for P (malloc'd). */
int vj_limits_text(const char *host, const struct rlimit *nofile, char **out, size_t *len);
int vj_limits_proc_text(const struct vj_proc *p, char **out, size_t *len);
int64_t vj_sys_prlimit64(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_getrlimit(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_setrlimit(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_dup2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_dup3(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pipe(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_pipe2(struct vj_proc *p, const uint64_t a[6]);
int64_t vj_sys_socketpair(struct vj_proc *p, const uint64_t a[6]);
/* Vet a descriptor the payload received from another process (SCM_RIGHTS): as vj_fd_vet, and
 * a directory on a mount outside the monitor's mount namespace (a host directory sent into a
 * sandbox) is closed and refused, since paths resolved from it would not be inside the root. */
int64_t vj_fd_vet_received(struct vj_proc *p, int64_t fd);

#endif
