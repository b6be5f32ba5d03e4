/* efault.c: hostile pointers and lengths to syscalls; prints each result, "monitor unharmed". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL
#define MONITOR_VA 0x7ff000000000UL /* vmjail's monitor region; natively unmapped */

static const struct {
    int num;
    const char *name;
} errnames[] = {
    {EPERM, "EPERM"},
    {ENOENT, "ENOENT"},
    {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},
    {EIO, "EIO"},
    {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},
    {ENOEXEC, "ENOEXEC"},
    {EBADF, "EBADF"},
    {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},
    {ENODEV, "ENODEV"},
    {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"},
    {EINVAL, "EINVAL"},
    {EMFILE, "EMFILE"},
    {ENOTTY, "ENOTTY"},
    {EFBIG, "EFBIG"},
    {ENOSPC, "ENOSPC"},
    {ESPIPE, "ESPIPE"},
    {EPIPE, "EPIPE"},
    {ERANGE, "ERANGE"},
    {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"},
    {ENOTEMPTY, "ENOTEMPTY"},
    {ELOOP, "ELOOP"},
    {EOVERFLOW, "EOVERFLOW"},
    {EOPNOTSUPP, "EOPNOTSUPP"},
};

static const char *errname(int e)
{
    static char other[32];
    for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
        if (errnames[i].num == e)
            return errnames[i].name;
    snprintf(other, sizeof other, "errno%d", e);
    return other;
}

/* Output goes straight to fd 1 with write(), never through stdio buffers, so that it
 * interleaves exactly with the raw writes to fd 1 under test. */
static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = sizeof line - 1;
    if (write(1, line, n) < 0)
        _exit(3);
}

/* Print "LABEL: -1 ENAME" or "LABEL: = RET". */
static void result(const char *label, long ret)
{
    if (ret == -1)
        say("%s: -1 %s\n", label, errname(errno));
    else
        say("%s: = %ld\n", label, ret);
}

#define CALL(label, ...)                                                                           \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long r_ = syscall(__VA_ARGS__);                                                            \
        result(label, r_);                                                                         \
    } while (0)

struct bad {
    const char *name;
    unsigned long addr;
};

int main(void)
{
    char label[160];
    char buf[256];
    struct stat st;
    struct timespec ts;

    /* The lowest free descriptor now; checked again at the end for leaks. */
    int probe = open("/dev/null", O_RDONLY);
    close(probe);

    /* A file to read from, with known contents. */
    char path[] = "/tmp/vjefaultXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "0123456789abcdef0123456789abcdef", 32) != 32) {
        say("setup: fail\n");
        return 1;
    }
    unlink(path);

    /* Pages: 0 read/write, 1 unmapped again, 2 PROT_READ, 3 PROT_NONE; all were filled with 'a'. */
    unsigned char *m =
        mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        say("setup mmap: fail\n");
        return 1;
    }
    memset(m, 'a', 4 * PG);
    munmap(m + PG, PG);
    unsigned char *ro = m + 2 * PG, *none = m + 3 * PG;
    mprotect(ro, PG, PROT_READ);
    mprotect(none, PG, PROT_NONE);

    const struct bad bads[] = {
        {"NULL", 0},
        {"1", 1},
        {"0x100000 (below any mapping)", 0x100000},
        {"munmapped page", (unsigned long)(m + PG)},
        {"PROT_NONE page", (unsigned long)none},
        {"monitor stubs", MONITOR_VA},
        {"monitor GDT", MONITOR_VA + 0x1000},
        {"monitor stack", MONITOR_VA + 0x8000},
        {"monitor page tables", MONITOR_VA + 0x10000},
        {"monitor region end", MONITOR_VA + 0x1ff000},
        {"0x800000000000 (non-canonical)", 0x800000000000UL},
        {"kernel 0xffff800000000000", 0xffff800000000000UL},
        {"0xfffffffffffff000", 0xfffffffffffff000UL},
    };
    const int nbads = sizeof bads / sizeof bads[0];

    for (int i = 0; i < nbads; i++) {
        snprintf(label, sizeof label, "write(1, %s, 16)", bads[i].name);
        CALL(label, SYS_write, 1, bads[i].addr, 16);
    }
    CALL("write(1, (void*)-1, 2)", SYS_write, 1, -1L, 2);
    CALL("write(1, buf, (size_t)-1)", SYS_write, 1, buf, (size_t)-1);
    CALL("write(1, buf, 1<<62)", SYS_write, 1, buf, 1UL << 62);
    CALL("write(1, buf, 0)", SYS_write, 1, buf, 0);
    CALL("write(1, NULL, 0)", SYS_write, 1, 0, 0);

    for (int i = 0; i < nbads; i++) {
        snprintf(label, sizeof label, "pread(file, %s, 16, 0)", bads[i].name);
        CALL(label, SYS_pread64, fd, bads[i].addr, 16, 0);
    }
    CALL("pread(file, PROT_READ page, 16, 0)", SYS_pread64, fd, ro, 16, 0);
    CALL("pread(file, (void*)-1, 2, 0)", SYS_pread64, fd, -1L, 2, 0);
    CALL("read(file, buf, (size_t)-1)", SYS_read, fd, buf, (size_t)-1);
    CALL("read(file, buf, 1<<62)", SYS_read, fd, buf, 1UL << 62);
    CALL("lseek(file, 0, SEEK_SET)", SYS_lseek, fd, 0, SEEK_SET);
    CALL("read(file, buf, 8) still works", SYS_read, fd, buf, 8);

    for (int i = 0; i < nbads; i++) {
        snprintf(label, sizeof label, "openat(AT_FDCWD, %s, O_RDONLY)", bads[i].name);
        CALL(label, SYS_openat, AT_FDCWD, bads[i].addr, O_RDONLY);
    }
    CALL("open(NULL, O_RDONLY)", SYS_open, 0, O_RDONLY);
    CALL("open(monitor stubs, O_RDONLY)", SYS_open, MONITOR_VA, O_RDONLY);
    for (int i = 0; i < nbads; i++) {
        snprintf(label, sizeof label, "newfstatat(AT_FDCWD, %s, &st, 0)", bads[i].name);
        CALL(label, SYS_newfstatat, AT_FDCWD, bads[i].addr, &st, 0);
        snprintf(label, sizeof label, "newfstatat(AT_FDCWD, \"/\", %s, 0)", bads[i].name);
        CALL(label, SYS_newfstatat, AT_FDCWD, "/", bads[i].addr, 0);
    }
    CALL("newfstatat(AT_FDCWD, \"/\", PROT_READ page, 0)", SYS_newfstatat, AT_FDCWD, "/", ro, 0);
    CALL("fstat(file, NULL)", SYS_fstat, fd, 0);
    CALL("fstat(file, monitor stubs)", SYS_fstat, fd, MONITOR_VA);
    CALL("stat(NULL, &st)", SYS_stat, 0, &st);
    CALL("stat(\"/\", monitor GDT)", SYS_stat, "/", MONITOR_VA + 0x1000);

    /* A path that runs off the end of a mapping: 100 'a's, no NUL, then the unmapped page. */
    CALL("openat(path running into an unmapped page)", SYS_openat, AT_FDCWD, m + PG - 100,
         O_RDONLY);
    CALL("openat(path running into a PROT_NONE page)", SYS_openat, AT_FDCWD, none - 100, O_RDONLY);
    /* A whole page of 'a's without NUL is longer than PATH_MAX before it runs off the page. */
    CALL("openat(4096 'a's then an unmapped page)", SYS_openat, AT_FDCWD, m, O_RDONLY);
    static char longpath[PATH_MAX + 100]; /* not malloc: that could map over the hole */
    memset(longpath, 'b', PATH_MAX + 99);
    longpath[PATH_MAX + 99] = 0;
    CALL("openat(PATH_MAX+99 'b's)", SYS_openat, AT_FDCWD, longpath, O_RDONLY);
    longpath[300] = 0;
    CALL("openat(300-byte name component)", SYS_openat, AT_FDCWD, longpath, O_RDONLY);

    for (int i = 0; i < nbads; i++) {
        snprintf(label, sizeof label, "clock_gettime(MONOTONIC, %s)", bads[i].name);
        CALL(label, SYS_clock_gettime, CLOCK_MONOTONIC, bads[i].addr);
    }
    CALL("clock_gettime(MONOTONIC, PROT_READ page)", SYS_clock_gettime, CLOCK_MONOTONIC, ro);
    CALL("clock_getres(MONOTONIC, monitor stubs)", SYS_clock_getres, CLOCK_MONOTONIC, MONITOR_VA);
    CALL("gettimeofday(NULL-ish 1, NULL)", SYS_gettimeofday, 1, 0);
    CALL("gettimeofday(monitor stubs, NULL)", SYS_gettimeofday, MONITOR_VA, 0);
    CALL("time(monitor GDT) returns -EFAULT", SYS_time, MONITOR_VA + 0x1000);
    CALL("uname(NULL)", SYS_uname, 0);
    CALL("uname(monitor stubs)", SYS_uname, MONITOR_VA);
    CALL("uname(PROT_READ page)", SYS_uname, ro);
    CALL("getcwd(NULL, 100)", SYS_getcwd, 0, 100);
    CALL("getcwd(monitor stubs, 100)", SYS_getcwd, MONITOR_VA, 100);
    CALL("getcwd(kernel, 100)", SYS_getcwd, 0xffff800000000000UL, 100);
    CALL("getcwd(buf, 1)", SYS_getcwd, buf, 1);
    CALL("pipe(NULL)", SYS_pipe, 0);
    CALL("pipe(monitor stubs)", SYS_pipe, MONITOR_VA);
    CALL("pipe(PROT_READ page)", SYS_pipe, ro);
    CALL("pipe2(monitor GDT, 0)", SYS_pipe2, MONITOR_VA + 0x1000, 0);
    CALL("nanosleep(NULL, NULL)", SYS_nanosleep, 0, 0);
    CALL("nanosleep(monitor stubs, NULL)", SYS_nanosleep, MONITOR_VA, 0);
    ts.tv_sec = 0;
    ts.tv_nsec = 1000000;
    CALL("nanosleep(1 ms, rem = monitor stubs)", SYS_nanosleep, &ts, MONITOR_VA);
    CALL("clock_nanosleep(MONOTONIC, 0, kernel, NULL)", SYS_clock_nanosleep, CLOCK_MONOTONIC, 0,
         0xffff800000000000UL, 0);
    CALL("getrandom(NULL, 16, 0)", SYS_getrandom, 0, 16, 0);
    CALL("getrandom(monitor stubs, 16, 0)", SYS_getrandom, MONITOR_VA, 16, 0);

    /* readv / writev: iovecs pointing at bad memory, and the iovec array itself bad. */
    for (int i = 0; i < nbads; i++) {
        struct iovec iov[2] = {{(void *)bads[i].addr, 8}, {(void *)bads[i].addr, 8}};
        snprintf(label, sizeof label, "writev(1, {%s x2}, 2)", bads[i].name);
        CALL(label, SYS_writev, 1, iov, 2);
        snprintf(label, sizeof label, "preadv(file, {%s x2}, 2, 0)", bads[i].name);
        CALL(label, SYS_preadv, fd, iov, 2, 0, 0);
        snprintf(label, sizeof label, "writev(1, iov array at %s, 1)", bads[i].name);
        CALL(label, SYS_writev, 1, bads[i].addr, 1);
        snprintf(label, sizeof label, "readv(file, iov array at %s, 1)", bads[i].name);
        CALL(label, SYS_readv, fd, bads[i].addr, 1);
    }
    {
        struct iovec good[2] = {{buf, 4}, {buf, 4}};
        CALL("writev(1, iov, -1)", SYS_writev, 1, good, -1);
        CALL("writev(1, iov, 1025)", SYS_writev, 1, good, 1025);
        CALL("writev(1, iov, 0)", SYS_writev, 1, good, 0);
        struct iovec neg[1] = {{buf, (size_t)1 << 63}};
        CALL("writev(1, {buf, 1<<63}, 1)", SYS_writev, 1, neg, 1);
        CALL("readv(file, {buf, 1<<63}, 1)", SYS_readv, fd, neg, 1);
        struct iovec huge[2] = {{buf, (size_t)1 << 62}, {buf, (size_t)1 << 62}};
        CALL("writev(1, {buf, 1<<62} x2, 2)", SYS_writev, 1, huge, 2);
    }

    /* Invalid descriptors, for good measure. */
    CALL("write(-1, buf, 1)", SYS_write, -1, buf, 1);
    CALL("write(1000000, buf, 1)", SYS_write, 1000000, buf, 1);
    CALL("close(-1)", SYS_close, -1);
    CALL("fstat(12345, &st)", SYS_fstat, 12345, &st);

    close(fd);
    munmap(m, 4 * PG);

    int again = open("/dev/null", O_RDONLY);
    say("%s\n", again == probe ? "no descriptor leaked" : "a descriptor leaked");
    close(again);
    say("monitor unharmed\n");
    return 0;
}
