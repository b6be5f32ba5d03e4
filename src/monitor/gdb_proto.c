/* gdb_proto.c: gdb's remote serial protocol as bytes: the packet receiver, framing, hex, and
 * the parse of a packet into a command.  Any bytes are safe here: every field is bounded by the
 * packet's length, and a field that does not parse makes the command MALFORMED. */
#include "monitor/gdb_proto.h"

#include <string.h>

enum { RX_IDLE, RX_DATA, RX_SUM1, RX_SUM2 };

void vj_gdb_rx_init(struct vj_gdb_rx *rx)
{
    rx->state = RX_IDLE;
    rx->len = 0;
    rx->buf[0] = '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum vj_gdb_event vj_gdb_rx_byte(struct vj_gdb_rx *rx, uint8_t b)
{
    switch (rx->state) {
    case RX_IDLE:
        if (b == '$') {
            rx->state = RX_DATA;
            rx->len = 0;
            rx->sum = 0;
            rx->escape = false;
            rx->overflow = false;
            return VJ_GDB_EV_NONE;
        }
        if (b == 0x03)
            return VJ_GDB_EV_INTR;
        if (b == '+')
            return VJ_GDB_EV_ACK;
        if (b == '-')
            return VJ_GDB_EV_NAK;
        return VJ_GDB_EV_NONE; /* noise between packets */
    case RX_DATA:
        if (b == '#') {
            rx->state = RX_SUM1;
            return VJ_GDB_EV_NONE;
        }
        if (b == '$') { /* a new packet before this one ended: start again */
            rx->len = 0;
            rx->sum = 0;
            rx->escape = false;
            rx->overflow = false;
            return VJ_GDB_EV_NONE;
        }
        rx->sum = (uint8_t)(rx->sum + b);
        if (!rx->escape && b == '}') {
            rx->escape = true;
            return VJ_GDB_EV_NONE;
        }
        if (rx->escape) {
            b ^= 0x20;
            rx->escape = false;
        }
        if (rx->len >= VJ_GDB_PACKET_MAX)
            rx->overflow = true;
        else
            rx->buf[rx->len++] = (char)b;
        return VJ_GDB_EV_NONE;
    case RX_SUM1: {
        int v = hexval(b);
        rx->want = (uint8_t)((v < 0 ? 0 : v) << 4);
        rx->overflow |= v < 0;
        rx->state = RX_SUM2;
        return VJ_GDB_EV_NONE;
    }
    default: {
        int v = hexval(b);
        rx->state = RX_IDLE;
        rx->buf[rx->len] = '\0';
        if (v < 0 || rx->overflow || rx->escape || (uint8_t)(rx->want | v) != rx->sum)
            return VJ_GDB_EV_BAD;
        return VJ_GDB_EV_PACKET;
    }
    }
}

size_t vj_gdb_frame(const void *data, size_t len, char *out, size_t cap)
{
    const uint8_t *d = data;
    size_t n = 0;
    uint8_t sum = 0;
    if (cap < 4)
        return 0;
    out[n++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t b = d[i];
        bool esc = b == '$' || b == '#' || b == '}' || b == '*';
        if (n + (esc ? 2 : 1) + 3 > cap)
            return 0;
        if (esc) {
            out[n++] = '}';
            sum = (uint8_t)(sum + '}');
            b ^= 0x20;
        }
        out[n++] = (char)b;
        sum = (uint8_t)(sum + b);
    }
    static const char hex[] = "0123456789abcdef";
    out[n++] = '#';
    out[n++] = hex[sum >> 4];
    out[n++] = hex[sum & 15];
    return n;
}

void vj_gdb_hex_encode(const void *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *b = in;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
}

bool vj_gdb_hex_decode(const char *in, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval((unsigned char)in[2 * i]), lo = hexval((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* ---- the command parser: a cursor over the packet ------------------------------------------ */

struct cur {
    const char *p, *end;
};

static bool at_end(const struct cur *c)
{
    return c->p >= c->end;
}

static bool eat(struct cur *c, char ch)
{
    if (at_end(c) || *c->p != ch)
        return false;
    c->p++;
    return true;
}

/* A hex number of at least one digit, at most 64 bits. */
static bool hex_u64(struct cur *c, uint64_t *v)
{
    uint64_t x = 0;
    int n = 0;
    while (!at_end(c) && hexval((unsigned char)*c->p) >= 0) {
        if (x >> 60)
            return false;
        x = x << 4 | (uint64_t)hexval((unsigned char)*c->p);
        c->p++;
        n++;
    }
    *v = x;
    return n > 0;
}

/* A thread id: "-1", or a hex number (the multiprocess form pPID.TID is not offered). */
static bool thread_id(struct cur *c, long long *tid)
{
    if (eat(c, '-')) {
        if (!eat(c, '1'))
            return false;
        *tid = VJ_GDB_TID_ALL;
        return true;
    }
    uint64_t v;
    if (!hex_u64(c, &v) || v > 0x7fffffff)
        return false;
    *tid = (long long)v;
    return true;
}

static bool starts(const char *pkt, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && memcmp(pkt, word, n) == 0;
}

static bool is(const char *pkt, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(pkt, word, len) == 0;
}

/* ADDR,LEN */
static bool addr_len(struct cur *c, struct vj_gdb_cmd *cmd)
{
    return hex_u64(c, &cmd->addr) && eat(c, ',') && hex_u64(c, &cmd->len);
}

static void parse_vcont(struct cur *c, struct vj_gdb_cmd *cmd)
{
    cmd->kind = VJ_GDB_MALFORMED;
    cmd->nactions = 0;
    while (eat(c, ';')) {
        if (cmd->nactions == VJ_GDB_VCONT_MAX || at_end(c))
            return;
        struct vj_gdb_action *a = &cmd->actions[cmd->nactions++];
        a->op = *c->p++;
        a->sig = 0;
        a->tid = VJ_GDB_TID_ALL;
        if (a->op == 'C' || a->op == 'S') {
            uint64_t s;
            if (!hex_u64(c, &s) || s == 0 || s > 64)
                return;
            a->sig = (int)s;
        } else if (a->op != 'c' && a->op != 's' && a->op != 't') {
            return;
        }
        if (eat(c, ':') && !thread_id(c, &a->tid))
            return;
    }
    if (at_end(c) && cmd->nactions > 0)
        cmd->kind = VJ_GDB_VCONT;
}

/* qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH */
static void parse_xfer(struct cur *c, struct vj_gdb_cmd *cmd)
{
    cmd->kind = VJ_GDB_MALFORMED;
    const char *obj = c->p;
    while (!at_end(c) && *c->p != ':')
        c->p++;
    cmd->object = obj;
    cmd->object_len = (size_t)(c->p - obj);
    if (!eat(c, ':') || c->end - c->p < 5 || memcmp(c->p, "read:", 5) != 0)
        return;
    c->p += 5;
    const char *annex = c->p;
    while (!at_end(c) && *c->p != ':')
        c->p++;
    cmd->annex = annex;
    cmd->annex_len = (size_t)(c->p - annex);
    if (eat(c, ':') && addr_len(c, cmd) && at_end(c))
        cmd->kind = VJ_GDB_XFER_READ;
}

void vj_gdb_parse(const char *pkt, size_t len, struct vj_gdb_cmd *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    struct cur c = {pkt + 1, pkt + len};
    if (len == 0)
        return;
    uint64_t v;
    switch (pkt[0]) {
    case '?':
        cmd->kind = len == 1 ? VJ_GDB_STOP_REASON : VJ_GDB_MALFORMED;
        return;
    case 'g':
        cmd->kind = len == 1 ? VJ_GDB_READ_REGS : VJ_GDB_MALFORMED;
        return;
    case 'G':
        cmd->kind = (len - 1) % 2 == 0 ? VJ_GDB_WRITE_REGS : VJ_GDB_MALFORMED;
        cmd->data = c.p;
        cmd->data_len = len - 1;
        return;
    case 'p':
        cmd->kind = hex_u64(&c, &v) && v < 1024 && at_end(&c) ? VJ_GDB_READ_REG
                                                              : VJ_GDB_MALFORMED;
        cmd->reg = (unsigned)v;
        return;
    case 'P':
        cmd->kind = VJ_GDB_MALFORMED;
        if (hex_u64(&c, &v) && v < 1024 && eat(&c, '=') && (c.end - c.p) % 2 == 0) {
            cmd->kind = VJ_GDB_WRITE_REG;
            cmd->reg = (unsigned)v;
            cmd->data = c.p;
            cmd->data_len = (size_t)(c.end - c.p);
        }
        return;
    case 'm':
        cmd->kind = addr_len(&c, cmd) && at_end(&c) ? VJ_GDB_READ_MEM : VJ_GDB_MALFORMED;
        return;
    case 'M':
    case 'X':
        cmd->kind = VJ_GDB_MALFORMED;
        if (addr_len(&c, cmd) && eat(&c, ':')) {
            cmd->data = c.p;
            cmd->data_len = (size_t)(c.end - c.p);
            cmd->binary = pkt[0] == 'X';
            if (cmd->binary ? cmd->data_len == cmd->len : cmd->data_len == 2 * cmd->len)
                cmd->kind = VJ_GDB_WRITE_MEM;
        }
        return;
    case 'Z':
    case 'z':
        cmd->kind = VJ_GDB_MALFORMED;
        if (hex_u64(&c, &v) && v <= 4 && eat(&c, ',') && addr_len(&c, cmd)) {
            cmd->type = (int)v;
            /* Conditions and commands after ';' are not offered (qSupported): ignored. */
            if (at_end(&c) || *c.p == ';')
                cmd->kind = pkt[0] == 'Z' ? VJ_GDB_INSERT_BP : VJ_GDB_REMOVE_BP;
        }
        return;
    case 'c':
    case 's':
        cmd->kind = pkt[0] == 'c' ? VJ_GDB_CONTINUE : VJ_GDB_STEP;
        if (!at_end(&c)) {
            cmd->has_addr = hex_u64(&c, &cmd->addr);
            if (!cmd->has_addr || !at_end(&c))
                cmd->kind = VJ_GDB_MALFORMED;
        }
        return;
    case 'C':
    case 'S':
        cmd->kind = VJ_GDB_MALFORMED;
        if (hex_u64(&c, &v) && v > 0 && v <= 64) {
            cmd->sig = (int)v;
            if (eat(&c, ';'))
                cmd->has_addr = hex_u64(&c, &cmd->addr);
            if (at_end(&c))
                cmd->kind = pkt[0] == 'C' ? VJ_GDB_CONTINUE_SIG : VJ_GDB_STEP_SIG;
        }
        return;
    case 'H':
        cmd->kind = VJ_GDB_MALFORMED;
        if (!at_end(&c)) {
            cmd->op = *c.p++;
            if ((cmd->op == 'g' || cmd->op == 'c') && thread_id(&c, &cmd->tid) && at_end(&c))
                cmd->kind = VJ_GDB_SET_THREAD;
        }
        return;
    case 'T':
        cmd->kind = thread_id(&c, &cmd->tid) && at_end(&c) ? VJ_GDB_THREAD_ALIVE
                                                           : VJ_GDB_MALFORMED;
        return;
    case 'k':
        cmd->kind = VJ_GDB_KILL;
        return;
    case 'D':
        cmd->kind = VJ_GDB_DETACH; /* D or D;pid: one process */
        return;
    default:
        break;
    }
    if (starts(pkt, len, "qSupported"))
        cmd->kind = VJ_GDB_Q_SUPPORTED;
    else if (is(pkt, len, "qfThreadInfo"))
        cmd->kind = VJ_GDB_THREAD_FIRST;
    else if (is(pkt, len, "qsThreadInfo"))
        cmd->kind = VJ_GDB_THREAD_NEXT;
    else if (is(pkt, len, "qC"))
        cmd->kind = VJ_GDB_CURRENT_THREAD;
    else if (starts(pkt, len, "qAttached"))
        cmd->kind = VJ_GDB_ATTACHED;
    else if (is(pkt, len, "QStartNoAckMode"))
        cmd->kind = VJ_GDB_START_NOACK;
    else if (is(pkt, len, "vCont?"))
        cmd->kind = VJ_GDB_VCONT_QUERY;
    else if (starts(pkt, len, "vKill"))
        cmd->kind = VJ_GDB_KILL;
    else if (starts(pkt, len, "vCont;")) {
        c.p = pkt + 5;
        parse_vcont(&c, cmd);
    } else if (starts(pkt, len, "qXfer:")) {
        c.p = pkt + 6;
        parse_xfer(&c, cmd);
    } else if (starts(pkt, len, "qThreadExtraInfo,")) {
        c.p = pkt + 17;
        cmd->kind = thread_id(&c, &cmd->tid) && at_end(&c) ? VJ_GDB_THREAD_EXTRA
                                                           : VJ_GDB_MALFORMED;
    }
}

/* ---- signal numbers: gdb's own (include/gdb/signals.def), not Linux's --------------------- */

static const unsigned char host_to_gdb[32] = {
    [1] = 1,   [2] = 2,   [3] = 3,   [4] = 4,   [5] = 5,   [6] = 6,   [7] = 10,  [8] = 8,
    [9] = 9,   [10] = 30, [11] = 11, [12] = 31, [13] = 13, [14] = 14, [15] = 15, [17] = 20,
    [18] = 19, [19] = 17, [20] = 18, [21] = 21, [22] = 22, [23] = 16, [24] = 24, [25] = 25,
    [26] = 26, [27] = 27, [28] = 28, [29] = 23, [30] = 32, [31] = 12,
};

int vj_gdb_signal_from_host(int sig)
{
    return sig > 0 && sig < 32 ? host_to_gdb[sig] : 0;
}

int vj_gdb_signal_to_host(int gsig)
{
    for (int s = 1; s < 32; s++)
        if (gsig > 0 && host_to_gdb[s] == gsig)
            return s;
    return 0;
}
