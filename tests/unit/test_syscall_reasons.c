/* test_syscall_reasons.c: unit tests of the refusal reasons (src/monitor/syscall_reasons.c) against the syscall table. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "monitor/syscall.h"
#include "tap.h"

/* Every call the table refuses (PRIV, NOSYS) has a reason; no call it serves has one (a reason
 * left behind when a call becomes served would say in docs/syscalls.md that it is not). */
static void test_reasons_match_table(void)
{
    int refused = 0, missing = 0, stale = 0, with_reason = 0, empty = 0;
    for (uint64_t nr = 0; nr < VJ_NR_SYSCALLS; nr++) {
        const struct vj_syscall_desc *d = vj_syscall_lookup(nr);
        const char *why = vj_syscall_reason(nr);
        if (why != NULL) {
            with_reason++;
            if (why[0] == '\0') {
                printf("#   %llu: empty reason\n", (unsigned long long)nr);
                empty++;
            }
        }
        if (d == NULL)
            continue;
        if (d->serve == VJ_PRIV || d->serve == VJ_NOSYS) {
            refused++;
            if (why == NULL) {
                printf("#   %s: refused without a reason in syscall_reasons.c\n", d->name);
                missing++;
            }
        } else if (why != NULL) {
            printf("#   %s: served, yet syscall_reasons.c says why it is not: \"%s\"\n", d->name,
                   why);
            stale++;
        }
    }
    ok(refused > 30, "%d refused entries in the table", refused);
    is_int(missing, 0, "every PRIV and NOSYS entry has a reason");
    is_int(stale, 0, "no served entry has a reason");
    is_int(empty, 0, "no reason is empty");
    ok(with_reason > refused, "%d reasons: the refused entries and deliberate absences",
       with_reason);
}

static void test_reason_lookup(void)
{
    ok(vj_syscall_reason(SYS_mount) != NULL && strstr(vj_syscall_reason(SYS_mount), "mount"),
       "mount's reason names the mount table");
    ok(vj_syscall_reason(SYS_read) == NULL, "read (served) has no reason");
    ok(vj_syscall_reason(VJ_NR_SYSCALLS) == NULL, "reason(%d) is NULL", VJ_NR_SYSCALLS);
    ok(vj_syscall_reason(UINT64_MAX) == NULL, "reason(-1) is NULL");
}

int main(void)
{
    test_reasons_match_table();
    test_reason_lookup();
    return done_testing();
}
