/* vm.h: one payload's virtual machine as the generic monitor sees it: guest memory, one vCPU,
 * and a run call that returns at the payload's next syscall or fault.  Implemented once per
 * host (src/host/kvm/); nothing above this header knows about KVM. */
#ifndef VJ_VM_H
#define VJ_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "vmjail.h"

struct vj_vm;

/* How this host completes a ring-3 syscall instruction. */
enum vj_host_kind {
    VJ_HOST_SYSRET = 1, /* syscall enters CPL0 (VMX/SVM): the stub returns with sysretq */
    VJ_HOST_CPL3 = 2,   /* syscall stays at CPL3 (PVM): the monitor sets rip and rflags */
};

/* Why the vCPU stopped. */
enum vj_stop_kind {
    VJ_STOP_SYSCALL = 1, /* the payload executed syscall: nr and args are in .sc */
    VJ_STOP_FAULT = 2,   /* the payload faulted: .fault says how */
    VJ_STOP_INTERRUPT = 3, /* vj_vcpu_interrupt() asked the vCPU to stop */
};

struct vj_syscall {
    uint64_t nr;
    uint64_t arg[6];
};

struct vj_fault {
    int signo;           /* the signal Linux would send (SIGSEGV, SIGILL, ...) */
    int code;            /* its si_code */
    int vector;          /* the CPU exception vector, or -1 if the fault was not an exception */
    uint64_t error_code; /* the exception's error code, if any */
    uint64_t pc;         /* the faulting instruction */
    uint64_t addr;       /* si_addr */
    const char *what;    /* a short description for --trace ("page fault", "triple fault") */
    bool addr_unknown;   /* a memory access the host refused without saying where */
    bool code_unknown;   /* ... or said where but not whether the page is mapped (SIGSEGV) */
};

struct vj_stop {
    enum vj_stop_kind kind;
    struct vj_syscall sc;
    struct vj_fault fault;
};

/* Choose the platform this process's VMs run on (enum vmjail_platform; AUTO: KVM where
 * /dev/kvm can be used, else the process platform).  Before the first VM. */
int vj_vm_use_platform(int which, vmjail_error **err);
/* Can this host run payloads on platform WHICH (KVM or PROCESS)?  0, or -1 with the reason. */
int vj_vm_platform_usable(int which, vmjail_error **err);
/* The platform this monitor process uses (VMJAIL_PLATFORM_KVM or _PROCESS). */
int vj_vm_platform_in_use(void);

/* Create a VM with MEM_SIZE bytes of payload address space (a multiple of 2 MiB) and its
 * first vCPU, probe how this host completes a ring-3 syscall, and build the guest's system
 * structures.  Payload memory starts inaccessible (PROT_NONE on the host); the memory manager
 * opens it.  CACHE_DIR, if not NULL, keeps the host's KVM facts between sandboxes
 * (host_cache.c). */
int vj_vm_create(uint64_t mem_size, const char *cache_dir, struct vj_vm **out,
                 vmjail_error **err);
struct vj_vcpu_snapshot;
/* Before the monitor's host fork() for a payload's fork, with the forking thread stopped:
 * what the child's VM will need of the parent's state now (the process platform copies guest
 * memory here, before the parent's payload changes it).  After the fork, the parent calls
 * vj_vm_fork_parent. */
int vj_vm_fork_prepare(struct vj_vm *vm, vmjail_error **err);
void vj_vm_fork_parent(struct vj_vm *vm);
/* In the child of a host fork(): replace the parent's VM, unusable here, by a new one over
 * the same (now copy-on-write) guest memory, with one fresh vCPU (vj_vm_first_vcpu) that
 * continues from S (vj_vcpu_snapshot, taken in the parent). */
int vj_vm_rebuild_in_child(struct vj_vm *vm, const struct vj_vcpu_snapshot *s,
                           vmjail_error **err);
/* ---- guest memory as the memory manager changes it ----
 *
 * The monitor reaches guest address GVA at vj_vm_mem() + GVA, with the host protection
 * vj_host_prot() gives the payload's, so that the host kernel refuses a passed-through call's
 * access where Linux would; the guest reaches it with the payload's protection (on KVM both
 * are one host mapping).  Unmapped guest memory is inaccessible to both.  The memory manager
 * changes guest memory only through these: GPA and LEN page-aligned and inside payload memory,
 * PROT the payload's protection (PROT_READ, PROT_WRITE, PROT_EXEC).  Each returns 0 or a
 * negative errno; after a failure the range is as it was, but after discard's (see there) and
 * anon's (the caller discards the range: it may be a hole). */

/* Back to the unmapped state, its pages given back.  A failure may leave a hole in guest
 * memory that monitor allocations could fill: the payload must not run again. */
int vj_vm_mem_discard(struct vj_vm *vm, uint64_t gpa, uint64_t len);
/* Map unmapped [gpa, gpa + len) as fresh zeroed memory, private to the payload process (or,
 * SHARED, shared with its forks). */
int vj_vm_mem_anon(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared);
/* Map LEN bytes of file FD from OFFSET at [gpa, gpa + len), private or SHARED, over what is
 * there (left as it was if this fails). */
int vj_vm_mem_file(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared, int fd,
                   uint64_t offset);
int vj_vm_mem_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);
/* Move the pages of private anonymous [from, from + len) to unmapped [to, to + len); FROM is
 * left mapped and empty, for the caller to discard. */
int vj_vm_mem_move(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len);
/* madvise(2) ADVICE on mapped guest memory. */
int vj_vm_mem_advise(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice);
/* Map the whole of SysV shared memory segment SHMID (LEN bytes: its size in pages) at
 * [gpa, gpa + len) with PROT, over what is there.  The monitor attached the segment at host
 * address AT (shmat(2) with SHMFLG's SHM_RDONLY and SHM_EXEC, which pins it: SHMID names that
 * segment until it is detached); that attachment is moved into place and becomes the
 * monitor's view.  On failure AT stays attached, for the caller to detach, and the range is as
 * it was, or (*DISCARDED set: a failure after the segment was attached on the payload's side)
 * in the unmapped state. */
int vj_vm_mem_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid, int shmflg,
                  void *at, bool *discarded);
/* How many host attachments one attachment of the payload's makes, each counted in the
 * segment's shm_nattch: 1 where the guest's memory is the monitor's own mapping (KVM), 2 where
 * the payload's process maps the segment beside the monitor's view (the process platform). */
int vj_vm_shm_views(const struct vj_vm *vm);
/* membarrier(2) CMD (with FLAGS and CPU_ID) on the host for the payload's threads: a
 * MEMBARRIER_CMD_REGISTER_* or _PRIVATE_EXPEDITED* command acts on the process whose threads
 * run the payload's, which on KVM is the monitor's own and on the process platform is the
 * stub's.  The call's result or a negative errno. */
int vj_vm_membarrier(struct vj_vm *vm, int cmd, unsigned flags, int cpu_id);
/* The monitor is about to write [gpa, gpa + len) (pages of protection PROT) through its view
 * of guest memory, whatever their protection (code patching): make sure what it writes is what
 * the payload sees.  0 or a negative errno. */
int vj_vm_mem_prepare_write(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot);

/* The monitor's host protection of guest memory the payload maps with PROT: what the payload
 * may write, the monitor may write; what it may read or execute, read. */
static inline int vj_host_prot(int prot)
{
    if (prot & PROT_WRITE)
        return PROT_READ | PROT_WRITE;
    return (prot & (PROT_READ | PROT_EXEC)) ? PROT_READ : PROT_NONE;
}
/* Destroy the VM and every vCPU it has. */
void vj_vm_destroy(struct vj_vm *vm);
/* For a process about to exit (teardown.c): leave the VM's teardown, and the guest memory's,
 * to a helper process that ends after this one.  True if one took it: the VM must then be
 * left as it is (not destroyed, its memory not unmapped). */
bool vj_vm_leave_to_helper(void);
/* After that: free the VM's records only (its descriptors, run areas and memory stay). */
void vj_vm_forget(struct vj_vm *vm);

/* Host address of guest address 0; payload memory is [VJ_GUEST_MIN, size) at this base. */
uint8_t *vj_vm_mem(const struct vj_vm *vm);
uint64_t vj_vm_mem_size(const struct vj_vm *vm);
enum vj_host_kind vj_vm_host_kind(const struct vj_vm *vm);
/* Guest address of the host's vDSO shared with the payload (its AT_SYSINFO_EHDR), or 0. */
uint64_t vj_vm_vdso(const struct vj_vm *vm);
/* Where the shared vDSO's data pages start and its pages end (guest addresses): false if
 * there is none. */
bool vj_vm_vdso_range(const struct vj_vm *vm, uint64_t *data, uint64_t *end);
/* True if FD is one of the monitor's own descriptors for this VM (safe from any thread). */
bool vj_vm_owns_fd(const struct vj_vm *vm, int fd);
/* Make FD one of the monitor's own (moved high, close-on-exec, refused to the payload); returns
 * the descriptor to use.  Disown before closing it. */
int vj_vm_own_fd(struct vj_vm *vm, int fd);
void vj_vm_disown_fd(struct vj_vm *vm, int fd);
/* True if TARGET, what a descriptor's /proc/self/fd link reads, names an object of this host
 * backend (a KVM VM or vCPU): the payload may hold none, not even another monitor's. */
bool vj_vm_foreign_fd_target(const char *target);
/* The monitor's descriptors for this VM, ascending, into FDS (at most MAX); returns how many. */
int vj_vm_fds(const struct vj_vm *vm, int *fds, int max);

/* ---- the low window (vmjail_abi.h): the fast syscall path's code and slots ---- */

/* True if vCPUs can find their fast-call slot: rdpid reads TSC_AUX, or the GS base holds the
 * vCPU's index (and the payload has not set its own). */
bool vj_vm_fast_capable(const struct vj_vm *vm);
/* True if the GS base is where the fast-call code finds the vCPU's index (not rdpid). */
bool vj_vm_slot_in_gs(const struct vj_vm *vm);
/* Host address of the low window (VJ_LOW_SIZE bytes; private to this VM's process). */
uint8_t *vj_vm_low(struct vj_vm *vm);
/* Does the fast path pay off here when the payload asks for none in particular (auto)? */
bool vj_vm_fast_by_default(const struct vj_vm *vm);
/* The host process whose threads run the payload's code when it is not the monitor itself (the
 * process platform's stub: its CPU time is the payload's), or 0 (KVM: the monitor's vCPU
 * threads run it). */
pid_t vj_vm_payload_process(const struct vj_vm *vm);
/* Make the low window reachable by payload code. */
void vj_vm_map_low(struct vj_vm *vm);

/* ---- vCPUs: one per payload thread; each is driven by one host thread at a time ---- */

struct vj_vcpu;

/* The vCPU the VM was created with. */
struct vj_vcpu *vj_vm_first_vcpu(struct vj_vm *vm);
/* A vCPU for a new thread: an idle one of an ended thread, or a new one. */
int vj_vcpu_get(struct vj_vm *vm, struct vj_vcpu **out, vmjail_error **err);
/* The vCPU's index in its VM (its fast-call slot). */
int vj_vcpu_id(const struct vj_vcpu *c);
/* Open (read-only, close-on-exec) the file NAME ("schedstat", "stat", "status") of /proc's
 * directory of the host thread that runs C's payload code: the fast path's poller reads its
 * schedstat to learn whether that thread waits for a CPU, and the payload's own CPU time and
 * usage come from there.  Called on the thread that drives C.  -1 (errno set) where there is
 * none. */
int vj_vcpu_open_task_file(struct vj_vcpu *c, const char *name);
/* Give back the vCPU of an ended thread for reuse. */
void vj_vcpu_put(struct vj_vcpu *c);

/* Set the first instruction and stack pointer of a new program (other registers zero). */
int vj_vcpu_start(struct vj_vcpu *c, uint64_t entry, uint64_t sp, vmjail_error **err);
/* Make CHILD continue PARENT, which is stopped at a clone syscall, as the new thread: same
 * registers and FPU state, rax 0, stack pointer SP (unchanged if 0), FS base TLS (the
 * parent's if SET_TLS is false). */
int vj_vcpu_start_clone(struct vj_vcpu *child, struct vj_vcpu *parent, uint64_t sp,
                        bool set_tls, uint64_t tls, vmjail_error **err);
/* Run until the next syscall or fault, or until vj_vcpu_interrupt() (VJ_STOP_INTERRUPT). */
int vj_vcpu_run(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err);
/* Complete the syscall the vCPU stopped at with return value RET (also a fast call whose
 * stop vj_vcpu_set_user_regs made a syscall return at CPL3: rip = rcx, rflags = r11). */
void vj_vcpu_syscall_return(struct vj_vcpu *c, int64_t ret);
/* Make the vCPU's current or next run return VJ_STOP_INTERRUPT; the caller then sends the
 * host thread running it a signal to break it out of KVM_RUN.  Async-signal-safe. */
void vj_vcpu_interrupt(struct vj_vcpu *c);

/* ---- the user context, for signal frames (x86-64 layout) ----
 *
 * At a stop the vCPU may not be running payload code: at a syscall it sits in the syscall
 * stub (at CPL0 on VJ_HOST_SYSRET hosts), at an exception in the exception stub at CPL0 with
 * the CPU's frame on the exception stack.  These calls hide that: they read and write the
 * registers the payload will see when it resumes. */
struct vj_user_regs {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
};

/* The payload's registers at the current stop: after a syscall, those the syscall returns to
 * (rip = rcx, rflags = r11, rax = the syscall number until it is completed); after a fault,
 * those of the faulting instruction.  Returns false if the vCPU stopped (by vj_vcpu_interrupt)
 * inside the monitor's stubs, where there is no user context to take: the caller resumes it. */
bool vj_vcpu_get_user_regs(struct vj_vcpu *c, struct vj_user_regs *r);
/* Make the vCPU resume the payload with exactly R (user code and stack segments; RFLAGS
 * reduced to the bits user code may set, IF on), in place of returning from the syscall or
 * fault it stopped at.  Only after vj_vcpu_get_user_regs() returned true. */
int vj_vcpu_set_user_regs(struct vj_vcpu *c, const struct vj_user_regs *r, vmjail_error **err);
/* Make the vCPU, stopped at a syscall, execute that syscall instruction again with rax NR. */
void vj_vcpu_syscall_restart(struct vj_vcpu *c, uint64_t nr);

/* FPU and vector state in the standard (non-compacted) XSAVE layout of the features
 * vj_vm_fpu_features() names; vj_vm_fpu_size() bytes of it are meaningful. */
struct vj_fpu {
    _Alignas(64) uint8_t area[4096];
};
uint64_t vj_vm_fpu_features(const struct vj_vm *vm);
uint32_t vj_vm_fpu_size(const struct vj_vm *vm);
/* Offset and size of state component I (2 and up) in that layout, if it is enabled. */
bool vj_vm_fpu_component(const struct vj_vm *vm, int i, uint32_t *offset, uint32_t *size);
int vj_vcpu_get_fpu(struct vj_vcpu *c, struct vj_fpu *f, vmjail_error **err);
/* Fails with EINVAL (in the error) if the host rejects the state as malformed. */
int vj_vcpu_set_fpu(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err);

/* What a fork's child continues from: the user context, FPU state and FS/GS bases of a
 * vCPU stopped at a syscall. */
struct vj_vcpu_snapshot {
    struct vj_user_regs regs;
    uint64_t fs_base, gs_base;
    struct vj_fpu fpu;
};
/* Take S from vCPU C (two ioctls).  Fails if C has no user context to take. */
int vj_vcpu_snapshot(struct vj_vcpu *c, struct vj_vcpu_snapshot *s, vmjail_error **err);

/* The payload thread's FS and GS base registers (arch_prctl). */
int vj_vcpu_set_tls_base(struct vj_vcpu *c, bool gs, uint64_t base, vmjail_error **err);
/* Where the GS base holds the vCPU's index for the fast path (a host whose rdpid does not read
 * TSC_AUX): the payload's view of a GS base REAL (0 while it is the index the monitor set). */
uint64_t vj_vcpu_gs_for_payload(const struct vj_vcpu *c, uint64_t real);
/* The payload sets its GS base (arch_prctl): from then on the GS base is its own, and no vCPU
 * of the process finds its slot there.  EXEC: the new program starts with the monitor's
 * again. */
int vj_vcpu_set_payload_gs(struct vj_vcpu *c, uint64_t base, bool exec, vmjail_error **err);
int vj_vcpu_get_tls_base(struct vj_vcpu *c, bool gs, uint64_t *base, vmjail_error **err);

/* The processes vmjail runs beside a payload process, by name (argv[0] where it has one, and
 * comm): the process platform's stub (in the payload's pid namespace: the payload's listing of
 * /proc leaves it out, monitor/procfs_list.c) and its keeper, and the teardown helper.  Where
 * orphans come to a payload process (a pid namespace's first, a subreaper), those that
 * payload processes left when they ended are vmjail's: its waits leave them out
 * (monitor/process.c). */
#define VJ_VM_HELPER_NAME "vmjail-stub"
#define VJ_VM_KEEPER_NAME "vmjail-keeper"
#define VJ_VM_TEARDOWN_NAME "vmjail-teardown"

#endif
