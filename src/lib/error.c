/* error.c: the library's error object: creation, context wrapping, accessors. */
#include "lib/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Preallocated error returned when allocating the real one fails. */
static struct vmjail_error out_of_memory = {VMJAIL_ERR_INTERNAL, 12, "out of memory"};

int vj_error(vmjail_error **err, enum vmjail_error_kind kind, int errnum, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    struct vmjail_error *e = calloc(1, sizeof *e);
    if (e == NULL) {
        *err = &out_of_memory;
        return -1;
    }
    e->kind = kind;
    e->errnum = errnum;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (errnum != 0 && n >= 0 && (size_t)n < sizeof e->msg)
        snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", strerror(errnum));
    *err = e;
    return -1;
}

int vj_error_wrap(vmjail_error **err, const char *fmt, ...)
{
    if (err == NULL || *err == NULL || *err == &out_of_memory)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof(*err)->msg];
    memcpy(old, (*err)->msg, sizeof old);
    /* Context first; the end of a message that no longer fits is cut off. */
    size_t n = strlen(prefix);
    if (n > sizeof old - 3)
        n = sizeof old - 3;
    memcpy((*err)->msg, prefix, n);
    memcpy((*err)->msg + n, ": ", 2);
    size_t rest = sizeof old - n - 3, olen = strlen(old);
    if (olen > rest)
        olen = rest;
    memcpy((*err)->msg + n + 2, old, olen);
    (*err)->msg[n + 2 + olen] = '\0';
    return -1;
}

const char *vmjail_error_message(const vmjail_error *err)
{
    return err ? err->msg : "no error";
}

int vmjail_error_errno(const vmjail_error *err)
{
    return err ? err->errnum : 0;
}

enum vmjail_error_kind vmjail_error_kind(const vmjail_error *err)
{
    return err ? err->kind : VMJAIL_ERR_INTERNAL;
}

void vmjail_error_free(vmjail_error *err)
{
    if (err != &out_of_memory)
        free(err);
}
