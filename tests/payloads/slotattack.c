/* slotattack.c: a payload that writes over the fast path's shared slots (vmjail_abi.h's low
 * window, one slot per vCPU, which the payload may write) while its other threads make system
 * calls through them: call numbers, arguments and state words change under the monitor's
 * poller and waiting threads.  The monitor must read each field once, refuse the hostile
 * pointers, and end in order when the payload ends, whatever state its threads were left in.
 *
 *   slotattack SECONDS
 *   slotattack jump
 *
 * Only under vmjail (tests/integration/run, `--syscall-path poll`): natively the window is not
 * mapped, and it says so and exits 2.  It prints "survived", then how many calls its workers
 * made and how many answers were not the call's, and ends with exit_group(0).  `jump`: child
 * processes jump into the fast-call code at each of its first offsets, with the slots primed
 * so that no path can make a call but getpid (the return address 0: each ends in a fault), and
 * it prints how many jumps it made once every child has ended. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOW_VA 0x100000UL
#define SLOTS (LOW_VA + 0x40000UL)
#define SLOTS_SIZE 0x20000UL
#define SLOT_SIZE 128
#define FS_STATE 0
#define FS_NR 8
#define FS_ARGS 16
#define WORKERS 3
#define BUF 4096

static volatile int stop;
static pid_t parent, self;
static uint64_t calls, changed; /* calls made, answers not the call's (atomic adds) */
static sigjmp_buf probe_env;

static void on_probe_fault(int sig)
{
    (void)sig;
    siglongjmp(probe_env, 1);
}

/* Is the slots' page there (writable)? */
static int slots_mapped(void)
{
    struct sigaction sa = {.sa_handler = on_probe_fault}, old;
    sigaction(SIGSEGV, &sa, &old);
    int ok = 0;
    if (sigsetjmp(probe_env, 1) == 0) {
        volatile uint64_t *p = (uint64_t *)(SLOTS + SLOTS_SIZE - 64);
        uint64_t v = *p;
        *p = v;
        ok = 1;
    }
    sigaction(SIGSEGV, &old, NULL);
    return ok;
}

/* Calls through one libc site, every argument its own buffer (BUF bytes): whichever of the
 * scribbler's call numbers meets these arguments writes only there. */
static void *worker(void *arg)
{
    (void)arg;
    static __thread char buf[BUF];
    uint64_t n = 0, other = 0;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        /* getppid and getpid in turn: an answer taken from the slot before its call was served
         * is the other's (the scribbler sets DONE too). */
        int odd = n & 1;
        long r = syscall(odd ? SYS_getpid : SYS_getppid, buf, BUF, buf, buf, buf, buf);
        n++;
        other += r != (odd ? self : parent);
        if ((n & 255) == 0) {
            __atomic_fetch_add(&calls, 256, __ATOMIC_RELAXED);
            __atomic_fetch_add(&changed, other, __ATOMIC_RELAXED);
            other = 0;
        }
    }
    return NULL;
}

/* A small PRNG: xorshift64. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Call numbers a scribbled slot gets: calls that write through their first argument (uname,
 * clock_gettime, getcwd), harmless ones, and ones no table has.  Arguments: never the payload's
 * own memory: NULL, the monitor's region, the host kernel's half, the low window's read-only
 * code, the slots themselves, huge and negative values. */
static const uint64_t nrs[] = {SYS_uname, SYS_clock_gettime, SYS_getcwd, SYS_getppid,
                               SYS_getpid, SYS_gettid, 511, 512, 100000, ~0ULL};
static const uint64_t ptrs[] = {0, 1, 0xfff, LOW_VA, LOW_VA + 0x40, SLOTS,
                                0x7ff000000000ULL, 0x7fffffffe000ULL, 0x800000000000ULL,
                                0xffff800000000000ULL, ~0ULL, ~0ULL - 100, 1ULL << 40};

/* One write over SLOT: its call number, an argument, or its state word (the defined bits, or
 * any value). */
static void scribble(uint8_t *slot, uint64_t *s)
{
    uint64_t r = next(s);
    switch (r % 4) {
    case 0:
        __atomic_store_n((uint64_t *)(slot + FS_NR), nrs[(r >> 8) % 10], __ATOMIC_RELAXED);
        break;
    case 1:
        __atomic_store_n((uint64_t *)(slot + FS_ARGS + 8 * ((r >> 8) % 6)), ptrs[(r >> 16) % 13],
                         __ATOMIC_RELAXED);
        break;
    case 2:
        __atomic_store_n((uint32_t *)(slot + FS_STATE), (uint32_t)(r >> 32) & 63, __ATOMIC_RELAXED);
        break;
    default:
        __atomic_store_n((uint32_t *)(slot + FS_STATE), (uint32_t)(r >> 20), __ATOMIC_RELAXED);
    }
}

/* Writes over every slot, without a system call of its own, until told to stop. */
static void *scribbler(void *arg)
{
    uint64_t *count = arg, s = 0x9e3779b97f4a7c15ULL, n = 0;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        for (uint64_t off = 0; off < SLOTS_SIZE; off += SLOT_SIZE)
            scribble((uint8_t *)(SLOTS + off), &s);
        __atomic_store_n(count, ++n, __ATOMIC_RELAXED);
    }
    return NULL;
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

#define FAST_ENTRY (LOW_VA + 0x40)
#define NR_FAST_WAIT 0x3f0
#define JUMPS 96

/* A child's jump to the fast-call code at FAST_ENTRY + OFF: every slot's number getpid and
 * its saved return address 0, the registers the code reads zero but rax (getpid, or the
 * monitor's wait call) and r11 (a slot, or nothing). */
static void jump_into(unsigned off)
{
    for (uint64_t o = 0; o < SLOTS_SIZE; o += SLOT_SIZE) {
        uint8_t *slot = (uint8_t *)(SLOTS + o);
        memset(slot, 0, SLOT_SIZE);
        *(uint64_t *)(slot + FS_NR) = SYS_getpid;
    }
    alarm(5); /* a child the monitor left waiting still ends */
    uint64_t target = FAST_ENTRY + off, rax = off & 1 ? NR_FAST_WAIT : SYS_getpid;
    uint64_t r11 = off & 2 ? SLOTS : 0;
    __asm__ volatile("xor %%ecx, %%ecx\n xor %%edi, %%edi\n xor %%esi, %%esi\n"
                     "xor %%edx, %%edx\n xor %%r10d, %%r10d\n xor %%r8d, %%r8d\n"
                     "xor %%r9d, %%r9d\n mov %2, %%r11\n jmp *%0"
                     :
                     : "r"(target), "a"(rax), "r"(r11)
                     : "rcx", "rdi", "rsi", "rdx", "r8", "r9", "r10", "r11", "memory");
    _exit(0);
}

static int jumps(void)
{
    unsigned ended = 0;
    for (unsigned off = 0; off < JUMPS; off++) {
        fflush(stdout);
        pid_t c = fork();
        if (c < 0)
            break;
        if (c == 0)
            jump_into(off);
        int st;
        if (waitpid(c, &st, 0) == c)
            ended++;
    }
    printf("%u jumps into the fast-call code, %u children ended\n", JUMPS, ended);
    return ended == JUMPS ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (!slots_mapped()) {
        printf("no fast-call slots here (not under vmjail)\n");
        return 2;
    }
    if (argc > 1 && strcmp(argv[1], "jump") == 0)
        return jumps();
    double secs = argc > 1 ? atof(argv[1]) : 2;
    parent = getppid();
    self = getpid();
    /* Alone first (where the fast path serves only a single-threaded payload, through one
     * slot): every slot written over between its calls, while its poller watches. */
    struct timespec t0;
    uint64_t st = 0x2545f4914f6cdd1dULL, n = 0, other = 0, carried = 0;
    static char buf[BUF];
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (since(&t0) < secs / 2) {
        for (uint64_t off = 0; off < SLOTS_SIZE; off += SLOT_SIZE)
            scribble((uint8_t *)(SLOTS + off), &st);
        int odd = n & 1;
        uint64_t nr = odd ? SYS_getpid : SYS_getppid;
        long r = syscall(nr, buf, BUF, buf, buf, buf, buf);
        n++;
        other += r != (odd ? self : parent);
        /* Posted through slot 0 (the only one a lone thread uses where rdpid is missing) or
         * its own: the slot holds the call's number. */
        carried += *(volatile uint64_t *)(SLOTS + FS_NR) == nr;
    }
    __atomic_fetch_add(&calls, n, __ATOMIC_RELAXED);
    __atomic_fetch_add(&changed, other, __ATOMIC_RELAXED);
    /* Then with threads: the scribbler writes while the others call. */
    pthread_t w[WORKERS], sc;
    uint64_t rounds = 0;
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&w[i], NULL, worker, NULL);
    pthread_create(&sc, NULL, scribbler, &rounds);
    /* Waits on the vDSO's clock (no system call: its own slot is scribbled too). */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (since(&t0) < secs / 2)
        ;
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    /* Its threads may be waiting for answers it wrote over: it does not wait for them. */
    char msg[200];
    int len = snprintf(msg, sizeof msg,
                       "survived\n%llu calls alone (%llu through slot 0), %llu in all, %llu answers "
                       "not the call's, %llu rounds\n",
                       (unsigned long long)n, (unsigned long long)carried,
                       (unsigned long long)__atomic_load_n(&calls, __ATOMIC_RELAXED),
                       (unsigned long long)__atomic_load_n(&changed, __ATOMIC_RELAXED),
                       (unsigned long long)__atomic_load_n(&rounds, __ATOMIC_RELAXED));
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_write), "D"(1), "S"(msg), "d"((long)len)
                     : "rcx", "r11", "memory");
    __asm__ volatile("syscall" : : "a"(SYS_exit_group), "D"(0) : "rcx", "r11", "memory");
    return 0;
}
