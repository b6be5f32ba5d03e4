/* vcpu_x86_64.c: vCPUs on Linux KVM for x86-64: their state, the host probe, running
 * them, and decoding their exits into syscalls and faults. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fault.h"
#include "host/kvm/kvm_x86_64.h"
#include "lib/error.h"
#include "vmjail_abi.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_WP 0x10000ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define CR4_OSFXSR 0x200ULL
#define CR4_OSXMMEXCPT 0x400ULL
#define CR4_FSGSBASE 0x10000ULL
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

/* Where a stop left the vCPU (struct vj_vcpu.at), which says where the payload's registers
 * are. */
enum {
    VJ_AT_USER = 0,      /* at CPL3 in payload code: the registers are the payload's */
    VJ_AT_SYSCALL = 1,   /* in the syscall stub: the payload resumes at rcx with r11's flags */
    VJ_AT_EXCEPTION = 2, /* in an exception stub at CPL0: rip, rflags, rsp are in the frame */
    VJ_AT_STUB = 3,      /* interrupted inside the stubs: no user context to take */
};

/* KVM_GET_MSRS or KVM_SET_MSRS (REQ) on N <= 8 MSRs: INDEX[i] and VALUE[i]; a get fills
 * VALUE.  Returns 0, or -1 with errno set. */
static int msr_access(struct vj_vcpu *c, unsigned long req, const uint32_t *index,
                      uint64_t *value, int n)
{
    union {
        struct kvm_msrs h;
        uint8_t room[sizeof(struct kvm_msrs) + 8 * sizeof(struct kvm_msr_entry)];
    } m;
    memset(&m, 0, sizeof m);
    m.h.nmsrs = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        m.h.entries[i].index = index[i];
        m.h.entries[i].data = value[i];
    }
    int r = ioctl(c->fd, req, &m);
    if (r != n) {
        if (r >= 0)
            errno = EINVAL;
        return -1;
    }
    for (int i = 0; req == KVM_GET_MSRS && i < n; i++)
        value[i] = m.h.entries[i].data;
    return 0;
}

void vj_kvm_user_sregs(struct kvm_sregs *s, uint64_t pml4, bool fsgsbase)
{
    memset(s, 0, sizeof *s);
    s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    /* FSGSBASE where the CPUID the guest sees has it (KVM refuses the bit otherwise), as
     * Linux enables it: rdgsbase then finds a vCPU's fast-call slot on hosts without RDPID,
     * and a payload that reads the CPUID and runs rdfsbase does not fault. */
    s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE | (fsgsbase ? CR4_FSGSBASE : 0);
    s->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    s->cr3 = pml4;
    s->gdt.base = VJ_MONITOR_VA + VJ_MON_GDT;
    s->gdt.limit = VJ_GDT_ENTRIES * 8 - 1;
    s->idt.base = VJ_MONITOR_VA + VJ_MON_IDT;
    s->idt.limit = VJ_EXC_VECTORS * 16 - 1;
    struct kvm_segment cs = {.base = 0, .limit = 0xffffffff, .selector = VJ_SEL_USER_CS,
                             .type = 11, .present = 1, .dpl = 3, .db = 0, .s = 1, .l = 1, .g = 1};
    struct kvm_segment ds = {.base = 0, .limit = 0xffffffff, .selector = VJ_SEL_USER_DS,
                             .type = 3, .present = 1, .dpl = 3, .db = 1, .s = 1, .l = 0, .g = 1};
    s->cs = cs;
    s->ds = s->es = s->fs = s->gs = s->ss = ds;
    struct kvm_segment tr = {.base = VJ_MONITOR_VA + VJ_MON_TSS, .limit = VJ_MON_TSS_LIMIT,
                             .selector = VJ_SEL_TSS, .type = 11, .present = 1, .s = 0};
    s->tr = tr;
    struct kvm_segment ldt = {.selector = 0, .type = 2, .present = 1, .unusable = 1};
    s->ldt = ldt;
    s->apic_base = 0xfee00900; /* BSP, enabled: KVM's default */
}

_Static_assert(VJ_MAX_VCPUS <= VJ_VCPU_TSS_COUNT, "a TSS for every vCPU");
_Static_assert(VJ_MON_VCPU_TSS % VJ_PAGE_SIZE == 0, "per-vCPU TSS area page aligned");

/* Whether vCPU C has a TSS (and exception stack) of its own (arch/x86_64/cpu.h). */
static bool own_tss(const struct vj_vcpu *c)
{
    return c->vm->host_kind == VJ_HOST_SYSRET && c->id > 0;
}

/* The user-mode special registers for vCPU C: the VM's, with C's own TSS where it has one
 * (the CPU uses TR's cached base; nothing in the guest reloads TR from the GDT). */
static struct kvm_sregs vcpu_sregs(const struct vj_vcpu *c)
{
    struct kvm_sregs s = c->vm->user_sregs;
    if (own_tss(c)) {
        s.tr.base = VJ_GVA_VCPU_TSS(c->id);
        s.tr.limit = VJ_VCPU_TSS_LIMIT;
    }
    return s;
}

/* A new vCPU's state: each ioctl costs an exit to the outer hypervisor on a nested host, so
 * there are as few as the API allows (a fork's child makes five). */
static int setup_vcpu(struct vj_vcpu *c, uint64_t fs, uint64_t gs, const struct vj_fpu *fpu,
                      vmjail_error **err)
{
    struct vj_vm *vm = c->vm;
    if (ioctl(c->fd, KVM_SET_CPUID2, vm->cpuid) < 0)
        return vj_kvm_fail(err, "set CPUID");
    struct kvm_xcrs xcrs;
    memset(&xcrs, 0, sizeof xcrs);
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = vm->xcr0;
    if (ioctl(c->fd, KVM_SET_XCRS, &xcrs) < 0)
        return vj_kvm_fail(err, "set XCR0");
    /* A new vCPU has no pending interrupt; its APIC base is KVM's default for its id, known
     * without asking for vCPU 0 once seen (a fork's child makes only vCPU 0). */
    struct kvm_sregs u = vcpu_sregs(c);
    if (c->id == 0 && vm->apic_base0 != 0) {
        u.apic_base = vm->apic_base0;
    } else {
        struct kvm_sregs s;
        if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
            return vj_kvm_fail(err, "get special registers");
        u.apic_base = s.apic_base;
        memcpy(u.interrupt_bitmap, s.interrupt_bitmap, sizeof u.interrupt_bitmap);
        if (c->id == 0)
            vm->apic_base0 = s.apic_base;
    }
    if (ioctl(c->fd, KVM_SET_SREGS, &u) < 0)
        return vj_kvm_fail(err, "set special registers");
    if (fpu && ioctl(c->fd, KVM_SET_XSAVE, fpu) < 0)
        return vj_kvm_fail(err, "set FPU state");
    if (vj_kvm_gs_holds_index(vm))
        gs = (uint64_t)c->id;

    /* TSC_AUX: the fast-call code finds its slot with rdpid (where the probe found it). */
    static const uint32_t idx[] = {MSR_STAR,    MSR_LSTAR,   MSR_CSTAR,          MSR_SFMASK,
                                   MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_TSC_AUX};
    uint64_t val[] = {
        ((uint64_t)(VJ_SEL_USER_CS32 & ~3) << 48) | ((uint64_t)VJ_SEL_KERNEL_CS << 32),
        VJ_GVA_STUB(VJ_STUB_SYSCALL),
        VJ_GVA_STUB(VJ_STUB_SYSCALL + 5), /* 32-bit syscall: lands on ud2 */
        VJ_SYSCALL_FMASK, fs, gs, 0, (uint64_t)c->id};
    if (msr_access(c, KVM_SET_MSRS, idx, val, vm->rdpid ? 8 : 7) < 0)
        return vj_kvm_fail(err, "set syscall MSRs");
    return 0;
}

int vj_kvm_vcpu_new(struct vj_vm *vm, uint64_t fs, uint64_t gs, const struct vj_fpu *fpu,
                    struct vj_vcpu **out, vmjail_error **err)
{
    struct vj_vcpu *c = calloc(1, sizeof *c);
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "allocate a vCPU");
    c->vm = vm;
    pthread_mutex_lock(&vm->lock);
    if (vm->nvcpus == VJ_MAX_VCPUS) {
        pthread_mutex_unlock(&vm->lock);
        free(c);
        return vj_error(err, VMJAIL_ERR_INTERNAL, EAGAIN, "too many vCPUs");
    }
    c->id = vm->nvcpus;
    c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)c->id);
    if (c->fd < 0) {
        pthread_mutex_unlock(&vm->lock);
        free(c);
        return vj_kvm_fail(err, "create vCPU");
    }
    c->fd = vj_kvm_own_fd(vm, c->fd);
    vm->vcpus[vm->nvcpus++] = c; /* owned by the VM from here on, freed with it */
    pthread_mutex_unlock(&vm->lock);
    c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (c->run == MAP_FAILED) {
        c->run = NULL;
        return vj_kvm_fail(err, "map the vCPU run area");
    }
    if (setup_vcpu(c, fs, gs, fpu, err) < 0)
        return -1;
    /* The guest's TSC is the host's, for the host's vDSO (vdso_x86_64.c): decided at the
     * first vCPU, then required of every other.  The offset is set only where it is not 0
     * already (on the development host, setting it makes the first run a millisecond
     * slower). */
    uint64_t offset = 1;
    struct kvm_device_attr tsc = {.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
                                  .addr = (uint64_t)(uintptr_t)&offset};
    bool same = ioctl(c->fd, KVM_GET_DEVICE_ATTR, &tsc) == 0 &&
                (offset == 0 || (offset = 0, ioctl(c->fd, KVM_SET_DEVICE_ATTR, &tsc) == 0));
    if (c->id == 0)
        vm->tsc_host = same;
    else if (vm->tsc_host && !same)
        return vj_kvm_fail(err, "set the vCPU's TSC offset");
    c->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    *out = c;
    return 0;
}

void vj_kvm_vcpu_free(struct vj_vcpu *c)
{
    if (c->run)
        munmap(c->run, c->vm->run_size);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* Run the probe stub at STUB on vCPU C (user mode, fresh registers); true if it reached
 * the syscall stub's exit. */
static int run_probe(struct vj_vcpu *c, uint64_t stub, vmjail_error **err)
{
    struct kvm_regs regs = {.rip = VJ_GVA_STUB(stub), .rflags = VJ_RFLAGS_FIXED | VJ_RFLAGS_IF};
    if (ioctl(c->fd, KVM_SET_REGS, &regs) < 0)
        return vj_kvm_fail(err, "set registers");
    if (ioctl(c->fd, KVM_RUN, NULL) < 0)
        return vj_kvm_fail(err, "run the host probe");
    return c->run->exit_reason == KVM_EXIT_IO && c->run->io.port == VJ_PORT_SYSCALL;
}

/* After a probe run: complete the pending port I/O so that the next run does not replay it,
 * then restore user mode (keeping the GS base the probe set: the next probe reads it). */
static int end_probe(struct vj_vcpu *c, vmjail_error **err)
{
    c->run->immediate_exit = 1;
    ioctl(c->fd, KVM_RUN, NULL);
    c->run->immediate_exit = 0;
    struct kvm_sregs s = vcpu_sregs(c), cur;
    if (ioctl(c->fd, KVM_GET_SREGS, &cur) < 0)
        return vj_kvm_fail(err, "get special registers");
    s.apic_base = cur.apic_base;
    s.gs.base = cur.gs.base;
    if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
        return vj_kvm_fail(err, "set special registers");
    return 0;
}

int vj_kvm_probe_host(struct vj_vcpu *c, vmjail_error **err)
{
    /* A CPL3 syscall into the stub: the CPL at the stub's exit tells how this host completes
     * a ring-3 syscall.  Before it, rdgsbase and rdpid: the fast syscall path finds a vCPU's
     * slot with rdpid (its TSC_AUX) or else rdgsbase (its GS base).  Some hosts run these
     * natively without saying so in CPUID (rdpid then reads the host CPU's number); others
     * fault: each probe is tried in turn (rdgsbase with rdpid, rdpid, rdgsbase alone), down to
     * a plain syscall.  (rdgsbase runs where the guest's CR4 enables FSGSBASE, which it does
     * where the CPUID has it, or where the host lets user code run it whatever the guest's
     * CR4 says, as PVM does.) */
    static const uint32_t idx[2] = {MSR_TSC_AUX, MSR_GS_BASE};
    uint64_t magic[2] = {VJ_PROBE_TSC_AUX, VJ_PROBE_TSC_AUX}, zero[2] = {0, 0};
    bool set = msr_access(c, KVM_SET_MSRS, idx, magic, 2) == 0;
    static const uint64_t stubs[] = {VJ_STUB_PROBE_GS, VJ_STUB_PROBE, VJ_STUB_PROBE_GS_PLAIN,
                                     VJ_STUB_PROBE_PLAIN};
    int reached = 0;
    for (size_t i = set ? 0 : 3; i < sizeof stubs / sizeof stubs[0] && !reached; i++) {
        if (i > 0 && set && end_probe(c, err) < 0) /* after a probe that faulted */
            return -1;
        if ((reached = run_probe(c, stubs[i], err)) < 0)
            return -1;
        if (reached && stubs[i] != VJ_STUB_PROBE_PLAIN) {
            const struct kvm_regs *r = &c->run->s.regs.regs;
            c->vm->rdpid = stubs[i] != VJ_STUB_PROBE_GS_PLAIN && r->rax == VJ_PROBE_TSC_AUX;
            c->vm->gs_index = (stubs[i] == VJ_STUB_PROBE_GS || stubs[i] == VJ_STUB_PROBE_GS_PLAIN) &&
                              r->rdx == VJ_PROBE_TSC_AUX;
        }
    }
    if (!reached)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "KVM: host probe: unexpected exit %u (port %#x)", c->run->exit_reason,
                        c->run->exit_reason == KVM_EXIT_IO ? c->run->io.port : 0);
    struct kvm_sregs s;
    if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
        return vj_kvm_fail(err, "get special registers");
    c->vm->host_kind = s.cs.dpl == 0 ? VJ_HOST_SYSRET : VJ_HOST_CPL3;
    if (end_probe(c, err) < 0)
        return -1;
    if (c->vm->rdpid)
        c->vm->gs_index = false; /* rdpid is used where it works */
    /* The probe's values back: TSC_AUX 0 (setup_vcpu sets it where rdpid is used), the GS
     * base the vCPU's index where it holds it. */
    zero[1] = c->vm->gs_index ? (uint64_t)c->id : 0;
    if (set && msr_access(c, KVM_SET_MSRS, idx, zero, 2) < 0)
        return vj_kvm_fail(err, "set TSC_AUX");
    return 0;
}

int vj_kvm_vcpu_start(struct vj_vcpu *c, uint64_t entry, uint64_t sp, vmjail_error **err)
{
    struct kvm_regs regs = {.rip = entry, .rsp = sp, .rflags = VJ_RFLAGS_FIXED | VJ_RFLAGS_IF};
    if (ioctl(c->fd, KVM_SET_REGS, &regs) < 0)
        return vj_kvm_fail(err, "set registers");
    c->run->kvm_dirty_regs = 0;
    return 0;
}

int vj_kvm_vcpu_start_clone(struct vj_vcpu *child, struct vj_vcpu *parent, uint64_t sp,
                            bool set_tls, uint64_t tls, vmjail_error **err)
{
    /* The parent is stopped at its syscall: continue where the syscall returns to. */
    struct kvm_regs r = parent->run->s.regs.regs;
    r.rip = r.rcx;
    r.rflags = (r.r11 & VJ_RFLAGS_USER) | VJ_RFLAGS_FIXED | VJ_RFLAGS_IF;
    r.rax = 0;
    if (sp)
        r.rsp = sp;
    uint64_t fs = tls, gs = 0;
    if ((!set_tls && vj_kvm_vcpu_get_tls_base(parent, false, &fs, err) < 0) ||
        vj_kvm_vcpu_get_tls_base(parent, true, &gs, err) < 0)
        return -1;
    if (vj_kvm_gs_holds_index(child->vm))
        gs = (uint64_t)child->id; /* the GS base holds the vCPU's index (fast path) */
    struct kvm_xsave *xs = malloc(sizeof *xs);
    if (xs == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "FPU state");
    int ok = ioctl(parent->fd, KVM_GET_XSAVE, xs) == 0 && ioctl(child->fd, KVM_SET_XSAVE, xs) == 0;
    free(xs);
    if (!ok)
        return vj_kvm_fail(err, "copy FPU state");
    struct kvm_sregs s = vcpu_sregs(child), cur;
    if (ioctl(child->fd, KVM_GET_SREGS, &cur) < 0)
        return vj_kvm_fail(err, "get special registers");
    s.apic_base = cur.apic_base;
    if (ioctl(child->fd, KVM_SET_SREGS, &s) < 0 || ioctl(child->fd, KVM_SET_REGS, &r) < 0)
        return vj_kvm_fail(err, "set registers");
    child->run->kvm_dirty_regs = 0;
    child->run->immediate_exit = 0;
    if (vj_kvm_vcpu_set_tls_base(child, false, fs, err) < 0 ||
        vj_kvm_vcpu_set_tls_base(child, true, gs, err) < 0)
        return -1;
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

/* PVM raises #UD for an `int n` at CPL3 where hardware raises #GP (the gate's DPL is 0) or,
 * through the DPL3 gates of #BP and #OF, traps.  Returns the vector hardware would have
 * raised for the #UD at *PC; for a trap, *PC moves past the instruction, as hardware's return
 * address would be, in the exception frame FRAME too. */
static int software_interrupt_vector(struct vj_vcpu *c, uint64_t *pc, uint64_t *ec,
                                     uint64_t frame)
{
    uint8_t insn[2];
    if (*pc < VJ_GUEST_MIN || *pc > c->vm->mem_size - sizeof insn)
        return 6;
    struct iovec local = {insn, sizeof insn}, remote = {c->vm->mem + *pc, sizeof insn};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)sizeof insn)
        return 6;
    uint64_t advance;
    int vector = vj_x86_int_n_vector(insn, ec, &advance);
    if (advance) {
        *pc += advance;
        memcpy(c->vm->mon + (frame - VJ_MONITOR_VA), pc, sizeof *pc); /* the frame's rip */
    }
    return vector;
}

/* An exception stub exited: decode the CPU's frame from the exception stack. */
static int decode_exception(struct vj_vcpu *c, int vector, struct vj_stop *stop,
                            vmjail_error **err)
{
    const struct kvm_regs *r = &c->run->s.regs.regs;
    uint64_t rsp = r->rsp;
    uint64_t lo = VJ_MONITOR_VA + VJ_MON_STACK_LO, hi = VJ_MONITOR_VA + VJ_MON_STACK_HI;
    if (own_tss(c)) {
        lo = VJ_GVA_VCPU_TSS(c->id) + VJ_VCPU_TSS_STACK_LO;
        hi = VJ_GVA_VCPU_TSS(c->id) + VJ_VCPU_TSS_STACK_HI;
    }
    int has_ec = vj_x86_vector_has_error_code(vector);
    uint64_t need = (uint64_t)(5 + has_ec) * 8;
    if (rsp < lo || rsp > hi - need)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "exception %d with a broken frame", vector);
    uint64_t frame[6];
    memcpy(frame, c->vm->mon + (rsp - VJ_MONITOR_VA), need);
    uint64_t ec = has_ec ? frame[0] : 0;
    uint64_t pc = frame[has_ec], cs = frame[has_ec + 1];
    uint64_t cr2 = 0;
    if (vector == 14) {
        struct kvm_sregs s;
        if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
            return vj_kvm_fail(err, "get special registers");
        cr2 = s.cr2;
    }
    if (vector == 6 && (cs & 3) == 3)
        vector = software_interrupt_vector(c, &pc, &ec, rsp + (uint64_t)has_ec * 8);
    stop->kind = VJ_STOP_FAULT;
    c->at = VJ_AT_EXCEPTION;
    c->exc_frame = rsp + (uint64_t)has_ec * 8;
    vj_x86_fault_from_exception(vector, ec, cr2, pc, &stop->fault);
    /* A fault at CPL0 (in the stubs) or on code in the monitor region is the payload's doing
     * (it jumped there or handed the stub a bad return address): a segmentation fault, as if
     * the monitor's pages were not there. */
    if ((cs & 3) != 3 || in_monitor(pc))
        segv(stop, pc, pc, SEGV_MAPERR, "fault in the monitor region");
    return 0;
}

static int decode_io(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err)
{
    const struct kvm_regs *r = &c->run->s.regs.regs;
    unsigned port = c->run->io.port;
    if (c->run->io.direction == KVM_EXIT_IO_OUT && port == VJ_PORT_SYSCALL &&
        exit_at(r->rip, VJ_GVA_STUB(VJ_STUB_SYSCALL))) {
        /* IF is clear only when the syscall instruction itself entered the stub. */
        if ((r->rflags & VJ_RFLAGS_IF) || in_monitor(r->rcx)) {
            c->at = VJ_AT_USER; /* payload code that jumped into the stub page, at CPL3 */
            segv(stop, r->rip, 0, SI_KERNEL, "jump into the syscall stub");
            return 0;
        }
        stop->kind = VJ_STOP_SYSCALL;
        c->at = VJ_AT_SYSCALL;
        stop->sc.nr = r->rax;
        stop->sc.arg[0] = r->rdi;
        stop->sc.arg[1] = r->rsi;
        stop->sc.arg[2] = r->rdx;
        stop->sc.arg[3] = r->r10;
        stop->sc.arg[4] = r->r8;
        stop->sc.arg[5] = r->r9;
        return 0;
    }
    if (c->run->io.direction == KVM_EXIT_IO_OUT && port >= VJ_PORT_EXC_BASE &&
        port < VJ_PORT_EXC_BASE + VJ_EXC_VECTORS) {
        int vector = (int)(port - VJ_PORT_EXC_BASE);
        if (exit_at(r->rip, VJ_GVA_EXC_STUB(vector)))
            return decode_exception(c, vector, stop, err);
    }
    /* Port I/O from anywhere else: the payload has no I/O privilege. */
    c->at = VJ_AT_USER;
    segv(stop, r->rip, 0, SI_KERNEL, "port I/O");
    return 0;
}

int vj_kvm_vcpu_run(struct vj_vcpu *c, struct vj_stop *stop, vmjail_error **err)
{
    stop->fault.addr_unknown = false;
    for (;;) {
        int r = ioctl(c->fd, KVM_RUN, NULL);
        /* Payload code unless decoding says otherwise (the registers are synced either way). */
        c->at = in_monitor(c->run->s.regs.regs.rip) ? VJ_AT_STUB : VJ_AT_USER;
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (__atomic_load_n(&c->run->immediate_exit, __ATOMIC_ACQUIRE)) {
                    c->run->immediate_exit = 0;
                    stop->kind = VJ_STOP_INTERRUPT;
                    return 0;
                }
                continue;
            }
            if (errno == EFAULT) {
                /* The payload touched memory the host refuses (inaccessible guest pages). */
                uint64_t addr = 0;
                if (c->run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
                    const struct memory_fault_exit *mf = (const void *)&c->run->hw;
                    addr = mf->gpa;
                }
                segv(stop, c->run->s.regs.regs.rip, addr, SEGV_ACCERR, "memory fault");
                stop->fault.addr_unknown = addr == 0;
                return 0;
            }
            return vj_kvm_fail(err, "run vCPU");
        }
        struct kvm_run *run = c->run;
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            return decode_io(c, stop, err);
        case KVM_EXIT_SHUTDOWN:
            c->at = VJ_AT_STUB; /* the CPU state is gone: a handler cannot run */
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
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: unexpected exit %u",
                            run->exit_reason);
        }
    }
}

void vj_kvm_vcpu_interrupt(struct vj_vcpu *c)
{
    __atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_RELEASE);
}

void vj_kvm_vcpu_syscall_return(struct vj_vcpu *c, int64_t ret)
{
    struct kvm_regs *r = &c->run->s.regs.regs;
    r->rax = (uint64_t)ret;
    if (c->vm->host_kind == VJ_HOST_CPL3 || c->at == VJ_AT_USER) {
        /* syscall stayed at CPL3, or a fast call (at CPL3) completes: resume the payload
         * here, as sysretq would. */
        r->rip = r->rcx;
        r->rflags = (r->r11 & VJ_RFLAGS_USER) | VJ_RFLAGS_FIXED | VJ_RFLAGS_IF;
    }
    c->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
}

uint64_t vj_kvm_vcpu_gs_for_payload(const struct vj_vcpu *c, uint64_t real)
{
    /* (A base the payload wrote itself with wrgsbase is its own.) */
    return vj_kvm_gs_holds_index(c->vm) && real == (uint64_t)c->id ? 0 : real;
}

int vj_kvm_vcpu_set_payload_gs(struct vj_vcpu *c, uint64_t base, bool exec, vmjail_error **err)
{
    struct vj_vm *vm = c->vm;
    if (vm->gs_index) {
        /* exec: the GS base is the monitor's again; else it is the payload's from now on. */
        vm->gs_payload = !exec;
        if (exec)
            base = (uint64_t)c->id;
    }
    return vj_kvm_vcpu_set_tls_base(c, true, base, err);
}

int vj_kvm_vcpu_set_tls_base(struct vj_vcpu *c, bool gs, uint64_t base, vmjail_error **err)
{
    uint32_t idx = gs ? MSR_GS_BASE : MSR_FS_BASE;
    if (msr_access(c, KVM_SET_MSRS, &idx, &base, 1) < 0)
        return vj_kvm_fail(err, "set TLS base");
    return 0;
}

int vj_kvm_vcpu_snapshot(struct vj_vcpu *c, struct vj_vcpu_snapshot *s, vmjail_error **err)
{
    if (!vj_kvm_vcpu_get_user_regs(c, &s->regs))
        return vj_error(err, VMJAIL_ERR_INTERNAL, EAGAIN, "no user context");
    static const uint32_t idx[2] = {MSR_FS_BASE, MSR_GS_BASE};
    uint64_t val[2] = {0, 0};
    if (vj_kvm_vcpu_get_fpu(c, &s->fpu, err) < 0)
        return -1;
    if (msr_access(c, KVM_GET_MSRS, idx, val, 2) < 0)
        return vj_kvm_fail(err, "get TLS bases");
    s->fs_base = val[0];
    s->gs_base = val[1];
    return 0;
}

int vj_kvm_vcpu_get_tls_base(struct vj_vcpu *c, bool gs, uint64_t *base, vmjail_error **err)
{
    uint32_t idx = gs ? MSR_GS_BASE : MSR_FS_BASE;
    *base = 0;
    if (msr_access(c, KVM_GET_MSRS, &idx, base, 1) < 0)
        return vj_kvm_fail(err, "get TLS base");
    return 0;
}

/* ---- the user context ------------------------------------------------------------------ */

static uint64_t user_rflags(uint64_t f)
{
    return (f & VJ_RFLAGS_USER) | VJ_RFLAGS_FIXED | VJ_RFLAGS_IF;
}

/* The CPU's exception frame (rip, cs, rflags, rsp, ss) on the monitor's exception stack. */
static uint64_t *exception_frame(struct vj_vcpu *c)
{
    return (uint64_t *)(void *)(c->vm->mon + (c->exc_frame - VJ_MONITOR_VA));
}

bool vj_kvm_vcpu_get_user_regs(struct vj_vcpu *c, struct vj_user_regs *u)
{
    const struct kvm_regs *r = &c->run->s.regs.regs;
    if (c->at == VJ_AT_STUB)
        return false;
    *u = (struct vj_user_regs){
        .r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12, .r13 = r->r13,
        .r14 = r->r14, .r15 = r->r15, .rdi = r->rdi, .rsi = r->rsi, .rbp = r->rbp, .rbx = r->rbx,
        .rdx = r->rdx, .rax = r->rax, .rcx = r->rcx, .rsp = r->rsp, .rip = r->rip,
        .rflags = r->rflags};
    if (c->at == VJ_AT_SYSCALL) {
        u->rip = r->rcx;
        u->rflags = user_rflags(r->r11);
    } else if (c->at == VJ_AT_EXCEPTION) {
        const uint64_t *f = exception_frame(c);
        u->rip = f[0];
        u->rflags = user_rflags(f[2]);
        u->rsp = f[3];
    }
    return true;
}

int vj_kvm_vcpu_set_user_regs(struct vj_vcpu *c, const struct vj_user_regs *u, vmjail_error **err)
{
    struct kvm_regs *r = &c->run->s.regs.regs;
    uint64_t stub_rsp = r->rsp, stub_rip = r->rip, stub_rflags = r->rflags;
    if (c->at == VJ_AT_SYSCALL && c->vm->host_kind == VJ_HOST_SYSRET) {
        /* At CPL0 in the stub: sysretq cannot restore rcx and r11, so switch to user mode
         * here (the FS and GS bases in the special registers stay as they are). */
        struct kvm_sregs s;
        if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
            return vj_kvm_fail(err, "get special registers");
        s.cs = c->vm->user_sregs.cs;
        s.ss = c->vm->user_sregs.ss;
        if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
            return vj_kvm_fail(err, "set special registers");
    }
    *r = (struct kvm_regs){
        .r8 = u->r8, .r9 = u->r9, .r10 = u->r10, .r11 = u->r11, .r12 = u->r12, .r13 = u->r13,
        .r14 = u->r14, .r15 = u->r15, .rdi = u->rdi, .rsi = u->rsi, .rbp = u->rbp, .rbx = u->rbx,
        .rdx = u->rdx, .rax = u->rax, .rcx = u->rcx, .rsp = u->rsp, .rip = u->rip,
        .rflags = user_rflags(u->rflags)};
    if (c->at == VJ_AT_EXCEPTION) {
        /* The stub returns with iretq: the user's rip, rflags and rsp go into the frame, with
         * user selectors, and the stub keeps its own. */
        uint64_t *f = exception_frame(c);
        f[0] = u->rip;
        f[1] = VJ_SEL_USER_CS;
        f[2] = user_rflags(u->rflags);
        f[3] = u->rsp;
        f[4] = VJ_SEL_USER_DS;
        r->rsp = stub_rsp;
        r->rip = stub_rip;
        r->rflags = stub_rflags;
    } else {
        c->at = VJ_AT_USER;
    }
    c->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
    return 0;
}

void vj_kvm_vcpu_syscall_restart(struct vj_vcpu *c, uint64_t nr)
{
    struct kvm_regs *r = &c->run->s.regs.regs;
    r->rax = nr;
    if (c->vm->host_kind == VJ_HOST_CPL3 || c->at == VJ_AT_USER) {
        r->rip = r->rcx - 2; /* syscall is two bytes */
        r->rflags = user_rflags(r->r11);
    } else {
        r->rcx -= 2; /* sysretq returns there */
    }
    c->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
}

uint64_t vj_kvm_vm_fpu_features(const struct vj_vm *vm)
{
    return vm->xcr0;
}

bool vj_kvm_vm_fpu_component(const struct vj_vm *vm, int i, uint32_t *offset, uint32_t *size)
{
    /* CPUID leaf 0xd sub-leaf i: size (eax) and offset (ebx) of state component i; the
     * offsets are the CPU's (they are not the same everywhere). */
    if (i < 2 || i >= 64 || !(vm->xcr0 & (1ULL << i)))
        return false;
    for (uint32_t k = 0; k < vm->cpuid->nent; k++) {
        const struct kvm_cpuid_entry2 *e = &vm->cpuid->entries[k];
        if (e->function == 0xd && e->index == (uint32_t)i && e->eax &&
            (uint64_t)e->ebx + e->eax <= sizeof(struct vj_fpu)) {
            *offset = e->ebx;
            *size = e->eax;
            return true;
        }
    }
    return false;
}

uint32_t vj_kvm_vm_fpu_size(const struct vj_vm *vm)
{
    uint32_t size = 512 + 64, off, len;
    for (int i = 2; i < 64; i++)
        if (vj_kvm_vm_fpu_component(vm, i, &off, &len) && off + len > size)
            size = off + len;
    return size;
}

int vj_kvm_vcpu_get_fpu(struct vj_vcpu *c, struct vj_fpu *f, vmjail_error **err)
{
    _Static_assert(sizeof(struct vj_fpu) == sizeof(struct kvm_xsave), "XSAVE area size");
    if (ioctl(c->fd, KVM_GET_XSAVE, f) < 0)
        return vj_kvm_fail(err, "get FPU state");
    return 0;
}

int vj_kvm_vcpu_set_fpu(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err)
{
    if (ioctl(c->fd, KVM_SET_XSAVE, f) < 0)
        return vj_kvm_fail(err, "set FPU state");
    return 0;
}

int vj_kvm_vm_own_fd(struct vj_vm *vm, int fd)
{
    return vj_kvm_own_fd(vm, fd);
}

void vj_kvm_vm_disown_fd(struct vj_vm *vm, int fd)
{
    if (fd >= 0 && fd < VJ_FD_BITMAP_BITS)
        __atomic_and_fetch(&vm->owned_fds[fd / 64], ~(1ULL << (fd % 64)), __ATOMIC_RELEASE);
}
