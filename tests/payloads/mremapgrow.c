/* mremapgrow.c: a mapping grown in place by mremap, both parts touched, then moved whole to a
 * fixed address: Linux moves it with its bytes.  Prints what it saw.  (stress-ng's mremap
 * stressor under KVM, in the stress runs, is what found the host-side EFAULT this is about.) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MB (1UL << 20)

int main(void)
{
    /* A hole to grow into: map 8 MiB, give back its second half. */
    char *a = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED || munmap(a + 4 * MB, 4 * MB) != 0) {
        printf("setup: %s\n", strerror(errno));
        return 1;
    }
    memset(a, 'a', 4 * MB);
    char *g = mremap(a, 4 * MB, 8 * MB, 0); /* in place only */
    printf("grown in place: %s\n", g == a ? "yes" : g == MAP_FAILED ? strerror(errno) : "moved");
    if (g != a)
        return 1;
    memset(a + 4 * MB, 'b', 4 * MB);
    /* A free place for it: map 8 MiB elsewhere and move onto it. */
    char *t = mmap(NULL, 8 * MB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *m = mremap(a, 8 * MB, 8 * MB, MREMAP_MAYMOVE | MREMAP_FIXED, t);
    printf("moved whole: %s\n", m == t ? "yes" : m == MAP_FAILED ? strerror(errno) : "elsewhere");
    if (m != t)
        return 1;
    int ok = m[0] == 'a' && m[4 * MB - 1] == 'a' && m[4 * MB] == 'b' && m[8 * MB - 1] == 'b';
    printf("its bytes: %s\n", ok ? "kept" : "LOST");
    return ok ? 0 : 1;
}
