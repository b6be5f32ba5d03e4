/* cpu.c: writes the x86-64 guest's GDT, IDT, TSS, stub page and page tables. */
#include "arch/x86_64/cpu.h"

#include <string.h>

#include "arch/arch.h"
#include "arch/x86_64/fault.h"
#include "vmjail_abi.h"

extern const uint8_t vj_guest_stubs[], vj_guest_stubs_end[];

/* The page table of the low window: the first page-table page after the PML4. */
#define MON_LOW_PT (VJ_MON_PT + VJ_PAGE_SIZE)

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

static void build_gdt(uint8_t *mon)
{
    uint8_t *gdt = mon + VJ_MON_GDT;
    put64(gdt + VJ_SEL_KERNEL_CS, 0x00af9b000000ffffULL);       /* 64-bit code, DPL0 */
    put64(gdt + VJ_SEL_KERNEL_DS, 0x00cf93000000ffffULL);       /* data, DPL0 */
    put64(gdt + (VJ_SEL_USER_CS32 & ~3), 0x00cffb000000ffffULL); /* 32-bit code, DPL3 */
    put64(gdt + (VJ_SEL_USER_DS & ~3), 0x00cff3000000ffffULL);   /* data, DPL3 */
    put64(gdt + (VJ_SEL_USER_CS & ~3), 0x00affb000000ffffULL);   /* 64-bit code, DPL3 */
    uint64_t base = VJ_MONITOR_VA + VJ_MON_TSS, limit = VJ_MON_TSS_LIMIT;
    uint64_t lo = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
                  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    put64(gdt + VJ_SEL_TSS, lo); /* 64-bit TSS, available */
    put64(gdt + VJ_SEL_TSS + 8, base >> 32);
}

static void build_idt(uint8_t *mon)
{
    uint8_t *idt = mon + VJ_MON_IDT;
    for (uint64_t v = 0; v < VJ_EXC_VECTORS; v++) {
        uint64_t h = VJ_GVA_EXC_STUB(v);
        /* Interrupt gate, IST1, DPL0 (an INT n from CPL3 raises #GP instead) but for #BP and
         * #OF, DPL3 as on Linux: int3 and int $3 give SIGTRAP, int $4 SIGSEGV, both after the
         * instruction (on VMX/SVM int3 through a DPL0 gate would raise #GP). */
        uint64_t type = vj_x86_idt_gate_dpl((int)v) == 3 ? 0xeeULL : 0x8eULL;
        uint64_t lo = (h & 0xffff) | ((uint64_t)VJ_SEL_KERNEL_CS << 16) | (1ULL << 32) |
                      (type << 40) | (((h >> 16) & 0xffff) << 48);
        put64(idt + v * 16, lo);
        put64(idt + v * 16 + 8, h >> 32);
    }
}

static void build_tss(uint8_t *mon, bool syscall_port_open)
{
    uint8_t *tss = mon + VJ_MON_TSS;
    uint64_t stack_top = VJ_MONITOR_VA + VJ_MON_STACK_HI;
    put64(tss + 4, stack_top);    /* RSP0 */
    put64(tss + 0x24, stack_top); /* IST1 */
    uint16_t iomap = VJ_MON_TSS_IOMAP;
    memcpy(tss + 0x66, &iomap, sizeof iomap);
    memset(tss + VJ_MON_TSS_IOMAP, 0xff, 8192 + 1); /* every port denied */
    vj_cpu_set_syscall_port(mon, syscall_port_open);
}

static void build_vcpu_tss(uint8_t *mon)
{
    for (uint64_t i = 0; i < VJ_VCPU_TSS_COUNT; i++) {
        uint8_t *tss = mon + VJ_MON_VCPU_TSS + i * VJ_VCPU_TSS_STRIDE;
        uint64_t top = VJ_GVA_VCPU_TSS(i) + VJ_VCPU_TSS_STACK_HI;
        put64(tss + 4, top);    /* RSP0 */
        put64(tss + 0x24, top); /* IST1 */
        uint16_t iomap = VJ_VCPU_TSS_LIMIT + 1; /* past the limit: no bitmap */
        memcpy(tss + 0x66, &iomap, sizeof iomap);
    }
}

void vj_cpu_set_syscall_port(uint8_t *mon, bool open)
{
    uint8_t *bit = mon + VJ_MON_TSS + VJ_MON_TSS_IOMAP + VJ_PORT_SYSCALL / 8;
    uint8_t mask = (uint8_t)(1u << (VJ_PORT_SYSCALL % 8));
    *bit = open ? (uint8_t)(*bit & ~mask) : (uint8_t)(*bit | mask);
}

/* A page-table allocator over the monitor region's page-table area. */
struct pt_alloc {
    uint8_t *mon;
    uint64_t mon_gpa, next, end;
};

static uint64_t *pt_at(struct pt_alloc *a, uint64_t gpa)
{
    return (uint64_t *)(a->mon + (gpa - a->mon_gpa));
}

static uint64_t pt_new(struct pt_alloc *a)
{
    if (a->next >= a->end)
        return 0;
    uint64_t gpa = a->mon_gpa + a->next;
    a->next += VJ_PAGE_SIZE;
    return gpa;
}

/* The next-level table under entry INDEX of TABLE, created if absent. */
static uint64_t pt_child(struct pt_alloc *a, uint64_t table, unsigned index)
{
    uint64_t *e = pt_at(a, table) + index;
    if (!(*e & PTE_P)) {
        uint64_t child = pt_new(a);
        if (child == 0)
            return 0;
        *e = child | PTE_P | PTE_W | PTE_U;
    }
    return *e & 0x000ffffffffff000ULL;
}

static uint64_t pd_for(struct pt_alloc *a, uint64_t pml4, uint64_t va)
{
    uint64_t pdpt = pt_child(a, pml4, (va >> 39) & 511);
    return pdpt ? pt_child(a, pdpt, (va >> 30) & 511) : 0;
}

void vj_cpu_map_payload(uint8_t *mon, uint64_t mon_gpa, uint64_t pml4, uint64_t lo, uint64_t hi)
{
    struct pt_alloc a = {mon, mon_gpa, VJ_MON_PT_END, VJ_MON_PT_END}; /* walks, never allocates */
    if (lo < VJ_GUEST_MIN)
        lo = VJ_GUEST_MIN;
    for (uint64_t va = lo & ~(uint64_t)(VJ_HUGE_PAGE_SIZE - 1); va < hi; va += VJ_HUGE_PAGE_SIZE) {
        uint64_t pd = pd_for(&a, pml4, va);
        if (pd != 0)
            __atomic_store_n(pt_at(&a, pd) + ((va >> 21) & 511),
                             va | PTE_P | PTE_W | PTE_U | PTE_PS, __ATOMIC_RELEASE);
    }
}

void vj_cpu_map_low(uint8_t *mon, uint64_t mon_gpa, uint64_t pml4)
{
    struct pt_alloc a = {mon, mon_gpa, VJ_MON_PT_END, VJ_MON_PT_END}; /* walks, never allocates */
    uint64_t pd = pd_for(&a, pml4, VJ_LOW_VA);
    if (pd != 0)
        __atomic_store_n(pt_at(&a, pd) + ((VJ_LOW_VA >> 21) & 511),
                         (mon_gpa + MON_LOW_PT) | PTE_P | PTE_W | PTE_U, __ATOMIC_RELEASE);
}

void vj_cpu_map_low_pages(uint8_t *mon, uint64_t off, uint64_t gpa, uint64_t len,
                          uint64_t exec_off, uint64_t exec_len)
{
    uint64_t *low = (uint64_t *)(void *)(mon + MON_LOW_PT);
    for (uint64_t o = 0; o < len && off + o < VJ_LOW_SIZE; o += VJ_PAGE_SIZE) {
        uint64_t pte = (gpa + o) | PTE_P | PTE_U;
        if (o < exec_off || o - exec_off >= exec_len)
            pte |= PTE_NX;
        __atomic_store_n(&low[(VJ_LOW_VA + off + o) / VJ_PAGE_SIZE % 512], pte, __ATOMIC_RELEASE);
    }
}

uint64_t vj_cpu_build(uint8_t *mon, uint64_t mon_gpa, uint64_t mem_size, bool syscall_port_open)
{
    memcpy(mon + VJ_MON_STUBS, vj_guest_stubs, (size_t)(vj_guest_stubs_end - vj_guest_stubs));
    build_gdt(mon);
    build_idt(mon);
    build_tss(mon, syscall_port_open);
    build_vcpu_tss(mon);

    struct pt_alloc a = {mon, mon_gpa, VJ_MON_PT, VJ_MON_VCPU_TSS};
    uint64_t pml4 = pt_new(&a);
    /* The low window's page table, linked in by vj_cpu_map_low: code user read+execute, the
     * slots user read+write. */
    uint64_t *low = pt_at(&a, pt_new(&a));
    for (uint64_t off = 0; off < VJ_LOW_SIZE; off += VJ_PAGE_SIZE) {
        uint64_t pte = (mon_gpa + VJ_MON_LOW + off) | PTE_P | PTE_U;
        if (off >= VJ_LOW_FAST_SLOTS && off < VJ_LOW_FAST_SLOTS + VJ_LOW_FAST_SLOTS_SIZE)
            pte |= PTE_W | PTE_NX;
        else if (off >= VJ_LOW_FAST_CODE + VJ_LOW_FAST_CODE_SIZE)
            pte |= PTE_NX;
        low[(VJ_LOW_VA + off) / VJ_PAGE_SIZE % 512] = pte;
    }
    vj_fast_code_install(mon + VJ_MON_LOW + VJ_LOW_FAST_CODE);
    /* Payload memory: the tables down to the page directories, whose 2 MiB entries stay not
     * present until vj_cpu_map_payload. */
    for (uint64_t va = VJ_GUEST_MIN; va < mem_size; va += 512 * VJ_HUGE_PAGE_SIZE)
        if (pd_for(&a, pml4, va) == 0)
            return 0;
    /* Monitor region: 4 KiB pages.  The stub page is user read+execute; everything else is
     * supervisor-only and not executable. */
    uint64_t pd = pd_for(&a, pml4, VJ_MONITOR_VA);
    uint64_t pt = pd ? pt_new(&a) : 0;
    if (pt == 0)
        return 0;
    pt_at(&a, pd)[(VJ_MONITOR_VA >> 21) & 511] = pt | PTE_P | PTE_W | PTE_U;
    uint64_t *pte = pt_at(&a, pt);
    pte[VJ_MON_STUBS / VJ_PAGE_SIZE] = (mon_gpa + VJ_MON_STUBS) | PTE_P | PTE_U;
    for (uint64_t off = VJ_MON_GDT; off < VJ_MON_STACK_HI; off += VJ_PAGE_SIZE)
        pte[off / VJ_PAGE_SIZE] = (mon_gpa + off) | PTE_P | PTE_W | PTE_NX;
    for (uint64_t off = VJ_MON_VCPU_TSS; off < VJ_MON_PT_END; off += VJ_PAGE_SIZE)
        pte[off / VJ_PAGE_SIZE] = (mon_gpa + off) | PTE_P | PTE_W | PTE_NX;
    return pml4;
}
