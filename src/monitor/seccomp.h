/* seccomp.h: the monitor's own seccomp filter. */
#ifndef VJ_SECCOMP_H
#define VJ_SECCOMP_H

#include "vmjail.h"

/* Allow only what the monitor serves or needs, for every thread; the rest fails with EPERM.
 * Irreversible for this process and its children. */
int vj_seccomp_install(vmjail_error **err);

#endif
