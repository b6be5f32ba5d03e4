/* vmjail_abi.h: the guest/monitor ABI: guest memory layout, selectors, I/O ports, stub offsets.
 *
 * Self-contained and dual-use: included by the monitor (C) and by the guest-resident stubs
 * (assembler, with __ASSEMBLER__ defined).  Nothing here depends on the host kind.
 *
 * Guest virtual layout (identity-mapped: guest virtual == guest physical for payload memory):
 *
 *   [0, VJ_GUEST_MIN)                 never mapped: null pointers fault
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
#define VJ_MON_PT_END VJ_MONITOR_SIZE

/* Stub page layout. */
#define VJ_STUB_SYSCALL 0x000    /* LSTAR target: out %al,$VJ_PORT_SYSCALL; sysretq */
#define VJ_STUB_PROBE 0x080      /* host probe: syscall; ud2 (run at CPL3 once at start-up) */
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
