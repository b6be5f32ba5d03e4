/* reserve.c: a large reservation the program barely touches does not grow its memory use
 * (vmjail populates fresh memory ahead of the payload only as far as the payload goes), and
 * memory it unmaps is given back.  Reads VmRSS from /proc/self/status. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MiB (1UL << 20)

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            sscanf(line + 6, "%ld", &v);
    if (f)
        fclose(f);
    return v;
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void check(const char *what, long grew_kib, long limit_mib)
{
    if (grew_kib < limit_mib * 1024)
        printf("%s: ok\n", what);
    else
        printf("%s: grew by %ld KiB (limit %ld MiB)\n", what, grew_kib, limit_mib);
}

int main(void)
{
    /* 64 GiB where the address space allows it (vmjail's is --memory, 1 GiB by default). */
    size_t len = 64UL << 30;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) {
        len = 512 * MiB;
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
    }
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    long base = rss_kib();
    p[0] = 1;
    pause_ms(200);
    check("one page touched", rss_kib() - base, 24);
    for (size_t off = 0; off < 64 * MiB; off += 4096)
        p[off] = 1;
    pause_ms(200);
    check("64 MiB touched", rss_kib() - base, 64 + 48);
    munmap(p, len);
    check("unmapped, given back", rss_kib() - base, 16);

    /* Touch from the middle of a fresh mapping, then stop. */
    char *q = mmap(NULL, 256 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    base = rss_kib();
    for (size_t off = 128 * MiB; off < 136 * MiB; off += 4096)
        q[off] = 2;
    pause_ms(200);
    check("8 MiB touched in the middle", rss_kib() - base, 8 + 48);
    int sum = 0;
    for (size_t off = 0; off < 256 * MiB; off += 64 * 4096)
        sum += q[off];
    printf("contents: %s\n", sum == 2 * 32 ? "ok" : "wrong");
    return 0;
}
