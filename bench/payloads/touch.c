/* touch.c: first touch of fresh memory. touch [MIB [huge]]: maps MIB MiB (default 256) of
   anonymous memory (with MADV_HUGEPAGE if "huge") and writes one byte per 4 KiB page; prints
   "ms X" for the map and the touching.  Then unmaps it and does the same again at once, and
   prints "retouch_ms Y": memory the process just gave back, which the machine still holds. */
#include <stdio.h>
#include <sys/mman.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long mib = arg_long(argc, argv, 1, 256);
    size_t len = (size_t)mib << 20;
    uint64_t t0 = now_ns();
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("touch: mmap");
        return 1;
    }
    if (argc > 2 && argv[2][0] == 'h')
        madvise((void *)p, len, MADV_HUGEPAGE);
    for (size_t off = 0; off < len; off += 4096)
        p[off] = 1;
    uint64_t t1 = now_ns();
    munmap((void *)p, len);
    uint64_t t2 = now_ns();
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("touch: mmap");
        return 1;
    }
    for (size_t off = 0; off < len; off += 4096)
        p[off] = 1;
    uint64_t t3 = now_ns();
    printf("ms %.3f\nretouch_ms %.3f\n", (double)(t1 - t0) / 1e6, (double)(t3 - t2) / 1e6);
    return 0;
}
