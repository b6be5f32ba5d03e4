/* host_vdso.h: where the host kernel put this process's vDSO ([vvar*] and [vdso] mappings),
 * which each platform shares with the payload in its low window (vmjail_abi.h). */
#ifndef VJ_HOST_VDSO_H
#define VJ_HOST_VDSO_H

#include <stdint.h>

#define VJ_HOST_VDSO_SEGS 4

struct vj_host_vdso {
    uint64_t lo, hi; /* every mapping, one after another: [lo, hi) */
    uint64_t ehdr;   /* the [vdso] mapping's start: its ELF header */
    int segs;        /* the mappings, in address order */
    struct {
        uint64_t start, end;
    } seg[VJ_HOST_VDSO_SEGS];
};

/* The host's vDSO as this process's /proc/self/maps shows it (read once), or NULL where it
 * cannot be shared: no /proc, a gap between the mappings, too many of them, or more than the
 * low window's VJ_LOW_VDSO_SIZE. */
const struct vj_host_vdso *vj_host_vdso(void);

#endif
