/* test_sysinfo.c: sysinfo() through the syscall table (src/monitor/sys_proc.c): the RAM it
 * reports is at most the payload's memory, as a VM's kernel would report its own (programs
 * such as the JVM size their heap reservation by it); the rest is the host's; a pointer
 * outside guest memory is EFAULT. */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>

#include "fake_guest.h"
#include "monitor/proc.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"
#include "tap.h"
#include "vmjail_abi.h"

#define PG 4096ULL
#define MEM_SIZE (16ULL << 20)
#define BUF ((uint64_t)VJ_GUEST_MIN + (1ULL << 20))

static struct vj_proc P;

static int64_t call(uint64_t nr, uint64_t a0)
{
    struct vj_syscall sc = {.nr = nr, .arg = {a0, 0, 0, 0, 0, 0}};
    return vj_syscall_dispatch(&P, &sc);
}

int main(void)
{
    fake_guest(&P, MEM_SIZE, 2ULL << 20);
    if (mprotect(P.mem + BUF, 4 * PG, PROT_READ | PROT_WRITE) < 0)
        return 2;
    struct sysinfo host;
    if (sysinfo(&host) < 0)
        return 2;
    struct sysinfo *si = (struct sysinfo *)(void *)(P.mem + BUF);
    memset(si, 0xff, sizeof *si);
    is_int(call(SYS_sysinfo, BUF), 0, "sysinfo");
    uint64_t unit = si->mem_unit ? si->mem_unit : 1;
    ok((uint64_t)si->totalram * unit <= MEM_SIZE && (uint64_t)si->totalram * unit > MEM_SIZE - unit,
       "totalram is the payload's memory (%llu bytes), not the host's (%llu)",
       (unsigned long long)((uint64_t)si->totalram * unit),
       (unsigned long long)((uint64_t)host.totalram * (host.mem_unit ? host.mem_unit : 1)));
    ok(si->freeram <= si->totalram, "freeram at most totalram");
    ok(si->sharedram <= si->totalram && si->bufferram <= si->totalram,
       "sharedram and bufferram at most totalram");
    ok(si->procs > 0 && si->uptime > 0, "procs and uptime are the host's");
    is_int(call(SYS_sysinfo, 0), -EFAULT, "sysinfo(NULL): EFAULT");
    is_int(call(SYS_sysinfo, MEM_SIZE - 8), -EFAULT, "sysinfo at the end of guest memory: EFAULT");
    is_int(call(SYS_sysinfo, BUF + 4 * PG - 8), -EFAULT, "sysinfo into an inaccessible page: EFAULT");
    done_testing();
}
