/* signal_frame.c: Linux's x86-64 signal frame, as arch/x86/kernel/signal_64.c and
 * fpu/signal.c build and check it.
 *
 * Below the interrupted stack pointer (less the 128-byte red zone), or at the top of the
 * alternate stack: the XSAVE area (64-byte aligned, standard layout, the software bytes and
 * the closing magic word as Linux writes them), then struct rt_sigframe { pretcode; ucontext;
 * siginfo }, placed so that the handler starts with (rsp + 8) % 16 == 0. */
#include "arch/arch.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "lib/error.h"
#include "monitor/signal.h"

/* The kernel's struct sigcontext (x86-64). */
struct ksigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved1[8];
};

struct kstack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};

struct kucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct kstack uc_stack;
    struct ksigcontext uc_mcontext;
    uint64_t uc_sigmask;
};

struct rt_sigframe {
    uint64_t pretcode;
    struct kucontext uc;
    uint8_t info[128];
};

_Static_assert(sizeof(struct ksigcontext) == 256, "struct sigcontext");
_Static_assert(offsetof(struct rt_sigframe, uc.uc_mcontext) == 48, "uc_mcontext");
_Static_assert(offsetof(struct rt_sigframe, uc.uc_sigmask) == 304, "uc_sigmask");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "siginfo");
_Static_assert(sizeof(struct rt_sigframe) == 440, "struct rt_sigframe");
_Static_assert(sizeof(siginfo_t) == 128, "siginfo_t");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define FXSAVE_SIZE 512
#define XSAVE_HEADER 512 /* offset of the XSAVE header (xstate_bv, xcomp_bv, reserved) */
#define SW_BYTES 464     /* offset of the software-reserved bytes in the FXSAVE area */
#define MXCSR 24
#define FEATURES_FPSSE 0x3ULL

#define RFLAGS_TF 0x100ULL
#define RFLAGS_DF 0x400ULL
#define RFLAGS_RF 0x10000ULL

/* The bytes Linux keeps in the software-reserved part of the FXSAVE area. */
struct fpx_sw_bytes {
    uint32_t magic1;
    uint32_t extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size;
    uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "struct _fpx_sw_bytes");

/* Hardware refuses to enter a guest at a non-canonical RIP; Linux ends such a return to user
 * mode with SIGSEGV. */
static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* The FPU state a handler starts with (Linux's fpu__clear_user_states): x87 control word
 * 0x37f, MXCSR 0x1f80, every register zero, the other components in their initial state. */
static void fpu_init_state(struct vj_fpu *f)
{
    memset(f, 0, sizeof *f);
    uint16_t fcw = 0x37f;
    uint32_t mxcsr = 0x1f80;
    uint64_t bv = FEATURES_FPSSE;
    memcpy(f->area, &fcw, sizeof fcw);
    memcpy(f->area + MXCSR, &mxcsr, sizeof mxcsr);
    memcpy(f->area + XSAVE_HEADER, &bv, sizeof bv);
}

int vj_arch_setup_rt_frame(struct vj_thread *t, struct vj_user_regs *regs, int signo,
                           const siginfo_t *info, const struct vj_ksigaction *ka,
                          uint64_t saved_mask, vmjail_error **err)
{
    struct vj_proc *p = t->proc;
    /* x86-64 frames return through the restorer: glibc and musl always give one. */
    if (!(ka->flags & SA_RESTORER) || !canonical(ka->handler))
        return -EFAULT;

    uint64_t sp = regs->rsp - 128; /* the red zone */
    bool nested = vj_altstack_active(t, regs->rsp), entering = false;
    if ((ka->flags & SA_ONSTACK) && vj_altstack_flags(t, sp) == 0) {
        sp = t->ss_sp + t->ss_size;
        entering = true;
    }
    uint32_t fpsize = vj_vm_fpu_size(p->vm);
    uint64_t buf_fx = (sp - (fpsize + 4)) & ~63ULL;
    uint64_t frame_at = ((buf_fx - sizeof(struct rt_sigframe)) & ~15ULL) - 8;
    /* Overflowing the alternate stack is a bad frame, not a write below it. */
    if ((nested || entering) && !vj_on_altstack(t, frame_at))
        return -EFAULT;
    if (sp > regs->rsp && !entering) /* wrapped below zero */
        return -EFAULT;

    /* The FPU state, as XSAVE and then Linux's save_xstate_epilog leave it. */
    static __thread struct vj_fpu fpu;
    if (vj_vcpu_get_fpu(t->vcpu, &fpu, err) < 0)
        return -1;
    uint64_t features = vj_vm_fpu_features(p->vm);
    struct fpx_sw_bytes sw = {.magic1 = FP_XSTATE_MAGIC1, .extended_size = fpsize + 4,
                              .xfeatures = features, .xstate_size = fpsize};
    memcpy(fpu.area + SW_BYTES, &sw, sizeof sw);
    uint64_t bv;
    memcpy(&bv, fpu.area + XSAVE_HEADER, sizeof bv);
    bv = (bv & features) | FEATURES_FPSSE;
    memcpy(fpu.area + XSAVE_HEADER, &bv, sizeof bv);
    uint32_t magic2 = FP_XSTATE_MAGIC2;

    struct rt_sigframe f;
    memset(&f, 0, sizeof f);
    f.pretcode = ka->restorer;
    f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f.uc.uc_stack = (struct kstack){.ss_sp = t->ss_sp, .ss_flags = t->ss_flags,
                                    .ss_size = t->ss_size};
    struct ksigcontext *sc = &f.uc.uc_mcontext;
    *sc = (struct ksigcontext){
        .r8 = regs->r8, .r9 = regs->r9, .r10 = regs->r10, .r11 = regs->r11, .r12 = regs->r12,
        .r13 = regs->r13, .r14 = regs->r14, .r15 = regs->r15, .rdi = regs->rdi,
        .rsi = regs->rsi, .rbp = regs->rbp, .rbx = regs->rbx, .rdx = regs->rdx,
        .rax = regs->rax, .rcx = regs->rcx, .rsp = regs->rsp, .rip = regs->rip,
        .eflags = regs->rflags, .cs = VJ_SEL_USER_CS, .ss = VJ_SEL_USER_DS,
        .err = t->fault_err, .trapno = t->trapno, .oldmask = saved_mask, .cr2 = t->cr2,
        .fpstate = buf_fx};
    f.uc.uc_sigmask = saved_mask;
    if (ka->flags & SA_SIGINFO)
        memcpy(f.info, info, sizeof f.info);

    if (vj_copy_to_guest(p, buf_fx, fpu.area, fpsize) < 0 ||
        vj_copy_to_guest(p, buf_fx + fpsize, &magic2, sizeof magic2) < 0)
        return -EFAULT;
    if (ka->flags & SA_SIGINFO) {
        if (vj_copy_to_guest(p, frame_at, &f, sizeof f) < 0)
            return -EFAULT;
    } else if (vj_copy_to_guest(p, frame_at, &f, offsetof(struct rt_sigframe, info)) < 0) {
        return -EFAULT;
    }

    /* The handler: handler(signo, &info, &uc), direction, resume and trap flags clear, and a
     * fresh FPU state. */
    fpu_init_state(&fpu);
    if (vj_vcpu_set_fpu(t->vcpu, &fpu, err) < 0)
        return -1;
    regs->rdi = (uint64_t)signo;
    regs->rax = 0;
    regs->rsi = frame_at + offsetof(struct rt_sigframe, info);
    regs->rdx = frame_at + offsetof(struct rt_sigframe, uc);
    regs->rip = ka->handler;
    regs->rsp = frame_at;
    regs->rflags &= ~(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF);
    return 0;
}

/* Load the FPU state saved at guest address FP (0: the initial state), as Linux's
 * fpu__restore_sig does: an XSAVE image if the software bytes and the closing magic word say
 * so, else the legacy FXSAVE area only; anything XRSTOR would fault on is a bad frame. */
static int restore_fpu(struct vj_thread *t, uint64_t fp, vmjail_error **err)
{
    struct vj_proc *p = t->proc;
    static __thread struct vj_fpu img;
    fpu_init_state(&img);
    if (fp == 0)
        return vj_vcpu_set_fpu(t->vcpu, &img, err);
    if (fp & 63)
        return -EFAULT;
    uint8_t legacy[FXSAVE_SIZE];
    if (vj_copy_from_guest(p, legacy, fp, sizeof legacy) < 0)
        return -EFAULT;
    uint32_t mxcsr;
    memcpy(&mxcsr, legacy + MXCSR, sizeof mxcsr);
    if (mxcsr & 0xffff0000U)
        return -EFAULT;
    uint64_t features = vj_vm_fpu_features(p->vm);
    uint32_t fpsize = vj_vm_fpu_size(p->vm);
    struct fpx_sw_bytes sw;
    memcpy(&sw, legacy + SW_BYTES, sizeof sw);
    bool fx_only = sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size < FXSAVE_SIZE + 64 ||
                   sw.xstate_size > fpsize || sw.xstate_size > sw.extended_size;
    uint32_t magic2 = 0;
    if (!fx_only && vj_copy_from_guest(p, &magic2, fp + sw.xstate_size, sizeof magic2) < 0)
        return -EFAULT;
    if (magic2 != FP_XSTATE_MAGIC2)
        fx_only = true;

    memcpy(img.area, legacy, sizeof legacy);
    uint64_t bv = FEATURES_FPSSE;
    if (!fx_only) {
        uint64_t hdr[8];
        if (vj_copy_from_guest(p, hdr, fp + XSAVE_HEADER, sizeof hdr) < 0)
            return -EFAULT;
        /* XRSTOR of the standard form faults on a compacted or reserved header and on
         * components XCR0 does not enable. */
        for (int i = 1; i < 8; i++)
            if (hdr[i])
                return -EFAULT;
        if (hdr[0] & ~features)
            return -EFAULT;
        uint64_t rfbm = sw.xfeatures & features;
        bv = hdr[0] & rfbm;
        for (int i = 2; i < 64; i++) {
            uint32_t off, size;
            if (!(bv & (1ULL << i)) || !vj_vm_fpu_component(p->vm, i, &off, &size))
                continue;
            if (off + size > sw.xstate_size || off + size > sizeof img.area)
                return -EFAULT;
            if (vj_copy_from_guest(p, img.area + off, fp + off, size) < 0)
                return -EFAULT;
        }
        /* MXCSR is loaded whenever SSE or AVX is requested; the x87 and SSE registers only
         * if their bits are set. */
        if (!(bv & 1)) {
            memset(img.area, 0, 24);
            uint16_t fcw = 0x37f;
            memcpy(img.area, &fcw, sizeof fcw);
            memset(img.area + 32, 0, 128);
        }
        if (!(bv & 2))
            memset(img.area + 160, 0, 256);
        bv |= FEATURES_FPSSE;
    }
    memset(img.area + SW_BYTES, 0, sizeof sw);
    memcpy(img.area + XSAVE_HEADER, &bv, sizeof bv);
    memset(img.area + XSAVE_HEADER + 8, 0, 56);
    vmjail_error *e = NULL;
    if (vj_vcpu_set_fpu(t->vcpu, &img, &e) < 0) {
        /* The host refused the image: what XRSTOR would have faulted on. */
        bool bad = vmjail_error_errno(e) == EINVAL;
        if (!bad && err)
            *err = e;
        else
            vmjail_error_free(e);
        return bad ? -EFAULT : -1;
    }
    return 0;
}

int vj_arch_rt_sigreturn(struct vj_thread *t, struct vj_user_regs *regs, uint64_t *mask,
                         stack_t *altstack, vmjail_error **err)
{
    struct rt_sigframe f;
    uint64_t at = regs->rsp - 8; /* the handler's ret popped pretcode */
    if (regs->rsp < 8 ||
        vj_copy_from_guest(t->proc, &f, at, offsetof(struct rt_sigframe, info)) < 0)
        return -EFAULT;
    const struct ksigcontext *sc = &f.uc.uc_mcontext;
    /* Linux returns to the saved CS and SS (with RPL 3): anything but the 64-bit user code
     * segment, or with UC_STRICT_RESTORE_SS a stack segment other than the user's, faults on
     * the way back; without that flag a bad SS is replaced.  Only 64-bit code runs here. */
    if (!canonical(sc->rip) || (sc->cs | 3) != VJ_SEL_USER_CS ||
        ((f.uc.uc_flags & UC_STRICT_RESTORE_SS) && (sc->ss | 3) != VJ_SEL_USER_DS))
        return -EFAULT;
    int r = restore_fpu(t, sc->fpstate, err);
    if (r < 0)
        return r;
    *mask = f.uc.uc_sigmask;
    /* Every general register from the frame; CS and SS are always the user's, RFLAGS keeps
     * only what user code may change (vj_vcpu_set_user_regs). */
    *regs = (struct vj_user_regs){
        .r8 = sc->r8, .r9 = sc->r9, .r10 = sc->r10, .r11 = sc->r11, .r12 = sc->r12,
        .r13 = sc->r13, .r14 = sc->r14, .r15 = sc->r15, .rdi = sc->rdi, .rsi = sc->rsi,
        .rbp = sc->rbp, .rbx = sc->rbx, .rdx = sc->rdx, .rax = sc->rax, .rcx = sc->rcx,
        .rsp = sc->rsp, .rip = sc->rip,
        .rflags = (regs->rflags & ~VJ_RFLAGS_USER) | (sc->eflags & VJ_RFLAGS_USER)};
    altstack->ss_sp = (void *)(uintptr_t)f.uc.uc_stack.ss_sp;
    altstack->ss_flags = f.uc.uc_stack.ss_flags;
    altstack->ss_size = f.uc.uc_stack.ss_size;
    return 0;
}
