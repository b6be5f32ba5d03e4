/* fuzz_insn.c: libFuzzer target for the x86-64 memory-access decoder (src/arch/x86_64/insn.c):
 * the first 16 bytes of the input seed the registers, the rest is the instruction. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vj_x86_state s;
    uint64_t seed[2] = {0, 0};
    size_t n = size < sizeof seed ? size : sizeof seed;
    memcpy(seed, data, n);
    for (int i = 0; i < 16; i++)
        s.gpr[i] = seed[i & 1] * (uint64_t)(i + 1);
    s.rip = seed[0];
    s.fs_base = seed[1];
    s.gs_base = ~seed[1];
    struct vj_x86_access out[2];
    int r = vj_x86_insn_accesses(data + n, size - n, &s, out);
    if (r > 2 || r < -2)
        __builtin_trap(); /* the decoder reports at most two accesses */
    return 0;
}
