/* traps.c: software interrupts and traps caught as Linux reports them (int3, int $3, int $4, into, int $N). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

/* What the handler saw, and where the trapping instruction starts and ends. */
static volatile int got_signo, got_code;
static void *volatile got_addr;
static volatile uint64_t got_rip, got_trapno, got_err;
static volatile uint64_t resume_at;

static void handler(int s, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    got_signo = s;
    got_code = si->si_code;
    got_addr = si->si_addr;
    got_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    got_trapno = (uint64_t)uc->uc_mcontext.gregs[REG_TRAPNO];
    got_err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_at; /* past the instruction either way */
}

static const char *sig_name(int s)
{
    return s == SIGTRAP ? "SIGTRAP" : s == SIGSEGV ? "SIGSEGV" : s == SIGILL ? "SIGILL" : "other";
}

static const char *code_name(int c)
{
    static char buf[16];
    if (c == SI_KERNEL)
        return "SI_KERNEL";
    snprintf(buf, sizeof buf, "code=%d", c); /* ILL_ILLOPN 2, TRAP_BRKPT 1, ... */
    return buf;
}

static const char *where(uint64_t a, uint64_t start, uint64_t end)
{
    return a == 0 ? "0" : a == start ? "insn" : a == end ? "after" : "elsewhere";
}

static void report(const char *name, uint64_t start, uint64_t end)
{
    printf("%-10s %s %s si_addr=%s rip=%s trapno=%llu err=%#llx\n", name, sig_name(got_signo),
           code_name(got_code), where((uint64_t)(uintptr_t)got_addr, start, end),
           where(got_rip, start, end), (unsigned long long)got_trapno,
           (unsigned long long)got_err);
    got_signo = 0;
}

/* Runs the instruction BYTES with its start and end known; the handler resumes at the end. */
#define TRAP(name, bytes)                                                                      \
    do {                                                                                       \
        uint64_t s_, e_;                                                                       \
        __asm__ volatile("lea 1f(%%rip), %0\n\t"                                               \
                         "lea 2f(%%rip), %1\n\t"                                               \
                         "mov %1, %2\n"                                                        \
                         "1:\t" bytes "\n"                                                     \
                         "2:"                                                                  \
                         : "=&r"(s_), "=&r"(e_), "=m"(resume_at)                               \
                         :                                                                     \
                         : "memory");                                                          \
        report(name, s_, e_);                                                                  \
    } while (0)

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);

    TRAP("int3", ".byte 0xcc");
    TRAP("int $3", ".byte 0xcd, 0x03");
    TRAP("int $4", ".byte 0xcd, 0x04");
    TRAP("into", ".byte 0xce");
    TRAP("int $0", ".byte 0xcd, 0x00");
    TRAP("int $1", ".byte 0xcd, 0x01");
    TRAP("int $2", ".byte 0xcd, 0x02");
    TRAP("int $5", ".byte 0xcd, 0x05");
    TRAP("int $6", ".byte 0xcd, 0x06");
    TRAP("int $13", ".byte 0xcd, 0x0d");
    TRAP("int $14", ".byte 0xcd, 0x0e");
    TRAP("int $31", ".byte 0xcd, 0x1f");
    TRAP("int $32", ".byte 0xcd, 0x20");
    TRAP("int $0x81", ".byte 0xcd, 0x81");
    TRAP("int $255", ".byte 0xcd, 0xff");
    TRAP("int3 x2", ".byte 0xcc");
    printf("done\n");
    return 0;
}
