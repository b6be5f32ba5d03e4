/* gdb_stub.c: the gdb connection's thread: reads packets (gdb_proto.c), answers them from the
 * parked threads' state and guest memory (gdb_target.c), resumes the payload, and reports
 * its next stop or its end.  gdb going away (or D) detaches: breakpoints removed, the payload
 * runs on. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/gdb.h"
#include "monitor/gdb_proto.h"
#include "monitor/proc_life.h"
#include "monitor/procfs.h"

struct conn {
    struct vj_gdb *g;
    struct vj_proc *p;
    int fd;
    bool noack;
    bool running;         /* the payload runs: the next stop is to be reported */
    bool done;            /* the session is over */
    bool interrupted;     /* gdb's ^C stopped it: the stop says SIGINT, as gdbserver's */
    bool late;            /* gdb attached to a running payload (--gdb-listen) */
    pid_t cur_g;          /* Hg: the thread g, p, G and P act on (0: the event's) */
    pid_t event_tid;      /* the thread of the last stop reported */
    size_t thread_iter;   /* qsThreadInfo's position */
    struct vj_gdb_rx rx;
    char last[2 * VJ_GDB_PACKET_MAX + 8]; /* the last packet sent, for a '-' */
    size_t last_len;
    char reply[VJ_GDB_PACKET_MAX + 1];
};

static void send_raw(struct conn *c, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(c->fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            c->done = true;
            return;
        }
        b += w;
        n -= (size_t)w;
    }
}

static void send_packet(struct conn *c, const char *data, size_t len)
{
    c->last_len = vj_gdb_frame(data, len, c->last, sizeof c->last);
    send_raw(c, c->last, c->last_len);
}

static void send_str(struct conn *c, const char *s)
{
    send_packet(c, s, strlen(s));
}

/* The thread gdb names (0 or -1: the event's thread, else the first parked one). */
static struct vj_thread *thread_of(struct conn *c, pid_t tid)
{
    struct vj_proc *p = c->p;
    struct vj_thread *found = NULL, *first = NULL;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++) {
        struct vj_thread *t = p->threads[i];
        if (t->exited || t->gdb == NULL || !t->gdb->parked)
            continue;
        if (first == NULL)
            first = t;
        if (t->tid == (tid > 0 ? tid : c->event_tid))
            found = t;
    }
    pthread_mutex_unlock(&p->lock);
    return found ? found : tid > 0 ? NULL : first;
}

static struct vj_thread *reg_thread(struct conn *c)
{
    struct vj_thread *t = thread_of(c, c->cur_g);
    return t && t->gdb->have_regs ? t : NULL;
}

/* Report the stop of the first thread with an event (or, after ^C, any): T.. with thread:. */
static void report_stop(struct conn *c)
{
    struct vj_thread *t = vj_gdb_pending(c->g);
    if (t == NULL)
        t = thread_of(c, 0);
    if (t == NULL) {
        send_str(c, "S05");
        return;
    }
    int sig = t->gdb->event ? vj_gdb_signal_from_host(t->gdb->event) : c->interrupted ? 2 : 0;
    c->interrupted = false;
    t->gdb->reported = true;
    c->event_tid = t->tid;
    c->cur_g = 0;
    char b[64];
    snprintf(b, sizeof b, "T%02xthread:%x;", sig ? sig : 5 /* SIGTRAP */, (unsigned)t->tid);
    send_str(c, b);
}

static void reply_exit(struct conn *c)
{
    struct vj_proc *p = c->p;
    pthread_mutex_lock(&p->lock);
    struct vmjail_result r = p->result;
    pthread_mutex_unlock(&p->lock);
    char b[16];
    if (r.signaled)
        snprintf(b, sizeof b, "X%02x", vj_gdb_signal_from_host(r.signal));
    else
        snprintf(b, sizeof b, "W%02x", r.exit_code & 0xff);
    send_str(c, b);
    c->done = true;
}

/* An event gdb has not seen yet: its breakpoint removed since, the thread backs up onto the
 * instruction and the event is dropped (gdbserver does the same). */
static void drop_stale_breakpoint(struct conn *c, struct vj_thread *t)
{
    struct vj_gdb_thread *s = t->gdb;
    uint64_t pc = s->regs.regs.rip - 1;
    bool ours = false;
    for (int i = 0; i < c->g->nbps; i++)
        ours |= c->g->bps[i].addr == pc;
    uint8_t b;
    if (!ours && vj_copy_from_guest(c->p, &b, pc, 1) == 0 && b != 0xcc) {
        s->regs.regs.rip = pc;
        s->dirty = true;
        s->event = 0;
    }
}

/* Resume: each parked thread as ACTIONS say (NULL: all continue, STEP_ALL steps the current).
 * An event not yet reported is reported at once instead. */
static void resume(struct conn *c, const struct vj_gdb_action *acts, int nacts)
{
    struct vj_proc *p = c->p;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++) {
        struct vj_thread *t = p->threads[i];
        if (t->exited || t->gdb == NULL || !t->gdb->parked)
            continue;
        if (t->gdb->event == SIGTRAP && !t->gdb->reported)
            drop_stale_breakpoint(c, t);
    }
    pthread_mutex_unlock(&p->lock);
    if (vj_gdb_pending(c->g)) {
        report_stop(c);
        return;
    }
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++) {
        struct vj_thread *t = p->threads[i];
        if (t->exited || t->gdb == NULL || !t->gdb->parked)
            continue;
        const struct vj_gdb_action *a = NULL;
        for (int k = 0; k < nacts && a == NULL; k++)
            if (acts[k].tid == VJ_GDB_TID_ALL || acts[k].tid == t->tid ||
                (acts[k].tid == VJ_GDB_TID_ANY && t->tid == c->event_tid))
                a = &acts[k];
        char op = a ? a->op : 't'; /* no action: it stays stopped (gdb's vCont) */
        struct vj_gdb_thread *s = t->gdb;
        if (op == 't')
            continue;
        s->go = true;
        s->stepping = op == 's' || op == 'S';
        s->resume_sig = 0;
        if (a && (op == 'C' || op == 'S'))
            s->resume_sig = vj_gdb_signal_to_host(a->sig);
        else if (op == 'c' || op == 's')
            s->resume_sig = 0;
        s->event = 0;
    }
    pthread_mutex_unlock(&p->lock);
    vj_gdb_resume(c->g);
    c->running = true;
}

static void handle(struct conn *c, const struct vj_gdb_cmd *cmd);

/* Wait (g->lock held by nobody) for every thread to park after a resume, or the end. */
static void poll_stop(struct conn *c)
{
    struct vj_gdb *g = c->g;
    pthread_mutex_lock(&g->lock);
    if (g->ended) {
        pthread_mutex_unlock(&g->lock);
        reply_exit(c);
        return;
    }
    if (vj_proc_ended(c->p)) /* parked threads end too */
        pthread_cond_broadcast(&g->cond);
    else if (__atomic_load_n(&g->stop_req, __ATOMIC_ACQUIRE) && vj_gdb_all_parked(g)) {
        c->running = false;
        report_stop(c);
    }
    pthread_mutex_unlock(&g->lock);
}

static void detach(struct conn *c)
{
    struct vj_gdb *g = c->g;
    pthread_mutex_lock(&g->lock);
    vj_gdb_remove_all_bps(g);
    g->attached = false;
    vj_gdb_resume(g);
    pthread_mutex_unlock(&g->lock);
}

/* --gdb-listen: wait for gdb's connection while the payload runs (false: it ended first, or
 * the accept failed), then stop every thread for it. */
static bool accept_late(struct vj_gdb *g)
{
    struct vj_proc *p = g->proc;
    int c = -1;
    while (c < 0) {
        struct pollfd pfd = {.fd = g->listen_fd, .events = POLLIN};
        int n = poll(&pfd, 1, 200);
        pthread_mutex_lock(&g->lock);
        bool ended = g->ended || vj_proc_ended(p);
        pthread_mutex_unlock(&g->lock);
        if (ended || (n < 0 && errno != EINTR))
            break;
        if (n > 0)
            c = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0 && n > 0 && errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
            break;
    }
    vj_vm_disown_fd(p->vm, g->listen_fd);
    close(g->listen_fd);
    g->listen_fd = -1;
    if (c < 0)
        return false;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    pthread_mutex_lock(&g->lock);
    g->fd = vj_vm_own_fd(p->vm, c);
    g->attached = true;
    vj_gdb_request_stop(g);
    pthread_mutex_unlock(&g->lock);
    return true;
}

void *vj_gdb_serve(void *arg)
{
    struct vj_gdb *g = arg;
    bool late = g->fd < 0;
    if (late && !accept_late(g))
        return NULL;
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        detach(&(struct conn){.g = g});
        return NULL;
    }
    c->g = g;
    c->p = g->proc;
    c->fd = g->fd;
    c->late = late;
    vj_gdb_rx_init(&c->rx);
    /* The first thread stops before its first instruction (--gdb-listen: every thread stops as
     * gdb connects): gdb's first packets wait for it. */
    pthread_mutex_lock(&g->lock);
    while (!g->ended && !vj_proc_ended(c->p) && !vj_gdb_all_parked(g))
        pthread_cond_wait(&g->cond, &g->lock);
    struct vj_thread *first = thread_of(c, 0);
    c->event_tid = first ? first->tid : 0;
    pthread_mutex_unlock(&g->lock);
    uint8_t buf[4096];
    while (!c->done) {
        struct pollfd pfd[2] = {{.fd = c->fd, .events = POLLIN},
                                {.fd = g->wake_fd, .events = POLLIN}};
        int n = poll(pfd, g->wake_fd >= 0 ? 2 : 1, c->running ? 20 : 1000);
        if (n < 0 && errno != EINTR)
            break;
        uint64_t woken;
        if (n > 0 && (pfd[1].revents & POLLIN) && read(g->wake_fd, &woken, sizeof woken) < 0) {
            /* drained by an earlier read */
        }
        if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = read(c->fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break; /* gdb went away */
            for (ssize_t i = 0; i < got && !c->done; i++) {
                switch (vj_gdb_rx_byte(&c->rx, buf[i])) {
                case VJ_GDB_EV_PACKET: {
                    if (!c->noack)
                        send_raw(c, "+", 1);
                    struct vj_gdb_cmd cmd;
                    vj_gdb_parse(c->rx.buf, c->rx.len, &cmd);
                    if (c->running && cmd.kind != VJ_GDB_KILL)
                        break; /* only ^C and k while it runs */
                    handle(c, &cmd);
                    break;
                }
                case VJ_GDB_EV_BAD:
                    send_raw(c, "-", 1);
                    break;
                case VJ_GDB_EV_NAK:
                    send_raw(c, c->last, c->last_len);
                    break;
                case VJ_GDB_EV_INTR:
                    if (c->running) {
                        c->interrupted = true;
                        pthread_mutex_lock(&g->lock);
                        vj_gdb_request_stop(g);
                        pthread_mutex_unlock(&g->lock);
                    }
                    break;
                default:
                    break;
                }
            }
        }
        if (c->running && !c->done)
            poll_stop(c);
    }
    if (!g->ended)
        detach(c);
    vj_vm_disown_fd(c->p->vm, c->fd);
    close(c->fd);
    free(c);
    return NULL;
}

/* ---- the commands ---------------------------------------------------------------------------- */

static void reply_hex(struct conn *c, const void *data, size_t len)
{
    vj_gdb_hex_encode(data, len, c->reply);
    send_packet(c, c->reply, 2 * len);
}

/* qXfer reads: a window of DATA (LEN bytes) as 'm' (more) or 'l' (last). */
static void reply_xfer(struct conn *c, const struct vj_gdb_cmd *cmd, const char *data, size_t len)
{
    if (cmd->addr > len) {
        send_str(c, "E00");
        return;
    }
    size_t n = len - cmd->addr;
    size_t max = cmd->len < VJ_GDB_PACKET_MAX - 1 ? cmd->len : VJ_GDB_PACKET_MAX - 1;
    bool more = n > max;
    if (more)
        n = max;
    c->reply[0] = more ? 'm' : 'l';
    memcpy(c->reply + 1, data + cmd->addr, n);
    send_packet(c, c->reply, n + 1);
}

static bool object_is(const struct vj_gdb_cmd *cmd, const char *what)
{
    return cmd->object_len == strlen(what) && memcmp(cmd->object, what, cmd->object_len) == 0;
}

static void xfer(struct conn *c, const struct vj_gdb_cmd *cmd)
{
    struct vj_proc *p = c->p;
    if (object_is(cmd, "features")) {
        if (cmd->annex_len != 10 || memcmp(cmd->annex, "target.xml", 10) != 0) {
            send_str(c, "E00");
            return;
        }
        const char *x = vj_gdb_target_xml();
        reply_xfer(c, cmd, x, strlen(x));
    } else if (object_is(cmd, "auxv")) {
        uint8_t *a = malloc(p->auxv_len ? p->auxv_len : 1);
        if (a == NULL || vj_copy_from_guest(p, a, p->auxv_gva, p->auxv_len) < 0)
            send_str(c, "E01");
        else
            reply_xfer(c, cmd, (const char *)a, p->auxv_len);
        free(a);
    } else if (object_is(cmd, "exec-file")) {
        const char *exe = p->exe ? p->exe : "";
        reply_xfer(c, cmd, exe, strlen(exe));
    } else {
        send_str(c, "");
    }
}

static void read_regs(struct conn *c)
{
    struct vj_thread *t = reg_thread(c);
    if (t == NULL) {
        send_str(c, "E01");
        return;
    }
    uint8_t all[VJ_GDB_NREGS * 16];
    size_t n = 0;
    for (unsigned r = 0; r < VJ_GDB_NREGS; r++)
        n += vj_gdb_reg_get(&t->gdb->regs, r, all + n);
    reply_hex(c, all, n);
}

static void write_regs(struct conn *c, const struct vj_gdb_cmd *cmd)
{
    struct vj_thread *t = reg_thread(c);
    uint8_t all[VJ_GDB_NREGS * 16];
    size_t n = cmd->data_len / 2;
    if (t == NULL || n > sizeof all || !vj_gdb_hex_decode(cmd->data, n, all)) {
        send_str(c, "E01");
        return;
    }
    struct vj_vcpu_snapshot s = t->gdb->regs;
    size_t off = 0;
    uint8_t one[16];
    for (unsigned r = 0; r < VJ_GDB_NREGS && off < n; r++) {
        unsigned size = vj_gdb_reg_get(&s, r, one);
        if (off + size > n)
            break;
        vj_gdb_reg_set(&s, r, all + off, size);
        off += size;
    }
    t->gdb->regs = s;
    t->gdb->dirty = true;
    send_str(c, "OK");
}

static void one_reg(struct conn *c, const struct vj_gdb_cmd *cmd, bool write)
{
    struct vj_thread *t = reg_thread(c);
    uint8_t v[16];
    unsigned size = t ? vj_gdb_reg_get(&t->gdb->regs, cmd->reg, v) : 0;
    if (t == NULL || size == 0) {
        send_str(c, t ? "" : "E01");
        return;
    }
    if (!write) {
        reply_hex(c, v, size);
        return;
    }
    if (cmd->data_len != 2 * size || !vj_gdb_hex_decode(cmd->data, size, v) ||
        !vj_gdb_reg_set(&t->gdb->regs, cmd->reg, v, size)) {
        send_str(c, "E01");
        return;
    }
    t->gdb->dirty = true;
    send_str(c, "OK");
}

static void memory(struct conn *c, const struct vj_gdb_cmd *cmd, bool write)
{
    static uint8_t b[VJ_GDB_PACKET_MAX / 2];
    if (cmd->len > sizeof b) {
        send_str(c, "E01");
        return;
    }
    pthread_mutex_lock(&c->g->lock);
    int r;
    if (write) {
        bool ok = cmd->binary ? (memcpy(b, cmd->data, cmd->len), true)
                              : vj_gdb_hex_decode(cmd->data, cmd->len, b);
        r = ok ? vj_gdb_write_mem(c->g, cmd->addr, b, cmd->len) : -1;
    } else {
        r = vj_gdb_read_mem(c->g, cmd->addr, b, cmd->len);
    }
    pthread_mutex_unlock(&c->g->lock);
    if (r < 0)
        send_str(c, "E14"); /* EFAULT: not guest memory the payload has */
    else if (write)
        send_str(c, "OK");
    else
        reply_hex(c, b, cmd->len);
}

static void breakpoint(struct conn *c, const struct vj_gdb_cmd *cmd, bool insert)
{
    if (cmd->type != 0) { /* hardware breakpoints and watchpoints: not offered */
        send_str(c, "");
        return;
    }
    pthread_mutex_lock(&c->g->lock);
    int r = insert ? vj_gdb_insert_bp(c->g, cmd->addr) : vj_gdb_remove_bp(c->g, cmd->addr);
    pthread_mutex_unlock(&c->g->lock);
    send_str(c, r < 0 ? "E14" : "OK");
}

static void thread_list(struct conn *c, bool first)
{
    struct vj_proc *p = c->p;
    if (first)
        c->thread_iter = 0;
    size_t n = 0;
    c->reply[n++] = 'm';
    pthread_mutex_lock(&p->lock);
    for (; c->thread_iter < p->nthreads && n < VJ_GDB_PACKET_MAX - 16; c->thread_iter++) {
        struct vj_thread *t = p->threads[c->thread_iter];
        if (t->exited)
            continue;
        n += (size_t)snprintf(c->reply + n, 16, "%s%x", n > 1 ? "," : "", (unsigned)t->tid);
    }
    pthread_mutex_unlock(&p->lock);
    if (n == 1)
        send_str(c, "l");
    else
        send_packet(c, c->reply, n);
}

static void handle(struct conn *c, const struct vj_gdb_cmd *cmd)
{
    struct vj_gdb_action one = {.tid = VJ_GDB_TID_ALL};
    switch (cmd->kind) {
    case VJ_GDB_Q_SUPPORTED: {
        char b[160];
        snprintf(b, sizeof b,
                 "PacketSize=%x;qXfer:features:read+;qXfer:auxv:read+;"
                 "qXfer:exec-file:read+;vContSupported+",
                 VJ_GDB_PACKET_MAX);
        send_str(c, b);
        break;
    }
    case VJ_GDB_STOP_REASON:
        report_stop(c);
        break;
    case VJ_GDB_READ_REGS:
        read_regs(c);
        break;
    case VJ_GDB_WRITE_REGS:
        write_regs(c, cmd);
        break;
    case VJ_GDB_READ_REG:
    case VJ_GDB_WRITE_REG:
        one_reg(c, cmd, cmd->kind == VJ_GDB_WRITE_REG);
        break;
    case VJ_GDB_READ_MEM:
    case VJ_GDB_WRITE_MEM:
        memory(c, cmd, cmd->kind == VJ_GDB_WRITE_MEM);
        break;
    case VJ_GDB_INSERT_BP:
    case VJ_GDB_REMOVE_BP:
        breakpoint(c, cmd, cmd->kind == VJ_GDB_INSERT_BP);
        break;
    case VJ_GDB_CONTINUE:
    case VJ_GDB_STEP:
    case VJ_GDB_CONTINUE_SIG:
    case VJ_GDB_STEP_SIG: {
        /* The old form: the current thread steps (or continues), the others continue. */
        struct vj_gdb_action acts[2] = {
            {.op = "csCS"[cmd->kind - VJ_GDB_CONTINUE], .sig = cmd->sig,
             .tid = VJ_GDB_TID_ANY},
            {.op = 'c', .tid = VJ_GDB_TID_ALL}};
        if (cmd->has_addr) {
            struct vj_thread *t = thread_of(c, 0);
            if (t && t->gdb->have_regs) {
                t->gdb->regs.regs.rip = cmd->addr;
                t->gdb->dirty = true;
            }
        }
        resume(c, acts, 2);
        break;
    }
    case VJ_GDB_VCONT:
        resume(c, cmd->actions, cmd->nactions);
        break;
    case VJ_GDB_VCONT_QUERY:
        send_str(c, "vCont;c;C;s;S;t");
        break;
    case VJ_GDB_SET_THREAD:
        if (cmd->op == 'g')
            c->cur_g = cmd->tid > 0 ? (pid_t)cmd->tid : 0;
        send_str(c, "OK");
        break;
    case VJ_GDB_THREAD_ALIVE:
        send_str(c, vj_proc_find_thread(c->p, (pid_t)cmd->tid) ? "OK" : "E01");
        break;
    case VJ_GDB_THREAD_FIRST:
    case VJ_GDB_THREAD_NEXT:
        thread_list(c, cmd->kind == VJ_GDB_THREAD_FIRST);
        break;
    case VJ_GDB_CURRENT_THREAD: {
        char b[32];
        snprintf(b, sizeof b, "QC%x", (unsigned)c->event_tid);
        send_str(c, b);
        break;
    }
    case VJ_GDB_ATTACHED:
        send_str(c, c->late ? "1" : "0"); /* 0: vmjail started it for gdb, whose quit kills it */
        break;
    case VJ_GDB_KILL:
        vj_proc_end(c->p, true, SIGKILL);
        pthread_mutex_lock(&c->g->lock);
        pthread_cond_broadcast(&c->g->cond);
        pthread_mutex_unlock(&c->g->lock);
        if (cmd->kind == VJ_GDB_KILL && c->rx.buf[0] == 'v')
            send_str(c, "OK");
        c->done = true;
        break;
    case VJ_GDB_DETACH:
        send_str(c, "OK");
        detach(c);
        c->done = true;
        break;
    case VJ_GDB_XFER_READ:
        xfer(c, cmd);
        break;
    case VJ_GDB_START_NOACK:
        send_str(c, "OK");
        c->noack = true;
        break;
    case VJ_GDB_MALFORMED:
        send_str(c, "E01");
        break;
    default:
        (void)one;
        send_str(c, "");
        break;
    }
}
