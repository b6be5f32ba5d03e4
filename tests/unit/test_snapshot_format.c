/* test_snapshot_format.c: the snapshot file's parser (src/monitor/snapshot_format.c): a file
 * built by the encoder parses back to what was put in; every damage (a byte changed, the file
 * cut anywhere, sizes and offsets out of range, records missing, twice, out of order or
 * overlapping) is refused with a reason, never read past. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor/snapshot_format.h"
#include "monitor/vma.h"
#include "tap.h"

#define PAGE 4096u

struct image {
    uint8_t *p;
    size_t len;
};

/* A snapshot of two mappings and three descriptors; EDIT may change the records first. */
static struct image build(void (*edit)(struct vj_snap_proc *, struct vj_snap_vma *, size_t *))
{
    struct vj_snap_buf b = {0};
    struct vj_snap_proc proc = {.mem_size = 64ULL << 20, .brk_start = 0x600000,
                                .brk_cur = 0x601000, .mmap_top = 0x3f00000,
                                .mark = VJ_SNAP_MARK_READ_STDIN, .nr = 0, .fpu_size = 832};
    struct vj_snap_vma v[3] = {{0x400000, 0x402000, PROT_READ | PROT_EXEC, VJ_VMA_IMAGE, 0},
                               {0x600000, 0x601000, PROT_READ | PROT_WRITE, VJ_VMA_HEAP, 0x2000}};
    size_t nv = 2;
    if (edit)
        edit(&proc, v, &nv);
    struct vj_snap_thread t = {.regs.rip = 0x400123, .tid = 77};
    uint8_t fpu[832] = {1, 2, 3};
    uint8_t sigact[VJ_SNAP_SIGACT_SIZE] = {0};
    vj_snap_put(&b, VJ_SNAP_REC_PROC, &proc, sizeof proc);
    vj_snap_put(&b, VJ_SNAP_REC_THREAD, &t, sizeof t);
    vj_snap_put(&b, VJ_SNAP_REC_FPU, fpu, sizeof fpu);
    vj_snap_put(&b, VJ_SNAP_REC_SIGACT, sigact, sizeof sigact);
    vj_snap_put(&b, VJ_SNAP_REC_EXE, "/bin/prog", 9);
    vj_snap_put(&b, VJ_SNAP_REC_CWD, "/tmp", 4);
    vj_snap_put(&b, VJ_SNAP_REC_CMDLINE, "prog\0a\0", 7);
    vj_snap_put(&b, VJ_SNAP_REC_ENVIRON, "A=b\0", 4);
    uint64_t data = 0;
    for (size_t i = 0; i < nv; i++) {
        vj_snap_put(&b, VJ_SNAP_REC_VMA, &v[i], sizeof v[i]);
        if (v[i].data + (v[i].end - v[i].start) > data)
            data = v[i].data + (v[i].end - v[i].start);
    }
    struct vj_snap_fd f = {.fd = 0, .kind = VJ_SNAP_FD_STDIO};
    vj_snap_put(&b, VJ_SNAP_REC_FD, &f, sizeof f);
    f = (struct vj_snap_fd){.fd = 3, .kind = VJ_SNAP_FD_FILE, .offset = 4, .tail_len = 6};
    vj_snap_put2(&b, VJ_SNAP_REC_FD, &f, sizeof f, "/tmp/f", 6);
    struct vj_snap_header h = {.version = VJ_SNAP_VERSION, .header_size = VJ_SNAP_HEADER_SIZE,
                               .meta_offset = 64, .meta_size = b.len, .data_size = data};
    memcpy(h.magic, VJ_SNAP_MAGIC, 8);
    h.data_offset = (64 + b.len + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    h.meta_crc = vj_snap_crc32(b.p, b.len);
    struct image im = {calloc(1, h.data_offset + data), h.data_offset + data};
    memcpy(im.p, &h, sizeof h);
    memcpy(im.p + 64, b.p, b.len);
    free(b.p);
    return im;
}

static int parse(struct image im, const char **why)
{
    struct vj_snap s;
    *why = NULL;
    int r = vj_snap_parse(im.p, im.len, &s, why);
    if (r == 0)
        vj_snap_free(&s);
    return r;
}

static void overlap(struct vj_snap_proc *p, struct vj_snap_vma *v, size_t *n)
{
    (void)p;
    (void)n;
    v[1].start = 0x401000; /* inside the first */
}
static void past_memory(struct vj_snap_proc *p, struct vj_snap_vma *v, size_t *n)
{
    (void)n;
    v[1].start = p->mem_size - PAGE;
    v[1].end = p->mem_size + PAGE;
}
static void unaligned(struct vj_snap_proc *p, struct vj_snap_vma *v, size_t *n)
{
    (void)p;
    (void)n;
    v[1].data = 0x2001;
}
static void wrap(struct vj_snap_proc *p, struct vj_snap_vma *v, size_t *n)
{
    (void)p;
    (void)n;
    v[1].start = 0xfffffffffffff000ULL;
    v[1].end = 0x1000;
}
static void bad_mark(struct vj_snap_proc *p, struct vj_snap_vma *v, size_t *n)
{
    (void)v;
    (void)n;
    p->mark = 9;
}
static void no_vma(struct vj_snap_proc *p, struct vj_snap_vma *v, size_t *n)
{
    (void)p;
    (void)v;
    *n = 0;
}
static void shared_kind(struct vj_snap_proc *p, struct vj_snap_vma *v, size_t *n)
{
    (void)p;
    (void)n;
    v[0].kind = VJ_VMA_SHARED;
}

int main(void)
{
    const char *why;
    struct image im = build(NULL);
    struct vj_snap s;
    int r = vj_snap_parse(im.p, im.len, &s, &why);
    is_int(r, 0, "a snapshot the encoder built parses (%s)", r ? why : "");
    if (r == 0) {
        is_int(s.nvmas, 2, "both mappings");
        is_int(s.vmas[1].data, 0x2000, "the second's pages after the first's");
        is_int(s.nfds, 2, "both descriptors");
        ok(s.fd_tails[1] && memcmp(s.fd_tails[1], "/tmp/f", 6) == 0, "the file's path");
        is_int(s.thread.tid, 77, "the thread's tid");
        is_int(s.thread.regs.rip, 0x400123, "its rip");
        ok(s.exe_len == 9 && memcmp(s.exe, "/bin/prog", 9) == 0, "the program's path");
        vj_snap_free(&s);
    }

    /* Any change of the metadata without its checksum. */
    im.p[64 + 40] ^= 1;
    is_int(parse(im, &why), -1, "a changed metadata byte is refused");
    ok(why && strstr(why, "checksum"), "... by its checksum (%s)", why ? why : "");
    im.p[64 + 40] ^= 1;

    /* Cut anywhere: refused, nothing read past the cut (the image is copied to an exact
     * allocation, so ASan would see a read past it). */
    int cut_ok = 1;
    for (size_t len = 0; len < im.len; len += len < 512 ? 1 : 509) {
        struct image c = {malloc(len ? len : 1), len};
        memcpy(c.p, im.p, len);
        if (parse(c, &why) == 0)
            cut_ok = 0;
        free(c.p);
    }
    ok(cut_ok, "every cut of the file is refused");

    /* Each metadata byte changed with the checksum made right: parsed or refused, never
     * crashed (and never a mapping outside the file's memory section). */
    struct vj_snap_header h;
    memcpy(&h, im.p, sizeof h);
    int flips_ok = 1;
    for (size_t i = 0; i < h.meta_size; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            im.p[64 + i] ^= (uint8_t)(1u << bit);
            struct vj_snap_header g = h;
            g.meta_crc = vj_snap_crc32(im.p + 64, (size_t)h.meta_size);
            memcpy(im.p, &g, sizeof g);
            if (vj_snap_parse(im.p, im.len, &s, &why) == 0) {
                for (size_t k = 0; k < s.nvmas; k++)
                    if (s.vmas[k].data + (s.vmas[k].end - s.vmas[k].start) > h.data_size)
                        flips_ok = 0;
                vj_snap_free(&s);
            }
            im.p[64 + i] ^= (uint8_t)(1u << bit);
        }
    }
    memcpy(im.p, &h, sizeof h);
    ok(flips_ok, "single-bit changes of the metadata: nothing outside the file accepted");

    /* Header fields out of range. */
    struct { const char *name; size_t off; uint64_t val; int width; } hb[] = {
        {"version", 8, 2, 4},
        {"header size", 12, 128, 4},
        {"metadata offset past the end", 16, 1ULL << 40, 8},
        {"metadata size past the end", 24, UINT64_MAX - 10, 8},
        {"data offset unaligned", 32, 4097, 8},
        {"data size past the end", 40, 1ULL << 62, 8},
    };
    for (size_t i = 0; i < sizeof hb / sizeof hb[0]; i++) {
        uint8_t keep[8];
        memcpy(keep, im.p + hb[i].off, 8);
        if (hb[i].width == 4) {
            uint32_t v = (uint32_t)hb[i].val;
            memcpy(im.p + hb[i].off, &v, 4);
        } else {
            memcpy(im.p + hb[i].off, &hb[i].val, 8);
        }
        is_int(parse(im, &why), -1, "header: %s refused (%s)", hb[i].name, why ? why : "");
        memcpy(im.p + hb[i].off, keep, 8);
    }
    im.p[0] = 'X';
    is_int(parse(im, &why), -1, "bad magic refused");
    free(im.p);

    struct { const char *name; void (*edit)(struct vj_snap_proc *, struct vj_snap_vma *,
                                            size_t *); } bad[] = {
        {"overlapping mappings", overlap},
        {"a mapping past guest memory", past_memory},
        {"a mapping's data unaligned", unaligned},
        {"a mapping that wraps", wrap},
        {"an unknown mark", bad_mark},
        {"no mapping", no_vma},
        {"a shared anonymous mapping", shared_kind},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct image b = build(bad[i].edit);
        is_int(parse(b, &why), -1, "%s refused (%s)", bad[i].name, why ? why : "");
        free(b.p);
    }
    return done_testing();
}
