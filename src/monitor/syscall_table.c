/* syscall_table.c: the one table that says how each Linux x86-64 syscall is served.
 *
 * PASS: the host performs the call; each argument is translated and checked as its type says
 *       (descriptors must be the payload's; memory must lie inside guest memory).
 * EMUL: a handler in sys_*.c serves it (memory, identity of the process, signals, and pass-
 *       through calls whose arguments hold pointers).  personality is emulated: the payload
 *       runs as PER_LINUX only (0xffffffff queries it and answers 0; setting 0 answers the
 *       previous, 0; any other persona is -EINVAL).  openat2 is openat's handler with its
 *       struct open_how copied; pidfd_send_signal keeps kill's guarantees (sys_signal.c).
 * PRIV: a call that needs a privilege vmjail never gives the payload (mounts, namespaces,
 *       modules, reboot, the clock, raw I/O, ...): answered -EPERM, as Linux answers a
 *       process without the capability (a container's): programs then say "not permitted".
 * Anything not listed is answered -ENOSYS.  Calls that would act on the monitor's own address
 * space, threads or descriptors (clone, execve, rseq, io_uring, userfaultfd, seccomp,
 * process_vm_*, ptrace, modify_ldt, ...) are deliberately not passed through.
 *
 * SysV IPC and POSIX message queues are the host's objects, in the IPC namespace the monitor
 * runs in (the host's without --root; the sandbox's own with it: docs/security.md).  msgget,
 * semget, shmget, semop, semtimedop (the sembuf array sized by nsops, taken from its low 32
 * bits, as the kernel does: a count over semopm is E2BIG before any read) and the mq_* calls
 * but mq_notify pass through: a queue's name is not a path, the kernel looks it up in its
 * namespace's own mqueue mount.  sys_ipc.c: msgsnd and msgrcv (the msgbuf: mtype and msgsz
 * bytes), msgctl, semctl and shmctl (each command's buffer as ipc_args.c says: a structure
 * of the 64-bit layout, GETALL and SETALL's array of the set's nsems, which IPC_STAT or
 * SEM_STAT_ANY gives, SETVAL's value; an unknown command, IPC_64 included, which x86-64
 * refuses, reaches the host with no usable pointer); mq_notify (SIGEV_SIGNAL becomes the
 * host's notification of the monitor with its own signal, which the signal thread turns into
 * the payload's, SI_MESGQ with the sender's pid; SIGEV_THREAD's kernel form, a netlink socket
 * and a 32-byte cookie, is copied and passed).  sys_shm.c: shmat maps the segment into guest
 * memory, never the monitor's address space: the monitor attaches it where the host chooses
 * (which pins it, so the size it reads next is the size of what is mapped) and the platform
 * moves that attachment into place (vm.h's vj_vm_mem_shm): on KVM it is the guest's memory
 * itself, as a MAP_SHARED file mapping is; on the process platform the stub attaches it too
 * (it shares the monitor's IPC namespace for this) and the monitor's attachment is its view,
 * as shared_process.c does with descriptors.  The address-space map records each attachment
 * (vma.h), so shmdt detaches what Linux would, a fork's child has the attachments (KVM: the
 * host fork's; the process platform: the child's stub attaches them again) and exec and the
 * process's end detach them.  shm_nattch counts host attachments: the process platform makes
 * two per attachment of the payload's, so shmctl tells the payload half, rounded up.  On KVM
 * the move sets the segment's shm_dtime at attach.
 *
 * membarrier: QUERY answers the host's commands less the rseq ones (rseq is ENOSYS, so
 * there is nothing to restart: they are EINVAL, as where the kernel has no rseq).  GLOBAL
 * (synchronize_rcu: every CPU passes a quiescent state, for a vCPU in guest mode as for a
 * thread in user mode) and GLOBAL_EXPEDITED (an IPI to every CPU running a registered
 * process) act on others whoever asks: passed.  The registrations and the PRIVATE_EXPEDITED
 * barriers (with SYNC_CORE) act on the caller's own process, and the monitor's is not always
 * the one whose threads run the payload's: on KVM it is (each vCPU runs on the host thread
 * that drives it, in the monitor's address space, and an IPI makes a vCPU in guest mode exit,
 * which serializes it as a return to user mode does), so the call is the monitor's; on the
 * process platform the payload's threads are the stub's, and the stub's control thread makes
 * the call (vj_vm_membarrier).  The monitor keeps the payload's registrations: EPERM before
 * one, as Linux; a fork's child keeps them (made again for its stub), an exec drops them. */
#include <stdint.h>
#include <sys/syscall.h>

#include "monitor/sys.h"

#define A(t) {VJ_A_##t, -1, 0}
#define M(t, sz) {VJ_A_##t, -1, sz}         /* fixed-size memory */
#define B(t, lenarg, sz) {VJ_A_##t, lenarg, sz} /* memory sized by argument LENARG */

#define PASS(nr, n, ...) [__NR_##nr] = {#nr, VJ_PASS, n, VJ_RET_INT, 0, {__VA_ARGS__}}
#define PASS_FD(nr, n, ...) [__NR_##nr] = {#nr, VJ_PASS, n, VJ_RET_FD, 0, {__VA_ARGS__}}
#define EMUL(nr, fn, n, ...) [__NR_##nr] = {#nr, VJ_EMUL, n, VJ_RET_INT, fn, {__VA_ARGS__}}
#define EMUL_HEX(nr, fn, n, ...) [__NR_##nr] = {#nr, VJ_EMUL, n, VJ_RET_HEX, fn, {__VA_ARGS__}}
#define EMUL_FD(nr, fn, n, ...) [__NR_##nr] = {#nr, VJ_EMUL, n, VJ_RET_FD, fn, {__VA_ARGS__}}
#define NOSYS(nr, n) [__NR_##nr] = {#nr, VJ_NOSYS, n, VJ_RET_INT, 0, {{0, 0, 0}}}
#define PRIV(nr, n) [__NR_##nr] = {#nr, VJ_PRIV, n, VJ_RET_INT, 0, {{0, 0, 0}}}

/* Sizes of the kernel structures passed by pointer. */
#define STAT 144
#define STATX 256
#define STATFS 120
#define TIMESPEC 16
#define TIMEVAL 16
#define UTIMBUF 16
#define ITIMERSPEC 32
#define ITIMERVAL 32
#define RLIMIT 16
#define RUSAGE 144
#define UTSNAME 390
#define TMS 32
#define SYSINFO 112
#define EPOLL_EVENT 12
#define POLLFD 8
#define SIGINFO 128
#define CAP_HEADER 8
#define CAP_DATA 24
#define SEMBUF 6
#define MQ_ATTR 64

const struct vj_syscall_desc vj_syscalls[VJ_NR_SYSCALLS] = {
    /* files and descriptors */
    PASS(read, 3, A(FD), B(OUT, 2, 1), A(ULONG)),
    PASS(write, 3, A(FD), B(IN, 2, 1), A(ULONG)),
    EMUL_FD(open, vj_sys_open, 3, A(PATH), A(HEX), A(OCT)),
    EMUL_FD(openat, vj_sys_openat, 4, A(DIRFD), A(PATH), A(HEX), A(OCT)),
    EMUL_FD(openat2, vj_sys_openat2, 4, A(DIRFD), A(PATH), A(HEX), A(ULONG)),
    PASS_FD(creat, 2, A(PATH), A(OCT)),
    PASS(close, 1, A(FD)),
    PASS(stat, 2, A(PATH), M(OUT, STAT)),
    PASS(fstat, 2, A(FD), M(OUT, STAT)),
    PASS(lstat, 2, A(PATH), M(OUT, STAT)),
    PASS(newfstatat, 4, A(DIRFD), A(PATH), M(OUT, STAT), A(HEX)),
    PASS(statx, 5, A(DIRFD), A(PATH), A(HEX), A(HEX), M(OUT, STATX)),
    PASS(lseek, 3, A(FD), A(LONG), A(INT)),
    PASS(pread64, 4, A(FD), B(OUT, 2, 1), A(ULONG), A(LONG)),
    PASS(pwrite64, 4, A(FD), B(IN, 2, 1), A(ULONG), A(LONG)),
    EMUL(readv, vj_sys_readv, 3, A(FD), A(HEX), A(INT)),
    EMUL(writev, vj_sys_writev, 3, A(FD), A(HEX), A(INT)),
    EMUL(preadv, vj_sys_preadv, 5, A(FD), A(HEX), A(INT), A(LONG), A(LONG)),
    EMUL(pwritev, vj_sys_pwritev, 5, A(FD), A(HEX), A(INT), A(LONG), A(LONG)),
    EMUL(preadv2, vj_sys_preadv2, 6, A(FD), A(HEX), A(INT), A(LONG), A(LONG), A(HEX)),
    EMUL(pwritev2, vj_sys_pwritev2, 6, A(FD), A(HEX), A(INT), A(LONG), A(LONG), A(HEX)),
    PASS(access, 2, A(PATH), A(OCT)),
    PASS(faccessat, 3, A(DIRFD), A(PATH), A(OCT)),
    PASS(faccessat2, 4, A(DIRFD), A(PATH), A(OCT), A(HEX)),
    EMUL(pipe, vj_sys_pipe, 1, M(OUT, 8)),
    EMUL(pipe2, vj_sys_pipe2, 2, M(OUT, 8), A(HEX)),
    PASS_FD(dup, 1, A(FD)),
    EMUL(dup2, vj_sys_dup2, 2, A(FD), A(FD)),
    EMUL(dup3, vj_sys_dup3, 3, A(FD), A(FD), A(HEX)),
    EMUL(fcntl, vj_sys_fcntl, 3, A(FD), A(INT), A(HEX)),
    EMUL(ioctl, vj_sys_ioctl, 3, A(FD), A(HEX), A(HEX)),
    PASS(flock, 2, A(FD), A(INT)),
    PASS(fsync, 1, A(FD)),
    PASS(fdatasync, 1, A(FD)),
    PASS(sync_file_range, 4, A(FD), A(ULONG), A(ULONG), A(HEX)),
    PASS(sync, 0),
    PASS(syncfs, 1, A(FD)),
    PASS(truncate, 2, A(PATH), A(LONG)),
    PASS(ftruncate, 2, A(FD), A(LONG)),
    PASS(fallocate, 4, A(FD), A(INT), A(LONG), A(LONG)),
    PASS(fadvise64, 4, A(FD), A(LONG), A(LONG), A(INT)),
    PASS(readahead, 3, A(FD), A(LONG), A(ULONG)),
    EMUL(getdents64, vj_sys_getdents64, 3, A(FD), B(OUT, 2, 1), A(ULONG)),
    PASS(getcwd, 2, B(OUT, 1, 1), A(ULONG)),
    PASS(chdir, 1, A(PATH)),
    PASS(fchdir, 1, A(FD)),
    PASS(rename, 2, A(PATH), A(PATH)),
    PASS(renameat, 4, A(DIRFD), A(PATH), A(DIRFD), A(PATH)),
    PASS(renameat2, 5, A(DIRFD), A(PATH), A(DIRFD), A(PATH), A(HEX)),
    PASS(mkdir, 2, A(PATH), A(OCT)),
    EMUL(mknod, vj_sys_mknod, 3, A(PATH), A(OCT), A(HEX)),
    EMUL(mknodat, vj_sys_mknodat, 4, A(DIRFD), A(PATH), A(OCT), A(HEX)),
    PASS(mkdirat, 3, A(DIRFD), A(PATH), A(OCT)),
    PASS(rmdir, 1, A(PATH)),
    PASS(link, 2, A(PATH), A(PATH)),
    PASS(linkat, 5, A(DIRFD), A(PATH), A(DIRFD), A(PATH), A(HEX)),
    PASS(unlink, 1, A(PATH)),
    PASS(unlinkat, 3, A(DIRFD), A(PATH), A(HEX)),
    PASS(symlink, 2, A(PATH), A(PATH)),
    PASS(symlinkat, 3, A(PATH), A(DIRFD), A(PATH)),
    EMUL(readlink, vj_sys_readlink, 3, A(PATH), B(OUT, 2, 1), A(ULONG)),
    EMUL(readlinkat, vj_sys_readlinkat, 4, A(DIRFD), A(PATH), B(OUT, 3, 1), A(ULONG)),
    PASS(chmod, 2, A(PATH), A(OCT)),
    PASS(fchmod, 2, A(FD), A(OCT)),
    PASS(fchmodat, 3, A(DIRFD), A(PATH), A(OCT)),
    PASS(chown, 3, A(PATH), A(INT), A(INT)),
    PASS(fchown, 3, A(FD), A(INT), A(INT)),
    PASS(lchown, 3, A(PATH), A(INT), A(INT)),
    PASS(fchownat, 5, A(DIRFD), A(PATH), A(INT), A(INT), A(HEX)),
    PASS(umask, 1, A(OCT)),
    PASS(utimensat, 4, A(DIRFD), A(PATH), M(IN, 2 * TIMESPEC), A(HEX)),
    PASS(utime, 2, A(PATH), M(IN, UTIMBUF)),
    PASS(utimes, 2, A(PATH), M(IN, 2 * TIMEVAL)),
    PASS(futimesat, 3, A(DIRFD), A(PATH), M(IN, 2 * TIMEVAL)),
    PASS(statfs, 2, A(PATH), M(OUT, STATFS)),
    PASS(fstatfs, 2, A(FD), M(OUT, STATFS)),
    PASS(sendfile, 4, A(FD), A(FD), M(INOUT, 8), A(ULONG)),
    PASS(copy_file_range, 6, A(FD), M(INOUT, 8), A(FD), M(INOUT, 8), A(ULONG), A(HEX)),
    PASS(splice, 6, A(FD), M(INOUT, 8), A(FD), M(INOUT, 8), A(ULONG), A(HEX)),
    PASS(tee, 4, A(FD), A(FD), A(ULONG), A(HEX)),
    /* extended attributes: the name is a string the kernel reads (as a path is), the value
     * or list a buffer of the size argument's bytes */
    PASS(setxattr, 5, A(PATH), A(PATH), B(IN, 3, 1), A(ULONG), A(HEX)),
    PASS(lsetxattr, 5, A(PATH), A(PATH), B(IN, 3, 1), A(ULONG), A(HEX)),
    PASS(fsetxattr, 5, A(FD), A(PATH), B(IN, 3, 1), A(ULONG), A(HEX)),
    PASS(getxattr, 4, A(PATH), A(PATH), B(OUT, 3, 1), A(ULONG)),
    PASS(lgetxattr, 4, A(PATH), A(PATH), B(OUT, 3, 1), A(ULONG)),
    PASS(fgetxattr, 4, A(FD), A(PATH), B(OUT, 3, 1), A(ULONG)),
    PASS(listxattr, 3, A(PATH), B(OUT, 2, 1), A(ULONG)),
    PASS(llistxattr, 3, A(PATH), B(OUT, 2, 1), A(ULONG)),
    PASS(flistxattr, 3, A(FD), B(OUT, 2, 1), A(ULONG)),
    PASS(removexattr, 2, A(PATH), A(PATH)),
    PASS(lremovexattr, 2, A(PATH), A(PATH)),
    PASS(fremovexattr, 2, A(FD), A(PATH)),
    PASS_FD(memfd_create, 2, A(PATH), A(HEX)),
    EMUL(close_range, vj_sys_close_range, 3, A(INT), A(INT), A(HEX)),

    /* waiting for descriptors, events and timers */
    PASS(poll, 3, B(INOUT, 1, POLLFD), A(ULONG), A(INT)),
    EMUL(ppoll, vj_sys_ppoll, 5, A(HEX), A(ULONG), A(HEX), A(HEX), A(ULONG)),
    EMUL(select, vj_sys_select, 5, A(INT), A(HEX), A(HEX), A(HEX), A(HEX)),
    EMUL(pselect6, vj_sys_pselect6, 6, A(INT), A(HEX), A(HEX), A(HEX), A(HEX), A(HEX)),
    PASS_FD(epoll_create, 1, A(INT)),
    PASS_FD(epoll_create1, 1, A(HEX)),
    PASS(epoll_ctl, 4, A(FD), A(INT), A(FD), M(IN, EPOLL_EVENT)),
    PASS(epoll_wait, 4, A(FD), B(OUT, 2, EPOLL_EVENT), A(INT), A(INT)),
    EMUL(epoll_pwait, vj_sys_epoll_pwait, 6, A(FD), A(HEX), A(INT), A(INT), A(HEX), A(ULONG)),
    EMUL(epoll_pwait2, vj_sys_epoll_pwait2, 6, A(FD), A(HEX), A(INT), A(HEX), A(HEX), A(ULONG)),
    PASS_FD(eventfd, 1, A(ULONG)),
    PASS_FD(eventfd2, 2, A(ULONG), A(HEX)),
    PASS_FD(timerfd_create, 2, A(INT), A(HEX)),
    PASS(timerfd_settime, 4, A(FD), A(HEX), M(IN, ITIMERSPEC), M(OUT, ITIMERSPEC)),
    PASS(timerfd_gettime, 2, A(FD), M(OUT, ITIMERSPEC)),
    PASS_FD(inotify_init, 0),
    PASS_FD(inotify_init1, 1, A(HEX)),
    PASS(inotify_add_watch, 3, A(FD), A(PATH), A(HEX)),
    PASS(inotify_rm_watch, 2, A(FD), A(INT)),

    /* sockets whose arguments carry no pointers to pointers */
    PASS_FD(socket, 3, A(INT), A(HEX), A(INT)),
    EMUL(socketpair, vj_sys_socketpair, 4, A(INT), A(HEX), A(INT), M(OUT, 8)),
    PASS(bind, 3, A(FD), B(IN, 2, 1), A(ULONG)),
    PASS(connect, 3, A(FD), B(IN, 2, 1), A(ULONG)),
    PASS(listen, 2, A(FD), A(INT)),
    PASS_FD(accept, 3, A(FD), B(OUTL, 2, 0), M(INOUT, 4)),
    PASS_FD(accept4, 4, A(FD), B(OUTL, 2, 0), M(INOUT, 4), A(HEX)),
    PASS(shutdown, 2, A(FD), A(INT)),
    PASS(sendto, 6, A(FD), B(IN, 2, 1), A(ULONG), A(HEX), B(IN, 5, 1), A(ULONG)),
    PASS(recvfrom, 6, A(FD), B(OUT, 2, 1), A(ULONG), A(HEX), B(OUTL, 5, 0), M(INOUT, 4)),
    PASS(getsockname, 3, A(FD), B(OUTL, 2, 0), M(INOUT, 4)),
    PASS(getpeername, 3, A(FD), B(OUTL, 2, 0), M(INOUT, 4)),
    PASS(setsockopt, 5, A(FD), A(INT), A(INT), B(IN, 4, 1), A(ULONG)),
    PASS(getsockopt, 5, A(FD), A(INT), A(INT), B(OUTL, 4, 0), M(INOUT, 4)),

    /* memory */
    EMUL_HEX(brk, vj_sys_brk, 1, A(HEX)),
    EMUL_HEX(mmap, vj_sys_mmap, 6, A(HEX), A(ULONG), A(HEX), A(HEX), A(INT), A(HEX)),
    EMUL(munmap, vj_sys_munmap, 2, A(HEX), A(ULONG)),
    EMUL(mprotect, vj_sys_mprotect, 3, A(HEX), A(ULONG), A(HEX)),
    EMUL_HEX(mremap, vj_sys_mremap, 5, A(HEX), A(ULONG), A(ULONG), A(HEX), A(HEX)),
    EMUL(madvise, vj_sys_madvise, 3, A(HEX), A(ULONG), A(INT)),
    EMUL(msync, vj_sys_msync, 3, A(HEX), A(ULONG), A(HEX)),
    EMUL(mincore, vj_sys_mincore, 3, A(HEX), A(ULONG), A(HEX)),
    EMUL(mlock, vj_sys_mlock, 2, A(HEX), A(ULONG)),
    EMUL(munlock, vj_sys_mlock, 2, A(HEX), A(ULONG)),
    EMUL(mlockall, vj_sys_ok, 1, A(HEX)),
    EMUL(munlockall, vj_sys_ok, 0),

    /* the process and its identity */
    EMUL(exit, vj_sys_exit, 1, A(INT)),
    EMUL(exit_group, vj_sys_exit_group, 1, A(INT)),
    EMUL(clone, vj_sys_clone, 5, A(HEX), A(HEX), A(HEX), A(HEX), A(HEX)),
    EMUL(fork, vj_sys_fork, 0),
    EMUL(vfork, vj_sys_vfork, 0),
    EMUL(execve, vj_sys_execve, 3, A(PATH), A(HEX), A(HEX)),
    EMUL(execveat, vj_sys_execveat, 5, A(DIRFD), A(PATH), A(HEX), A(HEX), A(HEX)),
    EMUL(arch_prctl, vj_sys_arch_prctl, 2, A(HEX), A(HEX)),
    EMUL(set_tid_address, vj_sys_set_tid_address, 1, A(HEX)),
    EMUL(set_robust_list, vj_sys_set_robust_list, 2, A(HEX), A(ULONG)),
    EMUL(uname, vj_sys_uname, 1, A(HEX)),
    EMUL(prctl, vj_sys_prctl, 5, A(INT), A(HEX), A(HEX), A(HEX), A(HEX)),
    EMUL(personality, vj_sys_personality, 1, A(HEX)),
    PASS(getpid, 0),
    PASS(getppid, 0),
    PASS(gettid, 0),
    PASS(getuid, 0),
    PASS(geteuid, 0),
    PASS(getgid, 0),
    PASS(getegid, 0),
    PASS(getresuid, 3, M(OUT, 4), M(OUT, 4), M(OUT, 4)),
    PASS(getresgid, 3, M(OUT, 4), M(OUT, 4), M(OUT, 4)),
    PASS(getgroups, 2, A(INT), B(OUT, 0, 4)),
    PASS(setuid, 1, A(INT)),
    PASS(setgid, 1, A(INT)),
    PASS(setreuid, 2, A(INT), A(INT)),
    PASS(setregid, 2, A(INT), A(INT)),
    PASS(setresuid, 3, A(INT), A(INT), A(INT)),
    PASS(setresgid, 3, A(INT), A(INT), A(INT)),
    PASS(setgroups, 2, A(INT), B(IN, 0, 4)),
    PASS(getpgrp, 0),
    PASS(getpgid, 1, A(INT)),
    PASS(setpgid, 2, A(INT), A(INT)),
    PASS(getsid, 1, A(INT)),
    PASS(setsid, 0),
    PASS(capget, 2, M(INOUT, CAP_HEADER), M(OUT, CAP_DATA)),
    PASS(capset, 2, M(INOUT, CAP_HEADER), M(IN, CAP_DATA)),
    EMUL(getrlimit, vj_sys_getrlimit, 2, A(INT), M(OUT, RLIMIT)),
    EMUL(setrlimit, vj_sys_setrlimit, 2, A(INT), M(IN, RLIMIT)),
    EMUL(prlimit64, vj_sys_prlimit64, 4, A(INT), A(INT), M(IN, RLIMIT), M(OUT, RLIMIT)),
    EMUL(getrusage, vj_sys_getrusage, 2, A(INT), M(OUT, RUSAGE)),
    PASS(getpriority, 2, A(INT), A(INT)),
    PASS(setpriority, 3, A(INT), A(INT), A(INT)),
    PASS(sched_yield, 0),
    PASS(sched_getaffinity, 3, A(INT), A(ULONG), B(OUT, 1, 1)),
    PASS(sched_setaffinity, 3, A(INT), A(ULONG), B(IN, 1, 1)),
    PASS(getcpu, 3, M(OUT, 4), M(OUT, 4), A(HEX)),
    EMUL(sysinfo, vj_sys_sysinfo, 1, M(OUT, SYSINFO)),
    EMUL(wait4, vj_sys_wait4, 4, A(INT), M(OUT, 4), A(HEX), M(OUT, RUSAGE)),
    EMUL(waitid, vj_sys_waitid, 5, A(INT), A(INT), M(OUT, SIGINFO), A(HEX), M(OUT, RUSAGE)),

    /* time */
    EMUL(clock_gettime, vj_sys_clock_gettime, 2, A(INT), M(OUT, TIMESPEC)),
    PASS(clock_getres, 2, A(INT), M(OUT, TIMESPEC)),
    EMUL(clock_settime, vj_sys_clock_settime, 2, A(INT), A(HEX)),
    EMUL(settimeofday, vj_sys_settimeofday, 2, A(HEX), A(HEX)),
    PASS(clock_nanosleep, 4, A(INT), A(HEX), M(IN, TIMESPEC), M(OUT, TIMESPEC)),
    PASS(gettimeofday, 2, M(OUT, TIMEVAL), M(OUT, 8)),
    PASS(time, 1, M(OUT, 8)),
    PASS(nanosleep, 2, M(IN, TIMESPEC), M(OUT, TIMESPEC)),
    EMUL(times, vj_sys_times, 1, M(OUT, TMS)),
    EMUL(getitimer, vj_sys_getitimer, 2, A(INT), A(HEX)),
    EMUL(setitimer, vj_sys_setitimer, 3, A(INT), A(HEX), A(HEX)),
    EMUL(alarm, vj_sys_alarm, 1, A(ULONG)),
    EMUL(pause, vj_sys_pause, 0),
    PASS(getrandom, 3, B(OUT, 1, 1), A(ULONG), A(HEX)),
    EMUL(futex, vj_sys_futex, 6, A(HEX), A(INT), A(INT), A(HEX), A(HEX), A(INT)),

    /* signals */
    EMUL(rt_sigaction, vj_sys_rt_sigaction, 4, A(INT), A(HEX), A(HEX), A(ULONG)),
    EMUL(rt_sigprocmask, vj_sys_rt_sigprocmask, 4, A(INT), A(HEX), A(HEX), A(ULONG)),
    EMUL(rt_sigpending, vj_sys_rt_sigpending, 2, A(HEX), A(ULONG)),
    EMUL(sigaltstack, vj_sys_sigaltstack, 2, A(HEX), A(HEX)),
    EMUL(kill, vj_sys_kill, 2, A(INT), A(INT)),
    EMUL(tkill, vj_sys_tkill, 2, A(INT), A(INT)),
    EMUL(tgkill, vj_sys_tgkill, 3, A(INT), A(INT), A(INT)),
    EMUL(rt_sigreturn, vj_sys_rt_sigreturn, 0),
    EMUL(rt_sigsuspend, vj_sys_rt_sigsuspend, 2, A(HEX), A(ULONG)),
    EMUL(rt_sigtimedwait, vj_sys_rt_sigtimedwait, 4, A(HEX), A(HEX), A(HEX), A(ULONG)),
    EMUL(rt_sigqueueinfo, vj_sys_rt_sigqueueinfo, 3, A(INT), A(INT), A(HEX)),
    EMUL(rt_tgsigqueueinfo, vj_sys_rt_tgsigqueueinfo, 4, A(INT), A(INT), A(INT), A(HEX)),
    EMUL_FD(pidfd_open, vj_sys_pidfd_open, 2, A(INT), A(HEX)),
    EMUL(pidfd_send_signal, vj_sys_pidfd_send_signal, 4, A(FD), A(INT), A(HEX), A(HEX)),
    EMUL_FD(signalfd, vj_sys_signalfd, 3, A(INT), A(HEX), A(ULONG)),
    EMUL_FD(signalfd4, vj_sys_signalfd4, 4, A(INT), A(HEX), A(ULONG), A(HEX)),
    EMUL(timer_create, vj_sys_timer_create, 3, A(INT), A(HEX), A(HEX)),
    EMUL(timer_settime, vj_sys_timer_settime, 4, A(INT), A(HEX), A(HEX), A(HEX)),
    EMUL(timer_gettime, vj_sys_timer_gettime, 2, A(INT), A(HEX)),
    EMUL(timer_getoverrun, vj_sys_timer_getoverrun, 1, A(INT)),
    EMUL(timer_delete, vj_sys_timer_delete, 1, A(INT)),

    /* sockets: messages with nested pointers and descriptors passed in them */
    EMUL(sendmsg, vj_sys_sendmsg, 3, A(FD), A(HEX), A(HEX)),
    EMUL(recvmsg, vj_sys_recvmsg, 3, A(FD), A(HEX), A(HEX)),
    EMUL(sendmmsg, vj_sys_sendmmsg, 4, A(FD), A(HEX), A(UINT), A(HEX)),
    EMUL(recvmmsg, vj_sys_recvmmsg, 5, A(FD), A(HEX), A(UINT), A(HEX), A(HEX)),

    /* SysV IPC and POSIX message queues: the host's objects (sys_ipc.c, sys_shm.c) */
    PASS(msgget, 2, A(INT), A(HEX)),
    EMUL(msgsnd, vj_sys_msgsnd, 4, A(INT), A(HEX), A(ULONG), A(HEX)),
    EMUL(msgrcv, vj_sys_msgrcv, 5, A(INT), A(HEX), A(ULONG), A(LONG), A(HEX)),
    EMUL(msgctl, vj_sys_msgctl, 3, A(INT), A(INT), A(HEX)),
    PASS(semget, 3, A(INT), A(INT), A(HEX)),
    PASS(semop, 3, A(INT), B(IN, 2, SEMBUF), A(UINT)),
    PASS(semtimedop, 4, A(INT), B(IN, 2, SEMBUF), A(UINT), M(IN, TIMESPEC)),
    EMUL(semctl, vj_sys_semctl, 4, A(INT), A(INT), A(INT), A(HEX)),
    PASS(shmget, 3, A(INT), A(ULONG), A(HEX)),
    EMUL_HEX(shmat, vj_sys_shmat, 3, A(INT), A(HEX), A(HEX)),
    EMUL(shmdt, vj_sys_shmdt, 1, A(HEX)),
    EMUL(shmctl, vj_sys_shmctl, 3, A(INT), A(INT), A(HEX)),
    PASS_FD(mq_open, 4, A(PATH), A(HEX), A(OCT), M(IN, MQ_ATTR)),
    PASS(mq_unlink, 1, A(PATH)),
    PASS(mq_timedsend, 5, A(FD), B(IN, 2, 1), A(ULONG), A(UINT), M(IN, TIMESPEC)),
    PASS(mq_timedreceive, 5, A(FD), B(OUT, 2, 1), A(ULONG), M(OUT, 4), M(IN, TIMESPEC)),
    EMUL(mq_notify, vj_sys_mq_notify, 2, A(FD), A(HEX)),
    PASS(mq_getsetattr, 3, A(FD), M(IN, MQ_ATTR), M(OUT, MQ_ATTR)),
    EMUL(membarrier, vj_sys_membarrier, 3, A(INT), A(HEX), A(INT)),

    /* served in later steps (processes): refused for now; clone3 makes glibc fall back to
     * clone, rseq makes it do without */
    NOSYS(clone3, 2),
    NOSYS(rseq, 4),
    /* never passed through: they act on the monitor's own memory, threads or descriptors */
    NOSYS(ptrace, 4),
    NOSYS(process_vm_readv, 6),
    NOSYS(process_vm_writev, 6),
    NOSYS(userfaultfd, 1),
    NOSYS(io_uring_setup, 2),
    NOSYS(io_setup, 2),
    NOSYS(seccomp, 3),
    NOSYS(modify_ldt, 3),
    NOSYS(pidfd_getfd, 3),
    NOSYS(vmsplice, 4),
    NOSYS(remap_file_pages, 5),
    NOSYS(get_robust_list, 3),
    NOSYS(restart_syscall, 0),
    /* privileged: the mount table, namespaces and root, the machine (modules, reboot, swap,
     * the clock, raw I/O, kernel logs and tracing); never made for the payload */
    PRIV(mount, 5),
    PRIV(umount2, 2),
    PRIV(pivot_root, 2),
    PRIV(chroot, 1),
    PRIV(unshare, 1),
    PRIV(setns, 2),
    PRIV(fsopen, 2),
    PRIV(fsconfig, 5),
    PRIV(fsmount, 3),
    PRIV(fspick, 3),
    PRIV(move_mount, 5),
    PRIV(open_tree, 3),
    PRIV(mount_setattr, 5),
    PRIV(sethostname, 2),
    PRIV(setdomainname, 2),
    PRIV(reboot, 4),
    PRIV(init_module, 3),
    PRIV(finit_module, 3),
    PRIV(delete_module, 2),
    PRIV(kexec_load, 4),
    PRIV(kexec_file_load, 5),
    PRIV(swapon, 2),
    PRIV(swapoff, 1),
    PRIV(acct, 1),
    PRIV(clock_adjtime, 2),
    PRIV(adjtimex, 1),
    PRIV(iopl, 1),
    PRIV(ioperm, 3),
    PRIV(syslog, 3),
    PRIV(quotactl, 4),
    PRIV(open_by_handle_at, 3),
    PRIV(bpf, 3),
    PRIV(perf_event_open, 5),
    PRIV(fanotify_init, 2),
    PRIV(vhangup, 0),
};
