/* core_elf.h: an ELF core file as Linux writes it (x86-64), built from a process state given
 * in plain structures: the layout, the notes and the memory segments.  Pure: it reads guest
 * memory only through a callback and writes only to the descriptor it is given, so that the
 * unit tests can run it on a fake process (tests/unit/test_core_elf.c). */
#ifndef VJ_CORE_ELF_H
#define VJ_CORE_ELF_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/vm.h"

/* One thread: its registers, FS/GS bases and FPU state (the standard XSAVE layout). */
struct vj_core_thread {
    pid_t tid;
    struct vj_user_regs regs;
    uint64_t fs_base, gs_base;
    const uint8_t *xsave;  /* NULL: no FPU notes for this thread */
    uint32_t xsave_size;   /* bytes of XSAVE, at least 512 (the FXSAVE part) */
};

/* One mapping, as its program header says, and how many of its bytes the file holds (0, one
 * page for an ELF header, or all: Linux's vma_dump_size). */
struct vj_core_segment {
    uint64_t start, end;
    int prot;          /* PROT_* */
    uint64_t dump_len; /* bytes from START written to the file, <= end - start */
};

/* A file mapping for NT_FILE. */
struct vj_core_file {
    uint64_t start, end, offset; /* offset in bytes, page aligned */
    const char *path;
};

struct vj_core_state {
    const struct vj_core_thread *threads; /* the first is the thread the signal ended */
    size_t nthreads;
    siginfo_t siginfo;                    /* the fatal signal (NT_SIGINFO) */
    pid_t pid, ppid, pgrp, sid;
    uid_t uid;
    gid_t gid;
    const char *fname;                    /* the program's name (at most 15 bytes used) */
    const char *args;                     /* the command line, NUL-separated ... */
    size_t args_len;                      /* ... of this many bytes */
    const void *auxv;                     /* the aux vector as the payload got it */
    size_t auxv_len;
    uint64_t xcr0;                        /* the XSAVE features the FPU areas hold */
    const struct vj_core_file *files;
    size_t nfiles;
    const struct vj_core_segment *segs;
    size_t nsegs;
};

/* Read LEN bytes of guest memory at ADDR into BUF: 0, or -1 if they cannot be read. */
typedef int (*vj_core_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* Write S's core file to FD (at its current offset 0), stopping as Linux does where the next
 * piece would pass LIMIT bytes (RLIMIT_CORE).  Pages READ cannot give and pages of zeros are
 * holes in the file.  Returns 0 (also when LIMIT cut it: *TRUNCATED is set) or a negative
 * errno of the write that failed. */
int vj_core_write(int fd, uint64_t limit, const struct vj_core_state *s, vj_core_read_fn read,
                  void *ctx, bool *truncated);

/* True if signal SIG's default action dumps core (Linux's SIG_KERNEL_COREDUMP_MASK). */
bool vj_core_signal(int sig);

/* Expand a core_pattern-style PATTERN (%p %e %s %t %h %% ...; Linux's format_corename) into
 * OUT (SIZE bytes): 0, or -1 if it does not fit or PATTERN is a pipe. */
int vj_core_expand(const char *pattern, pid_t pid, const char *exe_name, int sig, long now,
                   const char *host, uid_t uid, gid_t gid, char *out, size_t size);

#endif
