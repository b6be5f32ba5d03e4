/* cpu_x86_64.h: builds the x86-64 guest's system structures (GDT, IDT, TSS, page tables,
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

/* Guest virtual addresses of the pieces. */
#define VJ_GVA_STUB(off) (VJ_MONITOR_VA + VJ_MON_STUBS + (off))
#define VJ_GVA_EXC_STUB(vec) VJ_GVA_STUB(VJ_STUB_EXC + (uint64_t)(vec)*VJ_STUB_EXC_STRIDE)

#endif
