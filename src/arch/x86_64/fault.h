/* fault.h: what Linux does with each x86-64 exception raised by user code: the signal
 * and si_code it sends. */
#ifndef VJ_FAULT_X86_64_H
#define VJ_FAULT_X86_64_H

#include <stdint.h>

#include "host/vm.h"

/* Fill F for exception VECTOR with ERROR_CODE, raised at PC; CR2 is the faulting address of
 * a page fault. */
void vj_x86_fault_from_exception(int vector, uint64_t error_code, uint64_t cr2, uint64_t pc,
                                 struct vj_fault *f);
/* True if VECTOR pushes an error code. */
int vj_x86_vector_has_error_code(int vector);

/* The DPL of the guest's IDT gate for VECTOR: 3 for #BP and #OF (int3, int $3, int $4 from
 * CPL3 reach them, as on Linux), 0 for every other (int $N from CPL3 raises #GP). */
int vj_x86_idt_gate_dpl(int vector);
/* PVM raises #UD for an `int n` at CPL3.  Given the two bytes INSN at the #UD's address, the
 * exception hardware raises through our IDT instead: 6 (not an int n: the #UD stands), 3 or 4
 * (a trap through a DPL3 gate: *ADVANCE = 2, the instruction's length, as the trap's return
 * address is after it), or 13 with *EC the IDT error code (vector * 8 + 2) for a DPL0 gate. */
int vj_x86_int_n_vector(const uint8_t insn[2], uint64_t *ec, uint64_t *advance);

#endif
