/* payload.c: the last step of a container process: run its program in a VM in this process
 * and end as the program ended (by the same signal where the kernel lets us).  The monitor's
 * seccomp filter is already on (installed before the process dropped its privileges). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

/* An annotation (or environment) value such as "512M" for the guest memory size. */
static uint64_t parse_memory(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    switch (*end) {
    case 'k': case 'K': v <<= 10; break;
    case 'm': case 'M': v <<= 20; break;
    case 'g': case 'G': v <<= 30; break;
    default: break;
    }
    return v;
}

/* The payload could not be run: one line, and the exit code `vmjail run` gives for it. */
static _Noreturn void payload_failed(vmjail_error *err)
{
    fprintf(stderr, "vmjail: %s\n", vmjail_error_message(err));
    int code = vmjail_error_kind(err) == VMJAIL_ERR_NOTFOUND ? 127
               : vmjail_error_kind(err) == VMJAIL_ERR_NOEXEC ? 126
                                                              : 125;
    vmjail_error_free(err);
    _exit(code);
}

_Noreturn void oci_run_payload(const struct oci_process *proc, const char *memory_hint,
                               int platform)
{
    vmjail_error *err = NULL;
    vmjail_config *cfg = vmjail_config_new(&err);
    if (cfg == NULL)
        payload_failed(err);
    int argc = 0;
    while (proc->args[argc])
        argc++;
    if (vmjail_config_set_platform(cfg, platform, &err) < 0 ||
        vmjail_config_set_env(cfg, proc->env, &err) < 0 ||
        vmjail_config_set_proctitle(cfg, 1, &err) < 0 ||
        vmjail_config_set_program(cfg, proc->args[0], argc, proc->args, &err) < 0 ||
        (memory_hint && vmjail_config_set_memory(cfg, parse_memory(memory_hint), &err) < 0))
        payload_failed(err);
    struct vmjail_result res;
    int r = vmjail_run(cfg, &res, &err);
    vmjail_config_free(cfg);
    if (r < 0)
        payload_failed(err);
    fflush(NULL);
    if (!res.signaled)
        _exit(res.exit_code);
    /* Die of the same signal, so that the waiter (conmon, containerd's shim) sees it. */
    signal(res.signal, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, res.signal);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), res.signal);
    /* pid 1 of a pid namespace cannot signal itself to death: exit as a shell reports it. */
    _exit(128 + res.signal);
}
