/* escape.c: escape attempts from inside a sandbox, one line each saying how the system answered
 * ("ok" or the errno's name), so that the same program's lines under `vmjail run --root` and
 * under runc (Linux in a container) can be compared (tests/integration/sandbox).
 *
 *   escape TCPPORT ABSTRACTNAME HOSTSOCKET
 *
 * TCPPORT and ABSTRACTNAME: a TCP port on the host's loopback and an abstract socket of the
 * host's, each with a listener; HOSTSOCKET: the path of a listening socket of the host's,
 * outside the root.
 * It runs only as pid 1 of a pid namespace of its own (kill(-1) on a host would end every
 * process its user may signal): anywhere else it refuses, status 3. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Swaps /tmp/flip between three ways up to the root until told to stop. */
struct flip {
    struct stat top;
    int stop;
};

static void *flip(void *arg)
{
    struct flip *f = arg;
    static const char *const targets[] = {"/", "../../..", "/proc/self/root/.."};
    for (int i = 0; !__atomic_load_n(&f->stop, __ATOMIC_RELAXED); i++) {
        symlink(targets[i % 3], "/tmp/flip.new");
        rename("/tmp/flip.new", "/tmp/flip");
    }
    return NULL;
}

/* The name of errno value E (musl has no strerrorname_np). */
static const char *errname(int e)
{
    static char other[16];
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EROFS: return "EROFS";
    case ENOSYS: return "ENOSYS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENETUNREACH: return "ENETUNREACH";
    default: snprintf(other, sizeof other, "E%d", e); return other;
    }
}

static void say(const char *what, long r)
{
    printf("%s: %s\n", what, r < 0 ? errname(errno) : "ok");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: escape TCPPORT ABSTRACTNAME HOSTSOCKET\n");
        return 2;
    }
    if (getpid() != 1) {
        fprintf(stderr, "escape: not pid 1 of a pid namespace: refusing to run\n");
        return 3;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    say("mount tmpfs on /tmp", mount("none", "/tmp", "tmpfs", 0, NULL));
    say("umount /proc", umount2("/proc", MNT_DETACH));
    say("pivot_root", syscall(SYS_pivot_root, "/", "/"));
    say("chroot", chroot("/"));
    say("unshare mount namespace", unshare(CLONE_NEWNS));
    int ns = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
    say("setns to a mount namespace", ns < 0 ? ns : setns(ns, CLONE_NEWNS));
    say("sethostname", sethostname("escaped", 7));
    /* LINUX_REBOOT_MAGIC1, MAGIC2, CMD_CAD_OFF (linux/reboot.h) */
    say("reboot", syscall(SYS_reboot, 0xfee1deadL, 672274793L, 0L, NULL));
    /* (init_module, iopl and ioperm: left out, ENOSYS natively on kernels built without
     * them; vmjail answers EPERM, tests/unit/test_syscall_table.c) */
    struct {
        unsigned int bytes;
        int type;
        unsigned char h[64];
    } handle = {.bytes = 8, .type = 1};
    int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    say("open_by_handle_at", syscall(SYS_open_by_handle_at, root, &handle, O_RDONLY));
    say("write /proc/sysrq-trigger", open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC));
    int kc = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
    char buf[64];
    printf("read /proc/kcore: %s\n", kc < 0 ? errname(errno)
                                             : read(kc, buf, sizeof buf) > 0 ? "bytes" : "nothing");
    say("create a file in the read-only root", open("/escaped", O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    say("write a file of the read-only root", open("/bin/busybox", O_WRONLY | O_CLOEXEC));

    /* The host's loopback TCP port and abstract socket: not in this network namespace. */
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    say("connect to the host's loopback port", connect(s, (struct sockaddr *)&in, sizeof in));
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    size_t n = strlen(argv[2]);
    if (n > sizeof un.sun_path - 2)
        n = sizeof un.sun_path - 2;
    memcpy(un.sun_path + 1, argv[2], n);
    int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    say("connect to the host's abstract socket",
        connect(u, (struct sockaddr *)&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)));

    /* A socket of the host's by its host path: not in the root.  One bound here is in the
     * sandbox's own /tmp (the test looks for it on the host). */
    struct sockaddr_un hp = {.sun_family = AF_UNIX}, mine = {.sun_family = AF_UNIX};
    snprintf(hp.sun_path, sizeof hp.sun_path, "%s", argv[3]);
    int h = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    say("connect to a host socket by its path", connect(h, (struct sockaddr *)&hp, sizeof hp));
    snprintf(mine.sun_path, sizeof mine.sun_path, "/tmp/escape.sock");
    int b = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    say("bind a socket at /tmp/escape.sock", bind(b, (struct sockaddr *)&mine, sizeof mine));
    close(h);
    close(b);

    /* Up from the root, by .. and through /proc: the root itself. */
    struct stat top, up, proc_up;
    stat("/", &top);
    stat("/../../../..", &up);
    stat("/proc/self/root/../..", &proc_up);
    printf(".. from the root: %s\n", up.st_ino == top.st_ino && up.st_dev == top.st_dev ? "the root" : "ELSEWHERE");
    printf("/proc/self/root/..: %s\n",
           proc_up.st_ino == top.st_ino && proc_up.st_dev == top.st_dev ? "the root" : "ELSEWHERE");

    /* A symlink another thread swaps while this one resolves through it: every target it
     * takes ("/", "../../..", "/proc/self/root/..") is the root, whichever is seen. */
    pthread_t flipper;
    struct flip fl = {.top = top};
    pthread_create(&flipper, NULL, flip, &fl);
    int elsewhere = 0;
    for (int i = 0; i < 2000; i++) {
        struct stat s;
        if (stat("/tmp/flip/", &s) == 0 && (s.st_ino != top.st_ino || s.st_dev != top.st_dev))
            elsewhere++;
    }
    __atomic_store_n(&fl.stop, 1, __ATOMIC_RELAXED);
    pthread_join(flipper, NULL);
    printf("a symlink swapped during the calls: %s\n", elsewhere ? "ELSEWHERE" : "the root");

    /* Descriptors it was given beyond 0, 1 and 2 (with the two sockets, the root and the
     * namespace above, and /proc/kcore, closed first). */
    close(s);
    close(u);
    close(root);
    if (ns >= 0)
        close(ns);
    if (kc >= 0)
        close(kc);
    int open_fds = 0;
    for (int fd = 3; fd < 1024; fd++)
        open_fds += fcntl(fd, F_GETFD) >= 0;
    printf("descriptors open above 2: %d\n", open_fds);

    /* kill(-1) from a child: every process it may signal in its namespace but itself and
     * pid 1; here none. */
    pid_t c = fork();
    if (c == 0) {
        say("kill(-1, SIGKILL) from a child", kill(-1, SIGKILL));
        _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    printf("after kill(-1): the child %s, pid 1 alive\n",
           WIFEXITED(st) ? "exited" : "was killed");
    return 0;
}
