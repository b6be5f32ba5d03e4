/* stack.h: lays out a new program's initial stack as Linux does: argc, argv, envp, the aux
 * vector, and the strings and random bytes they point to.  Pure: it fills a buffer that the
 * loader copies to the top of the guest stack. */
#ifndef VJ_STACK_H
#define VJ_STACK_H

#include <stddef.h>
#include <stdint.h>

struct vj_auxv {
    uint64_t type, value;
};

struct vj_stack_input {
    char *const *argv; /* NULL-terminated */
    char *const *envp; /* NULL-terminated */
    const char *execfn;
    const char *platform;   /* "x86_64" */
    uint8_t random[16];     /* AT_RANDOM bytes */
    /* Aux vector entries other than AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL, which the
     * builder adds itself. */
    const struct vj_auxv *auxv;
    size_t nauxv;
};

struct vj_stack_layout {
    uint64_t sp;       /* initial stack pointer: points at argc, 16-byte aligned */
    uint64_t auxv;     /* guest address of the aux vector, and its size in bytes */
    uint64_t auxv_len;
    uint64_t argv;     /* guest address of argv[0] and envp[0] pointers */
    uint64_t envp;
};

/* Build the stack image for a stack whose top (exclusive) is guest address TOP into BUF, which
 * stands for guest memory [TOP - SIZE, TOP).  The used part is at the end of BUF.  Returns 0,
 * or -E2BIG if it does not fit in SIZE bytes. */
int vj_stack_build(uint8_t *buf, size_t size, uint64_t top, const struct vj_stack_input *in,
                   struct vj_stack_layout *out);

#endif
