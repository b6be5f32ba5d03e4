/* gdb_regs.c: a payload thread's registers (struct vj_vcpu_snapshot, as core dumps take them)
 * in the layout of vmjail's amd64 target description: general registers, x87 and SSE state
 * from the XSAVE area's legacy region, orig_rax, and the FS and GS bases. */
#include <string.h>

#include "monitor/gdb.h"

/* gdb's order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rip eflags cs ss ds es fs gs (0-23),
 * st0..st7 (24-31), fctrl fstat ftag fiseg fioff foseg fooff fop (32-39), xmm0..15 (40-55),
 * mxcsr (56), orig_rax (57), fs_base (58), gs_base (59). */
static uint64_t *gpr(struct vj_vcpu_snapshot *s, unsigned n)
{
    struct vj_user_regs *r = &s->regs;
    uint64_t *map[17] = {&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
                         &r->rbp, &r->rsp, &r->r8,  &r->r9,  &r->r10, &r->r11,
                         &r->r12, &r->r13, &r->r14, &r->r15, &r->rip};
    return n < 17 ? map[n] : NULL;
}

static unsigned reg_size(unsigned n)
{
    if (n < 17)
        return 8;
    if (n < 24)
        return 4;
    if (n < 32)
        return 10;
    if (n < 40)
        return 4;
    if (n < 56)
        return 16;
    if (n == 56)
        return 4;
    return n < VJ_GDB_NREGS ? 8 : 0;
}

/* The FXSAVE region's fields. */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FCS 12
#define FX_FDP 16
#define FX_FDS 20
#define FX_MXCSR 24
#define FX_ST 32
#define FX_XMM 160

static uint32_t get16(const uint8_t *a, unsigned off)
{
    uint16_t v;
    memcpy(&v, a + off, 2);
    return v;
}

unsigned vj_gdb_reg_get(const struct vj_vcpu_snapshot *cs, unsigned n, uint8_t *out)
{
    struct vj_vcpu_snapshot *s = (struct vj_vcpu_snapshot *)cs;
    const uint8_t *fx = s->fpu.area;
    unsigned size = reg_size(n);
    uint32_t v32 = 0;
    memset(out, 0, size);
    if (n < 17) {
        memcpy(out, gpr(s, n), 8);
        return 8;
    }
    switch (n) {
    case 17:
        v32 = (uint32_t)s->regs.rflags;
        break;
    case 18:
        v32 = 0x33; /* cs */
        break;
    case 19:
        v32 = 0x2b; /* ss */
        break;
    case 32:
        v32 = get16(fx, FX_FCW);
        break;
    case 33:
        v32 = get16(fx, FX_FSW);
        break;
    case 34: { /* the full tag word from the abridged one: empty (3) or valid (0) */
        uint8_t ab = fx[FX_FTW];
        for (int i = 0; i < 8; i++)
            if (!(ab & (1u << i)))
                v32 |= 3u << (2 * i);
        break;
    }
    case 35:
        v32 = get16(fx, FX_FCS);
        break;
    case 36:
        memcpy(&v32, fx + FX_FIP, 4);
        break;
    case 37:
        v32 = get16(fx, FX_FDS);
        break;
    case 38:
        memcpy(&v32, fx + FX_FDP, 4);
        break;
    case 39:
        v32 = get16(fx, FX_FOP) & 0x7ff;
        break;
    case 56:
        memcpy(&v32, fx + FX_MXCSR, 4);
        break;
    case 57: /* orig_rax: -1, no syscall to restart */
        memset(out, 0xff, 8);
        return 8;
    case 58:
        memcpy(out, &s->fs_base, 8);
        return 8;
    case 59:
        memcpy(out, &s->gs_base, 8);
        return 8;
    default:
        if (n >= 24 && n < 32) {
            memcpy(out, fx + FX_ST + 16 * (n - 24), 10);
            return 10;
        }
        if (n >= 40 && n < 56) {
            memcpy(out, fx + FX_XMM + 16 * (n - 40), 16);
            return 16;
        }
        if (size == 0)
            return 0;
        break; /* ds, es, fs, gs: 0 */
    }
    memcpy(out, &v32, 4);
    return 4;
}

bool vj_gdb_reg_set(struct vj_vcpu_snapshot *s, unsigned n, const uint8_t *in, unsigned len)
{
    unsigned size = reg_size(n);
    if (size == 0 || len != size)
        return false;
    uint8_t *fx = s->fpu.area;
    uint32_t v32 = 0;
    if (size == 4)
        memcpy(&v32, in, 4);
    if (n < 17) {
        memcpy(gpr(s, n), in, 8);
    } else if (n == 17) {
        s->regs.rflags = v32;
    } else if (n >= 24 && n < 32) {
        memcpy(fx + FX_ST + 16 * (n - 24), in, 10);
    } else if (n >= 40 && n < 56) {
        memcpy(fx + FX_XMM + 16 * (n - 40), in, 16);
    } else if (n == 32 || n == 33 || n == 39) {
        uint16_t v = (uint16_t)v32;
        memcpy(fx + (n == 32 ? FX_FCW : n == 33 ? FX_FSW : FX_FOP), &v, 2);
    } else if (n == 34) {
        uint8_t ab = 0;
        for (int i = 0; i < 8; i++)
            if (((v32 >> (2 * i)) & 3) != 3)
                ab |= (uint8_t)(1u << i);
        fx[FX_FTW] = ab;
    } else if (n == 56) {
        memcpy(fx + FX_MXCSR, &v32, 4);
    } else if (n == 58) {
        memcpy(&s->fs_base, in, 8);
    } else if (n == 59) {
        memcpy(&s->gs_base, in, 8);
    }
    /* Segment selectors, the x87 pointers and orig_rax are not the payload's to change. */
    return true;
}

/* Written for vmjail: the features and register names gdb's amd64 Linux support expects
 * (org.gnu.gdb.i386.core, .sse, .linux, .segments), in the order above. */
#define R(name, bits, type) "<reg name=\"" name "\" bitsize=\"" #bits "\" type=\"" type "\"/>"
#define G(name) R(name, 64, "int64")
#define S(name) R(name, 32, "int32")
#define ST(i) R("st" #i, 80, "i387_ext")
#define X(i) R("xmm" #i, 128, "vec128")
static const char target_xml[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target><architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    G("rax") G("rbx") G("rcx") G("rdx") G("rsi") G("rdi") R("rbp", 64, "data_ptr")
    R("rsp", 64, "data_ptr") G("r8") G("r9") G("r10") G("r11") G("r12") G("r13") G("r14")
    G("r15") R("rip", 64, "code_ptr") S("eflags") S("cs") S("ss") S("ds") S("es") S("fs")
    S("gs") ST(0) ST(1) ST(2) ST(3) ST(4) ST(5) ST(6) ST(7) S("fctrl") S("fstat") S("ftag")
    S("fiseg") S("fioff") S("foseg") S("fooff") S("fop")
    "</feature><feature name=\"org.gnu.gdb.i386.sse\">"
    "<vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v8_bfloat16\" type=\"v8bf16\"/>"
    "<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/></union>"
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
    S("mxcsr")
    "</feature><feature name=\"org.gnu.gdb.i386.linux\">" G("orig_rax")
    "</feature><feature name=\"org.gnu.gdb.i386.segments\">" G("fs_base") G("gs_base")
    "</feature></target>\n";

const char *vj_gdb_target_xml(void)
{
    return target_xml;
}
