/* test_elf.c: unit tests of ELF parsing and validation (src/loader/elf.c). */
#include <fcntl.h>
#include <linux/elf.h> /* the kernel's ELF types */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/elf.h"
#include "tap.h"

#define IMG_MAX 0x4000
#define PHSZ sizeof(Elf64_Phdr)
#define INTERP "/lib64/ld-linux-x86-64.so.2"

/* An ELF image under construction: header and program headers kept apart from the bytes so
 * tests can tweak fields, then serialized by img_bytes(). */
struct img {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[40];
    size_t nph;
    uint64_t size; /* the file size reported to the parser */
    unsigned char data[IMG_MAX];
};

static Elf64_Phdr *add_ph(struct img *im, uint32_t type, uint32_t flags, uint64_t offset,
                          uint64_t vaddr, uint64_t filesz, uint64_t memsz)
{
    Elf64_Phdr *ph = &im->ph[im->nph++];
    *ph = (Elf64_Phdr){.p_type = type, .p_flags = flags, .p_offset = offset,
                       .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
                       .p_memsz = memsz, .p_align = 0x1000};
    im->eh.e_phnum = (Elf64_Half)im->nph;
    return ph;
}

static void img_init(struct img *im, uint16_t type, uint64_t entry, uint64_t size)
{
    memset(im, 0, sizeof *im);
    memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im->eh.e_ident[EI_VERSION] = EV_CURRENT;
    im->eh.e_type = type;
    im->eh.e_machine = EM_X86_64;
    im->eh.e_version = EV_CURRENT;
    im->eh.e_entry = entry;
    im->eh.e_phoff = sizeof(Elf64_Ehdr);
    im->eh.e_ehsize = sizeof(Elf64_Ehdr);
    im->eh.e_phentsize = PHSZ;
    im->size = size;
}

/* A static ET_EXEC: text (R+X, holding the headers) and data+bss (R+W), non-exec stack. */
static void img_static(struct img *im)
{
    img_init(im, ET_EXEC, 0x401000, 0x2000);
    add_ph(im, PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1800, 0x1800);
    add_ph(im, PT_LOAD, PF_R | PF_W, 0x1800, 0x402800, 0x100, 0x3000);
    add_ph(im, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
}

/* A static PIE (ET_DYN linked at 0) with PT_PHDR. */
static void img_pie(struct img *im)
{
    img_init(im, ET_DYN, 0x1040, 0x2000);
    add_ph(im, PT_PHDR, PF_R, 64, 64, 5 * PHSZ, 5 * PHSZ);
    add_ph(im, PT_LOAD, PF_R, 0, 0, 0x800, 0x800);
    add_ph(im, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x500, 0x500);
    add_ph(im, PT_LOAD, PF_R | PF_W, 0x1800, 0x2800, 0x200, 0x1000);
    add_ph(im, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
}

/* A dynamically linked PIE: like img_pie with a PT_INTERP at file offset 0x300. */
static void img_dynamic(struct img *im)
{
    img_init(im, ET_DYN, 0x1040, 0x2000);
    add_ph(im, PT_PHDR, PF_R, 64, 64, 6 * PHSZ, 6 * PHSZ);
    add_ph(im, PT_INTERP, PF_R, 0x300, 0x300, sizeof INTERP, sizeof INTERP);
    add_ph(im, PT_LOAD, PF_R, 0, 0, 0x800, 0x800);
    add_ph(im, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x500, 0x500);
    add_ph(im, PT_LOAD, PF_R | PF_W, 0x1800, 0x2800, 0x200, 0x1000);
    add_ph(im, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
    memcpy(im->data + 0x300, INTERP, sizeof INTERP);
}

/* Write the header and the program headers (where they fit) into im->data. */
static void img_bytes(struct img *im)
{
    memcpy(im->data, &im->eh, sizeof im->eh);
    for (size_t i = 0; i < im->nph; i++) {
        uint64_t off = im->eh.e_phoff + i * PHSZ;
        if (im->eh.e_phoff < IMG_MAX && off + PHSZ <= IMG_MAX)
            memcpy(im->data + off, &im->ph[i], PHSZ);
    }
}

/* Copy LEN bytes into a heap block of exactly that size, so the sanitizer catches any read
 * past the end. */
static void *exact_copy(const void *src, size_t len)
{
    void *p = malloc(len ? len : 1);
    if (p == NULL)
        abort();
    if (len)
        memcpy(p, src, len);
    return p;
}

/* Parse BYTES (a file of SIZE bytes, the first AVAIL of which are in memory) as the loader
 * does: the header, then the program header table read at phoff. */
static int parse_bytes(const unsigned char *bytes, size_t avail, uint64_t size,
                       struct vj_elf_info *info, vmjail_error **err)
{
    size_t hlen = avail < sizeof(Elf64_Ehdr) ? avail : sizeof(Elf64_Ehdr);
    if (size < hlen)
        hlen = (size_t)size;
    void *hdr = exact_copy(bytes, hlen);
    int rc = vj_elf_parse_header(hdr, hlen, size, info, err);
    free(hdr);
    if (rc < 0)
        return rc;
    size_t tlen = info->phnum * PHSZ;
    if (info->phoff > avail || tlen > avail - info->phoff) {
        printf("#   test bug: program headers at 0x%llx are not in the buffer\n",
               (unsigned long long)info->phoff);
        return -2;
    }
    void *tab = exact_copy(bytes + info->phoff, tlen);
    rc = vj_elf_parse_phdrs(tab, tlen, info, err);
    free(tab);
    return rc;
}

static int parse_img(struct img *im, struct vj_elf_info *info, vmjail_error **err)
{
    img_bytes(im);
    return parse_bytes(im->data, IMG_MAX, im->size, info, err);
}

/* True if RC/ERR is a NOEXEC failure whose message contains WORD; frees ERR. */
static bool failed_with(int rc, vmjail_error *err, const char *word)
{
    const char *msg = vmjail_error_message(err);
    bool good = rc == -1 && err != NULL && vmjail_error_kind(err) == VMJAIL_ERR_NOEXEC &&
                strstr(msg, word) != NULL;
    if (!good)
        printf("#   rc %d, kind %d, message \"%s\", want a NOEXEC error with \"%s\"\n", rc,
               err ? (int)vmjail_error_kind(err) : 0, err ? msg : "(none)", word);
    vmjail_error_free(err);
    return good;
}

/* Parse IM and check that it fails with a message containing WORD. */
static bool rejects(struct img *im, const char *word)
{
    struct vj_elf_info info;
    vmjail_error *err = NULL;
    int rc = parse_img(im, &info, &err);
    return failed_with(rc, err, word);
}

/* Parse IM and check that it succeeds. */
static bool accepts(struct img *im, struct vj_elf_info *info)
{
    vmjail_error *err = NULL;
    int rc = parse_img(im, info, &err);
    if (rc != 0)
        printf("#   rc %d: %s\n", rc, vmjail_error_message(err));
    vmjail_error_free(err);
    return rc == 0;
}

/* ---- valid images ---------------------------------------------------------------------- */

static void test_valid_static(void)
{
    struct img im;
    struct vj_elf_info info;
    img_static(&im);
    ok(accepts(&im, &info), "static ET_EXEC parses");
    is_int(info.type, ET_EXEC, "type ET_EXEC");
    is_int(info.entry, 0x401000, "entry");
    is_int(info.phoff, 64, "phoff");
    is_int(info.phnum, 3, "phnum");
    is_int(info.file_size, 0x2000, "file size");
    is_int(info.nloads, 2, "two loads");
    is_int(info.lo, 0x400000, "lo");
    is_int(info.hi, 0x406000, "hi rounded up");
    is_int(info.phdr_vaddr, 0x400040, "phdr_vaddr found in the first PT_LOAD");
    is_int(info.loads[0].prot, PROT_READ | PROT_EXEC, "text is R+X");
    is_int(info.loads[1].prot, PROT_READ | PROT_WRITE, "data is R+W");
    ok(info.loads[1].vaddr == 0x402800 && info.loads[1].memsz == 0x3000 &&
           info.loads[1].offset == 0x1800 && info.loads[1].filesz == 0x100,
       "second load fields copied");
    is_int(info.has_interp, 0, "no interpreter");
    is_int(info.exec_stack, 0, "non-executable stack");

    img_static(&im);
    im.ph[2].p_flags |= PF_X;
    ok(accepts(&im, &info) && info.exec_stack == 1, "PT_GNU_STACK with PF_X sets exec_stack");

    img_static(&im);
    im.nph = 2;
    im.eh.e_phnum = 2;
    ok(accepts(&im, &info) && info.exec_stack == 0, "no PT_GNU_STACK: non-executable stack");

    img_static(&im);
    im.ph[0].p_flags = 0;
    ok(accepts(&im, &info) && info.loads[0].prot == PROT_NONE, "no flags: PROT_NONE");

    img_static(&im);
    im.ph[1].p_vaddr = 0x401800; /* starts exactly where the text ends, in the same page */
    ok(accepts(&im, &info) && info.hi == 0x405000, "segments sharing a page are accepted");

    img_static(&im);
    im.eh.e_phoff = 0x1c00; /* after the end of the text's file part, not in any load */
    ok(accepts(&im, &info) && info.phdr_vaddr == 0, "table outside every load: phdr_vaddr 0");
    img_static(&im);
    im.eh.e_phoff = 0x1c00;
    im.ph[1].p_filesz = 0x500; /* now the data segment covers it */
    ok(accepts(&im, &info) && info.phdr_vaddr == 0x402c00, "table in the data load");
    img_static(&im);
    im.eh.e_phoff = 0x1800 - 2 * PHSZ; /* straddles the end of the text's file part */
    ok(accepts(&im, &info) && info.phdr_vaddr == 0, "table straddling a load: phdr_vaddr 0");

    img_static(&im);
    add_ph(&im, PT_PHDR, PF_R, 64, 0x400040, 4 * PHSZ, 4 * PHSZ);
    im.ph[3].p_vaddr = 0x400abc;
    ok(accepts(&im, &info) && info.phdr_vaddr == 0x400abc, "PT_PHDR gives phdr_vaddr");

    img_static(&im);
    add_ph(&im, PT_LOAD, PF_R, 0xdeadbeef, 0x123, 0, 0);
    add_ph(&im, PT_NOTE, PF_R, 0x200, 0x400200, 0x20, 0x20);
    ok(accepts(&im, &info) && info.nloads == 2, "PT_LOAD with memsz 0 is skipped");

    img_static(&im);
    im.ph[1].p_vaddr = VJ_ELF_USER_LIMIT - 0x800;
    im.ph[1].p_memsz = 0x800;
    ok(accepts(&im, &info) && info.hi == VJ_ELF_USER_LIMIT,
       "segment ending exactly at the user limit is accepted");

    img_static(&im);
    im.ph[1].p_filesz = 0x800;
    ok(accepts(&im, &info) && info.loads[1].filesz == 0x800,
       "segment ending exactly at the end of the file is accepted");

    img_static(&im);
    im.eh.e_entry = 0x405fff;
    ok(accepts(&im, &info), "entry at the last byte of the span is accepted");

    img_static(&im);
    im.nph = 0;
    for (int i = 0; i < VJ_ELF_MAX_LOADS; i++)
        add_ph(&im, PT_LOAD, PF_R | PF_X, 0, 0x400000 + (uint64_t)i * 0x1000, 0x1000, 0x1000);
    ok(accepts(&im, &info) && info.nloads == VJ_ELF_MAX_LOADS && info.hi == 0x410000,
       "exactly %d loads are accepted", VJ_ELF_MAX_LOADS);
}

static void test_valid_pie(void)
{
    struct img im;
    struct vj_elf_info info;
    img_pie(&im);
    ok(accepts(&im, &info), "static PIE parses");
    is_int(info.type, ET_DYN, "type ET_DYN");
    is_int(info.nloads, 3, "three loads");
    is_int(info.lo, 0, "lo 0 (unbiased)");
    is_int(info.hi, 0x4000, "hi");
    is_int(info.entry, 0x1040, "entry unbiased");
    is_int(info.phdr_vaddr, 64, "phdr_vaddr from PT_PHDR");
    is_int(info.has_interp, 0, "static PIE has no interpreter");
    is_int(info.loads[0].prot, PROT_READ, "first load read-only");
    is_int(info.loads[1].prot, PROT_READ | PROT_EXEC, "text R+X");
}

static void test_valid_dynamic(void)
{
    struct img im;
    struct vj_elf_info info;
    img_dynamic(&im);
    ok(accepts(&im, &info), "dynamic PIE parses");
    is_int(info.has_interp, 1, "has_interp");
    is_int(info.interp_offset, 0x300, "interp offset");
    is_int(info.interp_size, sizeof INTERP, "interp size includes the NUL");
    is_str((const char *)im.data + info.interp_offset, INTERP, "interp offset points at the path");
    is_int(info.nloads, 3, "three loads");

    img_dynamic(&im);
    im.ph[1].p_filesz = 2;
    ok(accepts(&im, &info) && info.interp_size == 2, "a 2-byte interpreter is accepted");
    img_dynamic(&im);
    im.ph[1].p_filesz = 4096;
    im.ph[1].p_offset = 0x1000;
    ok(accepts(&im, &info) && info.interp_size == 4096, "a 4096-byte interpreter is accepted");
}

/* ---- malformed headers ----------------------------------------------------------------- */

static void test_bad_header(void)
{
    struct img im;
    struct vj_elf_info info;
    vmjail_error *err = NULL;
    int rc;

    rc = vj_elf_parse_header("", 0, 0, &info, &err);
    ok(failed_with(rc, err, "not an ELF file"), "empty buffer: not an ELF file");
    err = NULL;
    rc = vj_elf_parse_header(NULL, 0, 0, &info, &err);
    ok(failed_with(rc, err, "not an ELF file"), "NULL buffer: not an ELF file");
    ok(vj_elf_parse_header("", 0, 0, &info, NULL) == -1, "a NULL error pointer is allowed");

    img_static(&im);
    img_bytes(&im);
    int bad = 0;
    for (size_t n = 0; n < sizeof(Elf64_Ehdr); n++) {
        err = NULL;
        void *p = exact_copy(im.data, n);
        rc = vj_elf_parse_header(p, n, n, &info, &err);
        free(p);
        if (!failed_with(rc, err, n < SELFMAG ? "not an ELF file" : "truncated header")) {
            printf("#   at length %zu\n", n);
            bad++;
        }
    }
    is_int(bad, 0, "every truncated header (0..63 bytes) is rejected");
    err = NULL;
    rc = vj_elf_parse_header(im.data, 64, 63, &info, &err);
    ok(failed_with(rc, err, "truncated header"), "file shorter than a header: truncated header");

    img_static(&im);
    im.eh.e_ident[EI_MAG1] = 'X';
    ok(rejects(&im, "not an ELF file"), "bad magic");
    img_static(&im);
    memcpy(im.eh.e_ident, "#!/b", 4);
    ok(rejects(&im, "not an ELF file"), "a script is not an ELF file");
    img_static(&im);
    im.eh.e_ident[EI_CLASS] = ELFCLASS32;
    ok(rejects(&im, "not a 64-bit ELF file"), "32-bit class");
    img_static(&im);
    im.eh.e_ident[EI_CLASS] = ELFCLASSNONE;
    ok(rejects(&im, "64-bit"), "class none");
    img_static(&im);
    im.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    ok(rejects(&im, "little-endian"), "big-endian");
    img_static(&im);
    im.eh.e_ident[EI_VERSION] = 0;
    ok(rejects(&im, "version"), "EI_VERSION 0");
    img_static(&im);
    im.eh.e_version = 2;
    ok(rejects(&im, "version"), "e_version 2");
    img_static(&im);
    im.eh.e_machine = EM_386;
    ok(rejects(&im, "not an x86-64 program"), "i386 machine");
    img_static(&im);
    im.eh.e_machine = EM_AARCH64;
    ok(rejects(&im, "x86-64"), "aarch64 machine");
    img_static(&im);
    im.eh.e_type = ET_REL;
    ok(rejects(&im, "not an executable (ELF type 1)"), "ET_REL");
    img_static(&im);
    im.eh.e_type = ET_CORE;
    ok(rejects(&im, "not an executable (ELF type 4)"), "ET_CORE");
    img_static(&im);
    im.eh.e_type = ET_NONE;
    ok(rejects(&im, "not an executable"), "ET_NONE");
    img_static(&im);
    im.eh.e_phentsize = 32;
    ok(rejects(&im, "program header size"), "phentsize 32");
    img_static(&im);
    im.eh.e_phentsize = 0;
    ok(rejects(&im, "program header size"), "phentsize 0");
    img_static(&im);
    im.eh.e_phnum = 0;
    ok(rejects(&im, "no program headers"), "phnum 0");
    img_static(&im);
    im.eh.e_phnum = 65536 / PHSZ + 1;
    ok(rejects(&im, "too many program headers"), "phnum 1171");
    img_static(&im);
    im.eh.e_phnum = 0xffff;
    ok(rejects(&im, "too many program headers"), "phnum 0xffff (PN_XNUM)");
    img_static(&im);
    im.eh.e_phoff = im.size;
    ok(rejects(&im, "program headers extend past end of file"), "phoff at EOF");
    img_static(&im);
    im.eh.e_phoff = im.size - 3 * PHSZ + 1;
    ok(rejects(&im, "past end of file"), "table one byte past EOF");
    img_static(&im);
    im.eh.e_phoff = UINT64_MAX - 10;
    ok(rejects(&im, "past end of file"), "phoff + table size overflows");
    img_static(&im);
    im.eh.e_phoff = 1ULL << 63;
    ok(rejects(&im, "past end of file"), "phoff 2^63");
}

/* ---- malformed program headers ---------------------------------------------------------- */

static void test_bad_phdrs(void)
{
    struct img im;
    struct vj_elf_info info;
    vmjail_error *err = NULL;
    int rc;

    img_static(&im);
    img_bytes(&im);
    ok(vj_elf_parse_header(im.data, 64, im.size, &info, &err) == 0, "header for len checks");
    err = NULL;
    rc = vj_elf_parse_phdrs(im.data + 64, 2 * PHSZ, &info, &err);
    ok(failed_with(rc, err, "program header table"), "short table length");
    err = NULL;
    rc = vj_elf_parse_phdrs(im.data + 64, 4 * PHSZ, &info, &err);
    ok(failed_with(rc, err, "program header table"), "long table length");
    err = NULL;
    rc = vj_elf_parse_phdrs(NULL, 3 * PHSZ, &info, &err);
    ok(failed_with(rc, err, "program header"), "NULL table");
    struct vj_elf_info zero = {0};
    err = NULL;
    rc = vj_elf_parse_phdrs(im.data, 0, &zero, &err);
    ok(failed_with(rc, err, "program header"), "info without a parsed header");

    img_static(&im);
    im.ph[1].p_filesz = 0x3001;
    struct vj_elf_info info2;
    err = NULL;
    rc = parse_img(&im, &info2, &err);
    is_str(err ? vmjail_error_message(err) : NULL,
           "corrupt ELF: segment 1 file size exceeds memory size", "filesz > memsz message");
    ok(failed_with(rc, err, "exceeds memory size"), "filesz > memsz");

    img_static(&im);
    im.ph[1].p_filesz = 0x801;
    ok(rejects(&im, "segment 1 extends past end of file"), "offset + filesz past EOF");
    img_static(&im);
    im.ph[0].p_offset = 0x1000;
    ok(rejects(&im, "segment 0 extends past end of file"), "offset + filesz past EOF (text)");
    img_static(&im);
    im.ph[1].p_offset = UINT64_MAX - 0x7ff;
    ok(rejects(&im, "past end of file"), "offset + filesz overflows");
    img_static(&im);
    im.ph[1].p_vaddr = UINT64_MAX - 0x7ff;
    ok(rejects(&im, "outside the user address space"), "vaddr + memsz overflows");
    img_static(&im);
    im.ph[1].p_memsz = UINT64_MAX;
    ok(rejects(&im, "outside the user address space"), "memsz UINT64_MAX");
    img_static(&im);
    im.ph[1].p_vaddr = VJ_ELF_USER_LIMIT + 0x800;
    ok(rejects(&im, "outside the user address space"), "vaddr beyond 2^47");
    img_static(&im);
    im.ph[1].p_vaddr = VJ_ELF_USER_LIMIT - 0x800;
    ok(rejects(&im, "outside the user address space"), "vaddr + memsz beyond 2^47");
    img_static(&im);
    im.ph[1].p_vaddr = VJ_ELF_USER_LIMIT - 0x800;
    im.ph[1].p_memsz = 0x801;
    ok(rejects(&im, "outside the user address space"), "segment ending one byte past 2^47");
    img_static(&im);
    im.ph[1].p_vaddr = 0x402900;
    ok(rejects(&im, "page aligned"), "vaddr and offset not congruent");
    img_static(&im);
    im.ph[1].p_offset = 0x1801;
    ok(rejects(&im, "page aligned"), "offset misaligned");
    img_static(&im);
    im.ph[1].p_vaddr = 0x400800;
    ok(rejects(&im, "overlaps"), "overlapping loads");
    img_static(&im);
    im.ph[0].p_memsz = 0x2801; /* the text's zero fill reaches the data */
    ok(rejects(&im, "segment 1 overlaps"), "previous load's memory size reaches the next");
    img_static(&im);
    Elf64_Phdr t = im.ph[0];
    im.ph[0] = im.ph[1];
    im.ph[1] = t;
    ok(rejects(&im, "segment 1 overlaps or precedes"), "descending loads");
    img_static(&im);
    im.ph[1] = im.ph[0];
    ok(rejects(&im, "overlaps"), "the same load twice");

    img_static(&im);
    im.nph = 0;
    for (int i = 0; i <= VJ_ELF_MAX_LOADS; i++)
        add_ph(&im, PT_LOAD, PF_R, 0, 0x400000 + (uint64_t)i * 0x1000, 0x1000, 0x1000);
    ok(rejects(&im, "too many loadable segments"), "%d loads", VJ_ELF_MAX_LOADS + 1);

    img_static(&im);
    im.ph[0].p_type = PT_NOTE;
    im.ph[1].p_type = PT_NULL;
    ok(rejects(&im, "no loadable segments"), "no PT_LOAD");
    img_static(&im);
    im.ph[0].p_memsz = im.ph[0].p_filesz = 0;
    im.ph[1].p_memsz = im.ph[1].p_filesz = 0;
    ok(rejects(&im, "no loadable segments"), "only empty PT_LOADs");

    img_dynamic(&im);
    add_ph(&im, PT_INTERP, PF_R, 0x300, 0x300, sizeof INTERP, sizeof INTERP);
    ok(rejects(&im, "more than one interpreter"), "two PT_INTERPs");
    img_dynamic(&im);
    im.ph[1].p_filesz = 4097;
    ok(rejects(&im, "interpreter path length 4097"), "PT_INTERP too long");
    img_dynamic(&im);
    im.ph[1].p_filesz = 1;
    ok(rejects(&im, "interpreter path length"), "PT_INTERP too short");
    img_dynamic(&im);
    im.ph[1].p_filesz = 0;
    ok(rejects(&im, "interpreter path length"), "PT_INTERP empty");
    img_dynamic(&im);
    im.ph[1].p_offset = 0x2000 - 10;
    ok(rejects(&im, "interpreter path extends past end of file"), "PT_INTERP past EOF");
    img_dynamic(&im);
    im.ph[1].p_offset = UINT64_MAX - 5;
    ok(rejects(&im, "interpreter"), "PT_INTERP offset overflows");

    img_static(&im);
    im.eh.e_entry = 0x406000;
    ok(rejects(&im, "entry point outside the loaded segments"), "entry at hi");
    img_static(&im);
    im.eh.e_entry = 0x3fffff;
    ok(rejects(&im, "entry point"), "entry below lo");
    img_static(&im);
    im.eh.e_entry = 0;
    ok(rejects(&im, "entry point"), "entry 0");
    img_pie(&im);
    im.eh.e_entry = 0x4000;
    ok(rejects(&im, "entry point"), "PIE entry at hi (unbiased)");
}

/* ---- random corruption ------------------------------------------------------------------ */

/* Everything the parser promises about a successful parse of a file of SIZE bytes. */
static bool invariants_hold(const struct vj_elf_info *in, uint64_t size)
{
    if (in->type != ET_EXEC && in->type != ET_DYN)
        return false;
    if (in->phnum == 0 || in->phoff + in->phnum * PHSZ > size || in->file_size != size)
        return false;
    if (in->lo >= in->hi || in->lo % 4096 || in->hi % 4096 || in->hi > VJ_ELF_USER_LIMIT)
        return false;
    if (in->nloads < 1 || in->nloads > VJ_ELF_MAX_LOADS)
        return false;
    for (size_t i = 0; i < in->nloads; i++) {
        const struct vj_elf_load *l = &in->loads[i];
        if (l->memsz == 0 || l->filesz > l->memsz || l->vaddr < in->lo ||
            l->vaddr + l->memsz > in->hi || l->offset + l->filesz > size ||
            l->offset > size || (l->vaddr - l->offset) % 4096)
            return false;
        if (i > 0 && l->vaddr < in->loads[i - 1].vaddr + in->loads[i - 1].memsz)
            return false;
        if (l->prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
            return false;
    }
    if (in->has_interp && (in->interp_size < 2 || in->interp_size > 4096 ||
                           in->interp_offset > size ||
                           in->interp_offset + in->interp_size > size))
        return false;
    return in->entry >= in->lo && in->entry < in->hi;
}

static void test_fuzz(void)
{
    struct img base;
    unsigned char buf[0x2000];
    unsigned seed = 20240601;
    int iterations = 20000, parsed = 0, broken = 0, bad_errors = 0;

    img_dynamic(&base);
    img_bytes(&base);
    for (int it = 0; it < iterations; it++) {
        memcpy(buf, base.data, sizeof buf);
        int flips = 1 + rand_r(&seed) % 6;
        for (int f = 0; f < flips; f++) {
            int how = rand_r(&seed) % 4;
            size_t pos = (size_t)rand_r(&seed) % 400; /* the headers live in [0, 400) */
            if (how == 0) {
                buf[pos] ^= (unsigned char)(1u << (rand_r(&seed) % 8));
            } else if (how == 1) {
                buf[pos] = (unsigned char)rand_r(&seed);
            } else {
                /* A random 64-bit value over a field, as hostile files would. */
                static const uint64_t hostile[] = {0, 1, 0xfff, 0x1000, 0x7fffffffffff,
                                                   1ULL << 47, UINT64_MAX, UINT64_MAX - 0xfff};
                uint64_t v = how == 2 ? hostile[rand_r(&seed) % 8]
                                      : ((uint64_t)rand_r(&seed) << 33) ^ (uint64_t)rand_r(&seed);
                pos &= ~(size_t)7;
                memcpy(buf + pos, &v, sizeof v);
            }
        }
        uint64_t size = sizeof buf;
        if (rand_r(&seed) % 8 == 0)
            size = (uint64_t)rand_r(&seed) % (sizeof buf + 1);

        struct vj_elf_info info;
        vmjail_error *err = NULL;
        int rc = parse_bytes(buf, (size_t)size, size, &info, &err);
        if (rc == 0) {
            parsed++;
            if (!invariants_hold(&info, size)) {
                broken++;
                printf("#   iteration %d: invariants broken\n", it);
            }
        } else if (rc != -1 || err == NULL || vmjail_error_kind(err) != VMJAIL_ERR_NOEXEC ||
                   vmjail_error_message(err)[0] == '\0') {
            bad_errors++;
            printf("#   iteration %d: rc %d, bad error\n", it, rc);
        }
        vmjail_error_free(err);
    }
    is_int(broken, 0, "fuzz: %d of %d mutated images parsed, all keep the invariants", parsed,
           iterations);
    is_int(bad_errors, 0, "fuzz: every rejection is a NOEXEC error with a message");
    ok(parsed > iterations / 20 && parsed < iterations, "fuzz: a fair mix of accepted (%d) and "
       "rejected images", parsed);
}

/* ---- a real executable ------------------------------------------------------------------ */

static void test_self(void)
{
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    unsigned char hdr[sizeof(Elf64_Ehdr)];
    struct vj_elf_info info;
    vmjail_error *err = NULL;

    ok(fd >= 0 && fstat(fd, &st) == 0, "open /proc/self/exe");
    if (fd < 0)
        return;
    ssize_t n = pread(fd, hdr, sizeof hdr, 0);
    int rc = vj_elf_parse_header(hdr, n > 0 ? (size_t)n : 0, (uint64_t)st.st_size, &info, &err);
    is_int(rc, 0, "header of the test binary parses%s%s", err ? ": " : "",
           err ? vmjail_error_message(err) : "");
    if (rc == 0) {
        size_t len = info.phnum * PHSZ;
        void *tab = malloc(len);
        n = tab ? pread(fd, tab, len, (off_t)info.phoff) : -1;
        rc = n == (ssize_t)len ? vj_elf_parse_phdrs(tab, len, &info, &err) : -2;
        free(tab);
        is_int(rc, 0, "program headers of the test binary parse%s%s", err ? ": " : "",
               err ? vmjail_error_message(err) : "");
        is_int(info.type, ET_DYN, "the test binary is a PIE (ET_DYN)");
        is_int(info.has_interp, 1, "the test binary has an interpreter");
        ok(info.phdr_vaddr != 0, "phdr_vaddr known");
        ok(info.nloads >= 2 && info.lo < info.hi, "loads found (%zu)", info.nloads);
        ok(info.entry >= info.lo && info.entry < info.hi, "entry inside the span");

        char path[4096 + 1] = "";
        if (info.has_interp && info.interp_size <= 4096) {
            n = pread(fd, path, info.interp_size, (off_t)info.interp_offset);
            path[n > 0 ? n : 0] = '\0';
        }
        ok(strstr(path, "ld-linux") != NULL && path[0] == '/',
           "the interpreter is the dynamic linker (%s)", path);
        int has_text = 0;
        for (size_t i = 0; i < info.nloads; i++)
            has_text |= (info.loads[i].prot & PROT_EXEC) != 0;
        ok(has_text, "one load is executable");
    }
    vmjail_error_free(err);
    close(fd);
}

int main(void)
{
    test_valid_static();
    test_valid_pie();
    test_valid_dynamic();
    test_bad_header();
    test_bad_phdrs();
    test_fuzz();
    test_self();
    return done_testing();
}
