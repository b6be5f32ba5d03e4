/* insn.h: the memory an x86-64 instruction accesses, decoded from its bytes.
 *
 * Used when the host reports a payload memory fault without its address (a guest page the
 * host keeps inaccessible: KVM_RUN fails with EFAULT and says nothing more): the monitor
 * decodes the faulting instruction to find the address the CPU would have put in CR2, for
 * si_addr.  Best effort: general-purpose, string, stack, x87, SSE, AVX and AVX-512
 * instructions; an instruction it cannot decode gives no address. */
#ifndef VJ_INSN_X86_64_H
#define VJ_INSN_X86_64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VJ_X86_MAX_INSN 15

/* The state an instruction's addressing reads. */
struct vj_x86_state {
    uint64_t gpr[16]; /* rax rcx rdx rbx rsp rbp rsi rdi r8 .. r15 (encoding order) */
    uint64_t rip;
    uint64_t fs_base, gs_base;
};

/* One memory access: SIZE bytes at ADDR (a best guess for some instructions), WRITE if it
 * stores (or may). */
struct vj_x86_access {
    uint64_t addr;
    uint32_t size;
    bool write;
};

/* Decode the instruction in CODE (LEN bytes available, from S->rip) and list the memory it
 * accesses in OUT (at most 2, in the order the CPU makes them).  Returns how many (0: none),
 * -1 if the bytes are not an instruction it knows, or -2 if the instruction runs past LEN. */
int vj_x86_insn_accesses(const uint8_t *code, size_t len, const struct vj_x86_state *s,
                         struct vj_x86_access out[2]);

#endif
