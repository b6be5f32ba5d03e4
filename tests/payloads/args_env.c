/* args_env.c: prints argv and environment (VJTEST_*, @NAME), checks the initial stack and auxv. */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* Both defined by the static linker / crt1.o for glibc and musl, PIE or not. */
extern const ElfW(Ehdr) __ehdr_start __attribute__((weak, visibility("hidden")));
extern char _start[] __attribute__((visibility("hidden")));

extern char **environ;

static int failures;

static void fail(const char *what)
{
    printf("fail: %s\n", what);
    failures++;
}

/* getauxval that also tells whether the entry was there at all. */
static int aux(unsigned long type, unsigned long *val)
{
    errno = 0;
    *val = getauxval(type);
    return !(*val == 0 && errno == ENOENT);
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct phdr_seen {
    int calls;
    const void *phdr;
    int phnum;
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct phdr_seen *s = data;
    (void)size;
    if (s->calls++ == 0) {
        s->phdr = info->dlpi_phdr;
        s->phnum = info->dlpi_phnum;
    }
    return 0;
}

static void check_auxv(char **envp_at_start)
{
    unsigned long v, phdr, phnum, phent, entry;
    int before = failures;

    if (!aux(AT_PAGESZ, &v) || v != 4096)
        fail("AT_PAGESZ != 4096");
    if (!aux(AT_PHDR, &phdr) || phdr == 0)
        fail("AT_PHDR missing");
    if (!aux(AT_PHNUM, &phnum) || phnum == 0)
        fail("AT_PHNUM missing or 0");
    if (!aux(AT_PHENT, &phent) || phent != sizeof(ElfW(Phdr)))
        fail("AT_PHENT != 56");
    if (!aux(AT_ENTRY, &entry) || entry == 0)
        fail("AT_ENTRY missing or 0");
    else if (entry != (unsigned long)_start)
        fail("AT_ENTRY != _start");

    /* The ELF header is mapped and AT_PHDR/AT_PHNUM/AT_PHENT describe its program headers. */
    const ElfW(Ehdr) *eh = &__ehdr_start;
    if (!eh) {
        fail("__ehdr_start undefined");
    } else {
        if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
            fail("ELF magic not at __ehdr_start");
        if ((unsigned long)eh + eh->e_phoff != phdr)
            fail("AT_PHDR != ehdr + e_phoff");
        if (eh->e_phnum != phnum)
            fail("AT_PHNUM != e_phnum");
        if (eh->e_phentsize != phent)
            fail("AT_PHENT != e_phentsize");
        if (phdr && eh->e_phoff < 4096 &&
            memcmp((const void *)(phdr & ~0xfffUL), ELFMAG, SELFMAG) != 0)
            fail("ELF magic not at the page of AT_PHDR");
    }
    /* Every PT_LOAD segment is mapped at load bias + p_vaddr; its first byte is readable. */
    if (phdr && phent == sizeof(ElfW(Phdr)) && phnum > 0 && phnum < 256 && eh) {
        const ElfW(Phdr) *ph = (const ElfW(Phdr) *)phdr;
        unsigned long bias = 0;
        int loads = 0;
        if (eh->e_type == ET_DYN) {
            for (unsigned long i = 0; i < phnum; i++)
                if (ph[i].p_type == PT_LOAD) {
                    bias = (unsigned long)eh - (ph[i].p_vaddr - ph[i].p_offset);
                    break;
                }
        }
        for (unsigned long i = 0; i < phnum; i++) {
            if (ph[i].p_type != PT_LOAD)
                continue;
            loads++;
            volatile const char *p = (const char *)(bias + ph[i].p_vaddr);
            (void)*p;
        }
        if (loads == 0)
            fail("no PT_LOAD in AT_PHDR");
        if (eh->e_entry + bias != entry)
            fail("AT_ENTRY != e_entry + load bias");
    }
    struct phdr_seen seen = {0, NULL, 0};
    dl_iterate_phdr(phdr_cb, &seen);
    if (seen.calls < 1)
        fail("dl_iterate_phdr found nothing");
    else if ((unsigned long)seen.phdr != phdr || (unsigned long)seen.phnum != phnum)
        fail("dl_iterate_phdr disagrees with AT_PHDR/AT_PHNUM");

    if (!aux(AT_RANDOM, &v) || v == 0) {
        fail("AT_RANDOM missing");
    } else {
        const volatile unsigned char *r = (const unsigned char *)v;
        unsigned acc = 0;
        for (int i = 0; i < 16; i++)
            acc |= r[i];
        if (acc == 0)
            fail("AT_RANDOM bytes all zero");
    }
    if (!aux(AT_UID, &v) || v != (unsigned long)getuid())
        fail("AT_UID != getuid()");
    if (!aux(AT_EUID, &v) || v != (unsigned long)geteuid())
        fail("AT_EUID != geteuid()");
    if (!aux(AT_GID, &v) || v != (unsigned long)getgid())
        fail("AT_GID != getgid()");
    if (!aux(AT_EGID, &v) || v != (unsigned long)getegid())
        fail("AT_EGID != getegid()");
    if (!aux(AT_SECURE, &v) || v != 0)
        fail("AT_SECURE != 0");
    if (!aux(AT_HWCAP, &v) || v == 0)
        fail("AT_HWCAP missing or 0");
    if (!aux(AT_CLKTCK, &v) || v != 100)
        fail("AT_CLKTCK != 100");
    if (!aux(AT_EXECFN, &v) || v == 0 || strlen((const char *)v) == 0)
        fail("AT_EXECFN missing or empty");
    if (!aux(AT_PLATFORM, &v) || v == 0 || strcmp((const char *)v, "x86_64") != 0)
        fail("AT_PLATFORM != x86_64");

    /* The raw vector follows the environment's NULL: AT_NULL-terminated, same AT_PAGESZ. */
    char **e = envp_at_start;
    while (*e)
        e++;
    const unsigned long *av = (const unsigned long *)(e + 1);
    int n, pagesz_seen = 0;
    for (n = 0; n < 128 && av[2 * n] != AT_NULL; n++)
        if (av[2 * n] == AT_PAGESZ && av[2 * n + 1] == 4096)
            pagesz_seen = 1;
    if (n == 128)
        fail("raw auxv not AT_NULL-terminated within 128 entries");
    else if (!pagesz_seen)
        fail("raw auxv after envp has no AT_PAGESZ 4096");

    if (failures == before)
        puts("auxv ok");
}

static void check_stack(int argc, char **argv, char **envp_at_start)
{
    int before = failures;
    __attribute__((aligned(16))) volatile char local16[16];
    __attribute__((aligned(64))) volatile char local64[64];

    local16[0] = local64[0] = 1;
    if ((uintptr_t)local16 % 16 != 0)
        fail("16-byte aligned local misaligned");
    if ((uintptr_t)local64 % 64 != 0)
        fail("64-byte aligned local misaligned");
    /* At the entry point %rsp points at argc and is 16-byte aligned, so argv = %rsp + 8. */
    if ((uintptr_t)argv % 16 != 8)
        fail("initial stack pointer not 16-byte aligned (argv % 16 != 8)");
    if (argv[argc] != NULL)
        fail("argv[argc] != NULL");
    if (envp_at_start != argv + argc + 1)
        fail("environ does not follow argv's NULL");
    if (failures == before)
        puts("stack ok");
}

int main(int argc, char **argv)
{
    char **envp_at_start = environ;

    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] [%s]\n", i, argv[i]);

    /* @NAME arguments: print that variable's value. */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '@')
            continue;
        const char *val = getenv(argv[i] + 1);
        if (val)
            printf("getenv %s [%s]\n", argv[i] + 1, val);
        else
            printf("getenv %s unset\n", argv[i] + 1);
    }

    int envc = 0, nvj = 0;
    for (char **e = environ; *e; e++)
        envc++;
    char **vj = calloc(envc + 1, sizeof(char *));
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "VJTEST_", 7) == 0)
            vj[nvj++] = *e;
    qsort(vj, nvj, sizeof(char *), cmpstr);
    printf("envc %d\n", envc);
    for (int i = 0; i < nvj; i++)
        printf("env [%s]\n", vj[i]);
    free(vj);

    check_stack(argc, argv, envp_at_start);
    check_auxv(envp_at_start);
    return failures ? 1 : 0;
}
