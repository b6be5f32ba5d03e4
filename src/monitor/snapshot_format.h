/* snapshot_format.h: the snapshot file's layout (docs/architecture.md, "Snapshots"), and its
 * pure encoder and checking parser (snapshot_format.c): no I/O, no guest memory.
 *
 * A snapshot file is:
 *
 *   [0, 64)                     the header: struct vj_snap_header, little-endian
 *   [meta_offset, +meta_size)   the metadata: records, each a u32 type, a u32 length and that
 *                               many bytes, padded to 8; CRC-32 (meta_crc) over all of it
 *   [data_offset, +data_size)   guest memory: each mapping's pages in address order, page
 *                               aligned, so that a restore maps them straight from the file;
 *                               pages that read as zeros are holes (the file is sparse)
 *
 * The parser treats the file as hostile: every size, offset and count is checked with
 * overflow-safe arithmetic before it is used. */
#ifndef VJ_SNAPSHOT_FORMAT_H
#define VJ_SNAPSHOT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/vm.h"

#define VJ_SNAP_MAGIC "VJSNAP\r\n"
#define VJ_SNAP_VERSION 1
#define VJ_SNAP_HEADER_SIZE 64
#define VJ_SNAP_MAX_META (16u << 20) /* metadata larger than this is refused */
#define VJ_SNAP_MAX_VMAS 65536
#define VJ_SNAP_MAX_FDS 1024
#define VJ_SNAP_MAX_STR 4096         /* paths */
#define VJ_SNAP_MAX_ARGS (1u << 20)  /* cmdline, environ */

/* Where the payload was when the snapshot was taken (vmjail run --snapshot-at). */
enum vj_snap_mark {
    VJ_SNAP_MARK_READ_STDIN = 1, /* its first read of descriptor 0 */
    VJ_SNAP_MARK_ACCEPT = 2,     /* its first accept or accept4 */
    VJ_SNAP_MARK_CALL = 3,       /* the vmjail call VJ_NR_SNAPSHOT */
};

struct vj_snap_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint64_t meta_offset, meta_size;
    uint64_t data_offset, data_size;
    uint32_t meta_crc;
    uint32_t reserved[3];
};
_Static_assert(sizeof(struct vj_snap_header) == VJ_SNAP_HEADER_SIZE, "header size");

/* The process-wide facts (record VJ_SNAP_REC_PROC). */
struct vj_snap_proc {
    uint64_t mem_size;
    uint64_t brk_start, brk_cur, mmap_top, stack_lo, stack_hi;
    uint64_t auxv_gva, auxv_len;
    uint64_t image_lo, image_hi, interp_lo, interp_hi;
    uint32_t mark, nr;          /* enum vj_snap_mark, and the call's number */
    uint64_t fpu_features;      /* XCR0 bits of the saved FPU state ... */
    uint32_t fpu_size, reserved; /* ... and its size (the restoring host must match) */
    uint64_t vdso_hash;          /* FNV-1a of the host's vDSO image (must match) */
};

/* The one thread (record VJ_SNAP_REC_THREAD): registers as vj_vcpu_snapshot takes them, with
 * rip at the marked syscall instruction and rax its number, so that a restore serves it anew. */
struct vj_snap_thread {
    struct vj_user_regs regs;
    uint64_t fs_base, gs_base;
    uint64_t clear_child_tid;
    uint64_t sigmask;
    uint64_t ss_sp, ss_size;
    int32_t ss_flags;
    int32_t tid; /* its tid then: the restored thread answers to it too (C libraries keep it) */
};

/* A mapping (record VJ_SNAP_REC_VMA): its pages are at data_offset + data in the file, one
 * page per page of the range (holes read as zeros). */
struct vj_snap_vma {
    uint64_t start, end;
    int32_t prot, kind; /* PROT_*, enum vj_vma_kind */
    uint64_t data;      /* offset in the data section, page aligned */
};

/* A descriptor (record VJ_SNAP_REC_FD; the path or address follows the fixed part). */
enum vj_snap_fd_kind {
    VJ_SNAP_FD_STDIO = 1,  /* 0, 1, 2: the restoring vmjail's own */
    VJ_SNAP_FD_FILE = 2,   /* a regular file or directory, reopened by path */
    VJ_SNAP_FD_LISTEN = 3, /* a listening socket, bound and listening again */
};
struct vj_snap_fd {
    int32_t fd, kind;
    int32_t flags;    /* F_GETFL */
    int32_t cloexec;  /* FD_CLOEXEC */
    uint64_t offset;  /* files */
    uint64_t size, mtime_sec, mtime_nsec; /* files: must be the same at restore */
    int32_t family, socktype; /* sockets */
    int32_t backlog, reserved;
    uint32_t tail_len, reserved2; /* the path (NUL-free) or socket address bytes after this */
};

/* The sizes tests/fuzz/make-seeds packs. */
_Static_assert(sizeof(struct vj_snap_proc) == 128, "process record");
_Static_assert(sizeof(struct vj_snap_thread) == 200, "thread record");
_Static_assert(sizeof(struct vj_snap_vma) == 32, "mapping record");
_Static_assert(sizeof(struct vj_snap_fd) == 72, "descriptor record");

enum vj_snap_record {
    VJ_SNAP_REC_PROC = 1,
    VJ_SNAP_REC_THREAD = 2,
    VJ_SNAP_REC_FPU = 3,     /* fpu_size bytes of XSAVE area */
    VJ_SNAP_REC_SIGACT = 4,  /* VJ_NSIG struct vj_ksigaction (signal.h), 32 bytes each */
    VJ_SNAP_REC_EXE = 5,     /* strings: no NUL inside */
    VJ_SNAP_REC_INTERP = 6,
    VJ_SNAP_REC_CWD = 7,
    VJ_SNAP_REC_CMDLINE = 8, /* NUL-separated, NUL-terminated */
    VJ_SNAP_REC_ENVIRON = 9,
    VJ_SNAP_REC_VMA = 10,
    VJ_SNAP_REC_FD = 11,
};

#define VJ_SNAP_SIGACT_SIZE (65 * 32)

/* A snapshot's metadata, parsed.  Pointers point into the buffer parsed (not copied). */
struct vj_snap {
    struct vj_snap_header hdr;
    struct vj_snap_proc proc;
    struct vj_snap_thread thread;
    const uint8_t *fpu;
    size_t fpu_len;
    const uint8_t *sigact; /* VJ_SNAP_SIGACT_SIZE bytes */
    const char *exe, *interp, *cwd;
    size_t exe_len, interp_len, cwd_len;
    const char *cmdline, *environ;
    size_t cmdline_len, environ_len;
    struct vj_snap_vma *vmas; /* malloc'd: vj_snap_free */
    size_t nvmas;
    struct vj_snap_fd *fds;   /* malloc'd */
    const uint8_t **fd_tails;  /* malloc'd: each fd's path or address */
    size_t nfds;
};

/* Check header H (read from a file of FILE_SIZE bytes).  0, or -1 with a reason in *WHY. */
int vj_snap_check_header(const struct vj_snap_header *h, uint64_t file_size, const char **why);
/* Parse META (hdr->meta_size bytes, the header already checked) into S.  0, or -1 with the
 * reason in *WHY (S then holds nothing to free). */
int vj_snap_parse_meta(const struct vj_snap_header *hdr, const uint8_t *meta, size_t len,
                       struct vj_snap *s, const char **why);
/* Both at once over a whole file image (the fuzz target's entry). */
int vj_snap_parse(const uint8_t *file, size_t len, struct vj_snap *s, const char **why);
void vj_snap_free(struct vj_snap *s);

/* A growing metadata buffer for the writer. */
struct vj_snap_buf {
    uint8_t *p;
    size_t len, cap;
    bool failed; /* out of memory */
};
void vj_snap_put(struct vj_snap_buf *b, uint32_t type, const void *data, size_t len);
/* A record whose payload is FIXED (FLEN bytes) followed by TAIL (TLEN bytes). */
void vj_snap_put2(struct vj_snap_buf *b, uint32_t type, const void *fixed, size_t flen,
                  const void *tail, size_t tlen);
uint32_t vj_snap_crc32(const uint8_t *p, size_t len);
uint64_t vj_snap_fnv(const uint8_t *p, size_t len);

#endif
