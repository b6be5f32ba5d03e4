/* fault.c: dies the way argv[1] says: bad accesses, traps, privileged insns, monitor pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#define MONITOR_VA 0x7ff000000000UL /* vmjail's monitor region; natively unmapped */

static volatile int zero = 0, one = 1;
static volatile long stop_at = -1;

static long recurse(long depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    if (depth == stop_at)
        return 0;
    return recurse(depth + 1) + frame[0];
}

/* Jump to ADDR with %rax = getpid's number (so a stub that does run a syscall does nothing
 * harmful) and a valid return address on the stack. */
static void jump_to(unsigned long addr)
{
    __asm__ volatile("mov %0, %%rcx\n\t"
                     "mov %1, %%eax\n\t"
                     "call *%%rcx"
                     :
                     : "r"(addr), "i"(SYS_getpid)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

static const char *const kinds[] = {
    "null",  "ud2",    "div0",    "gp",     "int3",      "abort",     "stack",
    "hlt",   "in",     "out",     "stub",   "stubprobe", "cli",       "rdmsr",
    "int14", "outexc", "readcr3", "kernel", "gdt",       "stubwrite", NULL,
};

int main(int argc, char **argv)
{
    const char *k = argc > 1 ? argv[1] : "";
    int known = 0;

    for (int i = 0; kinds[i]; i++)
        known |= strcmp(k, kinds[i]) == 0;
    if (!known) {
        printf("unknown kind '%s'; kinds:", k);
        for (int i = 0; kinds[i]; i++)
            printf(" %s", kinds[i]);
        printf("\n");
        return 2;
    }
    printf("about to fault: %s\n", k);
    fflush(stdout);

    if (!strcmp(k, "null"))
        *(volatile int *)0 = 1; /* #PF: SIGSEGV */
    else if (!strcmp(k, "ud2"))
        __asm__ volatile("ud2"); /* #UD: SIGILL */
    else if (!strcmp(k, "div0"))
        printf("%d\n", one / zero); /* #DE: SIGFPE */
    else if (!strcmp(k, "gp"))
        *(volatile long *)0x8000000000000000UL = 1; /* non-canonical: #GP: SIGSEGV */
    else if (!strcmp(k, "int3"))
        __asm__ volatile("int3"); /* #BP: SIGTRAP */
    else if (!strcmp(k, "abort"))
        abort(); /* SIGABRT */
    else if (!strcmp(k, "stack"))
        printf("%ld\n", recurse(0)); /* stack overflow: SIGSEGV */
    else if (!strcmp(k, "hlt"))
        __asm__ volatile("hlt"); /* privileged: #GP: SIGSEGV */
    else if (!strcmp(k, "in"))
        __asm__ volatile("inb $0xf0, %%al" ::: "al"); /* the syscall port, IOPL 0: SIGSEGV */
    else if (!strcmp(k, "out"))
        __asm__ volatile("mov $0, %%al\n\toutb %%al, $0xf0" ::: "al"); /* same */
    else if (!strcmp(k, "outexc"))
        __asm__ volatile("mov $0, %%al\n\toutb %%al, $0xce" ::: "al"); /* an exception port */
    else if (!strcmp(k, "stub"))
        jump_to(MONITOR_VA); /* the syscall stub, entered by a jump */
    else if (!strcmp(k, "stubprobe"))
        jump_to(MONITOR_VA + 0x80); /* the start-up probe stub */
    else if (!strcmp(k, "stubwrite"))
        *(volatile char *)MONITOR_VA = 0; /* stub page is never writable */
    else if (!strcmp(k, "gdt"))
        (void)*(volatile char *)(MONITOR_VA + 0x1000); /* supervisor-only page */
    else if (!strcmp(k, "kernel"))
        jump_to(0xffffffff81000000UL); /* kernel half: SIGSEGV */
    else if (!strcmp(k, "cli"))
        __asm__ volatile("cli"); /* IOPL 0: #GP: SIGSEGV */
    else if (!strcmp(k, "rdmsr"))
        __asm__ volatile("rdmsr" : : "c"(0xc0000080) : "rax", "rdx"); /* EFER: #GP */
    else if (!strcmp(k, "int14"))
        __asm__ volatile("int $14"); /* DPL 0 gate: #GP: SIGSEGV */
    else if (!strcmp(k, "readcr3"))
        __asm__ volatile("mov %%cr3, %%rax" ::: "rax"); /* privileged: #GP: SIGSEGV */

    printf("did not fault\n");
    return 99;
}
