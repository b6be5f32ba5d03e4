/* files.c: file, directory and descriptor syscalls in a scratch dir (argv[1], or mkdtemp). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;

/* Prints "name: ok" or "name: fail (errno text)" and counts failures. */
static void check(const char *name, int ok)
{
    if (ok) {
        printf("%s: ok\n", name);
    } else {
        printf("%s: fail (errno %d)\n", name, errno);
        failures++;
    }
    fflush(stdout);
}

static const char *kind(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG: return "regular";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symlink";
    case S_IFIFO: return "fifo";
    default: return "other";
    }
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    check("opendir", d != NULL);
    if (!d)
        return;
    char *names[64];
    int n = 0;
    struct dirent *de;
    int dots = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            dots++;
            continue;
        }
        if (n < 64) {
            char buf[300];
            const char *t = de->d_type == DT_REG       ? "reg"
                            : de->d_type == DT_DIR     ? "dir"
                            : de->d_type == DT_LNK     ? "lnk"
                            : de->d_type == DT_UNKNOWN ? "unknown"
                                                       : "other";
            snprintf(buf, sizeof buf, "%s (%s)", de->d_name, t);
            names[n++] = strdup(buf);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmpstr);
    printf("readdir: %d entries plus %d dots\n", n, dots);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/vjfilesXXXXXX";
    const char *dir;
    int made_dir = 0;
    char buf[256];
    struct stat st;

    umask(022);
    if (argc > 1) {
        dir = argv[1];
    } else {
        dir = mkdtemp(tmpl);
        made_dir = 1;
        if (!dir) {
            puts("mkdtemp: fail");
            return 1;
        }
    }

    char start_cwd[PATH_MAX];
    check("getcwd at start", getcwd(start_cwd, sizeof start_cwd) != NULL);
    int startfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check("open . O_DIRECTORY", startfd >= 0);
    check("chdir to scratch dir", chdir(dir) == 0);
    char real[PATH_MAX], cwd[PATH_MAX];
    check("realpath of scratch dir", realpath(dir, real) != NULL);
    check("getcwd == realpath(dir)", getcwd(cwd, sizeof cwd) && strcmp(cwd, real) == 0);

    /* creat / write / lseek / read back */
    int fd = creat("data", 0640);
    check("creat", fd >= 0);
    check("write 13", write(fd, "hello, files\n", 13) == 13);
    close(fd);
    fd = open("data", O_RDWR);
    check("open O_RDWR", fd >= 0);
    memset(buf, 0, sizeof buf);
    check("read 13", read(fd, buf, sizeof buf) == 13 && memcmp(buf, "hello, files\n", 13) == 0);
    check("read at EOF gives 0", read(fd, buf, sizeof buf) == 0);
    check("lseek SEEK_SET 7", lseek(fd, 7, SEEK_SET) == 7);
    check("read after lseek", read(fd, buf, 5) == 5 && memcmp(buf, "files", 5) == 0);
    check("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR) == 12);
    check("lseek SEEK_END", lseek(fd, 0, SEEK_END) == 13);

    /* pread / pwrite do not move the offset */
    check("pwrite at 100", pwrite(fd, "XYZ", 3, 100) == 3);
    check("offset unchanged after pwrite", lseek(fd, 0, SEEK_CUR) == 13);
    check("pread at 0", pread(fd, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0);
    check("pread of the hole reads zeros",
          pread(fd, buf, 4, 50) == 4 && memcmp(buf, "\0\0\0\0", 4) == 0);
    check("pread at 100", pread(fd, buf, 8, 100) == 3 && memcmp(buf, "XYZ", 3) == 0);

    /* readv / writev */
    struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
    check("writev", lseek(fd, 0, SEEK_SET) == 0 && writev(fd, iov, 3) == 5);
    char r1[2], r2[3];
    struct iovec riov[2] = {{r1, 2}, {r2, 3}};
    check("readv", lseek(fd, 0, SEEK_SET) == 0 && readv(fd, riov, 2) == 5 &&
                       memcmp(r1, "ab", 2) == 0 && memcmp(r2, "cde", 3) == 0);

    /* fstat / stat / lstat */
    check("fstat", fstat(fd, &st) == 0);
    printf("fstat: size %lld mode %o %s nlink %ld\n", (long long)st.st_size,
           (unsigned)(st.st_mode & 07777), kind(st.st_mode), (long)st.st_nlink);
    check("fstat uid/gid are ours", st.st_uid == getuid() && st.st_gid == getgid());
    check("stat", stat("data", &st) == 0);
    printf("stat: size %lld mode %o %s\n", (long long)st.st_size, (unsigned)(st.st_mode & 07777),
           kind(st.st_mode));
    ino_t ino = st.st_ino;

    /* ftruncate / fsync / fdatasync */
    check("ftruncate 10", ftruncate(fd, 10) == 0);
    check("size after ftruncate", fstat(fd, &st) == 0 && st.st_size == 10);
    check("ftruncate grow 5000",
          ftruncate(fd, 5000) == 0 && fstat(fd, &st) == 0 && st.st_size == 5000);
    check("fsync", fsync(fd) == 0);
    check("fdatasync", fdatasync(fd) == 0);
    check("fchmod 600",
          fchmod(fd, 0600) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0600);

    /* dup / dup2 / fcntl */
    int d1 = dup(fd);
    check("dup", d1 >= 0 && d1 != fd);
    check("dup shares the offset", lseek(fd, 3, SEEK_SET) == 3 && lseek(d1, 0, SEEK_CUR) == 3);
    close(d1);
    int d1b = dup(fd);
    check("dup reuses the lowest free descriptor", d1b == d1);
    close(d1b);
    check("dup2 to 100", dup2(fd, 100) == 100);
    check("fcntl F_GETFD of dup2 target is 0", fcntl(100, F_GETFD) == 0);
    check("fcntl F_SETFD FD_CLOEXEC",
          fcntl(100, F_SETFD, FD_CLOEXEC) == 0 && fcntl(100, F_GETFD) == FD_CLOEXEC);
    check("dup2 onto itself", dup2(100, 100) == 100);
    check("close 100", close(100) == 0);
    check("close 100 again gives EBADF", close(100) == -1 && errno == EBADF);
    int d2 = fcntl(fd, F_DUPFD, 50);
    check("fcntl F_DUPFD >= 50", d2 >= 50);
    close(d2);
    d2 = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    check("fcntl F_DUPFD_CLOEXEC", d2 >= 60 && fcntl(d2, F_GETFD) == FD_CLOEXEC);
    close(d2);
    int fl = fcntl(fd, F_GETFL);
    check("fcntl F_GETFL is O_RDWR", fl >= 0 && (fl & O_ACCMODE) == O_RDWR);
    check("fcntl F_SETFL O_APPEND",
          fcntl(fd, F_SETFL, fl | O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND));
    check("append write goes to the end",
          lseek(fd, 0, SEEK_SET) == 0 && write(fd, "!", 1) == 1 && lseek(fd, 0, SEEK_CUR) == 5001);
    close(fd);
    check("fcntl on closed fd gives EBADF", fcntl(fd, F_GETFD) == -1 && errno == EBADF);
    check("read on bad fd gives EBADF", read(-1, buf, 1) == -1 && errno == EBADF);

    /* rename / link */
    check("rename data -> data2", rename("data", "data2") == 0);
    check("stat old name gives ENOENT", stat("data", &st) == -1 && errno == ENOENT);
    check("stat new name, same inode", stat("data2", &st) == 0 && st.st_ino == ino);
    check("link data2 -> hard", link("data2", "hard") == 0);
    check("nlink is 2", stat("data2", &st) == 0 && st.st_nlink == 2);

    /* mkdir / symlink / readlink / lstat */
    check("mkdir sub", mkdir("sub", 0755) == 0);
    check("mkdir existing gives EEXIST", mkdir("sub", 0755) == -1 && errno == EEXIST);
    check("stat sub", stat("sub", &st) == 0 && S_ISDIR(st.st_mode));
    printf("stat sub: mode %o %s\n", (unsigned)(st.st_mode & 07777), kind(st.st_mode));
    check("symlink", symlink("data2", "link") == 0);
    ssize_t n = readlink("link", buf, sizeof buf);
    check("readlink", n == 5 && memcmp(buf, "data2", 5) == 0);
    check("lstat link", lstat("link", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 5);
    check("stat through link", stat("link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5001);
    check("readlink of a regular file gives EINVAL",
          readlink("data2", buf, sizeof buf) == -1 && errno == EINVAL);
    check("access data2 R_OK|W_OK", access("data2", R_OK | W_OK) == 0);
    check("access missing gives ENOENT", access("missing", F_OK) == -1 && errno == ENOENT);
    fd = open("sub/inner", O_WRONLY | O_CREAT | O_EXCL, 0644);
    check("open O_CREAT|O_EXCL in subdir", fd >= 0);
    close(fd);
    check("open O_CREAT|O_EXCL existing gives EEXIST",
          open("sub/inner", O_WRONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    check("openat relative to a dir fd", dfd >= 0 && (fd = openat(dfd, "inner", O_RDONLY)) >= 0);
    close(fd);
    check("fstatat relative to a dir fd", fstatat(dfd, "inner", &st, 0) == 0 && st.st_size == 0);
    close(dfd);
    check("open a dir for writing gives EISDIR", open("sub", O_WRONLY) == -1 && errno == EISDIR);
    check("open file as a dir gives ENOTDIR", open("data2/x", O_RDONLY) == -1 && errno == ENOTDIR);

    list_dir(".");

    /* missing files */
    check("open missing gives ENOENT", open("no/such/file", O_RDONLY) == -1 && errno == ENOENT);
    check("stat missing gives ENOENT", stat("missing", &st) == -1 && errno == ENOENT);
    check("unlink missing gives ENOENT", unlink("missing") == -1 && errno == ENOENT);

    /* pipe */
    int p[2];
    check("pipe", pipe(p) == 0);
    check("pipe write", write(p[1], "through the pipe", 16) == 16);
    memset(buf, 0, sizeof buf);
    check("pipe read", read(p[0], buf, sizeof buf) == 16 && strcmp(buf, "through the pipe") == 0);
    check("lseek on pipe gives ESPIPE", lseek(p[0], 0, SEEK_CUR) == -1 && errno == ESPIPE);
    close(p[1]);
    check("pipe read after writer closed gives 0", read(p[0], buf, sizeof buf) == 0);
    close(p[0]);
    check("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC) == 0 && fcntl(p[0], F_GETFD) == FD_CLOEXEC &&
                                 fcntl(p[1], F_GETFD) == FD_CLOEXEC);
    close(p[0]);
    close(p[1]);

    /* chdir into sub and back */
    check("chdir sub", chdir("sub") == 0);
    check("getcwd ends in /sub",
          getcwd(cwd, sizeof cwd) && strlen(cwd) > 4 && strcmp(cwd + strlen(cwd) - 4, "/sub") == 0);
    check("relative open in new cwd", (fd = open("inner", O_RDONLY)) >= 0);
    close(fd);
    check("chdir ..", chdir("..") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, real) == 0);
    check("getcwd with a too small buffer gives ERANGE", getcwd(buf, 2) == NULL && errno == ERANGE);

    /* clean up */
    check("rmdir non-empty gives ENOTEMPTY", rmdir("sub") == -1 && errno == ENOTEMPTY);
    check("unlink sub/inner", unlink("sub/inner") == 0);
    check("rmdir sub", rmdir("sub") == 0);
    check("unlink link", unlink("link") == 0);
    check("unlink hard", unlink("hard") == 0);
    check("unlink data2", unlink("data2") == 0);
    list_dir(".");
    check("fchdir back to the start dir", fchdir(startfd) == 0);
    check("getcwd is the start dir again", getcwd(cwd, sizeof cwd) && strcmp(cwd, start_cwd) == 0);
    close(startfd);
    if (made_dir)
        check("rmdir scratch dir", rmdir(dir) == 0);

    printf("files: %s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
