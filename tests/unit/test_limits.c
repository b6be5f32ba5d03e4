/* test_limits.c: unit tests of the payload's RLIMIT_NOFILE kept by the monitor (src/monitor/sys_limits.c), through the syscall table. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake_guest.h"
#include "monitor/proc.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"
#include "tap.h"
#include "vmjail_abi.h"

#define PG 4096ULL
#define MEM_SIZE (16ULL << 20)
#define BUF ((uint64_t)VJ_GUEST_MIN + (1ULL << 20))
#define LAST (MEM_SIZE - PG)

static struct vj_proc P;

static int64_t call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    struct vj_syscall sc = {.nr = nr, .arg = {a0, a1, a2, a3, 0, 0}};
    return vj_syscall_dispatch(&P, &sc);
}

static struct rlimit *at(uint64_t gva)
{
    return (struct rlimit *)(void *)(P.mem + gva);
}

int main(void)
{
    fake_guest(&P, MEM_SIZE, 2ULL << 20);
    if (mprotect(P.mem + BUF, 4 * PG, PROT_READ | PROT_WRITE) < 0 ||
        mprotect(P.mem + LAST, PG, PROT_READ | PROT_WRITE) < 0)
        return 2;
    struct rlimit host, saved;
    getrlimit(RLIMIT_NOFILE, &host);
    vj_limits_init(&P, &saved);
    ok(saved.rlim_cur == host.rlim_cur && saved.rlim_max == host.rlim_max,
       "init: the host's limit saved for the caller");
    struct rlimit now;
    getrlimit(RLIMIT_NOFILE, &now);
    ok(now.rlim_cur == host.rlim_max, "init: the monitor runs at its hard limit");

    is_int(call(SYS_getrlimit, RLIMIT_NOFILE, BUF, 0, 0), 0, "getrlimit");
    ok(at(BUF)->rlim_cur == host.rlim_cur && at(BUF)->rlim_max == host.rlim_max,
       "getrlimit: the payload's limit is the host's at the start");

    *at(BUF) = (struct rlimit){16, host.rlim_max};
    is_int(call(SYS_setrlimit, RLIMIT_NOFILE, BUF, 0, 0), 0, "setrlimit: lower to 16");
    getrlimit(RLIMIT_NOFILE, &now);
    ok(now.rlim_cur == host.rlim_max, "setrlimit: the monitor's own limit is unchanged");
    is_int(call(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, BUF + 64), 0, "prlimit64(0): read");
    is_int(at(BUF + 64)->rlim_cur, 16, "prlimit64(0): the lowered limit");
    is_int(call(SYS_prlimit64, (uint64_t)getpid(), RLIMIT_NOFILE, 0, BUF + 64), 0,
           "prlimit64(own pid): read");
    is_int(at(BUF + 64)->rlim_cur, 16, "prlimit64(own pid): the payload's, not the host's");

    /* Bad arguments, as Linux answers them. */
    *at(BUF) = (struct rlimit){20, 10};
    is_int(call(SYS_setrlimit, RLIMIT_NOFILE, BUF, 0, 0), -EINVAL, "soft above hard: EINVAL");
    *at(BUF) = (struct rlimit){16, (rlim_t)1 << 40};
    is_int(call(SYS_setrlimit, RLIMIT_NOFILE, BUF, 0, 0), -EPERM, "hard above fs.nr_open: EPERM");
    is_int(call(SYS_setrlimit, RLIMIT_NOFILE, LAST + PG - 8, 0, 0), -EFAULT,
           "setrlimit: a limit straddling guest memory's end: EFAULT");
    is_int(call(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, LAST + PG - 8), -EFAULT,
           "prlimit64: old straddling the end: EFAULT");
    is_int(call(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, 0x10), -EFAULT,
           "prlimit64: old below guest memory: EFAULT");
    is_int(P.nofile.rlim_cur, 16, "the failed calls left the limit as it was");

    /* Enforcement: descriptors at or above 16. */
    int high = fcntl(0, F_DUPFD, 20);
    ok(high >= 20, "a host descriptor above the payload's limit (made by the monitor)");
    is_int(vj_fd_vet(&P, high), -EMFILE, "vj_fd_vet: a new descriptor above the limit: EMFILE");
    ok(fcntl(high, F_GETFD) < 0 && errno == EBADF, "... and it is closed");
    is_int(call(SYS_dup2, 0, 16, 0, 0), -EBADF, "dup2 to the limit: EBADF");
    is_int(call(SYS_dup3, 0, 17, 0, 0), -EBADF, "dup3 above the limit: EBADF");
    is_int(call(SYS_fcntl, 0, F_DUPFD, 16, 0), -EINVAL, "F_DUPFD from the limit: EINVAL");
    int64_t d = call(SYS_fcntl, 0, F_DUPFD, 5, 0);
    ok(d >= 5 && d < 16, "F_DUPFD below the limit: a descriptor");
    if (d >= 0)
        close((int)d);
    is_int(call(SYS_dup2, 0, 15, 0, 0), 15, "dup2 below the limit");
    close(15);
    int64_t r = call(SYS_pipe2, BUF + 128, O_CLOEXEC, 0, 0);
    is_int(r, 0, "pipe2 under the limit");
    int fds[2];
    memcpy(fds, P.mem + BUF + 128, sizeof fds);
    ok(fds[0] < 16 && fds[1] < 16, "pipe2: both ends under the limit");
    close(fds[0]);
    close(fds[1]);

    /* /proc/self/limits: the host's text with the payload's own "Max open files" line. */
    const char *host_text = "Limit                     Soft Limit           Hard Limit           Units     \n"
                       "Max cpu time              unlimited            unlimited            seconds   \n"
                       "Max open files            2345                 2345                 files     \n"
                       "Max locked memory         8388608              8388608              bytes     \n";
    char *text = NULL;
    size_t len = 0;
    struct rlimit mine = {1234, 2345};
    is_int(vj_limits_text(host_text, &mine, &text, &len), 0, "limits text");
    ok(text && strstr(text, "Max open files            1234                 2345                 "
                            "files     \n") != NULL,
       "limits: the payload's soft and hard limits, in the kernel's columns");
    ok(text && strstr(text, "Max cpu time") && strstr(text, "Max locked memory") &&
           len == strlen(host_text),
       "limits: the other lines as the host's, the same length");
    free(text);
    struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
    is_int(vj_limits_text(host_text, &inf, &text, &len), 0, "limits text, unlimited");
    ok(text && strstr(text, "Max open files            unlimited            unlimited            "
                            "files     \n") != NULL,
       "limits: unlimited as the kernel writes it");
    free(text);
    is_int(vj_limits_text("", &mine, &text, &len), 0, "limits of an empty text");
    is_int(len, 0, "... is empty");
    free(text);

    setrlimit(RLIMIT_NOFILE, &saved);
    return done_testing();
}
