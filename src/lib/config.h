/* config.h: the contents of a vmjail_config handle, for the library's own use. */
#ifndef VJ_CONFIG_H
#define VJ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmjail.h"

/* A sandbox's confinement (vmjail.h, "confinement"): all unset without a root. */
struct vj_volume {
    char *host, *guest;
    bool read_only;
};
struct vj_port {
    uint16_t host, guest;
    bool udp;
};
struct vj_confine {
    char *root; /* or NULL: no sandbox */
    struct vj_volume *volumes;
    size_t n_volumes;
    char **tmpfs;
    size_t n_tmpfs;
    bool read_only;
    int network; /* enum vmjail_network */
    struct vj_port *ports;
    size_t n_ports;
    uint32_t uid, gid;
    char *hostname; /* or NULL */
    int64_t pids;   /* 0: no limit */
    double cpus;    /* 0: no limit */
    const char *first; /* the first option set that needs a root, for the error */
};
/* Free what C holds; copy FROM into TO (0, or -1 out of memory, TO then empty). */
void vj_confine_free(struct vj_confine *c);
int vj_confine_copy(struct vj_confine *to, const struct vj_confine *from);

struct vmjail_config {
    char *program;  /* as given: a path or a name to look up in PATH */
    char **argv;    /* NULL-terminated */
    char **envp;    /* NULL-terminated */
    uint64_t memory;
    char *cwd;      /* or NULL */
    int trace_fd;   /* or -1 */
    int kept_fds[8]; /* vmjail_config_keep_fd: the caller's, kept from the payload */
    int n_kept_fds;
    bool trace_fd_taken; /* trace_fd is the run's own, to keep and close (a sandbox's child) */
    bool proctitle; /* write the payload's argv over the caller's own argv area */
    bool seccomp;   /* install the monitor's seccomp filter before the first instruction */
    int syscall_path; /* enum vmjail_syscall_path */
    int platform;     /* enum vmjail_platform */
    bool exit_after_run; /* the caller exits when the run returns: a helper tears the VM down */
    char *host_cache; /* directory of the host cache (host_cache.c), or NULL */
    char *gdb;        /* --gdb HOST:PORT (gdb_target.c), or NULL */
    bool gdb_listen;  /* --gdb-listen: the payload runs until gdb connects */
    char *core_path;  /* where a core file goes (coredump.c), or NULL: core_pattern's place */
    int snap_mark;     /* vmjail_config_set_snapshot (config_snapshot.c): 0, or the mark ... */
    char *snap_file;   /* ... the file to write ... */
    bool snap_cont;    /* ... and whether the payload goes on after it */
    char *restore_file; /* vmjail_config_set_restore: start from this snapshot, or NULL */
    struct vj_confine confine; /* with a root, the run is a sandbox (config_confine.c) */
};

/* The name of PLATFORM (enum vmjail_platform), as vmjail_platform_by_name takes it. */
const char *vj_platform_name(int platform);
/* The name of syscall path PATH (enum vmjail_syscall_path), as vmjail_syscall_path_by_name
 * takes it. */
const char *vj_syscall_path_name(int path);

/* Run CFG, which has a root, as a sandbox in the foreground (sandbox.c). */
int vj_sandbox_run(const struct vmjail_config *cfg, struct vmjail_result *result,
                   vmjail_error **err);

/* Copy of C (every string its own), or NULL. */
struct vmjail_config *vj_config_copy(const struct vmjail_config *c);

#endif
