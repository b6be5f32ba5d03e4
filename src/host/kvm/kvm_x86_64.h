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
void vj_kvm_user_sregs(struct kvm_sregs *s, uint64_t pml4);
/* Create a vCPU with the VM's CPUID, XCR0, user-mode segments and syscall MSRs; FS and GS
 * base FS and GS; and, if FPU is not NULL, that FPU state. */
int vj_kvm_vcpu_new(struct vj_vm *vm, uint64_t fs, uint64_t gs, const struct vj_fpu *fpu,
                    struct vj_vcpu **out, vmjail_error **err);
void vj_kvm_vcpu_free(struct vj_vcpu *c);
/* Run the host probe on vCPU C and set vm->host_kind. */
int vj_kvm_probe_host(struct vj_vcpu *c, vmjail_error **err);
int vj_kvm_fail(vmjail_error **err, const char *what);

#endif
