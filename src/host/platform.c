/* platform.c: every vm.h call, routed to the platform this monitor process runs its payload
 * on.  A monitor process serves one payload process on one platform (a payload's fork is the
 * monitor's, on the same platform), so the choice is the host process's. */
#include "host/platform.h"

#include <errno.h>
#include <stddef.h>

#include "lib/error.h"

/* Every platform built in; the first is the default. */
static const struct vj_platform *const platforms[] = {&vj_platform_kvm, &vj_platform_process};

static const struct vj_platform *platform = &vj_platform_kvm;

void vj_platform_use(const struct vj_platform *pl)
{
    platform = pl;
}

int vj_vm_use_platform(int which, vmjail_error **err)
{
    if (which == VMJAIL_PLATFORM_AUTO) {
        int fd = vmjail_open_kvm(NULL); /* kept open: the KVM platform uses it */
        which = fd >= 0 ? VMJAIL_PLATFORM_KVM : VMJAIL_PLATFORM_PROCESS;
    }
    if (which == VMJAIL_PLATFORM_KVM)
        platform = &vj_platform_kvm;
    else if (which == VMJAIL_PLATFORM_PROCESS)
        platform = &vj_platform_process;
    else
        return vj_error(err, VMJAIL_ERR_USAGE, EINVAL, "unknown platform %d", which);
    return 0;
}

int vj_vm_platform_in_use(void)
{
    return platform == &vj_platform_process ? VMJAIL_PLATFORM_PROCESS : VMJAIL_PLATFORM_KVM;
}

int vj_vm_platform_usable(int which, vmjail_error **err)
{
    if (which == VMJAIL_PLATFORM_KVM)
        return vj_platform_kvm.usable(err);
    if (which == VMJAIL_PLATFORM_PROCESS)
        return vj_platform_process.usable(err);
    return vj_error(err, VMJAIL_ERR_USAGE, EINVAL, "unknown platform %d", which);
}

int vj_vm_create(uint64_t mem_size, const char *cache_dir, struct vj_vm **out, vmjail_error **err)
{
    return platform->vm_create(mem_size, cache_dir, out, err);
}

int vj_vm_fork_prepare(struct vj_vm *vm, vmjail_error **err)
{
    return platform->vm_fork_prepare(vm, err);
}

void vj_vm_fork_parent(struct vj_vm *vm)
{
    platform->vm_fork_parent(vm);
}

int vj_vm_rebuild_in_child(struct vj_vm *vm, const struct vj_vcpu_snapshot *s, vmjail_error **err)
{
    return platform->vm_rebuild_in_child(vm, s, err);
}

int vj_vm_mem_discard(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    return platform->vm_mem_discard(vm, gpa, len);
}

int vj_vm_mem_anon(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared)
{
    return platform->vm_mem_anon(vm, gpa, len, prot, shared);
}

int vj_vm_mem_file(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared, int fd,
                   uint64_t offset)
{
    return platform->vm_mem_file(vm, gpa, len, prot, shared, fd, offset);
}

int vj_vm_mem_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    return platform->vm_mem_protect(vm, gpa, len, prot);
}

int vj_vm_mem_move(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len)
{
    return platform->vm_mem_move(vm, from, to, len);
}

int vj_vm_mem_advise(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice)
{
    return platform->vm_mem_advise(vm, gpa, len, advice);
}

int vj_vm_mem_prepare_write(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    return platform->vm_mem_prepare_write(vm, gpa, len, prot);
}

int vj_vm_mem_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid, int shmflg,
                  void *at, bool *discarded)
{
    return platform->vm_mem_shm(vm, gpa, len, prot, shmid, shmflg, at, discarded);
}

int vj_vm_shm_views(const struct vj_vm *vm)
{
    return platform->vm_shm_views(vm);
}

int vj_vm_membarrier(struct vj_vm *vm, int cmd, unsigned flags, int cpu_id)
{
    return platform->vm_membarrier(vm, cmd, flags, cpu_id);
}

void vj_vm_destroy(struct vj_vm *vm)
{
    platform->vm_destroy(vm);
}

void vj_vm_forget(struct vj_vm *vm)
{
    platform->vm_forget(vm);
}

uint8_t *vj_vm_mem(const struct vj_vm *vm)
{
    return platform->vm_mem(vm);
}

uint64_t vj_vm_mem_size(const struct vj_vm *vm)
{
    return platform->vm_mem_size(vm);
}

enum vj_host_kind vj_vm_host_kind(const struct vj_vm *vm)
{
    return platform->vm_host_kind(vm);
}

uint64_t vj_vm_vdso(const struct vj_vm *vm)
{
    return platform->vm_vdso(vm);
}

bool vj_vm_vdso_range(const struct vj_vm *vm, uint64_t *data, uint64_t *end)
{
    return platform->vm_vdso_range(vm, data, end);
}

bool vj_vm_owns_fd(const struct vj_vm *vm, int fd)
{
    return platform->vm_owns_fd(vm, fd);
}

int vj_vm_own_fd(struct vj_vm *vm, int fd)
{
    return platform->vm_own_fd(vm, fd);
}

void vj_vm_disown_fd(struct vj_vm *vm, int fd)
{
    platform->vm_disown_fd(vm, fd);
}

bool vj_vm_foreign_fd_target(const char *target)
{
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
        if (platforms[i]->vm_foreign_fd_target(target))
            return true;
    return false;
}

int vj_vm_fds(const struct vj_vm *vm, int *fds, int max)
{
    return platform->vm_fds(vm, fds, max);
}

bool vj_vm_fast_capable(const struct vj_vm *vm)
{
    return platform->vm_fast_capable(vm);
}

bool vj_vm_slot_in_gs(const struct vj_vm *vm)
{
    return platform->vm_slot_in_gs(vm);
}

uint8_t *vj_vm_low(struct vj_vm *vm)
{
    return platform->vm_low(vm);
}

void vj_vm_map_low(struct vj_vm *vm)
{
    platform->vm_map_low(vm);
}

struct vj_vcpu *vj_vm_first_vcpu(struct vj_vm *vm)
{
    return platform->vm_first_vcpu(vm);
}

int vj_vcpu_get(struct vj_vm *vm, struct vj_vcpu **out, vmjail_error **err)
{
    return platform->vcpu_get(vm, out, err);
}

int vj_vcpu_id(const struct vj_vcpu *c)
{
    return platform->vcpu_id(c);
}

int vj_vcpu_open_task_file(struct vj_vcpu *c, const char *name)
{
    return platform->vcpu_open_task_file(c, name);
}

bool vj_vm_fast_by_default(const struct vj_vm *vm)
{
    return platform->vm_fast_by_default(vm);
}

pid_t vj_vm_payload_process(const struct vj_vm *vm)
{
    return platform->vm_payload_process(vm);
}

void vj_vcpu_put(struct vj_vcpu *c)
{
    platform->vcpu_put(c);
}

int vj_vcpu_start(struct vj_vcpu *c, uint64_t entry, uint64_t sp, vmjail_error **err)
{
    return platform->vcpu_start(c, entry, sp, err);
}

int vj_vcpu_start_clone(struct vj_vcpu *child, struct vj_vcpu *parent, uint64_t sp, bool set_tls,
                        uint64_t tls, vmjail_error **err)
{
    return platform->vcpu_start_clone(child, parent, sp, set_tls, tls, err);
}

int vj_vcpu_run(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err)
{
    return platform->vcpu_run(c, stop, err);
}

void vj_vcpu_syscall_return(struct vj_vcpu *c, int64_t ret)
{
    platform->vcpu_syscall_return(c, ret);
}

void vj_vcpu_interrupt(struct vj_vcpu *c)
{
    platform->vcpu_interrupt(c);
}

bool vj_vcpu_get_user_regs(struct vj_vcpu *c, struct vj_user_regs *r)
{
    return platform->vcpu_get_user_regs(c, r);
}

int vj_vcpu_set_user_regs(struct vj_vcpu *c, const struct vj_user_regs *r, vmjail_error **err)
{
    return platform->vcpu_set_user_regs(c, r, err);
}

void vj_vcpu_syscall_restart(struct vj_vcpu *c, uint64_t nr)
{
    platform->vcpu_syscall_restart(c, nr);
}

uint64_t vj_vm_fpu_features(const struct vj_vm *vm)
{
    return platform->vm_fpu_features(vm);
}

uint32_t vj_vm_fpu_size(const struct vj_vm *vm)
{
    return platform->vm_fpu_size(vm);
}

bool vj_vm_fpu_component(const struct vj_vm *vm, int i, uint32_t *offset, uint32_t *size)
{
    return platform->vm_fpu_component(vm, i, offset, size);
}

int vj_vcpu_get_fpu(struct vj_vcpu *c, struct vj_fpu *f, vmjail_error **err)
{
    return platform->vcpu_get_fpu(c, f, err);
}

int vj_vcpu_set_fpu(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err)
{
    return platform->vcpu_set_fpu(c, f, err);
}

int vj_vcpu_snapshot(struct vj_vcpu *c, struct vj_vcpu_snapshot *s, vmjail_error **err)
{
    return platform->vcpu_snapshot(c, s, err);
}

int vj_vcpu_set_tls_base(struct vj_vcpu *c, bool gs, uint64_t base, vmjail_error **err)
{
    return platform->vcpu_set_tls_base(c, gs, base, err);
}

uint64_t vj_vcpu_gs_for_payload(const struct vj_vcpu *c, uint64_t real)
{
    return platform->vcpu_gs_for_payload(c, real);
}

int vj_vcpu_set_payload_gs(struct vj_vcpu *c, uint64_t base, bool exec, vmjail_error **err)
{
    return platform->vcpu_set_payload_gs(c, base, exec, err);
}

int vj_vcpu_get_tls_base(struct vj_vcpu *c, bool gs, uint64_t *base, vmjail_error **err)
{
    return platform->vcpu_get_tls_base(c, gs, base, err);
}
