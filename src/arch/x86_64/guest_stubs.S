/* guest_stubs.S: the guest-resident stub page: the syscall entry, the host probe and the
 * exception stubs.  The monitor copies this page into the guest at VJ_MONITOR_VA + VJ_MON_STUBS;
 * offsets come from vmjail_abi.h. */
#include "vmjail_abi.h"

        .section .rodata.vj_guest_stubs, "a"
        .balign 4096
        .globl vj_guest_stubs
        .hidden vj_guest_stubs
vj_guest_stubs:
        /* LSTAR target.  The OUT exits to the monitor, which performs the call.  Where syscall
         * entered CPL0 (VMX/SVM) the monitor sets only rax and sysretq returns; where syscall
         * stays at CPL3 (PVM) the monitor itself resumes at rcx with r11's flags. */
        .org VJ_STUB_SYSCALL
        out %al, $VJ_PORT_SYSCALL
        sysretq
        ud2

        /* Start-up probe: executed once at CPL3; the monitor looks at the CPL of the exit and
         * at rax (does rdpid read the TSC_AUX it set?). */
        .org VJ_STUB_PROBE
        rdpid %rax
        syscall
        ud2
        .org VJ_STUB_PROBE_PLAIN
        syscall
        ud2
        /* Tried first: does rdgsbase run at CPL3 and read the GS base the monitor set? */
        .org VJ_STUB_PROBE_GS
        rdgsbase %rdx
        rdpid %rax
        syscall
        ud2
        /* Where rdpid faults (CPUs before Ice Lake and Zen 2, QEMU's TCG): rdgsbase alone. */
        .org VJ_STUB_PROBE_GS_PLAIN
        rdgsbase %rdx
        syscall
        ud2

        /* One stub per exception vector, reached through an IDT interrupt gate at CPL0 on the
         * IST1 stack.  The port names the vector; the frame is on the IST stack.  If the
         * monitor resumes the vCPU after serving a fault, the stub drops the error code and
         * returns to the faulting instruction. */
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .org VJ_STUB_EXC + \v * VJ_STUB_EXC_STRIDE
        out %al, $(VJ_PORT_EXC_BASE + \v)
        .if \v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30
        add $8, %rsp
        .endif
        iretq
        .endr

        .org VJ_PAGE_SIZE, 0xcc
        .globl vj_guest_stubs_end
        .hidden vj_guest_stubs_end
vj_guest_stubs_end:

        .section .note.GNU-stack, "", @progbits
