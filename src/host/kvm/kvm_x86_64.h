/* kvm_x86_64.h: the KVM x86-64 backend's private state, shared by its VM half
 * (vm_x86_64.c) and its vCPU half (vcpu_x86_64.c). */
#ifndef VJ_KVM_X86_64_H
#define VJ_KVM_X86_64_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/vm.h"

#define VJ_MAX_VCPUS 1024
#define VJ_FD_BITMAP_BITS 65536 /* descriptors the ownership bitmap can name */
#define VJ_MAX_CHUNKS 256        /* payload memory is given memory slots in this many pieces */

struct vj_vcpu {
    struct vj_vm *vm;
    int fd;
    int id;
    struct kvm_run *run;
    struct vj_vcpu *next_idle;
    int at;             /* where the last stop left it: VJ_AT_* (vcpu_x86_64.c) */
    uint64_t exc_frame; /* at an exception: monitor-region address of the CPU's frame */
};

struct vj_vm {
    int vm_fd;
    size_t run_size;
    uint8_t *reservation; /* payload memory plus a guard after it */
    size_t reservation_size;
    uint8_t *mem;         /* host address of guest physical 0 */
    uint64_t mem_size;
    uint8_t *mon;         /* the monitor region */
    uint64_t mon_gpa;
    enum vj_host_kind host_kind;
    uint64_t pml4;        /* guest physical address of the page tables' root */

    /* Memory slots cover only the chunks of payload memory the payload has mapped: KVM's
     * per-slot arrays, their set-up and their teardown cost in proportion to a slot's size. */
    pthread_mutex_t slot_lock;
    unsigned chunk_shift;          /* a chunk is 1 << chunk_shift bytes, 2 MiB aligned */
    uint64_t covered[VJ_MAX_CHUNKS / 64]; /* chunks with a slot and present page tables */
    uint32_t nslots, max_slots;    /* slots in use (slot 0: the monitor region), allowed */
    struct kvm_sregs user_sregs;   /* every vCPU starts with these */
    uint64_t apic_base0;           /* vCPU 0's APIC base as KVM made it (0: not known yet) */
    struct kvm_cpuid2 *cpuid;      /* and this CPUID */
    uint64_t xcr0;
    bool fsgsbase;                 /* the CPUID has FSGSBASE: the guest's CR4 enables it */
    bool rdpid;                    /* rdpid reads TSC_AUX (the vCPU's index) in the guest */
    bool tsc_host;                 /* every vCPU's TSC is the host's (offset 0) */
    bool gs_index;                 /* else rdgsbase runs at CPL3: the GS base holds the index */
    bool gs_payload;               /* ... unless the payload set its own GS base */
    uint64_t vdso_ehdr;            /* guest address of the host's vDSO (vdso_x86_64.c), or 0 ... */
    uint64_t vdso_gpa, vdso_size;  /* ... and the read-only memory slot that backs it */
    uint64_t vdso_hva;

    pthread_mutex_t lock;          /* guards the vCPU list and the idle list */
    struct vj_vcpu *vcpus[VJ_MAX_VCPUS];
    int nvcpus;
    struct vj_vcpu *idle;

    /* The monitor's descriptors, one bit each; read without the lock. */
    uint64_t owned_fds[VJ_FD_BITMAP_BITS / 64];
};

/* Move descriptor FD to the top of the descriptor space, close-on-exec, and mark it the
 * monitor's.  Returns the new descriptor (FD itself if it cannot be moved). */
int vj_kvm_own_fd(struct vj_vm *vm, int fd);
/* True while each vCPU's GS base holds its index (the fast path's slot), not the payload's. */
static inline bool vj_kvm_gs_holds_index(const struct vj_vm *vm)
{
    return vm->gs_index && !vm->gs_payload;
}

/* Share the host's vDSO with the payload (vdso_x86_64.c), where the host allows: true if it is. */
bool vj_kvm_vdso_map(struct vj_vm *vm);
/* In a fork's child: its memory slot again (the page tables came with the monitor region). */
int vj_kvm_vdso_slot(struct vj_vm *vm);
/* The memory slot the vDSO's pages use (the last; payload memory never takes it). */
#define VJ_VDSO_SLOT(vm) ((vm)->max_slots - 1)
/* The special registers of a vCPU running payload code with page tables at PML4. */
void vj_kvm_user_sregs(struct kvm_sregs *s, uint64_t pml4, bool fsgsbase);
/* Create a vCPU with the VM's CPUID, XCR0, user-mode segments and syscall MSRs; FS and GS
 * base FS and GS; and, if FPU is not NULL, that FPU state. */
int vj_kvm_vcpu_new(struct vj_vm *vm, uint64_t fs, uint64_t gs, const struct vj_fpu *fpu,
                    struct vj_vcpu **out, vmjail_error **err);
void vj_kvm_vcpu_free(struct vj_vcpu *c);
/* Run the host probe on vCPU C and set vm->host_kind. */
int vj_kvm_probe_host(struct vj_vcpu *c, vmjail_error **err);
int vj_kvm_fail(vmjail_error **err, const char *what);

/* vm.h's operations on KVM (platform_kvm.c lists them for platform.c). */
int vj_kvm_usable(vmjail_error **err);
int vj_kvm_vcpu_open_task_file(struct vj_vcpu *c, const char *name);
bool vj_kvm_vm_fast_by_default(const struct vj_vm *vm);
pid_t vj_kvm_vm_payload_process(const struct vj_vm *vm);
int vj_kvm_vm_create(uint64_t mem_size, const char *cache_dir, struct vj_vm **out,
                     vmjail_error **err);
int vj_kvm_vm_fork_prepare(struct vj_vm *vm, vmjail_error **err);
void vj_kvm_vm_fork_parent(struct vj_vm *vm);
int vj_kvm_vm_rebuild_in_child(struct vj_vm *vm, const struct vj_vcpu_snapshot *s,
                               vmjail_error **err);
int vj_kvm_vm_mem_discard(struct vj_vm *vm, uint64_t gpa, uint64_t len);
int vj_kvm_vm_mem_anon(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared);
int vj_kvm_vm_mem_file(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared,
                       int fd, uint64_t offset);
int vj_kvm_vm_mem_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);
int vj_kvm_vm_mem_move(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len);
int vj_kvm_vm_mem_advise(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice);
int vj_kvm_vm_mem_prepare_write(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);
int vj_kvm_vm_mem_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid,
                      int shmflg, void *at, bool *discarded);
int vj_kvm_vm_shm_views(const struct vj_vm *vm);
int vj_kvm_vm_membarrier(struct vj_vm *vm, int cmd, unsigned flags, int cpu_id);
void vj_kvm_vm_destroy(struct vj_vm *vm);
void vj_kvm_vm_forget(struct vj_vm *vm);
uint8_t *vj_kvm_vm_mem(const struct vj_vm *vm);
uint64_t vj_kvm_vm_mem_size(const struct vj_vm *vm);
enum vj_host_kind vj_kvm_vm_host_kind(const struct vj_vm *vm);
uint64_t vj_kvm_vm_vdso(const struct vj_vm *vm);
bool vj_kvm_vm_vdso_range(const struct vj_vm *vm, uint64_t *data, uint64_t *end);
bool vj_kvm_vm_owns_fd(const struct vj_vm *vm, int fd);
int vj_kvm_vm_own_fd(struct vj_vm *vm, int fd);
void vj_kvm_vm_disown_fd(struct vj_vm *vm, int fd);
bool vj_kvm_vm_foreign_fd_target(const char *target);
int vj_kvm_vm_fds(const struct vj_vm *vm, int *fds, int max);
bool vj_kvm_vm_fast_capable(const struct vj_vm *vm);
bool vj_kvm_vm_slot_in_gs(const struct vj_vm *vm);
uint8_t *vj_kvm_vm_low(struct vj_vm *vm);
void vj_kvm_vm_map_low(struct vj_vm *vm);
struct vj_vcpu *vj_kvm_vm_first_vcpu(struct vj_vm *vm);
int vj_kvm_vcpu_get(struct vj_vm *vm, struct vj_vcpu **out, vmjail_error **err);
int vj_kvm_vcpu_id(const struct vj_vcpu *c);
void vj_kvm_vcpu_put(struct vj_vcpu *c);
int vj_kvm_vcpu_start(struct vj_vcpu *c, uint64_t entry, uint64_t sp, vmjail_error **err);
int vj_kvm_vcpu_start_clone(struct vj_vcpu *child, struct vj_vcpu *parent, uint64_t sp,
                            bool set_tls, uint64_t tls, vmjail_error **err);
int vj_kvm_vcpu_run(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err);
void vj_kvm_vcpu_syscall_return(struct vj_vcpu *c, int64_t ret);
void vj_kvm_vcpu_interrupt(struct vj_vcpu *c);
bool vj_kvm_vcpu_get_user_regs(struct vj_vcpu *c, struct vj_user_regs *r);
int vj_kvm_vcpu_set_user_regs(struct vj_vcpu *c, const struct vj_user_regs *r, vmjail_error **err);
void vj_kvm_vcpu_syscall_restart(struct vj_vcpu *c, uint64_t nr);
uint64_t vj_kvm_vm_fpu_features(const struct vj_vm *vm);
uint32_t vj_kvm_vm_fpu_size(const struct vj_vm *vm);
bool vj_kvm_vm_fpu_component(const struct vj_vm *vm, int i, uint32_t *offset, uint32_t *size);
int vj_kvm_vcpu_get_fpu(struct vj_vcpu *c, struct vj_fpu *f, vmjail_error **err);
int vj_kvm_vcpu_set_fpu(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err);
int vj_kvm_vcpu_snapshot(struct vj_vcpu *c, struct vj_vcpu_snapshot *s, vmjail_error **err);
int vj_kvm_vcpu_set_tls_base(struct vj_vcpu *c, bool gs, uint64_t base, vmjail_error **err);
uint64_t vj_kvm_vcpu_gs_for_payload(const struct vj_vcpu *c, uint64_t real);
int vj_kvm_vcpu_set_payload_gs(struct vj_vcpu *c, uint64_t base, bool exec, vmjail_error **err);
int vj_kvm_vcpu_get_tls_base(struct vj_vcpu *c, bool gs, uint64_t *base, vmjail_error **err);

#endif
