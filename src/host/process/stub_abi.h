/* stub_abi.h: what the process platform's stub and the monitor share: where the stub maps
 * guest memory and its control region, and the layout of that region (one context per vCPU,
 * the requests the stub's control thread carries out).  Self-contained: included by the stub
 * (freestanding) and by the monitor.  The payload can write every byte of the control region
 * (it runs in the stub's address space): the monitor reads each field once and trusts none. */
#ifndef VJ_STUB_ABI_H
#define VJ_STUB_ABI_H

#include <stdint.h>

#define VJ_STUB_VA 0x7ff000000000ULL      /* the stub's code and data (linked there) */
#define VJ_STUB_CTL_VA 0x7ff010000000ULL  /* the control region (memfd, descriptor 4), above the
                                           * stub's data */
/* The stub's name (its argv[0] and comm): host/vm.h's VJ_VM_HELPER_NAME. */
#define VJ_STUB_NAME "vmjail-stub"
#define VJ_STUB_MEM_FD 3                  /* guest memory: a memfd, offset = guest address */
#define VJ_STUB_CTL_FD 4
#define VJ_STUB_SOCK_FD 5                 /* a socket: the descriptors of shared mappings come in */
#define VJ_STUB_MAX_VCPUS 1024

/* The control region: the header page (struct vj_stub_head, then the control thread's request
 * at VJ_STUB_REQ_OFF), then one context (two pages) per vCPU. */
#define VJ_STUB_REQ_OFF 0x200
#define VJ_STUB_CTX_OFF 0x1000
#define VJ_STUB_CTX_SIZE 0x2000
#define VJ_STUB_CTX_FPU 0x1000 /* a context's XSAVE area: its second page */
#define VJ_STUB_CTL_SIZE (VJ_STUB_CTX_OFF + VJ_STUB_MAX_VCPUS * VJ_STUB_CTX_SIZE)

/* A context's state word (a futex): who holds the context. */
#define VJ_STUB_RUNNING 0 /* the stub thread runs the payload */
#define VJ_STUB_STOPPED 1 /* it stopped (kind says why): the monitor's */
#define VJ_STUB_RESUME 2  /* the monitor answered: the stub's again */
#define VJ_STUB_GONE 3    /* the thread ended (asked to by quit) */

/* Why a stub thread stopped. */
#define VJ_STUB_KIND_START 1     /* a new thread waits for its first registers */
#define VJ_STUB_KIND_SYSCALL 2   /* the payload made a system call (trapped) */
#define VJ_STUB_KIND_FAULT 3     /* a fault: signo, code, addr, trapno, err */
#define VJ_STUB_KIND_INTERRUPT 4 /* the monitor's interrupt signal */

#define VJ_STUB_SIG_INTERRUPT 12 /* SIGUSR2: the monitor stops a stub thread with it */

/* The payload's registers, in vm.h's struct vj_user_regs order, then the FS and GS bases. */
struct vj_stub_regs {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
    uint64_t fs_base, gs_base;
};

struct vj_stub_ctx {
    uint32_t state;    /* VJ_STUB_RUNNING, _STOPPED, _RESUME */
    uint32_t kind;     /* VJ_STUB_KIND_START, ... */
    int32_t signo, code; /* a fault's */
    uint64_t addr, trapno, err;
    struct vj_stub_regs regs;
    uint32_t fpu_size; /* bytes of XSAVE state at VJ_STUB_CTX_FPU (the frame's) */
    uint32_t fpu_load; /* set by the monitor: load the XSAVE area on resume */
    uint32_t tid;      /* the stub thread's host thread id */
    uint32_t quit;     /* set by the monitor with RESUME: the thread ends instead */
    /* Each side, before it sleeps on state (a futex), says so here: the other wakes it only
     * then (a wake is a system call, and costly across CPUs). */
    uint32_t stub_sleeps, mon_sleeps;
    /* The thread's id while it lives: the kernel clears it when the thread ends (its clear-tid
     * address), however it ends; the monitor looks at it while it waits. */
    uint32_t alive;
};

/* The header: what the monitor tells the stub before it starts. */
#define VJ_STUB_VDSO_SEGS 4
struct vj_stub_head {
    uint64_t mem_size; /* guest memory's size */
    uint32_t spins;    /* how long a stub thread spins for the monitor's answer (pauses) */
    uint32_t vdso_segs; /* the host's [vvar*] and [vdso] mappings, to move into the low window: */
    struct {
        int64_t from; /* the mapping's start, from the [vdso] ELF header's address */
        uint64_t size;
        uint64_t to;  /* its guest address */
    } vdso[VJ_STUB_VDSO_SEGS];
    uint32_t vdso_moved; /* set by the stub: every mapping moved */
    int32_t stub_pid;    /* set by the process that starts the stub (not its parent) */
};

/* The control thread's requests (the header page): mappings of guest memory in the stub. */
#define VJ_STUB_REQ_PROTECT 1 /* mprotect(gpa, len, prot) */
#define VJ_STUB_REQ_CLONE 2   /* a new stub thread for context arg, stopped at its START */
#define VJ_STUB_REQ_MAP_FD 3  /* map the descriptor sent on VJ_STUB_SOCK_FD at gpa (len, file
                               * offset; arg: prot, and VJ_STUB_MAP_PRIVATE or shared) */
#define VJ_STUB_MAP_PRIVATE 0x100
#define VJ_STUB_REQ_MAP_MEM 4 /* map guest memory's own pages at gpa again (len, prot arg) */
#define VJ_STUB_REQ_SHMAT 5   /* map bytes [offset, offset + len) of a SysV shared memory
                               * segment at gpa (arg: prot, VJ_STUB_SHM_* flags, and the
                               * segment's id in the upper 32 bits) */
#define VJ_STUB_SHM_RDONLY 0x200 /* attached with SHM_RDONLY */
#define VJ_STUB_SHM_EXEC 0x400   /* attached with SHM_EXEC */
#define VJ_STUB_REQ_MEMBARRIER 6 /* membarrier(gpa: the command, len: its flags, arg: cpu) for
                                  * the stub's process, whose threads are the payload's */
struct vj_stub_req {
    uint32_t seq;  /* a futex: the monitor bumps it to post a request */
    uint32_t done; /* a futex: the control thread sets it to seq when done */
    uint32_t op;
    int32_t result; /* 0 or a negative errno */
    uint64_t gpa, len, arg, offset;
};

#endif
