/* arch.h: what the generic monitor asks of the CPU architecture: signal frames, the address
 * of a memory fault the host did not report, and the fast syscall path's site patching and
 * guest code.  Declared once here, defined in src/arch/$(ARCH)/ (the Makefile picks the
 * folder); nothing above this header knows an instruction encoding or a frame layout. */
#ifndef VJ_ARCH_H
#define VJ_ARCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/proc.h"

struct vj_ksigaction; /* monitor/signal.h */

/* ---- signal frames (signal_frame.c) ---- */

/* Build the frame for signal SIGNO (siginfo INFO, action KA) of thread T interrupted with
 * registers REGS, on the stack Linux would use (the alternate stack for SA_ONSTACK), saving
 * SAVED_MASK; on success REGS become the handler's entry registers and the vCPU's FPU state is
 * reset for the handler.  Returns 0, -EFAULT if the frame cannot be written (the caller
 * forces SIGSEGV), or -1 for a monitor failure (*ERR set). */
int vj_arch_setup_rt_frame(struct vj_thread *t, struct vj_user_regs *regs, int signo,
                          const siginfo_t *info, const struct vj_ksigaction *ka,
                          uint64_t saved_mask, vmjail_error **err);

/* rt_sigreturn for thread T, stopped at the syscall with user registers REGS: read the frame
 * below REGS->rsp, validate it, load the FPU state from it and return the registers, mask and
 * alternate stack it saved.  Returns 0 or -EFAULT for a bad frame (the caller forces SIGSEGV);
 * the FPU state is changed only on success.  Returns -1 for a monitor failure. */
int vj_arch_rt_sigreturn(struct vj_thread *t, struct vj_user_regs *regs, uint64_t *mask,
                        stack_t *altstack, vmjail_error **err);

/* ---- faults (fault_resolve.c) ---- */

/* The host stopped payload thread T at a memory access it refused without saying which (F:
 * SIGSEGV, no address); R are its registers.  Find the address and code Linux would report
 * (si_addr is CR2's: the first byte the address space does not allow) by decoding the
 * instruction at R->rip; F is left as it is if that fails. */
void vj_arch_resolve_fault(struct vj_thread *t, const struct vj_user_regs *r, struct vj_fault *f);

/* ---- the fast syscall path's patching and guest code (fastcall_site.c) ---- */

/* What the registers held at a syscall stop, for checking that the bytes before the syscall
 * instruction are the instruction they look like. */
struct vj_fast_site_regs {
    uint64_t rax, rdx, rbx, rbp, rsi, rdi, r9; /* rax: the call's number */
    uint64_t stack8;  /* the 8 bytes at rsp + 8, if STACK8_OK */
    bool stack8_ok;
};
/* If the LEN code bytes CODE end with a syscall instruction (at CODE + LEN - 2) that one
 * 5-byte instruction the site can do without precedes (moved into the trampoline), return the
 * offset of that instruction in CODE; else -1.  Pure. */
int vj_fast_site_decode(const uint8_t *code, int len, const struct vj_fast_site_regs *r);
/* Size of one trampoline, and the trampoline for the site whose 5-byte instruction INSN is at
 * SITE, placed at guest address AT and jumping to ENTRY, into OUT; the patch for the site (a
 * jump to AT) into PATCH.  Returns false if SITE and AT are too far apart. */
#define VJ_FAST_TRAMP_SIZE 32
#define VJ_FAST_PATCH_SIZE 5
bool vj_fast_site_build(uint64_t site, const uint8_t insn[VJ_FAST_PATCH_SIZE], uint64_t at,
                        uint64_t entry, uint8_t out[VJ_FAST_TRAMP_SIZE],
                        uint8_t patch[VJ_FAST_PATCH_SIZE]);
/* Where the fast-call code stands at offset OFF (for vj_fast_settle). */
enum vj_fast_point {
    VJ_FAST_BEFORE_POST, /* nothing posted: rax is the number, rcx the return address */
    VJ_FAST_SAVED,       /* posting: posted if the slot has REQ; rax and rcx are in the slot */
    VJ_FAST_POSTED,      /* posted: the call is the poller's */
    VJ_FAST_CONSUMED,    /* answered: rax is the result */
    VJ_FAST_NOT_POSTED,  /* not posted: the number is in the slot, rcx is the return address */
    VJ_FAST_AT_SITE,     /* going to the site's syscall: rax is the number */
    VJ_FAST_OUTSIDE,     /* not in the fast-call code */
};
enum vj_fast_point vj_fast_point_at(uint64_t off);
/* In the copy CODE of the fast-call image (the low window's VJ_LOW_FAST_CODE), make every vCPU
 * use slot 0 (where rdpid does not give the vCPU's index). */
void vj_fast_code_use_slot0(uint8_t *code);
/* ... or to read it from the GS base (where the monitor keeps each vCPU's index there). */
void vj_fast_code_use_gs(uint8_t *code);
/* Copy the fast-call image (its bitmap, then its code) to CODE: the low window's
 * VJ_LOW_FAST_CODE, as the platform maps it. */
void vj_fast_code_install(uint8_t *code);
/* Size of the fast-call code (copied to the low window at VJ_LOW_FAST_CODE). */
uint64_t vj_fast_code_size(void);

#endif
