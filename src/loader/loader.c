/* loader.c: finds the program, checks it, maps its ELF segments into guest memory and builds
 * the initial stack. */
#include "loader/loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "loader/elf.h"
#include "loader/stack.h"
#include "monitor/mm.h"
#include "vmjail_abi.h"

#define PAGE_MASK (VJ_PAGE_SIZE - 1)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PIE_BASE 0x400000ULL /* where a position-independent program is loaded */
#define STACK_MAX (8ULL << 20)

static int not_executable(vmjail_error **err, const char *path, int errnum, const char *why)
{
    if (why)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0, "%s: %s", path, why);
    return vj_error(err, errnum == ENOENT ? VMJAIL_ERR_NOTFOUND : VMJAIL_ERR_NOEXEC, errnum,
                    "%s", path);
}

/* Check that PATH names a regular file we may execute; 0 or a negative errno. */
static int check_executable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
        return -EACCES;
    return 0;
}

int vj_find_program(const char *name, char *const envp[], char **out, vmjail_error **err)
{
    if (name[0] == '\0')
        return vj_error(err, VMJAIL_ERR_NOTFOUND, ENOENT, "''");
    if (strchr(name, '/')) {
        int r = check_executable(name);
        if (r == -EISDIR)
            return not_executable(err, name, 0, "is a directory");
        if (r < 0)
            return not_executable(err, name, -r, NULL);
        *out = strdup(name);
        return *out ? 0 : vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "%s", name);
    }
    const char *path = DEFAULT_PATH;
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], "PATH=", 5) == 0)
            path = envp[i] + 5;
    int denied = 0;
    size_t nlen = strlen(name);
    for (const char *d = path;; d++) {
        const char *end = strchrnul(d, ':');
        size_t dlen = (size_t)(end - d);
        char *cand = malloc(dlen + nlen + 3);
        if (cand == NULL)
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "%s", name);
        if (dlen == 0)
            cand[0] = '.', dlen = 1;
        else
            memcpy(cand, d, dlen);
        cand[dlen] = '/';
        memcpy(cand + dlen + 1, name, nlen + 1);
        int r = check_executable(cand);
        if (r == 0) {
            *out = cand;
            return 0;
        }
        free(cand);
        if (r == -EACCES)
            denied = 1;
        if (*end == '\0')
            break;
        d = end;
    }
    if (denied)
        return not_executable(err, name, EACCES, NULL);
    return vj_error(err, VMJAIL_ERR_NOTFOUND, 0, "%s: command not found", name);
}

static int read_exact(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

/* Read and check the ELF headers of the open program FD. */
static int read_elf(int fd, const char *path, struct vj_elf_info *info, vmjail_error **err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vj_error(err, VMJAIL_ERR_NOEXEC, errno, "%s", path);
    uint8_t hdr[sizeof(Elf64_Ehdr)];
    size_t have = st.st_size < (off_t)sizeof hdr ? (size_t)st.st_size : sizeof hdr;
    if (read_exact(fd, hdr, have, 0) < 0)
        return vj_error(err, VMJAIL_ERR_NOEXEC, errno, "%s: read", path);
    if (vj_elf_parse_header(hdr, have, (uint64_t)st.st_size, info, err) < 0)
        return vj_error_wrap(err, "%s", path);
    size_t len = (size_t)info->phnum * sizeof(Elf64_Phdr);
    void *ph = malloc(len);
    if (ph == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "%s", path);
    int r = read_exact(fd, ph, len, info->phoff);
    if (r < 0)
        vj_error(err, VMJAIL_ERR_NOEXEC, errno, "%s: read program headers", path);
    else if ((r = vj_elf_parse_phdrs(ph, len, info, err)) < 0)
        vj_error_wrap(err, "%s", path);
    free(ph);
    return r;
}

static int map_segment(struct vj_proc *p, int fd, const struct vj_elf_load *l, uint64_t bias,
                       const char *path, vmjail_error **err)
{
    uint64_t vaddr = l->vaddr + bias;
    uint64_t start = vaddr & ~(uint64_t)PAGE_MASK;
    uint64_t file_end = (vaddr + l->filesz + PAGE_MASK) & ~(uint64_t)PAGE_MASK;
    uint64_t end = (vaddr + l->memsz + PAGE_MASK) & ~(uint64_t)PAGE_MASK;
    int64_t r = 0;
    if (l->filesz > 0) {
        /* Writable while the tail of the last file page is zeroed. */
        r = vj_mm_mmap(p, start, file_end - start, l->prot | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                       fd, l->offset & ~(uint64_t)PAGE_MASK);
        if (r >= 0 && (vaddr + l->filesz) & PAGE_MASK)
            memset(p->mem + vaddr + l->filesz, 0, file_end - (vaddr + l->filesz));
        if (r >= 0)
            r = vj_mm_mprotect(p, start, file_end - start, l->prot);
    } else {
        file_end = start;
    }
    if (r >= 0 && end > file_end)
        r = vj_mm_map_fixed(p, file_end, end - file_end, l->prot, VJ_VMA_IMAGE);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, (int)-r, "%s: map segment at %#llx", path,
                        (unsigned long long)vaddr);
    return 0;
}

static uint64_t stack_size(uint64_t mem_size)
{
    struct rlimit rl;
    uint64_t s = STACK_MAX;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < s)
        s = rl.rlim_cur;
    if (s > mem_size / 8)
        s = mem_size / 8;
    if (s < 128 * 1024)
        s = 128 * 1024;
    return (s + PAGE_MASK) & ~(uint64_t)PAGE_MASK;
}

/* Map the stack at the top of guest memory; mmap places ranges below it. */
static int map_stack(struct vj_proc *p, vmjail_error **err)
{
    uint64_t size = stack_size(p->mem_size);
    p->stack_hi = p->mem_size;
    p->stack_lo = p->stack_hi - size;
    p->mmap_top = p->stack_lo - VJ_HUGE_PAGE_SIZE;
    int r = vj_mm_map_fixed(p, p->stack_lo, size, PROT_READ | PROT_WRITE, VJ_VMA_STACK);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, -r, "map the stack");
    return 0;
}

/* A program or interpreter being loaded. */
struct image {
    const char *path;
    int fd;
    struct vj_elf_info info;
    uint64_t bias; /* load address minus link address */
};

static int build_stack(struct vj_proc *p, const char *execfn, char *const argv[],
                       char *const envp[], const struct image *prog, uint64_t interp_base,
                       uint64_t *sp, vmjail_error **err)
{
    const struct vj_elf_info *info = &prog->info;
    uint64_t bias = prog->bias;
    struct vj_auxv auxv[] = {
        {AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) ? getauxval(AT_MINSIGSTKSZ) : 2048},
        {AT_HWCAP, getauxval(AT_HWCAP)},
        {AT_PAGESZ, VJ_PAGE_SIZE},
        {AT_CLKTCK, (uint64_t)sysconf(_SC_CLK_TCK)},
        {AT_PHDR, info->phdr_vaddr ? info->phdr_vaddr + bias : info->lo + bias + info->phoff},
        {AT_PHENT, sizeof(Elf64_Phdr)},
        {AT_PHNUM, info->phnum},
        {AT_BASE, interp_base},
        {AT_FLAGS, 0},
        {AT_ENTRY, info->entry + bias},
        {AT_UID, getuid()},
        {AT_EUID, geteuid()},
        {AT_GID, getgid()},
        {AT_EGID, getegid()},
        {AT_SECURE, 0},
        {AT_HWCAP2, 0},
        {vj_vm_vdso(p->vm) ? AT_SYSINFO_EHDR : AT_IGNORE, vj_vm_vdso(p->vm)},
    };
    struct vj_stack_input in = {.argv = argv, .envp = envp, .execfn = execfn,
                                .platform = "x86_64", .auxv = auxv,
                                .nauxv = sizeof auxv / sizeof *auxv};
    if (getrandom(in.random, sizeof in.random, 0) != sizeof in.random)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "getrandom");

    /* Arguments and environment may use up to a quarter of the stack, as on Linux. */
    uint64_t size = p->stack_hi - p->stack_lo;
    size_t room = size / 4 > 32 * VJ_PAGE_SIZE ? size / 4 : 32 * VJ_PAGE_SIZE;
    uint8_t *buf = malloc(room);
    if (buf == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "build the stack");
    struct vj_stack_layout lay;
    int r = vj_stack_build(buf, room, p->stack_hi, &in, &lay);
    if (r == 0) {
        uint64_t used = p->stack_hi - lay.sp;
        memcpy(p->mem + lay.sp, buf + room - used, used);
        *sp = lay.sp;
        p->auxv_gva = lay.auxv;
        p->auxv_len = lay.auxv_len;
    }
    free(buf);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_NOEXEC, -r, "arguments and environment");
    return 0;
}

/* The image PATH, open as FD (-1: open PATH). */
static int open_image(struct image *im, const char *path, int fd, vmjail_error **err)
{
    im->path = path;
    im->fd = fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
    if (im->fd < 0)
        return not_executable(err, path, errno, NULL);
    return read_elf(im->fd, path, &im->info, err);
}

static int map_image(struct vj_proc *p, const struct image *im, vmjail_error **err)
{
    for (size_t i = 0; i < im->info.nloads; i++)
        if (map_segment(p, im->fd, &im->info.loads[i], im->bias, im->path, err) < 0)
            return -1;
    return 0;
}

/* Read the interpreter path a program's PT_INTERP names into BUF (PATH_MAX bytes). */
static int read_interp(const struct image *prog, char *buf, vmjail_error **err)
{
    uint64_t n = prog->info.interp_size;
    if (n < 2 || n > PATH_MAX || read_exact(prog->fd, buf, n, prog->info.interp_offset) < 0 ||
        buf[n - 1] != '\0' || strlen(buf) != n - 1)
        return vj_error(err, VMJAIL_ERR_NOEXEC, 0, "%s: corrupt ELF: bad interpreter path",
                        prog->path);
    return 0;
}

struct vj_program {
    char *path;
    struct image prog, interp;
    char interp_path[PATH_MAX];
};

void vj_program_free(struct vj_program *pg)
{
    if (pg == NULL)
        return;
    if (pg->prog.fd >= 0)
        close(pg->prog.fd);
    if (pg->interp.fd >= 0)
        close(pg->interp.fd);
    free(pg->path);
    free(pg);
}

void vj_program_fds(const struct vj_program *pg, int fds[2])
{
    fds[0] = pg->prog.fd;
    fds[1] = pg->interp.fd;
}

int vj_program_prepare(const char *path, uint64_t mem_size, struct vj_program **out,
                       vmjail_error **err)
{
    return vj_program_prepare_fd(-1, path, mem_size, out, err);
}

int vj_program_prepare_fd(int fd, const char *path, uint64_t mem_size, struct vj_program **out,
                          vmjail_error **err)
{
    struct vj_program *pg = calloc(1, sizeof *pg);
    if (pg == NULL || (pg->path = strdup(path)) == NULL) {
        free(pg);
        if (fd >= 0)
            close(fd);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "%s", path);
    }
    pg->prog.fd = pg->interp.fd = -1;
    struct image *prog = &pg->prog, *interp = &pg->interp;
    int r = open_image(prog, pg->path, fd, err);
    if (r == 0 && prog->info.has_interp && (r = read_interp(prog, pg->interp_path, err)) == 0) {
        r = open_image(interp, pg->interp_path, -1, err);
        if (r == 0 && (interp->info.type != ET_DYN || interp->info.has_interp))
            r = vj_error(err, VMJAIL_ERR_NOEXEC, 0, "%s: bad ELF interpreter %s", path,
                         pg->interp_path);
        if (r < 0)
            vj_error_wrap(err, "%s: interpreter", path);
    }
    /* The program at its link address, or a position-independent one low in memory. */
    prog->bias = prog->info.type == ET_DYN ? PIE_BASE - prog->info.lo : 0;
    if (r == 0 && (prog->info.lo + prog->bias < VJ_GUEST_MIN ||
                   prog->info.hi + prog->bias > mem_size / 2))
        r = vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                     "%s: loads at [%#llx, %#llx), outside guest memory (see --memory)", path,
                     (unsigned long long)(prog->info.lo + prog->bias),
                     (unsigned long long)(prog->info.hi + prog->bias));
    if (r < 0) {
        vj_program_free(pg);
        return -1;
    }
    *out = pg;
    return 0;
}

int vj_program_load(struct vj_proc *p, struct vj_program *pg, char *const argv[],
                    char *const envp[], uint64_t *entry, uint64_t *sp, vmjail_error **err)
{
    struct image *prog = &pg->prog, *interp = &pg->interp;
    if (map_stack(p, err) < 0 || map_image(p, prog, err) < 0)
        return -1;
    /* The interpreter below the stack, where a kernel would put it. */
    uint64_t interp_base = 0;
    if (interp->fd >= 0) {
        uint64_t span = interp->info.hi - interp->info.lo;
        uint64_t at = vj_vmas_find_free_topdown(&p->vmas, span, VJ_GUEST_MIN, p->mmap_top,
                                                VJ_PAGE_SIZE);
        if (at == 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "%s: no room for the interpreter",
                            pg->path);
        interp->bias = at - interp->info.lo;
        interp_base = interp->bias;
        if (map_image(p, interp, err) < 0)
            return -1;
    }
    p->brk_start = p->brk_cur = prog->info.hi + prog->bias;
    p->image_lo = prog->info.lo + prog->bias;
    p->image_hi = prog->info.hi + prog->bias;
    free(p->interp);
    p->interp = NULL;
    if (interp->fd >= 0) {
        p->interp_lo = interp->info.lo + interp->bias;
        p->interp_hi = interp->info.hi + interp->bias;
        p->interp = realpath(pg->interp_path, NULL);
    }
    *entry = interp->fd >= 0 ? interp->info.entry + interp->bias : prog->info.entry + prog->bias;
    return build_stack(p, pg->path, argv, envp, prog, interp_base, sp, err);
}

int vj_load_program(struct vj_proc *p, const char *path, char *const argv[], char *const envp[],
                    uint64_t *entry, uint64_t *sp, vmjail_error **err)
{
    struct vj_program *pg;
    if (vj_program_prepare(path, p->mem_size, &pg, err) < 0)
        return -1;
    int r = vj_program_load(p, pg, argv, envp, entry, sp, err);
    vj_program_free(pg);
    return r;
}
