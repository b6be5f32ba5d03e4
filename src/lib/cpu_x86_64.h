/* cpu_x86_64.h: builds the x86-64 guest's system structures (GDT, IDT, TSS, page tables,
 * stub page) in the monitor region.  Pure memory writes; no KVM calls. */
#ifndef VJ_CPU_X86_64_H
#define VJ_CPU_X86_64_H

#include <stdbool.h>
#include <stdint.h>

/* Fill the monitor region MON (VJ_MONITOR_SIZE bytes, zeroed, at guest physical MON_GPA) and
 * build page tables that map payload memory [VJ_GUEST_MIN, mem_size) with 2 MiB user pages and
 * the monitor region at VJ_MONITOR_VA.  SYSCALL_PORT_OPEN lets CPL3 code OUT to the syscall
 * port (needed where syscall stays at CPL3).  Returns the guest physical address of the PML4,
 * or 0 if the tables do not fit. */
uint64_t vj_cpu_build(uint8_t *mon, uint64_t mon_gpa, uint64_t mem_size, bool syscall_port_open);

/* Make the 2 MiB page of payload memory containing VA present in the guest page tables whose
 * root is PML4 (a change from not present to present needs no TLB flush).  Returns true if it
 * was not present before.  Safe to call from several threads. */
bool vj_cpu_commit_2m(uint8_t *mon, uint64_t mon_gpa, uint64_t pml4, uint64_t va);
/* Is the 2 MiB page containing VA present? */
bool vj_cpu_2m_present(uint8_t *mon, uint64_t mon_gpa, uint64_t pml4, uint64_t va);

/* Allow or deny CPL3 OUTs to the syscall port in the TSS I/O bitmap. */
void vj_cpu_set_syscall_port(uint8_t *mon, bool open);

/* Guest virtual addresses of the pieces. */
#define VJ_GVA_STUB(off) (VJ_MONITOR_VA + VJ_MON_STUBS + (off))
#define VJ_GVA_EXC_STUB(vec) VJ_GVA_STUB(VJ_STUB_EXC + (uint64_t)(vec)*VJ_STUB_EXC_STRIDE)

#endif
