/* fuzz_net.c: libFuzzer target for the syscall layer's argument decoding (src/monitor/sys_net.c,
 * sys_io.c and the generic pass-through) against a fake guest memory: msghdrs with iovecs and
 * control messages, mmsghdr vectors, iovec arrays and socket addresses, at pointers the input
 * chooses, including ones that straddle a hole or the end of guest memory.  Every call acts on
 * one non-blocking socket pair, so nothing the input asks reaches anything else of the host. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/proc.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"
#include "vmjail_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG 4096ULL
#define MEM_SIZE (8ULL << 20)
#define GUARD (2ULL << 20)
#define ARENA ((uint64_t)VJ_GUEST_MIN) /* read/write */
#define ARENA_SIZE (16 * PG)
#define HOLE (ARENA + ARENA_SIZE) /* one inaccessible page */
#define LAST (MEM_SIZE - PG)      /* the last page of guest memory: read/write */

static struct vj_proc P;
static int sock[2] = {-1, -1};

/* The descriptors open now, of the first MAX_FD: those a call installs (SCM_RIGHTS) are
 * closed after it. */
#define MAX_FD 128
static void open_fds(uint64_t set[MAX_FD / 64])
{
    memset(set, 0, MAX_FD / 8);
    for (int d = 0; d < MAX_FD; d++)
        if (fcntl(d, F_GETFD) >= 0)
            set[d / 64] |= 1ULL << (d % 64);
}

static void setup(void)
{
    memset(&P, 0, sizeof P);
    void *r = mmap(NULL, MEM_SIZE + GUARD, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED || mprotect((uint8_t *)r + ARENA, ARENA_SIZE, PROT_READ | PROT_WRITE) ||
        mprotect((uint8_t *)r + LAST, PG, PROT_READ | PROT_WRITE) ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sock) < 0) {
        perror("fuzz_net setup");
        exit(2);
    }
    P.mem = r;
    P.mem_size = MEM_SIZE;
    P.trace_fd = -1;
}

/* A guest address the input picks: near the start of the arena, up to its end (and the hole
 * after it), in the last page up to the end of guest memory, or outside. */
static uint64_t pick(uint8_t kind, uint16_t off)
{
    switch (kind & 3) {
    case 0:
        return ARENA + off % ARENA_SIZE;
    case 1:
        return HOLE - 1 - off % 256;
    case 2:
        return MEM_SIZE - 1 - off % PG;
    default:
        return off & 1 ? MEM_SIZE + off : (uint64_t)off; /* past the end, or below VJ_GUEST_MIN */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (P.mem == NULL)
        setup();
    struct {
        uint8_t call, kind[3];
        uint16_t off[3];
        uint32_t count, flags;
    } c;
    if (size < sizeof c)
        return 0;
    memcpy(&c, data, sizeof c);
    data += sizeof c;
    size -= sizeof c;
    /* The rest of the input is what guest memory holds: the arena, then the last page. */
    memset(P.mem + ARENA, 0, ARENA_SIZE);
    memset(P.mem + LAST, 0, PG);
    size_t n = size < ARENA_SIZE ? size : ARENA_SIZE;
    memcpy(P.mem + ARENA, data, n);
    memcpy(P.mem + LAST, data + n, size - n < PG ? size - n : PG);

    int fd = sock[c.call & 1];
    uint64_t a0 = pick(c.kind[0], c.off[0]), a1 = pick(c.kind[1], c.off[1]);
    uint64_t a2 = pick(c.kind[2], c.off[2]);
    uint64_t flags = (c.flags & ~(uint64_t)MSG_WAITFORONE) | MSG_DONTWAIT;
    uint64_t args[6] = {(uint64_t)fd, a0, flags, 0, 0, 0};
    uint64_t before[MAX_FD / 64], after[MAX_FD / 64];
    open_fds(before);
    const struct vj_syscall_desc *d;
    switch ((c.call >> 1) % 9) {
    case 0:
        vj_sys_sendmsg(&P, args);
        break;
    case 1:
        vj_sys_recvmsg(&P, args);
        break;
    case 2: /* sendmmsg(fd, vec, vlen, flags) */
        vj_sys_sendmmsg(&P, (uint64_t[6]){(uint64_t)fd, a0, c.count % 2048, flags, 0, 0});
        break;
    case 3: /* recvmmsg(fd, vec, vlen, flags, timeout) */
        vj_sys_recvmmsg(&P, (uint64_t[6]){(uint64_t)fd, a0, c.count % 2048, flags,
                                          c.kind[2] & 4 ? a2 : 0, 0});
        break;
    case 4:
        vj_sys_writev(&P, (uint64_t[6]){(uint64_t)fd, a0, c.count % 2048, 0, 0, 0});
        break;
    case 5:
        vj_sys_readv(&P, (uint64_t[6]){(uint64_t)fd, a0, c.count % 2048, 0, 0, 0});
        break;
    case 6: /* getsockopt(fd, level, name, val, len), through the table */
        d = vj_syscall_lookup(SYS_getsockopt);
        vj_syscall_pass(&P, SYS_getsockopt, d,
                        (uint64_t[6]){(uint64_t)fd, c.count & 1 ? SOL_SOCKET : c.count >> 16,
                                      c.flags & 0xff, a0, a1, 0});
        break;
    case 7: /* getsockname(fd, addr, len) */
        d = vj_syscall_lookup(SYS_getsockname);
        vj_syscall_pass(&P, SYS_getsockname, d, (uint64_t[6]){(uint64_t)fd, a0, a1, 0, 0, 0});
        break;
    default: /* recvfrom(fd, buf, len, flags, addr, addrlen) */
        d = vj_syscall_lookup(SYS_recvfrom);
        vj_syscall_pass(&P, SYS_recvfrom, d,
                        (uint64_t[6]){(uint64_t)fd, a0, c.count, flags, a1, a2});
        break;
    }
    /* Descriptors passed in control messages arrived here: close them. */
    open_fds(after);
    for (int i = 0; i < MAX_FD; i++)
        if ((after[i / 64] & ~before[i / 64]) & (1ULL << (i % 64)))
            close(i);
    return 0;
}
