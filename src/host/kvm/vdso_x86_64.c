/* vdso_x86_64.c: the host kernel's vDSO shared with the payload.  Its [vvar] pages (the
 * host's clock data) and [vdso] pages (the code that reads them) become one read-only memory
 * slot, mapped in the low window as the host lays them out, and the payload's auxiliary
 * vector points at it (AT_SYSINFO_EHDR): clock_gettime, gettimeofday and time then read the host's own clock
 * with no exit, exactly as a host process does (the same data, the same code; the guest's TSC
 * is the host's).  Where the host does not allow it (no /proc, an unusual layout, no TSC
 * offset control), the payload gets no vDSO and its C library makes the system calls. */
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "arch/x86_64/cpu.h"
#include "host/host_vdso.h"
#include "host/kvm/kvm_x86_64.h"
#include "vmjail_abi.h"

bool vj_kvm_vdso_map(struct vj_vm *vm)
{
    const struct vj_host_vdso *host = vj_host_vdso();
    if (host == NULL || !vm->tsc_host || vm->max_slots < 4)
        return false;
    vm->vdso_hva = host->lo;
    vm->vdso_size = host->hi - host->lo;
    vm->vdso_gpa = vm->mon_gpa + VJ_MONITOR_SIZE;
    if (vj_kvm_vdso_slot(vm) < 0)
        return false;
    vj_cpu_map_low_pages(vm->mon, VJ_LOW_VDSO, vm->vdso_gpa, vm->vdso_size, host->ehdr - host->lo,
                         host->hi - host->ehdr);
    vj_cpu_map_low(vm->mon, vm->mon_gpa, vm->pml4);
    vm->vdso_ehdr = VJ_LOW_VA + VJ_LOW_VDSO + (host->ehdr - host->lo);
    return true;
}

int vj_kvm_vdso_slot(struct vj_vm *vm)
{
    if (vm->vdso_size == 0)
        return 0;
    struct kvm_userspace_memory_region r = {
        .slot = VJ_VDSO_SLOT(vm), .flags = KVM_MEM_READONLY, .guest_phys_addr = vm->vdso_gpa,
        .memory_size = vm->vdso_size, .userspace_addr = vm->vdso_hva};
    return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}
