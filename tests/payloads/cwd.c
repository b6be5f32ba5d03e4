/* cwd.c: prints getcwd() and whether each argument exists relative to it (checks --cwd). */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char buf[PATH_MAX];
    struct stat st;

    if (!getcwd(buf, sizeof buf)) {
        puts("getcwd: fail");
        return 1;
    }
    printf("cwd %s\n", buf);
    for (int i = 1; i < argc; i++)
        printf("%s: %s\n", argv[i], stat(argv[i], &st) == 0 ? "exists" : "missing");
    return 0;
}
