/* gsbase.c: the GS base as Linux gives it to a program: 0 until the program sets it, then its
 * own (read back, used by %gs: loads, inherited by a new thread and by a fork's child), and
 * system calls keep working after it is set. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SET_GS 0x1001
#define GET_GS 0x1004

static uint64_t get_gs(void)
{
    uint64_t v = 1;
    syscall(SYS_arch_prctl, GET_GS, &v);
    return v;
}

static void *thread_main(void *arg)
{
    *(uint64_t *)arg = get_gs();
    return NULL;
}

static uint64_t in_thread(void)
{
    uint64_t v = 1;
    pthread_t t;
    pthread_create(&t, NULL, thread_main, &v);
    pthread_join(t, NULL);
    return v;
}

static uint64_t words[4] = {0x1111, 0x2222, 0x3333, 0x4444};

int main(void)
{
    long pid = 0;
    for (int i = 0; i < 100; i++) /* syscalls before: the fast path may take them */
        pid += syscall(SYS_getpid) == getpid();
    printf("getpid agreed %ld times\n", pid);
    printf("GS base at start: %#llx\n", (unsigned long long)get_gs());
    printf("GS base in a new thread: %#llx\n", (unsigned long long)in_thread());
    printf("set GS base: %ld\n", syscall(SYS_arch_prctl, SET_GS, (uint64_t)(uintptr_t)words));
    printf("GS base read back is the array's: %d\n", get_gs() == (uint64_t)(uintptr_t)words);
    uint64_t w;
    __asm__ volatile("mov %%gs:16, %0" : "=r"(w));
    printf("%%gs:16 loads the third word: %#llx\n", (unsigned long long)w);
    printf("a new thread inherits it: %d\n", in_thread() == (uint64_t)(uintptr_t)words);
    pid = 0;
    for (int i = 0; i < 2000; i++)
        pid += syscall(SYS_getpid) == getpid();
    printf("getpid agreed %ld times after\n", pid);
    pid_t c = fork();
    if (c == 0)
        _exit(get_gs() == (uint64_t)(uintptr_t)words ? 7 : 8);
    int st = 0;
    waitpid(c, &st, 0);
    printf("a fork's child has it: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 7);
    return 0;
}
