/* readfile.c: sequential reads of a file already in the page cache. readfile PATH: reads
   PATH to its end in 1 MiB blocks; prints "gbps X" (GB/s, 10^9 bytes per second). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"

#define BLOCK (1 << 20)
static char buf[BLOCK];

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: readfile PATH\n");
        return 2;
    }
    memset(buf, 1, sizeof buf); /* fault the buffer in before the clock starts */
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror("readfile: open");
        return 1;
    }
    uint64_t total = 0;
    uint64_t t0 = now_ns();
    for (;;) {
        ssize_t n = read(fd, buf, BLOCK);
        if (n < 0) {
            perror("readfile: read");
            return 1;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
    }
    uint64_t t1 = now_ns();
    close(fd);
    printf("gbps %.3f\n", (double)total / (double)(t1 - t0));
    fprintf(stderr, "readfile: %llu bytes in %.3f ms\n", (unsigned long long)total,
            (double)(t1 - t0) / 1e6);
    return 0;
}
