/* test_syscall_table.c: unit tests of the syscall table and the generic pass-through (src/monitor/syscall_table.c, src/monitor/syscall.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_guest.h"
#include "monitor/proc.h"
#include "monitor/sys.h"
#include "tap.h"
#include "vmjail_abi.h"

#define PG 4096ULL
#define MEM_SIZE (16ULL << 20)
#define GUARD (2ULL << 20)

/* Guest memory used: 16 read/write pages at BUF, a PROT_NONE page after them (HOLE), and the
 * last page of guest memory (LAST) read/write.  Everything else stays PROT_NONE. */
#define BUF ((uint64_t)VJ_GUEST_MIN + (1ULL << 20))
#define BUF2 (BUF + 4 * PG)
#define SCRATCH (BUF + 8 * PG)
#define HOLE (BUF + 16 * PG)
#define LAST (MEM_SIZE - PG)

static struct vj_proc P;

static void setup(void)
{
    fake_guest(&P, MEM_SIZE, GUARD);
    if (mprotect(P.mem + BUF, HOLE - BUF, PROT_READ | PROT_WRITE) < 0 ||
        mprotect(P.mem + LAST, PG, PROT_READ | PROT_WRITE) < 0) {
        perror("mprotect");
        exit(2);
    }
}

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

/* Put the string S at guest address G. */
static uint64_t gstr(uint64_t g, const char *s)
{
    memcpy(P.mem + g, s, strlen(s) + 1);
    return g;
}

static bool is_int_type(uint8_t t)
{
    return t == VJ_A_INT || t == VJ_A_LONG || t == VJ_A_ULONG || t == VJ_A_UINT;
}

static bool is_mem_type(uint8_t t)
{
    return t == VJ_A_IN || t == VJ_A_OUT || t == VJ_A_INOUT || t == VJ_A_OUTL;
}

/* ---- the table itself ------------------------------------------------------------------- */

static void test_table_shape(void)
{
    int bad_serve = 0, bad_nargs = 0, emul_no_fn = 0, bad_pass_type = 0, bad_len = 0,
        bad_unused = 0, bad_ret = 0, bad_size = 0, named = 0, bad_lookup = 0;
    for (uint64_t nr = 0; nr < VJ_NR_SYSCALLS; nr++) {
        const struct vj_syscall_desc *d = &vj_syscalls[nr];
        if (d->name == NULL) {
            if (vj_syscall_lookup(nr) != NULL) {
                printf("#   unnamed %llu: lookup not NULL\n", (unsigned long long)nr);
                bad_lookup++;
            }
            continue;
        }
        named++;
        if (vj_syscall_lookup(nr) != d) {
            printf("#   %s: lookup(%llu) is not its entry\n", d->name, (unsigned long long)nr);
            bad_lookup++;
        }
        if (d->serve != VJ_NOSYS && d->serve != VJ_PASS && d->serve != VJ_EMUL &&
            d->serve != VJ_PRIV) {
            printf("#   %s: serve %d\n", d->name, d->serve);
            bad_serve++;
        }
        if (d->nargs > 6) {
            printf("#   %s: nargs %d\n", d->name, d->nargs);
            bad_nargs++;
            continue;
        }
        if (d->ret != VJ_RET_INT && d->ret != VJ_RET_HEX && d->ret != VJ_RET_FD) {
            printf("#   %s: ret %d\n", d->name, d->ret);
            bad_ret++;
        }
        if (d->serve == VJ_EMUL && d->fn == NULL) {
            printf("#   %s: EMUL without a handler\n", d->name);
            emul_no_fn++;
        }
        for (int i = d->nargs; i < 6; i++)
            if (d->arg[i].type != VJ_A_NONE) {
                printf("#   %s: argument %d beyond nargs has a type\n", d->name, i);
                bad_unused++;
            }
        if (d->serve == VJ_NOSYS || d->serve == VJ_PRIV)
            continue;
        for (int i = 0; i < d->nargs; i++) {
            const struct vj_arg *s = &d->arg[i];
            /* The generic pass-through translates FD, DIRFD, PATH and memory and passes the
             * scalar types through: anything else (NONE, unknown) is an error there. */
            if (d->serve == VJ_PASS && d->fn == NULL &&
                (s->type < VJ_A_INT || s->type > VJ_A_OUTL)) {
                printf("#   %s: argument %d has type %d, which the pass-through cannot do\n",
                       d->name, i, s->type);
                bad_pass_type++;
            }
            if ((s->type == VJ_A_IN || s->type == VJ_A_OUT || s->type == VJ_A_INOUT) &&
                s->size == 0) {
                printf("#   %s: memory argument %d of size 0\n", d->name, i);
                bad_size++;
            }
            if (s->type == VJ_A_OUTL && s->len < 0) {
                /* vj_syscall_pass reads a[s->len]: a negative index is out of bounds. */
                printf("#   %s: OUTL argument %d without a length argument\n", d->name, i);
                bad_len++;
            }
            if (!is_mem_type(s->type) || s->len < 0)
                continue;
            if (s->len >= d->nargs || s->len == i) {
                printf("#   %s: argument %d sized by argument %d of %d\n", d->name, i, s->len,
                       d->nargs);
                bad_len++;
                continue;
            }
            uint8_t lt = d->arg[s->len].type;
            bool good = s->type == VJ_A_OUTL
                            ? (lt == VJ_A_IN || lt == VJ_A_OUT || lt == VJ_A_INOUT) &&
                                  d->arg[s->len].len < 0 && d->arg[s->len].size >= 4
                            : is_int_type(lt);
            if (!good) {
                printf("#   %s: argument %d sized by argument %d of type %d\n", d->name, i,
                       s->len, lt);
                bad_len++;
            }
        }
    }
    ok(named > 100, "the table names %d syscalls", named);
    is_int(bad_lookup, 0, "lookup returns the entry for named numbers and NULL for unnamed ones");
    is_int(bad_serve, 0, "every entry serves as NOSYS, PASS or EMUL");
    is_int(bad_nargs, 0, "every entry has at most 6 arguments");
    is_int(bad_ret, 0, "every entry returns INT, HEX or FD");
    is_int(emul_no_fn, 0, "every EMUL entry has a handler");
    is_int(bad_unused, 0, "arguments beyond nargs have no type");
    is_int(bad_pass_type, 0, "generic PASS entries use only types the pass-through handles");
    is_int(bad_size, 0, "IN/OUT/INOUT arguments have a size");
    is_int(bad_len, 0, "length arguments: in range, integers (pointers to socklen_t for OUTL)");
}

struct known {
    uint64_t nr;
    const char *name;
    int serve; /* -1: anything but PASS */
};

static void test_known_numbers(void)
{
    static const struct known k[] = {
        {SYS_read, "read", VJ_PASS},
        {SYS_write, "write", VJ_PASS},
        {SYS_openat, "openat", VJ_EMUL}, /* /proc/self first, then the host */
        {SYS_close, "close", VJ_PASS},
        {SYS_getcwd, "getcwd", VJ_PASS},
        {SYS_mmap, "mmap", VJ_EMUL},
        {SYS_munmap, "munmap", VJ_EMUL},
        {SYS_mprotect, "mprotect", VJ_EMUL},
        {SYS_mremap, "mremap", VJ_EMUL},
        {SYS_brk, "brk", VJ_EMUL},
        {SYS_exit_group, "exit_group", VJ_EMUL},
        {SYS_exit, "exit", VJ_EMUL},
        {SYS_arch_prctl, "arch_prctl", VJ_EMUL},
        {SYS_rt_sigaction, "rt_sigaction", VJ_EMUL},
        {SYS_readv, "readv", VJ_EMUL},
        {SYS_ioctl, "ioctl", VJ_EMUL},
        {SYS_fcntl, "fcntl", VJ_EMUL},
        {SYS_execve, "execve", VJ_EMUL},
        {SYS_ptrace, "ptrace", VJ_NOSYS},
        {SYS_process_vm_readv, "process_vm_readv", VJ_NOSYS},
        {SYS_process_vm_writev, "process_vm_writev", VJ_NOSYS},
        {SYS_io_uring_setup, "io_uring_setup", VJ_NOSYS},
        {SYS_userfaultfd, "userfaultfd", VJ_NOSYS},
        {SYS_seccomp, "seccomp", VJ_NOSYS},
        {SYS_modify_ldt, "modify_ldt", VJ_NOSYS},
        {SYS_mount, "mount", VJ_PRIV},
        {SYS_umount2, "umount2", VJ_PRIV},
        {SYS_pivot_root, "pivot_root", VJ_PRIV},
        {SYS_chroot, "chroot", VJ_PRIV},
        {SYS_unshare, "unshare", VJ_PRIV},
        {SYS_setns, "setns", VJ_PRIV},
        {SYS_init_module, "init_module", VJ_PRIV},
        {SYS_reboot, "reboot", VJ_PRIV},
        {SYS_iopl, "iopl", VJ_PRIV},
        {SYS_open_by_handle_at, "open_by_handle_at", VJ_PRIV},
        {SYS_splice, "splice", VJ_PASS},
        {SYS_tee, "tee", VJ_PASS},
        {SYS_vmsplice, "vmsplice", VJ_NOSYS},
        {SYS_setxattr, "setxattr", VJ_PASS},
        {SYS_fgetxattr, "fgetxattr", VJ_PASS},
        {SYS_llistxattr, "llistxattr", VJ_PASS},
        {SYS_fremovexattr, "fremovexattr", VJ_PASS},
        {SYS_inotify_init1, "inotify_init1", VJ_PASS},
        {SYS_inotify_add_watch, "inotify_add_watch", VJ_PASS},
        {SYS_pidfd_open, "pidfd_open", VJ_EMUL},
        {SYS_pidfd_send_signal, "pidfd_send_signal", VJ_EMUL},
        {SYS_pidfd_getfd, "pidfd_getfd", VJ_NOSYS},
        {SYS_personality, "personality", VJ_EMUL},
        {SYS_epoll_pwait2, "epoll_pwait2", VJ_EMUL},
        {SYS_openat2, "openat2", VJ_EMUL},
        {SYS_fork, "fork", VJ_EMUL},
        {SYS_vfork, "vfork", VJ_EMUL},
        /* clone became EMUL with threads (vj_sys_clone); it must never reach the host. */
        {SYS_clone, "clone", -1},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        const struct vj_syscall_desc *d = vj_syscall_lookup(k[i].nr);
        ok(d != NULL, "%s (%llu) is in the table", k[i].name, (unsigned long long)k[i].nr);
        if (d == NULL)
            continue;
        is_str(d->name, k[i].name, "entry %llu is named %s", (unsigned long long)k[i].nr,
               k[i].name);
        if (k[i].serve >= 0)
            is_int(d->serve, k[i].serve, "%s is served as %s", k[i].name,
                   k[i].serve == VJ_PASS   ? "PASS"
                   : k[i].serve == VJ_EMUL ? "EMUL"
                   : k[i].serve == VJ_PRIV ? "PRIV"
                                           : "NOSYS");
        else
            ok(d->serve == VJ_NOSYS || (d->serve == VJ_EMUL && d->fn != NULL),
               "%s is never passed to the host (serve %d)", k[i].name, d->serve);
    }
    const struct vj_syscall_desc *d = vj_syscall_lookup(SYS_openat);
    ok(d && d->ret == VJ_RET_FD, "openat returns a descriptor that is vetted");
    d = vj_syscall_lookup(SYS_open);
    ok(d && d->ret == VJ_RET_FD, "open returns a descriptor that is vetted");
    static const uint64_t fd_results[] = {SYS_openat2, SYS_pidfd_open, SYS_inotify_init,
                                          SYS_inotify_init1};
    for (size_t i = 0; i < sizeof fd_results / sizeof *fd_results; i++) {
        d = vj_syscall_lookup(fd_results[i]);
        ok(d && d->ret == VJ_RET_FD, "%s returns a descriptor that is vetted", d ? d->name : "?");
    }
    d = vj_syscall_lookup(SYS_mmap);
    ok(d && d->ret == VJ_RET_HEX, "mmap returns an address");
}

static void test_lookup_out_of_range(void)
{
    ok(vj_syscall_lookup(VJ_NR_SYSCALLS) == NULL, "lookup(%d) is NULL", VJ_NR_SYSCALLS);
    ok(vj_syscall_lookup(462) == NULL, "lookup(462) is NULL");
    ok(vj_syscall_lookup(1000) == NULL, "lookup(1000) is NULL");
    ok(vj_syscall_lookup(UINT64_MAX) == NULL, "lookup(-1) is NULL");
    ok(vj_syscall_lookup(1ULL << 32) == NULL, "lookup(2^32) is NULL (not read)");
    ok(vj_syscall_lookup((1ULL << 32) | SYS_write) == NULL, "lookup(2^32 + 1) is NULL");
    ok(vj_syscall_lookup(0x40000000ULL | SYS_read) == NULL, "an x32 number is NULL");
    ok(vj_syscall_lookup(1ULL << 63) == NULL, "lookup(2^63) is NULL");
    ok(vj_syscall_lookup(SYS_read) != NULL, "lookup(read) is not NULL");
}

/* Unknown, unnamed and NOSYS numbers are answered -ENOSYS (never -ENOTSUP) without touching
 * the host. */
static void test_nosys(void)
{
    static const uint64_t outside[] = {462, 463, 500, 1000, 0x40000000ULL, 1ULL << 32,
                                       UINT64_MAX, (uint64_t)-2};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        is_int(sys(outside[i], 0), -ENOSYS, "syscall %#llx: -ENOSYS",
               (unsigned long long)outside[i]);
    int unnamed = 0, unnamed_bad = 0, nosys = 0, nosys_bad = 0, notsup = 0, priv = 0;
    int priv_bad = 0;
    for (uint64_t nr = 0; nr < VJ_NR_SYSCALLS; nr++) {
        const struct vj_syscall_desc *d = vj_syscall_lookup(nr);
        if (d != NULL && d->serve != VJ_NOSYS && d->serve != VJ_PRIV)
            continue;
        int64_t r = sys(nr, BUF, BUF, BUF, BUF, BUF, BUF);
        if (r == -ENOTSUP)
            notsup++;
        if (d != NULL && d->serve == VJ_PRIV) {
            priv++;
            priv_bad += r != -EPERM;
        } else if (d == NULL) {
            unnamed++;
            unnamed_bad += r != -ENOSYS;
        } else {
            nosys++;
            nosys_bad += r != -ENOSYS;
        }
    }
    ok(unnamed > 0, "%d unnamed numbers below %d", unnamed, VJ_NR_SYSCALLS);
    is_int(unnamed_bad, 0, "every unnamed number is answered -ENOSYS");
    ok(nosys > 0, "%d NOSYS entries", nosys);
    is_int(nosys_bad, 0, "every NOSYS entry is answered -ENOSYS");
    ok(priv > 30, "%d PRIV entries", priv);
    is_int(priv_bad, 0, "every PRIV entry is answered -EPERM (and never made)");
    is_int(notsup, 0, "no refused call answers -ENOTSUP");
    ok(!P.exited, "refusing calls does not end the payload");
}

/* ---- the pass-through on real host calls -------------------------------------------------- */

static void test_getcwd(void)
{
    char want[4096];
    if (getcwd(want, sizeof want) == NULL) {
        ok(0, "host getcwd");
        return;
    }
    memset(P.mem + BUF, 'X', 4096);
    int64_t r = sys(SYS_getcwd, BUF, 4096);
    is_int(r, (int64_t)strlen(want) + 1, "getcwd into guest memory returns the length + 1");
    is_str((char *)P.mem + BUF, want, "getcwd into guest memory: the host's cwd");
    is_int(sys(SYS_getcwd, BUF, 1), -ERANGE, "getcwd with size 1: -ERANGE");
    is_int(sys(SYS_getcwd, 0, 4096), -EFAULT, "getcwd into NULL: -EFAULT");
    is_int(sys(SYS_getcwd, 1, 4096), -EFAULT, "getcwd into 1: -EFAULT");
    is_int(sys(SYS_getcwd, HOLE, 4096), -EFAULT, "getcwd into a PROT_NONE page: -EFAULT");
}

static int rfd = -1, wfd = -1;

/* Refill the pipe to exactly N bytes "0123456789..." */
static void pipe_fill(size_t n)
{
    char junk[4096];
    while (read(rfd, junk, sizeof junk) > 0)
        ;
    for (size_t i = 0; i < n; i++)
        junk[i] = (char)('0' + i % 10);
    if (n && write(wfd, junk, n) != (ssize_t)n)
        abort();
}

static size_t pipe_level(void)
{
    int n = 0;
    return ioctl(rfd, FIONREAD, &n) == 0 ? (size_t)n : (size_t)-1;
}

static void test_pipe_io(void)
{
    /* The payload's pipe, made through the table (M(OUT, 8)). */
    int64_t r = sys(SYS_pipe2, SCRATCH, O_NONBLOCK | O_CLOEXEC);
    is_int(r, 0, "pipe2 into guest memory");
    int fds[2];
    memcpy(fds, P.mem + SCRATCH, sizeof fds);
    rfd = fds[0];
    wfd = fds[1];
    ok(fcntl(rfd, F_GETFD) >= 0 && fcntl(wfd, F_GETFD) >= 0, "pipe2 gave two open descriptors");

    gstr(BUF, "hello, pass-through");
    is_int(sys(SYS_write, wfd, BUF, 19), 19, "write(pipe, guest buffer, 19)");
    memset(P.mem + BUF2, 0, 64);
    is_int(sys(SYS_read, rfd, BUF2, 64), 19, "read(pipe, guest buffer, 64)");
    ok(memcmp(P.mem + BUF2, "hello, pass-through", 19) == 0, "the bytes arrived in guest memory");
    is_int(sys(SYS_read, rfd, BUF2, 64), -EAGAIN, "read of the empty non-blocking pipe");

    /* A write spanning two guest pages. */
    memset(P.mem + BUF + PG - 100, 'w', 300);
    is_int(sys(SYS_write, wfd, BUF + PG - 100, 300), 300, "write across a page boundary");
    is_int(sys(SYS_read, rfd, BUF2 + PG - 7, 300), 300, "read across a page boundary");
    ok(P.mem[BUF2 + PG - 7] == 'w' && P.mem[BUF2 + PG + 292] == 'w', "contents across pages");

    /* pread/pwrite family share the B(OUT, 2, 1) shape: fstat is M(OUT, STAT). */
    struct stat st, gst;
    fstat(rfd, &st);
    is_int(sys(SYS_fstat, rfd, SCRATCH), 0, "fstat into guest memory");
    memcpy(&gst, P.mem + SCRATCH, sizeof gst);
    ok(gst.st_ino == st.st_ino && S_ISFIFO(gst.st_mode), "fstat result is the pipe's");
}

static void test_bad_pointers(void)
{
    static const struct {
        uint64_t ptr;
        const char *what;
    } bad[] = {
        {0, "NULL"},
        {1, "1"},
        {VJ_GUEST_MIN - 1, "VJ_GUEST_MIN-1"},
        {VJ_GUEST_MIN - 16, "VJ_GUEST_MIN-16"},
        {HOLE, "a PROT_NONE page inside guest memory"},
        {HOLE - 8, "a buffer running into a PROT_NONE page"},
        {MEM_SIZE, "mem_size"},
        {MEM_SIZE + 64, "past mem_size"},
        {0x7ff000000000ULL, "the monitor region"},
        {0x7ffffffff000ULL, "TASK_SIZE_MAX"},
        {1ULL << 47, "2^47"},
        {1ULL << 63, "2^63"},
        {UINT64_MAX, "-1"},
        {UINT64_MAX - 7, "-8"},
    };
    size_t n = sizeof bad / sizeof bad[0];
    memset(P.mem + BUF, 'b', 64);
    memset(P.mem + HOLE - 8, 'p', 8); /* a path there has no NUL before the hole */
    for (size_t i = 0; i < n; i++) {
        pipe_fill(32);
        is_int(sys(SYS_read, rfd, bad[i].ptr, 16), -EFAULT, "read into %s: -EFAULT",
               bad[i].what);
        is_int(pipe_level(), 32, "read into %s: the pipe's bytes stay", bad[i].what);
        pipe_fill(0);
        is_int(sys(SYS_write, wfd, bad[i].ptr, 16), -EFAULT, "write from %s: -EFAULT",
               bad[i].what);
        is_int(pipe_level(), 0, "write from %s: nothing written", bad[i].what);
        is_int(sys(SYS_stat, bad[i].ptr, SCRATCH), -EFAULT, "stat of a path at %s: -EFAULT",
               bad[i].what);
        is_int(sys(SYS_stat, gstr(BUF, "/"), bad[i].ptr), -EFAULT,
               "stat(\"/\") into %s: -EFAULT", bad[i].what);
    }

    /* Lengths that overflow or leave guest memory. */
    pipe_fill(32);
    is_int(sys(SYS_read, rfd, BUF, UINT64_MAX), -EFAULT, "read with count -1: -EFAULT");
    is_int(sys(SYS_read, rfd, BUF, 1ULL << 63), -EFAULT, "read with count 2^63: -EFAULT");
    is_int(sys(SYS_read, rfd, BUF, UINT64_MAX - BUF + 2), -EFAULT,
           "read whose end wraps around to 1: -EFAULT");
    is_int(pipe_level(), 32, "after the failed reads the pipe's bytes stay");
    pipe_fill(0);
    is_int(sys(SYS_write, wfd, BUF, UINT64_MAX), -EFAULT, "write with count -1: -EFAULT");
    is_int(sys(SYS_write, wfd, BUF, UINT64_MAX - BUF + 2), -EFAULT,
           "write whose end wraps around: -EFAULT");
    is_int(sys(SYS_write, wfd, MEM_SIZE - 1, 2), -EFAULT,
           "write of 2 bytes from mem_size-1: -EFAULT");
    is_int(sys(SYS_write, wfd, LAST, PG + 1), -EFAULT,
           "write from the last page running one byte past mem_size: -EFAULT");
    is_int(pipe_level(), 0, "nothing was written");

    /* A path at the very end of guest memory with no NUL: the host runs into the guard. */
    P.mem[MEM_SIZE - 1] = '/';
    is_int(sys(SYS_stat, MEM_SIZE - 1, SCRATCH), -EFAULT,
           "stat of an unterminated path at mem_size-1: -EFAULT");
    P.mem[MEM_SIZE - 1] = '\0';
    memcpy(P.mem + MEM_SIZE - 2, "/", 2);
    is_int(sys(SYS_stat, MEM_SIZE - 2, SCRATCH), 0, "stat of \"/\" ending at mem_size: 0");
    memset(P.mem + HOLE - 5, 'a', 5);
    is_int(sys(SYS_stat, HOLE - 5, SCRATCH), -EFAULT,
           "stat of a path running into a PROT_NONE page: -EFAULT");
    /* stat output ending exactly at mem_size: fine. */
    is_int(sys(SYS_stat, gstr(BUF, "/"), MEM_SIZE - sizeof(struct stat)), 0,
           "stat into the last sizeof(struct stat) bytes: 0");
    is_int(sys(SYS_stat, gstr(BUF, "/"), MEM_SIZE - sizeof(struct stat) + 1), -EFAULT,
           "stat into a buffer one byte past mem_size: -EFAULT");
}

static void test_zero_length(void)
{
    static const uint64_t below[] = {1, VJ_GUEST_MIN - 1, HOLE, MEM_SIZE, MEM_SIZE + 1,
                                     0x7ff000000000ULL, 0x7fffffffe000ULL};
    pipe_fill(8);
    for (size_t i = 0; i < sizeof below / sizeof below[0]; i++) {
        is_int(sys(SYS_read, rfd, below[i], 0), 0, "read of 0 bytes into %#llx: 0 (as Linux)",
               (unsigned long long)below[i]);
        is_int(sys(SYS_write, wfd, below[i], 0), 0, "write of 0 bytes from %#llx: 0",
               (unsigned long long)below[i]);
    }
    is_int(sys(SYS_read, rfd, 0, 0), 0, "read of 0 bytes into NULL: 0");
    is_int(pipe_level(), 8, "zero-length reads consumed nothing");
    is_int(sys(SYS_read, rfd, UINT64_MAX, 0), -EFAULT, "read of 0 bytes into -1: -EFAULT");
    is_int(sys(SYS_read, rfd, 1ULL << 63, 0), -EFAULT, "read of 0 bytes into 2^63: -EFAULT");
    is_int(sys(SYS_read, rfd, 1ULL << 47, 0), -EFAULT, "read of 0 bytes into 2^47: -EFAULT");
    pipe_fill(0);
}

/* An output buffer that starts inside guest memory and runs past mem_size: the pass-through
 * offers the host only the part inside guest memory (syscall.c), so the call returns what fits. */
static void test_short_output(void)
{
    pipe_fill(10);
    memset(P.mem + MEM_SIZE - 8, 'Z', 8);
    is_int(sys(SYS_read, rfd, MEM_SIZE - 4, 100), 4,
           "read(pipe of 10 bytes, mem_size-4, 100): 4, the part that fits");
    ok(memcmp(P.mem + MEM_SIZE - 4, "0123", 4) == 0, "the 4 bytes at the end of guest memory");
    ok(memcmp(P.mem + MEM_SIZE - 8, "ZZZZ", 4) == 0, "nothing written before the buffer");
    is_int(pipe_level(), 6, "the other 6 bytes stay in the pipe");
    is_int(sys(SYS_read, rfd, MEM_SIZE - 1, 2), 1, "read(mem_size-1, 2): 1");
    ok(P.mem[MEM_SIZE - 1] == '4', "the byte read is the next one");
    is_int(sys(SYS_read, rfd, MEM_SIZE - 1, UINT64_MAX), -EFAULT,
           "read(mem_size-1, -1): -EFAULT (the count is not a user range)");
    is_int(pipe_level(), 5, "5 bytes left");
    /* A count reaching far past mem_size from inside: shortened too, and the data fits. */
    is_int(sys(SYS_read, rfd, BUF, MEM_SIZE), 5, "read(BUF, mem_size) of the 5 bytes left: 5");
    pipe_fill(0);
}

static void test_monitor_fds(void)
{
    int tfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    struct stat before, after;
    fstat(tfd, &before);
    P.trace_fd = tfd;

    is_int(sys(SYS_close, tfd), -EBADF, "close(trace_fd): -EBADF");
    ok(fcntl(tfd, F_GETFD) >= 0, "trace_fd is still open");
    is_int(sys(SYS_dup2, rfd, tfd), -EBADF, "dup2(pipe, trace_fd): -EBADF");
    is_int(sys(SYS_dup3, rfd, tfd, 0), -EBADF, "dup3(pipe, trace_fd): -EBADF");
    fstat(tfd, &after);
    ok(after.st_ino == before.st_ino && after.st_rdev == before.st_rdev,
       "trace_fd still refers to /dev/null");
    is_int(sys(SYS_dup2, tfd, 100), -EBADF, "dup2(trace_fd, 100): -EBADF");
    ok(fcntl(100, F_GETFD) < 0, "descriptor 100 was not created");
    is_int(sys(SYS_dup, tfd), -EBADF, "dup(trace_fd): -EBADF");
    is_int(sys(SYS_write, tfd, BUF, 1), -EBADF, "write(trace_fd): -EBADF");
    is_int(sys(SYS_fstat, tfd, SCRATCH), -EBADF, "fstat(trace_fd): -EBADF");
    is_int(sys(SYS_openat, tfd, gstr(BUF, "x"), O_RDONLY, 0), -EBADF,
           "openat(trace_fd, ...): -EBADF");
    is_int(sys(SYS_close, tfd - (1LL << 32)), -EBADF,
           "close(trace_fd with garbage upper bits): -EBADF (the kernel uses the low 32)");
    ok(fcntl(tfd, F_GETFD) >= 0, "trace_fd is still open");

    /* The payload's own descriptors are fine (and the trace works on them). */
    int64_t d = sys(SYS_dup, rfd);
    ok(d >= 0 && d != tfd, "dup(pipe) works with tracing on");
    is_int(sys(SYS_close, d), 0, "close(the dup)");
    P.trace_fd = -1;
    close(tfd);
}

static int count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int n = 0;
    if (dir == NULL)
        return -1;
    while (readdir(dir))
        n++;
    closedir(dir);
    return n;
}

static void test_proc_self(void)
{
    char path[128];
    int base = count_fds();
    pid_t pid = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);

    is_int(sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/self/mem"), O_RDWR, 0), -EACCES,
           "openat(/proc/self/mem, O_RDWR): -EACCES");
    is_int(count_fds(), base, "no descriptor left open");
    is_int(sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/self/mem"), O_RDONLY, 0), -EACCES,
           "openat(/proc/self/mem, O_RDONLY): -EACCES");
    is_int(sys(SYS_open, gstr(BUF, "/proc/self/mem"), O_RDONLY, 0), -EACCES,
           "open(/proc/self/mem): -EACCES");
    snprintf(path, sizeof path, "/proc/%d/task/%d/mem", (int)pid, (int)tid);
    is_int(sys(SYS_openat, AT_FDCWD, gstr(BUF, path), O_RDONLY, 0), -EACCES,
           "openat(/proc/PID/task/TID/mem): -EACCES");
    is_int(sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/thread-self/mem"), O_RDONLY, 0), -EACCES,
           "openat(/proc/thread-self/mem): -EACCES");
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    is_int(sys(SYS_openat, AT_FDCWD, gstr(BUF, path), O_RDONLY | O_PATH, 0), -EACCES,
           "openat(/proc/PID/mem, O_PATH): -EACCES");
    is_int(sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/self/pagemap"), O_RDONLY, 0), -EACCES,
           "openat(/proc/self/pagemap): -EACCES");
    is_int(sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/self/fdinfo"), O_RDONLY | O_DIRECTORY, 0),
           -EACCES, "openat(/proc/self/fdinfo): -EACCES");
    is_int(count_fds(), base, "still no descriptor left open");
    /* Its own descriptor directory opens (getdents64 lists it without the monitor's). */
    int64_t fds = sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/self/fd"), O_RDONLY | O_DIRECTORY, 0);
    ok(fds >= 0, "openat(/proc/self/fd) as a directory is allowed");
    if (fds >= 0)
        is_int(sys(SYS_close, fds), 0, "close it");
    is_int(count_fds(), base, "no descriptor left open after it");

    /* Through a directory descriptor of /proc/self: the new descriptor is vetted too. */
    int64_t dir = sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/self"), O_RDONLY | O_DIRECTORY, 0);
    ok(dir >= 0, "openat(/proc/self) as a directory is allowed");
    if (dir >= 0) {
        is_int(sys(SYS_openat, dir, gstr(BUF, "mem"), O_RDONLY, 0), -EACCES,
               "openat(/proc/self dirfd, \"mem\"): -EACCES");
        is_int(sys(SYS_close, dir), 0, "close the /proc/self directory");
    }
    is_int(count_fds(), base, "no descriptor left open after the directory route");

    int64_t fd = sys(SYS_openat, AT_FDCWD, gstr(BUF, "/proc/self/status"), O_RDONLY, 0);
    ok(fd >= 0, "openat(/proc/self/status) succeeds");
    if (fd >= 0) {
        int64_t n = sys(SYS_read, fd, BUF2, 64);
        ok(n > 5 && memcmp(P.mem + BUF2, "Name:", 5) == 0, "and reads the status");
        is_int(sys(SYS_close, fd), 0, "close it");
    }
    fd = sys(SYS_openat, AT_FDCWD, gstr(BUF, "/dev/null"), O_RDONLY, 0);
    ok(fd >= 0, "openat(/dev/null) succeeds");
    if (fd >= 0)
        sys(SYS_close, fd);
    is_int(count_fds(), base, "every descriptor opened was closed");
}

/* Writes to a broken pipe end the payload with SIGPIPE unless it ignores the signal. */
static void test_sigpipe(void)
{
    int64_t r = sys(SYS_pipe2, SCRATCH, O_CLOEXEC);
    int fds[2];
    memcpy(fds, P.mem + SCRATCH, sizeof fds);
    ok(r == 0, "a second pipe");
    is_int(sys(SYS_close, fds[0]), 0, "close its read end");
    ok(!P.exited, "the payload runs");
    is_int(sys(SYS_write, fds[1], BUF, 4), -EPIPE, "write to the broken pipe: -EPIPE");
    ok(P.exited && P.result.signaled && P.result.signal == SIGPIPE,
       "the payload ended by SIGPIPE");
    P.exited = false;
    memset(&P.result, 0, sizeof P.result);
    P.sigact[SIGPIPE].sa_handler = SIG_IGN;
    is_int(sys(SYS_write, fds[1], BUF, 4), -EPIPE, "with SIGPIPE ignored: -EPIPE");
    ok(!P.exited, "and the payload runs on");
    memset(&P.sigact[SIGPIPE], 0, sizeof P.sigact[SIGPIPE]);
    sys(SYS_close, fds[1]);
}

static void test_sockets(void)
{
    /* socketpair: M(OUT, 8); getsockname: B(OUTL, 2, 0) with M(INOUT, 4). */
    int64_t r = sys(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, SCRATCH);
    int sv[2];
    memcpy(sv, P.mem + SCRATCH, sizeof sv);
    is_int(r, 0, "socketpair into guest memory");
    uint32_t len = sizeof(struct sockaddr_un);
    memcpy(P.mem + BUF2, &len, sizeof len);
    is_int(sys(SYS_getsockname, sv[0], BUF, BUF2), 0, "getsockname into guest memory");
    memcpy(&len, P.mem + BUF2, sizeof len);
    ok(len == sizeof(sa_family_t), "the address length came back (%u)", len);
    uint16_t fam;
    memcpy(&fam, P.mem + BUF, sizeof fam);
    is_int(fam, AF_UNIX, "the address family is AF_UNIX");
    is_int(sys(SYS_getsockname, sv[0], BUF, HOLE), -EFAULT,
           "getsockname with its length in a PROT_NONE page: -EFAULT");
    is_int(sys(SYS_getsockname, sv[0], BUF, 1), -EFAULT, "getsockname with length at 1: -EFAULT");
    len = 64;
    memcpy(P.mem + BUF2, &len, sizeof len);
    is_int(sys(SYS_getsockname, sv[0], VJ_GUEST_MIN - 8, BUF2), -EFAULT,
           "getsockname into VJ_GUEST_MIN-8: -EFAULT");
    gstr(BUF, "ping");
    is_int(sys(SYS_sendto, sv[0], BUF, 4, MSG_NOSIGNAL, 0, 0), 4, "sendto from guest memory");
    is_int(sys(SYS_recvfrom, sv[1], BUF2, 16, MSG_DONTWAIT, 0, 0), 4,
           "recvfrom into guest memory");
    ok(memcmp(P.mem + BUF2, "ping", 4) == 0, "the bytes arrived");
    sys(SYS_close, sv[0]);
    sys(SYS_close, sv[1]);
}

/* An int argument arrives in a 64-bit register whose upper half the kernel ignores (it reads
 * the low 32 bits).  The pass-through sizes a memory argument by the whole register
 * (arg_size() in syscall.c multiplies a[s->len] as 64 bits), so epoll_wait with maxevents
 * 0xffffffff00000004 is refused -EFAULT where Linux waits for 4 events (here: 0 ready). */
/* Issue 16's calls: personality, openat2's struct open_how, the monitor's descriptors refused,
 * splice and tee between the payload's pipes, pidfds of a child. */
static void test_issue16_calls(void)
{
    is_int(sys(SYS_personality, 0xffffffffULL), 0, "personality(query): PER_LINUX");
    is_int(sys(SYS_personality, 0xffffffff00000000ULL), 0, "personality(0, upper bits): 0");
    is_int(sys(SYS_personality, 0x0040000), -EINVAL, "personality(ADDR_NO_RANDOMIZE): -EINVAL");

    uint64_t how[4] = {O_RDONLY | O_CLOEXEC, 0, 0, 0};
    memcpy(P.mem + SCRATCH, how, sizeof how);
    gstr(BUF, "/dev/null");
    int64_t fd = sys(SYS_openat2, AT_FDCWD, BUF, SCRATCH, 24);
    ok(fd >= 0, "openat2(/dev/null, how in guest memory)");
    if (fd >= 0)
        close((int)fd);
    is_int(sys(SYS_openat2, AT_FDCWD, BUF, SCRATCH, 8), -EINVAL, "openat2(size 8): -EINVAL");
    is_int(sys(SYS_openat2, AT_FDCWD, BUF, SCRATCH, 8192), -E2BIG, "openat2(size 8192): -E2BIG");
    is_int(sys(SYS_openat2, AT_FDCWD, BUF, HOLE - 8, 24), -EFAULT, "openat2(how over a hole)");
    is_int(sys(SYS_openat2, AT_FDCWD, BUF, LAST + PG - 16, 24), -EFAULT,
           "openat2(how past guest memory)");
    P.mem[SCRATCH + 30] = 1;
    is_int(sys(SYS_openat2, AT_FDCWD, BUF, SCRATCH, 32), -E2BIG, "openat2(nonzero tail): -E2BIG");
    P.mem[SCRATCH + 30] = 0;
    is_int(sys(SYS_openat2, AT_FDCWD, HOLE, SCRATCH, 24), -EFAULT, "openat2(path in a hole)");

    int tfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    P.trace_fd = tfd;
    is_int(sys(SYS_openat2, tfd, BUF, SCRATCH, 24), -EBADF, "openat2(trace_fd, ...): -EBADF");
    is_int(sys(SYS_splice, tfd, 0, wfd, 0, 1, 0), -EBADF, "splice(trace_fd, ...): -EBADF");
    is_int(sys(SYS_tee, rfd, tfd, 1, 0), -EBADF, "tee(.., trace_fd): -EBADF");
    is_int(sys(SYS_fgetxattr, tfd, gstr(BUF, "user.x"), 0, 0), -EBADF, "fgetxattr(trace_fd)");
    is_int(sys(SYS_inotify_add_watch, tfd, gstr(BUF, "/"), 0xfff), -EBADF,
           "inotify_add_watch(trace_fd)");
    is_int(sys(SYS_pidfd_send_signal, tfd, 0, 0, 0), -EBADF, "pidfd_send_signal(trace_fd)");
    is_int(sys(SYS_epoll_pwait2, tfd, BUF, 1, 0, 0, 8), -EBADF, "epoll_pwait2(trace_fd)");
    P.trace_fd = -1;
    close(tfd);

    /* splice and tee: the pipe from test_pipe_io to a second one and back. */
    int p2[2];
    if (pipe2(p2, O_NONBLOCK | O_CLOEXEC) < 0)
        p2[0] = p2[1] = -1;
    gstr(BUF, "spliced");
    is_int(sys(SYS_write, wfd, BUF, 7), 7, "write 7 bytes to the pipe");
    is_int(sys(SYS_tee, rfd, p2[1], 7, 0), 7, "tee(pipe, pipe2, 7)");
    is_int(sys(SYS_splice, rfd, 0, p2[1], 0, 7, 0), 7, "splice(pipe, pipe2, 7)");
    is_int(sys(SYS_splice, p2[0], 0, wfd, HOLE, 7, 0), -ESPIPE, "splice(off_out on a pipe)");
    is_int(sys(SYS_read, p2[0], BUF2, 64), 14, "pipe2 holds both copies");
    ok(memcmp(P.mem + BUF2, "splicedspliced", 14) == 0, "their bytes");
    int f = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    is_int(sys(SYS_splice, f, HOLE, p2[1], 0, 7, 0), -EFAULT, "splice(off_in in a hole)");
    close(f);
    close(p2[0]);
    close(p2[1]);

    /* pidfds: a child of this test (never the test itself, which has no payload thread). */
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    is_int(sys(SYS_pidfd_open, c, 2), -EINVAL, "pidfd_open(flags 2): -EINVAL");
    int64_t pfd = sys(SYS_pidfd_open, c, 0);
    ok(pfd >= 0, "pidfd_open(child)");
    is_int(sys(SYS_pidfd_send_signal, pfd, 0, 0, 1), -EINVAL, "pidfd_send_signal(flags): -EINVAL");
    is_int(sys(SYS_pidfd_send_signal, pfd, 0, 0, 0), 0, "pidfd_send_signal(child, 0)");
    is_int(sys(SYS_pidfd_send_signal, pfd, SIGTERM, HOLE, 0), -EFAULT,
           "pidfd_send_signal(info in a hole)");
    is_int(sys(SYS_pidfd_send_signal, pfd, SIGKILL, 0, 0), 0, "pidfd_send_signal(child, KILL)");
    waitpid(c, NULL, 0);
    if (pfd >= 0)
        close((int)pfd);
}

static void test_bug_int_length_upper_bits(void)
{
    int64_t ep = sys(SYS_epoll_create1, EPOLL_CLOEXEC);
    ok(ep >= 0, "epoll_create1");
    is_int(sys(SYS_epoll_wait, ep, BUF, 4, 0), 0, "epoll_wait(ep, buf, 4, 0): 0");
    long host = syscall(SYS_epoll_wait, (int)ep, P.mem + BUF, 0xffffffff00000004ULL, 0);
    is_int(host, 0, "the host's epoll_wait with maxevents 0xffffffff00000004: 0");
    is_int(sys(SYS_epoll_wait, ep, BUF, 0xffffffff00000004ULL, 0), 0,
           "BUG_int_length_arg_upper_bits: epoll_wait with maxevents 0xffffffff00000004: 0 as "
           "on Linux");
    is_int(sys(SYS_epoll_wait, ep, BUF, (uint64_t)-1, 0), -EINVAL,
           "epoll_wait with maxevents -1: -EINVAL as on Linux");
    sys(SYS_close, ep);
}

/* mknod(at): devices need CAP_MKNOD, never the payload's (the monitor may hold it). */
static void test_mknod(void)
{
    char dir[] = "/tmp/vj-mknod.XXXXXX", fifo[64];
    ok(mkdtemp(dir) != NULL, "mknod: a scratch directory");
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    is_int(sys(SYS_mknod, gstr(BUF, fifo), S_IFCHR | 0600, makedev(1, 3)), -EPERM,
           "mknod(char device): -EPERM");
    is_int(sys(SYS_mknodat, AT_FDCWD, BUF, S_IFBLK | 0600, makedev(7, 0)), -EPERM,
           "mknodat(block device): -EPERM");
    is_int(sys(SYS_mknod, BUF, 0170000 | 0600, 0), -EINVAL, "mknod(bad type): -EINVAL");
    is_int(sys(SYS_mknodat, AT_FDCWD, BUF, S_IFIFO | 0600, 0), 0, "mknodat(FIFO)");
    is_int(sys(SYS_mknod, HOLE, S_IFIFO | 0600, 0), -EFAULT, "mknod(path in a hole)");
    unlink(fifo);
    rmdir(dir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the monitor's own process: -EPIPE, not death */
    setup();
    test_table_shape();
    test_known_numbers();
    test_lookup_out_of_range();
    test_nosys();
    test_getcwd();
    test_pipe_io();
    test_bad_pointers();
    test_zero_length();
    test_short_output();
    test_monitor_fds();
    test_proc_self();
    test_sigpipe();
    test_sockets();
    test_issue16_calls();
    test_bug_int_length_upper_bits();
    test_mknod();
    return done_testing();
}
