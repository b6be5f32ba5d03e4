/* test_core_elf.c: unit tests of the core file writer (src/monitor/core_elf.c) on a fake
 * process: the ELF layout, the notes in Linux's order, the segments' bytes and holes,
 * RLIMIT_CORE's cut, and core_pattern's %-specifiers. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <unistd.h>

#include "monitor/core_elf.h"
#include "tap.h"

#define PG 4096

/* Fake guest memory: pages at 0x400000 (readable, a pattern), 0x500000 (unreadable). */
static uint8_t text[2 * PG];

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    int *reads = ctx;
    (*reads)++;
    if (addr >= 0x400000 && addr + len <= 0x400000 + sizeof text) {
        memcpy(buf, text + (addr - 0x400000), len);
        return 0;
    }
    if (addr >= 0x600000 && addr + len <= 0x601000) { /* readable, all zero: a hole */
        memset(buf, 0, len);
        return 0;
    }
    return -1;
}

static uint8_t *slurp(int fd, size_t *len)
{
    struct stat st;
    fstat(fd, &st);
    *len = (size_t)st.st_size;
    uint8_t *b = calloc(1, *len + 1);
    if (pread(fd, b, *len, 0) != (ssize_t)*len) {
        free(b);
        return NULL;
    }
    return b;
}

static int tmpfd(void)
{
    char name[] = "/tmp/vj-core-test.XXXXXX";
    int fd = mkstemp(name);
    unlink(name);
    return fd;
}

static uint8_t xsave[2][1024];
static struct vj_core_thread threads[2];
static struct vj_core_segment segs[4];
static struct vj_core_file files[1];
static uint64_t auxv[4] = {AT_PAGESZ, 4096, AT_NULL, 0};
static const char args[] = "prog\0-x\0";

static struct vj_core_state fake_state(void)
{
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)(i * 7 + 1);
    for (int t = 0; t < 2; t++) {
        memset(xsave[t], 0x11 * (t + 1), sizeof xsave[t]);
        threads[t] = (struct vj_core_thread){.tid = 100 + t, .fs_base = 0x7000 + (uint64_t)t,
                                             .xsave = xsave[t], .xsave_size = 832};
        threads[t].regs.rip = 0x401000 + (uint64_t)t;
        threads[t].regs.rsp = 0x7ff0 + (uint64_t)t;
        threads[t].regs.rax = 42;
    }
    segs[0] = (struct vj_core_segment){0x400000, 0x402000, PROT_READ | PROT_EXEC, 2 * PG};
    segs[1] = (struct vj_core_segment){0x500000, 0x501000, PROT_READ, PG};     /* unreadable */
    segs[2] = (struct vj_core_segment){0x600000, 0x601000, PROT_READ | PROT_WRITE, PG};
    segs[3] = (struct vj_core_segment){0x700000, 0x710000, PROT_NONE, 0};      /* not dumped */
    files[0] = (struct vj_core_file){0x400000, 0x402000, 0x1000, "/bin/prog"};
    struct vj_core_state s = {.threads = threads, .nthreads = 2, .pid = 100, .ppid = 1,
                              .pgrp = 100, .sid = 100, .uid = 0, .gid = 0, .fname = "prog",
                              .args = args, .args_len = sizeof args - 1, .auxv = auxv,
                              .auxv_len = sizeof auxv, .xcr0 = 0x7, .files = files,
                              .nfiles = 1, .segs = segs, .nsegs = 4};
    s.siginfo.si_signo = SIGSEGV;
    s.siginfo.si_code = SEGV_MAPERR;
    return s;
}

/* The notes' types in file order, and pointers to the descs of the first two NT_PRSTATUS. */
static int note_types(const uint8_t *b, uint64_t off, uint64_t len, uint32_t *types, int max,
                      const uint8_t **prs, const char **names)
{
    int n = 0, np = 0;
    for (uint64_t at = off; at < off + len && n < max;) {
        Elf64_Nhdr h;
        memcpy(&h, b + at, sizeof h);
        const char *name = (const char *)b + at + sizeof h;
        const uint8_t *desc = b + at + sizeof h + ((h.n_namesz + 3) & ~3u);
        names[n] = name;
        types[n++] = h.n_type;
        if (h.n_type == NT_PRSTATUS && np < 2)
            prs[np++] = desc;
        at += sizeof h + ((h.n_namesz + 3) & ~3u) + ((h.n_descsz + 3) & ~3u);
    }
    return n;
}

static void test_layout(void)
{
    struct vj_core_state s = fake_state();
    int fd = tmpfd(), reads = 0;
    bool cut = true;
    is_int(vj_core_write(fd, UINT64_MAX, &s, fake_read, &reads, &cut), 0, "core written");
    ok(!cut, "no limit: not truncated");
    size_t len;
    uint8_t *b = slurp(fd, &len);
    close(fd);
    Elf64_Ehdr eh;
    memcpy(&eh, b, sizeof eh);
    ok(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64,
       "ELF64 magic");
    is_int(eh.e_type, ET_CORE, "ET_CORE");
    is_int(eh.e_machine, EM_X86_64, "EM_X86_64");
    is_int(eh.e_phnum, 5, "one PT_NOTE and one PT_LOAD per mapping");
    Elf64_Phdr ph[5];
    memcpy(ph, b + eh.e_phoff, sizeof ph);
    is_int(ph[0].p_type, PT_NOTE, "the PT_NOTE first");
    is_int(ph[1].p_offset % PG, 0, "segment data page aligned");
    is_int(ph[1].p_filesz, 2 * PG, "a whole segment");
    is_int(ph[1].p_flags, PF_R | PF_X, "flags from the protection");
    ok(ph[1].p_offset + ph[1].p_filesz <= len &&
           memcmp(b + ph[1].p_offset, text, sizeof text) == 0,
       "the segment's bytes are guest memory's");
    is_int(ph[2].p_offset, ph[1].p_offset + 2 * PG, "segments follow each other");
    ok(ph[2].p_filesz == PG && b[ph[2].p_offset] == 0 && b[ph[2].p_offset + PG - 1] == 0,
       "an unreadable page is a hole of zeros, its header kept");
    is_int(ph[4].p_filesz, 0, "a mapping not dumped: header only");
    is_int(ph[4].p_memsz, 0x10000, "... with its size");
    is_int(len, ph[3].p_offset + PG, "a file ending in a hole has its full size");

    uint32_t types[16];
    const uint8_t *prs[2] = {NULL, NULL};
    const char *names[16];
    int n = note_types(b, ph[0].p_offset, ph[0].p_filesz, types, 16, prs, names);
    uint32_t want[] = {NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV,    NT_FILE,
                       NT_PRFPREG,  NT_X86_XSTATE, NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE};
    is_int(n, 10, "ten notes for two threads");
    ok(n == 10 && memcmp(types, want, sizeof want) == 0, "notes in Linux's order");
    ok(n == 10 && strcmp(names[6], "LINUX") == 0 && strcmp(names[0], "CORE") == 0,
       "note names CORE and LINUX");
    struct elf_prstatus p0, p1;
    memcpy(&p0, prs[0], sizeof p0);
    memcpy(&p1, prs[1], sizeof p1);
    struct user_regs_struct g0, g1;
    memcpy(&g0, &p0.pr_reg, sizeof g0);
    memcpy(&g1, &p1.pr_reg, sizeof g1);
    is_int(p0.pr_pid, 100, "first thread first");
    is_int(p1.pr_pid, 101, "then the other");
    is_int(p0.pr_cursig, SIGSEGV, "pr_cursig");
    is_int(g0.rip, 0x401000, "rip in pr_reg");
    is_int(g1.rsp, 0x7ff1, "rsp in pr_reg");
    is_int(g0.fs_base, 0x7000, "fs_base in pr_reg");
    is_int(g0.cs, 0x33, "user code segment");
    free(b);
}

static void test_limit(void)
{
    struct vj_core_state s = fake_state();
    int fd = tmpfd(), reads = 0;
    bool cut = false;
    /* The headers' and notes' bytes, from a whole file; holes do not count (as on Linux). */
    vj_core_write(fd, UINT64_MAX, &s, fake_read, &reads, &cut);
    size_t len;
    uint8_t *b = slurp(fd, &len);
    close(fd);
    Elf64_Ehdr eh;
    memcpy(&eh, b, sizeof eh);
    Elf64_Phdr ph[2];
    memcpy(ph, b + eh.e_phoff, sizeof ph);
    uint64_t head = ph[0].p_offset + ph[0].p_filesz;
    free(b);
    /* Room for the headers, the notes and one page: the first segment's second page does not
     * fit. */
    fd = tmpfd();
    is_int(vj_core_write(fd, head + PG + 100, &s, fake_read, &reads, &cut), 0,
           "cut is no error");
    ok(cut, "RLIMIT_CORE cut it");
    b = slurp(fd, &len);
    close(fd);
    is_int(len, ph[1].p_offset + PG, "cut after the first whole page that fits");
    ok(b && memcmp(b + ph[1].p_offset, text, PG) == 0, "that page is there");
    free(b);

    fd = tmpfd();
    is_int(vj_core_write(fd, 10, &s, fake_read, &reads, &cut), 0, "a tiny limit");
    ok(cut, "... cuts before the ELF header");
    b = slurp(fd, &len);
    close(fd);
    is_int(len, 0, "... nothing written");
    free(b);
}

static void test_errors(void)
{
    struct vj_core_state s = fake_state();
    int reads = 0;
    bool cut;
    segs[1].dump_len = 2 * PG; /* more than the mapping */
    int fd = tmpfd();
    is_int(vj_core_write(fd, UINT64_MAX, &s, fake_read, &reads, &cut), -EINVAL,
           "a dump length over the mapping's size is refused");
    close(fd);
    s = fake_state();
    is_int(vj_core_write(-1, UINT64_MAX, &s, fake_read, &reads, &cut), -EBADF,
           "a write error is returned");
}

static void test_expand(void)
{
    char out[256];
    is_int(vj_core_expand("core", 7, "prog", 11, 123, "h", 0, 0, out, sizeof out), 0, "plain");
    is_str(out, "core", "plain pattern");
    vj_core_expand("/c/%e.%p.%s.%t.%h.%u.%g.%%.%z%", 42, "a/b", 6, 99, "ho/st", 5, 6, out,
                   sizeof out);
    is_str(out, "/c/a!b.42.6.99.ho!st.5.6.%.", "every specifier, '/' escaped, unknown dropped");
    is_int(vj_core_expand("|/usr/bin/helper %p", 1, "p", 6, 0, "h", 0, 0, out, sizeof out), -1,
           "a pipe is not a path");
    is_int(vj_core_expand("core.%p", 123456, "p", 6, 0, "h", 0, 0, out, 8), -1,
           "too long for the buffer");
    ok(vj_core_signal(SIGSEGV) && vj_core_signal(SIGABRT) && vj_core_signal(SIGQUIT) &&
           vj_core_signal(SIGSYS) && vj_core_signal(SIGXFSZ),
       "core-dumping signals");
    ok(!vj_core_signal(SIGKILL) && !vj_core_signal(SIGTERM) && !vj_core_signal(SIGINT) &&
           !vj_core_signal(SIGPIPE) && !vj_core_signal(0),
       "signals that only terminate");
}

int main(void)
{
    test_layout();
    test_limit();
    test_errors();
    test_expand();
    return done_testing();
}
