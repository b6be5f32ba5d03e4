/* process_platform.h: the process platform's private state, shared by its VM half (vm_process.c: guest
 * memory, the stub, descriptors) and its vCPU half (vcpu_process.c: contexts, registers). */
#ifndef VJ_PROCESS_PLATFORM_H
#define VJ_PROCESS_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/process/stub_abi.h"
#include "host/vm.h"

#define VJ_PROC_FD_BITS 1024 /* descriptors the ownership bitmap can name */

struct vj_vcpu {
    struct vj_vm *vm;
    int id;
    struct vj_stub_ctx *ctx; /* in the control region; the payload can write it */
    pid_t tid;               /* the stub thread, as it said at its start */
    bool started;
    bool held;               /* the context is stopped and the monitor's: resumed at the next run */
    bool idle;               /* given back (its stub thread ended or is ending) */
    uint32_t stop_kind;      /* of the last stop, as read once */
    int interrupted;         /* atomic: vj_vcpu_interrupt asked for a stop */
    bool spin_long;          /* the last stop came long after the resume: sleep at once */
};

struct vj_vm {
    uint8_t *reservation;  /* guest memory's host range plus a guard */
    size_t reservation_size;
    uint8_t *mem;          /* host address of guest address 0 (2 MiB aligned) */
    uint64_t mem_size;
    int mem_fd;            /* guest memory: offset = guest address */
    int ctl_fd;            /* the control region */
    int fork_mem_fd;       /* a fork's copy of guest memory, for the child, or -1 */
    uint8_t *ctl;
    pid_t stub;            /* the stub process (its keeper's child, not the monitor's) */
    int stub_fd;           /* its pidfd */
    int keeper_fd;         /* the keeper's pidfd (stub_process.c) */
    uint8_t *keeper_stack; /* and its stack, VJ_KEEPER_STACK bytes */
    int watch_fd;          /* the write end of the keeper's watch pipe: the stub ends when it closes */
    int sock_fd;           /* the monitor's end of the stub's socket (shared mappings) */
    pthread_mutex_t req_lock; /* one request to the control thread at a time */
    pthread_mutex_t lock;     /* the vCPU list */
    struct vj_vcpu first;
    struct vj_vcpu *vcpus[VJ_STUB_MAX_VCPUS]; /* by context index; [0] is &first */
    int nvcpus;
    uint64_t owned_fds[VJ_PROC_FD_BITS / 64];
    uint64_t vdso_ehdr, vdso_size; /* the host's vDSO in the low window, or 0 */
    bool low_mapped;               /* the fast path's code and slots are the payload's */
    struct vj_shared_map *shared;  /* shared mappings, unordered (shared_process.c) */
    int nshared, shared_cap;
};

#define VJ_KEEPER_STACK (64 * 1024)

/* vm.h's operations on the process platform (platform_process.c lists them). */
int vj_process_usable(vmjail_error **err);
int vj_process_vcpu_open_task_file(struct vj_vcpu *c, const char *name);
int vj_process_vm_mem_prepare_write(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);
int vj_process_vm_mem_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid,
                          int shmflg, void *at, bool *discarded);
int vj_process_vm_shm_views(const struct vj_vm *vm);
int vj_process_vm_membarrier(struct vj_vm *vm, int cmd, unsigned flags, int cpu_id);
bool vj_process_vm_fast_by_default(const struct vj_vm *vm);
pid_t vj_process_vm_payload_process(const struct vj_vm *vm);
int vj_process_vm_create(uint64_t mem_size, const char *cache_dir, struct vj_vm **out,
                      vmjail_error **err);
int vj_process_vm_fork_prepare(struct vj_vm *vm, vmjail_error **err);
void vj_process_vm_fork_parent(struct vj_vm *vm);
int vj_process_vm_rebuild_in_child(struct vj_vm *vm, const struct vj_vcpu_snapshot *s,
                                vmjail_error **err);
void vj_process_vm_destroy(struct vj_vm *vm);
void vj_process_vm_forget(struct vj_vm *vm);
uint8_t *vj_process_vm_mem(const struct vj_vm *vm);
uint64_t vj_process_vm_mem_size(const struct vj_vm *vm);
enum vj_host_kind vj_process_vm_host_kind(const struct vj_vm *vm);
uint64_t vj_process_vm_vdso(const struct vj_vm *vm);
bool vj_process_vm_vdso_range(const struct vj_vm *vm, uint64_t *data, uint64_t *end);
bool vj_process_vm_owns_fd(const struct vj_vm *vm, int fd);
int vj_process_vm_own_fd(struct vj_vm *vm, int fd);
void vj_process_vm_disown_fd(struct vj_vm *vm, int fd);
bool vj_process_vm_foreign_fd_target(const char *target);
int vj_process_vm_fds(const struct vj_vm *vm, int *fds, int max);
bool vj_process_vm_fast_capable(const struct vj_vm *vm);
bool vj_process_vm_slot_in_gs(const struct vj_vm *vm);
uint8_t *vj_process_vm_low(struct vj_vm *vm);
void vj_process_vm_map_low(struct vj_vm *vm);
int vj_process_vm_mem_discard(struct vj_vm *vm, uint64_t gpa, uint64_t len);
int vj_process_vm_mem_anon(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared);
int vj_process_vm_mem_file(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared,
                        int fd, uint64_t offset);
int vj_process_vm_mem_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);
int vj_process_vm_mem_move(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len);
int vj_process_vm_mem_advise(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice);
struct vj_vcpu *vj_process_vm_first_vcpu(struct vj_vm *vm);
int vj_process_vcpu_get(struct vj_vm *vm, struct vj_vcpu **out, vmjail_error **err);
int vj_process_vcpu_id(const struct vj_vcpu *c);
void vj_process_vcpu_put(struct vj_vcpu *c);
int vj_process_vcpu_start(struct vj_vcpu *c, uint64_t entry, uint64_t sp, vmjail_error **err);
int vj_process_vcpu_start_clone(struct vj_vcpu *child, struct vj_vcpu *parent, uint64_t sp,
                             bool set_tls, uint64_t tls, vmjail_error **err);
int vj_process_vcpu_run(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err);
void vj_process_vcpu_syscall_return(struct vj_vcpu *c, int64_t ret);
void vj_process_vcpu_interrupt(struct vj_vcpu *c);
bool vj_process_vcpu_get_user_regs(struct vj_vcpu *c, struct vj_user_regs *r);
int vj_process_vcpu_set_user_regs(struct vj_vcpu *c, const struct vj_user_regs *r,
                               vmjail_error **err);
void vj_process_vcpu_syscall_restart(struct vj_vcpu *c, uint64_t nr);
uint64_t vj_process_vm_fpu_features(const struct vj_vm *vm);
uint32_t vj_process_vm_fpu_size(const struct vj_vm *vm);
bool vj_process_vm_fpu_component(const struct vj_vm *vm, int i, uint32_t *offset, uint32_t *size);
int vj_process_vcpu_get_fpu(struct vj_vcpu *c, struct vj_fpu *f, vmjail_error **err);
int vj_process_vcpu_set_fpu(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err);
int vj_process_vcpu_snapshot(struct vj_vcpu *c, struct vj_vcpu_snapshot *s, vmjail_error **err);
int vj_process_vcpu_set_tls_base(struct vj_vcpu *c, bool gs, uint64_t base, vmjail_error **err);
uint64_t vj_process_vcpu_gs_for_payload(const struct vj_vcpu *c, uint64_t real);
int vj_process_vcpu_set_payload_gs(struct vj_vcpu *c, uint64_t base, bool exec, vmjail_error **err);
int vj_process_vcpu_get_tls_base(struct vj_vcpu *c, bool gs, uint64_t *base, vmjail_error **err);

/* Wait until context C is stopped (the stub thread handed it over), spinning at most BUDGET
 * pauses before sleeping; false if the stub died, (once STARTED) the context's thread, or
 * the thread has not answered an interrupt (INTERRUPTED, when not NULL, set) within the grace
 * below: its context was scribbled over by the payload, which must not make the monitor
 * deaf to the signals that end it. */
bool vj_process_wait_stopped(struct vj_vm *vm, struct vj_stub_ctx *c, bool started,
                             uint32_t budget, const int *interrupted);
/* How long a stub thread running payload code may take to stop for the monitor's interrupt
 * (a signal it cannot block) before the monitor counts it as broken. */
#define VJ_PROCESS_INTERRUPT_GRACE_NS (3 * 1000000000LL)
/* A stop that comes later than this after the resume: the next wait sleeps at once. */
#define VJ_PROCESS_SPIN_WINDOW_NS 100000
/* Start VM's stub through its keeper (guest memory, the control region and a socket as its
 * descriptors, stub_abi.h; the keeper watches a pipe the monitor holds); its first thread then
 * stops at its START. */
int vj_process_stub_start(struct vj_vm *vm, vmjail_error **err);
/* End the stub (and with it the payload), wait until it is gone, close what watched it. */
void vj_process_stub_end(struct vj_vm *vm);
/* Has the stub process ended (or was it never started)? */
bool vj_process_stub_ended(struct vj_vm *vm);
/* Pauses each side spins for the other before it sleeps (0 on a host with one CPU). */
#define VJ_PROCESS_SPINS 4000
uint32_t vj_process_spins(void);
/* Hand context C back to its stub thread. */
void vj_process_resume(struct vj_stub_ctx *c);
/* Have the stub's control thread carry out OP; its result, or -ESRCH if the stub ended. */
int vj_process_ask(struct vj_vm *vm, uint32_t op, uint64_t gpa, uint64_t len, uint64_t arg);
/* The same, with OFFSET, and descriptor FD sent first (for VJ_STUB_REQ_MAP_FD; -1: none). */
int vj_process_ask_fd(struct vj_vm *vm, uint32_t op, uint64_t gpa, uint64_t len, uint64_t arg,
                      uint64_t offset, int fd);

/* Mappings of descriptors (shared_process.c): guest ranges backed by a file or a shared memfd,
 * in both the monitor's view and the stub's, instead of guest memory's own pages: shared ones,
 * and private file mappings while they are not writable (then both views read the same page
 * cache pages, and nothing is copied). */
struct vj_shared_map {
    uint64_t start, end; /* guest range */
    int fd;              /* owned; -1 for a SysV segment's */
    uint64_t offset;     /* of start, in fd (in the segment) */
    bool private;        /* MAP_PRIVATE, never writable while it is here */
    int shmid;           /* a SysV shared memory segment's (attached in both views), or -1 */
    uint32_t shmflg;     /* how it was attached: VJ_STUB_SHM_RDONLY, VJ_STUB_SHM_EXEC */
};
/* Map FD (dup'd here) at [gpa, gpa + len) with PROT, shared (or PRIVATE), in both views. */
int vj_process_shared_map(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int fd,
                          uint64_t offset, bool private);
/* Where private file mappings meet [gpa, gpa + len): their contents copied into guest memory's
 * own pages, which take their place without access (the caller protects them). */
int vj_process_private_to_copy(struct vj_vm *vm, uint64_t gpa, uint64_t len);
/* Give [gpa, gpa + len) back to guest memory's own pages (without access) where shared
 * mappings were; 0 if none were. */
int vj_process_shared_clear(struct vj_vm *vm, uint64_t gpa, uint64_t len);
/* The same without giving anything back: what maps the range now has replaced them. */
int vj_process_shared_forget(struct vj_vm *vm, uint64_t gpa, uint64_t len);
/* Guest memory's own pages at [a, b), without access, in both views. */
int vj_process_give_back(struct vj_vm *vm, uint64_t a, uint64_t b);
/* Record SysV segment SHMID attached whole at [gpa, gpa + len) in both views (FLAGS as
 * VJ_STUB_REQ_SHMAT's). */
int vj_process_shared_add_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int shmid,
                              uint32_t flags);
/* VJ_STUB_REQ_SHMAT's argument. */
uint64_t vj_process_shm_arg(int prot, uint32_t flags, int shmid);
/* In a fork's child: map guest memory's copy MEM_FD in the monitor's view, except where SysV
 * segments are (the view's attachments, copied by the host fork, stay). */
int vj_process_shared_view(struct vj_vm *vm, int mem_fd);
/* Does [gpa, gpa + len) meet a shared mapping? */
bool vj_process_shared_meets(const struct vj_vm *vm, uint64_t gpa, uint64_t len);
/* In a fork's child: map every shared mapping again, in the monitor's view (replaced with the
 * child's copy of guest memory) and in the child's stub.  Without access: the caller
 * replays the protections. */
int vj_process_shared_rebuild(struct vj_vm *vm);
/* Close every shared mapping's descriptor (the VM ends). */
void vj_process_shared_free(struct vj_vm *vm);

#endif
