/* gdb_target.c: the payload threads' side of the gdb stub: a thread that faults, ends a single
 * step or is asked to stop parks in the monitor with its state taken (vj_vcpu_snapshot, as for
 * a core file) until gdb resumes it; breakpoints are int3 bytes in guest memory, hidden from
 * gdb's reads. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/error.h"
#include "monitor/gdb.h"
#include "monitor/gdb_proto.h"
#include "monitor/proc_life.h"
#include "monitor/signal.h"

#define TF 0x100ULL

/* ---- the connection's start ------------------------------------------------------------- */

/* HOST:PORT (HOST a numeric IPv4 or IPv6 address; empty or "localhost": 127.0.0.1) into a
 * socket address. */
static int parse_hostport(const char *hp, struct sockaddr_storage *ss, socklen_t *len,
                          vmjail_error **err)
{
    const char *colon = strrchr(hp, ':');
    if (colon == NULL || colon[1] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--gdb: '%s' is not HOST:PORT", hp);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--gdb: '%s' is not a port", colon + 1);
    char host[256];
    size_t n = (size_t)(colon - hp);
    if (n >= sizeof host)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--gdb: host name too long");
    memcpy(host, hp, n);
    host[n] = '\0';
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { /* [::1]:1234 */
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    const char *h = host[0] && strcmp(host, "localhost") ? host : "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
    } else {
        return vj_error(err, VMJAIL_ERR_USAGE, 0,
                        "--gdb: '%s' is not a numeric address (or localhost)", host);
    }
    return 0;
}

int vj_gdb_start(struct vj_proc *p, const char *hostport, bool wait, vmjail_error **err)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (parse_hostport(hostport, &ss, &len, err) < 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "--gdb: socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0) {
        int e = errno;
        close(fd);
        return vj_error(err, VMJAIL_ERR_USAGE, e, "--gdb: cannot listen on %s", hostport);
    }
    int c = -1;
    if (wait) {
        c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        close(fd);
        fd = -1;
        if (c < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "--gdb: accept");
        setsockopt(c, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    }
    struct vj_gdb *g = calloc(1, sizeof *g);
    if (g == NULL) {
        close(c >= 0 ? c : fd);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "--gdb");
    }
    g->proc = p;
    g->fd = c >= 0 ? vj_vm_own_fd(p->vm, c) : -1;
    g->listen_fd = fd >= 0 ? vj_vm_own_fd(p->vm, fd) : -1; /* --gdb-listen: accepted later */
    int w = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g->wake_fd = w < 0 ? -1 : vj_vm_own_fd(p->vm, w);
    g->attached = wait;
    g->stop_req = wait; /* the first thread stops before its first instruction */
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    p->gdb = g;
    /* The connection's thread takes no signal but the kick. */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, VJ_SIG_KICK);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&g->server, NULL, vj_gdb_serve, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        p->gdb = NULL;
        int fds[2] = {g->fd, g->listen_fd};
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                vj_vm_disown_fd(p->vm, fds[i]);
                close(fds[i]);
            }
        if (g->wake_fd >= 0) {
            vj_vm_disown_fd(p->vm, g->wake_fd);
            close(g->wake_fd);
        }
        free(g);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "--gdb: thread");
    }
    g->server_started = true;
    return 0;
}

void vj_gdb_end(struct vj_proc *p)
{
    struct vj_gdb *g = p->gdb;
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    g->ended = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
    if (g->server_started)
        pthread_join(g->server, NULL);
    p->gdb = NULL;
    if (g->wake_fd >= 0) {
        vj_vm_disown_fd(p->vm, g->wake_fd);
        close(g->wake_fd);
    }
    for (size_t i = 0; i < p->nthreads; i++) {
        free(p->threads[i]->gdb);
        p->threads[i]->gdb = NULL;
    }
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* ---- parking ------------------------------------------------------------------------------ */

static struct vj_gdb_thread *gt(struct vj_thread *t)
{
    if (t->gdb == NULL)
        t->gdb = calloc(1, sizeof *t->gdb);
    return t->gdb;
}

/* Park T (with g->lock held) until gdb resumes it, EVENT the host signal it reports (0: it was
 * only asked to stop).  Returns the signal to deliver as it resumes. */
static int park(struct vj_gdb *g, struct vj_thread *t, int event)
{
    struct vj_gdb_thread *s = gt(t);
    if (s == NULL)
        return event;
    s->have_regs = vj_vcpu_snapshot(t->vcpu, &s->regs, NULL) == 0;
    s->stepping = false;
    s->dirty = false;
    if (s->have_regs && (s->regs.regs.rflags & TF)) { /* a step's trap flag goes */
        s->regs.regs.rflags &= ~TF;
        s->dirty = true;
    }
    s->event = event;
    s->reported = false;
    s->resume_sig = 0;
    s->parked = true;
    s->go = false;
    if (!__atomic_load_n(&g->stop_req, __ATOMIC_ACQUIRE))
        vj_gdb_request_stop(g);
    pthread_cond_broadcast(&g->cond);
    uint64_t one = 1;
    if (g->wake_fd >= 0 && write(g->wake_fd, &one, sizeof one) < 0) {
        /* the connection looks again within its poll's timeout */
    }
    while (!s->go && g->attached && !vj_proc_ended(t->proc))
        pthread_cond_wait(&g->cond, &g->lock);
    s->parked = false;
    if (s->have_regs && (s->dirty || s->stepping)) {
        struct vj_vcpu_snapshot *r = &s->regs;
        if (s->stepping && g->attached)
            r->regs.rflags |= TF;
        vj_vcpu_set_user_regs(t->vcpu, &r->regs, NULL);
        if (s->dirty) {
            vj_vcpu_set_fpu(t->vcpu, &r->fpu, NULL);
            vj_vcpu_set_tls_base(t->vcpu, false, r->fs_base, NULL);
        }
    }
    if (!g->attached)
        s->stepping = false;
    return s->resume_sig;
}

void vj_gdb_checkpoint(struct vj_thread *t, int last)
{
    struct vj_gdb *g = t->proc->gdb;
    pthread_mutex_lock(&g->lock);
    struct vj_gdb_thread *s = t->gdb;
    int event = 0;
    if (s && s->stepping) {
        /* A step that ended with a syscall (the host completes it before the trap flag
         * acts): the step is over after it.  Another stop (an interrupt) steps on. */
        if (last != VJ_STOP_SYSCALL && !__atomic_load_n(&g->stop_req, __ATOMIC_ACQUIRE)) {
            pthread_mutex_unlock(&g->lock);
            return;
        }
        event = last == VJ_STOP_SYSCALL ? SIGTRAP : 0;
    }
    struct vj_user_regs now;
    if (!vj_vcpu_get_user_regs(t->vcpu, &now)) {
        /* Stopped inside the monitor's stubs (KVM): no user context to show gdb.  It resumes,
         * and its look at its signals (still flagged) brings it back here soon. */
        pthread_mutex_unlock(&g->lock);
        return;
    }
    if (g->attached && (event || __atomic_load_n(&g->stop_req, __ATOMIC_ACQUIRE))) {
        int sig = park(g, t, event);
        if (sig)
            vj_signal_raise(t->proc, t, sig);
    }
    pthread_mutex_unlock(&g->lock);
}

int vj_gdb_fault(struct vj_thread *t, const struct vj_fault *f)
{
    struct vj_gdb *g = t->proc->gdb;
    pthread_mutex_lock(&g->lock);
    int sig = f->signo;
    if (g->attached)
        sig = park(g, t, f->signo);
    pthread_mutex_unlock(&g->lock);
    return sig;
}

/* ---- the connection's calls (g->lock held) ------------------------------------------------- */

void vj_gdb_request_stop(struct vj_gdb *g)
{
    struct vj_proc *p = g->proc;
    __atomic_store_n(&g->stop_req, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++) {
        struct vj_thread *t = p->threads[i];
        if (!t->exited && t != vj_self && !(t->gdb && t->gdb->parked))
            vj_signal_wake_locked(p, t);
    }
    pthread_mutex_unlock(&p->lock);
}

bool vj_gdb_all_parked(struct vj_gdb *g)
{
    struct vj_proc *p = g->proc;
    bool all = true;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nthreads && all; i++) {
        struct vj_thread *t = p->threads[i];
        if (!t->exited && !(t->gdb && t->gdb->parked && !t->gdb->go))
            all = false;
    }
    pthread_mutex_unlock(&p->lock);
    return all;
}

struct vj_thread *vj_gdb_pending(struct vj_gdb *g)
{
    struct vj_proc *p = g->proc;
    struct vj_thread *found = NULL;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nthreads && !found; i++) {
        struct vj_thread *t = p->threads[i];
        if (!t->exited && t->gdb && t->gdb->parked && t->gdb->event && !t->gdb->reported)
            found = t;
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

void vj_gdb_resume(struct vj_gdb *g)
{
    __atomic_store_n(&g->stop_req, 0, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&g->cond);
}

/* ---- memory ------------------------------------------------------------------------------- */

static struct vj_gdb_bp *find_bp(struct vj_gdb *g, uint64_t addr)
{
    for (int i = 0; i < g->nbps; i++)
        if (g->bps[i].addr == addr)
            return &g->bps[i];
    return NULL;
}

int vj_gdb_read_mem(struct vj_gdb *g, uint64_t addr, uint8_t *buf, uint64_t len)
{
    struct vj_proc *p = g->proc;
    uint64_t data, end, code = vj_vm_vdso(p->vm);
    const uint8_t *host = (const uint8_t *)(uintptr_t)getauxval(AT_SYSINFO_EHDR);
    if (host && vj_vm_vdso_range(p->vm, &data, &end) && code < end && addr >= code &&
        addr < end) {
        /* The vDSO's code, shared with the host's (as the core file reads it, coredump.c) */
        if (len > end - addr)
            return -1;
        memcpy(buf, host + (addr - code), len);
        return 0;
    }
    if (vj_copy_from_guest(p, buf, addr, len) < 0)
        return -1;
    for (int i = 0; i < g->nbps; i++) /* gdb sees the bytes its breakpoints replaced */
        if (g->bps[i].addr >= addr && g->bps[i].addr - addr < len)
            buf[g->bps[i].addr - addr] = g->bps[i].orig;
    return 0;
}

/* Write LEN bytes at ADDR whatever the pages' protection (code), as the payload will see
 * them; the range must be mapped. */
static int poke(struct vj_proc *p, uint64_t addr, const uint8_t *buf, uint64_t len)
{
    if (len == 0)
        return 0;
    if (!vj_guest_range_ok(p, addr, len))
        return -1;
    pthread_mutex_lock(&p->mm_lock);
    int r = -1;
    const struct vj_vma *v = vj_vmas_find(&p->vmas, addr);
    uint64_t page = addr & ~(uint64_t)(VJ_PAGE_SIZE - 1);
    uint64_t span = ((addr + len - 1) & ~(uint64_t)(VJ_PAGE_SIZE - 1)) + VJ_PAGE_SIZE - page;
    if (v != NULL && page >= v->start && span <= v->end - page) {
        int prot = vj_host_prot(v->prot);
        if (vj_vm_mem_prepare_write(p->vm, page, span, v->prot) == 0) {
            if ((prot & PROT_WRITE) || mprotect(p->mem + page, span, PROT_READ | PROT_WRITE) == 0) {
                r = vj_copy_to_guest(p, addr, buf, len) == 0 ? 0 : -1;
                if (!(prot & PROT_WRITE) && mprotect(p->mem + page, span, prot) < 0)
                    p->mem_broken = true;
            }
        }
    }
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

int vj_gdb_write_mem(struct vj_gdb *g, uint64_t addr, const uint8_t *buf, uint64_t len)
{
    struct vj_proc *p = g->proc;
    uint8_t tmp[VJ_GDB_PACKET_MAX / 2];
    if (len > sizeof tmp || !vj_guest_range_ok(p, addr, len))
        return -1;
    memcpy(tmp, buf, len);
    /* A write over a breakpoint changes the byte it keeps; the int3 stays. */
    for (int i = 0; i < g->nbps; i++)
        if (g->bps[i].addr >= addr && g->bps[i].addr - addr < len) {
            g->bps[i].orig = tmp[g->bps[i].addr - addr];
            tmp[g->bps[i].addr - addr] = 0xcc;
        }
    return poke(p, addr, tmp, len);
}

int vj_gdb_insert_bp(struct vj_gdb *g, uint64_t addr)
{
    if (find_bp(g, addr))
        return 0;
    if (g->nbps == VJ_GDB_MAX_BPS)
        return -1;
    uint8_t orig, int3 = 0xcc;
    if (vj_copy_from_guest(g->proc, &orig, addr, 1) < 0 || poke(g->proc, addr, &int3, 1) < 0)
        return -1;
    g->bps[g->nbps++] = (struct vj_gdb_bp){.addr = addr, .orig = orig};
    return 0;
}

int vj_gdb_remove_bp(struct vj_gdb *g, uint64_t addr)
{
    struct vj_gdb_bp *b = find_bp(g, addr);
    if (b == NULL)
        return 0;
    int r = poke(g->proc, addr, &b->orig, 1);
    *b = g->bps[--g->nbps];
    return r;
}

void vj_gdb_remove_all_bps(struct vj_gdb *g)
{
    while (g->nbps > 0)
        vj_gdb_remove_bp(g, g->bps[g->nbps - 1].addr);
}

void vj_gdb_forget_in_child(struct vj_proc *p, struct vj_thread *t)
{
    struct vj_gdb *g = p->gdb;
    if (g == NULL)
        return;
    p->gdb = NULL;
    t->gdb = NULL;
    for (int i = 0; i < g->nbps && i < VJ_GDB_MAX_BPS; i++)
        poke(p, g->bps[i].addr, &g->bps[i].orig, 1);
}
