/* hostile.c: a payload that goes after the monitor: looks for its descriptors and writes over
 * them, leaves 10,000 signal handlers without returning, makes argv[1] threads (10,000 if not
 * given), at most 64 alive at once; prints only what Linux would show a process of its own
 * (so native and vmjail output are the same). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* Descriptors open in [lo, hi). */
static int count_open(int lo, int hi)
{
    int n = 0;
    for (int fd = lo; fd < hi; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

/* Over each descriptor of [lo, hi): write over it, close it, mark it close-on-exec. */
static void clobber(int lo, int hi)
{
    for (int fd = lo; fd < hi; fd++) {
        if (dup2(2, fd) == fd)
            close(fd);
        close(fd);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
}

/* The monitor keeps its descriptors (the VM's, the trace's) high in the descriptor table (the
 * top of the first 1024, or of a lower limit): the payload must see none of them, and writing
 * over them must not reach them.  Looks at [3, 1024) and the 256 below the limit. */
static void descriptors(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int top = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
    int low_end = top < 1024 ? top : 1024, lo = top > 1024 + 256 ? top - 256 : low_end;
    printf("descriptors open beyond stderr: %d\n", count_open(3, low_end) + count_open(lo, top));
    clobber(3, low_end);
    clobber(lo, top);
    printf("after dup2, close and fcntl over each of them: %d open\n",
           count_open(3, low_end) + count_open(lo, top));
}

static sigjmp_buf jump;
static volatile int entered;

static void leave(int sig)
{
    (void)sig;
    entered++;
    siglongjmp(jump, 1);
}

/* Handlers that never return: each is left by siglongjmp, 10,000 times, on the alternate
 * stack and off it. */
static void no_return(void)
{
    static char alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = leave;
    for (volatile int i = 0; i < 10000; i++) { /* volatile: kept across siglongjmp */
        sa.sa_flags = (i & 1) ? SA_ONSTACK : 0;
        sigaction(SIGUSR1, &sa, NULL);
        if (sigsetjmp(jump, 1) == 0)
            raise(SIGUSR1);
    }
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("handlers left by siglongjmp: %d; SIGUSR1 blocked after: %s\n", entered,
           sigismember(&now, SIGUSR1) ? "yes" : "no");
}

static void *thread_main(void *arg)
{
    return arg;
}

static void threads(int total)
{
    enum { BATCH = 64 };
    int made = 0, joined = 0;
    while (made < total) {
        pthread_t t[BATCH];
        int n = 0;
        for (; n < BATCH && made < total; n++, made++)
            if (pthread_create(&t[n], NULL, thread_main, NULL) != 0) {
                printf("pthread_create failed at thread %d: %s\n", made, strerror(errno));
                return;
            }
        for (int i = 0; i < n; i++)
            if (pthread_join(t[i], NULL) == 0)
                joined++;
    }
    printf("threads created and joined: %d\n", joined);
}

/* `hostile exhaust`: map and touch memory 1 MiB at a time until the address space refuses
 * (run only inside vmjail with a small --memory: natively it would take the host's), then give
 * it back and map again: the refusal is an error the payload sees, and it recovers. */
static int exhaust(void)
{
    enum { MIB = 1 << 20, MAX = 1 << 16 };
    static void *chunks[MAX];
    int n = 0, e = 0;
    for (; n < MAX; n++) {
        void *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            e = errno;
            break;
        }
        memset(p, n & 0xff, MIB);
        chunks[n] = p;
    }
    printf("mmap refused after %d MiB: %s\n", n, strerror(e));
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += ((unsigned char *)chunks[i])[MIB - 1] != (i & 0xff);
    printf("every chunk kept its bytes: %s\n", bad ? "no" : "yes");
    for (int i = 0; i < n; i++)
        munmap(chunks[i], MIB);
    void *again = mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (again != MAP_FAILED)
        memset(again, 1, 16 * MIB);
    printf("after giving it back, 16 MiB again: %s\n", again == MAP_FAILED ? strerror(errno) : "ok");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exhaust") == 0)
        return exhaust();
    descriptors();
    no_return();
    threads(argc > 1 ? atoi(argv[1]) : 10000);
    printf("monitor unharmed\n");
    return 0;
}
