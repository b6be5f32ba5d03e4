/* cpu.h: builds the x86-64 guest's system structures (GDT, IDT, TSS, page tables,
 * stub page) in the monitor region.  Pure memory writes; no KVM calls. */
#ifndef VJ_CPU_X86_64_H
#define VJ_CPU_X86_64_H

#include <stdbool.h>
#include <stdint.h>

/* Fill the monitor region MON (VJ_MONITOR_SIZE bytes, zeroed, at guest physical MON_GPA) and
 * build page tables that map the monitor region at VJ_MONITOR_VA and have room for payload
 * memory [VJ_GUEST_MIN, mem_size) in 2 MiB user pages, none of them present yet.
 * SYSCALL_PORT_OPEN lets CPL3 code OUT to the syscall port (needed where syscall stays at
 * CPL3).  Returns the guest physical address of the PML4, or 0 if the tables do not fit. */
uint64_t vj_cpu_build(uint8_t *mon, uint64_t mon_gpa, uint64_t mem_size, bool syscall_port_open);

/* Make the 2 MiB pages of payload memory that overlap [lo, hi) present (identity-mapped, user,
 * writable) in the page tables vj_cpu_build made with root PML4.  Entries only ever go from not
 * present to present, which needs no TLB flush; safe while vCPUs run. */
void vj_cpu_map_payload(uint8_t *mon, uint64_t mon_gpa, uint64_t pml4, uint64_t lo, uint64_t hi);

/* Map the low window (VJ_LOW_VA) in the page tables vj_cpu_build made with root PML4; it
 * stays unmapped until then.  Goes from not present to present only: safe while vCPUs run. */
void vj_cpu_map_low(uint8_t *mon, uint64_t mon_gpa, uint64_t pml4);
/* Point the low window's pages [OFF, OFF + LEN) at guest physical GPA on, user read-only, not
 * executable but for [EXEC_OFF, EXEC_OFF + EXEC_LEN) of them. */
void vj_cpu_map_low_pages(uint8_t *mon, uint64_t off, uint64_t gpa, uint64_t len,
                          uint64_t exec_off, uint64_t exec_len);

/* Allow or deny CPL3 OUTs to the syscall port in the TSS I/O bitmap. */
void vj_cpu_set_syscall_port(uint8_t *mon, bool open);

/* One TSS per vCPU where syscall enters CPL0 (VJ_HOST_SYSRET hosts; vCPU 0 keeps the main TSS
 * at VJ_MON_TSS), so that vCPUs faulting at the same time each have their own exception stack
 * (one shared IST1 stack let one vCPU's frame overwrite another's).  Each is 0x68 bytes with
 * no I/O bitmap (every port denied at CPL3; the stubs run at CPL0) and its IST1 stack inside
 * it: the CPU's frame (at most 6 words) lands in the unused IST2..IST7 fields.  They take the
 * top of the page-table area, which even 256 GiB of payload memory leaves free. */
#define VJ_VCPU_TSS_STRIDE 0x70
#define VJ_VCPU_TSS_COUNT 1024
#define VJ_VCPU_TSS_LIMIT 0x67
#define VJ_VCPU_TSS_STACK_LO 0x30 /* the lowest the CPU's frame reaches */
#define VJ_VCPU_TSS_STACK_HI 0x60 /* IST1: 16-byte aligned, below IST7's upper half */
#define VJ_MON_VCPU_TSS (VJ_MON_PT_END - VJ_VCPU_TSS_STRIDE * VJ_VCPU_TSS_COUNT)
#define VJ_GVA_VCPU_TSS(id) (VJ_MONITOR_VA + VJ_MON_VCPU_TSS + (uint64_t)(id)*VJ_VCPU_TSS_STRIDE)

/* Guest virtual addresses of the pieces. */
#define VJ_GVA_STUB(off) (VJ_MONITOR_VA + VJ_MON_STUBS + (off))
#define VJ_GVA_EXC_STUB(vec) VJ_GVA_STUB(VJ_STUB_EXC + (uint64_t)(vec)*VJ_STUB_EXC_STRIDE)

#endif
