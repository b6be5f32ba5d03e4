/* platform.h: what a platform (a way to run the payload: KVM, ...) provides behind vm.h: one
 * table of the operations vm.h declares.  Each platform defines struct vj_vm and struct
 * vj_vcpu in its own folder (src/host/<platform>/); platform.c routes every vm.h call to the
 * platform this monitor process uses.  Only src/host includes this. */
#ifndef VJ_PLATFORM_H
#define VJ_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "host/vm.h"

struct vj_platform {
    const char *name;
    /* Can this host run payloads on the platform?  0, or -1 and the reason in *ERR. */
    int (*usable)(vmjail_error **err);
    int (*vm_create)(uint64_t mem_size, const char *cache_dir, struct vj_vm **out,
                     vmjail_error **err);
    int (*vm_fork_prepare)(struct vj_vm *vm, vmjail_error **err);
    void (*vm_fork_parent)(struct vj_vm *vm);
    int (*vm_rebuild_in_child)(struct vj_vm *vm, const struct vj_vcpu_snapshot *s,
                               vmjail_error **err);
    int (*vm_mem_discard)(struct vj_vm *vm, uint64_t gpa, uint64_t len);
    int (*vm_mem_anon)(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared);
    int (*vm_mem_file)(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared, int fd,
                       uint64_t offset);
    int (*vm_mem_protect)(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);
    int (*vm_mem_move)(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len);
    int (*vm_mem_advise)(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice);
    int (*vm_mem_prepare_write)(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);
    int (*vm_mem_shm)(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid,
                      int shmflg, void *at, bool *discarded);
    int (*vm_shm_views)(const struct vj_vm *vm);
    int (*vm_membarrier)(struct vj_vm *vm, int cmd, unsigned flags, int cpu_id);
    void (*vm_destroy)(struct vj_vm *vm);
    void (*vm_forget)(struct vj_vm *vm);
    uint8_t *(*vm_mem)(const struct vj_vm *vm);
    uint64_t (*vm_mem_size)(const struct vj_vm *vm);
    enum vj_host_kind (*vm_host_kind)(const struct vj_vm *vm);
    uint64_t (*vm_vdso)(const struct vj_vm *vm);
    bool (*vm_vdso_range)(const struct vj_vm *vm, uint64_t *data, uint64_t *end);
    bool (*vm_owns_fd)(const struct vj_vm *vm, int fd);
    int (*vm_own_fd)(struct vj_vm *vm, int fd);
    void (*vm_disown_fd)(struct vj_vm *vm, int fd);
    bool (*vm_foreign_fd_target)(const char *target);
    int (*vm_fds)(const struct vj_vm *vm, int *fds, int max);
    bool (*vm_fast_capable)(const struct vj_vm *vm);
    bool (*vm_slot_in_gs)(const struct vj_vm *vm);
    uint8_t *(*vm_low)(struct vj_vm *vm);
    void (*vm_map_low)(struct vj_vm *vm);
    struct vj_vcpu *(*vm_first_vcpu)(struct vj_vm *vm);
    int (*vcpu_get)(struct vj_vm *vm, struct vj_vcpu **out, vmjail_error **err);
    int (*vcpu_id)(const struct vj_vcpu *c);
    int (*vcpu_open_task_file)(struct vj_vcpu *c, const char *name);
    bool (*vm_fast_by_default)(const struct vj_vm *vm);
    pid_t (*vm_payload_process)(const struct vj_vm *vm);
    void (*vcpu_put)(struct vj_vcpu *c);
    int (*vcpu_start)(struct vj_vcpu *c, uint64_t entry, uint64_t sp, vmjail_error **err);
    int (*vcpu_start_clone)(struct vj_vcpu *child, struct vj_vcpu *parent, uint64_t sp,
                            bool set_tls, uint64_t tls, vmjail_error **err);
    int (*vcpu_run)(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err);
    void (*vcpu_syscall_return)(struct vj_vcpu *c, int64_t ret);
    void (*vcpu_interrupt)(struct vj_vcpu *c);
    bool (*vcpu_get_user_regs)(struct vj_vcpu *c, struct vj_user_regs *r);
    int (*vcpu_set_user_regs)(struct vj_vcpu *c, const struct vj_user_regs *r, vmjail_error **err);
    void (*vcpu_syscall_restart)(struct vj_vcpu *c, uint64_t nr);
    uint64_t (*vm_fpu_features)(const struct vj_vm *vm);
    uint32_t (*vm_fpu_size)(const struct vj_vm *vm);
    bool (*vm_fpu_component)(const struct vj_vm *vm, int i, uint32_t *offset, uint32_t *size);
    int (*vcpu_get_fpu)(struct vj_vcpu *c, struct vj_fpu *f, vmjail_error **err);
    int (*vcpu_set_fpu)(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err);
    int (*vcpu_snapshot)(struct vj_vcpu *c, struct vj_vcpu_snapshot *s, vmjail_error **err);
    int (*vcpu_set_tls_base)(struct vj_vcpu *c, bool gs, uint64_t base, vmjail_error **err);
    uint64_t (*vcpu_gs_for_payload)(const struct vj_vcpu *c, uint64_t real);
    int (*vcpu_set_payload_gs)(struct vj_vcpu *c, uint64_t base, bool exec, vmjail_error **err);
    int (*vcpu_get_tls_base)(struct vj_vcpu *c, bool gs, uint64_t *base, vmjail_error **err);
};

/* The platforms built in. */
extern const struct vj_platform vj_platform_kvm;
extern const struct vj_platform vj_platform_process;

/* Make PL the platform of this process's VMs, before its first (tests use it to run generic
 * code over a platform of their own). */
void vj_platform_use(const struct vj_platform *pl);

#endif
