/* gdb_proto.h: gdb's remote serial protocol as bytes: packet framing and checksums, hex
 * fields, and the parse of one packet into a command (gdb_proto.c).  Pure: no I/O, no guest. */
#ifndef VJ_GDB_PROTO_H
#define VJ_GDB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VJ_GDB_PACKET_MAX 16384 /* the PacketSize the stub offers (qSupported) */

/* The receiver: fed one byte at a time. */
struct vj_gdb_rx {
    int state;
    size_t len;
    uint8_t sum;       /* running checksum of the packet's bytes as sent */
    uint8_t want;      /* the checksum the packet carries */
    bool escape;       /* the last byte was '}' */
    bool overflow;     /* the packet is longer than VJ_GDB_PACKET_MAX: refused */
    char buf[VJ_GDB_PACKET_MAX + 1]; /* the packet's data, unescaped, NUL-terminated */
};

enum vj_gdb_event {
    VJ_GDB_EV_NONE = 0, /* nothing complete yet */
    VJ_GDB_EV_PACKET,   /* a packet with a good checksum: rx->buf, rx->len (ack it: '+') */
    VJ_GDB_EV_BAD,      /* a packet with a bad checksum or too long (nak it: '-') */
    VJ_GDB_EV_INTR,     /* ^C outside a packet: stop the target */
    VJ_GDB_EV_ACK,      /* '+' */
    VJ_GDB_EV_NAK,      /* '-': send the last packet again */
};

void vj_gdb_rx_init(struct vj_gdb_rx *rx);
enum vj_gdb_event vj_gdb_rx_byte(struct vj_gdb_rx *rx, uint8_t b);

/* Frame LEN bytes of DATA as $DATA#cs into OUT (CAP bytes), escaping '$', '#', '}' and '*'.
 * Returns the framed length, or 0 if it does not fit. */
size_t vj_gdb_frame(const void *data, size_t len, char *out, size_t cap);

/* Hex: encode LEN bytes of IN into OUT (2 * LEN chars, no NUL); decode 2 * N hex digits of IN
 * into N bytes of OUT (false if any is not a hex digit). */
void vj_gdb_hex_encode(const void *in, size_t len, char *out);
bool vj_gdb_hex_decode(const char *in, size_t n, uint8_t *out);

/* One parsed command.  Strings point into the packet (not NUL-terminated unless said). */
enum vj_gdb_cmd_kind {
    VJ_GDB_UNKNOWN = 0, /* answered with an empty packet */
    VJ_GDB_MALFORMED,   /* a known command with bad fields: answered E01 */
    VJ_GDB_Q_SUPPORTED,
    VJ_GDB_STOP_REASON, /* ? */
    VJ_GDB_READ_REGS,   /* g */
    VJ_GDB_WRITE_REGS,  /* G: data, data_len (hex decoded) */
    VJ_GDB_READ_REG,    /* p: reg */
    VJ_GDB_WRITE_REG,   /* P: reg, data */
    VJ_GDB_READ_MEM,    /* m: addr, len */
    VJ_GDB_WRITE_MEM,   /* M: addr, len, data (hex) / X: binary */
    VJ_GDB_INSERT_BP,   /* Z: type, addr, len (kind) */
    VJ_GDB_REMOVE_BP,   /* z */
    VJ_GDB_CONTINUE,    /* c [addr]: has_addr, addr */
    VJ_GDB_STEP,        /* s [addr] */
    VJ_GDB_CONTINUE_SIG, /* C sig[;addr]: sig */
    VJ_GDB_STEP_SIG,    /* S sig[;addr] */
    VJ_GDB_VCONT,       /* vCont;...: actions, nactions */
    VJ_GDB_VCONT_QUERY, /* vCont? */
    VJ_GDB_SET_THREAD,  /* H op tid: op ('g' or 'c'), tid */
    VJ_GDB_THREAD_ALIVE, /* T tid */
    VJ_GDB_THREAD_FIRST, /* qfThreadInfo */
    VJ_GDB_THREAD_NEXT, /* qsThreadInfo */
    VJ_GDB_CURRENT_THREAD, /* qC */
    VJ_GDB_ATTACHED,    /* qAttached */
    VJ_GDB_KILL,        /* k, vKill */
    VJ_GDB_DETACH,      /* D */
    VJ_GDB_XFER_READ,   /* qXfer:object:read:annex:offset,length */
    VJ_GDB_START_NOACK, /* QStartNoAckMode */
    VJ_GDB_THREAD_EXTRA, /* qThreadExtraInfo,tid */
};

/* A thread id as gdb sends it: -1 all, 0 any, else a tid. */
#define VJ_GDB_TID_ALL (-1LL)
#define VJ_GDB_TID_ANY 0LL

#define VJ_GDB_VCONT_MAX 32
struct vj_gdb_action {
    char op;      /* 'c', 's', 'C', 'S', 't' */
    int sig;      /* for C and S */
    long long tid; /* the thread it applies to, or VJ_GDB_TID_ALL */
};

struct vj_gdb_cmd {
    enum vj_gdb_cmd_kind kind;
    uint64_t addr, len;
    unsigned reg;
    int sig;
    int type;          /* Z/z type: 0 software breakpoint, 1 hardware, 2-4 watchpoints */
    char op;           /* H's g or c */
    long long tid;
    bool has_addr;
    const char *data;  /* G, P, M: hex digits; X: binary bytes */
    size_t data_len;   /* characters at data */
    bool binary;       /* data is binary (X), else hex */
    const char *object, *annex; /* qXfer: object ("features") and annex, with lengths */
    size_t object_len, annex_len;
    struct vj_gdb_action actions[VJ_GDB_VCONT_MAX];
    int nactions;
};

/* gdb's signal numbers (its enum gdb_signal) for a host (Linux) signal and back; 0 if none. */
int vj_gdb_signal_from_host(int sig);
int vj_gdb_signal_to_host(int gsig);

/* Parse the packet PKT (LEN bytes, as vj_gdb_rx gives it) into CMD. */
void vj_gdb_parse(const char *pkt, size_t len, struct vj_gdb_cmd *cmd);

#endif
