/* syscall.h: the syscall table and its dispatcher, as the run loop, the fast path, --trace and
 * the monitor's seccomp filter see them (the handlers are declared in sys.h).  Every Linux
 * x86-64 syscall number has one entry saying how the monitor serves it: passed to the host
 * with each argument translated and checked as its type says, emulated by a handler, or
 * refused with -ENOSYS (the default for any call not listed). */
#ifndef VJ_SYSCALL_H
#define VJ_SYSCALL_H

#include <stdint.h>

#include "monitor/proc.h"

#define VJ_NR_SYSCALLS 462

enum vj_serve {
    VJ_NOSYS = 0, /* answered -ENOSYS */
    VJ_PASS = 1,  /* performed by the host on translated arguments */
    VJ_EMUL = 2,  /* emulated by the monitor */
    VJ_PRIV = 3,  /* a privileged call vmjail never makes for the payload: answered -EPERM */
};

/* How an argument is translated (pass-through) and printed (--trace). */
enum vj_arg_type {
    VJ_A_NONE = 0,
    VJ_A_INT,   /* signed 32-bit value */
    VJ_A_LONG,  /* signed 64-bit value */
    VJ_A_ULONG, /* unsigned value */
    VJ_A_UINT,  /* unsigned 32-bit value */
    VJ_A_HEX,   /* flags or an address the call does not dereference */
    VJ_A_OCT,   /* a file mode */
    VJ_A_FD,    /* a descriptor: the monitor's own are refused with EBADF */
    VJ_A_DIRFD, /* a descriptor or AT_FDCWD */
    VJ_A_PATH,  /* a NUL-terminated string the kernel reads */
    VJ_A_IN,    /* memory the kernel reads */
    VJ_A_OUT,   /* memory the kernel writes */
    VJ_A_INOUT, /* memory the kernel reads and writes */
    VJ_A_OUTL,  /* memory the kernel writes, its size in a socklen_t the argument .len points to */
};

/* An argument's type and, for memory, its size: .size bytes, times argument .len when
 * .len >= 0. */
struct vj_arg {
    uint8_t type;
    int8_t len;
    uint16_t size;
};

enum vj_ret {
    VJ_RET_INT = 0, /* a count or 0 */
    VJ_RET_HEX,     /* an address */
    VJ_RET_FD,      /* a new descriptor: vetted before the payload gets it */
};

typedef int64_t (*vj_sys_fn)(struct vj_proc *p, const uint64_t a[6]);

struct vj_syscall_desc {
    const char *name;
    uint8_t serve;
    uint8_t nargs;
    uint8_t ret;
    vj_sys_fn fn; /* the handler for emulated calls and pass-through calls that need one */
    struct vj_arg arg[6];
};

/* The table, indexed by syscall number. */
extern const struct vj_syscall_desc vj_syscalls[VJ_NR_SYSCALLS];

/* The entry for NR, or NULL if NR is outside the table or unnamed. */
const struct vj_syscall_desc *vj_syscall_lookup(uint64_t nr);

/* Why NR is refused (EPERM) or answered ENOSYS, in a line (syscall_reasons.c), or NULL: for
 * the documentation and the unit tests, never read while serving a call. */
const char *vj_syscall_reason(uint64_t nr);

/* Serve one syscall of the payload; returns the value for rax (a negative errno on failure).
 * Sets p->exited when the payload ended. */
int64_t vj_syscall_dispatch(struct vj_proc *p, const struct vj_syscall *sc);

/* The generic pass-through: translate A as D says and perform the call on the host. */
int64_t vj_syscall_pass(struct vj_proc *p, uint64_t nr, const struct vj_syscall_desc *d,
                        const uint64_t a[6]);

#endif
