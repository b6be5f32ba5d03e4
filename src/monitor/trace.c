/* trace.c: strace-style output of the payload's syscalls, faults and end (--trace). */
#include "monitor/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitor/syscall.h"

/* A line is built in a buffer and written with one write(2), so lines never interleave. */
struct line {
    char buf[1024];
    size_t n;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
    if (l->n >= sizeof l->buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n = l->n + (size_t)k < sizeof l->buf ? l->n + (size_t)k : sizeof l->buf - 1;
}

/* Quote LEN bytes of guest memory at GVA, at most MAX of them. */
static void add_quoted(struct line *l, struct vj_proc *p, uint64_t gva, uint64_t len, bool str)
{
    char data[48];
    uint64_t max = sizeof data - 1, n = len < max ? len : max;
    if (str) {
        long k = vj_strncpy_from_guest(p, data, gva, sizeof data);
        if (k == -EFAULT) {
            add(l, "%#llx", (unsigned long long)gva);
            return;
        }
        n = k < 0 ? max : (uint64_t)k;
        len = k < 0 ? max + 1 : n;
    } else if (vj_copy_from_guest(p, data, gva, n) < 0) {
        add(l, "%#llx", (unsigned long long)gva);
        return;
    }
    add(l, "\"");
    for (uint64_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\n')
            add(l, "\\n");
        else if (c == '"' || c == '\\')
            add(l, "\\%c", c);
        else if (c >= 32 && c < 127)
            add(l, "%c", c);
        else
            add(l, "\\%o", c);
    }
    add(l, "\"%s", len > n ? "..." : "");
}

static void add_arg(struct line *l, struct vj_proc *p, const struct vj_arg *s, uint64_t v,
                    const uint64_t a[6])
{
    switch (s->type) {
    case VJ_A_INT:
    case VJ_A_FD:
        add(l, "%d", (int)v);
        break;
    case VJ_A_DIRFD:
        if ((int)v == AT_FDCWD)
            add(l, "AT_FDCWD");
        else
            add(l, "%d", (int)v);
        break;
    case VJ_A_LONG:
        add(l, "%lld", (long long)v);
        break;
    case VJ_A_ULONG:
        add(l, "%llu", (unsigned long long)v);
        break;
    case VJ_A_UINT:
        add(l, "%u", (unsigned)v);
        break;
    case VJ_A_OCT:
        add(l, "%#llo", (unsigned long long)v);
        break;
    case VJ_A_PATH:
        if (v == 0)
            add(l, "NULL");
        else
            add_quoted(l, p, v, 0, true);
        break;
    case VJ_A_IN:
        if (v != 0 && s->size == 1 && s->len >= 0)
            add_quoted(l, p, v, a[s->len], false);
        else
            add(l, v ? "%#llx" : "NULL", (unsigned long long)v);
        break;
    default:
        add(l, v ? "%#llx" : "NULL", (unsigned long long)v);
        break;
    }
}

static void emit(struct vj_proc *p, struct line *l)
{
    add(l, "\n");
    if (l->buf[l->n - 1] != '\n')
        l->buf[l->n - 1] = '\n';
    ssize_t w = write(p->trace_fd, l->buf, l->n);
    (void)w;
}

void vj_trace_syscall(struct vj_proc *p, const struct vj_syscall *sc,
                      const struct vj_syscall_desc *d, int64_t r)
{
    struct line l = {.n = 0};
    if (vj_self && vj_self->tid != getpid())
        add(&l, "[tid %d] ", (int)vj_self->tid);
    if (d == NULL) {
        add(&l, "syscall_%llu(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)",
            (unsigned long long)sc->nr, (unsigned long long)sc->arg[0],
            (unsigned long long)sc->arg[1], (unsigned long long)sc->arg[2],
            (unsigned long long)sc->arg[3], (unsigned long long)sc->arg[4],
            (unsigned long long)sc->arg[5]);
    } else {
        add(&l, "%s(", d->name);
        for (int i = 0; i < d->nargs; i++) {
            if (i)
                add(&l, ", ");
            add_arg(&l, p, &d->arg[i], sc->arg[i], sc->arg);
        }
        add(&l, ")");
    }
    if (__atomic_load_n(&p->exited, __ATOMIC_RELAXED) || (vj_self && vj_self->exited))
        add(&l, " = ?");
    else if (r < 0 && r > -4096)
        add(&l, " = -1 %s (%s)", strerrorname_np((int)-r) ? strerrorname_np((int)-r) : "E?",
            strerror((int)-r));
    else if (d && d->ret == VJ_RET_HEX)
        add(&l, " = %#llx", (unsigned long long)r);
    else
        add(&l, " = %lld", (long long)r);
    if (d && d->serve == VJ_NOSYS && d->name)
        add(&l, " (not supported)");
    else if (d && d->serve == VJ_PRIV)
        add(&l, " (not permitted)");
    emit(p, &l);
}

void vj_trace_fault(struct vj_proc *p, const struct vj_fault *f)
{
    struct line l = {.n = 0};
    add(&l, "--- SIG%s {si_code=%d, si_addr=%#llx} (%s at pc %#llx) ---", sigabbrev_np(f->signo) ?
        sigabbrev_np(f->signo) : "SIG?", f->code, (unsigned long long)f->addr, f->what,
        (unsigned long long)f->pc);
    emit(p, &l);
}

void vj_trace_end(struct vj_proc *p)
{
    struct line l = {.n = 0};
    if (p->result.signaled)
        add(&l, "+++ killed by SIG%s%s +++", sigabbrev_np(p->result.signal) ?
            sigabbrev_np(p->result.signal) : "?", p->core_dumped ? " (core dumped)" : "");
    else
        add(&l, "+++ exited with %d +++", p->result.exit_code);
    emit(p, &l);
}
