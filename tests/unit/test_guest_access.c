/* test_guest_access.c: unit tests of guest pointer checks and fault-safe copies (proc.h, src/monitor/guest_access.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_guest.h"
#include "monitor/proc.h"
#include "tap.h"
#include "vmjail_abi.h"

#define PG 4096ULL
#define MEM_SIZE (8ULL << 20)
#define GUARD (2ULL << 20)

/* Guest pages used (everything else stays PROT_NONE on the host):
 *   RW0, RW0+1          read/write (two adjacent pages)
 *   RW0+2               PROT_NONE (a hole)
 *   RO                  read-only
 *   LAST = mem_size-PG  read/write, the last page of guest memory */
#define RW0 ((uint64_t)VJ_GUEST_MIN + 16 * PG)
#define HOLE (RW0 + 2 * PG)
#define RO (RW0 + 4 * PG)
#define LAST (MEM_SIZE - PG)

static struct vj_proc P;

static void setup(void)
{
    fake_guest(&P, MEM_SIZE, GUARD);
    if (mprotect(P.mem + RW0, 2 * PG, PROT_READ | PROT_WRITE) < 0 ||
        mprotect(P.mem + RO, PG, PROT_READ | PROT_WRITE) < 0 ||
        mprotect(P.mem + LAST, PG, PROT_READ | PROT_WRITE) < 0) {
        perror("mprotect");
        exit(2);
    }
    memset(P.mem + RO, 'r', PG);
    mprotect(P.mem + RO, PG, PROT_READ);
}

static void test_range_ok(void)
{
    const struct vj_proc *p = &P;
    ok(vj_guest_range_ok(p, VJ_GUEST_MIN, 1), "first byte of payload memory");
    ok(!vj_guest_range_ok(p, VJ_GUEST_MIN - 1, 1), "byte below VJ_GUEST_MIN");
    ok(!vj_guest_range_ok(p, VJ_GUEST_MIN - 1, 2), "range starting below VJ_GUEST_MIN");
    ok(!vj_guest_range_ok(p, 0, 1), "address 0");
    ok(!vj_guest_range_ok(p, 0, 0), "address 0, length 0");
    ok(vj_guest_range_ok(p, VJ_GUEST_MIN, 0), "length 0 at VJ_GUEST_MIN");
    ok(vj_guest_range_ok(p, RW0, 0), "length 0 inside");
    ok(vj_guest_range_ok(p, MEM_SIZE - 1, 1), "last byte");
    ok(!vj_guest_range_ok(p, MEM_SIZE - 1, 2), "last byte plus one");
    ok(vj_guest_range_ok(p, MEM_SIZE - 100, 100), "gva + len == mem_size");
    ok(!vj_guest_range_ok(p, MEM_SIZE - 100, 101), "gva + len == mem_size + 1");
    ok(vj_guest_range_ok(p, MEM_SIZE, 0), "empty range at mem_size");
    ok(!vj_guest_range_ok(p, MEM_SIZE, 1), "byte at mem_size");
    ok(!vj_guest_range_ok(p, MEM_SIZE + 1, 0), "empty range past mem_size");
    ok(vj_guest_range_ok(p, VJ_GUEST_MIN, MEM_SIZE - VJ_GUEST_MIN), "all of payload memory");
    ok(!vj_guest_range_ok(p, VJ_GUEST_MIN, MEM_SIZE - VJ_GUEST_MIN + 1), "all of it plus one");
    ok(!vj_guest_range_ok(p, VJ_GUEST_MIN, MEM_SIZE), "len == mem_size from VJ_GUEST_MIN");
    ok(!vj_guest_range_ok(p, VJ_GUEST_MIN, UINT64_MAX), "len UINT64_MAX");
    ok(!vj_guest_range_ok(p, RW0, UINT64_MAX - RW0 + 1), "gva + len wraps to exactly 0");
    ok(!vj_guest_range_ok(p, RW0, UINT64_MAX - RW0 + 1 + VJ_GUEST_MIN),
       "gva + len wraps to VJ_GUEST_MIN");
    ok(!vj_guest_range_ok(p, UINT64_MAX, 1), "gva UINT64_MAX");
    ok(!vj_guest_range_ok(p, UINT64_MAX, 0), "gva UINT64_MAX, len 0");
    ok(!vj_guest_range_ok(p, UINT64_MAX - 10, 20), "gva near UINT64_MAX, wrapping");
    ok(!vj_guest_range_ok(p, UINT64_MAX - MEM_SIZE + 1, MEM_SIZE), "gva + len == 2^64");
    ok(!vj_guest_range_ok(p, MEM_SIZE - PG, UINT64_MAX - PG), "len near UINT64_MAX");
    ok(!vj_guest_range_ok(p, 0x7ff000000000ULL, 1), "the monitor region");
    ok(!vj_guest_range_ok(p, 1ULL << 63, 1), "a kernel address");
}

static void test_guest_ptr(void)
{
    const struct vj_proc *p = &P;
    ok(vj_guest_ptr(p, RW0, 16) == P.mem + RW0, "vj_guest_ptr: mem + gva");
    ok(vj_guest_ptr(p, MEM_SIZE - 1, 1) == P.mem + MEM_SIZE - 1, "vj_guest_ptr: last byte");
    ok(vj_guest_ptr(p, MEM_SIZE - 1, 2) == NULL, "vj_guest_ptr: past the end is NULL");
    ok(vj_guest_ptr(p, VJ_GUEST_MIN - 1, 1) == NULL, "vj_guest_ptr: below VJ_GUEST_MIN is NULL");
    ok(vj_guest_ptr(p, 0, 0) == NULL, "vj_guest_ptr: 0 is NULL");
    ok(vj_guest_ptr(p, UINT64_MAX, 1) == NULL, "vj_guest_ptr: UINT64_MAX is NULL");
    ok(vj_guest_ptr(p, RW0, UINT64_MAX) == NULL, "vj_guest_ptr: len UINT64_MAX is NULL");
    /* Inaccessible but inside: translated all the same (only copies may touch it). */
    ok(vj_guest_ptr(p, HOLE, PG) == P.mem + HOLE, "vj_guest_ptr: PROT_NONE page translated");

    ok(vj_guest_arg(p, 0, 0) == NULL, "vj_guest_arg: NULL stays NULL (len 0)");
    ok(vj_guest_arg(p, 0, 100) == NULL, "vj_guest_arg: NULL stays NULL (len 100)");
    ok(vj_guest_arg(p, RW0, 100) == P.mem + RW0, "vj_guest_arg: good pointer translated");
    ok(vj_guest_arg(p, RW0, 0) == P.mem + RW0, "vj_guest_arg: len 0 checks the start");
    ok(vj_guest_arg(p, 1, 0) == VJ_BAD_HOST_PTR, "vj_guest_arg: 1, len 0 is bad");
    ok(vj_guest_arg(p, VJ_GUEST_MIN - 1, 1) == VJ_BAD_HOST_PTR, "vj_guest_arg: below MIN");
    ok(vj_guest_arg(p, MEM_SIZE, 1) == VJ_BAD_HOST_PTR, "vj_guest_arg: mem_size");
    ok(vj_guest_arg(p, MEM_SIZE - 1, 2) == VJ_BAD_HOST_PTR, "vj_guest_arg: runs past mem_size");
    ok(vj_guest_arg(p, MEM_SIZE - 1, 1) == P.mem + MEM_SIZE - 1, "vj_guest_arg: last byte");
    ok(vj_guest_arg(p, UINT64_MAX, 1) == VJ_BAD_HOST_PTR, "vj_guest_arg: UINT64_MAX");
    ok(vj_guest_arg(p, UINT64_MAX, 0) == VJ_BAD_HOST_PTR, "vj_guest_arg: UINT64_MAX, len 0");
    ok(vj_guest_arg(p, RW0, UINT64_MAX) == VJ_BAD_HOST_PTR, "vj_guest_arg: len UINT64_MAX");
    ok(vj_guest_arg(p, 0x7ff000000000ULL, 8) == VJ_BAD_HOST_PTR, "vj_guest_arg: monitor region");
}

static void test_copies(void)
{
    const struct vj_proc *p = &P;
    uint8_t src[3 * PG], dst[3 * PG];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + 3);

    is_int(vj_copy_to_guest(p, RW0, src, 100), 0, "copy_to_guest on a RW page");
    ok(memcmp(P.mem + RW0, src, 100) == 0, "the bytes are in guest memory");
    memset(dst, 0, sizeof dst);
    is_int(vj_copy_from_guest(p, dst, RW0, 100), 0, "copy_from_guest on a RW page");
    ok(memcmp(dst, src, 100) == 0, "the bytes come back");

    is_int(vj_copy_to_guest(p, RW0 + PG - 50, src, 100), 0, "copy_to_guest across two RW pages");
    memset(dst, 0, sizeof dst);
    is_int(vj_copy_from_guest(p, dst, RW0 + PG - 50, 100), 0, "copy_from_guest across pages");
    ok(memcmp(dst, src, 100) == 0, "the bytes across the page boundary come back");
    is_int(vj_copy_to_guest(p, RW0, src, 2 * PG), 0, "copy_to_guest of two whole pages");
    is_int(vj_copy_from_guest(p, dst, RW0, 2 * PG), 0, "copy_from_guest of two whole pages");
    ok(memcmp(dst, src, 2 * PG) == 0, "two pages round-trip");

    /* Inaccessible memory: -EFAULT, never a crash. */
    is_int(vj_copy_from_guest(p, dst, HOLE, 8), -EFAULT, "copy_from_guest of a PROT_NONE page");
    is_int(vj_copy_to_guest(p, HOLE, src, 8), -EFAULT, "copy_to_guest of a PROT_NONE page");
    is_int(vj_copy_from_guest(p, dst, HOLE - 8, 16), -EFAULT,
           "copy_from_guest running from RW into PROT_NONE");
    is_int(vj_copy_to_guest(p, HOLE - 8, src, 16), -EFAULT,
           "copy_to_guest running from RW into PROT_NONE");
    is_int(vj_copy_from_guest(p, dst, RW0, 3 * PG), -EFAULT,
           "copy_from_guest of 3 pages, the third PROT_NONE");
    is_int(vj_copy_from_guest(p, dst, VJ_GUEST_MIN, 8), -EFAULT,
           "copy_from_guest of never-opened memory");

    /* Read-only memory. */
    is_int(vj_copy_from_guest(p, dst, RO, 16), 0, "copy_from_guest of a read-only page");
    ok(dst[0] == 'r' && dst[15] == 'r', "read-only contents");
    is_int(vj_copy_to_guest(p, RO, src, 16), -EFAULT, "copy_to_guest of a read-only page");
    ok(P.mem[RO] == 'r', "the read-only page is unchanged");

    /* Out of range. */
    is_int(vj_copy_from_guest(p, dst, 0, 1), -EFAULT, "copy_from_guest at 0");
    is_int(vj_copy_to_guest(p, 0, src, 1), -EFAULT, "copy_to_guest at 0");
    is_int(vj_copy_from_guest(p, dst, VJ_GUEST_MIN - 8, 8), -EFAULT, "below VJ_GUEST_MIN");
    is_int(vj_copy_from_guest(p, dst, MEM_SIZE - 8, 8), 0, "the last 8 bytes of guest memory");
    is_int(vj_copy_from_guest(p, dst, MEM_SIZE - 8, 9), -EFAULT, "one byte past mem_size");
    is_int(vj_copy_to_guest(p, MEM_SIZE - 8, src, 9), -EFAULT, "copy_to one byte past mem_size");
    is_int(vj_copy_to_guest(p, MEM_SIZE, src, 1), -EFAULT, "copy_to at mem_size (the guard)");
    is_int(vj_copy_from_guest(p, dst, UINT64_MAX, 1), -EFAULT, "copy_from at UINT64_MAX");
    is_int(vj_copy_from_guest(p, dst, UINT64_MAX - 3, 8), -EFAULT, "copy_from wrapping");
    is_int(vj_copy_from_guest(p, dst, RW0, UINT64_MAX), -EFAULT, "copy_from of UINT64_MAX bytes");
    is_int(vj_copy_to_guest(p, RW0, src, UINT64_MAX), -EFAULT, "copy_to of UINT64_MAX bytes");

    /* Zero lengths. */
    is_int(vj_copy_from_guest(p, dst, RW0, 0), 0, "copy_from of 0 bytes");
    is_int(vj_copy_to_guest(p, HOLE, src, 0), 0, "copy_to of 0 bytes at a PROT_NONE page");
    is_int(vj_copy_from_guest(p, dst, 0, 0), -EFAULT, "copy_from of 0 bytes at 0 is still bad");
}

/* Put S (with its NUL) so that it ends at guest address END (exclusive). */
static uint64_t put_string_ending_at(uint64_t end, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(P.mem + end - n, s, n);
    return end - n;
}

static void test_strncpy(void)
{
    const struct vj_proc *p = &P;
    char dst[256];

    memcpy(P.mem + RW0, "hello", 6);
    memset(dst, 'X', sizeof dst);
    is_int(vj_strncpy_from_guest(p, dst, RW0, sizeof dst), 5, "a normal string");
    is_str(dst, "hello", "its contents");

    memcpy(P.mem + RW0, "", 1);
    is_int(vj_strncpy_from_guest(p, dst, RW0, sizeof dst), 0, "an empty string");
    is_str(dst, "", "empty contents");

    uint64_t g = put_string_ending_at(RW0 + PG + 10, "across a page boundary");
    is_int(vj_strncpy_from_guest(p, dst, g, sizeof dst), 22, "a string across two pages");
    is_str(dst, "across a page boundary", "its contents");

    /* The NUL is the last byte before a PROT_NONE page. */
    g = put_string_ending_at(HOLE, "right up to the hole");
    is_int(vj_strncpy_from_guest(p, dst, g, sizeof dst), 20, "NUL at the last accessible byte");
    is_str(dst, "right up to the hole", "its contents");
    g = put_string_ending_at(HOLE, "");
    is_int(vj_strncpy_from_guest(p, dst, g, sizeof dst), 0, "empty string at the last byte");

    /* No NUL before the PROT_NONE page. */
    memset(P.mem + HOLE - 64, 'a', 64);
    is_int(vj_strncpy_from_guest(p, dst, HOLE - 64, sizeof dst), -EFAULT,
           "no NUL before a PROT_NONE page");
    is_int(vj_strncpy_from_guest(p, dst, HOLE - 1, sizeof dst), -EFAULT,
           "one byte then a PROT_NONE page");
    is_int(vj_strncpy_from_guest(p, dst, HOLE, sizeof dst), -EFAULT, "starting in PROT_NONE");
    is_int(vj_strncpy_from_guest(p, dst, 0, sizeof dst), -EFAULT, "address 0");
    is_int(vj_strncpy_from_guest(p, dst, VJ_GUEST_MIN - 1, sizeof dst), -EFAULT,
           "below VJ_GUEST_MIN");
    is_int(vj_strncpy_from_guest(p, dst, UINT64_MAX, sizeof dst), -EFAULT, "UINT64_MAX");
    /* But a long enough MAX-limit is reached first: the limit wins. */
    is_int(vj_strncpy_from_guest(p, dst, HOLE - 64, 64), -ENAMETOOLONG,
           "MAX bytes without NUL before the hole: -ENAMETOOLONG");

    /* The MAX limit: at most MAX-1 characters. */
    memcpy(P.mem + RW0, "0123456789", 11);
    char small[16];
    memset(small, 'X', sizeof small);
    is_int(vj_strncpy_from_guest(p, small, RW0, 11), 10, "MAX-1 characters fit");
    is_str(small, "0123456789", "its contents");
    memset(small, 'X', sizeof small);
    is_int(vj_strncpy_from_guest(p, small, RW0, 10), -ENAMETOOLONG, "MAX characters do not");
    ok(small[10] == 'X', "nothing written past MAX bytes of DST");
    memset(small, 'X', sizeof small);
    is_int(vj_strncpy_from_guest(p, small, RW0, 4), -ENAMETOOLONG, "longer than MAX");
    ok(small[4] == 'X', "nothing written past MAX bytes of DST (MAX 4)");
    memcpy(P.mem + RW0, "", 1);
    is_int(vj_strncpy_from_guest(p, small, RW0, 1), 0, "MAX 1: the empty string fits");
    memcpy(P.mem + RW0, "a", 2);
    is_int(vj_strncpy_from_guest(p, small, RW0, 1), -ENAMETOOLONG, "MAX 1: \"a\" does not");
    memset(small, 'X', sizeof small);
    is_int(vj_strncpy_from_guest(p, small, RW0, 0), -ENAMETOOLONG, "MAX 0");
    ok(small[0] == 'X', "MAX 0 writes nothing");

    /* A long string over a page: PATH_MAX-like. */
    char *big = malloc(2 * PG), *want = malloc(2 * PG);
    memset(want, 'p', PG + 99);
    want[PG + 99] = '\0';
    memcpy(P.mem + RW0 + 100, want, PG + 100);
    is_int(vj_strncpy_from_guest(p, big, RW0 + 100, 2 * PG), PG + 99, "a string of 4195 bytes");
    ok(memcmp(big, want, PG + 100) == 0, "its contents");
    free(big);
    free(want);

    /* The very end of guest memory. */
    P.mem[MEM_SIZE - 1] = '\0';
    is_int(vj_strncpy_from_guest(p, dst, MEM_SIZE - 1, sizeof dst), 0,
           "empty string at mem_size-1");
    P.mem[MEM_SIZE - 1] = 'z';
    is_int(vj_strncpy_from_guest(p, dst, MEM_SIZE - 1, sizeof dst), -EFAULT,
           "non-terminated byte at mem_size-1 (would run into the guard)");
    g = put_string_ending_at(MEM_SIZE, "the end");
    is_int(vj_strncpy_from_guest(p, dst, g, sizeof dst), 7, "a string ending at mem_size");
    is_str(dst, "the end", "its contents");
    is_int(vj_strncpy_from_guest(p, dst, MEM_SIZE, sizeof dst), -EFAULT, "starting at mem_size");
}

int main(void)
{
    setup();
    test_range_ok();
    test_guest_ptr();
    test_copies();
    test_strncpy();
    return done_testing();
}
