/* test_cpu.c: unit tests of the guest system structures (src/lib/cpu_x86_64.c): the IDT's gates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_x86_64.h"
#include "tap.h"
#include "vmjail_abi.h"

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Every exception vector: a present 64-bit interrupt gate to its stub on IST1, DPL0 but for
 * #BP and #OF (DPL3, so that int3 and int $3 from CPL3 raise #BP, not #GP, on VMX/SVM). */
static void test_idt(void)
{
    uint8_t *mon = calloc(1, VJ_MONITOR_SIZE);
    if (mon == NULL)
        exit(1);
    ok(vj_cpu_build(mon, 1ULL << 30, 64ULL << 20, false) != 0, "tables built");
    for (int v = 0; v < VJ_EXC_VECTORS; v++) {
        const uint8_t *g = mon + VJ_MON_IDT + v * 16;
        uint64_t lo = get64(g), hi = get64(g + 8);
        uint64_t target = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16) | (hi << 32);
        unsigned type = (unsigned)(lo >> 40) & 0xff;
        is_int(target, VJ_GVA_EXC_STUB(v), "vector %d: gate to its stub", v);
        is_int((lo >> 16) & 0xffff, VJ_SEL_KERNEL_CS, "vector %d: kernel code segment", v);
        is_int((lo >> 32) & 7, 1, "vector %d: IST1", v);
        is_int(type & 0x8f, 0x8e, "vector %d: present 64-bit interrupt gate", v);
        is_int((type >> 5) & 3, v == 3 || v == 4 ? 3 : 0, "vector %d: DPL %d", v,
               v == 3 || v == 4 ? 3 : 0);
    }
    free(mon);
}

int main(void)
{
    test_idt();
    return done_testing();
}
