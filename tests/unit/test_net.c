/* test_net.c: unit tests of sendmsg, recvmsg, sendmmsg, recvmmsg (src/monitor/sys_net.c) on a fake guest memory: translation, copy-back, descriptors passed both ways. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/proc.h"
#include "monitor/sys.h"
#include "tap.h"
#include "vmjail_abi.h"

#define PG 4096ULL
#define MEM_SIZE (8ULL << 20)
#define GUARD (2ULL << 20)
/* Guest memory: [ARENA, ARENA + 1 MiB) read/write, HOLE (one page after it) PROT_NONE, the
 * last page read/write; everything else PROT_NONE. */
#define ARENA ((uint64_t)VJ_GUEST_MIN)
#define ARENA_SIZE (1ULL << 20)
#define HOLE (ARENA + ARENA_SIZE)
#define LAST (MEM_SIZE - PG)
#define OUTSIDE (MEM_SIZE + 64) /* past the end of guest memory */

static struct vj_proc P;
static uint64_t next_free = ARENA;

static void setup(void)
{
    memset(&P, 0, sizeof P);
    void *r = mmap(NULL, MEM_SIZE + GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (r == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    P.mem = r;
    P.mem_size = MEM_SIZE;
    P.trace_fd = -1;
    if (mprotect(P.mem + ARENA, ARENA_SIZE, PROT_READ | PROT_WRITE) < 0 ||
        mprotect(P.mem + LAST, PG, PROT_READ | PROT_WRITE) < 0) {
        perror("mprotect");
        exit(2);
    }
}

/* A fresh, zeroed guest allocation. */
static uint64_t galloc(uint64_t size)
{
    uint64_t g = next_free;
    next_free += (size + 15) & ~15ULL;
    if (next_free > ARENA + ARENA_SIZE) {
        fprintf(stderr, "arena exhausted\n");
        exit(2);
    }
    memset(P.mem + g, 0, size);
    return g;
}

static void *H(uint64_t gva)
{
    return P.mem + gva;
}

/* A guest string buffer holding S. */
static uint64_t gstr(const char *s)
{
    uint64_t g = galloc(strlen(s) + 1);
    memcpy(H(g), s, strlen(s) + 1);
    return g;
}

/* A guest iovec array of N entries and a guest msghdr pointing at it. */
static uint64_t gmsg(uint64_t *iov_out, int n)
{
    uint64_t iov = galloc((uint64_t)n * sizeof(struct iovec));
    uint64_t m = galloc(sizeof(struct msghdr));
    struct msghdr *h = H(m);
    h->msg_iov = (struct iovec *)(uintptr_t)iov;
    h->msg_iovlen = (size_t)n;
    *iov_out = iov;
    return m;
}

static void set_iov(uint64_t iov, int i, uint64_t base, uint64_t len)
{
    struct iovec *v = (struct iovec *)H(iov) + i;
    v->iov_base = (void *)(uintptr_t)base;
    v->iov_len = len;
}

static int64_t call(int64_t (*fn)(struct vj_proc *, const uint64_t *), uint64_t a0, uint64_t a1,
                    uint64_t a2, uint64_t a3, uint64_t a4)
{
    uint64_t a[6] = {a0, a1, a2, a3, a4, 0};
    return fn(&P, a);
}

/* The lowest free descriptor: for checking that nothing leaked. */
static int lowest_free(void)
{
    int fd = open("/dev/null", O_RDONLY);
    close(fd);
    return fd;
}

/* Send descriptors FDS[0, N) natively over SOCK with one data byte. */
static void native_send_fds(int sock, const int *fds, int n)
{
    char buf[CMSG_SPACE(4 * sizeof(int))];
    memset(buf, 0, sizeof buf);
    char byte = 'F';
    struct iovec iov = {&byte, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
                       .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    if (sendmsg(sock, &m, 0) != 1) {
        perror("sendmsg");
        exit(2);
    }
}

static void test_roundtrip(void)
{
    int sp[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
    uint64_t siov, sm = gmsg(&siov, 2);
    set_iov(siov, 0, gstr("hello, "), 7);
    set_iov(siov, 1, gstr("world"), 5);
    is_int(call(vj_sys_sendmsg, sp[0], sm, 0, 0, 0), 12, "sendmsg: two iovecs");

    uint64_t riov, rm = gmsg(&riov, 2);
    uint64_t b1 = galloc(8), b2 = galloc(8);
    set_iov(riov, 0, b1, 4);
    set_iov(riov, 1, b2, 4);
    struct msghdr *h = H(rm);
    h->msg_namelen = 77; /* no msg_name: left alone */
    h->msg_controllen = 99;
    h->msg_flags = 0x5a5a;
    is_int(call(vj_sys_recvmsg, sp[1], rm, 0, 0, 0), 8, "recvmsg: 8 of 12 bytes");
    ok(memcmp(H(b1), "hell", 4) == 0 && memcmp(H(b2), "o, w", 4) == 0, "recvmsg: the data");
    is_int(h->msg_flags, MSG_TRUNC, "recvmsg: msg_flags copied back (MSG_TRUNC)");
    is_int(h->msg_controllen, 0, "recvmsg: msg_controllen copied back");
    is_int(h->msg_namelen, 77, "recvmsg: msg_namelen untouched without msg_name");
    ok(h->msg_iov == (struct iovec *)(uintptr_t)riov, "recvmsg: msg_iov untouched");

    /* an address: msg_namelen written */
    int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    socklen_t la = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                               (size_t)snprintf(ua.sun_path + 1, 20, "vjtestnet%d", (int)getpid()));
    struct sockaddr_un ub = ua;
    ub.sun_path[1] = 'W';
    bind(a, (struct sockaddr *)&ua, la);
    bind(b, (struct sockaddr *)&ub, la);
    uint64_t gname = galloc(sizeof ub);
    memcpy(H(gname), &ub, la);
    h = H(sm);
    h->msg_name = (void *)(uintptr_t)gname;
    h->msg_namelen = la;
    is_int(call(vj_sys_sendmsg, a, sm, 0, 0, 0), 12, "sendmsg: to a name");
    uint64_t rname = galloc(128);
    h = H(rm);
    h->msg_name = (void *)(uintptr_t)rname;
    h->msg_namelen = 128;
    set_iov(riov, 1, b2, 8);
    is_int(call(vj_sys_recvmsg, b, rm, 0, 0, 0), 12, "recvmsg: from a name");
    is_int(h->msg_namelen, la, "recvmsg: msg_namelen is the sender's");
    ok(memcmp(H(rname), &ua, la) == 0, "recvmsg: msg_name is the sender's address");
    ok(h->msg_name == (void *)(uintptr_t)rname, "recvmsg: msg_name pointer untouched");
    close(a);
    close(b);
    close(sp[0]);
    close(sp[1]);
}

static void test_bad_pointers(void)
{
    int sp[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
    uint64_t iov, m = gmsg(&iov, 1);
    set_iov(iov, 0, gstr("x"), 1);
    is_int(call(vj_sys_sendmsg, sp[0], OUTSIDE, 0, 0, 0), -EFAULT, "sendmsg: msghdr outside");
    is_int(call(vj_sys_sendmsg, sp[0], HOLE, 0, 0, 0), -EFAULT, "sendmsg: msghdr unmapped");
    is_int(call(vj_sys_recvmsg, sp[1], HOLE, 0, 0, 0), -EFAULT, "recvmsg: msghdr unmapped");
    is_int(call(vj_sys_sendmsg, 9999, HOLE, 0, 0, 0), -EBADF, "sendmsg: EBADF before EFAULT");
    struct msghdr *h = H(m);
    h->msg_iov = (struct iovec *)(uintptr_t)HOLE;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EFAULT, "sendmsg: msg_iov unmapped");
    h->msg_iov = (struct iovec *)(uintptr_t)OUTSIDE;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EFAULT, "sendmsg: msg_iov outside");
    h->msg_iov = (struct iovec *)(uintptr_t)iov;
    set_iov(iov, 0, MEM_SIZE - 4, 8);
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EFAULT, "sendmsg: iov_base runs past the end");
    set_iov(iov, 0, 0x7ff000000000ULL, 8);
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EFAULT, "sendmsg: iov_base in the monitor region");
    set_iov(iov, 0, gstr("x"), (uint64_t)-1);
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EINVAL, "sendmsg: negative iov_len is EINVAL");
    set_iov(iov, 0, gstr("x"), 1);
    h->msg_iovlen = 1025;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EMSGSIZE, "sendmsg: 1025 iovecs");
    h->msg_iovlen = 1;
    h->msg_control = (void *)(uintptr_t)HOLE;
    h->msg_controllen = 32;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EFAULT, "sendmsg: msg_control unmapped");
    h->msg_controllen = 1ULL << 40;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -ENOBUFS, "sendmsg: msg_controllen 2^40");
    h->msg_control = NULL;
    h->msg_controllen = 0;
    h->msg_name = (void *)(uintptr_t)OUTSIDE;
    h->msg_namelen = 16;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EFAULT, "sendmsg: msg_name outside");
    h->msg_namelen = 0;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), 1, "sendmsg: msg_name outside, length 0");
    h->msg_name = NULL;

    /* the monitor's own descriptor */
    P.trace_fd = dup(sp[0]);
    is_int(call(vj_sys_sendmsg, P.trace_fd, m, 0, 0, 0), -EBADF, "sendmsg: on the monitor's fd");
    is_int(call(vj_sys_recvmsg, P.trace_fd, m, 0, 0, 0), -EBADF, "recvmsg: on the monitor's fd");
    is_int(call(vj_sys_sendmmsg, P.trace_fd, m, 1, 0, 0), -EBADF, "sendmmsg: on the monitor's fd");
    is_int(call(vj_sys_recvmmsg, P.trace_fd, m, 1, 0, 0), -EBADF, "recvmmsg: on the monitor's fd");
    close(P.trace_fd);
    P.trace_fd = -1;

    /* a receive buffer that runs past the end of guest memory is shortened */
    is_int(send(sp[0], "tail!", 5, 0), 5, "native send");
    uint64_t riov, rm = gmsg(&riov, 1);
    /* first drain the datagram sent above */
    uint64_t d = galloc(16);
    set_iov(riov, 0, d, 16);
    is_int(call(vj_sys_recvmsg, sp[1], rm, 0, 0, 0), 1, "recvmsg: the earlier datagram");
    set_iov(riov, 0, MEM_SIZE - 8, 4096);
    is_int(call(vj_sys_recvmsg, sp[1], rm, 0, 0, 0), 5, "recvmsg: buffer past the end shortened");
    ok(memcmp(H(MEM_SIZE - 8), "tail!", 5) == 0, "recvmsg: data at the end of guest memory");
    is_int(send(sp[0], "0123456789", 10, 0), 10, "native send");
    is_int(call(vj_sys_recvmsg, sp[1], rm, 0, 0, 0), 8, "recvmsg: truncated to what fits");
    is_int(((struct msghdr *)H(rm))->msg_flags, MSG_TRUNC, "recvmsg: MSG_TRUNC");
    close(sp[0]);
    close(sp[1]);
}

static void test_rights_send(void)
{
    int sp[2], pp[2];
    int free_before = lowest_free();
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pipe(pp);
    write(pp[1], "piped", 5);
    uint64_t iov, m = gmsg(&iov, 1);
    set_iov(iov, 0, gstr("D"), 1);
    uint64_t ctl = galloc(CMSG_SPACE(sizeof(int)) + CMSG_SPACE(2 * sizeof(int)));
    struct msghdr *h = H(m);
    h->msg_control = (void *)(uintptr_t)ctl;
    h->msg_controllen = CMSG_SPACE(sizeof(int)) + CMSG_SPACE(2 * sizeof(int));
    /* two SCM_RIGHTS messages: {pp[0]} and {pp[1], X} */
    struct cmsghdr *c1 = H(ctl);
    c1->cmsg_level = SOL_SOCKET;
    c1->cmsg_type = SCM_RIGHTS;
    c1->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c1), &pp[0], sizeof(int));
    struct cmsghdr *c2 = (struct cmsghdr *)((char *)c1 + CMSG_SPACE(sizeof(int)));
    c2->cmsg_level = SOL_SOCKET;
    c2->cmsg_type = SCM_RIGHTS;
    c2->cmsg_len = CMSG_LEN(2 * sizeof(int));
    P.trace_fd = dup(pp[1]);
    int second[2] = {pp[1], P.trace_fd};
    memcpy(CMSG_DATA(c2), second, sizeof second);
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EBADF,
           "sendmsg: the monitor's fd in the second SCM_RIGHTS is refused");
    second[1] = pp[1];
    memcpy(CMSG_DATA(c2), second, sizeof second);
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), 1, "sendmsg: three payload fds pass");
    close(P.trace_fd);
    P.trace_fd = -1;

    /* receive them natively: three descriptors, the first reads "piped" */
    char buf[CMSG_SPACE(3 * sizeof(int)) + 64], byte;
    struct iovec v = {&byte, 1};
    struct msghdr r = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = buf,
                       .msg_controllen = sizeof buf};
    is_int(recvmsg(sp[1], &r, 0), 1, "native recvmsg of what the guest sent");
    int n = 0, first = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&r); c; c = CMSG_NXTHDR(&r, c)) {
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (n++ == 0)
                first = fd;
            else
                close(fd);
        }
    }
    is_int(n, 3, "three descriptors arrived");
    char got[8] = "";
    read(first, got, 5);
    is_str(got, "piped", "the first one is the pipe's read end");
    close(first);

    /* a malformed control message is left to the host (EINVAL) */
    c1->cmsg_len = 1000;
    is_int(call(vj_sys_sendmsg, sp[0], m, 0, 0, 0), -EINVAL, "sendmsg: malformed cmsg_len");
    close(pp[0]);
    close(pp[1]);
    close(sp[0]);
    close(sp[1]);
    is_int(lowest_free(), free_before, "no descriptor leaked");
}

static void test_rights_recv(void)
{
    int sp[2], pp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pipe(pp);
    write(pp[1], "ok", 2);
    int mem = open("/proc/self/mem", O_RDONLY);
    ok(mem >= 0, "open /proc/self/mem (to send)");
    int fds[3] = {pp[0], mem, pp[1]};
    native_send_fds(sp[0], fds, 3);
    close(mem);
    int free_before = lowest_free();

    uint64_t iov, m = gmsg(&iov, 1);
    uint64_t d = galloc(8), ctl = galloc(256);
    set_iov(iov, 0, d, 8);
    struct msghdr *h = H(m);
    h->msg_control = (void *)(uintptr_t)ctl;
    h->msg_controllen = 256;
    is_int(call(vj_sys_recvmsg, sp[1], m, 0, 0, 0), 1, "recvmsg: one byte with three fds");
    is_int(h->msg_controllen, CMSG_SPACE(3 * sizeof(int)), "recvmsg: msg_controllen");
    ok(h->msg_flags & MSG_CTRUNC, "recvmsg: MSG_CTRUNC when one was refused");
    struct cmsghdr *c = H(ctl);
    int got[3];
    memcpy(got, CMSG_DATA(c), sizeof got);
    ok(c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
           c->cmsg_len == CMSG_LEN(3 * sizeof(int)), "recvmsg: the SCM_RIGHTS header");
    is_int(got[1], -1, "recvmsg: /proc/self/mem refused, -1 in its place");
    ok(got[0] >= 0 && got[2] >= 0, "recvmsg: the pipe ends arrive");
    char buf[4] = "";
    is_int(read(got[0], buf, 2), 2, "the received pipe end reads");
    close(got[0]);
    close(got[2]);
    is_int(lowest_free(), free_before, "recvmsg: the refused descriptor was closed");

    /* a control buffer the payload cannot receive into: the descriptors are closed */
    native_send_fds(sp[0], fds, 1);
    h->msg_control = (void *)(uintptr_t)HOLE;
    h->msg_controllen = 64;
    h->msg_flags = 0;
    is_int(call(vj_sys_recvmsg, sp[1], m, 0, 0, 0), 1, "recvmsg: msg_control unmapped");
    is_int(h->msg_controllen, 0, "recvmsg: msg_controllen 0");
    ok(h->msg_flags & MSG_CTRUNC, "recvmsg: MSG_CTRUNC");
    is_int(lowest_free(), free_before, "recvmsg: undeliverable descriptors closed");

    /* no control buffer at all: the kernel drops them (MSG_CTRUNC) */
    native_send_fds(sp[0], fds, 1);
    h->msg_control = NULL;
    h->msg_controllen = 64;
    is_int(call(vj_sys_recvmsg, sp[1], m, 0, 0, 0), 1, "recvmsg: msg_control NULL");
    ok(h->msg_flags & MSG_CTRUNC, "recvmsg: MSG_CTRUNC");
    is_int(h->msg_controllen, 0, "recvmsg: msg_controllen 0");
    is_int(lowest_free(), free_before, "recvmsg: nothing installed");

    /* the msghdr cannot be written back: EFAULT */
    native_send_fds(sp[0], fds, 1);
    h->msg_control = (void *)(uintptr_t)ctl;
    h->msg_controllen = 64;
    uint64_t ro = galloc(PG * 2);
    ro = (ro + PG - 1) & ~(PG - 1);
    memcpy(H(ro), h, sizeof *h);
    mprotect(P.mem + ro, PG, PROT_READ);
    is_int(call(vj_sys_recvmsg, sp[1], ro, 0, 0, 0), -EFAULT, "recvmsg: read-only msghdr");
    mprotect(P.mem + ro, PG, PROT_READ | PROT_WRITE);
    int leaked;
    memcpy(&leaked, CMSG_DATA((struct cmsghdr *)H(ctl)), sizeof leaked);
    if (leaked >= 0)
        close(leaked); /* delivered into the buffer, as Linux does */
    close(pp[0]);
    close(pp[1]);
    close(sp[0]);
    close(sp[1]);
}

static void test_mmsg(void)
{
    int sp[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
    int a = sp[0], b = sp[1];
    /* sendmmsg: three messages; msg_len of each */
    uint64_t vec = galloc(3 * sizeof(struct mmsghdr));
    struct mmsghdr *mv = H(vec);
    const char *words[3] = {"one", "three", "seventh"};
    for (int i = 0; i < 3; i++) {
        uint64_t iov = galloc(sizeof(struct iovec));
        set_iov(iov, 0, gstr(words[i]), strlen(words[i]));
        mv[i].msg_hdr.msg_iov = (struct iovec *)(uintptr_t)iov;
        mv[i].msg_hdr.msg_iovlen = 1;
        mv[i].msg_len = 999;
    }
    is_int(call(vj_sys_sendmmsg, a, vec, 3, 0, 0), 3, "sendmmsg: 3");
    ok(mv[0].msg_len == 3 && mv[1].msg_len == 5 && mv[2].msg_len == 7, "sendmmsg: msg_len");
    /* a bad iovec in the second: one sent */
    mv[1].msg_hdr.msg_iov = (struct iovec *)(uintptr_t)HOLE;
    mv[1].msg_len = 999;
    is_int(call(vj_sys_sendmmsg, a, vec, 3, 0, 0), 1, "sendmmsg: stops at a bad message");
    is_int(mv[1].msg_len, 999, "sendmmsg: its msg_len untouched");
    is_int(call(vj_sys_sendmmsg, a, HOLE, 3, 0, 0), -EFAULT, "sendmmsg: bad vector");
    is_int(call(vj_sys_sendmmsg, a, HOLE, 0, 0, 0), 0, "sendmmsg: vlen 0");
    is_int(call(vj_sys_sendmmsg, 9999, vec, 0, 0, 0), -EBADF, "sendmmsg: vlen 0 on a bad fd");

    /* recvmmsg: four entries for four datagrams queued; a timeout in guest memory */
    uint64_t rvec = galloc(5 * sizeof(struct mmsghdr));
    struct mmsghdr *rv = H(rvec);
    uint64_t bufs = galloc(5 * 16);
    for (int i = 0; i < 5; i++) {
        uint64_t iov = galloc(sizeof(struct iovec));
        set_iov(iov, 0, bufs + (uint64_t)i * 16, 15);
        rv[i].msg_hdr.msg_iov = (struct iovec *)(uintptr_t)iov;
        rv[i].msg_hdr.msg_iovlen = 1;
        rv[i].msg_len = 999;
    }
    uint64_t tmo = galloc(16);
    ((int64_t *)H(tmo))[0] = 5;
    is_int(call(vj_sys_recvmmsg, b, rvec, 5, MSG_DONTWAIT, tmo), 4, "recvmmsg: 4 queued");
    ok(rv[0].msg_len == 3 && rv[1].msg_len == 5 && rv[2].msg_len == 7 && rv[3].msg_len == 3 &&
           rv[4].msg_len == 999, "recvmmsg: msg_len of each, the fifth untouched");
    ok(strcmp(H(bufs + 16), "three") == 0 && strcmp(H(bufs + 48), "one") == 0, "recvmmsg: data");
    ok(((int64_t *)H(tmo))[0] <= 5, "recvmmsg: the timeout was updated in guest memory");
    is_int(call(vj_sys_recvmmsg, b, rvec, 2, MSG_DONTWAIT, 0), -EAGAIN, "recvmmsg: empty");
    is_int(call(vj_sys_recvmmsg, b, rvec, 2, 0, HOLE), -EFAULT, "recvmmsg: bad timeout");
    is_int(call(vj_sys_recvmmsg, b, HOLE, 2, MSG_DONTWAIT, 0), -EFAULT, "recvmmsg: bad vector");

    /* a vector whose second entry is unmapped: one datagram received, one left */
    mv[1].msg_hdr.msg_iov = mv[0].msg_hdr.msg_iov;
    is_int(call(vj_sys_sendmmsg, a, vec, 2, 0, 0), 2, "sendmmsg: two more");
    uint64_t edge = HOLE - sizeof(struct mmsghdr);
    memcpy(H(edge), &rv[0], sizeof rv[0]);
    is_int(call(vj_sys_recvmmsg, b, edge, 2, MSG_DONTWAIT, 0), 1, "recvmmsg: up to the hole");
    is_int(call(vj_sys_recvmmsg, b, rvec, 2, MSG_DONTWAIT, 0), 1, "recvmmsg: the other one left");

    /* descriptors received by recvmmsg are vetted too */
    int mem = open("/proc/self/mem", O_RDONLY);
    native_send_fds(a, &mem, 1);
    close(mem);
    int free_before = lowest_free();
    uint64_t ctl = galloc(64);
    rv[0].msg_hdr.msg_control = (void *)(uintptr_t)ctl;
    rv[0].msg_hdr.msg_controllen = 64;
    is_int(call(vj_sys_recvmmsg, b, rvec, 1, MSG_DONTWAIT, 0), 1, "recvmmsg: a datagram with a fd");
    int got;
    memcpy(&got, CMSG_DATA((struct cmsghdr *)H(ctl)), sizeof got);
    is_int(got, -1, "recvmmsg: /proc/self/mem refused");
    ok(rv[0].msg_hdr.msg_flags & MSG_CTRUNC, "recvmmsg: MSG_CTRUNC");
    is_int(lowest_free(), free_before, "recvmmsg: nothing leaked");
    close(a);
    close(b);
}

int main(void)
{
    setup();
    test_roundtrip();
    test_bad_pointers();
    test_rights_send();
    test_rights_recv();
    test_mmsg();
    return done_testing();
}
