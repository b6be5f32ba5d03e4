/* kvm_x86_64.c: the VM on Linux KVM for x86-64: memory slots, vCPU state, the host probe,
 * and the decoding of exits into syscalls and faults. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cpu_x86_64.h"
#include "error.h"
#include "fault_x86_64.h"
#include "vm.h"
#include "vmjail_abi.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_WP 0x10000ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define CR4_OSFXSR 0x200ULL
#define CR4_OSXMMEXCPT 0x400ULL
#define CR4_OSXSAVE 0x40000ULL
#define EFER_SCE 0x1ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL

/* KVM_EXIT_MEMORY_FAULT (Linux 6.8) is newer than some distributions' headers. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
struct memory_fault_exit {
    uint64_t flags, gpa, size;
};

/* User-visible XSAVE components: x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM). */
#define XCR0_USER_MASK 0xe7ULL

struct vj_vm {
    int vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *reservation; /* payload memory plus a guard after it */
    size_t reservation_size;
    uint8_t *mem;         /* host address of guest physical 0 */
    uint64_t mem_size;
    uint8_t *mon;         /* the monitor region */
    uint64_t mon_gpa;
    enum vj_host_kind host_kind;
    struct kvm_sregs user_sregs;
};

static int kvm_fail(vmjail_error **err, const char *what)
{
    return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "KVM: %s", what);
}

/* Move a descriptor the monitor keeps out of the payload's way: to the top of the descriptor
 * space, close-on-exec. */
static int hide_fd(int fd)
{
    struct rlimit rl;
    int floor = 1000;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 64)
        floor = (int)rl.rlim_cur - 32;
    int hidden = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (hidden < 0)
        return fd;
    close(fd);
    return hidden;
}

static int set_msrs(struct vj_vm *vm, const uint32_t *index, const uint64_t *value, int n)
{
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[8];
    } m;
    memset(&m, 0, sizeof m);
    m.h.nmsrs = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        m.e[i].index = index[i];
        m.e[i].data = value[i];
    }
    int r = ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m);
    if (r != n) {
        if (r >= 0)
            errno = EINVAL;
        return -1;
    }
    return 0;
}

static int setup_memory(struct vj_vm *vm, uint64_t mem_size, vmjail_error **err)
{
    /* Reserve payload memory 2 MiB aligned, plus a 2 MiB inaccessible guard after it so that a
     * string the host kernel reads from guest memory can never run into monitor memory. */
    size_t total = mem_size + 2 * VJ_HUGE_PAGE_SIZE;
    uint8_t *r = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "reserve %llu bytes of guest memory",
                        (unsigned long long)mem_size);
    vm->reservation = r;
    vm->reservation_size = total;
    vm->mem = (uint8_t *)(((uintptr_t)r + VJ_HUGE_PAGE_SIZE - 1) & ~(uintptr_t)(VJ_HUGE_PAGE_SIZE - 1));
    vm->mem_size = mem_size;
    madvise(vm->mem, mem_size, MADV_HUGEPAGE);

    vm->mon = mmap(NULL, VJ_MONITOR_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (vm->mon == MAP_FAILED) {
        vm->mon = NULL;
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "allocate the monitor region");
    }
    vm->mon_gpa = mem_size;

    struct kvm_userspace_memory_region slots[2] = {
        {.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
         .userspace_addr = (uint64_t)(uintptr_t)vm->mem},
        {.slot = 1, .guest_phys_addr = vm->mon_gpa, .memory_size = VJ_MONITOR_SIZE,
         .userspace_addr = (uint64_t)(uintptr_t)vm->mon},
    };
    for (int i = 0; i < 2; i++)
        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slots[i]) < 0)
            return kvm_fail(err, "set memory region");
    return 0;
}

static int setup_cpuid(struct vj_vm *vm, int kvm_fd, vmjail_error **err)
{
    int n = 128;
    for (;;) {
        struct kvm_cpuid2 *c = calloc(1, sizeof *c + (size_t)n * sizeof(struct kvm_cpuid_entry2));
        if (c == NULL)
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "CPUID table");
        c->nent = (uint32_t)n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            free(c);
            if (errno == E2BIG && n < 4096) {
                n *= 2;
                continue;
            }
            return kvm_fail(err, "get supported CPUID");
        }
        int r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
        uint64_t xcr0 = 0;
        for (uint32_t i = 0; i < c->nent; i++)
            if (c->entries[i].function == 0xd && c->entries[i].index == 0)
                xcr0 = c->entries[i].eax | ((uint64_t)c->entries[i].edx << 32);
        free(c);
        if (r < 0)
            return kvm_fail(err, "set CPUID");
        struct kvm_xcrs xcrs;
        memset(&xcrs, 0, sizeof xcrs);
        xcrs.nr_xcrs = 1;
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = (xcr0 & XCR0_USER_MASK) | 1;
        if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &xcrs) < 0)
            return kvm_fail(err, "set XCR0");
        return 0;
    }
}

static void user_segments(struct kvm_sregs *s)
{
    struct kvm_segment cs = {.base = 0, .limit = 0xffffffff, .selector = VJ_SEL_USER_CS,
                             .type = 11, .present = 1, .dpl = 3, .db = 0, .s = 1, .l = 1, .g = 1};
    struct kvm_segment ds = {.base = 0, .limit = 0xffffffff, .selector = VJ_SEL_USER_DS,
                             .type = 3, .present = 1, .dpl = 3, .db = 1, .s = 1, .l = 0, .g = 1};
    s->cs = cs;
    s->ds = s->es = s->fs = s->gs = s->ss = ds;
}

static int setup_sregs(struct vj_vm *vm, uint64_t pml4, vmjail_error **err)
{
    struct kvm_sregs s;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
        return kvm_fail(err, "get special registers");
    s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
    s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    s.cr3 = pml4;
    s.gdt.base = VJ_MONITOR_VA + VJ_MON_GDT;
    s.gdt.limit = VJ_GDT_ENTRIES * 8 - 1;
    s.idt.base = VJ_MONITOR_VA + VJ_MON_IDT;
    s.idt.limit = VJ_EXC_VECTORS * 16 - 1;
    user_segments(&s);
    struct kvm_segment tr = {.base = VJ_MONITOR_VA + VJ_MON_TSS, .limit = VJ_MON_TSS_LIMIT,
                             .selector = VJ_SEL_TSS, .type = 11, .present = 1, .s = 0};
    s.tr = tr;
    struct kvm_segment ldt = {.selector = 0, .type = 2, .present = 1, .unusable = 1};
    s.ldt = ldt;
    vm->user_sregs = s;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0)
        return kvm_fail(err, "set special registers");

    static const uint32_t idx[] = {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
                                   MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE};
    const uint64_t val[] = {
        ((uint64_t)(VJ_SEL_USER_CS32 & ~3) << 48) | ((uint64_t)VJ_SEL_KERNEL_CS << 32),
        VJ_GVA_STUB(VJ_STUB_SYSCALL),
        VJ_GVA_STUB(VJ_STUB_SYSCALL + 5), /* 32-bit syscall: lands on ud2 */
        VJ_SYSCALL_FMASK, 0, 0, 0};
    if (set_msrs(vm, idx, val, 7) < 0)
        return kvm_fail(err, "set syscall MSRs");
    return 0;
}

/* Run the probe: a CPL3 syscall into the stub.  The CPL at the stub's exit tells how this host
 * completes a ring-3 syscall. */
static int probe_host(struct vj_vm *vm, vmjail_error **err)
{
    struct kvm_regs regs = {.rip = VJ_GVA_STUB(VJ_STUB_PROBE), .rflags = VJ_RFLAGS_FIXED | VJ_RFLAGS_IF};
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
        return kvm_fail(err, "set registers");
    if (ioctl(vm->vcpu_fd, KVM_RUN, NULL) < 0)
        return kvm_fail(err, "run the host probe");
    if (vm->run->exit_reason != KVM_EXIT_IO || vm->run->io.port != VJ_PORT_SYSCALL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "KVM: host probe: unexpected exit %u (port %#x)", vm->run->exit_reason,
                        vm->run->exit_reason == KVM_EXIT_IO ? vm->run->io.port : 0);
    struct kvm_sregs s;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
        return kvm_fail(err, "get special registers");
    vm->host_kind = s.cs.dpl == 0 ? VJ_HOST_SYSRET : VJ_HOST_CPL3;
    /* Complete the pending port I/O (so the next run does not replay it), then restore the
     * user-mode state. */
    vm->run->immediate_exit = 1;
    ioctl(vm->vcpu_fd, KVM_RUN, NULL);
    vm->run->immediate_exit = 0;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &vm->user_sregs) < 0)
        return kvm_fail(err, "set special registers");
    return 0;
}

int vj_vm_create(uint64_t mem_size, struct vj_vm **out, vmjail_error **err)
{
    struct vj_vm *vm = calloc(1, sizeof *vm);
    if (vm == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "allocate the VM");
    vm->vm_fd = vm->vcpu_fd = -1;
    int kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_fd < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open /dev/kvm");
        goto fail;
    }
    if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: unsupported API version");
        goto fail;
    }
    if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: the host lacks KVM_CAP_SYNC_REGS");
        goto fail;
    }
    vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0UL);
    if (vm->vm_fd < 0) {
        kvm_fail(err, "create VM");
        goto fail;
    }
    vm->vm_fd = hide_fd(vm->vm_fd);
    if (setup_memory(vm, mem_size, err) < 0)
        goto fail;
    vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0UL);
    if (vm->vcpu_fd < 0) {
        kvm_fail(err, "create vCPU");
        goto fail;
    }
    vm->vcpu_fd = hide_fd(vm->vcpu_fd);
    int sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz <= 0) {
        kvm_fail(err, "get vCPU mmap size");
        goto fail;
    }
    vm->run_size = (size_t)sz;
    vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
    if (vm->run == MAP_FAILED) {
        vm->run = NULL;
        kvm_fail(err, "map the vCPU run area");
        goto fail;
    }
    if (setup_cpuid(vm, kvm_fd, err) < 0)
        goto fail;
    uint64_t pml4 = vj_cpu_build(vm->mon, vm->mon_gpa, mem_size, true);
    if (pml4 == 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "guest page tables do not fit");
        goto fail;
    }
    if (setup_sregs(vm, pml4, err) < 0 || probe_host(vm, err) < 0)
        goto fail;
    /* Where syscall enters CPL0 the stub's OUT runs at CPL0: deny the port to CPL3 code. */
    vj_cpu_set_syscall_port(vm->mon, vm->host_kind == VJ_HOST_CPL3);
    vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    close(kvm_fd);
    *out = vm;
    return 0;
fail:
    if (kvm_fd >= 0)
        close(kvm_fd);
    vj_vm_destroy(vm);
    return -1;
}

void vj_vm_destroy(struct vj_vm *vm)
{
    if (vm == NULL)
        return;
    if (vm->run)
        munmap(vm->run, vm->run_size);
    if (vm->vcpu_fd >= 0)
        close(vm->vcpu_fd);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->mon)
        munmap(vm->mon, VJ_MONITOR_SIZE);
    if (vm->reservation)
        munmap(vm->reservation, vm->reservation_size);
    free(vm);
}

uint8_t *vj_vm_mem(const struct vj_vm *vm)
{
    return vm->mem;
}

uint64_t vj_vm_mem_size(const struct vj_vm *vm)
{
    return vm->mem_size;
}

enum vj_host_kind vj_vm_host_kind(const struct vj_vm *vm)
{
    return vm->host_kind;
}

bool vj_vm_owns_fd(const struct vj_vm *vm, int fd)
{
    return vm != NULL && fd >= 0 && (fd == vm->vm_fd || fd == vm->vcpu_fd);
}

int vj_vm_fds(const struct vj_vm *vm, int fds[2])
{
    int a = vm->vm_fd < vm->vcpu_fd ? vm->vm_fd : vm->vcpu_fd;
    int b = vm->vm_fd < vm->vcpu_fd ? vm->vcpu_fd : vm->vm_fd;
    fds[0] = a;
    fds[1] = b;
    return 2;
}

int vj_vm_start(struct vj_vm *vm, uint64_t entry, uint64_t sp, vmjail_error **err)
{
    struct kvm_regs regs = {.rip = entry, .rsp = sp, .rflags = VJ_RFLAGS_FIXED | VJ_RFLAGS_IF};
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
        return kvm_fail(err, "set registers");
    vm->run->kvm_dirty_regs = 0;
    return 0;
}

static bool in_monitor(uint64_t va)
{
    return va >= VJ_MONITOR_VA && va - VJ_MONITOR_VA < VJ_MONITOR_SIZE;
}

/* At a port-I/O exit KVM reports the OUT itself or the instruction after it, by host. */
static bool exit_at(uint64_t rip, uint64_t stub)
{
    return rip == stub || rip == stub + 2;
}

static void segv(struct vj_stop *stop, uint64_t pc, uint64_t addr, int code, const char *what)
{
    stop->kind = VJ_STOP_FAULT;
    stop->fault = (struct vj_fault){.signo = SIGSEGV, .code = code, .vector = -1, .pc = pc,
                                    .addr = addr, .what = what};
}

/* An exception stub exited: decode the CPU's frame from the exception stack. */
static int decode_exception(struct vj_vm *vm, int vector, struct vj_stop *stop, vmjail_error **err)
{
    const struct kvm_regs *r = &vm->run->s.regs.regs;
    uint64_t rsp = r->rsp;
    uint64_t lo = VJ_MONITOR_VA + VJ_MON_STACK_LO, hi = VJ_MONITOR_VA + VJ_MON_STACK_HI;
    int has_ec = vj_x86_vector_has_error_code(vector);
    uint64_t need = (uint64_t)(5 + has_ec) * 8;
    if (rsp < lo || rsp > hi - need)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "exception %d with a broken frame", vector);
    uint64_t frame[6];
    memcpy(frame, vm->mon + (rsp - VJ_MONITOR_VA), need);
    uint64_t ec = has_ec ? frame[0] : 0;
    uint64_t pc = frame[has_ec], cs = frame[has_ec + 1];
    uint64_t cr2 = 0;
    if (vector == 14) {
        struct kvm_sregs s;
        if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
            return kvm_fail(err, "get special registers");
        cr2 = s.cr2;
    }
    stop->kind = VJ_STOP_FAULT;
    vj_x86_fault_from_exception(vector, ec, cr2, pc, &stop->fault);
    /* A fault at CPL0 (in the stubs) or on code in the monitor region is the payload's doing
     * (it jumped there or handed the stub a bad return address): a segmentation fault, as if
     * the monitor's pages were not there. */
    if ((cs & 3) != 3 || in_monitor(pc))
        segv(stop, pc, pc, SEGV_MAPERR, "fault in the monitor region");
    return 0;
}

static int decode_io(struct vj_vm *vm, struct vj_stop *stop, vmjail_error **err)
{
    const struct kvm_regs *r = &vm->run->s.regs.regs;
    unsigned port = vm->run->io.port;
    if (vm->run->io.direction == KVM_EXIT_IO_OUT && port == VJ_PORT_SYSCALL &&
        exit_at(r->rip, VJ_GVA_STUB(VJ_STUB_SYSCALL))) {
        /* IF is clear only when the syscall instruction itself entered the stub. */
        if ((r->rflags & VJ_RFLAGS_IF) || in_monitor(r->rcx)) {
            segv(stop, r->rip, 0, SI_KERNEL, "jump into the syscall stub");
            return 0;
        }
        stop->kind = VJ_STOP_SYSCALL;
        stop->sc.nr = r->rax;
        stop->sc.arg[0] = r->rdi;
        stop->sc.arg[1] = r->rsi;
        stop->sc.arg[2] = r->rdx;
        stop->sc.arg[3] = r->r10;
        stop->sc.arg[4] = r->r8;
        stop->sc.arg[5] = r->r9;
        return 0;
    }
    if (vm->run->io.direction == KVM_EXIT_IO_OUT && port >= VJ_PORT_EXC_BASE &&
        port < VJ_PORT_EXC_BASE + VJ_EXC_VECTORS) {
        int vector = (int)(port - VJ_PORT_EXC_BASE);
        if (exit_at(r->rip, VJ_GVA_EXC_STUB(vector)))
            return decode_exception(vm, vector, stop, err);
    }
    /* Port I/O from anywhere else: the payload has no I/O privilege. */
    segv(stop, r->rip, 0, SI_KERNEL, "port I/O");
    return 0;
}

int vj_vm_run(struct vj_vm *vm, struct vj_stop *stop, vmjail_error **err)
{
    for (;;) {
        if (ioctl(vm->vcpu_fd, KVM_RUN, NULL) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EFAULT) {
                /* The payload touched memory the host refuses (inaccessible guest pages). */
                uint64_t addr = 0;
                if (vm->run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
                    const struct memory_fault_exit *mf = (const void *)&vm->run->hw;
                    addr = mf->gpa;
                }
                segv(stop, vm->run->s.regs.regs.rip, addr, SEGV_ACCERR, "memory fault");
                return 0;
            }
            return kvm_fail(err, "run vCPU");
        }
        struct kvm_run *run = vm->run;
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            return decode_io(vm, stop, err);
        case KVM_EXIT_SHUTDOWN:
            segv(stop, run->s.regs.regs.rip, 0, SI_KERNEL, "triple fault");
            return 0;
        case KVM_EXIT_HLT:
        case KVM_EXIT_MMIO:
        case KVM_EXIT_DEBUG:
            segv(stop, run->s.regs.regs.rip, 0, SI_KERNEL, "unexpected exit");
            return 0;
        case KVM_EXIT_INTR:
            continue;
        case KVM_EXIT_INTERNAL_ERROR:
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: vCPU internal error (suberror %u)",
                            run->internal.suberror);
        case KVM_EXIT_FAIL_ENTRY:
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: vCPU entry failed (reason %#llx)",
                            (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        default:
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: unexpected exit %u", run->exit_reason);
        }
    }
}

void vj_vm_syscall_return(struct vj_vm *vm, int64_t ret)
{
    struct kvm_regs *r = &vm->run->s.regs.regs;
    r->rax = (uint64_t)ret;
    if (vm->host_kind == VJ_HOST_CPL3) {
        /* syscall stayed at CPL3: resume the payload here, as sysretq would. */
        r->rip = r->rcx;
        r->rflags = (r->r11 & VJ_RFLAGS_USER) | VJ_RFLAGS_FIXED | VJ_RFLAGS_IF;
    }
    vm->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
}

int vj_vm_set_tls_base(struct vj_vm *vm, bool gs, uint64_t base, vmjail_error **err)
{
    uint32_t idx = gs ? MSR_GS_BASE : MSR_FS_BASE;
    if (set_msrs(vm, &idx, &base, 1) < 0)
        return kvm_fail(err, "set TLS base");
    return 0;
}

int vj_vm_get_tls_base(struct vj_vm *vm, bool gs, uint64_t *base, vmjail_error **err)
{
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e;
    } m;
    memset(&m, 0, sizeof m);
    m.h.nmsrs = 1;
    m.e.index = gs ? MSR_GS_BASE : MSR_FS_BASE;
    if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &m) != 1)
        return kvm_fail(err, "get TLS base");
    *base = m.e.data;
    return 0;
}
