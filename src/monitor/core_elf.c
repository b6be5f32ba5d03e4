/* core_elf.c: writes an ELF core file as Linux's fs/binfmt_elf.c does (x86-64): the ELF
 * header, a PT_NOTE and one PT_LOAD per mapping, the notes (NT_PRSTATUS, NT_PRPSINFO,
 * NT_SIGINFO, NT_AUXV, NT_FILE, NT_PRFPREG, NT_X86_XSTATE) and the segments' pages from a
 * page-aligned offset on, with RLIMIT_CORE's cut; and core_pattern's %-specifiers. */
#include "monitor/core_elf.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/user.h>
#include <unistd.h>

#define CORE_PAGE 4096ULL
#define XCR0_OFFSET 464 /* where Linux puts XCR0 in the FXSAVE area's software bytes */

bool vj_core_signal(int sig)
{
    switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
        return true;
    default:
        return false;
    }
}

/* ---- the output: Linux's dump_emit and dump_skip ------------------------------------------- */

struct out {
    int fd;
    uint64_t limit;   /* RLIMIT_CORE: bytes written, holes not counted (as Linux counts) */
    uint64_t written; /* bytes written */
    uint64_t pos;     /* the file offset reached, holes included ... */
    uint64_t to_skip; /* ... and a hole not made yet */
    bool stopped, truncated;
    int err;
};

static bool emit(struct out *o, const void *buf, size_t n)
{
    if (o->stopped)
        return false;
    if (n > o->limit || o->written > o->limit - n) {
        o->stopped = o->truncated = true;
        return false;
    }
    if (o->to_skip) {
        if (lseek(o->fd, (off_t)o->to_skip, SEEK_CUR) < 0) {
            o->err = -errno;
            o->stopped = true;
            return false;
        }
        o->pos += o->to_skip;
        o->to_skip = 0;
    }
    const uint8_t *b = buf;
    while (n > 0) {
        ssize_t w = write(o->fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            o->err = w < 0 ? -errno : -ENOSPC;
            o->stopped = true;
            return false;
        }
        b += w;
        n -= (size_t)w;
        o->written += (uint64_t)w;
        o->pos += (uint64_t)w;
    }
    return true;
}

static void skip(struct out *o, uint64_t n)
{
    if (!o->stopped)
        o->to_skip += n;
}

/* Pad with a hole up to file offset OFF. */
static void skip_to(struct out *o, uint64_t off)
{
    uint64_t at = o->pos + o->to_skip;
    if (off > at)
        skip(o, off - at);
}

/* ---- notes ---------------------------------------------------------------------------------- */

struct notes {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
};

static size_t note_size(const char *name, size_t desc_len)
{
    size_t nl = strlen(name) + 1;
    return sizeof(Elf64_Nhdr) + ((nl + 3) & ~(size_t)3) + ((desc_len + 3) & ~(size_t)3);
}

static void add_note(struct notes *n, const char *name, uint32_t type, const void *desc,
                     size_t desc_len)
{
    size_t need = note_size(name, desc_len);
    if (n->failed)
        return;
    if (desc_len > UINT32_MAX || need > SIZE_MAX - n->len) {
        n->failed = true;
        return;
    }
    if (n->len + need > n->cap) {
        size_t cap = n->cap ? n->cap : 4096;
        while (cap < n->len + need)
            cap *= 2;
        uint8_t *b = realloc(n->buf, cap);
        if (b == NULL) {
            n->failed = true;
            return;
        }
        n->buf = b;
        n->cap = cap;
    }
    uint8_t *p = n->buf + n->len;
    memset(p, 0, need);
    size_t nl = strlen(name) + 1;
    Elf64_Nhdr h = {.n_namesz = (Elf64_Word)nl, .n_descsz = (Elf64_Word)desc_len,
                    .n_type = type};
    memcpy(p, &h, sizeof h);
    memcpy(p + sizeof h, name, nl);
    if (desc_len)
        memcpy(p + sizeof h + ((nl + 3) & ~(size_t)3), desc, desc_len);
    n->len += need;
}

static void to_gregs(const struct vj_core_thread *t, struct user_regs_struct *g)
{
    const struct vj_user_regs *r = &t->regs;
    memset(g, 0, sizeof *g);
    g->r15 = r->r15, g->r14 = r->r14, g->r13 = r->r13, g->r12 = r->r12, g->rbp = r->rbp;
    g->rbx = r->rbx, g->r11 = r->r11, g->r10 = r->r10, g->r9 = r->r9, g->r8 = r->r8;
    g->rax = r->rax, g->rcx = r->rcx, g->rdx = r->rdx, g->rsi = r->rsi, g->rdi = r->rdi;
    g->orig_rax = (unsigned long long)-1;
    g->rip = r->rip, g->eflags = r->rflags, g->rsp = r->rsp;
    g->cs = 0x33, g->ss = 0x2b; /* Linux's __USER_CS and __USER_DS */
    g->fs_base = t->fs_base, g->gs_base = t->gs_base;
}

static void thread_prstatus(struct notes *n, const struct vj_core_state *s,
                            const struct vj_core_thread *t)
{
    struct elf_prstatus ps;
    memset(&ps, 0, sizeof ps);
    ps.pr_info.si_signo = ps.pr_cursig = (short)s->siginfo.si_signo;
    ps.pr_pid = t->tid;
    ps.pr_ppid = s->ppid;
    ps.pr_pgrp = s->pgrp;
    ps.pr_sid = s->sid;
    struct user_regs_struct g;
    to_gregs(t, &g);
    _Static_assert(sizeof g == sizeof ps.pr_reg, "elf_gregset_t is user_regs_struct");
    memcpy(&ps.pr_reg, &g, sizeof g);
    ps.pr_fpvalid = t->xsave != NULL;
    add_note(n, "CORE", NT_PRSTATUS, &ps, sizeof ps);
}

static void thread_fpu(struct notes *n, const struct vj_core_state *s,
                       const struct vj_core_thread *t)
{
    if (t->xsave == NULL || t->xsave_size < 512)
        return;
    uint8_t *x = malloc(t->xsave_size);
    if (x == NULL) {
        n->failed = true;
        return;
    }
    memcpy(x, t->xsave, t->xsave_size);
    /* The software bytes say which features the area holds, as Linux's regsets do. */
    memset(x + XCR0_OFFSET, 0, 512 - XCR0_OFFSET);
    memcpy(x + XCR0_OFFSET, &s->xcr0, sizeof s->xcr0);
    _Static_assert(sizeof(struct user_fpregs_struct) == 512, "FXSAVE area");
    add_note(n, "CORE", NT_PRFPREG, x, 512);
    if (t->xsave_size > 512)
        add_note(n, "LINUX", NT_X86_XSTATE, x, t->xsave_size);
    free(x);
}

static void process_notes(struct notes *n, const struct vj_core_state *s)
{
    struct elf_prpsinfo ps;
    memset(&ps, 0, sizeof ps);
    ps.pr_sname = 'R';
    ps.pr_uid = s->uid;
    ps.pr_gid = s->gid;
    ps.pr_pid = s->pid;
    ps.pr_ppid = s->ppid;
    ps.pr_pgrp = s->pgrp;
    ps.pr_sid = s->sid;
    if (s->fname)
        strncpy(ps.pr_fname, s->fname, sizeof ps.pr_fname - 1);
    size_t al = s->args_len < sizeof ps.pr_psargs - 1 ? s->args_len : sizeof ps.pr_psargs - 1;
    if (s->args && al) {
        memcpy(ps.pr_psargs, s->args, al);
        for (size_t i = 0; i < al; i++)
            if (ps.pr_psargs[i] == '\0')
                ps.pr_psargs[i] = ' ';
        while (al > 0 && ps.pr_psargs[al - 1] == ' ') /* the last argument's NUL */
            ps.pr_psargs[--al] = '\0';
    }
    add_note(n, "CORE", NT_PRPSINFO, &ps, sizeof ps);
    add_note(n, "CORE", NT_SIGINFO, &s->siginfo, sizeof s->siginfo);
    if (s->auxv && s->auxv_len)
        add_note(n, "CORE", NT_AUXV, s->auxv, s->auxv_len);
    /* NT_FILE: count, page size, (start, end, offset in pages) each, then the names. */
    size_t len = 2 * 8 + s->nfiles * 3 * 8;
    for (size_t i = 0; i < s->nfiles; i++)
        len += strlen(s->files[i].path) + 1;
    uint64_t *d = calloc(1, len);
    if (d == NULL) {
        n->failed = true;
        return;
    }
    d[0] = s->nfiles;
    d[1] = CORE_PAGE;
    char *names = (char *)(d + 2 + s->nfiles * 3);
    for (size_t i = 0; i < s->nfiles; i++) {
        d[2 + 3 * i] = s->files[i].start;
        d[3 + 3 * i] = s->files[i].end;
        d[4 + 3 * i] = s->files[i].offset / CORE_PAGE;
        size_t l = strlen(s->files[i].path) + 1;
        memcpy(names, s->files[i].path, l);
        names += l;
    }
    add_note(n, "CORE", NT_FILE, d, len);
    free(d);
}

/* The notes in Linux's order: the first thread's status, the process's notes, its FPU; then
 * each other thread's status and FPU. */
static int build_notes(struct notes *n, const struct vj_core_state *s)
{
    for (size_t i = 0; i < s->nthreads; i++) {
        thread_prstatus(n, s, &s->threads[i]);
        if (i == 0)
            process_notes(n, s);
        thread_fpu(n, s, &s->threads[i]);
    }
    return n->failed ? -ENOMEM : 0;
}

/* ---- the file ------------------------------------------------------------------------------ */

static uint32_t seg_flags(int prot)
{
    return ((prot & PROT_READ) ? PF_R : 0) | ((prot & PROT_WRITE) ? PF_W : 0) |
           ((prot & PROT_EXEC) ? PF_X : 0);
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void write_segment(struct out *o, const struct vj_core_segment *g, vj_core_read_fn read,
                          void *ctx, uint8_t *page)
{
    for (uint64_t off = 0; off < g->dump_len && !o->stopped; off += CORE_PAGE) {
        size_t n = g->dump_len - off < CORE_PAGE ? (size_t)(g->dump_len - off) : CORE_PAGE;
        /* A page that cannot be read, or holds only zeros, is a hole (Linux's dump_skip). */
        if (read(ctx, g->start + off, page, n) < 0 || all_zero(page, n))
            skip(o, n);
        else
            emit(o, page, n);
    }
}

int vj_core_write(int fd, uint64_t limit, const struct vj_core_state *s, vj_core_read_fn read,
                  void *ctx, bool *truncated)
{
    *truncated = false;
    if (s->nsegs + 1 >= PN_XNUM)
        return -E2BIG;
    for (size_t i = 0; i < s->nsegs; i++)
        if (s->segs[i].end <= s->segs[i].start ||
            s->segs[i].dump_len > s->segs[i].end - s->segs[i].start)
            return -EINVAL;
    struct notes n = {0};
    if (build_notes(&n, s) < 0) {
        free(n.buf);
        return -ENOMEM;
    }
    uint8_t *page = malloc(CORE_PAGE);
    if (page == NULL) {
        free(n.buf);
        return -ENOMEM;
    }
    uint16_t phnum = (uint16_t)(s->nsegs + 1);
    uint64_t notes_off = sizeof(Elf64_Ehdr) + (uint64_t)phnum * sizeof(Elf64_Phdr);
    uint64_t data_off = (notes_off + n.len + CORE_PAGE - 1) & ~(CORE_PAGE - 1);

    Elf64_Ehdr eh;
    memset(&eh, 0, sizeof eh);
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    eh.e_type = ET_CORE;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = phnum;

    struct out o = {.fd = fd, .limit = limit};
    emit(&o, &eh, sizeof eh);
    Elf64_Phdr ph = {.p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = n.len};
    emit(&o, &ph, sizeof ph);
    uint64_t off = data_off;
    for (size_t i = 0; i < s->nsegs; i++) {
        const struct vj_core_segment *g = &s->segs[i];
        ph = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = off, .p_vaddr = g->start,
                          .p_filesz = g->dump_len, .p_memsz = g->end - g->start,
                          .p_flags = seg_flags(g->prot), .p_align = CORE_PAGE};
        emit(&o, &ph, sizeof ph);
        off += g->dump_len;
    }
    /* Note by note, as Linux emits them (RLIMIT_CORE may cut between two). */
    for (size_t at = 0; at < n.len && !o.stopped;) {
        Elf64_Nhdr h;
        memcpy(&h, n.buf + at, sizeof h);
        size_t one = sizeof h + (((size_t)h.n_namesz + 3) & ~(size_t)3) +
                     (((size_t)h.n_descsz + 3) & ~(size_t)3);
        emit(&o, n.buf + at, one);
        at += one;
    }
    skip_to(&o, data_off);
    for (size_t i = 0; i < s->nsegs && !o.stopped; i++)
        write_segment(&o, &s->segs[i], read, ctx, page);
    /* A file that ends in a hole gets its last byte written, for its size (Linux too). */
    if (!o.stopped && o.to_skip) {
        o.to_skip--;
        emit(&o, "", 1);
    }
    free(page);
    free(n.buf);
    *truncated = o.truncated;
    return o.err;
}

/* ---- core_pattern --------------------------------------------------------------------------- */

/* Append STR to OUT, a '/' in it made '!' if ESCAPE (Linux's cn_esc_printf). */
static bool put(char *out, size_t size, size_t *at, const char *str, bool escape)
{
    for (; *str; str++) {
        if (*at + 1 >= size)
            return false;
        out[(*at)++] = escape && *str == '/' ? '!' : *str;
    }
    out[*at] = '\0';
    return true;
}

int vj_core_expand(const char *pattern, pid_t pid, const char *exe_name, int sig, long now,
                   const char *host, uid_t uid, gid_t gid, char *out, size_t size)
{
    if (size == 0 || pattern[0] == '|')
        return -1;
    size_t at = 0;
    out[0] = '\0';
    char num[32];
    for (const char *c = pattern; *c; c++) {
        bool ok = true;
        if (*c != '%') {
            char one[2] = {*c, '\0'};
            ok = put(out, size, &at, one, false);
        } else {
            c++;
            switch (*c) {
            case '\0':
                c--; /* a '%' at the end is dropped */
                break;
            case '%':
                ok = put(out, size, &at, "%", false);
                break;
            case 'p':
            case 'P':
            case 'i':
            case 'I':
                snprintf(num, sizeof num, "%d", (int)pid);
                ok = put(out, size, &at, num, false);
                break;
            case 'u':
                snprintf(num, sizeof num, "%u", (unsigned)uid);
                ok = put(out, size, &at, num, false);
                break;
            case 'g':
                snprintf(num, sizeof num, "%u", (unsigned)gid);
                ok = put(out, size, &at, num, false);
                break;
            case 's':
                snprintf(num, sizeof num, "%d", sig);
                ok = put(out, size, &at, num, false);
                break;
            case 't':
                snprintf(num, sizeof num, "%ld", now);
                ok = put(out, size, &at, num, false);
                break;
            case 'h':
                ok = put(out, size, &at, host, true);
                break;
            case 'e':
                ok = put(out, size, &at, exe_name, true);
                break;
            default: /* Linux drops what it does not know */
                break;
            }
        }
        if (!ok)
            return -1;
    }
    return 0;
}
