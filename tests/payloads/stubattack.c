/* stubattack.c: a payload that goes after the process platform's stub (tests/integration/run
 * runs it there; the cases are written against src/host/process/stub_abi.h's layout, and on
 * native Linux or KVM most of them just fault): `stubattack CASE`.  Each prints what it did,
 * and first, on stderr, the stub's process id (its first thread's, from its context); the
 * runner checks the exit status, that the monitor ended in order, and that the stub is gone.
 * Without a case it prints its cases (the plain native comparison). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STUB_VA 0x7ff000000000UL
#define CTL_VA 0x7ff010000000UL
#define CTX_OFF 0x1000UL
#define CTX_SIZE 0x2000UL
#define CTL_SIZE (CTX_OFF + 1024 * CTX_SIZE)

/* A context's first words (stub_abi.h): state, kind; the registers from offset 40. */
struct ctx {
    uint32_t state, kind;
    int32_t signo, code;
    uint64_t addr, trapno, err;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
};

static struct ctx *ctx_of(unsigned i)
{
    return (struct ctx *)(CTL_VA + CTX_OFF + i * CTX_SIZE);
}

/* The address of a `syscall` instruction in the stub's code, found by reading it (its ELF
 * header gives where its code is: the program headers' first executable segment). */
static uint8_t *stub_syscall(void)
{
    const uint8_t *elf = (const uint8_t *)STUB_VA;
    uint64_t phoff;
    uint16_t phnum;
    memcpy(&phoff, elf + 32, 8);
    memcpy(&phnum, elf + 56, 2);
    for (unsigned i = 0; i < phnum && i < 16; i++) {
        const uint8_t *ph = elf + phoff + 56 * i;
        uint32_t type, flags;
        uint64_t vaddr, size;
        memcpy(&type, ph, 4);
        memcpy(&flags, ph + 4, 4);
        memcpy(&vaddr, ph + 16, 8);
        memcpy(&size, ph + 40, 8);
        if (type != 1 || !(flags & 1))
            continue;
        for (uint8_t *p = (uint8_t *)vaddr; p + 1 < (uint8_t *)(vaddr + size); p++)
            if (p[0] == 0x0f && p[1] == 0x05)
                return p;
    }
    return NULL;
}

static volatile int spin_forever = 1;

static void *exit_later(void *arg)
{
    struct timespec t = {0, 200 * 1000 * 1000};
    nanosleep(&t, NULL);
    printf("exit_group(%d) from another thread\n", (int)(intptr_t)arg);
    fflush(stdout);
    syscall(SYS_exit_group, (int)(intptr_t)arg);
    return NULL;
}

/* The stub's futex call, entered from payload code with the payload's arguments: a FUTEX_WAIT
 * that never ends, while another thread ends the process. */
static int jump_futex(void)
{
    uint8_t *sc = stub_syscall();
    if (sc == NULL)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, exit_later, (void *)7);
    static uint32_t word;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("call *%%rcx" /* the syscall instruction, then whatever follows */
                     :
                     : "a"(SYS_futex), "D"(&word), "S"(0 /* FUTEX_WAIT */), "d"(0), "r"(r10),
                       "c"(sc)
                     : "r11", "memory");
    for (;;)
        pause();
}

static void *linger(void *arg)
{
    (void)arg;
    sleep(5);
    printf("the other thread lingered\n");
    return NULL;
}

/* The stub's exit call, from payload code: this thread ends without the monitor's knowing. */
static int jump_exit(void)
{
    uint8_t *sc = stub_syscall();
    if (sc == NULL)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, linger, NULL);
    printf("this thread ends through the stub's exit call\n");
    fflush(stdout);
    __asm__ volatile("jmp *%0" : : "r"(sc), "a"(SYS_exit), "D"(0) : "memory");
    return 3;
}

static void forged(void)
{
    printf("running where a forged rt_sigreturn sent it, every host signal blocked\n");
    fflush(stdout);
    syscall(SYS_exit_group, 5);
}

/* rt_sigreturn from the stub's code with a frame of the payload's: its registers, and a host
 * signal mask that blocks everything. */
static int jump_sigreturn(void)
{
    uint8_t *sc = stub_syscall();
    if (sc == NULL)
        return 2;
    static uint64_t stack[4096] __attribute__((aligned(16)));
    /* struct ucontext at the frame: flags, link, stack (24), mcontext (256), mask. */
    static uint64_t frame[64];
    memset(frame, 0, sizeof frame);
    uint64_t *mc = frame + 5; /* after flags, link and the 3-word stack_t */
    frame[3] = 2;                            /* uc_stack.ss_flags: SS_DISABLE */
    mc[15] = (uint64_t)(stack + 3999);       /* rsp, as at a function's entry */
    mc[16] = (uint64_t)forged;               /* rip */
    mc[17] = 0x202;                          /* eflags */
    mc[18] = 0x2b000000000033ULL;            /* cs 0x33, ss 0x2b */
    frame[5 + 32] = ~0ULL;                   /* uc_sigmask: every signal */
    printf("rt_sigreturn through the stub's syscall instruction\n");
    fflush(stdout);
    __asm__ volatile("mov %0, %%rsp\n jmp *%1" : : "r"(frame), "r"(sc), "a"(15) : "memory");
    return 3;
}

/* int $0x80 (a 32-bit system call): refused as on KVM (SIGSEGV). */
static int int80(void)
{
    printf("int $0x80\n");
    fflush(stdout);
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory");
    printf("int $0x80 returned %ld\n", r);
    return 0;
}

/* sysenter: invalid in 64-bit mode on AMD (SIGILL); on Intel a 32-bit call (SIGSEGV, as
 * int $0x80). */
static int sysenter(void)
{
    printf("sysenter\n");
    fflush(stdout);
    __asm__ volatile("mov $20, %%eax\n sysenter" : : : "rax", "rcx", "rdx", "memory");
    printf("sysenter returned\n");
    return 0;
}

/* The legacy vsyscall page's gettimeofday: where the host emulates it, the call it makes is
 * trapped and served like any other; where it has none, SIGSEGV. */
static int vsyscall(void)
{
    printf("vsyscall gettimeofday\n");
    fflush(stdout);
    struct {
        long s, us;
    } tv = {0, 0};
    long (*gtod)(void *, void *) = (long (*)(void *, void *))0xffffffffff600000UL;
    long r = gtod(&tv, NULL);
    printf("vsyscall gettimeofday returned %ld, a time: %s\n", r, tv.s > 1700000000 ? "yes" : "no");
    return 0;
}

/* Map over, unmap and unprotect the stub and the control region: each refused. */
static int map_over(void)
{
    const struct {
        const char *what;
        uintptr_t at;
    } where[] = {{"the stub's code", STUB_VA}, {"the control region", CTL_VA}};
    for (unsigned i = 0; i < 2; i++) {
        void *p = mmap((void *)where[i].at, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        printf("mmap MAP_FIXED over %s: %s\n", where[i].what,
               p == MAP_FAILED ? strerror(errno) : "mapped");
        printf("mprotect %s: %s\n", where[i].what,
               mprotect((void *)where[i].at, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) ? strerror(errno)
                                                                                     : "done");
        printf("munmap %s: %s\n", where[i].what,
               munmap((void *)where[i].at, 4096) ? strerror(errno) : "done");
    }
    printf("the stub still answers: pid %d\n", getpid() > 0);
    return 0;
}

/* Another thread forges the main thread's stop: exit_group(42) in its context, marked stopped,
 * while the main thread spins without a system call. */
/* Set by the main thread just before it spins: from then on it makes no call, so its context,
 * once "running", stays so (a stop forged while the monitor serves a real call of its would
 * be overwritten by the answer). */
static volatile int spinning;

static void *forge(void *arg)
{
    (void)arg;
    struct ctx *c = ctx_of(0);
    while (!spinning || __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != 0 /* RUNNING */)
        __asm__ volatile("pause");
    c->rax = SYS_exit_group;
    c->rdi = 42;
    c->kind = 2; /* VJ_STUB_KIND_SYSCALL */
    __atomic_store_n(&c->state, 1 /* VJ_STUB_STOPPED */, __ATOMIC_RELEASE);
    return NULL;
}

static int forge_stop(void)
{
    printf("another thread forges this one's system call stop\n");
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, forge, NULL);
    spinning = 1;
    while (spin_forever)
        __asm__ volatile("pause");
    return 0;
}

/* Another thread writes pseudo-random words over the whole control region (every context, the
 * requests, the header) while this one makes system calls. */
static volatile int scribbling = 1;
static void *scribble(void *arg)
{
    (void)arg;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (long n = 0; n < 20000000 && scribbling; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ((volatile uint64_t *)CTL_VA)[(x >> 11) % (CTL_SIZE / 8)] = x;
    }
    return NULL;
}

static int scribble_ctl(void)
{
    printf("another thread scribbles over the control region\n");
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, scribble, NULL);
    for (int i = 0; i < 20000; i++)
        syscall(SYS_getppid);
    scribbling = 0;
    pthread_join(t, NULL);
    printf("survived the scribbling\n");
    return 0;
}

/* Another thread jams this one's context state with a value that is neither "stopped" nor
 * "resume" while this one makes system calls: this thread's stub and the monitor can end up each
 * waiting for the other.  The payload never ends by itself; SIGTERM from outside must still end
 * it, in order, within the monitor's grace for an unanswered interrupt. */
static void *jam(void *arg)
{
    (void)arg;
    for (;;)
        __atomic_store_n(&ctx_of(0)->state, 0x4a414d21, __ATOMIC_RELAXED);
    return NULL;
}

static int jam_state(void)
{
    printf("another thread jams this one's context state\n");
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, jam, NULL);
    for (;;)
        syscall(SYS_getppid);
    return 0;
}

/* Every signal blocked, then a loop that never ends: only SIGKILL ends it. */
static int block_all(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    printf("every signal blocked, spinning\n");
    fflush(stdout);
    while (spin_forever)
        __asm__ volatile("pause");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(void);
    } cases[] = {{"jump-futex", jump_futex},   {"jump-sigreturn", jump_sigreturn},
                 {"jump-exit", jump_exit},
                 {"int80", int80},             {"sysenter", sysenter},
                 {"vsyscall", vsyscall},       {"map-over", map_over},
                 {"forge-stop", forge_stop},   {"scribble", scribble_ctl},
                 {"jam-state", jam_state},     {"block-all", block_all}};
    for (unsigned i = 0; argc > 1 && i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(argv[1], cases[i].name) == 0) {
            /* The context's tid field (stub_abi.h): after the registers and the XSAVE sizes. */
            fprintf(stderr, "stub %u\n", *(volatile uint32_t *)((uintptr_t)ctx_of(0) + 40 + 20 * 8 + 8));
            return cases[i].fn();
        }
    printf("stubattack CASE: the process platform's stub attacked; cases:");
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        printf(" %s", cases[i].name);
    printf("\n");
    return argc > 1 ? 2 : 0;
}
