/* nodes.c: mknod/mknodat (FIFOs, regular files, sockets; a bad type), utime, utimes and
 * futimesat (given times and "now"), and sync_file_range, each result printed, in a fresh
 * directory of the working directory (compared natively by tests/integration/run). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static void say(const char *what, long r)
{
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static void kind(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        printf("  %s: %s\n", path, strerror(errno));
        return;
    }
    const char *k = S_ISFIFO(st.st_mode) ? "fifo" : S_ISREG(st.st_mode) ? "file" :
                    S_ISSOCK(st.st_mode) ? "socket" : "other";
    printf("  %s: %s, mode %03o, size %lld\n", path, k, (unsigned)(st.st_mode & 0777),
           (long long)st.st_size);
}

static void times_of(const char *path, int now_asked)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        printf("  %s: %s\n", path, strerror(errno));
        return;
    }
    time_t now = time(NULL);
    if (!now_asked)
        printf("  atime %lld, mtime %lld\n", (long long)st.st_atime, (long long)st.st_mtime);
    else
        printf("  mtime within 60 s of now: %d\n", st.st_mtime <= now && now - st.st_mtime < 60);
}

int main(void)
{
    char dir[64];
    snprintf(dir, sizeof dir, "nodes.%d", (int)getpid());
    if (mkdir(dir, 0755) < 0 || chdir(dir) < 0)
        return 1;
    umask(022);
    say("mknod fifo", syscall(SYS_mknod, "fifo", S_IFIFO | 0640, 0));
    kind("fifo");
    say("mknod file (type 0)", syscall(SYS_mknod, "plain", 0600, 0));
    kind("plain");
    int d = open(".", O_RDONLY | O_DIRECTORY);
    say("mknodat socket", syscall(SYS_mknodat, d, "sock", S_IFSOCK | 0777, 0));
    kind("sock");
    say("mknodat regular", syscall(SYS_mknodat, d, "reg", S_IFREG | 0644, 0));
    kind("reg");
    say("mkfifo again (exists)", mkfifo("fifo", 0600));
    say("mknod bad type", syscall(SYS_mknod, "bad", 0170000 | 0600, 0));
    say("mknodat bad pointer", syscall(SYS_mknodat, d, (char *)1, S_IFIFO | 0600, 0));
    say("mkfifo in a missing directory", mkfifo("missing/fifo", 0600));

    struct utimbuf ub = {.actime = 1000000000, .modtime = 1200000000};
    say("utime", syscall(SYS_utime, "reg", &ub));
    times_of("reg", 0);
    say("utime now (NULL)", syscall(SYS_utime, "plain", NULL));
    times_of("plain", 1);
    struct timeval tv[2] = {{.tv_sec = 1300000000, .tv_usec = 5}, {.tv_sec = 1400000000}};
    say("utimes", syscall(SYS_utimes, "fifo", tv));
    times_of("fifo", 0);
    say("futimesat", syscall(SYS_futimesat, d, "reg", tv));
    times_of("reg", 0);
    say("utimes bad pointer", syscall(SYS_utimes, "reg", (void *)8));
    say("utimes missing file", syscall(SYS_utimes, "missing", tv));

    int fd = open("reg", O_WRONLY);
    say("write", write(fd, "some bytes\n", 11));
    say("sync_file_range", syscall(SYS_sync_file_range, fd, 0L, 0L, 2L /* WRITE */));
    say("sync_file_range bad flags", syscall(SYS_sync_file_range, fd, 0L, 0L, 8L));
    say("sync_file_range bad descriptor", syscall(SYS_sync_file_range, 999, 0L, 0L, 2L));
    close(fd);
    close(d);

    const char *names[] = {"fifo", "plain", "sock", "reg"};
    for (unsigned i = 0; i < 4; i++)
        unlink(names[i]);
    if (chdir("..") < 0 || rmdir(dir) < 0)
        return 2;
    return 0;
}
