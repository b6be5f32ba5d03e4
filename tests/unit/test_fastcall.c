/* test_fastcall.c: unit tests of the fast syscall path's site decoding and trampolines (src/arch/x86_64/fastcall_site.c). */
#include <stdint.h>
#include <string.h>

#include "arch/arch.h"
#include "monitor/fastcall.h"
#include "tap.h"

/* CODE ends with the syscall instruction; returns the decoded offset. */
static int decode(const uint8_t *code, int len, uint64_t rax, uint64_t r9, uint64_t stack8)
{
    struct vj_fast_site_regs r = {.rax = rax, .r9 = r9, .stack8 = stack8, .stack8_ok = true};
    return vj_fast_site_decode(code, len, &r);
}

extern const uint8_t vj_fastcall_image[], vj_fastcall_rdpid[], vj_fastcall_code_end[];

/* The monitor's edits of its copy of the fast-call code: how a vCPU finds its slot. */
static void slot_finding(void)
{
    static uint8_t code[65536];
    size_t size = (size_t)(vj_fastcall_code_end - vj_fastcall_image);
    size_t at = (size_t)(vj_fastcall_rdpid - vj_fastcall_image);
    ok(size <= sizeof code, "the fast-call code fits the test's copy");
    memcpy(code, vj_fastcall_image, size);
    static const uint8_t rdpid[5] = {0xf3, 0x41, 0x0f, 0xc7, 0xfb};
    ok(memcmp(code + at, rdpid, 5) == 0, "the code reads its vCPU's index with rdpid %%r11");
    static const uint8_t bound[7] = {0x49, 0x81, 0xfb, 0xff, 0x03, 0, 0};
    ok(memcmp(code + at + 5, bound, 7) == 0, "then checks it against the last slot (1023)");
    vj_fast_code_use_gs(code);
    static const uint8_t gs[5] = {0xf3, 0x49, 0x0f, 0xae, 0xcb};
    ok(memcmp(code + at, gs, 5) == 0, "use_gs: rdgsbase %%r11 in its place");
    vj_fast_code_use_slot0(code);
    static const uint8_t zero[5] = {0x4d, 0x31, 0xdb, 0x66, 0x90};
    ok(memcmp(code + at, zero, 5) == 0, "use_slot0: xor %%r11,%%r11 and a nop");
    ok(memcmp(code + at + 5, bound, 7) == 0 && memcmp(code, vj_fastcall_image, at) == 0 &&
           memcmp(code + at + 5, vj_fastcall_image + at + 5, size - at - 5) == 0,
       "nothing else changes");
}

int main(void)
{
    slot_finding();
    /* when a spinning poller steps aside */
    ok(!vj_fast_contended(1000000, 990000, 0, 0), "a poller with its core to itself is not contended");
    ok(!vj_fast_contended(1000000, 900000, 1, 50000), "nor one a kernel thread preempted briefly");
    ok(vj_fast_contended(1000000, 500000, 3, 0), "one that got half its core, preempted, is");
    ok(!vj_fast_contended(1000000, 100000, 0, 0),
       "one that slept in a call it served (no preemption) is not");
    ok(vj_fast_contended(1000000, 1000000, 0, 500000),
       "a payload thread that waited half the time for a CPU is");
    ok(!vj_fast_contended(0, 0, 2, 0), "an empty interval tells nothing");
    /* glibc's getpid: mov $0x27,%eax; syscall, after a ret's c3 */
    static const uint8_t mov_eax[] = {0x90, 0xc3, 0xb8, 0x27, 0, 0, 0, 0x0f, 0x05};
    is_int(decode(mov_eax, sizeof mov_eax, 0x27, 0, 0), 2, "mov $nr,%%eax; syscall decodes");
    is_int(decode(mov_eax, sizeof mov_eax, 0x28, 0, 0), -1, "a mov of another number does not");
    /* 41 b8: mov $0x27,%r8d, not %eax */
    static const uint8_t mov_r8d[] = {0x90, 0x41, 0xb8, 0x27, 0, 0, 0, 0x0f, 0x05};
    is_int(decode(mov_r8d, sizeof mov_r8d, 0x27, 0, 0), -1, "a REX-prefixed mov is refused");
    static const uint8_t mov_ax[] = {0x90, 0x66, 0xb8, 0x27, 0, 0, 0, 0x0f, 0x05};
    is_int(decode(mov_ax, sizeof mov_ax, 0x27, 0, 0), -1, "an operand-size prefix is refused");
    /* glibc's syscall(): mov 0x8(%rsp),%r9; syscall after mov %r9,%r8 (4d 89 c8) */
    static const uint8_t load_r9[] = {0x4d, 0x89, 0xc8, 0x4c, 0x8b, 0x4c, 0x24, 0x08, 0x0f, 0x05};
    is_int(decode(load_r9, sizeof load_r9, 39, 7, 7), 3, "mov 0x8(%%rsp),%%r9 decodes");
    is_int(decode(load_r9, sizeof load_r9, 39, 7, 8), -1, "... only if r9 is what it loaded");
    struct vj_fast_site_regs no_stack = {.rax = 39, .r9 = 7};
    is_int(vj_fast_site_decode(load_r9, sizeof load_r9, &no_stack), -1,
           "... and only if the stack could be read");
    static const uint8_t load_rax[] = {0x90, 0x90, 0x48, 0x8b, 0x44, 0x24, 0x08, 0x0f, 0x05};
    is_int(decode(load_rax, sizeof load_rax, 1, 0, 1), 2, "Go's mov 0x8(%%rsp),%%rax decodes");
    /* glibc's openat: mov %rdi,%rsi; mov $-100,%edi; syscall */
    static const uint8_t at_fdcwd[] = {0x48, 0x89, 0xfe, 0xbf, 0x9c, 0xff, 0xff, 0xff, 0x0f, 0x05};
    struct vj_fast_site_regs ra = {.rax = 257, .rdi = 0xffffff9c};
    is_int(vj_fast_site_decode(at_fdcwd, sizeof at_fdcwd, &ra), 3, "mov $imm,%%edi decodes");
    ra.rdi = (uint64_t)-100;
    is_int(vj_fast_site_decode(at_fdcwd, sizeof at_fdcwd, &ra), -1,
           "... only if rdi is the zero-extended immediate");
    static const uint8_t mov_ecx[] = {0x90, 0x90, 0xb9, 0x27, 0, 0, 0, 0x0f, 0x05};
    struct vj_fast_site_regs rc = {.rax = 0x27};
    is_int(vj_fast_site_decode(mov_ecx, sizeof mov_ecx, &rc), -1, "mov $imm,%%ecx is refused");
    static const uint8_t no_syscall[] = {0x90, 0x90, 0xb8, 0x27, 0, 0, 0, 0x0f, 0x34};
    is_int(decode(no_syscall, sizeof no_syscall, 0x27, 0, 0), -1, "sysenter is not a site");
    is_int(decode(mov_eax, 7, 0x27, 0, 0), -1, "too short to check the byte before");
    static const uint8_t other[] = {0x90, 0x90, 0x48, 0x89, 0xf8, 0x90, 0x90, 0x0f, 0x05};
    is_int(decode(other, sizeof other, 0x27, 0, 0), -1, "any other instruction is refused");

    uint8_t out[VJ_FAST_TRAMP_SIZE], patch[VJ_FAST_PATCH_SIZE];
    uint64_t site = 0x401000, at = 0x101000, entry = 0x100040;
    ok(vj_fast_site_build(site, mov_eax + 2, at, entry, out, patch), "trampoline built");
    ok(memcmp(out, mov_eax + 2, 5) == 0, "it starts with the site's instruction");
    int32_t rel;
    memcpy(&rel, out + 8, 4);
    is_int((int64_t)(at + 12 + rel), (int64_t)(site + 7), "lea gives the return address");
    memcpy(&rel, out + 13, 4);
    is_int((int64_t)(at + 17 + rel), (int64_t)entry, "then it jumps to the entry");
    is_int(patch[0], 0xe9, "the patch is a jmp rel32");
    memcpy(&rel, patch + 1, 4);
    is_int((int64_t)(site + 5 + rel), (int64_t)at, "to the trampoline");
    ok(!vj_fast_site_build(0x200000000ULL, mov_eax + 2, at, entry, out, patch),
       "a site 8 GiB away is refused");

    ok(vj_fast_point_at(0) == VJ_FAST_BEFORE_POST, "the entry is before the post");
    ok(vj_fast_point_at(vj_fast_code_size()) == VJ_FAST_OUTSIDE, "past the code is outside");
    return done_testing();
}
