/* syscall-dump.c: prints the monitor's syscall table and refusal reasons, one line per number, for scripts/syscall-doc. */
#include <stdint.h>
#include <stdio.h>

#include "monitor/syscall.h"

/* Each number the table names or gives a reason for: NR, NAME (or -), how it is served
 * (pass, emul, priv, nosys, or absent), and the reason (or -), separated by tabs. */
int main(void)
{
    static const char *const serve[] = {
        [VJ_NOSYS] = "nosys", [VJ_PASS] = "pass", [VJ_EMUL] = "emul", [VJ_PRIV] = "priv"};
    for (uint64_t nr = 0; nr < VJ_NR_SYSCALLS; nr++) {
        const struct vj_syscall_desc *d = vj_syscall_lookup(nr);
        const char *why = vj_syscall_reason(nr);
        if (d == NULL && why == NULL)
            continue;
        const char *how = "absent";
        if (d != NULL && d->serve < sizeof serve / sizeof serve[0] && serve[d->serve])
            how = serve[d->serve];
        if (printf("%llu\t%s\t%s\t%s\n", (unsigned long long)nr, d ? d->name : "-", how,
                   why ? why : "-") < 0)
            return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
