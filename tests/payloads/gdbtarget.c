/* gdbtarget.c: a program for the gdb stub's tests (tests/integration/gdb): a global that
 * changes, a function main calls, and a second thread that waits while gdb looks. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

volatile int counter = 41;       /* gdb prints it, and watches it change */
static volatile int worker_go;  /* the worker waits on it */

__attribute__((noipa)) int add_one(int x)
{
    int y = x + 1;
    return y;
}

static void *worker(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&worker_go, __ATOMIC_ACQUIRE))
        usleep(1000);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    counter = add_one(counter);
    counter = counter * 2 + 16;
    printf("counter %d\n", counter);
    __atomic_store_n(&worker_go, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
