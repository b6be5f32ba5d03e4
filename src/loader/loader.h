/* loader.h: finding a program and loading it into a fresh guest: ELF segments, brk, the initial
 * stack and aux vector. */
#ifndef VJ_LOADER_H
#define VJ_LOADER_H

#include <stdint.h>

#include "monitor/proc.h"

/* Resolve NAME as execvp does (a name with a slash as is, else each directory of the PATH in
 * ENVP) to a regular file we may execute; *OUT is malloc'd.  Errors: VMJAIL_ERR_NOTFOUND,
 * VMJAIL_ERR_NOEXEC. */
int vj_find_program(const char *name, char *const envp[], char **out, vmjail_error **err);

/* A program checked and opened (with its interpreter), not loaded yet. */
struct vj_program;

/* Open and check the program PATH and its ELF interpreter for a guest of MEM_SIZE bytes:
 * every error a program can cause happens here, before anything of the guest changes (so
 * that execve can still fail back to its caller). */
int vj_program_prepare(const char *path, uint64_t mem_size, struct vj_program **out,
                       vmjail_error **err);
/* The same for a program already open for reading as FD (the program owns it from here on,
 * failure or not); PATH names it (AT_EXECFN, messages). */
int vj_program_prepare_fd(int fd, const char *path, uint64_t mem_size, struct vj_program **out,
                          vmjail_error **err);
/* Map the prepared program, its interpreter and the stack into P's (empty) address space and
 * build the stack from ARGV and ENVP; sets *ENTRY and *SP. */
int vj_program_load(struct vj_proc *p, struct vj_program *pg, char *const argv[],
                    char *const envp[], uint64_t *entry, uint64_t *sp, vmjail_error **err);
void vj_program_free(struct vj_program *pg);
/* The descriptors a prepared program holds open (-1 if none): the program and its
 * interpreter. */
void vj_program_fds(const struct vj_program *pg, int fds[2]);

/* Prepare and load in one step: the ELF program PATH into P's guest memory, its stack built
 * from ARGV and ENVP.  Sets *ENTRY and *SP, and P's brk, stack and mmap areas. */
int vj_load_program(struct vj_proc *p, const char *path, char *const argv[], char *const envp[],
                    uint64_t *entry, uint64_t *sp, vmjail_error **err);

#endif
