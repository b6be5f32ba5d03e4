/* procpid.c: /proc/PID of other processes of the same tree: the parent reads its child's
 * exe, cmdline, environ, cwd, a descriptor in fd/, stat and status (name, state, parent), and
 * the child (a new program, exec'd with its own arguments and environment) reads its
 * parent's exe and cmdline. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read a whole /proc file; NULs shown as spaces. */
static void show_file(const char *label, const char *path, int nul_to_space)
{
    char buf[8192];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: cannot open\n", label);
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    for (ssize_t i = 0; nul_to_space && i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    printf("%s: %s\n", label, buf);
}

static void show_link(const char *label, const char *path)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    printf("%s: %s\n", label, n > 0 ? buf : "(none)");
}

/* One variable of a process's environ. */
static void show_env_var(const char *label, const char *path, const char *name)
{
    char buf[65536];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    const char *found = "(absent)";
    size_t l = strlen(name);
    for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1) {
        buf[n] = '\0';
        if (strncmp(buf + i, name, l) == 0 && buf[i + l] == '=')
            found = buf + i;
    }
    printf("%s: %s\n", label, found);
}

int main(int argc, char **argv)
{
    char path[128], self[PATH_MAX];
    ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
    self[sn > 0 ? sn : 0] = '\0';
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        /* the exec'd child: fd 0 is the pipe from the parent, fd 1 stdout */
        int ready = atoi(argv[2]);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 9);
        chdir("/");
        pid_t pp = getppid();
        snprintf(path, sizeof path, "/proc/%d/exe", (int)pp);
        char buf[PATH_MAX];
        ssize_t n = readlink(path, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        printf("child: parent's exe is the same program: %s\n", strcmp(buf, self) == 0 ? "yes" : "no");
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pp);
        show_file("child: parent's cmdline", path, 1);
        fflush(stdout);
        write(ready, "r", 1);
        char c;
        read(0, &c, 1); /* until the parent has looked */
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int go[2], ready[2];
    pipe(go);
    pipe(ready);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(go[0], 0);
        close(go[1]);
        close(ready[0]);
        char fdarg[16];
        snprintf(fdarg, sizeof fdarg, "%d", ready[1]);
        char *cargv[] = {"procpid-child", "child", fdarg, "an argument", NULL};
        char *cenv[] = {"PROCPID_VAR=forty two", "OTHER=1", NULL};
        execve(self, cargv, cenv);
        _exit(127);
    }
    close(ready[1]);
    char c;
    read(ready[0], &c, 1);
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    printf("parent: child's exe is the same program: %s\n", strcmp(buf, self) == 0 ? "yes" : "no");
    int efd = open(path, O_RDONLY);
    char elf[4] = {0};
    read(efd, elf, 4);
    close(efd);
    printf("parent: child's exe opens as an ELF file: %s\n", memcmp(elf, "\177ELF", 4) == 0 ? "yes" : "no");
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    show_file("parent: child's cmdline", path, 1);
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    show_env_var("parent: child's environ has", path, "PROCPID_VAR");
    show_env_var("parent: child's environ has", path, "HOME");
    snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
    show_link("parent: child's cwd", path);
    snprintf(path, sizeof path, "/proc/%d/fd/9", (int)pid);
    show_link("parent: child's fd 9", path);
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    int spid = 0, sppid = 0;
    char comm[64] = "", state = '?';
    if (f) {
        fscanf(f, "%d (%63[^)]) %c %d", &spid, comm, &state, &sppid);
        fclose(f);
    }
    printf("parent: child's stat: pid ok %s, comm %s, alive %s, parent ok %s\n",
           spid == pid ? "yes" : "no", comm, strchr("RSD", state) ? "yes" : "no",
           sppid == getpid() ? "yes" : "no");
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Name:", 5) == 0 || strncmp(line, "PPid:", 5) == 0) {
            if (line[0] == 'P') {
                int pp = atoi(line + 5);
                printf("parent: child's status PPid ok: %s\n", pp == getpid() ? "yes" : "no");
            } else {
                printf("parent: child's status %s", line);
            }
        }
    if (f)
        fclose(f);
    write(go[1], "g", 1);
    int st;
    waitpid(pid, &st, 0);
    printf("parent: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
