/* host_vdso.c: the host kernel's vDSO mappings in this process, found in /proc/self/maps: both
 * platforms give the payload the same pages (the host's clock data and the code that reads
 * it) in the low window, laid out as the host lays them out. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "host/host_vdso.h"
#include "vmjail_abi.h"

static struct vj_host_vdso host;
static bool usable;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The [vvar*] and [vdso] mappings must follow one another and fit the low window. */
static void find(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return;
    char line[512];
    struct vj_host_vdso h = {0};
    bool broken = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long long a, b;
        char name[64] = "";
        if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %63s", &a, &b, name) < 2)
            continue;
        bool vvar = strncmp(name, "[vvar", 5) == 0, vdso = strcmp(name, "[vdso]") == 0;
        if (!vvar && !vdso)
            continue;
        if (h.segs == VJ_HOST_VDSO_SEGS || (h.segs > 0 && a != h.hi)) {
            broken = true;
            break;
        }
        if (h.segs == 0)
            h.lo = a;
        h.seg[h.segs].start = a;
        h.seg[h.segs].end = b;
        h.segs++;
        h.hi = b;
        if (vdso)
            h.ehdr = a;
    }
    fclose(f);
    if (broken || h.ehdr == 0 || h.hi <= h.lo || h.hi - h.lo > VJ_LOW_VDSO_SIZE ||
        (h.lo | h.hi) % VJ_PAGE_SIZE)
        return;
    host = h;
    usable = true;
}

const struct vj_host_vdso *vj_host_vdso(void)
{
    pthread_once(&once, find);
    return usable ? &host : NULL;
}
