/* seccomp.h: the monitor's own seccomp filter. */
#ifndef VJ_SECCOMP_H
#define VJ_SECCOMP_H

#include <stdbool.h>

#include "vmjail.h"

/* Allow only what the monitor serves or needs, for every thread; the rest fails with EPERM.
 * PLATFORM (VMJAIL_PLATFORM_*): the one this monitor runs payloads on; KVM leaves out what
 * only the process platform's stub needs, AUTO (not known yet) keeps it.  Irreversible for
 * this process and its children. */
int vj_seccomp_install(int platform, vmjail_error **err);

/* Whether vj_seccomp_install set this process's no_new_privs itself (the caller lacked
 * CAP_SYS_ADMIN and had not set it): the payload's PR_GET_NO_NEW_PRIVS does not see it. */
bool vj_seccomp_set_nnp(void);

#endif
