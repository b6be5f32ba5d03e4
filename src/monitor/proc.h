/* proc.h: the guest process: its VM, address space, and the state the emulated syscalls keep
 * (brk, signal dispositions, exit status).  Shared by the loader, the syscall handlers and the
 * run loop. */
#ifndef VJ_PROC_H
#define VJ_PROC_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "host/vm.h"
#include "monitor/vma.h"
#include "vmjail.h"
#include "vmjail_abi.h"

#define VJ_NSIG 65

struct vj_proc;
struct vj_fast_thread;
struct vj_signalfds;
struct vj_ptimer;
struct vj_mq_notify;
struct vj_snap_req;
struct vj_gdb;
struct vj_gdb_thread;

/* One queued instance of a signal, with its siginfo (signal.c). */
struct vj_sigqueued {
    struct vj_sigqueued *next;
    siginfo_t info;
};

/* Signals pending for a thread or for the process: each signal in SET has one queued
 * instance or, for real-time signals, several (in order); under proc->lock. */
struct vj_sigpending {
    uint64_t set;
    struct vj_sigqueued *head;
};

/* One payload thread: a vCPU driven by one host thread. */
struct vj_thread {
    struct vj_proc *proc;
    struct vj_vcpu *vcpu;
    pthread_t host;          /* the host thread running it */
    pid_t tid;               /* its host thread id, which is the payload's tid */
    uint64_t clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID */
    bool exited;             /* the payload thread ended */
    bool killed;             /* another thread's exec ends this one (under proc->lock) */

    /* Signals (signal.c); under proc->lock unless said otherwise. */
    uint64_t sigmask;        /* blocked signals */
    struct vj_sigpending pending; /* signals sent to this thread */
    uint64_t saved_mask;     /* the mask a temporary one (sigsuspend) replaced ... */
    bool restore_mask;       /* ... while this is set */
    int sigflag;             /* atomic: look at signals before resuming (vj_signal_check) */
    bool need_kick;          /* woken for a signal it has not looked at yet: wake it again */
    bool waiting;            /* waiting in the monitor for a signal (p->sigcond) */
    uint64_t waitset;        /* rt_sigtimedwait: blocked signals it waits for */
    bool sigreturned;        /* rt_sigreturn set the user context (this thread only) */
    uint64_t ss_sp, ss_size; /* sigaltstack (this thread only) */
    int ss_flags;
    uint64_t trapno, fault_err, cr2; /* the last fault, for signal frames (this thread only) */
    struct vj_fast_thread *fast; /* its poller, once it has one (fastcall.c; this thread only) */
    uint64_t fast_first_ns;  /* its last call a poller could have served, before it had one */
    unsigned fast_streak;    /* such calls in a row, each soon after the one before */
    struct vj_vcpu_snapshot *core; /* its state as it stopped, for a core file (coredump.c) */
    struct vj_gdb_thread *gdb; /* its state for gdb (gdb_target.c), or NULL */
};

/* The payload thread the calling host thread runs (NULL outside a payload thread). */
extern __thread struct vj_thread *vj_self;

#define VJ_KEPT_FDS 8 /* vmjail_config_keep_fd's limit */

struct vj_proc {
    struct vj_vm *vm;
    uint8_t *mem;      /* host address of guest address 0 */
    uint64_t mem_size; /* payload memory is [VJ_GUEST_MIN, mem_size) */
    struct vj_vmas vmas;

    uint64_t brk_start, brk_cur; /* the heap: [brk_start, brk_cur) is mapped */
    uint64_t mmap_top;           /* mmap places ranges top-down below this */
    uint64_t stack_lo, stack_hi; /* the initial stack */

    uint64_t auxv_gva;           /* the aux vector on the initial stack, and its size */
    uint64_t auxv_len;
    char *exe;                   /* /proc/self/exe: the program's absolute path */
    char *cmdline, *environ;     /* /proc/self/cmdline and environ: NUL-separated */
    size_t cmdline_len, environ_len;
    bool proctitle; /* show the payload's argv as the monitor's own command line */
    uint64_t image_lo, image_hi; /* where the program and its interpreter are, for maps */
    uint64_t interp_lo, interp_hi;
    char *interp;                /* the interpreter's path, or NULL */
    struct vj_file_map *file_maps; /* names of file mappings, for maps (procfs.c) */
    int published_fd;            /* exe, cmdline, environ for other monitors, or 0 (procfs.c) */
    size_t nfile_maps;

    pthread_mutex_t mm_lock;     /* the address space: vmas, brk, host mappings */
    pthread_mutex_t lock;        /* threads, dispositions, the end of the process */
    pthread_cond_t ended;        /* signalled when the process ends */
    struct vj_thread **threads;  /* every thread started, ended ones included */
    size_t nthreads, cap_threads;
    int live;                    /* threads that have not ended */
    vmjail_error *error;         /* a monitor failure in some thread, ends the process */

    struct sigaction sigact[VJ_NSIG]; /* dispositions: struct vj_ksigaction (signal.h) */
    struct vj_sigpending shared_pending; /* signals sent to the process (under lock) */
    pthread_cond_t sigcond;      /* with lock: a signal was queued or the process ended */
    /* The rest of the signals' bookkeeping, under lock. */
    int sig_queued;              /* siginfo instances queued in the process (signal.c) */
    size_t sig_next_pick;        /* the thread after which the next process signal looks */
    bool sig_rekick;             /* the signal thread kicks threads again (signal_host.c) */
    struct vj_signalfds *signalfds; /* the payload's signalfds, or NULL (signalfd.c) */
    struct vj_ptimer *timers;    /* the payload's POSIX timers (sys_timer.c) ... */
    int ntimers;                 /* ... and the room for them */

    bool fast_on;       /* the fast syscall path is on (fastcall.c) */
    bool fast_adapt;    /* ... and its pollers step aside when another thread wants their core */
    int fast_ncpus;     /* online CPUs */
    uint32_t fast_next; /* offset of the next free trampoline in the low window's code */
    unsigned fast_patched; /* syscall sites patched */

    uint32_t shm_attaches;       /* SysV shmat calls made (their vma.h attachment numbers) */
    struct vj_mq_notify *mq_notify; /* message queue notifications asked (sys_ipc.c) ... */
    int n_mq_notify;             /* ... and the room for them; under lock */
    uint32_t membarrier_reg;     /* the membarrier registrations made (REGISTER_* bits) */

    struct rlimit nofile; /* the payload's RLIMIT_NOFILE (sys_limits.c); the monitor's is its hard */
    bool nofile_kept;     /* ... kept (vj_limits_init ran; not in the unit tests' processes) */
    int trace_fd;       /* --trace output, or -1 */
    int kept_fds[VJ_KEPT_FDS]; /* the caller's descriptors kept from the payload */
    int n_kept_fds;
    bool mem_broken;    /* the host mapping of guest memory could not be restored */
    bool forked;        /* this monitor is a fork of another: a payload process's child */
    bool core_dumped;   /* its end wrote a core file (coredump.c; kept out of the public
                         * struct vmjail_result, whose size is the library's ABI) */
    bool not_dumpable;  /* the payload's PR_SET_DUMPABLE 0 (sys_proc.c); exec clears it */
    bool no_new_privs;  /* the payload set PR_SET_NO_NEW_PRIVS (sys_proc.c); kept for good */
    bool exited;        /* the payload ended: see result (read it under lock) */
    struct vmjail_result result;
    /* Core dumps (coredump.c): where (NULL: core_pattern's place), whether at all, and the
     * signal that ended the process and the thread it ended (under lock). */
    const char *core_path;
    bool core_off;
    /* Snapshots (snapshot.h): what --snapshot-at asks, or NULL; a payload restored from one. */
    struct vj_snap_req *snap_req;
    bool snap_restored;
    pid_t snap_tid;     /* restored: the snapshotted thread's tid, which the first thread takes */
    siginfo_t core_info;
    pid_t core_tid;
    struct vj_gdb *gdb; /* the gdb stub (--gdb, gdb_target.c), or NULL */
};

/* True if FD is one of the monitor's own descriptors, which the payload may not use. */
static inline bool vj_monitor_fd(const struct vj_proc *p, int fd)
{
    if (fd < 0)
        return false;
    for (int i = 0; i < p->n_kept_fds; i++)
        if (fd == p->kept_fds[i])
            return true;
    return (p->trace_fd >= 0 && fd == p->trace_fd) || vj_vm_owns_fd(p->vm, fd);
}

/* Guest pointers.  The payload's memory is [VJ_GUEST_MIN, mem_size); every check is
 * overflow-safe. */

/* True if [gva, gva + len) lies inside payload memory. */
static inline bool vj_guest_range_ok(const struct vj_proc *p, uint64_t gva, uint64_t len)
{
    return gva >= VJ_GUEST_MIN && len <= p->mem_size && gva <= p->mem_size - len;
}

/* Host address of guest range [gva, gva + len), or NULL if it is not inside payload memory.
 * The range may still be inaccessible (unmapped or protected): only the host kernel or the
 * vj_copy_* functions may touch it. */
static inline void *vj_guest_ptr(const struct vj_proc *p, uint64_t gva, uint64_t len)
{
    return vj_guest_range_ok(p, gva, len) ? p->mem + gva : NULL;
}

/* A host address that is never valid: handed to the host kernel in place of a guest pointer
 * that fails the check, so the host reports EFAULT exactly where Linux would. */
#define VJ_BAD_HOST_PTR ((void *)0x8000000000000000ULL)

/* Host pointer for a guest pointer argument: NULL stays NULL, a bad pointer becomes
 * VJ_BAD_HOST_PTR.  LEN 0 checks only the start. */
void *vj_guest_arg(const struct vj_proc *p, uint64_t gva, uint64_t len);

/* Copy between the monitor and guest memory; safe on unmapped or protected guest pages.
 * Return 0 or -EFAULT. */
int vj_copy_from_guest(const struct vj_proc *p, void *dst, uint64_t gva, uint64_t len);
int vj_copy_to_guest(const struct vj_proc *p, uint64_t gva, const void *src, uint64_t len);
/* Copy a NUL-terminated guest string of at most MAX-1 bytes into DST.  Returns its length,
 * -EFAULT, or -ENAMETOOLONG. */
long vj_strncpy_from_guest(const struct vj_proc *p, char *dst, uint64_t gva, uint64_t max);


#endif
