/* guest_fastcall.S: the guest side of the fast syscall path: a patched syscall site jumps
 * here (through its trampoline) to post its call in this vCPU's slot, where a monitor thread
 * serves it while this code spins; no VM exit.  Calls the monitor does not serve this way
 * (not in the bitmap) go straight to the site's syscall instruction.  The monitor copies the code to the low window
 * at VJ_LOW_VA + VJ_LOW_FAST_CODE; offsets and slot layout come from vmjail_abi.h.
 *
 * Entry (VJ_LOW_FAST_ENTRY): eax = the syscall number, rcx = the address after the site's syscall instruction,
 * the arguments in rdi rsi rdx r10 r8 r9, r11 free (a syscall clobbers rcx and r11 too).
 * Every other register is kept.  Where the call cannot be served here, the code makes it at
 * the site's own syscall instruction (rcx - 2), which the patch leaves in place.  The monitor
 * tells from the labels below how far a vCPU it stopped in here has come (fastcall.c). */
#include "vmjail_abi.h"

        .section .rodata.vj_fastcall, "a"
        .balign 64
        .globl vj_fastcall_image
        .hidden vj_fastcall_image
vj_fastcall_image:
        /* VJ_LOW_FAST_BITMAP: the calls the monitor's pollers serve (the monitor fills it). */
        .fill VJ_FAST_MAX_NR / 8, 1, 0
        .org VJ_LOW_FAST_ENTRY
        .globl vj_fastcall_code
        .hidden vj_fastcall_code
vj_fastcall_code:
        cmp $(VJ_FAST_MAX_NR - 1), %rax
        ja .Lsite
        btq %rax, vj_fastcall_image(%rip)
        jnc .Lsite
        /* TSC_AUX: this vCPU's index.  Where rdpid does not read the vCPU's own TSC_AUX, the
         * monitor replaces it with rdgsbase %r11 (where the GS base is the vCPU's index, as
         * the monitor keeps it while the payload has not set its own) or with xor %r11,%r11
         * (slot 0: then it serves one-vCPU processes only).  The payload can write its GS
         * base (wrgsbase): an index past the slots makes the call at the site. */
        .globl vj_fastcall_rdpid
        .hidden vj_fastcall_rdpid
vj_fastcall_rdpid:
        rdpid %r11
        cmp $((VJ_LOW_FAST_SLOTS_SIZE >> VJ_FAST_SLOT_SHIFT) - 1), %r11
        ja .Lsite
        shl $VJ_FAST_SLOT_SHIFT, %r11d
        add $(VJ_LOW_VA + VJ_LOW_FAST_SLOTS), %r11d
        mov %rax, VJ_FS_NR(%r11)
        mov %rdi, VJ_FS_ARGS(%r11)
        mov %rsi, VJ_FS_ARGS + 8(%r11)
        mov %rdx, VJ_FS_ARGS + 16(%r11)
        mov %r10, VJ_FS_ARGS + 24(%r11)
        mov %r8, VJ_FS_ARGS + 32(%r11)
        mov %r9, VJ_FS_ARGS + 40(%r11)
        movl $VJ_FAST_SPIN, VJ_FS_SPIN(%r11)
        mov %rcx, VJ_FS_RCX(%r11)
        /* From here to vj_fastcall_posted rax and rcx may hold other values: the number and
         * the return address are in the slot. */
        .globl vj_fastcall_saved
        .hidden vj_fastcall_saved
vj_fastcall_saved:
        /* Post only if a poller watches the slot and nothing else is in it: state exactly
         * AWAKE becomes AWAKE|REQ (a sleeping poller makes the same change, AWAKE to 0, with
         * a compare-and-swap: one of the two wins). */
        mov $VJ_FAST_AWAKE, %eax
        mov $(VJ_FAST_AWAKE | VJ_FAST_REQ), %ecx
        lock cmpxchg %ecx, VJ_FS_STATE(%r11)
        mov VJ_FS_RCX(%r11), %rcx
        jne .Lnotposted
        .globl vj_fastcall_posted
        .hidden vj_fastcall_posted
vj_fastcall_posted:
.Lspin:
        pause
        testb $VJ_FAST_DONE, VJ_FS_STATE(%r11)
        jnz .Ldone
        decl VJ_FS_SPIN(%r11)
        jnz .Lspin
.Lwait:
        /* Served slowly, or signals are pending: wait for the answer in the monitor. */
        mov $VJ_NR_FAST_WAIT, %eax
        lea -2(%rcx), %r11
        jmp *%r11
.Ldone:
        testb $VJ_FAST_EXIT, VJ_FS_STATE(%r11)
        jnz .Lwait
        mov VJ_FS_RET(%r11), %rax
        lock andl $~(VJ_FAST_REQ | VJ_FAST_DONE), VJ_FS_STATE(%r11)
        .globl vj_fastcall_consumed
        .hidden vj_fastcall_consumed
vj_fastcall_consumed:
        jmp *%rcx
        .globl vj_fastcall_notposted
        .hidden vj_fastcall_notposted
vj_fastcall_notposted:
.Lnotposted:
        /* No poller ready: make the call at the site. */
        mov VJ_FS_NR(%r11), %rax
        .globl vj_fastcall_site
        .hidden vj_fastcall_site
vj_fastcall_site:
.Lsite:
        lea -2(%rcx), %r11
        jmp *%r11
        .globl vj_fastcall_code_end
        .hidden vj_fastcall_code_end
vj_fastcall_code_end:

        .section .note.GNU-stack, "", @progbits
