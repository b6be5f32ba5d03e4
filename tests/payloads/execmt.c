/* execmt.c: execve from a process with other threads, which Linux ends before the new program
 * runs: from the main thread while one thread spins without syscalls and one blocks in read;
 * from a second thread while the main thread waits in pthread_join.  The new program keeps
 * the pid and can start threads of its own. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[4096];
static char pidarg[32];
static int pipefd[2];
static volatile unsigned long spins;

static void *spinner(void *arg)
{
    (void)arg;
    for (;;)
        spins++;
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    char c;
    read(pipefd[0], &c, 1); /* never written */
    return NULL;
}

static void *execer(void *arg)
{
    char *argv[] = {"execmt", "after", (char *)arg, pidarg, NULL};
    while (spins == 0)
        usleep(1000);
    execv(self, argv);
    perror("execv");
    exit(1);
}

static void *nothing(void *arg)
{
    return arg;
}

static int run(const char *mode)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        snprintf(pidarg, sizeof pidarg, "%d", (int)getpid());
        pipe(pipefd);
        pthread_t a, b, c;
        pthread_create(&a, NULL, spinner, NULL);
        pthread_create(&b, NULL, reader, NULL);
        if (strcmp(mode, "main") == 0) {
            execer((void *)mode);
        } else {
            pthread_create(&c, NULL, execer, (void *)mode);
            pthread_join(c, NULL); /* never returns: the exec ends this thread */
        }
        _exit(3);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("exec from the %s thread: status %d\n", mode, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "after") == 0) {
        pthread_t t;
        void *r = NULL;
        int ok = pthread_create(&t, NULL, nothing, (void *)42) == 0 && pthread_join(t, &r) == 0;
        printf("after exec from the %s thread: same pid %s, a new thread %s\n", argv[2],
               atoi(argv[3]) == (int)getpid() ? "yes" : "no", ok && r == (void *)42 ? "ran" : "failed");
        return 5;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 2;
    self[n] = '\0';
    run("main");
    run("second");
    return 0;
}
