/* signals.c: signals delivered to handlers as Linux does: siginfo values, masks and pending
 * signals, delivery order, SA_NODEFER, SA_RESETHAND, sa_mask, the alternate stack, SA_RESTART
 * against EINTR (a pipe read, nanosleep, a read in another thread), faults caught with their
 * address and code (siglongjmp out, resuming after the faulting instruction), registers and
 * FPU state saved and restored around a handler, frames a handler broke (rt_sigreturn
 * refuses them with SIGSEGV as Linux does), pause, sigsuspend, sigtimedwait, queued
 * real-time signals, POSIX timers, signalfd, ignored signals; at the end SIGTERM's default action
 * (exit status 143).
 *
 * "signals term": prints "ready", waits in pause() for a SIGTERM from outside, prints
 * "got TERM" and exits 3.
 *
 * The output is the same on every run: no addresses, pids or times, only comparisons. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER:
        return "SI_USER";
    case SI_TKILL:
        return "SI_TKILL";
    case SI_QUEUE:
        return "SI_QUEUE";
    case SI_TIMER:
        return "SI_TIMER";
    case SI_KERNEL:
        return "SI_KERNEL";
    default: {
        static char buf[16];
        snprintf(buf, sizeof buf, "%d", c);
        return buf;
    }
    }
}

static const char *yes(int b)
{
    return b ? "yes" : "no";
}

static void install(int s, void (*fn)(int, siginfo_t *, void *), int flags, int also_block)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (also_block)
        sigaddset(&sa.sa_mask, also_block);
    if (sigaction(s, &sa, NULL) < 0)
        perror("sigaction");
}

static void block(int s, int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, s);
    sigprocmask(how, &set, NULL);
}

static int blocked(int s)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, s);
}

static void timer_ms(long first, long interval)
{
    struct itimerval it = {{interval / 1000, interval % 1000 * 1000},
                           {first / 1000, first % 1000 * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* ---- siginfo of signals sent to oneself ------------------------------------------------- */

static void report(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("  handler: %s, si_signo %s, %s, pid %s", s == SIGUSR1 ? "SIGUSR1" : s == SIGUSR2 ?
           "SIGUSR2" : "other", yes(si->si_signo == s), code_name(si->si_code),
           si->si_pid == getpid() ? "ok" : "wrong");
    if (si->si_code == SI_QUEUE)
        printf(", value %d", si->si_value.sival_int);
    printf("\n");
}

static void test_sources(void)
{
    printf("sources\n");
    install(SIGUSR1, report, 0, 0);
    install(SIGUSR2, report, 0, 0);
    raise(SIGUSR1);
    kill(getpid(), SIGUSR1);
    syscall(SYS_tgkill, getpid(), gettid_(), SIGUSR2);
    syscall(SYS_tkill, gettid_(), SIGUSR2);
    union sigval v = {.sival_int = 1234};
    sigqueue(getpid(), SIGUSR1, v);
    printf("  kill 0: %d\n", kill(getpid(), 0));
    errno = 0;
    printf("  kill 99999: %d %s\n", kill(getpid(), 99999), errno == EINVAL ? "EINVAL" : "?");
}

/* ---- masks, pending signals, order ------------------------------------------------------ */

static volatile char order[64];
static volatile int norder;
static void record(int s, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    order[norder++] = s == SIGUSR1 ? '1' : s == SIGUSR2 ? '2' : s == SIGHUP ? 'H' : '?';
}

static void test_masks(void)
{
    printf("masks\n");
    install(SIGUSR1, record, 0, 0);
    install(SIGUSR2, record, 0, 0);
    install(SIGHUP, record, 0, 0);
    block(SIGUSR1, SIG_BLOCK);
    norder = 0;
    raise(SIGUSR1);
    raise(SIGUSR1); /* a standard signal is pending once */
    sigset_t pend;
    sigpending(&pend);
    printf("  blocked and raised: handled %d, pending %s\n", norder, yes(sigismember(&pend, SIGUSR1)));
    block(SIGUSR1, SIG_UNBLOCK);
    printf("  after unblock: handled %d\n", norder);
    sigpending(&pend);
    printf("  pending after: %s\n", yes(sigismember(&pend, SIGUSR1)));

    /* Three pending signals unblocked at once: Linux takes the lowest first and builds each
     * next frame on top of the previous one, so the last taken runs first. */
    sigset_t three, old;
    sigemptyset(&three);
    sigaddset(&three, SIGUSR1);
    sigaddset(&three, SIGUSR2);
    sigaddset(&three, SIGHUP);
    sigprocmask(SIG_BLOCK, &three, &old);
    norder = 0;
    raise(SIGUSR2);
    raise(SIGHUP);
    raise(SIGUSR1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    order[norder] = 0;
    printf("  order of HUP, USR1, USR2 unblocked together: %s\n", (const char *)order);

    /* sa_mask blocks USR2 in the USR1 handler: USR2 raised there waits for its return. */
    install(SIGUSR1, record, 0, SIGUSR2);
    norder = 0;
    block(SIGUSR1, SIG_BLOCK);
    block(SIGUSR2, SIG_BLOCK);
    raise(SIGUSR1);
    raise(SIGUSR2);
    sigprocmask(SIG_SETMASK, &old, NULL);
    order[norder] = 0;
    printf("  with USR2 in USR1's sa_mask: %s\n", (const char *)order);
}

/* ---- SA_NODEFER, SA_RESETHAND ----------------------------------------------------------- */

static volatile char trail[64];
static volatile int ntrail, depth;
static void nested(int s, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    int me = ++depth;
    trail[ntrail++] = (char)('0' + me);
    if (me == 1) {
        trail[ntrail++] = blocked(s) ? 'b' : 'u';
        raise(s);
    }
    trail[ntrail++] = '/';
}

static void test_flags(void)
{
    printf("flags\n");
    install(SIGUSR1, nested, 0, 0);
    ntrail = depth = 0;
    raise(SIGUSR1);
    trail[ntrail] = 0;
    printf("  default (signal blocked in its handler): %s\n", (const char *)trail);
    install(SIGUSR1, nested, SA_NODEFER, 0);
    ntrail = depth = 0;
    raise(SIGUSR1);
    trail[ntrail] = 0;
    printf("  SA_NODEFER (handler re-entered): %s\n", (const char *)trail);

    install(SIGUSR2, record, SA_RESETHAND, 0);
    norder = 0;
    raise(SIGUSR2);
    struct sigaction cur;
    sigaction(SIGUSR2, NULL, &cur);
    printf("  SA_RESETHAND: handled %d, now SIG_DFL %s, flag kept %s\n", norder,
           yes(cur.sa_handler == SIG_DFL), yes(!!(cur.sa_flags & SA_RESETHAND)));
}

/* ---- the alternate stack ---------------------------------------------------------------- */

static char altstack[65536] __attribute__((aligned(16)));
static int on_alt, onstack_flag, uc_stack_ok, eperm;
static void on_stack(int s, siginfo_t *si, void *ucv)
{
    (void)s, (void)si;
    ucontext_t *uc = ucv;
    char here;
    on_alt = &here > altstack && &here < altstack + sizeof altstack;
    stack_t cur, other = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(NULL, &cur);
    onstack_flag = !!(cur.ss_flags & SS_ONSTACK);
    uc_stack_ok = uc->uc_stack.ss_sp == altstack && uc->uc_stack.ss_size == sizeof altstack;
    errno = 0;
    eperm = sigaltstack(&other, NULL) < 0 && errno == EPERM;
}

static void test_altstack(void)
{
    printf("altstack\n");
    stack_t ss, old;
    sigaltstack(NULL, &old);
    printf("  initially disabled: %s\n", yes(old.ss_flags == SS_DISABLE));
    ss.ss_sp = altstack;
    ss.ss_size = 1024;
    ss.ss_flags = 0;
    errno = 0;
    printf("  too small: %s\n", yes(sigaltstack(&ss, NULL) < 0 && errno == ENOMEM));
    ss.ss_size = sizeof altstack;
    printf("  set: %d\n", sigaltstack(&ss, NULL));
    install(SIGUSR1, on_stack, SA_ONSTACK, 0);
    raise(SIGUSR1);
    printf("  SA_ONSTACK: on it %s, SS_ONSTACK %s, uc_stack %s, EPERM to change %s\n",
           yes(on_alt), yes(onstack_flag), yes(uc_stack_ok), yes(eperm));
    install(SIGUSR1, on_stack, 0, 0);
    raise(SIGUSR1);
    printf("  without SA_ONSTACK: on it %s\n", yes(on_alt));
    sigaltstack(NULL, &old);
    printf("  after: flags %d, size ok %s\n", old.ss_flags, yes(old.ss_size == sizeof altstack));
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &old);
    printf("  disabled again: %s\n", yes(old.ss_flags == SS_DISABLE));
}

/* ---- SA_RESTART and EINTR --------------------------------------------------------------- */

static int pipefd[2];
static volatile int ticks;
static void tick(int s, siginfo_t *si, void *uc)
{
    (void)s, (void)si, (void)uc;
    if (++ticks == 3) {
        char c = 'x';
        write(pipefd[1], &c, 1);
    }
}

static void test_restart(void)
{
    printf("restart\n");
    pipe(pipefd);
    char c;
    /* Without SA_RESTART the read ends with EINTR at the first tick that interrupts it. */
    install(SIGALRM, tick, 0, 0);
    ticks = -1000;
    timer_ms(50, 50);
    errno = 0;
    ssize_t n = read(pipefd[0], &c, 1);
    int e = errno;
    timer_ms(0, 0);
    printf("  read without SA_RESTART: %zd %s\n", n, e == EINTR ? "EINTR" : "?");
    /* With it the read goes on until the third tick's handler writes a byte. */
    install(SIGALRM, tick, SA_RESTART, 0);
    ticks = 0;
    timer_ms(50, 50);
    n = read(pipefd[0], &c, 1);
    timer_ms(0, 0);
    printf("  read with SA_RESTART: %zd '%c', after 3 ticks %s\n", n, n == 1 ? c : '?',
           yes(ticks >= 3));
    /* nanosleep is never restarted after a handler: EINTR with the time left. */
    install(SIGALRM, tick, SA_RESTART, 0);
    ticks = -1000;
    timer_ms(50, 50);
    struct timespec req = {5, 0}, rem = {0, 0};
    errno = 0;
    int r = nanosleep(&req, &rem);
    e = errno;
    timer_ms(0, 0);
    printf("  nanosleep: %d %s, more than 3 s left %s\n", r, e == EINTR ? "EINTR" : "?",
           yes(rem.tv_sec >= 3));
}

/* ---- a read in another thread interrupted ------------------------------------------------ */

static volatile pid_t handler_tid;
static volatile int thread_done;
static pid_t worker_tid;
static void where(int s, siginfo_t *si, void *uc)
{
    (void)s, (void)si, (void)uc;
    handler_tid = gettid_();
}

static void *reader(void *arg)
{
    (void)arg;
    char c;
    worker_tid = gettid_();
    errno = 0;
    ssize_t n = read(pipefd[0], &c, 1);
    printf("  thread: read %zd %s\n", n, errno == EINTR ? "EINTR" : "?");
    thread_done = 1;
    return NULL;
}

static void test_thread(void)
{
    printf("thread\n");
    install(SIGUSR1, where, 0, 0);
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);
    while (!thread_done) {
        pthread_kill(th, SIGUSR1);
        usleep(10000);
    }
    pthread_join(th, NULL);
    printf("  handler ran in that thread: %s\n", yes(handler_tid == worker_tid));
}

/* ---- faults ----------------------------------------------------------------------------- */

static sigjmp_buf jb;
static siginfo_t fault_info;
static uintptr_t fault_rip;
static void fault(int s, siginfo_t *si, void *ucv)
{
    (void)s;
    ucontext_t *uc = ucv;
    fault_info = *si;
    fault_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    siglongjmp(jb, 1);
}

static const char *segv_code(int c)
{
    return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : code_name(c);
}

static void try_write(const char *what, volatile char *at)
{
    memset(&fault_info, 0, sizeof fault_info);
    if (sigsetjmp(jb, 1) == 0) {
        *at = 1;
        printf("  %s: no fault\n", what);
        return;
    }
    printf("  %s: SIGSEGV %s, si_addr is the address %s, SIGSEGV unblocked again %s\n", what,
           segv_code(fault_info.si_code), yes(fault_info.si_addr == (void *)at),
           yes(!blocked(SIGSEGV)));
}

static volatile int zero = 0;
static int resumed_ill, resumed_trap;
static void skip_ud2(int s, siginfo_t *si, void *ucv)
{
    (void)s;
    ucontext_t *uc = ucv;
    resumed_ill = si->si_code == ILL_ILLOPN && si->si_addr == (void *)uc->uc_mcontext.gregs[REG_RIP];
    uc->uc_mcontext.gregs[REG_RIP] += 2; /* resume after the ud2 */
}

static void trap(int s, siginfo_t *si, void *uc)
{
    (void)s, (void)uc;
    resumed_trap = si->si_code == SI_KERNEL;
}

static void test_faults(void)
{
    printf("faults\n");
    install(SIGSEGV, fault, 0, 0);
    try_write("below 2 MiB (never mapped)", (volatile char *)0x1123);
    char *page = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    page[0] = 1;
    mprotect(page, 4096, PROT_NONE);
    try_write("PROT_NONE page", page + 0x123);
    mprotect(page + 4096, 4096, PROT_READ);
    try_write("read-only page", page + 4096 + 8);
    munmap(page + 8192, 4096);
    try_write("unmapped page", page + 8192 + 0x7f0);
    munmap(page, 8192);

    install(SIGFPE, fault, 0, 0);
    memset(&fault_info, 0, sizeof fault_info);
    if (sigsetjmp(jb, 1) == 0) {
        int q;
        __asm__ volatile("movl $1, %%eax\n\tcltd\n\tidivl %1" : "=a"(q) : "m"(zero) : "edx");
        printf("  no SIGFPE %d\n", q);
    }
    printf("  divide by zero: SIGFPE %s, si_addr is the instruction %s\n",
           fault_info.si_code == FPE_INTDIV ? "FPE_INTDIV" : code_name(fault_info.si_code),
           yes(fault_info.si_addr == (void *)fault_rip));

    install(SIGILL, skip_ud2, 0, 0);
    __asm__ volatile("ud2");
    printf("  ud2: SIGILL ILL_ILLOPN at the instruction, resumed after it: %s\n", yes(resumed_ill));
    install(SIGTRAP, trap, 0, 0);
    __asm__ volatile("int3");
    printf("  int3: SIGTRAP SI_KERNEL, resumed after it: %s\n", yes(resumed_trap));
}

/* ---- registers and FPU state around a handler ------------------------------------------ */

static unsigned handler_mxcsr, frame_mxcsr, frame_magic;
static void clobber(int s, siginfo_t *si, void *ucv)
{
    (void)s, (void)si;
    ucontext_t *uc = ucv;
    __asm__ volatile("stmxcsr %0" : "=m"(handler_mxcsr));
    frame_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    memcpy(&frame_magic, (char *)uc->uc_mcontext.fpregs + 464, sizeof frame_magic);
    volatile double d = 1.0;
    for (int i = 0; i < 10; i++)
        d = d * 3.7 + 1.1;
    char buf[256];
    memset(buf, 0x5a, sizeof buf);
    snprintf(buf, sizeof buf, "%f %d", (double)d, s);
    __asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm15, %%xmm15\n\t"
                     "xor %%r8, %%r8\n\txor %%r9, %%r9\n\txor %%r10, %%r10" ::
                         : "xmm0", "xmm7", "xmm15", "r8", "r9", "r10");
}

/* What the register test loads before a raw tgkill and finds after it (file scope: the
 * assembler names them). */
uint64_t vj_reg_in[8] = {0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888};
uint64_t vj_reg_out[8];
uint64_t vj_xmm_in[6] = {0x0123456789abcdef, 0xfedcba9876543210, 0x1122334455667788,
                         0x99aabbccddeeff00, 0xdeadbeefcafebabe, 0x0f0f0f0f0f0f0f0f};
uint64_t vj_xmm_out[6];
unsigned vj_mx_in = 0x7f80, vj_mx_out, vj_mx_default = 0x1f80; /* 0x7f80: round toward zero */
long vj_ret, vj_pid, vj_tid;

static void test_registers(void)
{
    printf("registers\n");
    install(SIGUSR1, clobber, 0, 0);
    vj_pid = getpid();
    vj_tid = gettid_();
    /* A raw tgkill: the handler runs when it returns.  Everything but rax, rcx and r11 must
     * come back as it was, the FPU state too. */
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "ldmxcsr vj_mx_in(%%rip)\n\t"
                     "movdqu vj_xmm_in(%%rip), %%xmm0\n\t"
                     "movdqu vj_xmm_in+16(%%rip), %%xmm7\n\t"
                     "movdqu vj_xmm_in+32(%%rip), %%xmm15\n\t"
                     "push %%rbx\n\tpush %%rbp\n\tpush %%r12\n\tpush %%r13\n\t"
                     "push %%r14\n\tpush %%r15\n\t"
                     "mov vj_reg_in(%%rip), %%rbx\n\tmov vj_reg_in+8(%%rip), %%rbp\n\t"
                     "mov vj_reg_in+16(%%rip), %%r12\n\tmov vj_reg_in+24(%%rip), %%r13\n\t"
                     "mov vj_reg_in+32(%%rip), %%r14\n\tmov vj_reg_in+40(%%rip), %%r15\n\t"
                     "mov vj_reg_in+48(%%rip), %%r10\n\tmov vj_reg_in+56(%%rip), %%r9\n\t"
                     "mov vj_pid(%%rip), %%rdi\n\tmov vj_tid(%%rip), %%rsi\n\t"
                     "mov %[sig], %%edx\n\tmov %[nr], %%eax\n\t"
                     "syscall\n\t"
                     "mov %%rax, vj_ret(%%rip)\n\t"
                     "movdqu %%xmm0, vj_xmm_out(%%rip)\n\t"
                     "movdqu %%xmm7, vj_xmm_out+16(%%rip)\n\t"
                     "movdqu %%xmm15, vj_xmm_out+32(%%rip)\n\t"
                     "mov %%rbx, vj_reg_out(%%rip)\n\tmov %%rbp, vj_reg_out+8(%%rip)\n\t"
                     "mov %%r12, vj_reg_out+16(%%rip)\n\tmov %%r13, vj_reg_out+24(%%rip)\n\t"
                     "mov %%r14, vj_reg_out+32(%%rip)\n\tmov %%r15, vj_reg_out+40(%%rip)\n\t"
                     "mov %%r10, vj_reg_out+48(%%rip)\n\tmov %%r9, vj_reg_out+56(%%rip)\n\t"
                     "pop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbp\n\t"
                     "pop %%rbx\n\t"
                     "stmxcsr vj_mx_out(%%rip)\n\tldmxcsr vj_mx_default(%%rip)\n\t"
                     "add $128, %%rsp"
                     :
                     : [sig] "i"(SIGUSR1), [nr] "i"(SYS_tgkill)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm0",
                       "xmm7", "xmm15", "memory", "cc");
    printf("  tgkill returned %ld\n", vj_ret);
    printf("  rbx rbp r9 r10 r12-r15 preserved: %s\n",
           yes(memcmp(vj_reg_in, vj_reg_out, sizeof vj_reg_in) == 0));
    printf("  xmm0 xmm7 xmm15 preserved: %s\n",
           yes(memcmp(vj_xmm_in, vj_xmm_out, sizeof vj_xmm_out) == 0));
    printf("  MXCSR: handler starts with the default %s, frame holds the interrupted one %s, "
           "restored %s\n", yes(handler_mxcsr == 0x1f80), yes(frame_mxcsr == 0x7f80),
           yes(vj_mx_out == 0x7f80));
    printf("  XSAVE frame magic: %s\n", yes(frame_magic == 0x46505853));
}

/* ---- frames a handler broke ------------------------------------------------------------ */

static int breakage;
static void breaker(int s, siginfo_t *si, void *ucv)
{
    (void)s, (void)si;
    ucontext_t *uc = ucv;
    char *fp = (char *)uc->uc_mcontext.fpregs;
    switch (breakage) {
    case 0:
        uc->uc_mcontext.fpregs = (void *)0x10;
        break;
    case 1:
        uc->uc_mcontext.fpregs->mxcsr = 0xffffffff;
        break;
    case 2:
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)0x8000000000000000ULL;
        break;
    case 3:
        uc->uc_mcontext.gregs[REG_CSGSFS] = 0x10; /* a kernel code segment */
        break;
    case 4:
        memset(fp + 512, 0xff, 8); /* XSAVE header: components XCR0 does not have */
        break;
    case 5:
        memset(fp + 512 + 16, 1, 1); /* XSAVE header: a reserved byte */
        break;
    case 6:
        uc->uc_mcontext.fpregs = NULL; /* allowed: the FPU starts afresh */
        break;
    case 7:
        memset(fp + 464, 0, 4); /* no XSAVE magic: the legacy area alone is restored */
        break;
    }
}

static void test_bad_frames(void)
{
    static const char *const what[] = {
        "fpstate pointer to nowhere", "MXCSR reserved bits", "non-canonical rip",
        "kernel code segment", "XSAVE features not enabled", "XSAVE header reserved byte",
        "no fpstate", "fpstate without the XSAVE magic"};
    printf("bad frames\n");
    install(SIGSEGV, fault, 0, 0);
    install(SIGUSR1, breaker, 0, 0);
    for (breakage = 0; breakage < 8; breakage++) {
        /* Linux's sigreturn hands MXCSR to XRSTOR, which faults on reserved bits on a real
         * CPU; an emulated one may not check them (QEMU TCG): the test runner finds out with
         * "signals mxcsr" natively and then leaves this case out on both sides. */
        if (breakage == 1 && getenv("VJ_SIGNALS_NO_MXCSR_CASE")) {
            printf("  %s: not compared (this CPU does not check them)\n", what[breakage]);
            continue;
        }
        memset(&fault_info, 0, sizeof fault_info);
        if (sigsetjmp(jb, 1) == 0) {
            raise(SIGUSR1);
            printf("  %s: returned\n", what[breakage]);
        } else {
            printf("  %s: SIGSEGV\n", what[breakage]);
        }
    }
    signal(SIGSEGV, SIG_DFL);
}

/* ---- waiting for signals ---------------------------------------------------------------- */

static volatile int alarms;
static void count_alarm(int s, siginfo_t *si, void *uc)
{
    (void)s, (void)si, (void)uc;
    alarms++;
}

static void test_waiting(void)
{
    printf("waiting\n");
    install(SIGALRM, count_alarm, 0, 0);
    alarms = 0;
    alarm(1);
    errno = 0;
    int r = pause();
    printf("  alarm + pause: %d %s, handled %d\n", r, errno == EINTR ? "EINTR" : "?", alarms);

    block(SIGALRM, SIG_BLOCK);
    alarms = 0;
    timer_ms(30, 0);
    sigset_t none;
    sigemptyset(&none);
    errno = 0;
    r = sigsuspend(&none);
    printf("  sigsuspend: %d %s, handled %d, SIGALRM blocked again %s\n", r,
           errno == EINTR ? "EINTR" : "?", alarms, yes(blocked(SIGALRM)));
    block(SIGALRM, SIG_UNBLOCK);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    siginfo_t si;
    struct timespec tmo = {1, 0};
    r = sigtimedwait(&set, &si, &tmo);
    /* (glibc's sigtimedwait reports raise's SI_TKILL as SI_USER, musl's does not) */
    printf("  sigtimedwait: SIGUSR2 %s, from raise %s\n", yes(r == SIGUSR2),
           yes(si.si_code == SI_TKILL || si.si_code == SI_USER));
    tmo.tv_sec = 0;
    tmo.tv_nsec = 10000000;
    errno = 0;
    r = sigtimedwait(&set, &si, &tmo);
    printf("  sigtimedwait with nothing pending: %d %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- real-time signals and timers ------------------------------------------------------- */

static int values[8], nvalues;
static void rt(int s, siginfo_t *si, void *uc)
{
    (void)s, (void)uc;
    if (nvalues < 8)
        values[nvalues++] = si->si_value.sival_int;
}

static void test_realtime(void)
{
    printf("realtime\n");
    int s = SIGRTMIN + 1;
    install(s, rt, 0, 0);
    block(s, SIG_BLOCK);
    for (int i = 1; i <= 3; i++)
        sigqueue(getpid(), s, (union sigval){.sival_int = i * 10});
    nvalues = 0;
    block(s, SIG_UNBLOCK);
    printf("  three queued, delivered in order:");
    for (int i = 0; i < nvalues; i++)
        printf(" %d", values[i]);
    printf("\n");

    int ts = SIGRTMIN + 2;
    block(ts, SIG_BLOCK);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = ts;
    ev.sigev_value.sival_int = 42;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0) {
        perror("timer_create");
        return;
    }
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    timer_settime(t, 0, &its, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, ts);
    siginfo_t si;
    int r = sigwaitinfo(&set, &si);
    printf("  timer: signal %s, %s, value %d\n", yes(r == ts), code_name(si.si_code),
           si.si_value.sival_int);
    struct itimerspec left;
    timer_gettime(t, &left);
    printf("  timer disarmed after firing: %s\n", yes(left.it_value.tv_sec == 0 &&
                                                      left.it_value.tv_nsec == 0));
    printf("  timer_delete: %d\n", timer_delete(t));
    block(ts, SIG_UNBLOCK);
}

/* ---- signalfd ------------------------------------------------------------------------- */

static void test_signalfd(void)
{
    printf("signalfd\n");
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &m, NULL);
    raise(SIGUSR2); /* pending before the signalfd exists */
    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("  created: %s\n", yes(fd >= 0));
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    printf("  already pending: %zd bytes, SIGUSR2 %s, from this process %s\n", n,
           yes(si.ssi_signo == SIGUSR2), yes(si.ssi_pid == (uint32_t)getpid()));
    errno = 0;
    n = read(fd, &si, sizeof si);
    printf("  empty: %zd %s\n", n, errno == EAGAIN ? "EAGAIN" : "?");
    kill(getpid(), SIGUSR1);
    sigqueue(getpid(), SIGRTMIN + 3, (union sigval){.sival_int = 7});
    sigqueue(getpid(), SIGRTMIN + 3, (union sigval){.sival_int = 8});
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    printf("  readable: %s\n", yes(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN)));
    for (int i = 0; i < 3; i++) {
        n = read(fd, &si, sizeof si);
        printf("  read %zd: %s %s, value %d\n", n, si.ssi_signo == SIGUSR1 ? "SIGUSR1" :
               si.ssi_signo == (uint32_t)SIGRTMIN + 3 ? "rt+3" : "?",
               code_name(si.ssi_code), si.ssi_int);
    }
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGUSR2);
    printf("  new mask: %s\n", yes(signalfd(fd, &only, 0) == fd));
    raise(SIGUSR1); /* no longer the signalfd's: stays pending */
    errno = 0;
    n = read(fd, &si, sizeof si);
    sigset_t pend;
    sigpending(&pend);
    printf("  outside the mask: read %zd, pending %s\n", n, yes(sigismember(&pend, SIGUSR1)));
    close(fd);
    signal(SIGUSR1, SIG_IGN); /* discard it */
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

/* ---- ignored signals -------------------------------------------------------------------- */

static void test_ignored(void)
{
    printf("ignored\n");
    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    block(SIGUSR2, SIG_BLOCK);
    install(SIGUSR2, record, 0, 0);
    raise(SIGUSR2);
    signal(SIGUSR2, SIG_IGN); /* discards the pending one */
    sigset_t pend;
    sigpending(&pend);
    printf("  pending discarded by SIG_IGN: %s\n", yes(!sigismember(&pend, SIGUSR2)));
    block(SIGUSR2, SIG_UNBLOCK);
    signal(SIGCHLD, SIG_DFL);
    raise(SIGCHLD);
    raise(SIGURG);
    raise(SIGWINCH);
    printf("  still running after ignored and default-ignored signals\n");
}

/* ---- a SIGTERM from outside ------------------------------------------------------------- */

static void got_term(int s)
{
    (void)s;
    static const char msg[] = "got TERM\n";
    write(1, msg, sizeof msg - 1);
    _exit(3);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "term") == 0) {
        signal(SIGTERM, got_term);
        printf("ready\n");
        for (;;)
            pause();
    }
    if (argc > 1 && strcmp(argv[1], "mxcsr") == 0) { /* does this CPU check MXCSR's bits? */
        install(SIGSEGV, fault, 0, 0);
        install(SIGUSR1, breaker, 0, 0);
        breakage = 1;
        if (sigsetjmp(jb, 1) == 0) {
            raise(SIGUSR1);
            printf("returned\n");
        } else {
            printf("SIGSEGV\n");
        }
        return 0;
    }
    test_sources();
    test_masks();
    test_flags();
    test_altstack();
    test_restart();
    test_thread();
    test_faults();
    test_registers();
    test_bad_frames();
    test_waiting();
    test_realtime();
    test_signalfd();
    test_ignored();
    printf("now SIGTERM with its default action\n");
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    printf("not reached\n");
    return 1;
}
