/* syscall_reasons.c: why a Linux x86-64 syscall is refused (EPERM) or answered ENOSYS, per number.
 *
 * The serving table (syscall_table.c) says how each call is served; this one says, in a line,
 * why a call is not: for every PRIV and NOSYS entry of that table, and for calls the table does
 * not list whose absence is deliberate or planned.  The monitor never reads it while serving
 * a call: docs/syscalls.md is generated from both tables (scripts/syscall-doc), and the unit
 * tests hold them together (a reason for every refusal, none for a call that is served). */
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "monitor/syscall.h"

#define OWN_MEMORY "would act on the monitor's own memory or threads, which the payload shares no part of"
#define MOUNTS "the mount table, namespaces and root are the runtime's to set (CAP_SYS_ADMIN)"
#define MACHINE "acts on the whole machine, never made for the payload"
#define OBSOLETE "obsolete: Linux itself answers ENOSYS"
#define TIMESET "sets the host's clock (CAP_SYS_TIME), never made for the payload"

static const char *const reasons[VJ_NR_SYSCALLS] = {
    /* NOSYS in the table: served in later steps */
    [__NR_clone3] = "not served yet: glibc falls back to clone, which is served",
    [__NR_rseq] = "not served yet: glibc does without restartable sequences",
    /* NOSYS in the table: never passed through */
    [__NR_ptrace] = "would let the payload trace and change host processes, the monitor's own included",
    [__NR_process_vm_readv] = "pid-addressed access to another process's memory: " OWN_MEMORY,
    [__NR_process_vm_writev] = "pid-addressed access to another process's memory: " OWN_MEMORY,
    [__NR_userfaultfd] = "page faults of guest memory are the monitor's own: " OWN_MEMORY,
    [__NR_io_uring_setup] = "the ring is shared memory the kernel reads pointers from unchecked: " OWN_MEMORY,
    [__NR_io_setup] = "Linux AIO reads iocb pointers unchecked: " OWN_MEMORY "; glibc's POSIX AIO uses threads instead",
    [__NR_seccomp] = "the host call would install the filter on the monitor's own thread, not on the payload",
    [__NR_modify_ldt] = "segment descriptors are the monitor's (KVM: the VM's GDT); 64-bit code does not need them",
    [__NR_pidfd_getfd] = "would copy a descriptor out of another process, the monitor's included",
    [__NR_vmsplice] = "maps user pages into a pipe by address: " OWN_MEMORY,
    [__NR_remap_file_pages] = "deprecated since Linux 3.16 (emulated there with mmap); guest memory is the monitor's to map",
    [__NR_get_robust_list] = "would read another thread's robust list address (the monitor's threads included)",
    [__NR_restart_syscall] = "the monitor restarts interrupted calls itself (signal delivery); the host's restart block is the monitor's",
    /* PRIV in the table */
    [__NR_mount] = MOUNTS,
    [__NR_umount2] = MOUNTS,
    [__NR_pivot_root] = MOUNTS,
    [__NR_chroot] = MOUNTS,
    [__NR_unshare] = MOUNTS,
    [__NR_setns] = MOUNTS,
    [__NR_fsopen] = MOUNTS,
    [__NR_fsconfig] = MOUNTS,
    [__NR_fsmount] = MOUNTS,
    [__NR_fspick] = MOUNTS,
    [__NR_move_mount] = MOUNTS,
    [__NR_open_tree] = MOUNTS,
    [__NR_mount_setattr] = MOUNTS,
    [__NR_sethostname] = "the host name is the runtime's to set (the container's UTS namespace, CAP_SYS_ADMIN)",
    [__NR_setdomainname] = "the domain name is the runtime's to set (the container's UTS namespace, CAP_SYS_ADMIN)",
    [__NR_reboot] = MACHINE " (CAP_SYS_BOOT)",
    [__NR_init_module] = "loads kernel code: " MACHINE " (CAP_SYS_MODULE)",
    [__NR_finit_module] = "loads kernel code: " MACHINE " (CAP_SYS_MODULE)",
    [__NR_delete_module] = "unloads kernel code: " MACHINE " (CAP_SYS_MODULE)",
    [__NR_kexec_load] = "boots another kernel: " MACHINE " (CAP_SYS_BOOT)",
    [__NR_kexec_file_load] = "boots another kernel: " MACHINE " (CAP_SYS_BOOT)",
    [__NR_swapon] = MACHINE " (CAP_SYS_ADMIN)",
    [__NR_swapoff] = MACHINE " (CAP_SYS_ADMIN)",
    [__NR_acct] = "process accounting is the host's (CAP_SYS_PACCT)",
    [__NR_clock_adjtime] = TIMESET,
    [__NR_adjtimex] = TIMESET,
    [__NR_iopl] = "raw port I/O on the host (CAP_SYS_RAWIO)",
    [__NR_ioperm] = "raw port I/O on the host (CAP_SYS_RAWIO)",
    [__NR_syslog] = "the host kernel's log (CAP_SYSLOG)",
    [__NR_quotactl] = "disk quotas are the host's (CAP_SYS_ADMIN)",
    [__NR_open_by_handle_at] = "opens any file of a mount by handle, past the payload's root (CAP_DAC_READ_SEARCH)",
    [__NR_bpf] = "loads programs into the host kernel (CAP_BPF, CAP_SYS_ADMIN)",
    [__NR_perf_event_open] = "observes the host's CPUs and kernel (CAP_PERFMON)",
    [__NR_fanotify_init] = "watches whole mounts of the host (CAP_SYS_ADMIN)",
    [__NR_vhangup] = "hangs up the host terminal (CAP_SYS_TTY_CONFIG)",
    /* not in the table, on purpose */
    [__NR_uselib] = OBSOLETE,
    [__NR_create_module] = OBSOLETE,
    [__NR_get_kernel_syms] = OBSOLETE,
    [__NR_query_module] = OBSOLETE,
    [__NR_nfsservctl] = OBSOLETE,
    [__NR_getpmsg] = "never implemented by Linux",
    [__NR_putpmsg] = "never implemented by Linux",
    [__NR_afs_syscall] = "never implemented by Linux",
    [__NR_tuxcall] = "never implemented by Linux",
    [__NR_security] = "never implemented by Linux",
    [__NR_vserver] = "never implemented by Linux",
    [__NR_epoll_ctl_old] = "never implemented by Linux",
    [__NR_epoll_wait_old] = "never implemented by Linux",
    [__NR__sysctl] = "removed from Linux 5.5: /proc/sys instead",
    [__NR_set_thread_area] = "32-bit TLS: 64-bit code uses arch_prctl (served)",
    [__NR_get_thread_area] = "32-bit TLS: 64-bit code uses arch_prctl (served)",
    [__NR_ustat] = "deprecated (statfs instead, served)",
    [__NR_sysfs] = "obsolete filesystem-type query (/proc/filesystems instead)",
    [__NR_lookup_dcookie] = "kernel profiling of the host (CAP_SYS_ADMIN), dropped by recent Linux",
    [__NR_kcmp] = "compares another process's kernel objects (the monitor's included)",
    [__NR_io_uring_enter] = "io_uring_setup is refused, so there is no ring to enter",
    [__NR_io_uring_register] = "io_uring_setup is refused, so there is no ring to register with",
    [__NR_io_destroy] = "io_setup is refused, so there is no AIO context",
    [__NR_io_getevents] = "io_setup is refused, so there is no AIO context",
    [__NR_io_submit] = "io_setup is refused, so there is no AIO context",
    [__NR_io_cancel] = "io_setup is refused, so there is no AIO context",
    [__NR_io_pgetevents] = "io_setup is refused, so there is no AIO context",
    [__NR_memfd_secret] = "memory the monitor itself could not read: " OWN_MEMORY,
    [__NR_process_madvise] = "advice on another process's memory: " OWN_MEMORY,
    [__NR_process_mrelease] = "frees another (dying) process's memory: " OWN_MEMORY,
};

const char *vj_syscall_reason(uint64_t nr)
{
    return nr < VJ_NR_SYSCALLS ? reasons[nr] : NULL;
}
