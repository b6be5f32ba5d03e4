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
 * it when the run starts; in a sandbox, an absolute path inside its root). */
VMJAIL_PUBLIC int vmjail_config_set_cwd(vmjail_config *cfg, const char *dir, vmjail_error **err);
/* Write an strace-style line for every syscall to FD (-1: off, the default). */
VMJAIL_PUBLIC int vmjail_config_set_trace_fd(vmjail_config *cfg, int fd, vmjail_error **err);

/* Keep descriptor FD of the caller's from the payload, which otherwise shares the caller's
 * descriptors: every payload call naming it fails with EBADF (as if it were not open), and the
 * payload's execs leave it open.  Up to 8; for the run's life (and its processes' forks). */
VMJAIL_PUBLIC int vmjail_config_keep_fd(vmjail_config *cfg, int fd, vmjail_error **err);

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
/* The syscall path named NAME ("auto", "exit" or "poll"), or -1 if there is none of that name. */
VMJAIL_PUBLIC int vmjail_syscall_path_by_name(const char *name);

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

/* Where the payload's core file goes when a signal whose default action dumps core ends it
 * (docs/cli.md, --core-dump): PATH, relative to the payload's working directory, with
 * core_pattern's %-specifiers (%p %e %s %t %h %u %g %%).  NULL (the default): where the host's
 * core_pattern says if it is a plain path, else "core".  Written only where the payload's
 * RLIMIT_CORE allows, never through a symlink or over another owner's file, mode 0600. */
VMJAIL_PUBLIC int vmjail_config_set_core_dump(vmjail_config *cfg, const char *path,
                                              vmjail_error **err);

/* Snapshots (docs/cli.md, "Snapshots").  Write a snapshot of the payload to FILE when it
 * reaches MARK, before that call is served: then end the payload (exit status 0), or, with
 * CONTINUE, let it go on.  What cannot be restored (a connected socket, a pipe, a second
 * thread, ...) fails the run with an error naming it.  The payload's syscalls go through VM
 * exits while a mark is pending (the fast path is off).  MARK 0: no snapshot. */
enum vmjail_snapshot_mark {
    VMJAIL_SNAPSHOT_READ_STDIN = 1, /* its first read of descriptor 0 */
    VMJAIL_SNAPSHOT_ACCEPT = 2,     /* its first accept or accept4 */
    VMJAIL_SNAPSHOT_CALL = 3,       /* the vmjail call VJ_NR_SNAPSHOT (vmjail_abi.h) */
};
VMJAIL_PUBLIC int vmjail_config_set_snapshot(vmjail_config *cfg, int mark, const char *file,
                                             int cont, vmjail_error **err);
/* The mark named NAME ("read-stdin", "accept", "call"), or -1. */
VMJAIL_PUBLIC int vmjail_snapshot_mark_by_name(const char *name);
/* Start the payload from snapshot FILE instead of a program (set_program is then not needed):
 * a fresh VM, the snapshot's memory mapped from FILE, its registers and state set, the marked
 * call made anew.  NULL: off. */
VMJAIL_PUBLIC int vmjail_config_set_restore(vmjail_config *cfg, const char *file,
                                            vmjail_error **err);
/* Debug the payload with gdb (docs/cli.md, --gdb): listen on HOSTPORT ("HOST:PORT", or ":PORT"
 * for the loopback address), wait for gdb to connect before the payload's first instruction,
 * then serve gdb's remote protocol.  NULL (the default): no gdb.  Not with a root. */
VMJAIL_PUBLIC int vmjail_config_set_gdb(vmjail_config *cfg, const char *hostport,
                                        vmjail_error **err);
/* The same, but the payload starts at once and stops when gdb connects (docs/cli.md,
 * --gdb-listen); gdb's quit then detaches and the payload runs on. */
VMJAIL_PUBLIC int vmjail_config_set_gdb_listen(vmjail_config *cfg, const char *hostport,
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

/* ---- confinement: a sandbox (docs/security.md) ------------------------------------------ */

/* The host directory the payload sees as "/".  NULL (the default): none, and the payload sees
 * the host as the calling process does.  With a root the run is a sandbox, made as the OCI
 * runtime makes a container: mount, pid, IPC, UTS and network namespaces of its own, a fresh
 * /proc, a minimal /dev, a tmpfs /tmp, every path the payload names resolved inside; without
 * root on the host, a user namespace in which the caller is root.  PROGRAM (set_program) is
 * then a path inside the root, or a name looked up in the PATH of the payload's environment,
 * and it is the payload's argv[0].  The options below need a root. */
VMJAIL_PUBLIC int vmjail_config_set_root(vmjail_config *cfg, const char *dir, vmjail_error **err);
/* Host directory HOST_PATH seen at GUEST_PATH (absolute) inside, read-only if READ_ONLY. */
VMJAIL_PUBLIC int vmjail_config_add_volume(vmjail_config *cfg, const char *host_path,
                                           const char *guest_path, int read_only,
                                           vmjail_error **err);
/* A tmpfs at GUEST_PATH (absolute) inside, besides /tmp. */
VMJAIL_PUBLIC int vmjail_config_add_tmpfs(vmjail_config *cfg, const char *guest_path,
                                          vmjail_error **err);
/* The root read-only (volumes and tmpfs mounts as they are given). */
VMJAIL_PUBLIC int vmjail_config_set_read_only(vmjail_config *cfg, int on, vmjail_error **err);
/* The network a sandbox sees.  NONE (the default): loopback only, a namespace of its own.
 * HOST: the host's.  NAT: its own namespace, outbound connections through a user-mode NAT
 * (pasta, from Debian's passt), inbound only on published ports (add_port). */
enum vmjail_network {
    VMJAIL_NETWORK_NONE = 0,
    VMJAIL_NETWORK_HOST = 1,
    VMJAIL_NETWORK_NAT = 2,
};
VMJAIL_PUBLIC int vmjail_config_set_network(vmjail_config *cfg, int network, vmjail_error **err);
/* With NAT: the host's HOST_PORT forwarded to GUEST_PORT inside (TCP, or UDP if UDP). */
VMJAIL_PUBLIC int vmjail_config_add_port(vmjail_config *cfg, unsigned host_port,
                                         unsigned guest_port, int udp, vmjail_error **err);
/* The identity inside (default 0:0).  Without root on the host only 0:0. */
VMJAIL_PUBLIC int vmjail_config_set_user(vmjail_config *cfg, uint32_t uid, uint32_t gid,
                                         vmjail_error **err);
/* The hostname inside (default "vmjail"). */
VMJAIL_PUBLIC int vmjail_config_set_hostname(vmjail_config *cfg, const char *name,
                                             vmjail_error **err);
/* At most MAX processes and threads inside (0: no limit, the default); a cgroup's pids.max. */
VMJAIL_PUBLIC int vmjail_config_set_pids_limit(vmjail_config *cfg, int64_t max,
                                               vmjail_error **err);
/* At most CPUS CPUs' worth of time (0: no limit, the default); a cgroup's cpu.max. */
VMJAIL_PUBLIC int vmjail_config_set_cpus(vmjail_config *cfg, double cpus, vmjail_error **err);

/* ---- running --------------------------------------------------------------------------- */

/* How a payload ended. */
struct vmjail_result {
    int signaled;  /* 1 if the payload was ended by a signal (a fault or a default action) */
    int exit_code; /* exit status 0..255 when !signaled */
    int signal;    /* the signal number when signaled */
};

/* Load the program into a fresh VM and run it to its end.  Returns 0 and fills RESULT when
 * the payload ran (whatever its exit status), or a negative value and an error when it could
 * not be started or the monitor failed.  With a root (set_root), the run is a sandbox, made,
 * run and removed in the foreground (the caller's signals passed on to it; see
 * vmjail_sandbox_wait for how its result is told). */
VMJAIL_PUBLIC int vmjail_run(const vmjail_config *cfg, struct vmjail_result *result,
                             vmjail_error **err);

/* ---- sandboxes: handles ---------------------------------------------------------------- */

/* A payload run in a child process of the caller's (confined if its configuration has a root,
 * else as vmjail_run runs it), so that one process can run several side by side and go on
 * while they run.  The child is made at start: it ends, and its payload with it, when the
 * thread that started it ends (a parent-death signal); it holds none of the caller's
 * descriptors but the three given, and the caller's signal handlers and mask are not its own.
 * The caller must not ignore SIGCHLD (nor reap the child itself). */
typedef struct vmjail_sandbox vmjail_sandbox;

/* A sandbox for CFG, which is checked and copied (CFG may be freed or changed after). */
VMJAIL_PUBLIC vmjail_sandbox *vmjail_sandbox_create(const vmjail_config *cfg, vmjail_error **err);
/* The payload's standard input, output and error, before start: each a descriptor of the
 * caller's (duplicated at start), or -1 for /dev/null.  Default: the caller's 0, 1 and 2. */
VMJAIL_PUBLIC int vmjail_sandbox_set_stdio(vmjail_sandbox *sb, int stdin_fd, int stdout_fd,
                                           int stderr_fd, vmjail_error **err);
/* Start it.  What keeps the payload from running once started (a program that is not found,
 * a root that cannot be mounted) is vmjail_sandbox_wait's error. */
VMJAIL_PUBLIC int vmjail_sandbox_start(vmjail_sandbox *sb, vmjail_error **err);
/* The child's process id (0 before start). */
VMJAIL_PUBLIC int vmjail_sandbox_pid(const vmjail_sandbox *sb);
/* A descriptor that polls readable once the sandbox has ended (-1 before start); the
 * sandbox's, closed by destroy. */
VMJAIL_PUBLIC int vmjail_sandbox_fd(const vmjail_sandbox *sb);
/* Wait for the sandbox to end and give how in *RESULT: 1.  With NOHANG, 0 while it runs.
 * -1 and an error if it never ran its payload (the error the child met), or on a bad call.
 * In a sandbox with a root, as in containers, a payload ended by signal N is told apart from
 * one that exited with status 128 + N only by that status: both are given as the signal. */
VMJAIL_PUBLIC int vmjail_sandbox_wait(vmjail_sandbox *sb, int nohang, struct vmjail_result *result,
                                      vmjail_error **err);
/* Send signal SIG to the payload (as kill(1) to a container: to its first process). */
VMJAIL_PUBLIC int vmjail_sandbox_kill(vmjail_sandbox *sb, int sig, vmjail_error **err);
/* End the sandbox if it runs (SIGKILL), reap it, and free the handle. */
VMJAIL_PUBLIC void vmjail_sandbox_destroy(vmjail_sandbox *sb);

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
