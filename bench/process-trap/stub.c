/* stub.c: prototype of the process platform's stub: no libc; maps guest memory and the control
 * page, traps every syscall from outside its own code with seccomp RET_TRAP, and forwards each
 * to the monitor through the control page. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <asm/sigcontext.h>

#define GUEST_MIN 0x200000UL
#define CTL_VA 0x7ff000100000UL

struct ctl {
    volatile uint32_t state; /* 0 idle, 1 request, 2 answered */
    uint32_t pad;
    uint64_t nr, a[6], ret;
    uint64_t mem_size, entry, sp;
    uint64_t spins;
};

static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}
#define sc(n, a, b, c) sc6(n, a, b, c, 0, 0, 0)

extern char __executable_start[], _etext[];
void restorer(void);
__asm__(".text\n.globl restorer\nrestorer: mov $15, %eax\n syscall\n hlt\n");

struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

struct kucontext {
    unsigned long flags;
    void *link;
    struct { void *sp; int flags; size_t size; } stack;
    struct sigcontext mc;
};

static struct ctl *const C = (struct ctl *)CTL_VA;

static void on_sigsys(int sig, void *info, void *uc_)
{
    (void)sig, (void)info;
    struct kucontext *uc = uc_;
    struct sigcontext *m = &uc->mc;
    C->nr = m->rax;
    C->a[0] = m->rdi, C->a[1] = m->rsi, C->a[2] = m->rdx;
    C->a[3] = m->r10, C->a[4] = m->r8, C->a[5] = m->r9;
    __atomic_store_n(&C->state, 1, __ATOMIC_RELEASE);
    sc6(SYS_futex, (long)&C->state, FUTEX_WAKE, 1, 0, 0, 0);
    unsigned spins = 0;
    while (__atomic_load_n(&C->state, __ATOMIC_ACQUIRE) != 2) {
        if (++spins < C->spins) {
            __builtin_ia32_pause();
            continue;
        }
        sc6(SYS_futex, (long)&C->state, FUTEX_WAIT, 1, 0, 0, 0);
    }
    m->rax = C->ret;
    __atomic_store_n(&C->state, 0, __ATOMIC_RELEASE);
}

static char altstack[16384] __attribute__((aligned(16)));

void stub_main(void);
void stub_main(void)
{
    uint64_t lo = (uint64_t)__executable_start, hi = (uint64_t)_etext;
    /* fd 3: guest memory, fd 4: the control page */
    if (sc6(SYS_mmap, CTL_VA, 4096, 3, 0x11 /* MAP_SHARED|MAP_FIXED */, 4, 0) != (long)CTL_VA)
        sc(SYS_exit_group, 101, 0, 0);
    uint64_t size = C->mem_size;
    if (sc6(SYS_mmap, GUEST_MIN, size - GUEST_MIN, 7, 0x11, 3, GUEST_MIN) != (long)GUEST_MIN)
        sc(SYS_exit_group, 102, 0, 0);
    struct { void *sp; int flags; size_t size; } ss = {altstack, 0, sizeof altstack};
    sc(SYS_sigaltstack, (long)&ss, 0, 0);
    struct ksigaction sa = {(void *)on_sigsys, 0x04000000 | 0x08000000 | 4 /* RESTORER|ONSTACK|SIGINFO */,
                            (void *)restorer, 0};
    sc6(SYS_rt_sigaction, 31 /* SIGSYS */, (long)&sa, 0, 8, 0, 0);
    /* The filter: syscalls from [lo, hi) pass if they are the stub's own; all else traps. */
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(lo >> 32), 0, 9),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0, 7),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)hi, 6, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sched_yield, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    sc(SYS_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0);
    if (sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog) != 0)
        sc(SYS_exit_group, 103, 0, 0);
    /* Jump to the payload. */
    __asm__ volatile("mov %0, %%rsp\n jmp *%1" : : "r"(C->sp), "r"(C->entry) : "memory");
    __builtin_unreachable();
}

__asm__(".text\n.globl _start\n_start: and $-16, %rsp\n call stub_main\n hlt\n");
