/* sockets.c: TCP/UDP/AF_UNIX sockets, sendmsg/recvmsg (iovecs, SCM_RIGHTS, MSG_PEEK), *mmsg, epoll/poll/select, options, errors; "sigpipe"/"sigpipe-mmsg": die of SIGPIPE. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ECHO_BYTES (1 << 20)

static const struct {
    int num;
    const char *name;
} errnames[] = {
    {EPERM, "EPERM"},           {EBADF, "EBADF"},           {EAGAIN, "EAGAIN"},
    {EFAULT, "EFAULT"},         {EINVAL, "EINVAL"},         {EPIPE, "EPIPE"},
    {ENOTSOCK, "ENOTSOCK"},     {EMSGSIZE, "EMSGSIZE"},     {ECONNREFUSED, "ECONNREFUSED"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {EAFNOSUPPORT, "EAFNOSUPPORT"}, {ENOSYS, "ENOSYS"},
    {ENOTCONN, "ENOTCONN"},     {EDESTADDRREQ, "EDESTADDRREQ"}, {ECONNRESET, "ECONNRESET"},
    {ENOBUFS, "ENOBUFS"},       {EOPNOTSUPP, "EOPNOTSUPP"},
};

static const char *errname(int e)
{
    static char other[32];
    for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
        if (errnames[i].num == e)
            return errnames[i].name;
    snprintf(other, sizeof other, "errno%d", e);
    return other;
}

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

/* A step that must work; anything else ends the test with the reason. */
static void need(int cond, const char *what)
{
    if (!cond) {
        say("FAIL %s (errno %s)\n", what, errname(errno));
        exit(1);
    }
}

/* "LABEL: -1 ENAME" or "LABEL: = RET". */
static void result(const char *label, long ret)
{
    if (ret == -1)
        say("%s: -1 %s\n", label, errname(errno));
    else
        say("%s: = %ld\n", label, ret);
}

/* ---- TCP echo of 1 MiB between threads ------------------------------------------------- */

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static unsigned char *pattern(void)
{
    unsigned char *d = malloc(ECHO_BYTES);
    need(d != NULL, "malloc");
    uint32_t x = 12345;
    for (size_t i = 0; i < ECHO_BYTES; i++) {
        x = x * 1103515245 + 12345;
        d[i] = (unsigned char)(x >> 16);
    }
    return d;
}

/* Send all of IOV[0, N) with sendmsg, advancing over partial sends. */
static void sendmsg_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = n};
        ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
        need(r > 0, "sendmsg (echo)");
        while (n > 0 && (size_t)r >= iov->iov_len) {
            r -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + r;
            iov->iov_len -= r;
        }
    }
}

/* The server: accept one connection, echo with recvmsg/sendmsg into two odd-sized buffers
 * until EOF, then close. */
static void *echo_server(void *arg)
{
    int lfd = *(int *)arg;
    int c = accept(lfd, NULL, NULL);
    need(c >= 0, "accept (echo)");
    static char a[7001], b[9011];
    for (;;) {
        struct iovec in[2] = {{a, sizeof a}, {b, sizeof b}};
        struct msghdr m = {.msg_iov = in, .msg_iovlen = 2};
        ssize_t n = recvmsg(c, &m, 0);
        need(n >= 0, "recvmsg (echo)");
        if (n == 0)
            break;
        size_t n1 = (size_t)n < sizeof a ? (size_t)n : sizeof a;
        struct iovec out[2] = {{a, n1}, {b, (size_t)n - n1}};
        sendmsg_all(c, out, n > (ssize_t)n1 ? 2 : 1);
    }
    close(c);
    return NULL;
}

struct sender {
    int fd;
    const unsigned char *data;
};

/* The client's sending half: 1 MiB in chunks of varying size, then shutdown(SHUT_WR). */
static void *echo_sender(void *arg)
{
    struct sender *s = arg;
    size_t off = 0, chunk = 1;
    while (off < ECHO_BYTES) {
        chunk = chunk * 7 % 65521 + 1;
        size_t n = chunk < ECHO_BYTES - off ? chunk : ECHO_BYTES - off;
        ssize_t r = send(s->fd, s->data + off, n, MSG_NOSIGNAL);
        need(r > 0, "send (echo)");
        off += (size_t)r;
    }
    need(shutdown(s->fd, SHUT_WR) == 0, "shutdown (echo)");
    return NULL;
}

static void tcp_echo(int family, const char *name)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
    memset(&addr, 0, sizeof addr);
    socklen_t len = family == AF_INET ? sizeof addr.in : sizeof addr.in6;
    if (family == AF_INET) {
        addr.in.sin_family = AF_INET;
        addr.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
        addr.in6.sin6_family = AF_INET6;
        addr.in6.sin6_addr = in6addr_loopback;
    }
    int lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 && family == AF_INET6 && errno == EAFNOSUPPORT) {
        say("%s: echoed %d bytes, checksums match\n", name, ECHO_BYTES); /* no IPv6 here */
        return;
    }
    need(lfd >= 0, "socket (echo)");
    if (bind(lfd, &addr.sa, len) < 0) {
        need(family == AF_INET6 && errno == EADDRNOTAVAIL, "bind (echo)");
        close(lfd);
        say("%s: echoed %d bytes, checksums match\n", name, ECHO_BYTES);
        return;
    }
    need(listen(lfd, 4) == 0, "listen (echo)");
    socklen_t got = sizeof addr;
    need(getsockname(lfd, &addr.sa, &got) == 0 && got == len, "getsockname (echo)");
    pthread_t srv, snd;
    need(pthread_create(&srv, NULL, echo_server, &lfd) == 0, "pthread_create (server)");

    int c = socket(family, SOCK_STREAM, 0);
    need(c >= 0, "socket (client)");
    need(connect(c, &addr.sa, len) == 0, "connect (echo)");
    unsigned char *data = pattern();
    struct sender s = {c, data};
    need(pthread_create(&snd, NULL, echo_sender, &s) == 0, "pthread_create (sender)");
    unsigned char *back = malloc(ECHO_BYTES + 1);
    need(back != NULL, "malloc");
    size_t total = 0;
    for (;;) {
        ssize_t n = recv(c, back + total, ECHO_BYTES + 1 - total, 0);
        need(n >= 0, "recv (echo)");
        if (n == 0)
            break;
        total += (size_t)n;
        need(total <= ECHO_BYTES, "no more than was sent");
    }
    pthread_join(snd, NULL);
    pthread_join(srv, NULL);
    uint64_t h0 = fnv(0xcbf29ce484222325ULL, data, ECHO_BYTES);
    uint64_t h1 = fnv(0xcbf29ce484222325ULL, back, total);
    say("%s: echoed %zu bytes, checksums %s\n", name, total, h0 == h1 ? "match" : "DIFFER");
    free(data);
    free(back);
    close(c);
    close(lfd);
}

/* ---- UDP ------------------------------------------------------------------------------------ */

static int udp_bound(struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    need(fd >= 0, "socket (udp)");
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    need(bind(fd, (struct sockaddr *)a, sizeof *a) == 0, "bind (udp)");
    socklen_t l = sizeof *a;
    need(getsockname(fd, (struct sockaddr *)a, &l) == 0 && l == sizeof *a, "getsockname (udp)");
    return fd;
}

static int same_in(const struct sockaddr_in *x, const struct sockaddr_in *y)
{
    return x->sin_family == y->sin_family && x->sin_port == y->sin_port &&
           x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static void udp(void)
{
    struct sockaddr_in aa, ba, src;
    int a = udp_bound(&aa), b = udp_bound(&ba);
    char buf[64];
    need(sendto(a, "ping", 4, 0, (struct sockaddr *)&ba, sizeof ba) == 4, "sendto");
    socklen_t sl = sizeof src;
    memset(&src, 0, sizeof src);
    ssize_t n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&src, &sl);
    say("udp recvfrom: %zd bytes \"%.*s\", source length %u, source is the sender: %s\n", n,
        (int)(n > 0 ? n : 0), buf, (unsigned)sl, same_in(&src, &aa) ? "yes" : "no");

    /* recvmsg: the source address, msg_namelen updated, MSG_TRUNC for a short buffer. */
    need(sendto(a, "0123456789", 10, 0, (struct sockaddr *)&ba, sizeof ba) == 10, "sendto");
    struct iovec iov = {buf, 4};
    memset(&src, 0, sizeof src);
    struct msghdr m = {.msg_name = &src, .msg_namelen = 100, .msg_iov = &iov, .msg_iovlen = 1};
    n = recvmsg(b, &m, 0);
    say("udp recvmsg short buffer: %zd bytes \"%.4s\", namelen %u, sender %s, MSG_TRUNC %s\n", n,
        buf, (unsigned)m.msg_namelen, same_in(&src, &aa) ? "yes" : "no",
        (m.msg_flags & MSG_TRUNC) ? "set" : "clear");

    /* connected: send/recv; a datagram from elsewhere is filtered */
    need(connect(a, (struct sockaddr *)&ba, sizeof ba) == 0, "connect (udp)");
    need(connect(b, (struct sockaddr *)&aa, sizeof aa) == 0, "connect (udp)");
    need(send(a, "pong", 4, 0) == 4, "send (udp)");
    n = recv(b, buf, sizeof buf, 0);
    say("udp connected: %zd bytes \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    close(a);
    close(b);
}

/* ---- AF_UNIX -------------------------------------------------------------------------------- */

static void unix_pairs(void)
{
    int sp[2];
    char buf[64];
    need(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair stream");
    need(write(sp[0], "hello", 5) == 5 && write(sp[0], "world", 5) == 5, "write (stream)");
    ssize_t n = recv(sp[1], buf, 10, MSG_WAITALL);
    say("unix stream: %zd bytes \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    need(write(sp[1], "back", 4) == 4, "write (stream back)");
    n = read(sp[0], buf, sizeof buf);
    say("unix stream back: %zd bytes \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    /* shutdown: the peer reads EOF, writing to the shut side fails with EPIPE */
    need(shutdown(sp[0], SHUT_WR) == 0, "shutdown");
    n = read(sp[1], buf, sizeof buf);
    say("unix stream after shutdown(SHUT_WR): read = %zd (EOF)\n", n);
    errno = 0;
    result("unix stream send after SHUT_WR, MSG_NOSIGNAL", send(sp[0], "x", 1, MSG_NOSIGNAL));
    close(sp[0]);
    close(sp[1]);

    need(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == 0, "socketpair dgram");
    need(send(sp[0], "one", 3, 0) == 3 && send(sp[0], "three", 5, 0) == 5, "send (dgram)");
    ssize_t n1 = recv(sp[1], buf, sizeof buf, 0);
    ssize_t n2 = recv(sp[1], buf + 10, sizeof buf - 10, 0);
    say("unix dgram: %zd bytes \"%.*s\", then %zd bytes \"%.*s\"\n", n1, (int)(n1 > 0 ? n1 : 0),
        buf, n2, (int)(n2 > 0 ? n2 : 0), buf + 10);
    /* MSG_PEEK through recvmsg: the same datagram twice */
    need(send(sp[0], "peekaboo", 8, 0) == 8, "send (peek)");
    char p1[16] = "", p2[16] = "";
    struct iovec iov = {p1, sizeof p1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    n1 = recvmsg(sp[1], &m, MSG_PEEK);
    iov.iov_base = p2;
    n2 = recvmsg(sp[1], &m, 0);
    say("recvmsg MSG_PEEK: %zd bytes \"%s\", then %zd bytes \"%s\"; again: ", n1, p1, n2, p2);
    errno = 0;
    result("recv MSG_DONTWAIT", recv(sp[1], buf, sizeof buf, MSG_DONTWAIT));
    close(sp[0]);
    close(sp[1]);

    /* bound AF_UNIX datagram sockets (abstract names): the sender's address comes back */
    struct sockaddr_un ua, ub, from;
    int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0);
    need(a >= 0 && b >= 0, "socket (unix dgram)");
    socklen_t la = 0, lb = 0;
    for (int i = 0; i < 2; i++) {
        struct sockaddr_un *u = i ? &ub : &ua;
        memset(u, 0, sizeof *u);
        u->sun_family = AF_UNIX;
        int l = snprintf(u->sun_path + 1, sizeof u->sun_path - 1, "vjsockets-%d-%c", (int)getpid(),
                         'a' + i);
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + l);
        need(bind(i ? b : a, (struct sockaddr *)u, len) == 0, "bind (unix abstract)");
        *(i ? &lb : &la) = len;
    }
    (void)lb;
    char d1[] = "named", d2[] = " datagram";
    struct iovec two[2] = {{d1, 5}, {d2, 9}};
    struct msghdr sm = {.msg_name = &ub, .msg_namelen = lb, .msg_iov = two, .msg_iovlen = 2};
    result("unix dgram sendmsg to a name, two iovecs", sendmsg(a, &sm, 0));
    memset(&from, 0, sizeof from);
    memset(buf, 0, sizeof buf);
    iov.iov_base = buf;
    iov.iov_len = sizeof buf;
    struct msghdr rm = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                        .msg_iovlen = 1};
    n = recvmsg(b, &rm, 0);
    say("unix dgram recvmsg: %zd bytes \"%s\", namelen is the sender's: %s, address is: %s\n", n,
        buf, rm.msg_namelen == la ? "yes" : "no",
        rm.msg_namelen == la && memcmp(&from, &ua, la) == 0 ? "the sender's" : "wrong");
    close(a);
    close(b);
}

/* sendmsg/recvmsg with two iovecs on each side, over a stream socketpair. */
static void iovecs(void)
{
    int sp[2];
    need(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
    char s1[] = "abc", s2[] = "defgh";
    struct iovec out[2] = {{s1, 3}, {s2, 5}};
    struct msghdr sm = {.msg_iov = out, .msg_iovlen = 2};
    result("sendmsg two iovecs", sendmsg(sp[0], &sm, 0));
    char r1[5] = "", r2[16] = "";
    struct iovec in[2] = {{r1, 4}, {r2, 15}};
    struct msghdr rm = {.msg_iov = in, .msg_iovlen = 2};
    ssize_t n = recvmsg(sp[1], &rm, 0);
    say("recvmsg two iovecs: %zd bytes, first \"%s\", second \"%s\", flags %#x, controllen %zu\n",
        n, r1, r2, rm.msg_flags, (size_t)rm.msg_controllen);
    close(sp[0]);
    close(sp[1]);
}

/* SCM_RIGHTS: a pipe's read end over a socketpair, read from the received descriptor. */
static void scm_rights(void)
{
    int sp[2], pp[2], pq[2];
    need(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
    need(pipe(pp) == 0 && pipe(pq) == 0, "pipe");
    need(write(pp[1], "through the pipe", 16) == 16, "write (pipe)");
    need(write(pq[1], "second pipe", 11) == 11, "write (pipe)");

    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof cm);
    char byte = 'X';
    struct iovec iov = {&byte, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                       .msg_controllen = CMSG_SPACE(sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pp[0], sizeof(int));
    result("sendmsg SCM_RIGHTS (pipe read end)", sendmsg(sp[0], &m, 0));
    close(pp[0]);
    close(pp[1]);

    char got = 0;
    memset(&cm, 0, sizeof cm);
    iov.iov_base = &got;
    struct msghdr r = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                       .msg_controllen = sizeof cm.buf};
    ssize_t n = recvmsg(sp[1], &r, MSG_CMSG_CLOEXEC);
    c = CMSG_FIRSTHDR(&r);
    int fd = -1;
    int okc = c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
              c->cmsg_len == CMSG_LEN(sizeof(int));
    if (okc)
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
    say("recvmsg SCM_RIGHTS: %zd byte '%c', controllen %s, one descriptor: %s, cloexec: %s\n", n,
        got, r.msg_controllen == CMSG_SPACE(sizeof(int)) ? "CMSG_SPACE(int)" : "wrong",
        okc ? "yes" : "no", fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
    char buf[32] = "";
    n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    say("read from the received descriptor: %zd bytes \"%s\"\n", n, buf);
    if (fd >= 0)
        close(fd);

    /* Two descriptors, room for one: the kernel installs one and sets MSG_CTRUNC. */
    need(pipe(pp) == 0, "pipe");
    m.msg_controllen = CMSG_SPACE(2 * sizeof(int));
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int two[2] = {pq[0], pp[0]};
    memcpy(CMSG_DATA(c), two, sizeof two);
    iov.iov_base = &byte;
    result("sendmsg SCM_RIGHTS (two descriptors)", sendmsg(sp[0], &m, 0));
    memset(&cm, 0, sizeof cm);
    iov.iov_base = &got;
    r.msg_control = cm.buf;
    r.msg_controllen = CMSG_LEN(sizeof(int)); /* CMSG_SPACE would leave room for two */
    r.msg_flags = 0;
    n = recvmsg(sp[1], &r, 0);
    c = CMSG_FIRSTHDR(&r);
    fd = -1;
    if (c && c->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
    memset(buf, 0, sizeof buf);
    ssize_t rn = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    say("recvmsg room for one of two: %zd byte, MSG_CTRUNC %s, controllen %zu, cmsg_len "
        "CMSG_LEN(int): %s, reads \"%s\"\n",
        n, (r.msg_flags & MSG_CTRUNC) ? "set" : "clear", (size_t)r.msg_controllen,
        c && c->cmsg_len == CMSG_LEN(sizeof(int)) ? "yes" : "no", rn > 0 ? buf : "");
    if (fd >= 0)
        close(fd);

    /* A descriptor that is not open is refused; so is one where vmjail keeps its own. */
    c = CMSG_FIRSTHDR(&m);
    m.msg_controllen = CMSG_SPACE(sizeof(int));
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int bad = 100000;
    memcpy(CMSG_DATA(c), &bad, sizeof bad);
    errno = 0;
    result("sendmsg SCM_RIGHTS of a closed descriptor", sendmsg(sp[0], &m, 0));
    struct rlimit rl;
    bad = 1000;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 64)
        bad = (int)rl.rlim_cur - 32;
    for (int i = 0; i < 4; i++, bad++) {
        memcpy(CMSG_DATA(c), &bad, sizeof bad);
        errno = 0;
        long rr = sendmsg(sp[0], &m, 0);
        char label[64];
        snprintf(label, sizeof label, "sendmsg SCM_RIGHTS of the descriptor limit - %d", 32 - i);
        result(label, rr);
    }
    close(pq[0]);
    close(pq[1]);
    close(pp[0]);
    close(pp[1]);
    close(sp[0]);
    close(sp[1]);
}

/* ---- waiting: epoll, poll, select -------------------------------------------------------- */

static void *late_writer(void *arg)
{
    int fd = *(int *)arg;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    need(write(fd, "wake", 4) == 4, "write (late)");
    return NULL;
}

static void waiting(void)
{
    int sp[2];
    need(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    need(ep >= 0, "epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
    need(epoll_ctl(ep, EPOLL_CTL_ADD, sp[1], &ev) == 0, "epoll_ctl");
    struct epoll_event out[4];
    int n = epoll_wait(ep, out, 4, 0);
    say("epoll_wait before data: %d\n", n);
    pthread_t t;
    need(pthread_create(&t, NULL, late_writer, &sp[0]) == 0, "pthread_create");
    memset(out, 0, sizeof out);
    n = epoll_wait(ep, out, 4, 10000);
    pthread_join(t, NULL);
    say("epoll_wait for a late writer: %d, events %#x, data %#llx\n", n, out[0].events,
        (unsigned long long)out[0].data.u64);
    char buf[8];
    need(read(sp[1], buf, sizeof buf) == 4, "read (wake)");
    n = epoll_wait(ep, out, 4, 0);
    say("epoll_wait after reading: %d\n", n);
    close(ep);

    struct pollfd pf[2] = {{sp[1], POLLIN, 0}, {sp[0], POLLOUT, 0}};
    n = poll(pf, 1, 0);
    say("poll before data: %d\n", n);
    need(write(sp[0], "x", 1) == 1, "write");
    n = poll(pf, 2, 1000);
    say("poll: %d, revents %#x %#x\n", n, pf[0].revents, pf[1].revents);

    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(sp[1], &rd);
    FD_SET(sp[0], &wr);
    struct timeval tv = {1, 0};
    n = select((sp[0] > sp[1] ? sp[0] : sp[1]) + 1, &rd, &wr, NULL, &tv);
    say("select: %d, readable %d, writable %d\n", n, FD_ISSET(sp[1], &rd), FD_ISSET(sp[0], &wr));
    need(read(sp[1], buf, 1) == 1, "read");
    FD_ZERO(&rd);
    FD_SET(sp[1], &rd);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    n = select(sp[1] + 1, &rd, NULL, NULL, &tv);
    say("select after reading: %d\n", n);
    close(sp[0]);
    close(sp[1]);
}

/* ---- options, accept4, errors ----------------------------------------------------------- */

static int tcp_listener(struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    need(fd >= 0, "socket (tcp)");
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    need(bind(fd, (struct sockaddr *)a, sizeof *a) == 0, "bind (tcp)");
    need(listen(fd, 4) == 0, "listen (tcp)");
    socklen_t l = sizeof *a;
    need(getsockname(fd, (struct sockaddr *)a, &l) == 0, "getsockname (tcp)");
    return fd;
}

static void options(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    need(fd >= 0, "socket");
    int one = 1, v = 0;
    socklen_t l = sizeof v;
    need(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR");
    need(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &l) == 0, "get SO_REUSEADDR");
    say("SO_REUSEADDR: %s, optlen %u\n", v ? "on" : "off", (unsigned)l);
    int want = 65536;
    need(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) == 0, "SO_RCVBUF");
    v = 0;
    l = sizeof v;
    need(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l) == 0, "get SO_RCVBUF");
    say("SO_RCVBUF read back >= set: %s\n", v >= want ? "yes" : "no");
    need(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
    v = 0;
    l = sizeof v;
    need(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l) == 0, "get TCP_NODELAY");
    say("TCP_NODELAY: %s\n", v ? "on" : "off");
    v = 0;
    l = sizeof v;
    need(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) == 0, "get SO_TYPE");
    say("SO_TYPE: %s\n", v == SOCK_STREAM ? "SOCK_STREAM" : "other");
    errno = 0;
    l = sizeof v;
    result("getsockopt to a bad address", syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, 8L, &l));
    close(fd);
}

static void accepting(void)
{
    struct sockaddr_in a, peer, me;
    int lfd = tcp_listener(&a);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    need(c >= 0, "socket");
    need(connect(c, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    socklen_t pl = sizeof peer, ml = sizeof me;
    int s = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC | SOCK_NONBLOCK);
    need(s >= 0, "accept4");
    need(getsockname(c, (struct sockaddr *)&me, &ml) == 0, "getsockname");
    say("accept4: cloexec %s, nonblocking %s, peer is the client: %s\n",
        (fcntl(s, F_GETFD) & FD_CLOEXEC) ? "yes" : "no",
        (fcntl(s, F_GETFL) & O_NONBLOCK) ? "yes" : "no", same_in(&peer, &me) ? "yes" : "no");
    errno = 0;
    char buf[8];
    result("recv on the empty nonblocking socket", recv(s, buf, sizeof buf, 0));
    /* The client closes: recvmsg reads EOF. */
    close(c);
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    struct pollfd pf = {s, POLLIN, 0};
    poll(&pf, 1, 5000);
    result("recvmsg after the peer closed (EOF)", recvmsg(s, &m, 0));
    close(s);
    close(lfd);

    /* ECONNREFUSED: a port nobody listens on (just freed). */
    struct sockaddr_in freed;
    int tmp = tcp_listener(&freed);
    close(tmp);
    c = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    result("connect to a closed port", connect(c, (struct sockaddr *)&freed, sizeof freed));
    close(c);
}

/* ---- sendmmsg / recvmmsg --------------------------------------------------------------------- */

static void mmsg(void)
{
    struct sockaddr_in aa, ba;
    int a = udp_bound(&aa), b = udp_bound(&ba);
    static const char *const words[3] = {"one", "three", "seventh"};
    struct mmsghdr sv[3];
    struct iovec siov[3];
    memset(sv, 0, sizeof sv);
    for (int i = 0; i < 3; i++) {
        siov[i].iov_base = (void *)words[i];
        siov[i].iov_len = strlen(words[i]);
        sv[i].msg_hdr.msg_name = &ba;
        sv[i].msg_hdr.msg_namelen = sizeof ba;
        sv[i].msg_hdr.msg_iov = &siov[i];
        sv[i].msg_hdr.msg_iovlen = 1;
        sv[i].msg_len = 999;
    }
    int n = sendmmsg(a, sv, 3, 0);
    say("sendmmsg: %d, msg_len %u %u %u\n", n, sv[0].msg_len, sv[1].msg_len, sv[2].msg_len);

    struct mmsghdr rv[4];
    struct iovec riov[4];
    char bufs[4][16];
    struct sockaddr_in from[4];
    memset(rv, 0, sizeof rv);
    memset(bufs, 0, sizeof bufs);
    for (int i = 0; i < 4; i++) {
        riov[i].iov_base = bufs[i];
        riov[i].iov_len = sizeof bufs[i] - 1;
        rv[i].msg_hdr.msg_name = &from[i];
        rv[i].msg_hdr.msg_namelen = sizeof from[i];
        rv[i].msg_hdr.msg_iov = &riov[i];
        rv[i].msg_hdr.msg_iovlen = 1;
    }
    struct timespec tmo = {5, 0};
    n = recvmmsg(b, rv, 4, MSG_WAITFORONE, &tmo);
    say("recvmmsg MSG_WAITFORONE: %d:", n);
    for (int i = 0; i < n && i < 4; i++)
        say(" \"%s\" (msg_len %u, from the sender: %s)", bufs[i], rv[i].msg_len,
            rv[i].msg_hdr.msg_namelen == sizeof aa && same_in(&from[i], &aa) ? "yes" : "no");
    say("; timeout left <= 5 s: %s\n", tmo.tv_sec <= 5 ? "yes" : "no");

    /* three more, received with a timeout into exactly three entries */
    n = sendmmsg(a, sv, 3, 0);
    memset(bufs, 0, sizeof bufs);
    for (int i = 0; i < 3; i++)
        rv[i].msg_hdr.msg_namelen = sizeof from[i];
    tmo.tv_sec = 5;
    tmo.tv_nsec = 0;
    int m = recvmmsg(b, rv, 3, 0, &tmo);
    say("sendmmsg again: %d; recvmmsg with a timeout: %d: \"%s\" \"%s\" \"%s\"\n", n, m, bufs[0],
        bufs[1], bufs[2]);
    errno = 0;
    result("recvmmsg MSG_DONTWAIT on an empty socket", recvmmsg(b, rv, 4, MSG_DONTWAIT, NULL));
    errno = 0;
    result("sendmmsg vlen 0", sendmmsg(a, sv, 0, 0));
    close(a);
    close(b);
}

/* ---- hostile pointers and lengths --------------------------------------------------------- */

static void errors(void)
{
    int sp[2];
    need(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == 0, "socketpair");
    long pg = sysconf(_SC_PAGESIZE);
    char *gone = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    need(gone != MAP_FAILED, "mmap");
    need(munmap(gone, (size_t)pg) == 0, "munmap");
    char data[8] = "payload";
    struct iovec iov = {data, 7};
    struct msghdr m;

    memset(&m, 0, sizeof m);
    m.msg_iov = (struct iovec *)gone;
    m.msg_iovlen = 1;
    errno = 0;
    result("sendmsg, msg_iov on an unmapped page", syscall(SYS_sendmsg, sp[0], &m, 0));
    struct iovec badbase = {gone, 7};
    m.msg_iov = &badbase;
    errno = 0;
    result("sendmsg, iov_base on an unmapped page", syscall(SYS_sendmsg, sp[0], &m, 0));
    errno = 0;
    result("recvmsg, a bad msghdr pointer", syscall(SYS_recvmsg, sp[1], gone, 0));
    errno = 0;
    result("sendmsg, a bad msghdr pointer", syscall(SYS_sendmsg, sp[0], (void *)8, 0));
    errno = 0;
    result("sendmsg, a kernel msghdr pointer",
           syscall(SYS_sendmsg, sp[0], (void *)0xffff800000000000UL, 0));
    m.msg_iov = &iov;
    m.msg_iovlen = 1025;
    errno = 0;
    result("sendmsg, msg_iovlen 1025", syscall(SYS_sendmsg, sp[0], &m, 0));
    m.msg_iovlen = 1;
    m.msg_name = data;
    m.msg_namelen = -1;
    errno = 0;
    result("sendmsg, msg_namelen -1", syscall(SYS_sendmsg, sp[0], &m, 0));
    m.msg_name = NULL;
    m.msg_namelen = 0;
    m.msg_control = gone;
    m.msg_controllen = 32;
    errno = 0;
    result("sendmsg, msg_control on an unmapped page", syscall(SYS_sendmsg, sp[0], &m, 0));
    m.msg_control = NULL;
    m.msg_controllen = 0;
    struct iovec neg = {data, (size_t)-1};
    m.msg_iov = &neg;
    errno = 0;
    result("sendmsg, a negative iov_len", syscall(SYS_sendmsg, sp[0], &m, 0));
    m.msg_iov = &iov;
    errno = 0;
    result("sendmsg on a bad descriptor", syscall(SYS_sendmsg, 4000, &m, 0));
    errno = 0;
    result("sendmsg, a good message", syscall(SYS_sendmsg, sp[0], &m, 0));
    /* recvmsg into an unmapped buffer: the datagram is consumed, EFAULT */
    struct iovec rbad = {gone, 64};
    struct msghdr r;
    memset(&r, 0, sizeof r);
    r.msg_iov = &rbad;
    r.msg_iovlen = 1;
    errno = 0;
    result("recvmsg, iov_base on an unmapped page", syscall(SYS_recvmsg, sp[1], &r, 0));
    /* recvmsg with msg_control on an unmapped page: data arrives, the control data does not */
    need(send(sp[0], "ctl", 3, 0) == 3, "send");
    char buf[8] = "";
    struct iovec rgood = {buf, sizeof buf - 1};
    r.msg_iov = &rgood;
    r.msg_control = gone;
    r.msg_controllen = 64;
    errno = 0;
    long n = syscall(SYS_recvmsg, sp[1], &r, 0);
    say("recvmsg, msg_control on an unmapped page: %ld \"%s\", controllen %zu\n", n, buf,
        (size_t)r.msg_controllen);
    errno = 0;
    result("recvmmsg, a bad vector", syscall(SYS_recvmmsg, sp[1], gone, 2, MSG_DONTWAIT, NULL));
    errno = 0;
    result("sendmmsg, a bad vector", syscall(SYS_sendmmsg, sp[0], gone, 2, 0));
    struct mmsghdr one;
    memset(&one, 0, sizeof one);
    one.msg_hdr.msg_iov = &iov;
    one.msg_hdr.msg_iovlen = 1;
    errno = 0;
    result("recvmmsg, a bad timeout", syscall(SYS_recvmmsg, sp[1], &one, 1, 0, gone));
    close(sp[0]);
    close(sp[1]);

    /* sendmsg on a descriptor that is not a socket */
    int pp[2];
    need(pipe(pp) == 0, "pipe");
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    errno = 0;
    result("sendmsg on a pipe (ENOTSOCK)", syscall(SYS_sendmsg, pp[1], &m, 0));
    close(pp[0]);
    close(pp[1]);
}

/* ---- SIGPIPE ----------------------------------------------------------------------------- */

static void broken_stream(int *sp)
{
    need(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
    close(sp[1]);
}

static void sigpipe_ignored(void)
{
    int sp[2];
    broken_stream(sp);
    signal(SIGPIPE, SIG_IGN);
    char x = 'x';
    struct iovec iov = {&x, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    errno = 0;
    result("sendmsg to a broken stream, SIGPIPE ignored", sendmsg(sp[0], &m, 0));
    errno = 0;
    result("sendmsg to a broken stream, MSG_NOSIGNAL", sendmsg(sp[0], &m, MSG_NOSIGNAL));
    struct mmsghdr mm = {.msg_hdr = m};
    errno = 0;
    result("sendmmsg to a broken stream, SIGPIPE ignored", sendmmsg(sp[0], &mm, 1, 0));
    signal(SIGPIPE, SIG_DFL);
    close(sp[0]);
}

/* Dies of SIGPIPE: a sendmsg (or sendmmsg) to a broken stream without MSG_NOSIGNAL. */
static int sigpipe_death(int mmsg_call)
{
    int sp[2];
    broken_stream(sp);
    char x = 'x';
    struct iovec iov = {&x, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    struct mmsghdr mm = {.msg_hdr = m};
    say("sending to a broken stream\n");
    long r = mmsg_call ? sendmmsg(sp[0], &mm, 1, 0) : sendmsg(sp[0], &m, 0);
    result("still alive after", r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "sigpipe") == 0)
        return sigpipe_death(0);
    if (argc > 1 && strcmp(argv[1], "sigpipe-mmsg") == 0)
        return sigpipe_death(1);
    tcp_echo(AF_INET, "tcp 127.0.0.1");
    tcp_echo(AF_INET6, "tcp ::1");
    udp();
    unix_pairs();
    iovecs();
    scm_rights();
    waiting();
    options();
    accepting();
    mmsg();
    errors();
    sigpipe_ignored();
    say("done\n");
    return 0;
}
