/* calls16.c: issue 16's calls (splice, tee, xattrs, inotify, pidfds, personality,
 * epoll_pwait2, openat2), their success and error paths, in a scratch dir under the cwd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)1)

/* errno's name, or "ok" for a non-negative result. */
static const char *en(long r)
{
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case ENODATA: return "ENODATA";
    case ERANGE: return "ERANGE";
    case EEXIST: return "EEXIST";
    case E2BIG: return "E2BIG";
    case ESPIPE: return "ESPIPE";
    case ESRCH: return "ESRCH";
    case EXDEV: return "EXDEV";
    case ENOTSUP: return "ENOTSUP";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EAGAIN: return "EAGAIN";
    default: return "other";
    }
}

static void say(const char *what, long r)
{
    printf("%s: %s", what, en(r));
    if (r > 0)
        printf(" %ld", r);
    printf("\n");
    fflush(stdout);
}

static char dir[64], file[96];

static void test_splice(void)
{
    int p[2], q[2];
    if (pipe(p) < 0 || pipe(q) < 0)
        return;
    int f = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    write(p[1], "hello", 5);
    say("tee pipe->pipe", syscall(SYS_tee, p[0], q[1], 5, 0));
    loff_t off = 2;
    say("splice pipe->file at 2", syscall(SYS_splice, p[0], NULL, f, &off, 5, 0));
    printf("splice offset now %lld\n", (long long)off);
    off = 2;
    say("splice file->pipe from 2", syscall(SYS_splice, f, &off, p[1], NULL, 16, 0));
    char buf[32] = {0};
    say("read pipe", read(p[0], buf, sizeof buf - 1));
    printf("read back: %s\n", buf);
    memset(buf, 0, sizeof buf);
    say("read teed pipe", read(q[0], buf, sizeof buf - 1));
    printf("teed: %s\n", buf);
    say("splice bad off_in", syscall(SYS_splice, f, BAD, p[1], NULL, 5, 0));
    say("splice off on a pipe", syscall(SYS_splice, p[0], &off, f, NULL, 5, 0));
    say("splice bad fd", syscall(SYS_splice, 999, NULL, p[1], NULL, 5, 0));
    say("tee file", syscall(SYS_tee, f, q[1], 5, 0));
    say("tee bad fd", syscall(SYS_tee, p[0], 999, 5, 0));
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(f);
}

static void test_xattr(void)
{
    long r = setxattr(file, "user.vj", "value", 5, 0);
    if (r < 0 && errno == ENOTSUP) {
        printf("xattr: not supported here\n");
        return;
    }
    say("setxattr", r);
    say("setxattr XATTR_CREATE again", setxattr(file, "user.vj", "value", 5, XATTR_CREATE));
    say("getxattr size query", getxattr(file, "user.vj", NULL, 0));
    char buf[64] = {0};
    say("getxattr", getxattr(file, "user.vj", buf, sizeof buf));
    printf("value: %s\n", buf);
    memset(buf, 0, sizeof buf);
    say("lgetxattr", lgetxattr(file, "user.vj", buf, sizeof buf));
    int f = open(file, O_RDONLY | O_CLOEXEC);
    say("fsetxattr", fsetxattr(f, "user.two", "2", 1, 0));
    memset(buf, 0, sizeof buf);
    say("fgetxattr", fgetxattr(f, "user.two", buf, sizeof buf));
    printf("value: %s\n", buf);
    say("getxattr too small", getxattr(file, "user.vj", buf, 2));
    say("getxattr missing", getxattr(file, "user.none", buf, sizeof buf));
    say("getxattr no file", getxattr("calls16-none", "user.vj", buf, sizeof buf));
    say("getxattr bad value", syscall(SYS_getxattr, file, "user.vj", BAD, 16));
    say("getxattr bad name", syscall(SYS_getxattr, file, BAD, buf, 16));
    say("getxattr bad path", syscall(SYS_getxattr, BAD, "user.vj", buf, 16));
    say("setxattr bad value", syscall(SYS_setxattr, file, "user.x", BAD, 16, 0));
    say("fgetxattr bad fd", fgetxattr(999, "user.vj", buf, sizeof buf));
    /* listxattr's order is the filesystem's: count the names instead. */
    char list[256];
    long n = listxattr(file, list, sizeof list);
    say("listxattr", n);
    int names = 0;
    for (long i = 0; i < n; i++)
        names += list[i] == '\0';
    printf("listxattr names: %d\n", names);
    say("llistxattr", llistxattr(file, list, sizeof list));
    say("flistxattr", flistxattr(f, list, sizeof list));
    say("flistxattr size query", flistxattr(f, NULL, 0));
    say("listxattr bad buffer", syscall(SYS_listxattr, file, BAD, 256));
    say("listxattr too small", listxattr(file, list, 3));
    say("flistxattr bad fd", flistxattr(999, list, sizeof list));
    say("removexattr", removexattr(file, "user.vj"));
    say("removexattr again", removexattr(file, "user.vj"));
    say("lsetxattr", lsetxattr(file, "user.l", "l", 1, 0));
    say("lremovexattr", lremovexattr(file, "user.l"));
    say("fremovexattr", fremovexattr(f, "user.two"));
    say("fremovexattr bad fd", fremovexattr(999, "user.two"));
    say("llistxattr empty", llistxattr(file, list, sizeof list));
    close(f);
}

static void test_inotify(void)
{
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    say("inotify_init1", in >= 0 ? 0 : -1);
    int old = (int)syscall(SYS_inotify_init);
    say("inotify_init", old >= 0 ? 0 : -1);
    if (old >= 0)
        close(old);
    int wd = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
    say("inotify_add_watch", wd >= 0 ? 0 : -1);
    say("inotify_add_watch no path", inotify_add_watch(in, "calls16-none", IN_CREATE));
    say("inotify_add_watch bad path", syscall(SYS_inotify_add_watch, in, BAD, IN_CREATE));
    say("inotify_add_watch bad fd", inotify_add_watch(999, dir, IN_CREATE));
    say("inotify_add_watch no mask", inotify_add_watch(in, dir, 0));
    char name[128];
    snprintf(name, sizeof name, "%s/new", dir);
    int f = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    close(f);
    unlink(name);
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    long n = read(in, buf, sizeof buf);
    say("read events", n > 0 ? 0 : -1);
    for (long i = 0; i + (long)sizeof(struct inotify_event) <= n;) {
        struct inotify_event *e = (struct inotify_event *)(buf + i);
        printf("event mask %#x name %s same wd %d\n", e->mask, e->len ? e->name : "",
               e->wd == wd);
        i += (long)sizeof *e + e->len;
    }
    say("read no more events", read(in, buf, sizeof buf));
    say("inotify_rm_watch", inotify_rm_watch(in, wd));
    say("inotify_rm_watch again", inotify_rm_watch(in, wd));
    say("inotify_rm_watch bad fd", inotify_rm_watch(999, wd));
    close(in);
}

static volatile sig_atomic_t got_signo, got_code, got_value;

static void on_usr1(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signo = s;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
}

/* In a forked child: the child signals itself through its own pidfd; the handler has run when
 * the call returns, as Linux delivers a signal a process sends itself.  Exit status: bits of
 * what went right. */
static int self_signal_child(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
    int bits = 0;
    if (syscall(SYS_pidfd_send_signal, self, SIGUSR1, NULL, 0) == 0 && got_signo == SIGUSR1 &&
        got_code == SI_USER)
        bits |= 1;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 42;
    got_signo = 0;
    if (syscall(SYS_pidfd_send_signal, self, SIGUSR1, &si, 0) == 0 && got_signo == SIGUSR1 &&
        got_code == SI_QUEUE && got_value == 42)
        bits |= 2;
    return bits;
}

static void test_pidfd(void)
{
    pid_t s = fork();
    if (s == 0)
        _exit(self_signal_child());
    int sst = 0;
    waitpid(s, &sst, 0);
    printf("child signalling itself by pidfd: %s %d\n", WIFEXITED(sst) ? "exit" : "signalled",
           WIFEXITED(sst) ? WEXITSTATUS(sst) : WTERMSIG(sst));

    int go[2];
    if (pipe(go) < 0)
        return;
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(go[1]);
        read(go[0], &x, 1); /* waits until killed */
        _exit(0);
    }
    close(go[0]);
    int pfd = (int)syscall(SYS_pidfd_open, c, 0);
    say("pidfd_open child", pfd >= 0 ? 0 : -1);
    say("pidfd_open bad flags", syscall(SYS_pidfd_open, c, 1));
    say("pidfd_open pid -1", syscall(SYS_pidfd_open, -1, 0));
    say("pidfd_send_signal child 0", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
    say("pidfd_send_signal bad flags", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0x100));
    say("pidfd_send_signal bad info", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, BAD, 0));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGTERM;
    si.si_code = SI_USER;
    say("pidfd_send_signal child SI_USER info",
        syscall(SYS_pidfd_send_signal, pfd, SIGTERM, &si, 0));
    si.si_code = SI_QUEUE;
    si.si_signo = SIGUSR1;
    say("pidfd_send_signal info signo differs",
        syscall(SYS_pidfd_send_signal, pfd, SIGTERM, &si, 0));
    say("pidfd_send_signal child TERM", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
    int st = 0;
    waitpid(c, &st, 0);
    printf("child: %s %d\n", WIFSIGNALED(st) ? "signalled" : "exited",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    say("pidfd_send_signal reaped child", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
    close(go[1]);
    close(pfd);

    int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
    say("pidfd_open self", self >= 0 ? 0 : -1);
    say("pidfd_send_signal self 0", syscall(SYS_pidfd_send_signal, self, 0, NULL, 0));
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    say("pidfd_send_signal self 0 info", syscall(SYS_pidfd_send_signal, self, 0, &si, 0));
    si.si_signo = SIGUSR1;
    say("pidfd_send_signal self signo differs", syscall(SYS_pidfd_send_signal, self, 0, &si, 0));
    say("pidfd_send_signal self bad info", syscall(SYS_pidfd_send_signal, self, 0, BAD, 0));
    say("pidfd_send_signal self bad signal", syscall(SYS_pidfd_send_signal, self, 99, NULL, 0));
    close(self);
    int procdir = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    say("pidfd_send_signal /proc/self 0", syscall(SYS_pidfd_send_signal, procdir, 0, NULL, 0));
    close(procdir);
    int f = open(file, O_RDONLY | O_CLOEXEC);
    say("pidfd_send_signal on a file", syscall(SYS_pidfd_send_signal, f, 0, NULL, 0));
    close(f);
    say("pidfd_send_signal bad fd", syscall(SYS_pidfd_send_signal, 999, 0, NULL, 0));
}

static void test_personality(void)
{
    say("personality query", syscall(SYS_personality, 0xffffffffUL));
    say("personality PER_LINUX", syscall(SYS_personality, 0UL));
    say("personality query again", syscall(SYS_personality, 0xffffffffUL));
}

static void test_epoll_pwait2(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
    if (ep < 0 || pipe(p) < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[4];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    struct timespec zero = {0, 0}, bad = {0, 2000000000};
    say("epoll_pwait2 nothing ready", syscall(SYS_epoll_pwait2, ep, out, 4, &zero, NULL, 8));
    write(p[1], "x", 1);
    long n = syscall(SYS_epoll_pwait2, ep, out, 4, &zero, NULL, 8);
    say("epoll_pwait2 ready", n);
    if (n > 0)
        printf("event data %llu in %d\n", (unsigned long long)out[0].data.u64,
               (out[0].events & EPOLLIN) != 0);
    say("epoll_pwait2 no timeout", syscall(SYS_epoll_pwait2, ep, out, 4, NULL, NULL, 8));
    sigset_t m;
    sigemptyset(&m);
    say("epoll_pwait2 with mask", syscall(SYS_epoll_pwait2, ep, out, 4, &zero, &m, 8));
    say("epoll_pwait2 bad timeout", syscall(SYS_epoll_pwait2, ep, out, 4, BAD, NULL, 8));
    say("epoll_pwait2 invalid timeout", syscall(SYS_epoll_pwait2, ep, out, 4, &bad, NULL, 8));
    say("epoll_pwait2 bad events", syscall(SYS_epoll_pwait2, ep, BAD, 4, &zero, NULL, 8));
    say("epoll_pwait2 maxevents 0", syscall(SYS_epoll_pwait2, ep, out, 0, &zero, NULL, 8));
    say("epoll_pwait2 bad sigsetsize", syscall(SYS_epoll_pwait2, ep, out, 4, &zero, &m, 4));
    say("epoll_pwait2 bad fd", syscall(SYS_epoll_pwait2, 999, out, 4, &zero, NULL, 8));
    close(p[0]);
    close(p[1]);
    close(ep);
}

struct how {
    uint64_t flags, mode, resolve;
};

static long openat2_(int dfd, const void *path, const void *how, size_t size)
{
    return syscall(SYS_openat2, dfd, path, how, size);
}

static void test_openat2(void)
{
    static uint64_t big[1024]; /* zeroes */
    struct how h = {O_RDONLY | O_CLOEXEC, 0, 0};
    long fd = openat2_(AT_FDCWD, file, &h, sizeof h);
    say("openat2", fd >= 0 ? 0 : -1);
    char buf[32] = {0};
    say("read it", read((int)fd, buf, sizeof buf - 1));
    printf("contents: %s\n", buf + 2); /* after the hole splice left */
    close((int)fd);
    memcpy(big, &h, sizeof h);
    fd = openat2_(AT_FDCWD, file, big, 64);
    say("openat2 size 64, zero tail", fd >= 0 ? 0 : -1);
    close((int)fd);
    big[5] = 1;
    say("openat2 nonzero tail", openat2_(AT_FDCWD, file, big, 64));
    big[5] = 0;
    say("openat2 size 16", openat2_(AT_FDCWD, file, &h, 16));
    say("openat2 size 4097", openat2_(AT_FDCWD, file, big, 4097));
    say("openat2 bad how", openat2_(AT_FDCWD, file, BAD, sizeof h));
    say("openat2 bad path", openat2_(AT_FDCWD, BAD, &h, sizeof h));
    say("openat2 no file", openat2_(AT_FDCWD, "calls16-none", &h, sizeof h));
    say("openat2 bad dirfd", openat2_(999, "x", &h, sizeof h));
    struct how unknown = {1ULL << 40, 0, 0};
    say("openat2 unknown flag", openat2_(AT_FDCWD, file, &unknown, sizeof h));
    struct how mode = {O_RDONLY, 0644, 0};
    say("openat2 mode without O_CREAT", openat2_(AT_FDCWD, file, &mode, sizeof h));
    struct how beneath = {O_RDONLY, 0, 0x08 /* RESOLVE_BENEATH */};
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    say("openat2 RESOLVE_BENEATH ..", openat2_(d, "../calls16-none", &beneath, sizeof h));
    fd = openat2_(d, "f", &beneath, sizeof h);
    say("openat2 RESOLVE_BENEATH inside", fd >= 0 ? 0 : -1);
    close((int)fd);
    close(d);
    /* The payload's own /proc/self entries, as openat gives them. */
    char a[512] = {0}, b[512] = {0};
    fd = openat2_(AT_FDCWD, "/proc/self/cmdline", &h, sizeof h);
    long na = read((int)fd, a, sizeof a);
    close((int)fd);
    fd = openat(AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    long nb = read((int)fd, b, sizeof b);
    close((int)fd);
    printf("openat2 /proc/self/cmdline as openat's: %s\n",
           na > 0 && na == nb && memcmp(a, b, (size_t)na) == 0 ? "yes" : "no");
    fd = openat2_(AT_FDCWD, "/proc/self/exe", &h, sizeof h);
    say("openat2 /proc/self/exe", fd >= 0 ? 0 : -1);
    char elf[4] = {0};
    read((int)fd, elf, 4);
    printf("exe starts with ELF: %s\n", memcmp(elf, "\177ELF", 4) == 0 ? "yes" : "no");
    close((int)fd);
}

int main(void)
{
    snprintf(dir, sizeof dir, "calls16.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(file, sizeof file, "%s/f", dir);
    test_splice();
    test_xattr();
    test_inotify();
    test_pidfd();
    test_personality();
    test_epoll_pwait2();
    test_openat2();
    unlink(file);
    rmdir(dir);
    return 0;
}
