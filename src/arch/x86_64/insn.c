/* insn.c: decode the memory accesses of one x86-64 (64-bit mode) instruction: its
 * prefixes (legacy, REX, VEX, EVEX), opcode map, ModRM/SIB addressing (RIP-relative included,
 * which needs the instruction's full length and so its immediate), segment overrides (FS, GS),
 * and the implicit accesses of stack and string instructions. */
#include "arch/x86_64/insn.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>

enum { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7 };

struct insn {
    const uint8_t *code;
    size_t len, i;
    bool truncated;
    /* prefixes */
    bool opsize16, addr32, rexw, rexr, rexx, rexb;
    int seg; /* 0, 4 (FS) or 5 (GS) */
    int rep; /* 0, 0xf2 or 0xf3 */
    int vex; /* 0, 2 (VEX), 4 (EVEX) */
    int vl;  /* vector length in bytes (VEX/EVEX) */
    bool evex_b;
    int map; /* 0: one byte, 1: 0F, 2: 0F38, 3: 0F3A */
    uint8_t op;
};

static int next(struct insn *d)
{
    if (d->i >= d->len) {
        d->truncated = true;
        return 0;
    }
    return d->code[d->i++];
}

static int64_t take(struct insn *d, int bytes)
{
    uint64_t v = 0;
    for (int k = 0; k < bytes; k++)
        v |= (uint64_t)next(d) << (8 * k);
    if (bytes < 8 && (v >> (8 * bytes - 1)) & 1)
        v |= ~0ULL << (8 * bytes); /* sign-extend */
    return (int64_t)v;
}

/* One-byte opcodes with a ModRM byte. */
static bool modrm_map0(uint8_t op)
{
    if (op < 0x40)
        return (op & 7) < 4;
    switch (op) {
    case 0x62:
    case 0x63:
    case 0x69:
    case 0x6b:
    case 0xc0:
    case 0xc1:
    case 0xc6:
    case 0xc7:
    case 0xf6:
    case 0xf7:
    case 0xfe:
    case 0xff:
        return true;
    default:
        return (op >= 0x80 && op <= 0x8f) || (op >= 0xd0 && op <= 0xd3) ||
               (op >= 0xd8 && op <= 0xdf);
    }
}

/* Two-byte (0F) opcodes without one. */
static bool modrm_map1(uint8_t op)
{
    switch (op) {
    case 0x05:
    case 0x06:
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0b:
    case 0x0e:
    case 0x77:
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa8:
    case 0xa9:
    case 0xaa:
        return false;
    default:
        return !(op >= 0x30 && op <= 0x37) && !(op >= 0x80 && op <= 0x8f) &&
               !(op >= 0xc8 && op <= 0xcf);
    }
}

/* Bytes of immediate after the ModRM operand (only what RIP-relative addressing needs). */
static int imm_size(const struct insn *d, int reg)
{
    int z = d->opsize16 ? 2 : 4;
    if (d->map == 3)
        return 1;
    if (d->map == 2)
        return 0;
    if (d->map == 1) {
        switch (d->op) {
        case 0x70:
        case 0x71:
        case 0x72:
        case 0x73:
        case 0xa4:
        case 0xac:
        case 0xba:
        case 0xc2:
        case 0xc4:
        case 0xc5:
        case 0xc6:
        case 0x0f: /* 3DNow!: its opcode comes last */
            return 1;
        default:
            return 0;
        }
    }
    switch (d->op) {
    case 0x6b:
    case 0x80:
    case 0x82:
    case 0x83:
    case 0xc0:
    case 0xc1:
    case 0xc6:
        return 1;
    case 0x69:
    case 0x81:
    case 0xc7:
        return z;
    case 0xf6:
        return reg < 2 ? 1 : 0;
    case 0xf7:
        return reg < 2 ? z : 0;
    default:
        return 0;
    }
}

static uint32_t opsize(const struct insn *d)
{
    return d->rexw ? 8 : d->opsize16 ? 2 : 4;
}

/* The size of the memory operand and whether it is written: good enough to pick the page. */
static void operand(const struct insn *d, int reg, uint32_t *size, bool *write)
{
    uint8_t op = d->op;
    *size = opsize(d);
    *write = false;
    bool sse = d->vex || d->map >= 2 ||
               (d->map == 1 && ((op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) ||
                                (op >= 0x50 && op <= 0x7f) || op == 0xc2 ||
                                (op >= 0xc4 && op <= 0xc6) || op >= 0xd0));
    if (sse) {
        /* SSE, AVX, AVX-512 */
        *size = d->vex == 4 && d->evex_b ? (d->rexw ? 8 : 4) : d->vex ? (uint32_t)d->vl : 16;
        if (d->map == 1 && (op == 0x10 || op == 0x11) && d->rep)
            *size = d->rep == 0xf3 ? 4 : 8;
        if (d->map == 1 && (op == 0x12 || op == 0x13 || op == 0x16 || op == 0x17 ||
                            op == 0xd6 || (op == 0x7e && d->rep == 0xf3)))
            *size = 8;
        if (d->map == 1 && (op == 0x6e || (op == 0x7e && d->rep != 0xf3)))
            *size = opsize(d) == 8 ? 8 : 4;
        if (d->map == 1)
            *write = op == 0x11 || op == 0x13 || op == 0x17 || op == 0x29 || op == 0x2b ||
                     op == 0x7f || op == 0xe7 || op == 0xd6 || (op == 0x7e && d->rep != 0xf3);
        if (d->map == 3)
            *write = (op >= 0x14 && op <= 0x17) || op == 0x19 || op == 0x1d || op == 0x39 ||
                     op == 0x3b || op == 0x7b;
        return;
    }
    if (d->map == 1) {
        switch (op) {
        case 0xb6:
        case 0xbe:
            *size = 1;
            break;
        case 0xb7:
        case 0xbf:
            *size = 2;
            break;
        case 0xc7:
            *size = d->rexw ? 16 : 8;
            *write = true;
            break;
        case 0xae:
            *size = reg == 0 || reg == 1 ? 512 : reg == 2 || reg == 3 ? 4 : reg == 7 ? 1 : 576;
            *write = reg == 0 || reg == 3 || reg == 4 || reg == 6;
            break;
        case 0x01:
            *size = 10;
            *write = reg < 2;
            break;
        case 0xb0:
        case 0xc0:
            *size = 1;
            *write = true;
            break;
        default:
            *write = (op >= 0x90 && op <= 0x9f) || op == 0xab || op == 0xb3 || op == 0xbb ||
                     op == 0xb1 || op == 0xc1 || op == 0xa4 || op == 0xa5 || op == 0xac ||
                     op == 0xad || op == 0xc3 || (op == 0xba && reg > 4);
            if (op >= 0x90 && op <= 0x9f)
                *size = 1;
            break;
        }
        return;
    }
    if (op >= 0xd8 && op <= 0xdf) { /* x87 */
        *size = (op == 0xd8 || op == 0xda || ((op == 0xd9 || op == 0xdb) && reg < 4)) ? 4
                : (op == 0xde || (op == 0xdf && reg < 4)) ? 2 : 8;
        if ((op == 0xd9 && (reg == 5 || reg == 7)) || (op == 0xdd && reg == 7))
            *size = 2;
        if ((op == 0xd9 && (reg == 4 || reg == 6)))
            *size = 28;
        if (op == 0xdd && (reg == 4 || reg == 6))
            *size = 108;
        if ((op == 0xdb && (reg == 5 || reg == 7)) || (op == 0xdf && (reg == 4 || reg == 6)))
            *size = 10;
        *write = (op == 0xd9 && reg >= 2 && reg != 4 && reg != 5) ||
                 ((op == 0xdb || op == 0xdd || op == 0xdf) && (reg == 1 || reg == 2 ||
                                                                reg == 3 || reg >= 6));
        return;
    }
    bool byte = (op < 0x40 && !(op & 1)) || op == 0x80 || op == 0x82 || op == 0x84 ||
                op == 0x86 || op == 0x88 || op == 0x8a || op == 0xc0 || op == 0xc6 ||
                op == 0xd0 || op == 0xd2 || op == 0xf6 || op == 0xfe;
    if (byte)
        *size = 1;
    if (op == 0x8c || op == 0x8e)
        *size = 2;
    if (op == 0x63)
        *size = 4;
    if (op < 0x40)
        *write = (op & 7) < 2 && (op & 0x38) != 0x38;
    else if (op >= 0x80 && op <= 0x83)
        *write = reg != 7;
    else
        *write = op == 0x86 || op == 0x87 || op == 0x88 || op == 0x89 || op == 0x8c ||
                 op == 0x8f || op == 0xc0 || op == 0xc1 || op == 0xc6 || op == 0xc7 ||
                 (op >= 0xd0 && op <= 0xd3) || ((op == 0xf6 || op == 0xf7) && (reg == 2 ||
                                                                                 reg == 3)) ||
                 ((op == 0xfe || op == 0xff) && reg < 2);
}

static int push(struct vj_x86_access *out, int n, uint64_t addr, uint32_t size, bool write)
{
    out[n] = (struct vj_x86_access){.addr = addr, .size = size, .write = write};
    return n + 1;
}

int vj_x86_insn_accesses(const uint8_t *code, size_t len, const struct vj_x86_state *s,
                         struct vj_x86_access out[2])
{
    struct insn d;
    memset(&d, 0, sizeof d);
    d.code = code;
    d.len = len < VJ_X86_MAX_INSN ? len : VJ_X86_MAX_INSN;
    const uint64_t *g = s->gpr;

    /* legacy prefixes, then REX */
    for (int k = 0;; k++) {
        if (k == VJ_X86_MAX_INSN)
            return -1;
        int b = next(&d);
        if (d.truncated)
            return -2;
        if (b == 0x66)
            d.opsize16 = true;
        else if (b == 0x67)
            d.addr32 = true;
        else if (b == 0x64 || b == 0x65)
            d.seg = b - 0x60;
        else if (b == 0xf2 || b == 0xf3)
            d.rep = b;
        else if (b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0xf0)
            continue;
        else {
            d.i--;
            break;
        }
    }
    int b = next(&d);
    if ((b & 0xf0) == 0x40) {
        d.rexw = b & 8, d.rexr = b & 4, d.rexx = b & 2, d.rexb = b & 1;
        b = next(&d);
    }
    if (b == 0xc5) { /* two-byte VEX */
        int p = next(&d);
        d.vex = 2;
        d.rexr = !(p & 0x80);
        d.vl = p & 4 ? 32 : 16;
        d.rep = (p & 3) == 2 ? 0xf3 : (p & 3) == 3 ? 0xf2 : 0; /* the implied prefix */
        d.map = 1;
        d.op = (uint8_t)next(&d);
    } else if (b == 0xc4 || b == 0x62) { /* three-byte VEX, EVEX */
        int p0 = next(&d), p1 = next(&d);
        d.rexr = !(p0 & 0x80), d.rexx = !(p0 & 0x40), d.rexb = !(p0 & 0x20);
        d.rexw = p1 & 0x80;
        d.rep = (p1 & 3) == 2 ? 0xf3 : (p1 & 3) == 3 ? 0xf2 : 0;
        d.map = p0 & (b == 0x62 ? 0x7 : 0x1f);
        if (b == 0xc4) {
            d.vex = 2;
            d.vl = p1 & 4 ? 32 : 16;
        } else {
            int p2 = next(&d);
            d.vex = 4;
            d.vl = 16 << ((p2 >> 5) & 3);
            d.evex_b = p2 & 0x10;
        }
        if (d.map < 1 || d.map > 3)
            return -1;
        d.op = (uint8_t)next(&d);
    } else if (b == 0x0f) {
        int o = next(&d);
        if (o == 0x38 || o == 0x3a) {
            d.map = o == 0x38 ? 2 : 3;
            d.op = (uint8_t)next(&d);
        } else {
            d.map = 1;
            d.op = (uint8_t)o;
        }
    } else {
        d.map = 0;
        d.op = (uint8_t)b;
    }
    if (d.truncated)
        return -2;

    uint8_t op = d.op;
    uint32_t osz = opsize(&d);
    uint64_t sp = g[RSP];
    int n = 0;
    bool modrm = d.vex || d.map >= 2 || (d.map == 1 ? modrm_map1(op) : modrm_map0(op));
    if (!modrm) {
        if (d.map == 1) {
            if (op == 0xa0 || op == 0xa8) /* push fs/gs */
                return push(out, 0, sp - 8, 8, true);
            if (op == 0xa1 || op == 0xa9)
                return push(out, 0, sp, 8, false);
            return 0;
        }
        uint32_t ssz = d.opsize16 ? 2 : 8; /* stack operations are 64-bit */
        if ((op >= 0x50 && op <= 0x57) || op == 0x68 || op == 0x6a || op == 0x9c ||
            op == 0xe8 || op == 0xc8)
            return push(out, 0, sp - ssz, ssz, true);
        if ((op >= 0x58 && op <= 0x5f) || op == 0x9d || op == 0xc3 || op == 0xc2 ||
            op == 0xcb || op == 0xca || op == 0xcf)
            return push(out, 0, sp, ssz, false);
        if (op == 0xc9)
            return push(out, 0, g[RBP], 8, false);
        uint64_t si = g[RSI], di = g[RDI];
        if (d.addr32)
            si = (uint32_t)si, di = (uint32_t)di;
        if (d.seg)
            si += d.seg == 4 ? s->fs_base : s->gs_base;
        uint32_t esz = (op & 1) ? osz : 1;
        switch (op) {
        case 0xa4:
        case 0xa5:
            n = push(out, 0, si, esz, false);
            return push(out, n, di, esz, true);
        case 0xa6:
        case 0xa7:
            n = push(out, 0, si, esz, false);
            return push(out, n, di, esz, false);
        case 0xaa:
        case 0xab:
            return push(out, 0, di, esz, true);
        case 0xac:
        case 0xad:
            return push(out, 0, si, esz, false);
        case 0xae:
        case 0xaf:
            return push(out, 0, di, esz, false);
        case 0xa0:
        case 0xa1:
        case 0xa2:
        case 0xa3: { /* mov with a 64-bit absolute address */
            uint64_t a = (uint64_t)take(&d, d.addr32 ? 4 : 8);
            if (d.addr32)
                a = (uint32_t)a;
            if (d.truncated)
                return -2;
            if (d.seg)
                a += d.seg == 4 ? s->fs_base : s->gs_base;
            return push(out, 0, a, (op & 1) ? osz : 1, op >= 0xa2);
        }
        case 0xd7: { /* xlat */
            uint64_t a = g[RBX] + (g[RAX] & 0xff);
            if (d.seg)
                a += d.seg == 4 ? s->fs_base : s->gs_base;
            return push(out, 0, d.addr32 ? (uint32_t)a : a, 1, false);
        }
        default:
            return 0;
        }
    }

    int m = next(&d);
    if (d.truncated)
        return -2;
    int mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
    if (mod == 3)
        return 0; /* a register operand */
    uint64_t ea = 0;
    bool riprel = false;
    if (rm == 4) {
        int sib = next(&d);
        int scale = sib >> 6, index = ((sib >> 3) & 7) | (d.rexx ? 8 : 0), base = sib & 7;
        if (index != 4)
            ea += g[index] << scale;
        if (base == 5 && mod == 0)
            ea += (uint64_t)take(&d, 4);
        else
            ea += g[base | (d.rexb ? 8 : 0)];
    } else if (rm == 5 && mod == 0) {
        riprel = true;
        ea = (uint64_t)take(&d, 4);
    } else {
        ea = g[rm | (d.rexb ? 8 : 0)];
    }
    if (mod == 1) {
        int64_t disp = take(&d, 1);
        if (d.vex == 4) /* EVEX compresses 8-bit displacements by the operand size */
            disp *= d.evex_b ? (d.rexw ? 8 : 4) : d.vl;
        ea += (uint64_t)disp;
    } else if (mod == 2) {
        ea += (uint64_t)take(&d, 4);
    }
    if (d.truncated)
        return -2;
    if (riprel) {
        int imm = imm_size(&d, reg);
        if (d.i + (size_t)imm > d.len)
            return -2;
        ea += s->rip + d.i + (uint64_t)imm;
    }
    if (d.addr32)
        ea = (uint32_t)ea;
    if (d.seg)
        ea += d.seg == 4 ? s->fs_base : s->gs_base;

    if (d.map == 0 && op == 0x8d)
        return 0; /* lea computes, it does not access */
    if (d.map == 1 && ((op >= 0x18 && op <= 0x1f) || op == 0x0d))
        return 0; /* hints and prefetches never fault */
    uint32_t size;
    bool write;
    operand(&d, reg, &size, &write);
    if (d.map == 0 && op == 0xff && (reg == 2 || reg == 3 || reg == 6)) {
        /* call or push through memory: read the operand, then push */
        n = push(out, 0, ea, 8, false);
        return push(out, n, sp - 8, 8, true);
    }
    if (d.map == 0 && op == 0x8f) { /* pop to memory */
        n = push(out, 0, sp, 8, false);
        return push(out, n, ea, 8, true);
    }
    return push(out, 0, ea, size, write);
}
