/* elf.h: parsing and validation of x86-64 ELF executables (pure: no I/O, no guest memory).
 *
 * The loader reads the 64-byte ELF header and calls vj_elf_parse_header(), then reads the
 * program header table (info->phoff, info->phnum * sizeof(Elf64_Phdr) bytes) and calls
 * vj_elf_parse_phdrs().  Every field is checked against the file size with overflow-safe
 * arithmetic; anything a kernel would refuse, or that would make the load unsafe, is an
 * error of kind VMJAIL_ERR_NOEXEC with a message naming what is wrong. */
#ifndef VJ_ELF_H
#define VJ_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "vmjail.h"

#define VJ_ELF_MAX_LOADS 16        /* PT_LOAD segments accepted */
#define VJ_ELF_USER_LIMIT (1ULL << 47) /* no segment may reach past the user address space */

struct vj_elf_load {
    uint64_t vaddr;  /* p_vaddr (before any load bias) */
    uint64_t memsz;  /* p_memsz */
    uint64_t offset; /* p_offset */
    uint64_t filesz; /* p_filesz */
    int prot;        /* PROT_READ/PROT_WRITE/PROT_EXEC from p_flags */
};

struct vj_elf_info {
    int type;          /* ET_EXEC or ET_DYN */
    uint64_t entry;    /* e_entry (before any load bias) */
    uint64_t phoff;    /* e_phoff */
    uint16_t phnum;    /* e_phnum */
    uint64_t file_size;
    /* Filled by vj_elf_parse_phdrs(): */
    size_t nloads;
    struct vj_elf_load loads[VJ_ELF_MAX_LOADS]; /* in file order, ascending vaddr */
    uint64_t lo, hi;         /* page-aligned span covering every PT_LOAD (lo <= vaddrs < hi) */
    uint64_t phdr_vaddr;     /* where the program headers are in memory (PT_PHDR, or the
                                PT_LOAD containing phoff), 0 if they are not loaded */
    int has_interp;          /* a PT_INTERP is present (a dynamically linked program) */
    uint64_t interp_offset;  /* PT_INTERP p_offset and p_filesz, checked against the file */
    uint64_t interp_size;
    int exec_stack;          /* PT_GNU_STACK asks for an executable stack */
};

/* Check the ELF header in BUF (LEN bytes read from the start of a file of FILE_SIZE bytes)
 * and fill the header fields of INFO. */
int vj_elf_parse_header(const void *buf, size_t len, uint64_t file_size,
                        struct vj_elf_info *info, vmjail_error **err);

/* Check the program header table PHDRS (LEN bytes read at info->phoff) and fill the rest of
 * INFO.  Requires a successful vj_elf_parse_header() on INFO. */
int vj_elf_parse_phdrs(const void *phdrs, size_t len, struct vj_elf_info *info,
                       vmjail_error **err);

#endif
