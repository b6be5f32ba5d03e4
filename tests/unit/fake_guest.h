/* fake_guest.h: a guest process without a VM, for unit tests: a zeroed vj_proc whose guest
 * memory is an inaccessible host reservation of MEM_SIZE bytes plus a guard, which each test
 * opens as its layout needs. */
#ifndef VJ_FAKE_GUEST_H
#define VJ_FAKE_GUEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor/proc.h"

static inline void fake_guest(struct vj_proc *p, uint64_t mem_size, uint64_t guard)
{
    /* NULL vm, no threads, default (zero) mutexes and dispositions. */
    memset(p, 0, sizeof *p);
    void *r = mmap(NULL, mem_size + guard, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (r == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    p->mem = r;
    p->mem_size = mem_size;
    p->trace_fd = -1;
}

#endif
