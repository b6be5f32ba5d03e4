/* oci.h: the OCI runtime component: a bundle's config.json, container state under --root,
 * and the confinement (namespaces, mounts, cgroups, credentials) its processes run in. */
#ifndef VJ_OCI_H
#define VJ_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmjail.h"

/* ---- config.json (spec.c) ---------------------------------------------------------------- */

struct oci_kv {
    char *key, *value;
};

struct oci_mount {
    char *destination, *type, *source;
    char **options; /* NULL-terminated, never NULL */
};

struct oci_namespace {
    int flag;   /* CLONE_NEW* */
    char *path; /* join this one, or NULL to make a new one */
};

struct oci_idmap {
    uint32_t container_id, host_id, size;
};

struct oci_rlimit {
    int resource;
    uint64_t soft, hard;
};

struct oci_hook {
    char *path;
    char **args; /* NULL-terminated or NULL */
    char **env;  /* NULL-terminated or NULL */
    int timeout; /* seconds, 0: none */
};

struct oci_hooks {
    struct oci_hook *v;
    size_t n;
};

enum oci_hook_kind {
    OCI_HOOK_PRESTART,
    OCI_HOOK_CREATE_RUNTIME,
    OCI_HOOK_CREATE_CONTAINER,
    OCI_HOOK_START_CONTAINER,
    OCI_HOOK_POSTSTART,
    OCI_HOOK_POSTSTOP,
    OCI_HOOK_KINDS,
};

struct oci_device {
    char *path;
    char type; /* 'c', 'b', 'u', 'p' */
    int64_t major, minor;
    uint32_t mode;
    bool has_mode;
    uint32_t uid, gid;
    bool has_uid, has_gid;
};

struct oci_device_rule {
    bool allow;
    char type; /* 'a', 'c', 'b' */
    int64_t major, minor; /* -1: any */
    char access[4];
};

/* The capability sets, as bit masks of CAP_* numbers. */
struct oci_caps {
    bool present;
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct oci_process {
    bool terminal;
    unsigned console_height, console_width;
    uint32_t uid, gid;
    gid_t *additional_gids;
    size_t n_additional_gids;
    bool has_umask;
    uint32_t umask;
    char **args; /* NULL-terminated, at least one */
    char **env;  /* NULL-terminated, never NULL */
    char *cwd;
    struct oci_caps caps;
    struct oci_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj;
};

struct oci_resources {
    int64_t memory_limit, memory_reservation, memory_swap; /* -1: unset (or unlimited) */
    uint64_t cpu_shares;                                   /* 0: unset */
    int64_t cpu_quota;                                     /* -1: unset */
    uint64_t cpu_period;                                   /* 0: unset */
    char *cpuset_cpus, *cpuset_mems;                       /* NULL: unset */
    int64_t pids_limit;                                    /* 0: unset, -1: max */
    struct oci_device_rule *devices;
    size_t n_devices;
};

struct oci_spec {
    char *oci_version;
    struct oci_process process;
    char *root_path; /* absolute */
    bool root_readonly;
    char *hostname, *domainname;
    struct oci_mount *mounts;
    size_t n_mounts;
    struct oci_namespace *namespaces;
    size_t n_namespaces;
    struct oci_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct oci_resources resources;
    char *cgroups_path;
    struct oci_device *devices;
    size_t n_devices;
    char **masked_paths, **readonly_paths; /* NULL-terminated, never NULL */
    struct oci_kv *sysctl;
    size_t n_sysctl;
    struct oci_hooks hooks[OCI_HOOK_KINDS];
    struct oci_kv *annotations;
    size_t n_annotations;
    char *rootfs_propagation;
};

/* runc's default config.json (spec_default.c). */
extern const char oci_default_spec[];

/* Parse the config.json in BUNDLE (a directory); relative root.path becomes absolute. */
int oci_spec_load(const char *bundle, struct oci_spec **out, vmjail_error **err);
/* Parse a config document from TEXT (BUNDLE resolves a relative root.path). */
int oci_spec_parse(const char *text, const char *bundle, struct oci_spec **out,
                   vmjail_error **err);
/* Parse just a "process" object (exec --process FILE). */
int oci_process_load(const char *file, struct oci_process *out, vmjail_error **err);
void oci_process_fini(struct oci_process *p);
void oci_spec_free(struct oci_spec *spec);
/* The namespace entry of SPEC with FLAG, or NULL. */
const struct oci_namespace *oci_spec_namespace(const struct oci_spec *spec, int flag);
/* The value of "NAME=..." in ENV, or NULL. */
const char *oci_env_get(char *const *env, const char *name);
/* Name <-> CLONE_NEW* flag of a namespace type ("pid", "network", ...). */
int oci_namespace_flag(const char *type);
const char *oci_namespace_proc_name(int flag); /* "pid", "net", ... as in /proc/PID/ns */

/* ---- state under --root (state.c) ------------------------------------------------------ */

enum oci_status {
    OCI_CREATING,
    OCI_CREATED,
    OCI_RUNNING,
    OCI_PAUSED,
    OCI_STOPPED,
};

struct oci_state {
    char id[256];
    char dir[4096];    /* ROOT/ID */
    char bundle[4096];
    char cgroup[4096]; /* the cgroups path inside each hierarchy */
    pid_t pid;
    unsigned long long start_time; /* of pid, from /proc/PID/stat: guards against pid reuse */
    char created[64];              /* RFC 3339 */
    struct oci_kv *annotations;
    size_t n_annotations;
    int platform; /* what its VMs run on, resolved at create (vmjail.h) */
    int lock_fd;
};

const char *oci_status_name(enum oci_status s);
/* Check that ID is a usable container id (no '/', not "." or "..", printable). */
int oci_id_check(const char *id, vmjail_error **err);
/* Make ROOT/ID (failing if it exists) and lock it; STATE is filled with id, dir, lock. */
int oci_state_create(const char *root, const char *id, struct oci_state *state,
                     vmjail_error **err);
/* Open and lock ROOT/ID and read its state.json.  Kind VMJAIL_ERR_NOTFOUND if absent. */
int oci_state_open(const char *root, const char *id, struct oci_state *state,
                   vmjail_error **err);
/* Write state.json atomically (write to a temporary file, then rename). */
int oci_state_save(const struct oci_state *state, vmjail_error **err);
/* Remove ROOT/ID and release the lock. */
int oci_state_remove(struct oci_state *state, vmjail_error **err);
void oci_state_close(struct oci_state *state);
enum oci_status oci_state_status(const struct oci_state *state);
/* The OCI state document (the output of `state`), newly allocated. */
char *oci_state_json(const struct oci_state *state);
/* The ids of every container under ROOT, newly allocated, NULL-terminated. */
char **oci_state_list(const char *root, vmjail_error **err);
/* Start time of PID from /proc, 0 if it does not exist (or is a zombie). */
unsigned long long oci_pid_start_time(pid_t pid);
/* The path of the exec FIFO of a created container. */
void oci_state_fifo_path(const struct oci_state *state, char *buf, size_t size);

/* ---- cgroups (cgroup.c) -------------------------------------------------------------- */

/* Create the container's cgroup(s) at PATH and apply RES.  PATH is relative to each
 * hierarchy's root.  Works with cgroup v2 and v1 (one hierarchy per controller). */
int oci_cgroup_create(const char *path, const struct oci_resources *res, vmjail_error **err);
int oci_cgroup_enter(const char *path, pid_t pid, vmjail_error **err);
int oci_cgroup_destroy(const char *path, vmjail_error **err);
/* The pids in the container's cgroup; returns the count, -1 on error. */
int oci_cgroup_pids(const char *path, pid_t **pids, vmjail_error **err);
int oci_cgroup_freeze(const char *path, bool freeze, vmjail_error **err);
/* 1 if frozen, 0 if not (or no freezer), -1 on error. */
int oci_cgroup_frozen(const char *path);
/* The default cgroups path for a container with no linux.cgroupsPath. */
void oci_cgroup_default_path(const char *id, char *buf, size_t size);

/* ---- subordinate ids, without root (subid.c) ------------------------------------------- */

/* ID's range in FILE (/etc/subuid or /etc/subgid: "name-or-id:start:count" lines): 0, or -1
 * if it has none. */
int oci_subid_range(const char *file, uid_t id, uint32_t *start, uint32_t *count);
/* A user namespace's uid and gid maps of SPEC written for PID through newuidmap and
 * newgidmap. */
int oci_write_id_maps_helper(pid_t pid, const struct oci_spec *spec, vmjail_error **err);
/* Without root: the cgroup for container ID (into BUF, a cgroupsPath) in the caller's
 * delegated cgroup v2 subtree (the highest ancestor of its cgroup that it owns), the
 * CONTROLLERS (NULL-terminated) enabled for its children; or one line saying why there is
 * none. */
int oci_cgroup_delegated(const char *id, const char *const *controllers, char *buf, size_t size,
                         vmjail_error **err);

/* ---- device rules (cgroup_devices.c) ----------------------------------------------------- */

/* The devices every container gets after its own rules, on v1 and v2 (runc's list). */
extern const struct oci_device_rule oci_default_device_rules[];
extern const size_t oci_n_default_device_rules;
/* The cgroup v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE) for RULES followed by the
 * default ones, with cgroup v1's meaning: newly allocated in *INSNS; returns how many
 * instructions, -1 on error.  Exposed for tests. */
struct bpf_insn;
int oci_devices_program(const struct oci_device_rule *rules, size_t n, struct bpf_insn **insns,
                        vmjail_error **err);
/* Load that program and attach it to the cgroup v2 directory DIR. */
int oci_cgroup_devices_attach(const char *dir, const struct oci_device_rule *rules, size_t n,
                              vmjail_error **err);

/* ---- hooks (hooks.c) ------------------------------------------------------------------- */

/* Run every hook of KIND, each with the state JSON on its stdin. */
int oci_hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state_json,
                  vmjail_error **err);

/* ---- confinement inside the container (mounts.c, process.c) ---------------------------- */

/* Mount the root and spec.mounts, set up /dev, then pivot_root (or chroot with NO_PIVOT),
 * masked and read-only paths.  Runs in the container's new mount namespace. */
int oci_rootfs_prepare(const struct oci_spec *spec, bool in_userns, vmjail_error **err);
int oci_rootfs_enter(const struct oci_spec *spec, bool no_pivot, vmjail_error **err);
int oci_rootfs_finish(const struct oci_spec *spec, vmjail_error **err);
/* Parse mount options into flags, propagation flags and a data string (NUL-separated by
 * commas).  Exposed for tests. */
int oci_mount_options(char *const *options, unsigned long *flags, unsigned long *propagation,
                      char *data, size_t data_size, bool *recursive_bind);

/* Write the sysctls (through /proc/sys) and the hostname. */
int oci_apply_sysctl(const struct oci_spec *spec, vmjail_error **err);
/* rlimits, oom_score_adj, groups, uid/gid, capabilities, no_new_privs, umask, cwd: the
 * last steps before the payload starts. */
int oci_process_apply(const struct oci_process *proc, vmjail_error **err);
/* Make a pty, make its slave our stdio and controlling terminal, and send its master over
 * the unix socket CONSOLE_FD (SCM_RIGHTS). */
int oci_console_setup(int console_fd, const struct oci_process *proc, vmjail_error **err);
/* Connect to the unix socket at PATH. */
int oci_console_connect(const char *path, vmjail_error **err);

/* ---- lifecycle (container.c, exec.c) ---------------------------------------------------- */

struct oci_create_opts {
    const char *root, *id, *bundle, *pid_file, *console_socket;
    bool no_pivot;
    bool foreground; /* `run` without --detach: wait, and exit as the payload */
    bool die_with_caller; /* the container ends when this process does (the sandbox) */
    bool no_cgroup;       /* no cgroup of its own (a rootless sandbox without limits) */
    /* Called once the container process is ready, before start (the sandbox attaches its
     * network there); -1 fails the create. */
    int (*attach)(pid_t pid, void *arg, vmjail_error **err);
    void *attach_arg;
    int preserve_fds;
};

/* create (and, for run, start and wait).  Returns the exit status in *STATUS for run. */
int oci_container_create(const struct oci_create_opts *opts, int *status, vmjail_error **err);
/* The same for SPEC, already parsed (taken: freed here); OPTS->bundle names the directory the
 * state records as the bundle. */
int oci_container_create_spec(const struct oci_create_opts *opts, struct oci_spec *spec,
                              int *status, vmjail_error **err);
int oci_container_start(const char *root, const char *id, vmjail_error **err);
int oci_container_kill(const char *root, const char *id, int sig, bool all,
                       vmjail_error **err);
int oci_container_delete(const char *root, const char *id, bool force, vmjail_error **err);
/* Freeze (PAUSE) or thaw the processes of the container. */
int oci_container_pause(const char *root, const char *id, bool pause, vmjail_error **err);

struct oci_exec_opts {
    const char *root, *id, *process_file, *pid_file, *console_socket, *cwd;
    char **args;        /* when no process file */
    char **env;         /* extra NAME=VALUE */
    const char *user;   /* "uid[:gid]" */
    bool tty, detach, no_new_privs;
    int preserve_fds;
};
int oci_container_exec(const struct oci_exec_opts *opts, int *status, vmjail_error **err);

/* ---- the sandbox: `vmjail run --root DIR ...` as a container (sandbox.c) --------------- */

enum oci_sandbox_network {
    OCI_SANDBOX_NET_NONE, /* a network namespace of its own: loopback only */
    OCI_SANDBOX_NET_HOST, /* the host's */
    OCI_SANDBOX_NET_NAT,  /* its own, connected through a user-mode NAT (pasta) */
};
struct oci_sandbox_port {
    uint16_t host, guest;
    bool udp;
};
struct oci_sandbox_volume {
    const char *host, *guest;
    bool read_only;
};
struct oci_sandbox_opts {
    const char *root;     /* the host directory the payload sees as / */
    char **args, **env;   /* NULL-terminated */
    const char *cwd;      /* inside; NULL: / */
    const char *hostname; /* NULL: "vmjail" */
    bool read_only;       /* the root read-only (volumes and tmpfs as they say) */
    const struct oci_sandbox_volume *volumes;
    size_t n_volumes;
    const char *const *tmpfs; /* more tmpfs mounts (/tmp always is one) */
    size_t n_tmpfs;
    enum oci_sandbox_network network;
    const struct oci_sandbox_port *ports; /* --publish, with NAT */
    size_t n_ports;
    uint32_t uid, gid;        /* the identity inside */
    int64_t pids;             /* 0: no limit */
    double cpus;              /* 0: no limit */
    const char *memory;       /* guest memory (run.vmjail.memory), or NULL */
    const char *platform;     /* kvm, process or auto */
    const char *syscall_path; /* or NULL */
    const char *core_dump;    /* --core-dump's path, resolved inside the root; or NULL */
    bool trace;
};
/* Guest memory (and so each tmpfs's size) where the options give none: vmjail's 1 GiB. */
#define OCI_SANDBOX_DEFAULT_MEMORY "1g"
/* Run O's program confined, in the foreground, and give its exit status in *STATUS. */
int oci_sandbox_run(const struct oci_sandbox_opts *o, int *status, vmjail_error **err);
/* --network nat (sandbox_net.c): pasta attached to the network namespace of the container
 * process PID (ARG: a struct oci_sandbox_nat), its daemon's pid written to PID_FILE; and that
 * daemon ended. */
struct oci_sandbox_nat {
    const struct oci_sandbox_opts *opts;
    char pid_file[4200];
};
int oci_sandbox_nat_attach(pid_t pid, void *arg, vmjail_error **err);
/* Each of O's published host ports free to bind (pasta says nothing of one in use): 0, or one
 * line naming the first that is not. */
int oci_sandbox_ports_free(const struct oci_sandbox_opts *o, vmjail_error **err);
void oci_sandbox_nat_end(const char *pid_file);

/* Pass the signals this process gets on to PID (run and exec in the foreground). */
void oci_forward_signals(pid_t pid);

/* Run the payload PROC (resolved in the current root) in a VM of PLATFORM (vmjail.h) in this
 * process, with the run options of the N_ANN annotations ANN, and end this process as the
 * payload ended; if it cannot run, print why and exit 127 (not found), 126 (cannot be
 * executed) or 125.  WATCH_FD (or -1): when it reads end of file, the process exits at once
 * (status 137), and with it, as the first process of its pid namespace, the container. */
_Noreturn void oci_run_payload(const struct oci_process *proc, const struct oci_kv *ann,
                               size_t n_ann, int platform, int watch_fd);

/* ---- the platform of a container's VMs (platform.c) ----------------------------------- */

#define OCI_ANNOTATION_PLATFORM "run.vmjail.platform"
#define OCI_ANNOTATION_MEMORY "run.vmjail.memory"
#define OCI_ANNOTATION_TRACE "run.vmjail.trace"
#define OCI_ANNOTATION_SYSCALL_PATH "run.vmjail.syscall-path"
#define OCI_ANNOTATION_CORE_DUMP "run.vmjail.core-dump"
/* The value of annotation KEY among the N of ANN, or NULL. */
const char *oci_annotation(const struct oci_kv *ann, size_t n, const char *key);
/* The platform the annotations ask for (VMJAIL_PLATFORM_AUTO without one), or -1 and why. */
int oci_platform_of(const struct oci_kv *ann, size_t n, vmjail_error **err);
/* PLATFORM made concrete on this host, in the runtime's mount namespace: KVM (its device
 * opened, *KVM_FD, for the container process to keep) or PROCESS; -1 and why if the platform
 * asked for cannot be used. */
int oci_platform_resolve(int platform, int *kvm_fd, vmjail_error **err);
/* Wait for PID (a child, or an orphan of ours as subreaper) and give its exit status as a
 * shell reports it (128+N for signal N; 125 if it cannot be waited for). */
int oci_wait_status(pid_t pid);

/* ---- small helpers (util.c) ----------------------------------------------------------- */

int oci_write_file(const char *path, const char *text, vmjail_error **err);
/* Write PID to PATH atomically (a temporary file renamed over it), as --pid-file wants. */
int oci_write_pid_file(const char *path, pid_t pid, vmjail_error **err);
/* Read a whole file; NUL-terminated, newly allocated. */
char *oci_read_file(const char *path, size_t *len, vmjail_error **err);
int oci_mkdir_p(const char *path, mode_t mode);
/* Whether WORD is one of the blank-separated words of LIST (as in cgroup.controllers). */
bool oci_word_in(const char *list, const char *word);
void oci_free_strv(char **v);
/* RFC 3339 time of now. */
void oci_now_rfc3339(char *buf, size_t size);
/* Run ARGV (its program looked up in PATH) with /dev/null as stdin, and read what it writes on
 * stdout and stderr into TEXT (SIZE bytes, NUL-terminated) until no writer is left (a daemon
 * it leaves behind has let go of them), then wait for it: its wait status in *STATUS.  -1
 * (errno) if it could not be run; exit status 127 with nothing said: not found. */
int oci_run_helper(char *const argv[], char *text, size_t size, int *status);

#endif
