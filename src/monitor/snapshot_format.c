/* snapshot_format.c: the snapshot file's checking parser and its metadata encoder (pure: no
 * I/O; snapshot_format.h describes the layout). */
#include "monitor/snapshot_format.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor/vma.h"
#include "vmjail_abi.h"

#define PAGE 4096ULL

uint32_t vj_snap_crc32(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

uint64_t vj_snap_fnv(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* ---- the encoder ------------------------------------------------------------------------ */

static void grow(struct vj_snap_buf *b, size_t more)
{
    if (b->failed)
        return;
    if (more > SIZE_MAX - b->len) {
        b->failed = true;
        return;
    }
    size_t need = b->len + more;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    uint8_t *n = realloc(b->p, cap);
    if (n == NULL) {
        b->failed = true;
        return;
    }
    b->p = n;
    b->cap = cap;
}

void vj_snap_put2(struct vj_snap_buf *b, uint32_t type, const void *fixed, size_t flen,
                  const void *tail, size_t tlen)
{
    if (flen > UINT32_MAX || tlen > UINT32_MAX - flen) {
        b->failed = true;
        return;
    }
    uint32_t len = (uint32_t)(flen + tlen);
    size_t padded = ((size_t)len + 7) & ~(size_t)7;
    grow(b, 8 + padded);
    if (b->failed)
        return;
    memcpy(b->p + b->len, &type, 4);
    memcpy(b->p + b->len + 4, &len, 4);
    if (flen)
        memcpy(b->p + b->len + 8, fixed, flen);
    if (tlen)
        memcpy(b->p + b->len + 8 + flen, tail, tlen);
    memset(b->p + b->len + 8 + len, 0, padded - len);
    b->len += 8 + padded;
}

void vj_snap_put(struct vj_snap_buf *b, uint32_t type, const void *data, size_t len)
{
    vj_snap_put2(b, type, data, len, NULL, 0);
}

/* ---- the parser ------------------------------------------------------------------------- */

int vj_snap_check_header(const struct vj_snap_header *h, uint64_t file_size, const char **why)
{
    if (memcmp(h->magic, VJ_SNAP_MAGIC, 8) != 0)
        return *why = "not a vmjail snapshot (bad magic)", -1;
    if (h->version != VJ_SNAP_VERSION)
        return *why = "unsupported snapshot version", -1;
    if (h->header_size != VJ_SNAP_HEADER_SIZE)
        return *why = "bad header size", -1;
    if (h->meta_offset < VJ_SNAP_HEADER_SIZE || h->meta_size == 0 ||
        h->meta_size > VJ_SNAP_MAX_META || h->meta_offset > file_size ||
        h->meta_size > file_size - h->meta_offset)
        return *why = "metadata outside the file (truncated?)", -1;
    if (h->data_offset % PAGE || h->data_size % PAGE || h->data_offset > file_size ||
        h->data_size > file_size - h->data_offset)
        return *why = "memory section outside the file (truncated?)", -1;
    if (h->data_size && h->data_offset < h->meta_offset + h->meta_size)
        return *why = "memory section overlaps the metadata", -1;
    return 0;
}

/* A string record: no NUL inside (or, for lists, NUL-terminated). */
static bool str_ok(const uint8_t *p, size_t len, size_t max, bool list)
{
    if (len == 0 || len > max)
        return false;
    if (list)
        return p[len - 1] == '\0';
    return memchr(p, '\0', len) == NULL;
}

static bool vma_ok(const struct vj_snap_vma *v, const struct vj_snap *s)
{
    uint64_t lo = VJ_GUEST_MIN, hi = s->proc.mem_size;
    if (v->start % PAGE || v->end % PAGE || v->data % PAGE || v->start >= v->end ||
        v->start < lo || v->end > hi)
        return false;
    if (v->prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
        return false;
    if (v->kind < VJ_VMA_ANON || v->kind > VJ_VMA_IMAGE || v->kind == VJ_VMA_SHARED)
        return false;
    uint64_t size = v->end - v->start;
    return v->data <= s->hdr.data_size && size <= s->hdr.data_size - v->data;
}

static int append(void **arr, size_t *n, size_t elem, size_t max, const void *item)
{
    if (*n >= max)
        return -1;
    void *a = realloc(*arr, (*n + 1) * elem);
    if (a == NULL)
        return -1;
    memcpy((uint8_t *)a + *n * elem, item, elem);
    *arr = a;
    (*n)++;
    return 0;
}

static int record(struct vj_snap *s, uint32_t type, const uint8_t *p, size_t len, unsigned *seen,
                  const char **why)
{
    switch (type) {
    case VJ_SNAP_REC_PROC:
        if (len != sizeof s->proc)
            return *why = "bad process record", -1;
        memcpy(&s->proc, p, len);
        if (s->proc.mem_size % VJ_HUGE_PAGE_SIZE || s->proc.mem_size < (16ULL << 20) ||
            s->proc.mem_size > VJ_GUEST_MAX_MEMORY)
            return *why = "bad memory size", -1;
        if (s->proc.mark < VJ_SNAP_MARK_READ_STDIN || s->proc.mark > VJ_SNAP_MARK_CALL)
            return *why = "bad mark", -1;
        if (s->proc.fpu_size < 512 || s->proc.fpu_size > sizeof(struct vj_fpu))
            return *why = "bad FPU state size", -1;
        if (s->proc.auxv_len > 4096 || s->proc.brk_start > s->proc.brk_cur ||
            s->proc.brk_cur > s->proc.mem_size || s->proc.mmap_top > s->proc.mem_size)
            return *why = "bad process layout", -1;
        break;
    case VJ_SNAP_REC_THREAD:
        if (len != sizeof s->thread)
            return *why = "bad thread record", -1;
        memcpy(&s->thread, p, len);
        break;
    case VJ_SNAP_REC_FPU:
        if (len < 512 || len > sizeof(struct vj_fpu))
            return *why = "bad FPU record", -1;
        s->fpu = p;
        s->fpu_len = len;
        break;
    case VJ_SNAP_REC_SIGACT:
        if (len != VJ_SNAP_SIGACT_SIZE)
            return *why = "bad signal record", -1;
        s->sigact = p;
        break;
    case VJ_SNAP_REC_EXE:
    case VJ_SNAP_REC_INTERP:
    case VJ_SNAP_REC_CWD: {
        if (!str_ok(p, len, VJ_SNAP_MAX_STR, false))
            return *why = "bad path record", -1;
        const char **dst = type == VJ_SNAP_REC_EXE ? &s->exe
                           : type == VJ_SNAP_REC_INTERP ? &s->interp : &s->cwd;
        size_t *dlen = type == VJ_SNAP_REC_EXE ? &s->exe_len
                       : type == VJ_SNAP_REC_INTERP ? &s->interp_len : &s->cwd_len;
        *dst = (const char *)p;
        *dlen = len;
        break;
    }
    case VJ_SNAP_REC_CMDLINE:
    case VJ_SNAP_REC_ENVIRON:
        if (!str_ok(p, len, VJ_SNAP_MAX_ARGS, true))
            return *why = "bad argument record", -1;
        if (type == VJ_SNAP_REC_CMDLINE) {
            s->cmdline = (const char *)p;
            s->cmdline_len = len;
        } else {
            s->environ = (const char *)p;
            s->environ_len = len;
        }
        break;
    case VJ_SNAP_REC_VMA: {
        struct vj_snap_vma v;
        if (len != sizeof v || !(*seen & (1u << VJ_SNAP_REC_PROC)))
            return *why = "bad mapping record", -1;
        memcpy(&v, p, len);
        if (!vma_ok(&v, s))
            return *why = "bad mapping", -1;
        if (s->nvmas && v.start < s->vmas[s->nvmas - 1].end)
            return *why = "mappings out of order or overlapping", -1;
        if (append((void **)&s->vmas, &s->nvmas, sizeof v, VJ_SNAP_MAX_VMAS, &v) < 0)
            return *why = "too many mappings", -1;
        break;
    }
    case VJ_SNAP_REC_FD: {
        struct vj_snap_fd f;
        if (len < sizeof f)
            return *why = "bad descriptor record", -1;
        memcpy(&f, p, sizeof f);
        if (f.tail_len != len - sizeof f || f.fd < 0 || f.fd >= 65536 ||
            f.kind < VJ_SNAP_FD_STDIO || f.kind > VJ_SNAP_FD_LISTEN)
            return *why = "bad descriptor record", -1;
        if (f.kind == VJ_SNAP_FD_FILE && !str_ok(p + sizeof f, f.tail_len, VJ_SNAP_MAX_STR, false))
            return *why = "bad descriptor path", -1;
        if (f.kind == VJ_SNAP_FD_LISTEN && (f.tail_len < 2 || f.tail_len > 128))
            return *why = "bad socket address", -1;
        if (s->nfds && f.fd <= s->fds[s->nfds - 1].fd)
            return *why = "descriptors out of order", -1;
        const uint8_t *tail = p + sizeof f;
        size_t n = s->nfds;
        if (append((void **)&s->fds, &s->nfds, sizeof f, VJ_SNAP_MAX_FDS, &f) < 0)
            return *why = "too many descriptors", -1;
        size_t m = n;
        if (append((void **)&s->fd_tails, &m, sizeof tail, VJ_SNAP_MAX_FDS, &tail) < 0) {
            s->nfds = n;
            return *why = "out of memory", -1;
        }
        break;
    }
    default:
        return *why = "unknown record", -1;
    }
    if (type != VJ_SNAP_REC_VMA && type != VJ_SNAP_REC_FD) {
        if (*seen & (1u << type))
            return *why = "record given twice", -1;
    }
    *seen |= 1u << type;
    return 0;
}

void vj_snap_free(struct vj_snap *s)
{
    free(s->vmas);
    free(s->fds);
    free(s->fd_tails);
    s->vmas = NULL;
    s->fds = NULL;
    s->fd_tails = NULL;
    s->nvmas = s->nfds = 0;
}

int vj_snap_parse_meta(const struct vj_snap_header *hdr, const uint8_t *meta, size_t len,
                       struct vj_snap *s, const char **why)
{
    memset(s, 0, sizeof *s);
    s->hdr = *hdr;
    if (len != hdr->meta_size)
        return *why = "metadata size", -1;
    if (vj_snap_crc32(meta, len) != hdr->meta_crc)
        return *why = "metadata checksum mismatch (damaged or tampered)", -1;
    unsigned seen = 0;
    size_t at = 0;
    while (at < len) {
        if (len - at < 8) {
            *why = "truncated record";
            goto bad;
        }
        uint32_t type, rlen;
        memcpy(&type, meta + at, 4);
        memcpy(&rlen, meta + at + 4, 4);
        at += 8;
        if (rlen > len - at) {
            *why = "record past the end of the metadata";
            goto bad;
        }
        if (record(s, type, meta + at, rlen, &seen, why) < 0)
            goto bad;
        size_t padded = ((size_t)rlen + 7) & ~(size_t)7;
        at = padded > len - at ? len : at + padded;
    }
    unsigned need = 1u << VJ_SNAP_REC_PROC | 1u << VJ_SNAP_REC_THREAD | 1u << VJ_SNAP_REC_FPU |
                    1u << VJ_SNAP_REC_SIGACT | 1u << VJ_SNAP_REC_EXE | 1u << VJ_SNAP_REC_CWD |
                    1u << VJ_SNAP_REC_CMDLINE | 1u << VJ_SNAP_REC_ENVIRON;
    if ((seen & need) != need) {
        *why = "a record is missing";
        goto bad;
    }
    if (s->fpu_len != s->proc.fpu_size) {
        *why = "FPU record and process record disagree";
        goto bad;
    }
    if (s->nvmas == 0) {
        *why = "no mappings";
        goto bad;
    }
    return 0;
bad:
    vj_snap_free(s);
    return -1;
}

int vj_snap_parse(const uint8_t *file, size_t len, struct vj_snap *s, const char **why)
{
    memset(s, 0, sizeof *s);
    struct vj_snap_header h;
    if (len < sizeof h)
        return *why = "shorter than a header (truncated?)", -1;
    memcpy(&h, file, sizeof h);
    if (vj_snap_check_header(&h, len, why) < 0)
        return -1;
    return vj_snap_parse_meta(&h, file + h.meta_offset, (size_t)h.meta_size, s, why);
}
