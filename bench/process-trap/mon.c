/* mon.c: prototype monitor for the stub: guest memory in a memfd, a control page, the stub
 * exec'd with both; serves getpid and exit_group from a payload loop, and times them. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUEST_MIN 0x200000UL
struct ctl {
    volatile uint32_t state;
    uint32_t pad;
    uint64_t nr, a[6], ret;
    uint64_t mem_size, entry, sp;
    uint64_t spins;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    int spin_mon = argc > 2 ? atoi(argv[2]) : 1;
    long stub_spins = argc > 3 ? atol(argv[3]) : 2000;
    uint64_t size = 64 << 20;
    int mem = memfd_create("guest", MFD_CLOEXEC), cfd = memfd_create("ctl", MFD_CLOEXEC);
    ftruncate(mem, size);
    ftruncate(cfd, 4096);
    uint8_t *g = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0);
    struct ctl *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
    /* payload at 0x400000: rbx = n; loop: getpid; dec rbx; jnz loop; exit_group(0) */
    uint8_t code[] = {0x48, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0,        /* movabs $n, %rbx */
                      0xb8, 39, 0, 0, 0, 0x0f, 0x05,             /* mov $39,%eax; syscall */
                      0x48, 0xff, 0xcb, 0x75, 0xf4,              /* dec %rbx; jnz -12 */
                      0xb8, 231, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05}; /* exit_group(0) */
    memcpy(code + 2, &n, 8);
    memcpy(g + 0x400000, code, sizeof code);
    c->mem_size = size;
    c->spins = stub_spins;
    c->entry = 0x400000;
    c->sp = size - 4096;
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(mem, 3);
        dup2(cfd, 4);
        fcntl(3, F_SETFD, 0);
        fcntl(4, F_SETFD, 0);
        char *args[] = {"stub", NULL}, *env[] = {NULL};
        execve("./stub", args, env);
        _exit(127);
    }
    long served = 0;
    for (;;) {
        unsigned spins = 0;
        while (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != 1) {
            if (spin_mon && ++spins < 200000) {
                __builtin_ia32_pause();
                continue;
            }
            spins = 0;
            uint32_t v = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
            if (v == 1)
                break;
            struct timespec to = {0, 1000000};
            syscall(SYS_futex, &c->state, FUTEX_WAIT, v, &to, NULL, 0);
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                fprintf(stderr, "stub ended: status %#x after %ld calls\n", st, served);
                return 1;
            }
        }
        if (c->nr == 231) {
            double t = now() - t0;
            printf("%ld getpid round trips in %.3f s: %.2f us each (spinning monitor: %d)\n", served,
                   t, t / served * 1e6, spin_mon);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return 0;
        }
        c->ret = c->nr == 39 ? 4242 : (uint64_t)-38;
        served++;
        __atomic_store_n(&c->state, 2, __ATOMIC_RELEASE);
        syscall(SYS_futex, &c->state, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
}
