/* mm.h: the payload's memory, emulated: mmap, munmap, mprotect, mremap, madvise and brk over
 * the VMA list and the host mapping that backs guest memory.
 *
 * Invariant: every guest range that is not mapped is backed on the host by inaccessible
 * (PROT_NONE), page-free anonymous memory inside the VM's reservation.  Mapping a range makes
 * it accessible; unmapping returns its pages to the host and makes it inaccessible again.  The
 * reservation never has a hole, so no monitor allocation can ever land inside guest memory. */
#ifndef VJ_MM_H
#define VJ_MM_H

#include <stdint.h>

#include "monitor/proc.h"

/* Set up the address-space map of P (its vm, mem and mem_size must be set). */
int vj_mm_init(struct vj_proc *p);
void vj_mm_fini(struct vj_proc *p);

/* Guest mmap: returns the address or a negative errno.  FD is a host descriptor already
 * checked to be the payload's (ignored with MAP_ANONYMOUS). */
int64_t vj_mm_mmap(struct vj_proc *p, uint64_t addr, uint64_t len, int prot, int flags, int fd,
                   uint64_t offset);
/* Map anonymous memory at exactly [addr, addr+len) as KIND (used by the loader). */
int vj_mm_map_fixed(struct vj_proc *p, uint64_t addr, uint64_t len, int prot,
                    enum vj_vma_kind kind);
int64_t vj_mm_munmap(struct vj_proc *p, uint64_t addr, uint64_t len);
int64_t vj_mm_mprotect(struct vj_proc *p, uint64_t addr, uint64_t len, int prot);
int64_t vj_mm_mremap(struct vj_proc *p, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                     int flags, uint64_t new_addr);
int64_t vj_mm_madvise(struct vj_proc *p, uint64_t addr, uint64_t len, int advice);
/* Guest brk: returns the new break, or the old one if it cannot move. */
int64_t vj_mm_brk(struct vj_proc *p, uint64_t addr);

/* Guest shmat of segment SEG (its shmid, key and size; .attach is set here), which the monitor
 * attached at host address AT (vm.h's vj_vm_mem_shm): at ADDR if FIXED (over what is there
 * with SHM_REMAP, else only where nothing is: -EINVAL), else where mmap would place it;
 * SHMFLG's SHM_RDONLY and SHM_EXEC give the protection.  Returns the guest address or a
 * negative errno (AT is then still attached, the caller's to detach). */
int64_t vj_mm_shmat(struct vj_proc *p, uint64_t addr, bool fixed, int shmflg,
                    const struct vj_vma_shm *seg, void *at);
/* Guest shmdt(ADDR): what Linux would detach there (vma.h's vj_vmas_shmdt) is unmapped. */
int64_t vj_mm_shmdt(struct vj_proc *p, uint64_t addr);
/* Unmap every SysV shared memory range (the process ended). */
void vj_mm_shm_detach_all(struct vj_proc *p);

#endif
