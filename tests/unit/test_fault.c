/* test_fault.c: unit tests of the x86-64 exception to signal mapping (src/arch/x86_64/fault.c). */
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/fault.h"
#include "tap.h"

#define PC 0x401234ULL
#define CR2 0xdead000ULL

/* F for VECTOR with ERR, filled over garbage so that every field must be written. */
static struct vj_fault fault(int vector, uint64_t err)
{
    struct vj_fault f;
    memset(&f, 0xa5, sizeof f);
    f.what = NULL;
    vj_x86_fault_from_exception(vector, err, CR2, PC, &f);
    return f;
}

/* The fields every fault must have whatever the vector. */
static void common(int vector, uint64_t err, const struct vj_fault *f)
{
    is_int(f->vector, vector, "vector %d: .vector recorded", vector);
    is_int(f->error_code, err, "vector %d: .error_code recorded", vector);
    is_int(f->pc, PC, "vector %d: .pc recorded", vector);
    ok(f->what != NULL && f->what[0] != '\0', "vector %d: .what is a description", vector);
    /* Over garbage: the flags that send a fault to be resolved again are clear. */
    ok(!f->addr_unknown && !f->code_unknown, "vector %d: .addr_unknown and .code_unknown clear", vector);
}

static void test_divide_error(void)
{
    struct vj_fault f = fault(0, 0);
    common(0, 0, &f);
    is_int(f.signo, SIGFPE, "#DE: SIGFPE");
    is_int(f.code, FPE_INTDIV, "#DE: FPE_INTDIV");
    is_int(f.addr, PC, "#DE: si_addr is the faulting instruction");
}

static void test_breakpoint(void)
{
    struct vj_fault f = fault(3, 0);
    common(3, 0, &f);
    is_int(f.signo, SIGTRAP, "#BP: SIGTRAP");
    is_int(f.code, SI_KERNEL, "#BP (int3): SI_KERNEL as Linux sends it");
}

static void test_invalid_opcode(void)
{
    struct vj_fault f = fault(6, 0);
    common(6, 0, &f);
    is_int(f.signo, SIGILL, "#UD: SIGILL");
    is_int(f.code, ILL_ILLOPN, "#UD: ILL_ILLOPN");
    is_int(f.addr, PC, "#UD: si_addr is the faulting instruction");
}

static void test_general_protection(void)
{
    struct vj_fault f = fault(13, 0);
    common(13, 0, &f);
    is_int(f.signo, SIGSEGV, "#GP: SIGSEGV");
    is_int(f.code, SI_KERNEL, "#GP: SI_KERNEL");
    is_int(f.addr, 0, "#GP: si_addr 0");
}

static void test_page_fault(void)
{
    struct vj_fault f = fault(14, 0);
    common(14, 0, &f);
    is_int(f.signo, SIGSEGV, "#PF not-present: SIGSEGV");
    is_int(f.code, SEGV_MAPERR, "#PF error 0 (not present): SEGV_MAPERR");
    is_int(f.addr, CR2, "#PF: si_addr is cr2");

    f = fault(14, 1);
    is_int(f.signo, SIGSEGV, "#PF protection: SIGSEGV");
    is_int(f.code, SEGV_ACCERR, "#PF error 1 (protection): SEGV_ACCERR");
    is_int(f.addr, CR2, "#PF protection: si_addr is cr2");

    /* User write to a present read-only page: P|W|U. */
    f = fault(14, 7);
    is_int(f.code, SEGV_ACCERR, "#PF error 7 (user write, present): SEGV_ACCERR");
    is_int(f.error_code, 7, "#PF error 7 recorded");
    /* User instruction fetch from a not-present page: U|I. */
    f = fault(14, 0x14);
    is_int(f.code, SEGV_MAPERR, "#PF error 0x14 (user fetch, not present): SEGV_MAPERR");
    is_int(f.addr, CR2, "#PF fetch: si_addr is cr2, not pc");
}

static void test_alignment_check(void)
{
    struct vj_fault f = fault(17, 0);
    common(17, 0, &f);
    is_int(f.signo, SIGBUS, "#AC: SIGBUS");
    is_int(f.code, BUS_ADRALN, "#AC: BUS_ADRALN");
    /* Linux: exc_alignment_check() -> do_trap(X86_TRAP_AC, SIGBUS, "alignment check", regs,
     * error_code, BUS_ADRALN, NULL): si_addr is NULL, not the instruction. */
    is_int(f.addr, 0, "BUG_ac_si_addr_is_pc: #AC si_addr is NULL as Linux sends it");
}

static void test_simd(void)
{
    struct vj_fault f = fault(19, 0);
    common(19, 0, &f);
    is_int(f.signo, SIGFPE, "#XM: SIGFPE");
    is_int(f.addr, PC, "#XM: si_addr is the faulting instruction");

    f = fault(16, 0);
    is_int(f.signo, SIGFPE, "#MF: SIGFPE");
}

static void test_unknown(void)
{
    static const int vectors[] = {2, 4, 5, 9, 15, 20, 21, 22, 28, 31, 32, 255, -1};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        int v = vectors[i];
        struct vj_fault f = fault(v, 0);
        is_int(f.signo, SIGSEGV, "vector %d (no specific signal): SIGSEGV", v);
        is_int(f.vector, v, "vector %d recorded", v);
        ok(f.what != NULL, "vector %d has a description", v);
    }
}

/* Intel SDM vol. 3 table 6-1: the vectors that push an error code. */
static void test_error_code_vectors(void)
{
    for (int v = 0; v < 32; v++) {
        int want = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
        is_int(!!vj_x86_vector_has_error_code(v), want, "vector %d %s an error code", v,
               want ? "pushes" : "does not push");
    }
    is_int(!!vj_x86_vector_has_error_code(-1), 0, "vector -1: no error code");
    is_int(!!vj_x86_vector_has_error_code(32), 0, "vector 32 (not an exception): no error code");
    is_int(!!vj_x86_vector_has_error_code(255), 0, "vector 255: no error code");
}

/* PVM's #UD for int n at CPL3 becomes what hardware raises through our IDT (as Linux's). */
static void test_int_n(void)
{
    uint64_t ec = 77, adv = 77;
    uint8_t int3[2] = {0xcd, 0x03}, int4[2] = {0xcd, 0x04}, cc[2] = {0xcc, 0x90};
    uint8_t ud2[2] = {0x0f, 0x0b}, into[2] = {0xce, 0x90};
    is_int(vj_x86_int_n_vector(int3, &ec, &adv), 3, "int $3: #BP (DPL3 gate)");
    is_int(adv, 2, "int $3: a trap: return address after the instruction");
    is_int(ec, 77, "int $3: no error code");
    is_int(vj_x86_int_n_vector(int4, &ec, &adv), 4, "int $4: #OF (DPL3 gate)");
    is_int(adv, 2, "int $4: a trap: return address after the instruction");
    is_int(vj_x86_int_n_vector(ud2, &ec, &adv), 6, "ud2: #UD stands");
    is_int(adv, 0, "ud2: faulting instruction");
    is_int(vj_x86_int_n_vector(into, &ec, &adv), 6, "into (invalid in 64-bit mode): #UD");
    is_int(vj_x86_int_n_vector(cc, &ec, &adv), 6, "a #UD at 0xcc is not an int n");
    static const int gp[] = {0, 1, 2, 5, 6, 13, 14, 31, 32, 0x80, 0x81, 255};
    for (size_t i = 0; i < sizeof gp / sizeof gp[0]; i++) {
        uint8_t insn[2] = {0xcd, (uint8_t)gp[i]};
        adv = 77;
        is_int(vj_x86_int_n_vector(insn, &ec, &adv), 13, "int $%d: #GP (DPL0 gate)", gp[i]);
        is_int(ec, (uint64_t)gp[i] * 8 + 2, "int $%d: error code names the IDT entry", gp[i]);
        is_int(adv, 0, "int $%d: faulting: return address is the instruction", gp[i]);
    }
    for (int v = 0; v < 32; v++)
        is_int(vj_x86_idt_gate_dpl(v), v == 3 || v == 4 ? 3 : 0, "IDT gate %d: DPL as Linux's",
               v);
}

int main(void)
{
    test_int_n();
    test_divide_error();
    test_breakpoint();
    test_invalid_opcode();
    test_general_protection();
    test_page_fault();
    test_alignment_check();
    test_simd();
    test_unknown();
    test_error_code_vectors();
    return done_testing();
}
