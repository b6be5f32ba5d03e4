/* seccomp.c: the monitor's own seccomp filter (libseccomp): it allows the calls the syscall
 * table serves (passed through or emulated), the few the monitor makes for itself, and those
 * only the process platform's stub needs where that platform may be used, and refuses
 * everything else with EPERM, for every thread of the process. */
#include <errno.h>
#include <sched.h>
#include <sys/prctl.h>
#include <seccomp.h>
#include <stddef.h>

#include "lib/error.h"
#include "monitor/seccomp.h"
#include "monitor/syscall.h"

/* Calls the monitor makes for itself that the table does not serve to payloads.
 * process_vm_readv/writev are its fault-safe copies of guest memory, made on itself; a
 * filter cannot say "itself" across forks, so they are allowed, still under the kernel's
 * ptrace access checks (and, in a container, only on the container's processes). */
static const char *const monitor_calls[] = {
    "process_vm_readv", "process_vm_writev", "capset",
    "clone3", "rseq", "set_robust_list", "get_robust_list", "exit", "exit_group",
    "rt_sigreturn", "rt_sigtimedwait", "tgkill", "restart_syscall", "madvise", "mremap",
    "futex", "sched_yield", "getrandom", "timer_create", "timer_settime", "timer_delete",
    "clock_nanosleep", "nanosleep", "wait4", "waitid", "process_mrelease", "getrusage",
    "clone", "pidfd_open", "pidfd_send_signal", "poll", "sched_setscheduler", NULL,
};

/* The process platform's stub, started by the monitor, confines itself further (seccomp) and
 * starts in namespaces of its own: unshare with exactly the flags it uses (stub_process.c:
 * with a user namespace, or without one where the host refuses it), nothing else (no mount
 * namespace, no cgroup or pid namespace).  Not allowed to a monitor on KVM. */
static int allow_stub_calls(scmp_filter_ctx ctx)
{
    /* The comparisons spelled out: SCMP_A0 leaves datum_b to the compiler, which clang's
     * -Wmissing-field-initializers refuses. */
    const struct scmp_arg_cmp with_user = {
        .arg = 0, .op = SCMP_CMP_EQ,
        .datum_a = CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS, .datum_b = 0};
    const struct scmp_arg_cmp without_user = {
        .arg = 0, .op = SCMP_CMP_EQ, .datum_a = CLONE_NEWNET | CLONE_NEWUTS, .datum_b = 0};
    int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 0);
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unshare), 1, with_user);
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unshare), 1, without_user);
    return r;
}

/* vj_seccomp_install set no_new_privs (kept over fork, as the flag itself is). */
static bool set_nnp;

bool vj_seccomp_set_nnp(void)
{
    return set_nnp;
}

int vj_seccomp_install(int platform, vmjail_error **err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (ctx == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "seccomp filter");
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (int nr = 0; r == 0 && nr < VJ_NR_SYSCALLS; nr++)
        if (vj_syscalls[nr].serve == VJ_PASS || vj_syscalls[nr].serve == VJ_EMUL)
            r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    for (const char *const *c = monitor_calls; r == 0 && *c; c++) {
        int nr = seccomp_syscall_resolve_name(*c);
        if (nr != __NR_SCMP_ERROR)
            r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    if (r == 0 && platform != VMJAIL_PLATFORM_KVM)
        r = allow_stub_calls(ctx);
    /* Load without setting no_new_privs where the kernel allows it (CAP_SYS_ADMIN), so that a
     * container's noNewPrivileges stays its own choice; else no_new_privs is required.  The
     * kernel's own error is asked for (libseccomp otherwise reports every one as ECANCELED,
     * and a caller without the capability never got its second try). */
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (r == 0) {
        r = seccomp_load(ctx);
        if (r == -EACCES || r == -EPERM) {
            bool had_nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
            if (r == 0)
                r = seccomp_load(ctx);
            if (r == 0 && !had_nnp)
                set_nnp = true;
        }
    }
    seccomp_release(ctx);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, -r, "install the seccomp filter");
    return 0;
}

int vmjail_confine_monitor(vmjail_error **err)
{
    return vj_seccomp_install(VMJAIL_PLATFORM_AUTO, err); /* either platform may follow */
}
