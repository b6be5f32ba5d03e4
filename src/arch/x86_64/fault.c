/* fault.c: maps x86-64 exceptions to the signals Linux sends for them. */
#include "arch/x86_64/fault.h"

#include <signal.h>

int vj_x86_vector_has_error_code(int vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
           vector == 29 || vector == 30;
}

void vj_x86_fault_from_exception(int vector, uint64_t error_code, uint64_t cr2, uint64_t pc,
                                 struct vj_fault *f)
{
    /* Every field: the caller's struct is not cleared (its flags were left as the stack had
     * them, and a set code_unknown rewrote a breakpoint's SI_KERNEL as SEGV_MAPERR). */
    *f = (struct vj_fault){.vector = vector, .error_code = error_code, .pc = pc, .addr = pc};
    switch (vector) {
    case 0:
        f->signo = SIGFPE, f->code = FPE_INTDIV, f->what = "divide error";
        break;
    case 1:
        f->signo = SIGTRAP, f->code = TRAP_TRACE, f->what = "debug exception";
        break;
    case 3:
        f->signo = SIGTRAP, f->code = SI_KERNEL, f->what = "breakpoint", f->addr = 0;
        break;
    case 6:
        f->signo = SIGILL, f->code = ILL_ILLOPN, f->what = "invalid opcode";
        break;
    case 7:
    case 16:
        f->signo = SIGFPE, f->code = FPE_FLTINV, f->what = "x87 floating-point exception";
        break;
    case 19:
        f->signo = SIGFPE, f->code = FPE_FLTINV, f->what = "SIMD floating-point exception";
        break;
    case 11:
    case 12:
        f->signo = SIGBUS, f->code = SI_KERNEL, f->what = "segment fault", f->addr = 0;
        break;
    case 17:
        f->signo = SIGBUS, f->code = BUS_ADRALN, f->what = "alignment check", f->addr = 0;
        break;
    case 14:
        f->signo = SIGSEGV;
        f->code = (error_code & 1) ? SEGV_ACCERR : SEGV_MAPERR;
        f->what = "page fault";
        f->addr = cr2;
        break;
    case 13:
        f->signo = SIGSEGV, f->code = SI_KERNEL, f->what = "general protection fault", f->addr = 0;
        break;
    default:
        f->signo = SIGSEGV, f->code = SI_KERNEL, f->what = "exception", f->addr = 0;
        break;
    }
}

int vj_x86_idt_gate_dpl(int vector)
{
    return vector == 3 || vector == 4 ? 3 : 0;
}

int vj_x86_int_n_vector(const uint8_t insn[2], uint64_t *ec, uint64_t *advance)
{
    *advance = 0;
    if (insn[0] != 0xcd)
        return 6;
    if (vj_x86_idt_gate_dpl(insn[1]) == 3) {
        *advance = 2;
        return insn[1];
    }
    *ec = (uint64_t)insn[1] * 8 + 2; /* IDT entry, external bit clear */
    return 13;
}
