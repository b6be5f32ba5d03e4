/* fdrecv.c: receives descriptors over an AF_UNIX socket (SCM_RIGHTS) and says what each reaches,
 * one line each, for the sandbox's escape cases (tests/integration/sandbox).
 *
 *   fdrecv SOCKETPATH NAME
 *
 * Connects to SOCKETPATH, receives one message with descriptors, and for each: "-1" where it
 * was not received, else its type and, for a directory, whether NAME opens relative to it
 * (openat) and whether fchdir to it and then NAME works; for a file, its first line.  The last
 * line says whether the message came truncated (MSG_CTRUNC). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void first_line(int fd)
{
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    printf("file: %s\n", n > 0 ? buf : n == 0 ? "(empty)" : strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fdrecv SOCKETPATH NAME\n");
        return 2;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        printf("connect: %s\n", strerror(errno));
        return 1;
    }
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(8 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
    if (recvmsg(s, &m, MSG_CMSG_CLOEXEC) < 0) {
        printf("recvmsg: %s\n", strerror(errno));
        return 1;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
            struct stat st;
            if (fd < 0 || fstat(fd, &st) < 0) {
                printf("-1\n");
                continue;
            }
            if (!S_ISDIR(st.st_mode)) {
                first_line(fd);
                continue;
            }
            int f = openat(fd, argv[2], O_RDONLY | O_CLOEXEC);
            printf("directory: openat %s: %s\n", argv[2], f >= 0 ? "opened" : strerror(errno));
            if (f >= 0)
                close(f);
            int d = fchdir(fd) == 0 ? open(argv[2], O_RDONLY | O_CLOEXEC) : -1;
            printf("directory: fchdir, open %s: %s\n", argv[2], d >= 0 ? "opened" : strerror(errno));
        }
    }
    printf("truncated: %s\n", m.msg_flags & MSG_CTRUNC ? "yes" : "no");
    return 0;
}
