/* sys_proc.c: the payload's process syscalls served by the monitor: exit, arch_prctl, thread
 * pointers, uname, prctl, personality. */
#include <asm/prctl.h>
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "monitor/fastcall.h"
#include "monitor/seccomp.h"
#include "monitor/sys.h"
#include "monitor/thread.h"

int64_t vj_sys_exit(struct vj_proc *p, const uint64_t a[6])
{
    (void)p;
    vj_thread_exit(vj_self, (int)a[0]);
    return 0;
}

int64_t vj_sys_exit_group(struct vj_proc *p, const uint64_t a[6])
{
    vj_proc_end(p, false, (int)(a[0] & 0xff));
    return 0;
}

int64_t vj_sys_arch_prctl(struct vj_proc *p, const uint64_t a[6])
{
    uint64_t base;
    switch (a[0]) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
        if (a[1] >= (1ULL << 47))
            return -EPERM;
        if (a[0] == ARCH_SET_FS)
            return vj_vcpu_set_tls_base(vj_self->vcpu, false, a[1], NULL) < 0 ? -EIO : 0;
        vj_fast_gs_taken(p); /* where the fast path found its slot there */
        return vj_vcpu_set_payload_gs(vj_self->vcpu, a[1], false, NULL) < 0 ? -EIO : 0;
    case ARCH_GET_FS:
    case ARCH_GET_GS:
        if (vj_vcpu_get_tls_base(vj_self->vcpu, a[0] == ARCH_GET_GS, &base, NULL) < 0)
            return -EIO;
        if (a[0] == ARCH_GET_GS)
            base = vj_vcpu_gs_for_payload(vj_self->vcpu, base);
        return vj_copy_to_guest(p, a[1], &base, sizeof base);
    default:
        return -EINVAL;
    }
}

int64_t vj_sys_set_tid_address(struct vj_proc *p, const uint64_t a[6])
{
    (void)p;
    vj_self->clear_child_tid = a[0];
    return vj_self->tid;
}

int64_t vj_sys_set_robust_list(struct vj_proc *p, const uint64_t a[6])
{
    /* Recorded, not handed to the host: the host would walk the list in monitor memory. */
    (void)p;
    return a[1] == 24 ? 0 : -EINVAL;
}

int64_t vj_sys_uname(struct vj_proc *p, const uint64_t a[6])
{
    struct utsname u;
    if (uname(&u) < 0)
        return -errno;
    strcpy(u.machine, "x86_64");
    return vj_copy_to_guest(p, a[0], &u, sizeof u);
}

/* sysinfo(): the host's answer, but the RAM is the VM's: totalram is at most the payload's
 * memory (--memory), freeram, sharedram and bufferram at most that.  Programs size themselves
 * by it (glibc's sysconf(_SC_PHYS_PAGES) and _SC_AVPHYS_PAGES read it; the JVM's default heap
 * is a quarter of it and reserved whole at start): with the host's figure they reserve more
 * than the payload's address space holds and fail (OpenJDK on a 24 GiB host: "Could not
 * reserve enough space for 6172672KB object heap").  Swap, loads, uptime and processes are
 * the host's. */
int64_t vj_sys_sysinfo(struct vj_proc *p, const uint64_t a[6])
{
    struct sysinfo si;
    if (sysinfo(&si) < 0)
        return -errno;
    uint64_t unit = si.mem_unit ? si.mem_unit : 1;
    uint64_t ram = p->mem_size / unit;
    if (si.totalram > ram)
        si.totalram = ram;
    if (si.freeram > si.totalram)
        si.freeram = si.totalram;
    if (si.sharedram > si.totalram)
        si.sharedram = si.totalram;
    if (si.bufferram > si.totalram)
        si.bufferram = si.totalram;
    return vj_copy_to_guest(p, a[0], &si, sizeof si) < 0 ? -EFAULT : 0;
}

/* prctl: the name is the monitor thread's (it shows in ps); dumpable is the payload's own
 * flag, kept here and never set on the monitor (whose host process's dumpable flag guards
 * who may trace it); a few others are the host's, their values answered as they are: the
 * capability queries (bounding set, securebits, ambient IS_SET: what libcap's constructor
 * asks, in every PostgreSQL process) and no_new_privs among them (but not the one the
 * monitor's own seccomp filter needed: the payload sees its own). */
int64_t vj_sys_prctl(struct vj_proc *p, const uint64_t a[6])
{
    char name[16];
    int r;
    switch (a[0]) {
    case PR_SET_NAME: {
        long n = vj_strncpy_from_guest(p, name, a[1], sizeof name);
        if (n == -EFAULT)
            return -EFAULT;
        name[sizeof name - 1] = '\0';
        return prctl(PR_SET_NAME, name) < 0 ? -errno : 0;
    }
    case PR_GET_NAME:
        if (prctl(PR_GET_NAME, name) < 0)
            return -errno;
        return vj_copy_to_guest(p, a[1], name, sizeof name);
    case PR_GET_DUMPABLE:
        return p->not_dumpable ? 0 : 1;
    case PR_SET_DUMPABLE: /* Linux: SUID_DUMP_DISABLE (0) or SUID_DUMP_USER (1) only */
        if (a[1] > 1)
            return -EINVAL;
        p->not_dumpable = a[1] == 0;
        return 0;
    case PR_GET_TIMERSLACK:
        r = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
        return r < 0 ? -errno : r;
    case PR_GET_NO_NEW_PRIVS: /* the host's flag, unless only the monitor's filter set it */
        r = prctl(PR_GET_NO_NEW_PRIVS, a[1], a[2], a[3], a[4]);
        if (r < 0)
            return -errno;
        return r == 1 && vj_seccomp_set_nnp() && !p->no_new_privs ? 0 : r;
    case PR_SET_NO_NEW_PRIVS:
        if (prctl(PR_SET_NO_NEW_PRIVS, a[1], a[2], a[3], a[4]) < 0)
            return -errno;
        p->no_new_privs = true;
        return 0;
    case PR_CAPBSET_READ:
    case PR_GET_SECUREBITS:
        r = prctl((int)a[0], a[1], a[2], a[3], a[4]);
        return r < 0 ? -errno : r;
    case PR_CAP_AMBIENT: /* asking only; changing the set is refused as before */
        if (a[1] != PR_CAP_AMBIENT_IS_SET)
            return -EINVAL;
        r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, a[2], a[3], a[4]);
        return r < 0 ? -errno : r;
    case PR_SET_PDEATHSIG:
    case PR_SET_TIMERSLACK:
    case PR_GET_CHILD_SUBREAPER:
    case PR_SET_CHILD_SUBREAPER:
        if (a[0] == PR_GET_CHILD_SUBREAPER || a[0] == PR_SET_PDEATHSIG + 1 /* GET_PDEATHSIG */)
            return -EINVAL;
        return prctl((int)a[0], a[1], a[2], a[3], a[4]) < 0 ? -errno : 0;
    default:
        return -EINVAL;
    }
}

int64_t vj_sys_clock_settime(struct vj_proc *p, const uint64_t a[6])
{
    /* A payload never sets the host's clock: refused as Linux refuses a process without
     * CAP_SYS_TIME, after the checks Linux makes first. */
    struct timespec ts;
    if (vj_copy_from_guest(p, &ts, a[1], sizeof ts) < 0)
        return -EFAULT;
    if ((int)a[0] != CLOCK_REALTIME && (int)a[0] != CLOCK_TAI)
        return -EINVAL;
    return -EPERM;
}

int64_t vj_sys_settimeofday(struct vj_proc *p, const uint64_t a[6])
{
    (void)p;
    return a[0] == 0 && a[1] == 0 ? 0 : -EPERM;
}

/* personality: the payload runs as PER_LINUX (0) and nothing else (no READ_IMPLIES_EXEC,
 * ADDR_NO_RANDOMIZE, ...: the monitor lays out the address space itself).  0xffffffff queries
 * it; setting PER_LINUX answers the previous persona, 0; any other is refused. */
int64_t vj_sys_personality(struct vj_proc *p, const uint64_t a[6])
{
    (void)p;
    uint32_t persona = (uint32_t)a[0]; /* the kernel takes an unsigned int */
    return persona == 0xffffffffu || persona == 0 ? 0 : -EINVAL;
}
