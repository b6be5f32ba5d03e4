/* memory.c: heap, mmap/munmap/mremap/mprotect/madvise, file mappings, brk; contents verified. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PG 4096UL

static int failures;

static void check(const char *name, int ok)
{
    if (ok) {
        printf("%s: ok\n", name);
    } else {
        printf("%s: fail (errno %d)\n", name, errno);
        failures++;
    }
    fflush(stdout);
}

static int all_zero(const void *p, size_t n)
{
    const uint64_t *w = p;
    for (size_t i = 0; i < n / 8; i++)
        if (w[i])
            return 0;
    return 1;
}

static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)(seed + i * 7 + (i >> 12));
}

static int filled(const void *p, size_t n, unsigned seed)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != (unsigned char)(seed + i * 7 + (i >> 12)))
            return 0;
    return 1;
}

static void *anon(void *addr, size_t len, int prot, int extra)
{
    return mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
}

static void big_malloc(void)
{
    const size_t size = 256UL << 20;
    unsigned char *p = malloc(size);
    check("malloc 256 MiB", p != NULL);
    if (!p)
        return;
    uint64_t sum = 0, expect = 0;
    for (size_t i = 0; i < size; i += PG) {
        uint64_t v = (i / PG) * 2654435761u + 17;
        *(uint64_t *)(p + i) = v;
        *(uint64_t *)(p + i + PG - 8) = ~v;
        expect += v + ~v;
    }
    for (size_t i = 0; i < size; i += PG)
        sum += *(uint64_t *)(p + i) + *(uint64_t *)(p + i + PG - 8);
    check("touch every page of 256 MiB, checksum", sum == expect);
    free(p);
}

static void mmap_cycles(void)
{
    unsigned x = 12345;
    int bad_zero = 0, bad_map = 0, bad_unmap = 0;
    for (int i = 0; i < 1000; i++) {
        x = x * 1103515245 + 12345;
        size_t len = ((x >> 16) % 64 + 1) * PG;
        if (i % 100 == 99)
            len = (4UL << 20) + PG; /* now and then a few MiB */
        if (i % 7 == 3)
            len -= PG / 2; /* lengths need not be page multiples */
        unsigned char *p = anon(NULL, len, PROT_READ | PROT_WRITE, 0);
        if (p == MAP_FAILED) {
            bad_map++;
            continue;
        }
        size_t full = (len + PG - 1) & ~(PG - 1);
        if (!all_zero(p, full))
            bad_zero++;
        memset(p, 0xa5, full);
        if (munmap(p, len) != 0)
            bad_unmap++;
    }
    check("1000 mmap/munmap cycles: all mapped", bad_map == 0);
    check("1000 mmap/munmap cycles: fresh memory zeroed", bad_zero == 0);
    check("1000 mmap/munmap cycles: all unmapped", bad_unmap == 0);
    check("munmap of unaligned address gives EINVAL",
          munmap((void *)(PG + 1), PG) == -1 && errno == EINVAL);
    check("mmap length 0 gives EINVAL",
          anon(NULL, 0, PROT_READ, 0) == MAP_FAILED && errno == EINVAL);
    check("mmap bad fd gives EBADF",
          mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 987, 0) == MAP_FAILED && errno == EBADF);
}

static void remap(void)
{
    size_t old = 16 * PG, grown = 4096 * PG; /* 64 KiB -> 16 MiB */
    unsigned char *p = anon(NULL, old + PG, PROT_READ | PROT_WRITE, 0);
    check("mmap for mremap", p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    fill(p, old, 3);
    /* The page right after (a separate mapping now) blocks growth in place, so
     * MREMAP_MAYMOVE has to move. */
    unsigned char *blocker = p + old;
    check("mprotect the page after it", mprotect(blocker, PG, PROT_READ) == 0);
    check("mremap grow without MAYMOVE gives ENOMEM",
          mremap(p, old, grown, 0) == MAP_FAILED && errno == ENOMEM);
    unsigned char *q = mremap(p, old, grown, MREMAP_MAYMOVE);
    check("mremap grow MAYMOVE moves", q != MAP_FAILED && q != p);
    munmap(blocker, PG);
    if (q == MAP_FAILED)
        return;
    unsigned char *again = anon(p, old, PROT_READ, MAP_FIXED_NOREPLACE);
    check("the old range is free after the move", again == p);
    if (again != MAP_FAILED)
        munmap(again, old);
    check("mremap grow preserves contents", filled(q, old, 3));
    check("mremap grown part is zero", all_zero(q + old, grown - old));
    memset(q + grown - PG, 1, PG);
    unsigned char *r = mremap(q, grown, 8 * PG, 0);
    check("mremap shrink in place", r == q);
    check("mremap shrink preserves contents", filled(r, 8 * PG, 3));
    unsigned char *s = mremap(r, 8 * PG, 16 * PG, MREMAP_MAYMOVE);
    check("mremap regrow: new tail is zero",
          s != MAP_FAILED && filled(s, 8 * PG, 3) && all_zero(s + 8 * PG, 8 * PG));
    munmap(s, 16 * PG);
}

static void file_mapping(void)
{
    char path[] = "/tmp/vjmemXXXXXX";
    int fd = mkstemp(path);
    check("mkstemp", fd >= 0);
    if (fd < 0)
        return;
    unlink(path);
    size_t len = 3 * PG + 100;
    unsigned char *data = malloc(len);
    fill(data, len, 9);
    check("write file", write(fd, data, len) == (ssize_t)len);

    unsigned char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    check("mmap file MAP_PRIVATE PROT_READ", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        check("file mapping has the file's contents", filled(m, len, 9));
        int tail_zero = 1;
        for (size_t i = len; i < 4 * PG; i++)
            tail_zero &= m[i] == 0;
        check("file mapping beyond EOF in the last page is zero", tail_zero);
        munmap(m, len);
    }
    m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
    check("mmap file MAP_PRIVATE at offset 4096", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        check("offset mapping matches file at 4096", memcmp(m, data + PG, 2 * PG) == 0);
        memset(m, 'P', 16);
        unsigned char b[16];
        check("private write does not reach the file",
              pread(fd, b, 16, PG) == 16 && memcmp(b, data + PG, 16) == 0);
        munmap(m, 2 * PG);
    }

    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("mmap file MAP_SHARED read/write", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        memcpy(m + 10, "shared write", 12);
        unsigned char b[12];
        check("MAP_SHARED write visible to pread while mapped",
              pread(fd, b, 12, 10) == 12 && memcmp(b, "shared write", 12) == 0);
        check("pwrite visible in the MAP_SHARED mapping",
              pwrite(fd, "PW", 2, 2 * PG) == 2 && memcmp(m + 2 * PG, "PW", 2) == 0);
        check("msync MS_SYNC", msync(m, len, MS_SYNC) == 0);
        memcpy(m + PG, "second", 6);
        check("munmap MAP_SHARED", munmap(m, len) == 0);
        check("MAP_SHARED write visible to read after munmap",
              lseek(fd, PG, SEEK_SET) == PG && read(fd, b, 6) == 6 && memcmp(b, "second", 6) == 0);
    }
    close(fd);
    free(data);
}

static void fixed_and_protect(void)
{
    unsigned char *p = anon(NULL, 8 * PG, PROT_READ | PROT_WRITE, 0);
    check("mmap 8 pages", p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    fill(p, 8 * PG, 5);
    unsigned char *f = anon(p + 2 * PG, 3 * PG, PROT_READ | PROT_WRITE, MAP_FIXED);
    check("MAP_FIXED over pages 2-4 returns that address", f == p + 2 * PG);
    check("MAP_FIXED pages are zero", all_zero(p + 2 * PG, 3 * PG));
    unsigned char *ref = malloc(8 * PG);
    fill(ref, 8 * PG, 5);
    check("pages 0-1 and 5-7 around the MAP_FIXED range kept",
          memcmp(p, ref, 2 * PG) == 0 && memcmp(p + 5 * PG, ref + 5 * PG, 3 * PG) == 0);

    check("mprotect PROT_READ", mprotect(p, 8 * PG, PROT_READ) == 0);
    check("read after PROT_READ", memcmp(p, ref, 2 * PG) == 0 && all_zero(p + 2 * PG, PG));
    check("mprotect back to PROT_READ|PROT_WRITE",
          mprotect(p, 8 * PG, PROT_READ | PROT_WRITE) == 0);
    p[0] = 77;
    check("write after restoring PROT_WRITE", p[0] == 77);
    check("mprotect PROT_NONE and back", mprotect(p + PG, PG, PROT_NONE) == 0 &&
                                             mprotect(p + PG, PG, PROT_READ | PROT_WRITE) == 0 &&
                                             memcmp(p + PG, ref + PG, PG) == 0);
    free(ref);
    /* raw syscall: musl's mprotect() wrapper rounds the address down */
    check("mprotect unaligned gives EINVAL",
          syscall(SYS_mprotect, p + 1, PG, PROT_READ) == -1 && errno == EINVAL);

    /* punch a hole, then MAP_FIXED_NOREPLACE into it and over mapped pages */
    check("munmap the middle (pages 3-4)", munmap(p + 3 * PG, 2 * PG) == 0);
    unsigned char *h = anon(p + 3 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
    check("MAP_FIXED_NOREPLACE into the hole", h == p + 3 * PG);
    check("hole mapping is zero", h != MAP_FAILED && all_zero(h, 2 * PG));
    errno = 0;
    h = anon(p + 6 * PG, PG, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
    check("MAP_FIXED_NOREPLACE over mapped pages gives EEXIST", h == MAP_FAILED && errno == EEXIST);
    check("munmap all 8 pages", munmap(p, 8 * PG) == 0);
    check("munmap already unmapped range is ok", munmap(p, 8 * PG) == 0);

    /* MADV_DONTNEED on private anonymous memory zeroes it */
    unsigned char *m = anon(NULL, 64 * PG, PROT_READ | PROT_WRITE, 0);
    memset(m, 0x5a, 64 * PG);
    check("madvise MADV_DONTNEED", madvise(m + 8 * PG, 16 * PG, MADV_DONTNEED) == 0);
    check("MADV_DONTNEED range reads zero", all_zero(m + 8 * PG, 16 * PG));
    check("outside MADV_DONTNEED range kept", m[8 * PG - 1] == 0x5a && m[24 * PG] == 0x5a);
    munmap(m, 64 * PG);
}

static void brk_checks(void)
{
    /* raw brk: the libc wrappers differ (musl's sbrk refuses non-zero increments). */
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    check("brk(0) returns the current break", cur != 0 && (uintptr_t)syscall(SYS_brk, 0) == cur);
    uintptr_t want = cur + (1UL << 20);
    uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
    check("brk grow 1 MiB", got == want);
    if (got == want) {
        unsigned char *b = (unsigned char *)cur;
        uintptr_t base = (cur + PG - 1) & ~(PG - 1);
        check("new brk memory is zero", all_zero((void *)base, want - base));
        memset(b, 0x33, want - cur);
        check("brk shrink", (uintptr_t)syscall(SYS_brk, cur) == cur);
        check("brk regrow", (uintptr_t)syscall(SYS_brk, want) == want);
        check("regrown brk memory is zero again", all_zero((void *)base, want - base));
        check("brk shrink back", (uintptr_t)syscall(SYS_brk, cur) == cur);
    }
    uintptr_t huge = (uintptr_t)syscall(SYS_brk, cur + (1UL << 47));
    check("brk beyond the address space fails, returning the old break", huge == cur);
}

int main(void)
{
    big_malloc();
    mmap_cycles();
    remap();
    file_mapping();
    fixed_and_protect();
    brk_checks();
    printf("memory: %s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
