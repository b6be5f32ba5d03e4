/* hello.c: prints "hello, world" (the smallest payload: one write, then exit 0). */
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    return 0;
}
