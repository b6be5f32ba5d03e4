/* test_cpu.c: unit tests of the guest system structures (src/arch/x86_64/cpu.c): the IDT's gates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
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

/* Each vCPU's own TSS: IST1 (and RSP0) inside it, 16-byte aligned, with room for the CPU's
 * largest frame (6 words) above the TSS fields the CPU reads, no I/O bitmap; the pages are
 * mapped supervisor-only, and page tables for the largest memory never reach them. */
static void test_vcpu_tss(void)
{
    uint8_t *mon = calloc(1, VJ_MONITOR_SIZE);
    if (mon == NULL)
        exit(1);
    uint64_t gpa = 1ULL << 30;
    ok(vj_cpu_build(mon, gpa, VJ_GUEST_MAX_MEMORY, false) != 0,
       "tables for the largest memory built");
    for (int i = 0; i < VJ_VCPU_TSS_COUNT; i++) {
        const uint8_t *t = mon + VJ_MON_VCPU_TSS + (uint64_t)i * VJ_VCPU_TSS_STRIDE;
        uint64_t base = VJ_GVA_VCPU_TSS(i), ist1 = get64(t + 0x24);
        uint16_t iomap;
        memcpy(&iomap, t + 0x66, sizeof iomap);
        if (ist1 != base + VJ_VCPU_TSS_STACK_HI || get64(t + 4) != ist1 || ist1 % 16 ||
            iomap <= VJ_VCPU_TSS_LIMIT || ist1 - 6 * 8 < base + 0x2c ||
            ist1 > base + VJ_VCPU_TSS_LIMIT + 1 - 8) {
            ok(0, "vCPU %d TSS", i);
            free(mon);
            return;
        }
    }
    ok(1, "every vCPU TSS: IST1 inside it, aligned, frame clear of IST1 and the I/O map base");
    ok(VJ_MON_VCPU_TSS + VJ_VCPU_TSS_COUNT * VJ_VCPU_TSS_STRIDE <= VJ_MON_PT_END,
       "vCPU TSSs inside the monitor region's table area");
    /* The page-table pages were all allocated below the TSS area: its bytes are ours. */
    const uint8_t *t1 = mon + VJ_MON_VCPU_TSS + VJ_VCPU_TSS_STRIDE;
    is_int(get64(t1 + 0x24), VJ_GVA_VCPU_TSS(1) + VJ_VCPU_TSS_STACK_HI,
           "vCPU 1 TSS intact after the largest page tables");
    /* The monitor page table maps the TSS pages: find the PTE of the area's first page. */
    uint64_t pml4 = gpa + VJ_MON_PT;
    uint64_t e = get64(mon + (pml4 - gpa) + ((VJ_MONITOR_VA >> 39) & 511) * 8);
    e = get64(mon + ((e & ~0xfffULL & ((1ULL << 52) - 1)) - gpa) + ((VJ_MONITOR_VA >> 30) & 511) * 8);
    e = get64(mon + ((e & ~0xfffULL & ((1ULL << 52) - 1)) - gpa) + ((VJ_MONITOR_VA >> 21) & 511) * 8);
    uint64_t pt = (e & ~0xfffULL & ((1ULL << 52) - 1)) - gpa;
    for (uint64_t off = VJ_MON_VCPU_TSS; off < VJ_MON_PT_END; off += VJ_PAGE_SIZE) {
        uint64_t pte = get64(mon + pt + off / VJ_PAGE_SIZE * 8);
        if ((pte & 7) != 3 || (pte & ~0xfffULL & ((1ULL << 52) - 1)) != gpa + off) {
            ok(0, "TSS page %#llx mapped supervisor read/write", (unsigned long long)off);
            free(mon);
            return;
        }
    }
    ok(1, "TSS pages mapped present, writable, supervisor-only");
    free(mon);
}

int main(void)
{
    test_idt();
    test_vcpu_tss();
    return done_testing();
}
