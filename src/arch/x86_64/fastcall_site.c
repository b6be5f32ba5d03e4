/* fastcall_site.c: the x86-64 part of the fast syscall path: which syscall sites can be
 * patched, their trampolines, and where a vCPU stands in the fast-call code. */
#include <string.h>

#include "arch/arch.h"
#include "vmjail_abi.h"

extern const uint8_t vj_fastcall_image[], vj_fastcall_code[], vj_fastcall_rdpid[],
    vj_fastcall_saved[], vj_fastcall_posted[], vj_fastcall_consumed[], vj_fastcall_notposted[],
    vj_fastcall_site[], vj_fastcall_code_end[];

/* A site is a syscall instruction (0f 05) after one of these 5-byte instructions, which the
 * syscall wrappers of the C libraries and Go compile to:
 *   b8 imm32          mov $NR, %eax           (glibc, musl, Go's runtime: imm32 == rax)
 *   ba/bb/bd/be/bf imm32  mov $IMM, %edx/%ebx/%ebp/%esi/%edi  (e.g. glibc's openat with
 *                     AT_FDCWD: the register holds the zero-extended IMM)
 *   4c 8b 4c 24 08    mov 0x8(%rsp), %r9      (glibc's syscall(): r9 == [rsp + 8])
 *   48 8b 44 24 08    mov 0x8(%rsp), %rax     (Go's syscall.Syscall: rax == [rsp + 8])
 * None of them depends on where it runs, so the trampoline repeats it.  The patch replaces it
 * with a jump (e9 rel32) to the site's trampoline; the syscall instruction stays, so a thread
 * already past the instruction (or a jump straight to the syscall) still makes its call,
 * through the exit path.  The registers must agree with what the instruction did, and the
 * byte before it must not be one that would make it part of a longer instruction (a REX or
 * operand prefix: `41 b8` is a mov to r8d; an opcode escape): other sites stay unpatched. */
int vj_fast_site_decode(const uint8_t *code, int len, const struct vj_fast_site_regs *r)
{
    if (len < 8)
        return -1;
    const uint8_t *s = code + len - 7;
    if (s[5] != 0x0f || s[6] != 0x05)
        return -1;
    static const uint8_t load_r9[5] = {0x4c, 0x8b, 0x4c, 0x24, 0x08};
    static const uint8_t load_rax[5] = {0x48, 0x8b, 0x44, 0x24, 0x08};
    bool ok;
    uint32_t imm;
    memcpy(&imm, s + 1, sizeof imm);
    if (s[0] == 0xb8) {
        ok = imm == r->rax;
    } else if (s[0] == 0xba || s[0] == 0xbb || s[0] == 0xbd || s[0] == 0xbe || s[0] == 0xbf) {
        /* not b9 (ecx: the syscall clobbers it) nor bc (esp) */
        const uint64_t *reg = s[0] == 0xba ? &r->rdx : s[0] == 0xbb ? &r->rbx
                            : s[0] == 0xbd ? &r->rbp : s[0] == 0xbe ? &r->rsi : &r->rdi;
        ok = *reg == (uint64_t)imm;
    } else if (memcmp(s, load_r9, 5) == 0) {
        ok = r->stack8_ok && r->r9 == r->stack8;
    } else if (memcmp(s, load_rax, 5) == 0) {
        ok = r->stack8_ok && r->rax == r->stack8;
    } else {
        ok = false;
    }
    uint8_t before = s[-1];
    if (!ok || (before >= 0x40 && before <= 0x4f) || before == 0x0f || before == 0x66 ||
        before == 0x67 || before == 0xf2 || before == 0xf3 || before == 0xc4 || before == 0xc5 ||
        before == 0x8f)
        return -1;
    return len - 7;
}

static bool rel32(uint64_t from, uint64_t to, int32_t *out)
{
    int64_t d = (int64_t)(to - from);
    if (d < INT32_MIN || d > INT32_MAX)
        return false;
    *out = (int32_t)d;
    return true;
}

bool vj_fast_site_build(uint64_t site, const uint8_t insn[VJ_FAST_PATCH_SIZE], uint64_t at,
                        uint64_t entry, uint8_t out[VJ_FAST_TRAMP_SIZE],
                        uint8_t patch[VJ_FAST_PATCH_SIZE])
{
    int32_t ret_rel, entry_rel, site_rel;
    /* the site's instruction (5) | lea site+7(%rip),%rcx (7) | jmp entry (5) */
    if (!rel32(at + 12, site + 7, &ret_rel) || !rel32(at + 17, entry, &entry_rel) ||
        !rel32(site + 5, at, &site_rel))
        return false;
    memset(out, 0xcc, VJ_FAST_TRAMP_SIZE);
    memcpy(out, insn, VJ_FAST_PATCH_SIZE);
    out[5] = 0x48;
    out[6] = 0x8d;
    out[7] = 0x0d;
    memcpy(out + 8, &ret_rel, 4);
    out[12] = 0xe9;
    memcpy(out + 13, &entry_rel, 4);
    patch[0] = 0xe9;
    memcpy(patch + 1, &site_rel, 4);
    return true;
}

enum vj_fast_point vj_fast_point_at(uint64_t off)
{
#define OFF(label) ((uint64_t)(label - vj_fastcall_code))
    if (off < OFF(vj_fastcall_saved))
        return VJ_FAST_BEFORE_POST;
    if (off < OFF(vj_fastcall_posted))
        return VJ_FAST_SAVED;
    if (off < OFF(vj_fastcall_consumed))
        return VJ_FAST_POSTED;
    if (off < OFF(vj_fastcall_notposted))
        return VJ_FAST_CONSUMED;
    if (off < OFF(vj_fastcall_site))
        return VJ_FAST_NOT_POSTED;
    if (off < vj_fast_code_size())
        return VJ_FAST_AT_SITE;
    return VJ_FAST_OUTSIDE;
#undef OFF
}

uint64_t vj_fast_code_size(void)
{
    _Static_assert(VJ_LOW_FAST_ENTRY == VJ_FAST_MAX_NR / 8, "bitmap then code");
    return (uint64_t)(vj_fastcall_code_end - vj_fastcall_code);
}

void vj_fast_code_install(uint8_t *code)
{
    memcpy(code, vj_fastcall_image, (size_t)(vj_fastcall_code_end - vj_fastcall_image));
}

void vj_fast_code_use_slot0(uint8_t *code)
{
    /* rdpid %r11 (f3 41 0f c7 fb) becomes xor %r11,%r11 (4d 31 db) and a 2-byte nop. */
    static const uint8_t zero_r11[5] = {0x4d, 0x31, 0xdb, 0x66, 0x90};
    memcpy(code + (vj_fastcall_rdpid - vj_fastcall_image), zero_r11, sizeof zero_r11);
}

void vj_fast_code_use_gs(uint8_t *code)
{
    /* rdpid %r11 (f3 41 0f c7 fb) becomes rdgsbase %r11 (f3 49 0f ae cb), as long. */
    static const uint8_t gs_r11[5] = {0xf3, 0x49, 0x0f, 0xae, 0xcb};
    memcpy(code + (vj_fastcall_rdpid - vj_fastcall_image), gs_r11, sizeof gs_r11);
}
