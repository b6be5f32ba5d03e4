/* vmjail_abi.h: the guest/monitor ABI: guest memory layout, selectors, I/O ports, stub offsets.
 *
 * Self-contained and dual-use: included by the monitor (C) and by the guest-resident stubs
 * (assembler, with __ASSEMBLER__ defined).  Nothing here depends on the host kind.
 *
 * Guest virtual layout (identity-mapped: guest virtual == guest physical for payload memory):
 *
 *   [0, VJ_GUEST_MIN)                 never mapped: null pointers fault
 *   [VJ_GUEST_MIN, mem_size)          payload memory, 2 MiB pages, user read/write
 *   [VJ_LOW_VA, +VJ_LOW_SIZE)         the low window: monitor-owned pages payload code reaches
 *                                     with 32-bit displacements (the fast syscall path), backed
 *                                     by the top of the monitor region
 *   [VJ_GUEST_MIN, mem_size)          payload memory, 2 MiB pages, user read/write
 *   [VJ_MONITOR_VA, +VJ_MONITOR_SIZE) monitor-owned pages (stubs, GDT, IDT, TSS, stacks),
 *                                     backed by a second memory slot at guest physical mem_size
 *
 * Page tables live in the monitor slot but are not mapped at any virtual address.
 */
#ifndef VMJAIL_ABI_H
#define VMJAIL_ABI_H

#define VJ_ABI_VERSION 1

#define VJ_PAGE_SIZE 0x1000
#define VJ_HUGE_PAGE_SIZE 0x200000

/* Payload memory. */
#define VJ_GUEST_MIN 0x200000
#define VJ_GUEST_MAX_MEMORY (256ULL << 30) /* largest --memory accepted */

/* Monitor region: virtual address and layout (offsets from VJ_MONITOR_VA / its slot). */
#define VJ_MONITOR_VA 0x7ff000000000ULL
#define VJ_MONITOR_SIZE 0x200000

#define VJ_MON_STUBS 0x0000   /* one page, user readable+executable, never writable  */
#define VJ_MON_GDT 0x1000     /* supervisor only */
#define VJ_MON_IDT 0x2000     /* supervisor only */
#define VJ_MON_TSS 0x3000     /* supervisor only; 0x68 bytes then the I/O bitmap */
#define VJ_MON_TSS_IOMAP 0x68 /* offset of the I/O permission bitmap within the TSS */
#define VJ_MON_TSS_LIMIT (0x68 + 8192) /* covers every port plus the terminating byte */
#define VJ_MON_STACK_LO 0x8000 /* supervisor-only exception stack (IST1 and RSP0) */
#define VJ_MON_STACK_HI 0x10000
#define VJ_MON_PT 0x10000 /* page tables: PML4, PDPTs, PDs, the monitor PT (not mapped) */
#define VJ_MON_PT_END 0x180000
#define VJ_MON_LOW 0x180000 /* backs the low window */

/* The low window (offsets from VJ_LOW_VA / VJ_MON_LOW).  Inside the payload's first 2 MiB,
 * which Linux programs never map (they start at 0x400000 or higher), so that code anywhere in
 * the first 2 GiB reaches it with a rel32 jump. */
#define VJ_LOW_VA 0x100000
#define VJ_LOW_SIZE 0x80000
#define VJ_LOW_FAST_CODE 0x00000  /* user read+execute: the fast-call code, then trampolines */
#define VJ_LOW_FAST_BITMAP 0x00000 /* its first 64 bytes: one bit per call number it posts */
#define VJ_LOW_FAST_ENTRY 0x00040  /* where a trampoline jumps */
#define VJ_FAST_MAX_NR 512         /* numbers at or above this are never posted */
#define VJ_LOW_FAST_CODE_SIZE 0x40000
#define VJ_LOW_FAST_SLOTS 0x40000 /* user read+write: one fast-call slot per vCPU */
#define VJ_LOW_FAST_SLOTS_SIZE 0x20000
#define VJ_LOW_VDSO 0x60000       /* the host kernel's [vvar] and [vdso] pages, as the host lays */
#define VJ_LOW_VDSO_SIZE 0x20000  /* them out (read-only; the vDSO's code executable): vdso.c */

/* A fast-call slot: where a payload thread's patched syscall hands its call to the monitor's
 * poller thread and waits for the answer (fastcall_x86_64.S, fastcall.c).  The payload can
 * write every byte of it: the monitor reads each field once and trusts none. */
#define VJ_FAST_SLOT_SHIFT 7      /* 128 bytes per vCPU, indexed by TSC_AUX (rdpid) */
#define VJ_FS_STATE 0             /* 32-bit state word, VJ_FAST_* bits */
#define VJ_FS_NR 8
#define VJ_FS_ARGS 16             /* six 64-bit arguments */
#define VJ_FS_RET 64              /* second cache line: the answer ... */
#define VJ_FS_SPIN 72             /* ... the payload's spin budget (32-bit) ... */
#define VJ_FS_RCX 80              /* ... and its return address while it posts */
#define VJ_FAST_AWAKE 1  /* a poller watches this slot */
#define VJ_FAST_REQ 2    /* a call is posted */
#define VJ_FAST_DONE 4   /* the call is served, the answer is in VJ_FS_RET */
#define VJ_FAST_WAITER 8 /* the vCPU's own thread waits in the monitor for DONE */
#define VJ_FAST_EXIT 16  /* with DONE: take the answer through an exit (signals are pending) */
#define VJ_FAST_WAKE 32  /* the monitor asks a sleeping poller to watch the slot again */
#define VJ_FAST_SPIN 2000 /* pause rounds (about 50 us) the payload spins before it waits in
                           * the monitor */

/* The syscall number the fast-call code makes a real syscall with to wait in the monitor for
 * the answer to its posted call (the call's own arguments are still in its registers).  Not
 * a Linux syscall; -ENOSYS unless a fast call of this thread is in flight. */
#define VJ_NR_FAST_WAIT 0x3f0

/* The vmjail call a payload makes to mark its snapshot point (vmjail run --snapshot-at call;
 * docs/cli.md): syscall(VJ_NR_SNAPSHOT).  Not a Linux syscall.  It returns 0 in a run that is
 * not a restore (after the snapshot, with --snapshot-continue) and VJ_SNAPSHOT_RESTORED in a
 * payload started from a snapshot (vmjail run --from): the program's cue to reseed what it
 * keeps of randomness (AT_RANDOM's bytes, a PRNG state), which every restore shares
 * (docs/security.md).  Outside vmjail the host answers -ENOSYS. */
#define VJ_NR_SNAPSHOT 0x3f1
#define VJ_SNAPSHOT_RESTORED 1

/* Stub page layout. */
#define VJ_STUB_SYSCALL 0x000    /* LSTAR target: out %al,$VJ_PORT_SYSCALL; sysretq */
#define VJ_STUB_PROBE 0x080      /* host probe: rdpid %rax; syscall; ud2 (CPL3, at start-up) */
#define VJ_STUB_PROBE_PLAIN 0x090 /* the same without rdpid, where rdpid faults */
#define VJ_STUB_PROBE_GS 0x0a0   /* rdgsbase %rdx; rdpid %rax; syscall; ud2 (tried first) */
#define VJ_STUB_PROBE_GS_PLAIN 0x0b0 /* rdgsbase %rdx; syscall; ud2 (where rdpid faults) */
#define VJ_PROBE_TSC_AUX 0x5a5a   /* TSC_AUX and GS base during the probe: read back? */
#define VJ_STUB_EXC 0x100        /* exception stubs: 16 bytes per vector, 32 vectors */
#define VJ_STUB_EXC_STRIDE 16
#define VJ_EXC_VECTORS 32

/* I/O ports.  A syscall exit is an OUT to VJ_PORT_SYSCALL from the syscall stub only; an
 * exception exit is an OUT to VJ_PORT_EXC_BASE+vector from that vector's stub only. */
#define VJ_PORT_SYSCALL 0xf0
#define VJ_PORT_EXC_BASE 0xc0

/* GDT selectors (Linux's layout; PVM hosts assume 0x33/0x2b for user mode). */
#define VJ_SEL_KERNEL_CS 0x10
#define VJ_SEL_KERNEL_DS 0x18
#define VJ_SEL_USER_CS32 0x23
#define VJ_SEL_USER_DS 0x2b
#define VJ_SEL_USER_CS 0x33
#define VJ_SEL_TSS 0x40
#define VJ_GDT_ENTRIES 10

/* RFLAGS bits cleared on syscall entry (IF, TF, DF, AC, NT, IOPL).  The payload always runs
 * with IF=1 and cannot clear it (IOPL 0), so IF=0 at the syscall stub proves that the stub was
 * entered by the syscall instruction and not by a jump. */
#define VJ_SYSCALL_FMASK 0x47700ULL
#define VJ_RFLAGS_IF 0x200ULL
#define VJ_RFLAGS_FIXED 0x2ULL
/* RFLAGS bits a payload may change at CPL3 (CF PF AF ZF SF TF DF OF NT RF AC ID). */
#define VJ_RFLAGS_USER 0x254dd5ULL

#endif /* VMJAIL_ABI_H */
