/* vmjail.h: the public C API of libvmjail: run an unmodified Linux program in its own KVM VM.
 *
 * All handles are opaque.  Functions that can fail return a negative value (or NULL) and,
 * when ERR is not NULL, store a newly allocated error that the caller frees with
 * vmjail_error_free().  The library never exits or aborts the calling process and never
 * prints anything.
 *
 * A payload's file-descriptor, directory and identity syscalls are served by the host on
 * behalf of the calling process: the payload shares the caller's descriptors, working
 * directory and credentials.  Embedders that want the payload kept apart from their own
 * process state run it in a child process (as the vmjail command line does).
 */
#ifndef VMJAIL_H
#define VMJAIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VMJAIL_PUBLIC __attribute__((visibility("default")))
#else
#define VMJAIL_PUBLIC
#endif

/* ---- errors ---------------------------------------------------------------------------- */

typedef struct vmjail_error vmjail_error;

/* What kind of failure an error is; the command line maps these to its exit codes. */
enum vmjail_error_kind {
    VMJAIL_ERR_INTERNAL = 1, /* vmjail itself failed (KVM, memory, bad option): exit 125 */
    VMJAIL_ERR_NOEXEC = 2,   /* the program exists but cannot be executed: exit 126 */
    VMJAIL_ERR_NOTFOUND = 3, /* the program was not found: exit 127 */
    VMJAIL_ERR_USAGE = 4,    /* invalid arguments from the caller: exit 125 */
};

VMJAIL_PUBLIC const char *vmjail_error_message(const vmjail_error *err);
VMJAIL_PUBLIC int vmjail_error_errno(const vmjail_error *err);
VMJAIL_PUBLIC enum vmjail_error_kind vmjail_error_kind(const vmjail_error *err);
VMJAIL_PUBLIC void vmjail_error_free(vmjail_error *err);

/* ---- configuration of one run ---------------------------------------------------------- */

typedef struct vmjail_config vmjail_config;

VMJAIL_PUBLIC vmjail_config *vmjail_config_new(vmjail_error **err);
VMJAIL_PUBLIC void vmjail_config_free(vmjail_config *cfg);

/* The program (a path, or a name looked up in PATH) and its argv (argv[0] included).
 * ARGV is copied. */
VMJAIL_PUBLIC int vmjail_config_set_program(vmjail_config *cfg, const char *program,
                                            int argc, char *const argv[], vmjail_error **err);
/* Guest memory size in bytes: a multiple of 2 MiB between 16 MiB and 256 GiB. */
VMJAIL_PUBLIC int vmjail_config_set_memory(vmjail_config *cfg, uint64_t bytes,
                                           vmjail_error **err);
/* The payload's environment: ENVP (NULL-terminated) replaces it; add_env adds or replaces
 * one "NAME=VALUE".  The default environment is empty. */
VMJAIL_PUBLIC int vmjail_config_set_env(vmjail_config *cfg, char *const envp[],
                                        vmjail_error **err);
VMJAIL_PUBLIC int vmjail_config_add_env(vmjail_config *cfg, const char *name_value,
                                        vmjail_error **err);
/* Directory the payload starts in (the calling process's working directory is changed to
 * it when the run starts). */
VMJAIL_PUBLIC int vmjail_config_set_cwd(vmjail_config *cfg, const char *dir, vmjail_error **err);
/* Write an strace-style line for every syscall to FD (-1: off, the default). */
VMJAIL_PUBLIC int vmjail_config_set_trace_fd(vmjail_config *cfg, int fd, vmjail_error **err);

/* Show the payload's argv as the calling process's own command line (its /proc/PID/cmdline,
 * what ps prints): written over the process's argv area, cut to fit.  Off by default; the
 * vmjail command turns it on. */
VMJAIL_PUBLIC int vmjail_config_set_proctitle(vmjail_config *cfg, int on, vmjail_error **err);

/* Confine the monitor itself with a seccomp filter, installed after the VM is built and
 * before the payload's first instruction: it allows only the system calls the monitor
 * serves or needs; any other fails with EPERM.  It stays on for the calling process (and
 * the payload's forks): embedders call this in a process made for the run.  Off by default. */
VMJAIL_PUBLIC int vmjail_config_set_seccomp(vmjail_config *cfg, int on, vmjail_error **err);

/* How the payload's syscalls reach the monitor.  EXIT: each one is a VM exit.  POLL: calls
 * from the payload's syscall sites that the monitor can serve for any thread are handed over
 * through memory shared with a monitor thread that polls it, with no VM exit (the sites are
 * patched as they are first used; see docs/architecture.md); the exit path serves the rest.
 * AUTO (the default): POLL where the host has a second CPU (its pollers then step aside
 * while another thread wants their cores), else EXIT. */
enum vmjail_syscall_path {
    VMJAIL_SYSCALL_PATH_AUTO = 0,
    VMJAIL_SYSCALL_PATH_EXIT = 1,
    VMJAIL_SYSCALL_PATH_POLL = 2,
};
VMJAIL_PUBLIC int vmjail_config_set_syscall_path(vmjail_config *cfg, int path, vmjail_error **err);

/* What runs the payload.  KVM: a KVM virtual machine.  PROCESS: a host process whose every
 * system call traps to the monitor, for hosts without KVM (docs/security.md says what each
 * isolates).  AUTO (the default): KVM where /dev/kvm can be used, else PROCESS. */
enum vmjail_platform {
    VMJAIL_PLATFORM_KVM = 0,
    VMJAIL_PLATFORM_PROCESS = 1,
    VMJAIL_PLATFORM_AUTO = 2,
};
VMJAIL_PUBLIC int vmjail_config_set_platform(vmjail_config *cfg, int platform, vmjail_error **err);
/* The platform named NAME ("kvm", "process" or "auto"), or -1 if there is none of that name. */
VMJAIL_PUBLIC int vmjail_platform_by_name(const char *name);
/* Can this host run payloads on PLATFORM (KVM or PROCESS)?  0, or -1 and why in *ERR. */
VMJAIL_PUBLIC int vmjail_platform_usable(int platform, vmjail_error **err);

/* The caller exits as soon as vmjail_run returns (a command does): the VM and the guest's
 * memory are then freed by a helper process that shares the caller's memory and ends just
 * after it, so that KVM's teardown (about a millisecond on the development host) does not
 * hold up the caller's exit.  Until the caller exits, the guest's memory stays mapped in it.
 * Off by default. */
VMJAIL_PUBLIC int vmjail_config_set_exit_after_run(vmjail_config *cfg, int on,
                                                   vmjail_error **err);

/* Keep facts about the host's KVM that cost time to learn (its supported CPUID: about 0.4 ms
 * of every start on a nested host) in directory DIR between runs: made 0700 if missing; used
 * only if it and its files belong to the caller and nobody else can write them, and only for
 * the boot and KVM module load they were written under.  NULL (the default): off. */
VMJAIL_PUBLIC int vmjail_config_set_host_cache(vmjail_config *cfg, const char *dir,
                                               vmjail_error **err);

/* Install that filter on the calling process now, for good (the way a container runtime
 * confines a process before it drops its privileges; then leave set_seccomp off).  It does not
 * set no_new_privs where the process has CAP_SYS_ADMIN. */
VMJAIL_PUBLIC int vmjail_confine_monitor(vmjail_error **err);

/* ---- running --------------------------------------------------------------------------- */

/* How a payload ended. */
struct vmjail_result {
    int signaled;  /* 1 if the payload was ended by a signal (a fault or a default action) */
    int exit_code; /* exit status 0..255 when !signaled */
    int signal;    /* the signal number when signaled */
};

/* Load the program into a fresh VM and run it to its end.  Returns 0 and fills RESULT when
 * the payload ran (whatever its exit status), or a negative value and an error when it could
 * not be started or the monitor failed. */
VMJAIL_PUBLIC int vmjail_run(const vmjail_config *cfg, struct vmjail_result *result,
                             vmjail_error **err);

/* Open /dev/kvm now and keep it open (close-on-exec, at a high descriptor number the payload
 * cannot touch) for the rest of the process's life.  Runs open it on first need anyway; call
 * this first when the process will lose access to /dev/kvm before it runs a payload (after
 * pivot_root or chroot, under a device cgroup or a seccomp filter).  Returns the descriptor,
 * or a negative value and an error. */
VMJAIL_PUBLIC int vmjail_open_kvm(vmjail_error **err);

/* Version string of the library. */
VMJAIL_PUBLIC const char *vmjail_version(void);

#ifdef __cplusplus
}
#endif
#endif /* VMJAIL_H */
