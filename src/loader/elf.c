/* elf.c: parsing and validation of x86-64 ELF executables. */
#include "loader/elf.h"

#include <inttypes.h>
#include <linux/elf.h> /* the kernel's ELF types */
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/error.h"

#define ELF_PAGE 4096ULL
#define ELF_INTERP_MAX 4096 /* PATH_MAX, terminating NUL included */

static int noexec(vmjail_error **err, const char *msg)
{
    return vj_error(err, VMJAIL_ERR_NOEXEC, 0, "%s", msg);
}

static uint64_t page_down(uint64_t x)
{
    return x & ~(ELF_PAGE - 1);
}

/* Round X up to a page boundary; false if that overflows. */
static bool page_up(uint64_t x, uint64_t *out)
{
    if (__builtin_add_overflow(x, ELF_PAGE - 1, out))
        return false;
    *out = page_down(*out);
    return true;
}

/* True if [off, off + size) lies within a file of FILE_SIZE bytes. */
static bool within_file(uint64_t off, uint64_t size, uint64_t file_size)
{
    uint64_t end;
    return !__builtin_add_overflow(off, size, &end) && end <= file_size;
}

static int prot_from_flags(uint32_t flags)
{
    int prot = 0;
    if (flags & PF_R)
        prot |= PROT_READ;
    if (flags & PF_W)
        prot |= PROT_WRITE;
    if (flags & PF_X)
        prot |= PROT_EXEC;
    return prot;
}

static int check_ident(const unsigned char *ident, vmjail_error **err)
{
    if (ident[EI_CLASS] != ELFCLASS64)
        return noexec(err, "not a 64-bit ELF file");
    if (ident[EI_DATA] != ELFDATA2LSB)
        return noexec(err, "not a little-endian ELF file");
    if (ident[EI_VERSION] != EV_CURRENT)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0, "unsupported ELF version %u",
                        (unsigned)ident[EI_VERSION]);
    return 0;
}

int vj_elf_parse_header(const void *buf, size_t len, uint64_t file_size,
                        struct vj_elf_info *info, vmjail_error **err)
{
    Elf64_Ehdr eh;

    memset(info, 0, sizeof *info);
    if (buf == NULL || len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return noexec(err, "not an ELF file");
    if (len < sizeof eh || file_size < sizeof eh)
        return noexec(err, "corrupt ELF: truncated header");
    memcpy(&eh, buf, sizeof eh);

    if (check_ident(eh.e_ident, err) < 0)
        return -1;
    if (eh.e_version != EV_CURRENT)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0, "unsupported ELF version %" PRIu32,
                        eh.e_version);
    if (eh.e_machine != EM_X86_64)
        return noexec(err, "not an x86-64 program");
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0, "not an executable (ELF type %u)",
                        (unsigned)eh.e_type);
    if (eh.e_phentsize != sizeof(Elf64_Phdr))
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: program header size %u, expected %zu",
                        (unsigned)eh.e_phentsize, sizeof(Elf64_Phdr));
    if (eh.e_phnum == 0)
        return noexec(err, "corrupt ELF: no program headers");
    if (eh.e_phnum > 65536 / sizeof(Elf64_Phdr))
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0, "corrupt ELF: too many program headers (%u)",
                        (unsigned)eh.e_phnum);
    if (!within_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), file_size))
        return noexec(err, "corrupt ELF: program headers extend past end of file");

    info->type = eh.e_type;
    info->entry = eh.e_entry;
    info->phoff = eh.e_phoff;
    info->phnum = eh.e_phnum;
    info->file_size = file_size;
    return 0;
}

/* Check one PT_LOAD (program header number IDX) and append it to INFO->loads. */
static int add_load(const Elf64_Phdr *ph, size_t idx, struct vj_elf_info *info,
                    vmjail_error **err)
{
    uint64_t end;

    if (ph->p_filesz > ph->p_memsz)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: segment %zu file size exceeds memory size", idx);
    if (ph->p_memsz == 0)
        return 0; /* maps nothing */
    if (!within_file(ph->p_offset, ph->p_filesz, info->file_size))
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: segment %zu extends past end of file", idx);
    if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end) || end > VJ_ELF_USER_LIMIT)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: segment %zu lies outside the user address space", idx);
    if ((ph->p_vaddr - ph->p_offset) % ELF_PAGE != 0)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: segment %zu address and file offset are not page aligned "
                        "alike", idx);
    if (info->nloads > 0) {
        const struct vj_elf_load *prev = &info->loads[info->nloads - 1];
        if (ph->p_vaddr < prev->vaddr + prev->memsz)
            return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                            "corrupt ELF: segment %zu overlaps or precedes the previous one",
                            idx);
    }
    if (info->nloads == VJ_ELF_MAX_LOADS)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: too many loadable segments (more than %d)",
                        VJ_ELF_MAX_LOADS);

    struct vj_elf_load *l = &info->loads[info->nloads++];
    l->vaddr = ph->p_vaddr;
    l->memsz = ph->p_memsz;
    l->offset = ph->p_offset;
    l->filesz = ph->p_filesz;
    l->prot = prot_from_flags(ph->p_flags);
    return 0;
}

static int add_interp(const Elf64_Phdr *ph, struct vj_elf_info *info, vmjail_error **err)
{
    if (info->has_interp)
        return noexec(err, "corrupt ELF: more than one interpreter");
    if (ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: interpreter path length %" PRIu64 " is invalid",
                        (uint64_t)ph->p_filesz);
    if (!within_file(ph->p_offset, ph->p_filesz, info->file_size))
        return noexec(err, "corrupt ELF: interpreter path extends past end of file");
    info->has_interp = 1;
    info->interp_offset = ph->p_offset;
    info->interp_size = ph->p_filesz;
    return 0;
}

/* Where the program header table is in memory, if a PT_LOAD maps it from the file; 0 if not. */
static uint64_t phdrs_in_loads(const struct vj_elf_info *info)
{
    uint64_t table_size = (uint64_t)info->phnum * sizeof(Elf64_Phdr);
    uint64_t table_end;

    if (__builtin_add_overflow(info->phoff, table_size, &table_end))
        return 0;
    for (size_t i = 0; i < info->nloads; i++) {
        const struct vj_elf_load *l = &info->loads[i];
        /* offset + filesz cannot overflow: add_load checked it against the file size. */
        if (l->offset <= info->phoff && table_end <= l->offset + l->filesz)
            return l->vaddr + (info->phoff - l->offset);
    }
    return 0;
}

/* Compute lo and hi from the (ascending, non-overlapping) loads. */
static int compute_span(struct vj_elf_info *info, vmjail_error **err)
{
    if (info->nloads == 0)
        return noexec(err, "corrupt ELF: no loadable segments");
    const struct vj_elf_load *first = &info->loads[0];
    const struct vj_elf_load *last = &info->loads[info->nloads - 1];
    info->lo = page_down(first->vaddr);
    /* vaddr + memsz <= VJ_ELF_USER_LIMIT was checked, but stay overflow-safe. */
    if (!page_up(last->vaddr + last->memsz, &info->hi))
        return noexec(err, "corrupt ELF: segments lie outside the user address space");
    return 0;
}

static void reset_phdr_fields(struct vj_elf_info *info)
{
    info->nloads = 0;
    memset(info->loads, 0, sizeof info->loads);
    info->lo = info->hi = 0;
    info->phdr_vaddr = 0;
    info->has_interp = 0;
    info->interp_offset = info->interp_size = 0;
    info->exec_stack = 0;
}

int vj_elf_parse_phdrs(const void *phdrs, size_t len, struct vj_elf_info *info,
                       vmjail_error **err)
{
    const unsigned char *p = phdrs;
    bool have_phdr = false;
    uint64_t phdr_vaddr = 0;

    reset_phdr_fields(info);
    if (info->phnum == 0 || info->phnum > 65536 / sizeof(Elf64_Phdr))
        return noexec(err, "corrupt ELF: invalid program header count");
    if (p == NULL || len != (size_t)info->phnum * sizeof(Elf64_Phdr))
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0,
                        "corrupt ELF: program header table has %zu bytes, expected %zu", len,
                        (size_t)info->phnum * sizeof(Elf64_Phdr));

    for (size_t i = 0; i < info->phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, p + i * sizeof ph, sizeof ph);
        switch (ph.p_type) {
        case PT_LOAD:
            if (add_load(&ph, i, info, err) < 0)
                return -1;
            break;
        case PT_INTERP:
            if (add_interp(&ph, info, err) < 0)
                return -1;
            break;
        case PT_PHDR:
            if (!have_phdr) {
                have_phdr = true;
                phdr_vaddr = ph.p_vaddr;
            }
            break;
        case PT_GNU_STACK:
            info->exec_stack = (ph.p_flags & PF_X) != 0;
            break;
        default:
            break;
        }
    }

    if (compute_span(info, err) < 0)
        return -1;
    info->phdr_vaddr = have_phdr ? phdr_vaddr : phdrs_in_loads(info);
    if (info->entry < info->lo || info->entry >= info->hi)
        return noexec(err, "corrupt ELF: entry point outside the loaded segments");
    return 0;
}
