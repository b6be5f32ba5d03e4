/* config.h: the contents of a vmjail_config handle, for the library's own use. */
#ifndef VJ_CONFIG_H
#define VJ_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmjail.h"

struct vmjail_config {
    char *program;  /* as given: a path or a name to look up in PATH */
    char **argv;    /* NULL-terminated */
    char **envp;    /* NULL-terminated */
    uint64_t memory;
    char *cwd;      /* or NULL */
    int trace_fd;   /* or -1 */
    bool proctitle; /* write the payload's argv over the caller's own argv area */
    bool seccomp;   /* install the monitor's seccomp filter before the first instruction */
    int syscall_path; /* enum vmjail_syscall_path */
    int platform;     /* enum vmjail_platform */
    bool exit_after_run; /* the caller exits when the run returns: a helper tears the VM down */
    char *host_cache; /* directory of the host cache (host_cache.c), or NULL */
};

#endif
