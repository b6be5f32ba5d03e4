/* fault_x86_64.h: what Linux does with each x86-64 exception raised by user code: the signal
 * and si_code it sends. */
#ifndef VJ_FAULT_X86_64_H
#define VJ_FAULT_X86_64_H

#include <stdint.h>

#include "vm.h"

/* Fill F for exception VECTOR with ERROR_CODE, raised at PC; CR2 is the faulting address of
 * a page fault. */
void vj_x86_fault_from_exception(int vector, uint64_t error_code, uint64_t cr2, uint64_t pc,
                                 struct vj_fault *f);
/* True if VECTOR pushes an error code. */
int vj_x86_vector_has_error_code(int vector);

#endif
