/* exitcode.c: exits with atoi(argv[1]) via _exit (default), "return" from main, or "exit". */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    const char *how = argc > 2 ? argv[2] : "_exit";

    if (strcmp(how, "return") == 0)
        return status;
    if (strcmp(how, "exit") == 0)
        exit(status);
    _exit(status);
}
