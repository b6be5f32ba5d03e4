/* execat.c: execveat: a program named relative to a directory descriptor, a descriptor of the
 * program itself with AT_EMPTY_PATH (fexecve), close-on-exec or not, AT_EXECFN and
 * /proc/self/exe of what runs, and the errors: bad flags, EBADF, ENOTDIR, ENOENT, EACCES,
 * ELOOP with AT_SYMLINK_NOFOLLOW; #! scripts named the same ways; /proc/self/exe. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static long xat(int dirfd, const char *path, char *const argv[], int flags)
{
    return syscall(SYS_execveat, dirfd, path, argv, environ, flags);
}

/* Run execveat in a child; print what it gave (the child prints its own lines). */
static void try(const char *what, int dirfd, const char *path, int flags)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"execat", "child", (char *)what, NULL};
        long r = xat(dirfd, path, argv, flags);
        printf("%s: execveat returned %ld, %s\n", what, r, strerror(errno));
        fflush(stdout);
        _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("%s: status %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        /* The program is this one: compare with where the parent found it. */
        printf("%s: running, argv0 %s, execfn %s, exe is self: %s\n", argv[2], argv[0],
               (const char *)getauxval(AT_EXECFN),
               strcmp(exe, getenv("EXECAT_SELF") ? getenv("EXECAT_SELF") : "") == 0 ? "yes"
                                                                                      : "no");
        return 7;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 2;
    self[n] = '\0';
    setenv("EXECAT_SELF", self, 1);
    char dir[PATH_MAX], base[PATH_MAX];
    strcpy(dir, self);
    strcpy(base, self);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    const char *name = basename(base);
    int pfd = open(self, O_RDONLY);                 /* a descriptor of the program */
    int cfd = open(self, O_RDONLY | O_CLOEXEC);     /* the same, close-on-exec */
    int ofd = open(self, O_PATH | O_CLOEXEC);       /* O_PATH works too */
    printf("descriptors %d %d %d %d\n", dfd, pfd, cfd, ofd);

    try("relative to a directory", dfd, name, 0);
    try("the descriptor itself", pfd, "", AT_EMPTY_PATH);
    try("close-on-exec descriptor", cfd, "", AT_EMPTY_PATH);
    try("O_PATH descriptor", ofd, "", AT_EMPTY_PATH);
    try("absolute path, dirfd ignored", dfd, self, 0);
    try("AT_FDCWD and a path", AT_FDCWD, self, 0);
    try("empty path without AT_EMPTY_PATH", pfd, "", 0);
    try("bad flags", dfd, name, 0x1);
    try("bad descriptor", 999, name, 0);
    try("not a directory", pfd, name, 0);
    try("missing file", dfd, "no-such-program", 0);
    try("a directory with AT_EMPTY_PATH", dfd, "", AT_EMPTY_PATH);
    if (symlink(self, "execat-link") == 0) {
        int here = open(".", O_RDONLY | O_DIRECTORY);
        try("symlink, AT_SYMLINK_NOFOLLOW", here, "execat-link", AT_SYMLINK_NOFOLLOW);
        try("symlink followed", here, "execat-link", 0);
        unlink("execat-link");
        close(here);
    }
    /* A #! script: its interpreter (this program) gets the name Linux gives the script
     * (/dev/fd/N/NAME, /dev/fd/N) and so does AT_EXECFN; through a close-on-exec descriptor
     * the interpreter could not open it: ENOENT. */
    FILE *f = fopen("execat-script", "w");
    if (f != NULL) {
        fprintf(f, "#!%s child\n", self);
        fclose(f);
        chmod("execat-script", 0755);
        int here = open(".", O_RDONLY | O_DIRECTORY);
        int sfd = open("execat-script", O_RDONLY);
        int scfd = open("execat-script", O_RDONLY | O_CLOEXEC);
        printf("script descriptors %d %d %d\n", here, sfd, scfd);
        try("script relative to a directory", here, "execat-script", 0);
        try("script descriptor", sfd, "", AT_EMPTY_PATH);
        try("script close-on-exec descriptor", scfd, "", AT_EMPTY_PATH);
        try("script by a relative path", AT_FDCWD, "./execat-script", 0);
        unlink("execat-script");
        close(here);
        close(sfd);
        close(scfd);
    }
    try("/proc/self/exe", AT_FDCWD, "/proc/self/exe", 0);
    return 0;
}
