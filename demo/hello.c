/* hello.c: the demo payload: greets, shows its arguments and a few facts vmjail gave it. */
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct utsname u;
    uname(&u);
    printf("hello from inside vmjail: %s %s, pid %d\n", u.sysname, u.machine, getpid());
    for (int i = 1; i < argc; i++)
        printf("  argv[%d] = %s\n", i, argv[i]);
    return 0;
}
