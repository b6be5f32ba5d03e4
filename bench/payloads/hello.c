/* hello.c: the start-to-exit payload: one write, then exit 0. */
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    return 0;
}
