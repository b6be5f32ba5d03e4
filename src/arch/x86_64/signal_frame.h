/* signal_frame.h: Linux's x86-64 signal frame (struct rt_sigframe with the XSAVE
 * state after it) built on the payload's stack for a handler, and read back by rt_sigreturn. */
#ifndef VJ_SIGNAL_FRAME_X86_64_H
#define VJ_SIGNAL_FRAME_X86_64_H

#include <signal.h>
#include <stdint.h>

#include "monitor/proc.h"
#include "monitor/signal.h"

/* Build the frame for signal SIGNO (siginfo INFO, action KA) of thread T interrupted with
 * registers REGS, on the stack Linux would use (the alternate stack for SA_ONSTACK), saving
 * SAVED_MASK; on success REGS become the handler's entry registers and the vCPU's FPU state is
 * reset for the handler.  Returns 0, -EFAULT if the frame cannot be written (the caller
 * forces SIGSEGV), or -1 for a monitor failure (*ERR set). */
int vj_x86_setup_rt_frame(struct vj_thread *t, struct vj_user_regs *regs, int signo,
                          const siginfo_t *info, const struct vj_ksigaction *ka,
                          uint64_t saved_mask, vmjail_error **err);

/* rt_sigreturn for thread T, stopped at the syscall with user registers REGS: read the frame
 * below REGS->rsp, validate it, load the FPU state from it and return the registers, mask and
 * alternate stack it saved.  Returns 0 or -EFAULT for a bad frame (the caller forces SIGSEGV);
 * the FPU state is changed only on success.  Returns -1 for a monitor failure. */
int vj_x86_rt_sigreturn(struct vj_thread *t, struct vj_user_regs *regs, uint64_t *mask,
                        stack_t *altstack, vmjail_error **err);

#endif
