/* test_seccomp.c: unit tests of the monitor's own seccomp filter (src/monitor/seccomp.c), per
 * platform: each case in a child process that installs the filter, then tries calls the
 * monitor makes, calls only the process platform's stub makes, and calls no monitor makes. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/seccomp.h"
#include "tap.h"

/* What each try gave in the child: 0, or its errno (255: the filter was not installed). */
enum { T_GETPID, T_OPEN, T_SECCOMP, T_UNSHARE_STUB, T_UNSHARE_STUB_NOUSER, T_UNSHARE_MNT,
       T_MOUNT, T_PTRACE, T_BPF, T_N };

static int try_errno(long r)
{
    return r < 0 ? errno : 0;
}

/* Install the filter for PLATFORM in a child, try each call, and bring back what each gave. */
static int run_child(int platform, uint8_t out[T_N])
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t c = fork();
    if (c < 0)
        return -1;
    if (c == 0) {
        close(p[0]);
        uint8_t r[T_N];
        for (int i = 0; i < T_N; i++)
            r[i] = 255;
        vmjail_error *err = NULL;
        if (vj_seccomp_install(platform, &err) == 0) {
            r[T_GETPID] = (uint8_t)try_errno(syscall(SYS_getpid));
            int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            r[T_OPEN] = (uint8_t)try_errno(fd);
            uint32_t action = SECCOMP_RET_ALLOW;
            r[T_SECCOMP] = (uint8_t)try_errno(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action));
            /* The stub's own flags (made in this child: a namespace of its own, gone with it). */
            r[T_UNSHARE_STUB] = (uint8_t)try_errno(
                syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS));
            r[T_UNSHARE_STUB_NOUSER] = (uint8_t)try_errno(
                syscall(SYS_unshare, CLONE_NEWNET | CLONE_NEWUTS));
            r[T_UNSHARE_MNT] = (uint8_t)try_errno(syscall(SYS_unshare, CLONE_NEWNS));
            r[T_MOUNT] = (uint8_t)try_errno(mount("none", "/", NULL, MS_REMOUNT | MS_BIND, NULL));
            r[T_PTRACE] = (uint8_t)try_errno(ptrace(PTRACE_TRACEME, 0, 0, 0));
            r[T_BPF] = (uint8_t)try_errno(syscall(SYS_bpf, 0, NULL, 0));
        }
        if (write(p[1], r, sizeof r) != (ssize_t)sizeof r)
            _exit(2);
        _exit(0); /* no exit handlers: a sanitizer's would need calls the filter refuses */
    }
    close(p[1]);
    ssize_t n = read(p[0], out, T_N);
    close(p[0]);
    int st;
    waitpid(c, &st, 0);
    return n == T_N && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* What every platform's filter allows and refuses. */
static void check_common(const char *name, const uint8_t r[T_N])
{
    is_int(r[T_GETPID], 0, "%s: getpid allowed", name);
    is_int(r[T_OPEN], 0, "%s: open allowed (the table serves it)", name);
    is_int(r[T_UNSHARE_MNT], EPERM, "%s: unshare(CLONE_NEWNS) refused (EPERM)", name);
    is_int(r[T_MOUNT], EPERM, "%s: mount refused (EPERM)", name);
    is_int(r[T_PTRACE], EPERM, "%s: ptrace refused (EPERM)", name);
    is_int(r[T_BPF], EPERM, "%s: bpf refused (EPERM)", name);
}

int main(void)
{
    uint8_t r[T_N];
    ok(run_child(VMJAIL_PLATFORM_KVM, r) == 0, "kvm: the filter installed in a child");
    check_common("kvm", r);
    is_int(r[T_SECCOMP], EPERM, "kvm: seccomp refused (only the process platform's stub uses it)");
    is_int(r[T_UNSHARE_STUB], EPERM, "kvm: the stub's unshare refused");
    is_int(r[T_UNSHARE_STUB_NOUSER], EPERM, "kvm: the stub's unshare (no user namespace) refused");

    const int others[] = {VMJAIL_PLATFORM_PROCESS, VMJAIL_PLATFORM_AUTO};
    const char *names[] = {"process", "auto"};
    for (int i = 0; i < 2; i++) {
        ok(run_child(others[i], r) == 0, "%s: the filter installed in a child", names[i]);
        check_common(names[i], r);
        is_int(r[T_SECCOMP], 0, "%s: seccomp allowed (the stub confines itself)", names[i]);
        /* As root (or once in a user namespace of its own) the kernel allows both: 0 shows
         * the filter let them through; without root where the host refuses user
         * namespaces, the kernel's own EPERM (or ENOSPC) is all there is to see. */
        bool root = geteuid() == 0;
        ok(r[T_UNSHARE_STUB] == 0 ||
               (!root && (r[T_UNSHARE_STUB] == EPERM || r[T_UNSHARE_STUB] == ENOSPC)),
           "%s: the stub's unshare passes the filter (%d)", names[i], r[T_UNSHARE_STUB]);
        ok(r[T_UNSHARE_STUB_NOUSER] == 0 ||
               (!root && r[T_UNSHARE_STUB] != 0 && r[T_UNSHARE_STUB_NOUSER] == EPERM),
           "%s: the stub's unshare without a user namespace passes the filter (%d)", names[i],
           r[T_UNSHARE_STUB_NOUSER]);
    }
    done_testing();
}
