/* loader.h: finding a program and loading it into a fresh guest: ELF segments, brk, the initial
 * stack and aux vector. */
#ifndef VJ_LOADER_H
#define VJ_LOADER_H

#include <stdint.h>

#include "proc.h"

/* Resolve NAME as execvp does (a name with a slash as is, else each directory of the PATH in
 * ENVP) to a regular file we may execute; *OUT is malloc'd.  Errors: VMJAIL_ERR_NOTFOUND,
 * VMJAIL_ERR_NOEXEC. */
int vj_find_program(const char *name, char *const envp[], char **out, vmjail_error **err);

/* Load the static ELF program PATH into P's guest memory and build its stack from ARGV and
 * ENVP.  Sets *ENTRY and *SP, and P's brk, stack and mmap areas. */
int vj_load_program(struct vj_proc *p, const char *path, char *const argv[], char *const envp[],
                    uint64_t *entry, uint64_t *sp, vmjail_error **err);

#endif
