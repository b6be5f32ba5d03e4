/* stub.c: the process platform's stub: a static program without libc, linked at VJ_STUB_VA,
 * that the monitor starts in place of a VM.  It maps guest memory (a memfd the monitor maps
 * too) at guest addresses and its control region, and runs the payload on its first thread
 * under a seccomp filter that traps every system call made outside the stub's own code.  Each
 * trap, fault or interrupt stops the thread in a signal handler that hands its registers to
 * the monitor through the thread's context and takes the monitor's answer back.  A control
 * thread, which never runs payload code, changes the stub's mappings for the monitor. */
#include <asm/sigcontext.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "host/process/stub_abi.h"
#include "vmjail_abi.h"

#define SIGSYS_ 31
#define SIGSEGV_ 11
#define SIGBUS_ 7
#define SIGILL_ 4
#define SIGFPE_ 8
#define SIGTRAP_ 5
#define SA_SIGINFO_ 4
#define SA_ONSTACK_ 0x08000000
#define SA_RESTORER_ 0x04000000
#define ARCH_SET_FS_ 0x1002
#define ARCH_SET_GS_ 0x1001
#define USER_FLAGS 0x254dd5ULL /* CF PF AF ZF SF TF DF OF NT RF AC ID: what user code may set */

#define ALT_SIZE 0x8000
#define CONTROL_STACK 0x8000

static long sc6(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}
#define sc3(n, a, b, c) sc6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static void die(int code) __attribute__((noreturn));
static void die(int code)
{
    for (;;)
        sc3(SYS_exit_group, code, 0, 0);
}

static void copy(void *dst, const void *src, uint64_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
}

struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};
struct kstack {
    void *sp;
    int flags;
    uint64_t size;
};
struct kucontext {
    unsigned long flags;
    void *link;
    struct kstack stack;
    struct sigcontext mc;
    uint64_t sigmask;
};
struct ksiginfo {
    int signo, errno_, code, pad;
    union {
        struct {
            void *addr;
        } fault;
        struct {
            void *call_addr;
            int syscall;
            unsigned arch;
        } sys;
    } u;
};

extern char __executable_start[], _etext[];
void vj_stub_restorer(void);
__asm__(".text\n.globl vj_stub_restorer\nvj_stub_restorer:\n mov $15, %eax\n syscall\n hlt\n");

static uint8_t altstacks[VJ_STUB_MAX_VCPUS][ALT_SIZE] __attribute__((aligned(64)));
/* Each payload thread's FS and GS bases as last set: where the host lets user code set them
 * (FSGSBASE) they are read at each stop instead, and otherwise only a system call changes
 * them, and every one traps.  (Reading them with arch_prctl costs microseconds.) */
static uint64_t fs_bases[VJ_STUB_MAX_VCPUS], gs_bases[VJ_STUB_MAX_VCPUS];
static int fsgsbase;
static uint32_t spin_budget;
/* Did the monitor take long to answer this thread's last stop?  (TSC cycles: about 100 us.) */
#define SLOW_ANSWER_CYCLES 300000ULL
static uint8_t slow_answer[VJ_STUB_MAX_VCPUS];
static uint8_t control_stack[CONTROL_STACK] __attribute__((aligned(16)));

static struct vj_stub_ctx *ctx_of(unsigned i)
{
    return (struct vj_stub_ctx *)(VJ_STUB_CTL_VA + VJ_STUB_CTX_OFF + (uint64_t)i * VJ_STUB_CTX_SIZE);
}

/* The context of the thread whose alternate stack holds LOCAL (its stack frame), or die: the
 * payload may have moved the stack pointer anywhere. */
static unsigned index_of(const void *local)
{
    uint64_t a = (uint64_t)local, base = (uint64_t)altstacks;
    if (a < base || a >= base + sizeof altstacks)
        die(120);
    return (unsigned)((a - base) / ALT_SIZE);
}

static void futex_wake(uint32_t *w)
{
    sc6(SYS_futex, (long)w, FUTEX_WAKE, 1, 0, 0, 0);
}

static struct vj_stub_head *head(void)
{
    return (struct vj_stub_head *)VJ_STUB_CTL_VA;
}

/* Hand the context to the monitor (waking it only if it sleeps) and wait for its answer:
 * spin first where the monitor answered the last stop soon (most calls take microseconds),
 * else sleep at once (it is blocked in a call for the payload, or the CPUs are busy). */
static void stop_and_wait(struct vj_stub_ctx *c, unsigned i)
{
    uint64_t t0 = __builtin_ia32_rdtsc();
    __atomic_store_n(&c->state, VJ_STUB_STOPPED, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->mon_sleeps, __ATOMIC_SEQ_CST))
        futex_wake(&c->state);
    uint32_t budget = slow_answer[i] ? 0 : spin_budget;
    for (uint32_t spins = 0;; spins++) {
        uint32_t s = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
        if (s == VJ_STUB_RESUME)
            break;
        if (spins < budget) {
            __builtin_ia32_pause();
            continue;
        }
        __atomic_store_n(&c->stub_sleeps, 1, __ATOMIC_SEQ_CST);
        s = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
        if (s != VJ_STUB_RESUME)
            sc6(SYS_futex, (long)&c->state, FUTEX_WAIT, (long)s, 0, 0, 0);
        __atomic_store_n(&c->stub_sleeps, 0, __ATOMIC_RELAXED);
    }
    slow_answer[i] = __builtin_ia32_rdtsc() - t0 > SLOW_ANSWER_CYCLES;
}

/* Every signal the stub takes: a trapped system call (SIGSYS), a fault, the monitor's
 * interrupt, or (START) a new thread's first entry. */
static void on_signal(int sig, struct ksiginfo *si, struct kucontext *uc, uint32_t kind)
{
    unsigned i = index_of(&sig);
    struct vj_stub_ctx *c = ctx_of(i);
    struct sigcontext *m = &uc->mc;
    struct vj_stub_regs *r = &c->regs;
    if (kind == 0)
        kind = sig == SIGSYS_ ? VJ_STUB_KIND_SYSCALL
               : sig == VJ_STUB_SIG_INTERRUPT ? VJ_STUB_KIND_INTERRUPT : VJ_STUB_KIND_FAULT;
    c->kind = kind;
    c->signo = sig;
    c->code = si ? si->code : 0;
    c->addr = si ? (uint64_t)si->u.fault.addr : 0;
    c->trapno = m->trapno;
    c->err = m->err;
    *r = (struct vj_stub_regs){.r8 = m->r8, .r9 = m->r9, .r10 = m->r10, .r11 = m->r11,
                               .r12 = m->r12, .r13 = m->r13, .r14 = m->r14, .r15 = m->r15,
                               .rdi = m->rdi, .rsi = m->rsi, .rbp = m->rbp, .rbx = m->rbx,
                               .rdx = m->rdx, .rax = m->rax, .rcx = m->rcx, .rsp = m->rsp,
                               .rip = m->rip, .rflags = m->eflags};
    if (kind == VJ_STUB_KIND_SYSCALL && si->u.sys.arch != AUDIT_ARCH_X86_64) {
        /* A 32-bit call: the general-protection fault a VM's int $0x80 gives. */
        c->kind = kind = VJ_STUB_KIND_FAULT;
        c->signo = SIGSEGV_;
        c->code = 0x80; /* SI_KERNEL */
        c->addr = 0;
        c->trapno = 13;
    } else if (kind == VJ_STUB_KIND_SYSCALL) {
        r->rax = (uint64_t)si->u.sys.syscall; /* the frame's RAX is -ENOSYS by now */
    }
    if (fsgsbase) {
        __asm__ volatile("rdfsbase %0" : "=r"(fs_bases[i]));
        __asm__ volatile("rdgsbase %0" : "=r"(gs_bases[i]));
    }
    r->fs_base = fs_bases[i];
    r->gs_base = gs_bases[i];
    uint8_t *fpu = (uint8_t *)c + VJ_STUB_CTX_FPU;
    struct _fpx_sw_bytes *sw = m->fpstate ? (struct _fpx_sw_bytes *)((uint8_t *)m->fpstate + 464)
                                          : 0;
    uint32_t fpsize = sw && sw->magic1 == FP_XSTATE_MAGIC1 ? sw->xstate_size : 512;
    if (fpsize > 0x1000)
        fpsize = 0x1000;
    if (m->fpstate)
        copy(fpu, m->fpstate, fpsize);
    c->fpu_size = m->fpstate ? fpsize : 0;
    c->fpu_load = 0;
    uint64_t fs = r->fs_base, gs = r->gs_base;

    stop_and_wait(c, i);
    if (__atomic_load_n(&c->quit, __ATOMIC_ACQUIRE)) {
        /* The thread ends: nothing of its stack is used after GONE. */
        __asm__ volatile("movl %1, (%0)\n mov $60, %%eax\n xor %%edi, %%edi\n syscall\n hlt"
                         :
                         : "r"(&c->state), "i"(VJ_STUB_GONE)
                         : "memory");
    }

    /* The monitor's answer: the registers to resume with. */
    struct vj_stub_regs a = *r;
    m->r8 = a.r8, m->r9 = a.r9, m->r10 = a.r10, m->r11 = a.r11, m->r12 = a.r12;
    m->r13 = a.r13, m->r14 = a.r14, m->r15 = a.r15, m->rdi = a.rdi, m->rsi = a.rsi;
    m->rbp = a.rbp, m->rbx = a.rbx, m->rdx = a.rdx, m->rax = a.rax, m->rcx = a.rcx;
    m->rsp = a.rsp, m->rip = a.rip;
    m->eflags = (m->eflags & ~USER_FLAGS) | (a.rflags & USER_FLAGS);
    m->cs = 0x33;
    m->ss = 0x2b;
    if (a.fs_base != fs && sc3(SYS_arch_prctl, ARCH_SET_FS_, a.fs_base, 0) == 0)
        fs_bases[i] = a.fs_base;
    if (a.gs_base != gs && sc3(SYS_arch_prctl, ARCH_SET_GS_, a.gs_base, 0) == 0)
        gs_bases[i] = a.gs_base;
    if (c->fpu_load && m->fpstate)
        copy(m->fpstate, fpu, fpsize);
    __atomic_store_n(&c->state, VJ_STUB_RUNNING, __ATOMIC_RELEASE);
}

static void on_any(int sig, struct ksiginfo *si, struct kucontext *uc)
{
    on_signal(sig, si, uc, 0);
}

/* A new thread's first entry into the payload: a frame built here, on its alternate stack,
 * filled by the monitor's first registers, and entered with rt_sigreturn. */
void vj_stub_enter(unsigned i) __attribute__((noreturn));
void vj_stub_enter(unsigned i)
{
    struct {
        uint64_t pretcode;
        struct kucontext uc;
    } *f = (void *)(altstacks[i] + ALT_SIZE - 4096);
    uint8_t *z = (uint8_t *)f;
    for (unsigned k = 0; k < sizeof *f; k++)
        z[k] = 0;
    f->uc.mc.cs = 0x33;
    f->uc.mc.ss = 0x2b;
    f->uc.mc.eflags = 0x202;
    on_signal(0, 0, &f->uc, VJ_STUB_KIND_START);
    /* The handler's view of the frame is the kernel's: rt_sigreturn at sp = frame + 8. */
    __asm__ volatile("mov %0, %%rsp\n mov $15, %%eax\n syscall\n hlt"
                     :
                     : "r"(&f->uc)
                     : "memory");
    __builtin_unreachable();
}

static void handle(int sig)
{
    struct ksigaction sa = {(void *)on_any, SA_SIGINFO_ | SA_ONSTACK_ | SA_RESTORER_,
                            (void *)vj_stub_restorer, ~0ULL};
    if (sc6(SYS_rt_sigaction, sig, (long)&sa, 0, 8, 0, 0) != 0)
        die(103);
}

/* Confine the calling thread (and the threads it starts): the N calls NRS pass when made from
 * the stub's own code; every other call, from anywhere, traps (SIGSYS). */
static void confine(const uint32_t *nrs, unsigned n, int fail)
{
    uint64_t lo = (uint64_t)__executable_start, hi = (uint64_t)_etext;
    struct sock_filter f[32];
    if (n > 20)
        die(fail);
    uint8_t trap = (uint8_t)(9 + n), allow = (uint8_t)(10 + n); /* their indexes */
    unsigned k = 0;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    /* Another ABI's call (int $0x80, sysenter): trapped too; the handler reports it as the
     * fault a VM gives it. */
    f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    k++;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, instruction_pointer) + 4);
    f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(lo >> 32), 0,
                                        (uint8_t)(trap - k - 1));
    k++;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, instruction_pointer));
    f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0,
                                        (uint8_t)(trap - k - 1));
    k++;
    f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)hi,
                                        (uint8_t)(trap - k - 1), 0);
    k++;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (unsigned j = 0; j < n; j++, k++)
        f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[j],
                                            (uint8_t)(allow - k - 1), 0);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {(unsigned short)k, f};
    if (sc3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        die(fail);
}

/* The payload threads' filter: from the stub's code, only what its handler needs (and exit, for
 * a thread the monitor ends). */
static void confine_payload_thread(void)
{
    static const uint32_t nrs[] = {SYS_futex, SYS_rt_sigreturn, SYS_exit, SYS_arch_prctl,
                                   SYS_exit_group /* die() */};
    confine(nrs, sizeof nrs / sizeof nrs[0], 104);
}

/* clone(2) for a thread of the stub: the child runs FN(ARG) on STACK, then exits; the kernel
 * clears *CLEAR (if not NULL) when it ends. */
static long start_thread(void *stack, void (*fn)(unsigned), unsigned arg, uint32_t *clear)
{
    long r;
    unsigned long flags = 0x00000100 | 0x00000200 | 0x00000400 | 0x00000800 | 0x00010000 |
                          0x00040000; /* VM FS FILES SIGHAND THREAD SYSVSEM */
    if (clear)
        flags |= 0x00200000; /* CHILD_CLEARTID */
    register void *child_stack __asm__("rsi") = stack;
    register uint32_t *child_tid __asm__("r10") = clear;
    register unsigned long child_arg __asm__("r12") = arg;
    register void (*child_fn)(unsigned) __asm__("r13") = fn;
    __asm__ volatile("syscall\n"
                     "test %%rax, %%rax\n"
                     "jnz 1f\n"
                     "mov %%r12, %%rdi\n"
                     "call *%%r13\n"
                     "mov $60, %%eax\n"
                     "xor %%edi, %%edi\n"
                     "syscall\n"
                     "1:"
                     : "=a"(r)
                     : "a"(SYS_clone), "D"(flags), "S"(child_stack), "r"(child_arg), "r"(child_fn),
                       "r"(child_tid)
                     : "rcx", "r11", "rdx", "r8", "r9", "memory");
    return r;
}

/* A new payload thread, on context I: its alternate stack and filter, then its START stop. */
static void payload_thread(unsigned i)
{
    struct kstack ss = {altstacks[i], 0, ALT_SIZE};
    sc3(SYS_sigaltstack, &ss, 0, 0);
    ctx_of(i)->tid = (uint32_t)sc3(SYS_gettid, 0, 0, 0);
    __atomic_store_n(&ctx_of(i)->alive, ctx_of(i)->tid, __ATOMIC_RELEASE);
    fs_bases[i] = gs_bases[i] = 0; /* a new thread's (the control thread's), whoever had I */
    slow_answer[i] = 0;
    confine_payload_thread();
    vj_stub_enter(i);
}

/* The control thread's filter: from the stub's code, its own calls and those a new payload
 * thread makes before it adds the payload threads' filter (which it inherits, under that one);
 * anything else traps, and a trap in the control thread ends the stub (index_of). */
static void confine_control_thread(void)
{
    static const uint32_t nrs[] = {SYS_futex,     SYS_mprotect, SYS_clone,        SYS_exit,
                                   SYS_sigaltstack, SYS_seccomp, SYS_gettid, SYS_rt_sigreturn,
                                   SYS_arch_prctl, SYS_recvmsg, SYS_mmap, SYS_close,
                                   SYS_shmat, SYS_shmdt, SYS_shmctl, SYS_mremap, SYS_membarrier};
    confine(nrs, sizeof nrs / sizeof nrs[0], 106);
}

/* Is [gpa, gpa + len) where guest memory is (never the stub's own pages or the low window: the
 * monitor asks for nothing else, but the check costs nothing)? */
static int in_guest(uint64_t gpa, uint64_t len)
{
    return gpa >= 0x200000 && len <= VJ_STUB_VA && gpa <= VJ_STUB_VA - len;
}

/* Map descriptor FD at guest address GPA (shared, or private: ARG's VJ_STUB_MAP_PRIVATE). */
static long map_fd(uint64_t gpa, uint64_t len, uint64_t arg, int fd, uint64_t offset)
{
    uint64_t prot = arg & ~(uint64_t)VJ_STUB_MAP_PRIVATE;
    if (!in_guest(gpa, len) || (prot & ~7ULL))
        return -22;
    long flags = arg & VJ_STUB_MAP_PRIVATE ? 0x12 /* PRIVATE|FIXED */ : 0x11 /* SHARED|FIXED */;
    long r = sc6(SYS_mmap, (long)gpa, (long)len, (long)prot, flags, fd, (long)offset);
    return r == (long)gpa ? 0 : r < 0 ? r : -14;
}

/* The descriptor the monitor sent (one, in a control message), mapped, then closed. */
static long map_received(uint64_t gpa, uint64_t len, uint64_t prot, uint64_t offset)
{
    char byte;
    struct {
        uint64_t len;
        int level, type;
        int fd;
        int pad;
    } cm = {0};
    struct {
        void *base;
        uint64_t len;
    } iov = {&byte, 1};
    struct {
        void *name;
        uint32_t namelen;
        void *iov;
        uint64_t iovlen;
        void *control;
        uint64_t controllen;
        int flags;
    } msg = {0, 0, &iov, 1, &cm, sizeof cm, 0};
    long n = sc3(SYS_recvmsg, VJ_STUB_SOCK_FD, &msg, 0x40000000 /* MSG_CMSG_CLOEXEC */);
    if (n < 0)
        return n;
    if (cm.level != 1 /* SOL_SOCKET */ || cm.type != 1 /* SCM_RIGHTS */ || cm.len != 20)
        return -71; /* EPROTO */
    long r = map_fd(gpa, len, prot, cm.fd, offset);
    sc3(SYS_close, cm.fd, 0, 0);
    return r;
}

/* The kernel's struct shmid64_ds, as far as the stub reads it. */
struct shm_stat {
    uint8_t perm[48]; /* struct ipc64_perm */
    uint64_t segsz;
    uint8_t rest[56];
};

/* Bytes [offset, offset + len) of SysV shared memory segment ID (ARG's upper half) at GPA with
 * ARG's protection: the segment attached (SHM_RDONLY, SHM_EXEC as ARG says) where the kernel
 * chooses, which never covers another mapping, that part of the attachment moved into place,
 * the rest of it detached.  The payload can write the request: the range moved must lie in
 * the attachment (its size read while it is attached, when the id cannot name another
 * segment), so nothing but [gpa, gpa + len), inside guest memory, ever changes. */
static long map_shm(uint64_t gpa, uint64_t len, uint64_t arg, uint64_t offset)
{
    uint64_t flags = arg & 0xffffffffULL;
    if (!in_guest(gpa, len) || len == 0 || ((gpa | len | offset) & 0xfff) ||
        (flags & ~(7ULL | VJ_STUB_SHM_RDONLY | VJ_STUB_SHM_EXEC)))
        return -22;
    long id = (int32_t)(arg >> 32);
    long shmflg = (flags & VJ_STUB_SHM_RDONLY ? 010000 : 0) | (flags & VJ_STUB_SHM_EXEC ? 0100000 : 0);
    long at = sc3(SYS_shmat, id, 0, shmflg);
    if (at < 0)
        return at;
    struct shm_stat st;
    long r = sc3(SYS_shmctl, id, 2 /* IPC_STAT */, &st);
    if (r == 0) {
        uint64_t size = (st.segsz + 0xfff) & ~0xfffULL;
        if (st.segsz == 0 || size < st.segsz || offset > size || len > size - offset)
            r = -22;
    }
    if (r == 0)
        r = sc6(SYS_mremap, at + (long)offset, (long)len, (long)len, 3 /* MAYMOVE|FIXED */,
                (long)gpa, 0);
    sc3(SYS_shmdt, at, 0, 0); /* what is left there, if anything */
    if (r != (long)gpa)
        return r < 0 ? r : -14;
    return sc3(SYS_mprotect, gpa, len, flags & 7);
}

/* The control thread: carries out the monitor's requests (the header page), one at a time. */
static void control_main(unsigned unused) __attribute__((noreturn));
static void control_main(unsigned unused)
{
    (void)unused;
    confine_control_thread();
    struct vj_stub_req *q = (struct vj_stub_req *)(VJ_STUB_CTL_VA + VJ_STUB_REQ_OFF);
    uint32_t done = 0;
    for (;;) {
        uint32_t seq = __atomic_load_n(&q->seq, __ATOMIC_ACQUIRE);
        if (seq == done) {
            sc6(SYS_futex, (long)&q->seq, FUTEX_WAIT, (long)seq, 0, 0, 0);
            continue;
        }
        uint64_t gpa = q->gpa, len = q->len, arg = q->arg;
        long r = -22;
        if (q->op == VJ_STUB_REQ_PROTECT)
            r = sc3(SYS_mprotect, gpa, len, arg);
        else if (q->op == VJ_STUB_REQ_MAP_FD)
            r = map_received(gpa, len, arg, q->offset);
        else if (q->op == VJ_STUB_REQ_MAP_MEM)
            r = map_fd(gpa, len, arg, VJ_STUB_MEM_FD, gpa);
        else if (q->op == VJ_STUB_REQ_SHMAT)
            r = map_shm(gpa, len, arg, q->offset);
        else if (q->op == VJ_STUB_REQ_MEMBARRIER)
            r = sc3(SYS_membarrier, (long)(int32_t)gpa, (long)(uint32_t)len, (long)(int32_t)arg);
        else if (q->op == VJ_STUB_REQ_CLONE && arg < VJ_STUB_MAX_VCPUS && arg > 0)
            r = start_thread(altstacks[arg] + ALT_SIZE - 8192, payload_thread, (unsigned)arg,
                             &ctx_of((unsigned)arg)->alive);
        q->result = (int32_t)r;
        done = seq;
        __atomic_store_n(&q->done, seq, __ATOMIC_RELEASE);
        futex_wake(&q->done);
    }
}

/* The low window (vmjail_abi.h): guest memory's pages there, without access until the
 * monitor turns the fast path on (VJ_STUB_REQ_PROTECT); then the host's vDSO moved to its
 * place in the window, as the monitor found the host lays it out (EHDR: this process's). */
static void map_low(uint64_t ehdr)
{
    if (sc6(SYS_mmap, VJ_LOW_VA, VJ_LOW_FAST_CODE_SIZE + VJ_LOW_FAST_SLOTS_SIZE, 0, 0x11,
            VJ_STUB_MEM_FD, VJ_LOW_VA) != VJ_LOW_VA)
        die(107);
    struct vj_stub_head *h = head();
    uint32_t n = h->vdso_segs;
    if (ehdr == 0 || n == 0 || n > VJ_STUB_VDSO_SEGS)
        return;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t to = h->vdso[k].to, size = h->vdso[k].size;
        if (to < VJ_LOW_VA + VJ_LOW_VDSO || size > VJ_LOW_VDSO_SIZE ||
            to + size > VJ_LOW_VA + VJ_LOW_VDSO + VJ_LOW_VDSO_SIZE ||
            sc6(SYS_mremap, (long)(ehdr + (uint64_t)h->vdso[k].from), (long)size, (long)size,
                3 /* MAYMOVE|FIXED */, (long)to, 0) != (long)to)
            return;
    }
    h->vdso_moved = 1;
}

void vj_stub_main(uint64_t *sp);
void vj_stub_main(uint64_t *sp)
{
    /* Every signal blocked until a thread enters the payload (its first frame's mask is the
     * payload's, 0): a signal taken while a new thread waits for its START answer would run
     * the handler nested in that wait, and its stop would overwrite the START stop in the
     * thread's context.  The control thread inherits the mask, and so every thread it starts. */
    uint64_t all = ~0ULL;
    if (sc6(SYS_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&all, 0, 8, 0, 0) != 0)
        die(108);
    sc3(SYS_prctl, 4 /* PR_SET_DUMPABLE */, 0, 0);
    sc3(SYS_prctl, 15 /* PR_SET_NAME */, (long)VJ_STUB_NAME, 0);
    if (sc6(SYS_mmap, VJ_STUB_CTL_VA, VJ_STUB_CTL_SIZE, 3, 0x11 /* SHARED|FIXED */, VJ_STUB_CTL_FD,
            0) != (long)VJ_STUB_CTL_VA)
        die(101);
    struct vj_stub_head *h = head();
    uint64_t mem_size = *(volatile uint64_t *)&h->mem_size;
    if (mem_size <= 0x200000 || mem_size > (256ULL << 30) ||
        sc6(SYS_mmap, 0x200000, (long)(mem_size - 0x200000), 0, 0x11, VJ_STUB_MEM_FD, 0x200000) !=
            0x200000)
        die(102);
    /* The auxiliary vector, past argv and envp: the vDSO, and whether FSGSBASE is on. */
    uint64_t *p = sp + 1 + sp[0] + 1, ehdr = 0;
    while (*p)
        p++;
    for (p++; p[0] != 0; p += 2) {
        if (p[0] == 33 /* AT_SYSINFO_EHDR */)
            ehdr = p[1];
        else if (p[0] == 26 /* AT_HWCAP2 */)
            fsgsbase = (p[1] & 2 /* HWCAP2_FSGSBASE */) != 0;
    }
    map_low(ehdr);
    spin_budget = h->spins;
    ctx_of(0)->tid = (uint32_t)sc3(SYS_gettid, 0, 0, 0);
    __atomic_store_n(&ctx_of(0)->alive, ctx_of(0)->tid, __ATOMIC_RELEASE);
    sc3(SYS_set_tid_address, &ctx_of(0)->alive, 0, 0);
    struct kstack ss = {altstacks[0], 0, ALT_SIZE};
    sc3(SYS_sigaltstack, &ss, 0, 0);
    int sigs[] = {SIGSYS_, SIGSEGV_, SIGBUS_, SIGILL_, SIGFPE_, SIGTRAP_, VJ_STUB_SIG_INTERRUPT};
    for (unsigned k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
        handle(sigs[k]);
    sc3(SYS_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0);
    if (start_thread(control_stack + CONTROL_STACK, control_main, 0, 0) < 0)
        die(105);
    confine_payload_thread();
    /* On to the thread's alternate stack, below where its first frame goes. */
    __asm__ volatile("mov %0, %%rsp\n xor %%edi, %%edi\n call vj_stub_enter"
                     :
                     : "r"(altstacks[0] + ALT_SIZE - 8192)
                     : "memory");
    __builtin_unreachable();
}

__asm__(".text\n.globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call vj_stub_main\n hlt\n");
