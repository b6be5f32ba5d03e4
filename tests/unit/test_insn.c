/* test_insn.c: unit tests of the x86-64 memory-access decoder (src/arch/x86_64/insn.c) that
 * finds the address of a fault the host reported without one. */
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/insn.h"
#include "tap.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

static struct vj_x86_state S;

static void init(void)
{
    memset(&S, 0, sizeof S);
    for (int i = 0; i < 16; i++)
        S.gpr[i] = 0x100000ULL * (uint64_t)(i + 1);
    S.rip = 0x401000;
    S.fs_base = 0x7000000;
    S.gs_base = 0x8000000;
}

/* Decode BYTES (a string literal) and check one access. */
#define ONE(bytes, addr_, size_, write_, what)                                               \
    do {                                                                                     \
        struct vj_x86_access a_[2];                                                          \
        int n_ = vj_x86_insn_accesses((const uint8_t *)(bytes), sizeof(bytes) - 1, &S, a_);  \
        is_int(n_, 1, "%s: one access", what);                                               \
        if (n_ == 1) {                                                                       \
            is_int(a_[0].addr, (addr_), "%s: address", what);                                 \
            is_int(a_[0].size, (size_), "%s: size", what);                                    \
            is_int(a_[0].write, (write_), "%s: %s", what, (write_) ? "write" : "read");       \
        }                                                                                    \
    } while (0)

#define TWO(bytes, addr0, w0, addr1, w1, what)                                               \
    do {                                                                                     \
        struct vj_x86_access a_[2];                                                          \
        int n_ = vj_x86_insn_accesses((const uint8_t *)(bytes), sizeof(bytes) - 1, &S, a_);  \
        is_int(n_, 2, "%s: two accesses", what);                                              \
        if (n_ == 2) {                                                                       \
            is_int(a_[0].addr, (addr0), "%s: first address", what);                           \
            is_int(a_[0].write, (w0), "%s: first is a %s", what, (w0) ? "write" : "read");    \
            is_int(a_[1].addr, (addr1), "%s: second address", what);                          \
            is_int(a_[1].write, (w1), "%s: second is a %s", what, (w1) ? "write" : "read");   \
        }                                                                                    \
    } while (0)

#define NONE(bytes, what)                                                                    \
    do {                                                                                     \
        struct vj_x86_access a_[2];                                                          \
        is_int(vj_x86_insn_accesses((const uint8_t *)(bytes), sizeof(bytes) - 1, &S, a_), 0, \
               "%s: no memory access", what);                                                \
    } while (0)

int main(void)
{
    init();
    uint64_t rip = S.rip;

    /* ModRM addressing */
    ONE("\x89\x03", S.gpr[RBX], 4, 1, "mov %eax,(%rbx)");
    ONE("\x48\x8b\x44\x24\x10", S.gpr[RSP] + 0x10, 8, 0, "mov 0x10(%rsp),%rax");
    ONE("\x48\x8b\x14\xc8", S.gpr[RAX] + S.gpr[RCX] * 8, 8, 0, "mov (%rax,%rcx,8),%rdx");
    ONE("\x8b\x04\x25\x34\x12\x00\x00", 0x1234, 4, 0, "mov 0x1234,%eax (SIB, no base)");
    ONE("\x4d\x89\x65\x00", S.gpr[R13], 8, 1, "mov %r12,(%r13) (REX.B, disp8 0)");
    ONE("\x48\x8b\x80\x00\xff\xff\xff", S.gpr[RAX] - 0x100, 8, 0, "mov -0x100(%rax),%rax");
    ONE("\x66\x89\x08", S.gpr[RAX], 2, 1, "mov %cx,(%rax) (operand size 16)");
    ONE("\x88\x08", S.gpr[RAX], 1, 1, "mov %cl,(%rax) (byte)");
    ONE("\x83\x00\x01", S.gpr[RAX], 4, 1, "addl $1,(%rax)");
    ONE("\x3b\x08", S.gpr[RAX], 4, 0, "cmp (%rax),%ecx");
    ONE("\x67\x8b\x00", (uint32_t)S.gpr[RAX], 4, 0, "mov (%eax),%eax (32-bit address)");

    /* RIP-relative: relative to the end of the instruction, immediate included */
    ONE("\xc6\x05\x23\x01\x00\x00\x01", rip + 7 + 0x123, 1, 1, "movb $1,0x123(%rip)");
    ONE("\xc7\x05\x00\x01\x00\x00\x05\x00\x00\x00", rip + 10 + 0x100, 4, 1,
        "movl $5,0x100(%rip)");
    ONE("\x80\x3d\x10\x00\x00\x00\x05", rip + 7 + 0x10, 1, 0, "cmpb $5,0x10(%rip)");
    ONE("\xf7\x05\x20\x00\x00\x00\x00\x01\x00\x00", rip + 10 + 0x20, 4, 0,
        "testl $0x100,0x20(%rip)");
    ONE("\x0f\x28\x05\x10\x00\x00\x00", rip + 7 + 0x10, 16, 0, "movaps 0x10(%rip),%xmm0");
    ONE("\x48\x8b\x05\xf0\xff\xff\xff", rip + 7 - 0x10, 8, 0, "mov -0x10(%rip),%rax");

    /* segment overrides */
    ONE("\x64\x48\x8b\x04\x25\x28\x00\x00\x00", S.fs_base + 0x28, 8, 0, "mov %fs:0x28,%rax");
    ONE("\x65\x48\x89\x03", S.gs_base + S.gpr[RBX], 8, 1, "mov %rax,%gs:(%rbx)");

    /* the stack */
    ONE("\x55", S.gpr[RSP] - 8, 8, 1, "push %rbp");
    ONE("\x41\x57", S.gpr[RSP] - 8, 8, 1, "push %r15");
    ONE("\x5d", S.gpr[RSP], 8, 0, "pop %rbp");
    ONE("\xc3", S.gpr[RSP], 8, 0, "ret");
    ONE("\xe8\x00\x00\x00\x00", S.gpr[RSP] - 8, 8, 1, "call rel32");
    ONE("\xc9", S.gpr[RBP], 8, 0, "leave");
    TWO("\xff\x50\x08", S.gpr[RAX] + 8, 0, S.gpr[RSP] - 8, 1, "call *0x8(%rax)");
    TWO("\x8f\x40\x10", S.gpr[RSP], 0, S.gpr[RAX] + 0x10, 1, "pop 0x10(%rax)");

    /* strings and absolute addresses */
    TWO("\xf3\xa4", S.gpr[RSI], 0, S.gpr[RDI], 1, "rep movsb");
    ONE("\x48\xab", S.gpr[RDI], 8, 1, "stosq");
    ONE("\xac", S.gpr[RSI], 1, 0, "lodsb");
    ONE("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11", 0x1122334455667788ULL, 8, 0,
        "movabs 0x1122334455667788,%rax");

    /* SSE, AVX, AVX-512 */
    ONE("\xf3\x0f\x7f\x07", S.gpr[RDI], 16, 1, "movdqu %xmm0,(%rdi)");
    ONE("\xf3\x0f\x10\x06", S.gpr[RSI], 4, 0, "movss (%rsi),%xmm0");
    ONE("\xc5\xfe\x7f\x07", S.gpr[RDI], 32, 1, "vmovdqu %ymm0,(%rdi)");
    ONE("\xc5\xfa\x10\x08", S.gpr[RAX], 4, 0, "vmovss (%rax),%xmm1");
    ONE("\xc4\xc1\x7e\x6f\x00", S.gpr[R8], 32, 0, "vmovdqu (%r8),%ymm0 (3-byte VEX)");
    ONE("\x62\xf1\xfe\x48\x7f\x47\x01", S.gpr[RDI] + 0x40, 64, 1,
        "vmovdqu64 %zmm0,0x40(%rdi) (EVEX disp8*64)");
    ONE("\x48\x0f\xc7\x0f", S.gpr[RDI], 16, 1, "cmpxchg16b (%rdi)");
    ONE("\x0f\xb6\x06", S.gpr[RSI], 1, 0, "movzbl (%rsi),%eax");

    /* no access, or not decodable */
    NONE("\x48\x8d\x18", "lea (%rax),%rbx");
    NONE("\x48\x89\xc3", "mov %rax,%rbx (registers)");
    NONE("\x0f\x18\x08", "prefetcht0 (%rax)");
    NONE("\x90", "nop");
    struct vj_x86_access a[2];
    is_int(vj_x86_insn_accesses((const uint8_t *)"\x48\x8b", 2, &S, a), -2,
           "an instruction cut short: -2");
    is_int(vj_x86_insn_accesses((const uint8_t *)"\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
                                                  "\x66\x66\x66\x66",
                                15, &S, a),
           -1, "fifteen prefixes: not an instruction");
    return tap_failed ? 1 : 0;
}
