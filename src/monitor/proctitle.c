/* proctitle.c: the monitor's own command line as the host shows it (/proc/PID/cmdline, ps):
 * the payload's argv, written over the monitor's argv area, so that the host's tools (ps,
 * podman top) see the program, not "vmjail run ...". */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/procfs.h"

/* arg_start and arg_end of this process, fields 48 and 49 of /proc/self/stat. */
static int arg_area(uintptr_t *start, uintptr_t *end)
{
    char buf[2048];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    p += 2; /* field 3 */
    for (int field = 3; field < 48; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return -1;
        p++;
    }
    char *e;
    *start = (uintptr_t)strtoull(p, &e, 10);
    *end = (uintptr_t)strtoull(e, NULL, 10);
    return *start && *end > *start ? 0 : -1;
}

void vj_proctitle_set(char *const argv[])
{
    uintptr_t start, end;
    if (arg_area(&start, &end) < 0)
        return;
    char *area = (char *)start;
    size_t size = end - start, used = 0;
    for (char *const *a = argv; a && *a && used < size; a++) {
        size_t n = strlen(*a) + 1;
        if (n > size - used)
            n = size - used;
        memcpy(area + used, *a, n);
        used += n;
    }
    memset(area + used, 0, size - used);
    area[size - 1] = '\0'; /* a NUL last: the kernel shows the area as argv, not as a title */
}
