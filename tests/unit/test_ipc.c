/* test_ipc.c: unit tests of the SysV IPC, message queue and membarrier calls with hostile
 * arguments (src/monitor/ipc_args.c, sys_ipc.c, sys_shm.c): the decoding of each command's
 * buffer, shmat's address checks, and the calls dispatched over a guest without a VM, with
 * buffers that straddle the end of guest memory, lengths with high bits, commands the
 * monitor does not know and descriptors of the monitor's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake_guest.h"
#include "monitor/ipc.h"
#include "monitor/proc.h"
#include "monitor/syscall.h"
#include "tap.h"
#include "vmjail_abi.h"

#define PG 4096ULL
#define MEM_SIZE (16ULL << 20)
#define GUARD (2ULL << 20)
#define BUF ((uint64_t)VJ_GUEST_MIN + (1ULL << 20)) /* 4 read/write pages */
#define LAST (MEM_SIZE - PG)                         /* the last page, read/write */
#define END MEM_SIZE                                 /* the end of guest memory */

static struct vj_proc P;

static int64_t sys6(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5)
{
    struct vj_syscall sc = {.nr = nr, .arg = {a0, a1, a2, a3, a4, a5}};
    return vj_syscall_dispatch(&P, &sc);
}
#define sys(nr, ...) sys_(nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define sys_(nr, a, b, c, d, e, f, ...)                                                    \
    sys6(nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), (uint64_t)(e),     \
         (uint64_t)(f))

/* ---- the pure decoding ------------------------------------------------------------------- */

static void test_ctl_buf(void)
{
    uint32_t n;
    is_int(vj_ipc_ctl_buf(VJ_IPC_MSG, IPC_STAT, &n), VJ_IPC_BUF_OUT, "msgctl IPC_STAT: out");
    is_int(n, 120, "of 120 bytes (msqid64_ds)");
    is_int(vj_ipc_ctl_buf(VJ_IPC_MSG, IPC_SET, &n), VJ_IPC_BUF_IN, "msgctl IPC_SET: in");
    is_int(vj_ipc_ctl_buf(VJ_IPC_MSG, MSG_INFO, &n), VJ_IPC_BUF_OUT, "msgctl MSG_INFO: out");
    is_int(n, 32, "of 32 bytes (msginfo)");
    is_int(vj_ipc_ctl_buf(VJ_IPC_MSG, MSG_STAT_ANY, &n), VJ_IPC_BUF_OUT, "msgctl MSG_STAT_ANY");
    is_int(vj_ipc_ctl_buf(VJ_IPC_MSG, IPC_RMID, &n), VJ_IPC_BUF_NONE, "msgctl IPC_RMID: none");
    is_int(vj_ipc_ctl_buf(VJ_IPC_MSG, SETALL, &n), VJ_IPC_BUF_UNKNOWN, "msgctl SETALL: unknown");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SEM, IPC_STAT | 0x100, &n), VJ_IPC_BUF_OUT,
           "semctl IPC_STAT|IPC_64: sized as IPC_STAT (the host refuses the flag)");
    is_int(n, 104, "of 104 bytes (semid64_ds)");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SEM, SEM_INFO, &n), VJ_IPC_BUF_OUT, "semctl SEM_INFO: out");
    is_int(n, 40, "of 40 bytes (seminfo)");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SEM, GETALL, &n), VJ_IPC_BUF_ARRAY_OUT, "semctl GETALL: array");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SEM, SETALL, &n), VJ_IPC_BUF_ARRAY_IN, "semctl SETALL: array");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SEM, SETVAL, &n), VJ_IPC_BUF_VALUE, "semctl SETVAL: a value");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SEM, GETNCNT, &n), VJ_IPC_BUF_NONE, "semctl GETNCNT: none");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SHM, IPC_INFO, &n), VJ_IPC_BUF_OUT, "shmctl IPC_INFO: out");
    is_int(n, 72, "of 72 bytes (shminfo64)");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SHM, SHM_INFO, &n), VJ_IPC_BUF_OUT, "shmctl SHM_INFO: out");
    is_int(n, 48, "of 48 bytes (shm_info)");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SHM, SHM_STAT_ANY, &n), VJ_IPC_BUF_OUT, "shmctl SHM_STAT_ANY");
    is_int(n, 112, "of 112 bytes (shmid64_ds)");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SHM, SHM_LOCK, &n), VJ_IPC_BUF_NONE, "shmctl SHM_LOCK: none");
    is_int(vj_ipc_ctl_buf(VJ_IPC_SHM, SETVAL, &n), VJ_IPC_BUF_UNKNOWN, "shmctl SETVAL: unknown");
    const int hostile[] = {-1, INT_MIN, INT_MAX, 99, 0x100 | 99, 0x7fffff00};
    int bad = 0;
    for (int k = VJ_IPC_MSG; k <= VJ_IPC_SHM; k++)
        for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
            bad += vj_ipc_ctl_buf((enum vj_ipc_kind)k, hostile[i], &n) != VJ_IPC_BUF_UNKNOWN ||
                   n != 0;
    is_int(bad, 0, "hostile commands (-1, INT_MIN, INT_MAX, 99, ...): unknown, no size");
    is_int(vj_ipc_ctl_buf((enum vj_ipc_kind)42, IPC_STAT, &n), VJ_IPC_BUF_UNKNOWN,
           "an unknown kind: unknown");
}

static void test_attach_addr(void)
{
    uint64_t a;
    bool fixed;
    is_int(vj_shm_attach_addr(-1, 0, 0, &a, &fixed), -EINVAL, "shmat id -1: EINVAL");
    is_int(vj_shm_attach_addr(INT_MIN, 0x10000, 0, &a, &fixed), -EINVAL, "id INT_MIN: EINVAL");
    is_int(vj_shm_attach_addr(3, 0, 0, &a, &fixed), 0, "no address: placed");
    ok(!fixed && a == 0, "not fixed");
    is_int(vj_shm_attach_addr(3, 0, SHM_REMAP, &a, &fixed), -EINVAL, "SHM_REMAP without one");
    is_int(vj_shm_attach_addr(3, 0x10001, 0, &a, &fixed), -EINVAL, "misaligned: EINVAL");
    is_int(vj_shm_attach_addr(3, 0x10001, SHM_RND, &a, &fixed), 0, "misaligned with SHM_RND");
    ok(fixed && a == 0x10000, "rounded down to the page");
    is_int(vj_shm_attach_addr(3, 1, SHM_RND | SHM_REMAP, &a, &fixed), -EINVAL,
           "SHM_RND to 0 with SHM_REMAP: EINVAL");
    is_int(vj_shm_attach_addr(3, 1, SHM_RND, &a, &fixed), 0, "SHM_RND to 0 alone");
    ok(fixed && a == 0, "fixed at 0 (which guest memory never has: ENOMEM later)");
    is_int(vj_shm_attach_addr(3, UINT64_MAX, SHM_RND, &a, &fixed), 0, "address -1 with SHM_RND");
    ok(fixed && a == 0xfffffffffffff000ULL, "rounded down (refused later: outside guest memory)");
    is_int(vj_shm_attach_addr(3, 0x20000, SHM_REMAP | SHM_RDONLY, &a, &fixed), 0,
           "aligned with SHM_REMAP");
    ok(fixed && a == 0x20000, "kept");
    is_int(vj_membarrier_needs(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
           MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, "PRIVATE_EXPEDITED needs its registration");
    is_int(vj_membarrier_needs(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE),
           MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, "and SYNC_CORE its own");
    is_int(vj_membarrier_needs(MEMBARRIER_CMD_GLOBAL), 0, "GLOBAL needs none");
    is_int(vj_membarrier_needs(-1), 0, "nor does -1");
}

/* ---- the calls, over a guest without a VM ------------------------------------------------ */

static void test_msg(void)
{
    int q = msgget(IPC_PRIVATE, 0600);
    ok(q >= 0, "a host message queue");
    uint64_t m = BUF;
    memcpy(P.mem + m, &(long){3}, 8);
    memcpy(P.mem + m + 8, "hello", 6);
    is_int(sys(SYS_msgsnd, q, m, 6, 0), 0, "msgsnd from guest memory");
    is_int(sys(SYS_msgrcv, q, BUF + PG, 64, 0, IPC_NOWAIT), 6, "msgrcv into guest memory");
    ok(memcmp(P.mem + BUF + PG + 8, "hello", 6) == 0, "the text arrived");
    /* A message whose mtype is the last word of guest memory: its text lies past the end. */
    uint64_t edge = END - 8;
    memcpy(P.mem + edge, &(long){1}, 8);
    is_int(sys(SYS_msgsnd, q, edge, 16, 0), -EFAULT, "text past guest memory: the guard, EFAULT");
    is_int(sys(SYS_msgsnd, q, edge, 1 << 30, 0), -EINVAL, "a length over msgmax: EINVAL, as Linux");
    is_int(sys(SYS_msgsnd, q, edge, UINT64_MAX, 0), -EINVAL, "length -1 (overflows +8): EINVAL");
    is_int(sys(SYS_msgsnd, q, END - 4, 0, 0), -EFAULT, "mtype straddling the end: EFAULT");
    is_int(sys(SYS_msgsnd, q, END, 0, 0), -EFAULT, "mtype past the end: EFAULT");
    is_int(sys(SYS_msgsnd, q, 1, 0, 0), -EFAULT, "below guest memory: EFAULT");
    is_int(sys(SYS_msgsnd, q, edge, 0, 0), 0, "an empty message in the last word");
    is_int(sys(SYS_msgrcv, q, END - 8, 8, 0, IPC_NOWAIT), 0, "received into the last word");
    memcpy(P.mem + m, &(long){3}, 8);
    sys(SYS_msgsnd, q, m, 6, 0);
    is_int(sys(SYS_msgrcv, q, END - 8, 64, 0, IPC_NOWAIT), -EFAULT,
           "msgrcv whose text would pass the end: EFAULT (the message is lost, as on Linux)");
    is_int(sys(SYS_msgrcv, q, BUF, -1L, 0, IPC_NOWAIT), -EINVAL, "msgrcv length -1: EINVAL");
    is_int(sys(SYS_msgctl, q, IPC_STAT, END - 100), -EFAULT, "IPC_STAT straddling the end: EFAULT");
    is_int(sys(SYS_msgctl, q, IPC_STAT, END - 120), 0, "IPC_STAT in the last 120 bytes");
    is_int(sys(SYS_msgctl, q, 99, BUF), -EINVAL, "an unknown command: EINVAL");
    is_int(sys(SYS_msgctl, q, IPC_STAT | 0x100, BUF), -EINVAL, "IPC_64: the host's EINVAL");
    is_int(sys(SYS_msgctl, q, IPC_RMID, 1), 0, "IPC_RMID ignores its buffer");
}

static void test_sem(void)
{
    int s = semget(IPC_PRIVATE, 3, 0600);
    ok(s >= 0, "a host semaphore set of 3");
    uint16_t v[3] = {4, 5, 6};
    memcpy(P.mem + END - 6, v, 6);
    is_int(sys(SYS_semctl, s, 0, SETALL, END - 6), 0, "SETALL from the last 6 bytes");
    is_int(sys(SYS_semctl, s, 0, SETALL, END - 4), -EFAULT, "SETALL straddling the end: EFAULT");
    is_int(sys(SYS_semctl, s, 0, GETALL, END - 4), -EFAULT, "GETALL straddling the end: EFAULT");
    memset(P.mem + BUF, 0xff, 16);
    is_int(sys(SYS_semctl, s, 0, GETALL, BUF), 0, "GETALL into guest memory");
    uint16_t got[4];
    memcpy(got, P.mem + BUF, 8);
    ok(got[0] == 4 && got[1] == 5 && got[2] == 6 && got[3] == 0xffff,
       "3 values written, nothing after them");
    is_int(sys(SYS_semctl, s, 1, SETVAL, BUF), -ERANGE,
           "SETVAL takes its argument as a value (an address is a value over 32767)");
    is_int(sys(SYS_semctl, s, 1, SETVAL, 0x100000009ULL), 0, "SETVAL: the int in the low half");
    is_int(sys(SYS_semctl, s, 1, GETVAL, BUF), 9, "GETVAL 9");
    is_int(sys(SYS_semctl, s, 0, 99, BUF), -EINVAL, "an unknown command with an address: EINVAL");
    is_int(sys(SYS_semctl, -5, 0, GETALL, BUF), -EINVAL, "GETALL of a bad id: EINVAL");
    struct sembuf op = {0, -1, 0};
    memcpy(P.mem + BUF, &op, sizeof op);
    is_int(sys(SYS_semop, s, BUF, (1ULL << 32) | 1), 0, "semop count with high bits: its low 32");
    is_int(sys(SYS_semop, s, BUF, 0), -EINVAL, "semop of none: EINVAL");
    is_int(sys(SYS_semop, s, BUF, 0xffffffffULL), -E2BIG, "semop of 2^32-1: E2BIG, never read");
    is_int(sys(SYS_semop, s, END - 4, 1), -EFAULT, "semop array straddling the end: EFAULT");
    memcpy(P.mem + END - 6, &op, sizeof op);
    is_int(sys(SYS_semop, s, END - 6, 1), 0, "semop of the last 6 bytes");
    is_int(sys(SYS_semtimedop, s, BUF, 1, END - 8), -EFAULT, "timeout straddling the end: EFAULT");
    is_int(sys(SYS_semctl, s, 0, IPC_STAT, END - 100), -EFAULT, "IPC_STAT straddling: EFAULT");
    is_int(sys(SYS_semctl, s, 0, IPC_RMID, 1), 0, "IPC_RMID");
}

static void test_shmctl(void)
{
    int id = shmget(IPC_PRIVATE, PG, 0600);
    ok(id >= 0, "a host segment");
    is_int(sys(SYS_shmctl, id, IPC_STAT, END - 112), 0, "IPC_STAT into the last 112 bytes");
    struct shmid_ds ds;
    memcpy(&ds, P.mem + END - 112, sizeof ds);
    ok(ds.shm_segsz == PG && ds.shm_nattch == 0, "its size and nattch");
    is_int(sys(SYS_shmctl, id, IPC_STAT, END - 100), -EFAULT, "straddling the end: EFAULT");
    is_int(sys(SYS_shmctl, id, IPC_STAT, 0), -EFAULT, "no buffer: EFAULT");
    is_int(sys(SYS_shmctl, id, IPC_SET, END - 100), -EFAULT, "IPC_SET straddling: EFAULT");
    is_int(sys(SYS_shmctl, id, 99, BUF), -EINVAL, "an unknown command: EINVAL");
    is_int(sys(SYS_shmctl, id, SHM_STAT | 0x100, BUF), -EINVAL, "IPC_64: EINVAL");
    is_int(sys(SYS_shmctl, -1, IPC_STAT, BUF), -EINVAL, "a bad id: EINVAL");
    is_int(sys(SYS_shmdt, BUF + 1), -EINVAL, "shmdt misaligned: EINVAL");
    is_int(sys(SYS_shmat, -1, 0, 0), -EINVAL, "shmat id -1: EINVAL before anything");
    is_int(sys(SYS_shmat, id, BUF + 1, 0), -EINVAL, "shmat misaligned: EINVAL");
    is_int(sys(SYS_shmctl, id, IPC_RMID, 0), 0, "IPC_RMID");
}

static void test_mq(void)
{
    char name[64];
    snprintf(name, sizeof name, "vj-test-ipc-%d", (int)getpid());
    strcpy((char *)P.mem + BUF, name);
    struct mq_attr at = {.mq_maxmsg = 2, .mq_msgsize = 32};
    memcpy(P.mem + END - sizeof at, &at, sizeof at);
    int64_t q = sys(SYS_mq_open, BUF, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, END - 64);
    ok(q >= 0, "mq_open with its attributes in the last 64 bytes");
    is_int(sys(SYS_mq_open, BUF, O_RDWR, 0, END - 32), -EFAULT, "attributes straddling: EFAULT");
    is_int(sys(SYS_mq_open, END, O_RDWR, 0, 0), -EFAULT, "a name past the end: EFAULT");
    is_int(sys(SYS_mq_timedsend, q, END - 4, 8, 0, 0), -EFAULT, "a message straddling: EFAULT");
    is_int(sys(SYS_mq_timedsend, q, END - 4, 4, 1, 0), 0, "the last 4 bytes sent");
    is_int(sys(SYS_mq_timedreceive, q, END - 32, 32, END - 2, 0), -EFAULT,
           "the priority straddling the end: EFAULT");
    is_int(sys(SYS_mq_getsetattr, q, 0, END - 32), -EFAULT, "getsetattr straddling: EFAULT");
    /* mq_notify: the sigevent and SIGEV_THREAD's cookie checked, descriptors the payload's. */
    int mine = open("/dev/null", O_RDONLY | O_CLOEXEC);
    P.kept_fds[0] = mine;
    P.n_kept_fds = 1;
    is_int(sys(SYS_mq_notify, mine, 0), -EBADF, "mq_notify on the monitor's descriptor: EBADF");
    is_int(sys(SYS_mq_notify, q, END - 32), -EFAULT, "a sigevent straddling the end: EFAULT");
    struct {
        uint64_t value;
        int32_t signo, notify, tid, pad[11];
    } ev = {.value = END - 16, .signo = mine, .notify = SIGEV_THREAD};
    memcpy(P.mem + BUF, &ev, sizeof ev);
    is_int(sys(SYS_mq_notify, q, BUF), -EFAULT, "SIGEV_THREAD's cookie straddling: EFAULT");
    ev.value = BUF + PG;
    memcpy(P.mem + BUF, &ev, sizeof ev);
    is_int(sys(SYS_mq_notify, q, BUF), -EBADF, "SIGEV_THREAD to the monitor's descriptor: EBADF");
    P.n_kept_fds = 0;
    close(mine);
    ev = (typeof(ev)){.signo = 65, .notify = SIGEV_SIGNAL};
    memcpy(P.mem + BUF, &ev, sizeof ev);
    is_int(sys(SYS_mq_notify, q, BUF), -EINVAL, "signal 65: EINVAL");
    ev.signo = -1;
    memcpy(P.mem + BUF, &ev, sizeof ev);
    is_int(sys(SYS_mq_notify, q, BUF), -EINVAL, "signal -1: EINVAL");
    ev = (typeof(ev)){.signo = SIGUSR1, .notify = 4 /* SIGEV_THREAD_ID */};
    memcpy(P.mem + BUF, &ev, sizeof ev);
    is_int(sys(SYS_mq_notify, q, BUF), -EINVAL, "SIGEV_THREAD_ID: EINVAL, as Linux");
    ev.notify = SIGEV_SIGNAL;
    memcpy(P.mem + BUF, &ev, sizeof ev);
    is_int(sys(SYS_mq_notify, q, BUF), 0, "SIGEV_SIGNAL: registered (as the monitor's signal)");
    ok(P.n_mq_notify > 0, "and recorded");
    is_int(sys(SYS_mq_notify, q, BUF), -EBUSY, "again: EBUSY");
    is_int(sys(SYS_mq_notify, 999, BUF), -EBADF, "on a closed descriptor: EBADF");
    is_int(sys(SYS_mq_notify, q, 0), 0, "cancelled");
    close((int)q);
    strcpy((char *)P.mem + BUF, name);
    is_int(sys(SYS_mq_unlink, BUF), 0, "mq_unlink");
}

static void test_membarrier(void)
{
    long host = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    int64_t q = sys(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    ok(host < 0 ? q == -errno : q == (host & VJ_MEMBARRIER_SERVED),
       "QUERY: the host's commands, without the rseq ones (%#llx)", (unsigned long long)q);
    is_int(sys(SYS_membarrier, MEMBARRIER_CMD_QUERY, 1, 0), -EINVAL, "QUERY with flags: EINVAL");
    is_int(sys(SYS_membarrier, 3, 0, 0), -EINVAL, "two commands at once: EINVAL");
    is_int(sys(SYS_membarrier, -1, 0, 0), -EINVAL, "command -1: EINVAL");
    is_int(sys(SYS_membarrier, 128, 0, 0), -EINVAL, "PRIVATE_EXPEDITED_RSEQ: EINVAL (no rseq)");
    is_int(sys(SYS_membarrier, 1 << 30, 0, 0), -EINVAL, "an unknown command: EINVAL");
    if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
        ok(1, "# SKIP the host has no PRIVATE_EXPEDITED");
        return;
    }
    is_int(sys(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), -EPERM,
           "PRIVATE_EXPEDITED unregistered: EPERM");
    is_int(sys(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0, "register");
    is_int(sys(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), 0, "PRIVATE_EXPEDITED");
    is_int(sys(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 1, 0), -EINVAL, "with flags");
    if (q & VJ_MEMBARRIER_GET_REGISTRATIONS)
        is_int(sys(SYS_membarrier, VJ_MEMBARRIER_GET_REGISTRATIONS, 0, 0),
               MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, "GET_REGISTRATIONS: the payload's");
    vj_ipc_after_exec(&P);
    is_int(sys(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), -EPERM,
           "after an exec: unregistered again");
}

int main(void)
{
    fake_guest(&P, MEM_SIZE, GUARD);
    if (mprotect(P.mem + BUF, 4 * PG, PROT_READ | PROT_WRITE) < 0 ||
        mprotect(P.mem + LAST, PG, PROT_READ | PROT_WRITE) < 0) {
        perror("mprotect");
        return 2;
    }
    /* The signal a registered notification would send the monitor is not this test's. */
    signal(SIGRTMAX, SIG_IGN);
    test_ctl_buf();
    test_attach_addr();
    test_msg();
    test_sem();
    test_shmctl();
    test_mq();
    test_membarrier();
    return done_testing();
}
