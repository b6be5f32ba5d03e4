/* stack.c: builds a new program's initial stack: strings, random bytes, aux vector, envp,
 * argv and argc, in Linux's order and alignment. */
#include "loader/stack.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A downward bump allocator over the buffer that stands for [top - size, top). */
struct cursor {
    uint8_t *buf;
    size_t size;
    uint64_t top, pos; /* pos: the lowest guest address used so far */
};

static int push(struct cursor *c, const void *data, size_t len, uint64_t *at)
{
    if (len > c->pos - (c->top - c->size))
        return -E2BIG;
    c->pos -= len;
    memcpy(c->buf + (c->pos - (c->top - c->size)), data, len);
    if (at)
        *at = c->pos;
    return 0;
}

/* Align the cursor down to 16 bytes, staying inside the buffer. */
static int align16(struct cursor *c)
{
    uint64_t pos = c->pos & ~(uint64_t)15;
    if (pos < c->top - c->size)
        return -E2BIG;
    c->pos = pos;
    return 0;
}

static size_t count(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

static int build(struct cursor *cp, const struct vj_stack_input *in, uint64_t *strs,
                 struct vj_stack_layout *out);

int vj_stack_build(uint8_t *buf, size_t size, uint64_t top, const struct vj_stack_input *in,
                   struct vj_stack_layout *out)
{
    struct cursor c = {buf, size, top, top};
    size_t n = count(in->argv) + count(in->envp);
    uint64_t *strs = malloc((n + 1) * sizeof *strs);
    if (strs == NULL)
        return -ENOMEM;
    int r = build(&c, in, strs, out);
    free(strs);
    return r;
}

/* STRS receives the guest addresses of the argument strings, then of the environment's. */
static int build(struct cursor *cp, const struct vj_stack_input *in, uint64_t *strs,
                 struct vj_stack_layout *out)
{
    struct cursor c = *cp;
    uint8_t *buf = c.buf;
    size_t argc = count(in->argv), envc = count(in->envp);
    uint64_t execfn, platform, random;

    /* Strings, highest first: the file name, then environment and argument strings with the
     * environment above the arguments, as Linux lays them out. */
    uint64_t zero = 0;
    if (push(&c, &zero, sizeof zero, NULL) < 0 ||
        push(&c, in->execfn, strlen(in->execfn) + 1, &execfn) < 0)
        return -E2BIG;
    for (size_t i = envc; i-- > 0;)
        if (push(&c, in->envp[i], strlen(in->envp[i]) + 1, &strs[argc + i]) < 0)
            return -E2BIG;
    for (size_t i = argc; i-- > 0;)
        if (push(&c, in->argv[i], strlen(in->argv[i]) + 1, &strs[i]) < 0)
            return -E2BIG;
    if (push(&c, in->platform, strlen(in->platform) + 1, &platform) < 0)
        return -E2BIG;
    if (align16(&c) < 0 || push(&c, in->random, sizeof in->random, &random) < 0 ||
        align16(&c) < 0)
        return -E2BIG;

    /* Pointer area: argc, argv[] NULL, envp[] NULL, auxv pairs AT_NULL.  Its size decides the
     * padding that makes the final stack pointer 16-byte aligned. */
    size_t nauxv = in->nauxv + 4;
    size_t words = 1 + (argc + 1) + (envc + 1) + 2 * nauxv;
    uint64_t bytes = words * 8;
    if (c.pos - (c.top - c.size) < bytes)
        return -E2BIG;
    uint64_t sp = (c.pos - bytes) & ~(uint64_t)15;
    if (sp < c.top - c.size)
        return -E2BIG;
    uint8_t *w = buf + (sp - (c.top - c.size));
    uint64_t v[2];
    size_t k = 0;
#define PUT(x) (v[0] = (x), memcpy(w + 8 * k++, v, 8))
    PUT(argc);
    out->argv = sp + 8 * k;
    for (size_t i = 0; i < argc; i++)
        PUT(strs[i]);
    PUT(0);
    out->envp = sp + 8 * k;
    for (size_t i = 0; i < envc; i++)
        PUT(strs[argc + i]);
    PUT(0);
    out->auxv = sp + 8 * k;
    for (size_t i = 0; i < in->nauxv; i++) {
        PUT(in->auxv[i].type);
        PUT(in->auxv[i].value);
    }
    PUT(AT_RANDOM);
    PUT(random);
    PUT(AT_EXECFN);
    PUT(execfn);
    PUT(AT_PLATFORM);
    PUT(platform);
    PUT(AT_NULL);
    PUT(0);
#undef PUT
    out->auxv_len = sp + 8 * k - out->auxv;
    out->sp = sp;
    return 0;
}
