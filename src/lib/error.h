/* error.h: the library's error object (crun style): fallible functions return -1 and fill
 * *err; callers add context with vj_error_wrap() as the error travels up. */
#ifndef VJ_ERROR_H
#define VJ_ERROR_H

#include "vmjail.h"

struct vmjail_error {
    enum vmjail_error_kind kind;
    int errnum; /* errno of the cause, 0 if none */
    char msg[512];
};

/* Make a new error in *ERR (if ERR is not NULL); the message is FMT, followed by
 * ": strerror(ERRNUM)" when ERRNUM is not 0.  Always returns -1. */
int vj_error(vmjail_error **err, enum vmjail_error_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prefix the message of an existing error with context ("context: message").  Returns -1. */
int vj_error_wrap(vmjail_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
