/* vdso_x86_64.c: the host kernel's vDSO shared with the payload.  Its [vvar] pages (the
 * host's clock data) and [vdso] pages (the code that reads them) become one read-only memory
 * slot, mapped in the low window as the host lays them out, and the payload's auxiliary
 * vector points at it (AT_SYSINFO_EHDR): clock_gettime, gettimeofday and time then read the host's own clock
 * with no exit, exactly as a host process does (the same data, the same code; the guest's TSC
 * is the host's).  Where the host does not allow it (no /proc, an unusual layout, no TSC
 * offset control), the payload gets no vDSO and its C library makes the system calls. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86_64/cpu.h"
#include "host/kvm/kvm_x86_64.h"
#include "vmjail_abi.h"

/* The host's special mappings, [lo, hi), the vDSO's ELF header at ehdr; all zero if none. */
static struct {
    uint64_t lo, hi, ehdr;
} host;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

/* Read this process's [vvar*] and [vdso] mappings from /proc/self/maps: they must follow one
 * another (as Linux lays them out) and fit the low window. */
static void find_host_vdso(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return;
    char line[512];
    uint64_t lo = 0, end = 0, ehdr = 0;
    bool broken = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long long a, b;
        char name[64] = "";
        if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %63s", &a, &b, name) < 2)
            continue;
        bool vvar = strncmp(name, "[vvar", 5) == 0, vdso = strcmp(name, "[vdso]") == 0;
        if (!vvar && !vdso)
            continue;
        if (lo == 0)
            lo = a;
        else if (a != end)
            broken = true;
        end = b;
        if (vdso)
            ehdr = a;
    }
    fclose(f);
    if (broken || ehdr == 0 || end <= lo || end - lo > VJ_LOW_VDSO_SIZE ||
        (lo | end) % VJ_PAGE_SIZE)
        return;
    host.lo = lo;
    host.hi = end;
    host.ehdr = ehdr;
}

bool vj_kvm_vdso_map(struct vj_vm *vm)
{
    pthread_once(&host_once, find_host_vdso);
    if (host.ehdr == 0 || !vm->tsc_host || vm->max_slots < 4)
        return false;
    vm->vdso_hva = host.lo;
    vm->vdso_size = host.hi - host.lo;
    vm->vdso_gpa = vm->mon_gpa + VJ_MONITOR_SIZE;
    if (vj_kvm_vdso_slot(vm) < 0)
        return false;
    vj_cpu_map_low_pages(vm->mon, VJ_LOW_VDSO, vm->vdso_gpa, vm->vdso_size, host.ehdr - host.lo,
                         host.hi - host.ehdr);
    vj_cpu_map_low(vm->mon, vm->mon_gpa, vm->pml4);
    vm->vdso_ehdr = VJ_LOW_VA + VJ_LOW_VDSO + (host.ehdr - host.lo);
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
