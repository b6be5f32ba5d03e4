/* test_gdb_proto.c: unit tests of gdb's remote protocol layer (src/monitor/gdb_proto.c) and the
 * register layout (gdb_regs.c): framing, checksums, escapes, command fields, bad input. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "monitor/gdb.h"
#include "monitor/gdb_proto.h"
#include "tap.h"

static struct vj_gdb_rx rx;

/* Feed S; the last event other than NONE. */
static int feed(const char *s, size_t n)
{
    int last = VJ_GDB_EV_NONE;
    for (size_t i = 0; i < n; i++) {
        int e = vj_gdb_rx_byte(&rx, (uint8_t)s[i]);
        if (e != VJ_GDB_EV_NONE)
            last = e;
    }
    return last;
}

static void test_rx(void)
{
    vj_gdb_rx_init(&rx);
    is_int(feed("$g#67", 5), VJ_GDB_EV_PACKET, "g with its checksum");
    is_str(rx.buf, "g", "its data");
    is_int(feed("$g#68", 5), VJ_GDB_EV_BAD, "a bad checksum");
    is_int(feed("$g#6z", 5), VJ_GDB_EV_BAD, "a checksum that is not hex");
    is_int(feed("\x03", 1), VJ_GDB_EV_INTR, "^C between packets");
    is_int(feed("+", 1), VJ_GDB_EV_ACK, "ack");
    is_int(feed("-", 1), VJ_GDB_EV_NAK, "nak");
    /* X packet data: '}' escapes the next byte (xor 0x20); the checksum covers what was sent */
    is_int(feed("$X0,1:}]#", 9) == VJ_GDB_EV_NONE && feed("f9", 2) == VJ_GDB_EV_PACKET, 1,
           "an escaped byte");
    is_int(rx.len, 6, "unescaped length");
    is_int((uint8_t)rx.buf[5], '}', "the escaped byte is '}'");
    is_int(feed("$ab$g#67", 8), VJ_GDB_EV_PACKET, "a '$' inside starts the packet again");
    is_str(rx.buf, "g", "... with the new data");
    static char big[VJ_GDB_PACKET_MAX + 16];
    memset(big, 'a', sizeof big);
    big[0] = '$';
    int r = feed(big, sizeof big);
    is_int(r, VJ_GDB_EV_NONE, "a long packet is not complete yet");
    is_int(feed("#00", 3), VJ_GDB_EV_BAD, "a packet too long is refused");
}

static void test_frame(void)
{
    char out[64];
    size_t n = vj_gdb_frame("OK", 2, out, sizeof out);
    out[n] = '\0';
    is_str(out, "$OK#9a", "OK framed");
    n = vj_gdb_frame("a$#}*", 5, out, sizeof out);
    out[n] = '\0';
    is_str(out, "$a}\x04}\x03}]}\x0a#c3", "'$' '#' '}' '*' escaped");
    vj_gdb_rx_init(&rx);
    is_int(feed(out, n), VJ_GDB_EV_PACKET, "a framed packet reads back");
    is_int(rx.len == 5 && memcmp(rx.buf, "a$#}*", 5) == 0, 1, "... as it was");
    is_int(vj_gdb_frame("OK", 2, out, 5), 0, "no room: 0");
    uint8_t b[3];
    ok(vj_gdb_hex_decode("0aFf10", 3, b) && b[0] == 10 && b[1] == 255 && b[2] == 16, "hex");
    ok(!vj_gdb_hex_decode("0g", 1, b), "not hex");
}

static struct vj_gdb_cmd cmd;

static int parse(const char *s)
{
    vj_gdb_parse(s, strlen(s), &cmd);
    return cmd.kind;
}

static void test_parse(void)
{
    is_int(parse("m401000,10"), VJ_GDB_READ_MEM, "m");
    ok(cmd.addr == 0x401000 && cmd.len == 16, "m's fields");
    is_int(parse("m401000"), VJ_GDB_MALFORMED, "m without a length");
    is_int(parse("m11111111111111111,1"), VJ_GDB_MALFORMED, "m with an address over 64 bits");
    is_int(parse("M10,2:abcd"), VJ_GDB_WRITE_MEM, "M");
    is_int(parse("M10,2:abc"), VJ_GDB_MALFORMED, "M with too little data");
    is_int(parse("Z0,4016d7,1"), VJ_GDB_INSERT_BP, "Z0");
    ok(cmd.type == 0 && cmd.addr == 0x4016d7, "Z0's fields");
    is_int(parse("z0,4016d7,1"), VJ_GDB_REMOVE_BP, "z0");
    is_int(parse("Z9,1,1"), VJ_GDB_MALFORMED, "Z of an unknown type");
    is_int(parse("vCont;s:3739;c"), VJ_GDB_VCONT, "vCont");
    ok(cmd.nactions == 2 && cmd.actions[0].op == 's' && cmd.actions[0].tid == 0x3739 &&
           cmd.actions[1].op == 'c' && cmd.actions[1].tid == VJ_GDB_TID_ALL,
       "vCont's actions");
    is_int(parse("vCont;C0b:1"), VJ_GDB_VCONT, "vCont C with a signal");
    is_int(cmd.actions[0].sig, 11, "its signal");
    is_int(parse("vCont;x"), VJ_GDB_MALFORMED, "vCont with an unknown action");
    is_int(parse("vCont;"), VJ_GDB_MALFORMED, "vCont with an empty action");
    is_int(parse("Hg-1"), VJ_GDB_SET_THREAD, "Hg-1");
    is_int(cmd.tid, VJ_GDB_TID_ALL, "all threads");
    is_int(parse("Hc0"), VJ_GDB_SET_THREAD, "Hc0");
    is_int(parse("Hx1"), VJ_GDB_MALFORMED, "H of an unknown kind");
    is_int(parse("p10"), VJ_GDB_READ_REG, "p");
    is_int(cmd.reg, 16, "p's register");
    is_int(parse("P10=0011223344556677"), VJ_GDB_WRITE_REG, "P");
    is_int(parse("qXfer:features:read:target.xml:0,ffb"), VJ_GDB_XFER_READ, "qXfer");
    ok(cmd.object_len == 8 && memcmp(cmd.object, "features", 8) == 0 && cmd.annex_len == 10 &&
           cmd.addr == 0 && cmd.len == 0xffb,
       "qXfer's fields");
    is_int(parse("qXfer:features:write:x:0,1"), VJ_GDB_MALFORMED, "qXfer write");
    is_int(parse("qSupported:multiprocess+;swbreak+"), VJ_GDB_Q_SUPPORTED, "qSupported");
    is_int(parse("c"), VJ_GDB_CONTINUE, "c");
    is_int(parse("s401000"), VJ_GDB_STEP, "s ADDR");
    ok(cmd.has_addr && cmd.addr == 0x401000, "s's address");
    is_int(parse("C05"), VJ_GDB_CONTINUE_SIG, "C");
    is_int(parse("C00"), VJ_GDB_MALFORMED, "C of signal 0");
    is_int(parse("qfThreadInfo"), VJ_GDB_THREAD_FIRST, "qfThreadInfo");
    is_int(parse("qRcmd,6869"), VJ_GDB_UNKNOWN, "an unknown packet");
    is_int(parse(""), VJ_GDB_UNKNOWN, "an empty packet");
}

static void test_signals_and_regs(void)
{
    is_int(vj_gdb_signal_from_host(11), 11, "SIGSEGV");
    is_int(vj_gdb_signal_from_host(7), 10, "Linux's SIGBUS is gdb's 10");
    is_int(vj_gdb_signal_from_host(10), 30, "Linux's SIGUSR1 is gdb's 30");
    is_int(vj_gdb_signal_to_host(10), 7, "and back");
    is_int(vj_gdb_signal_from_host(64), 0, "no number for a real-time signal");
    struct vj_vcpu_snapshot s;
    memset(&s, 0, sizeof s);
    s.regs.rip = 0x401000;
    s.regs.rsp = 0x7ff0;
    s.fs_base = 0x1234;
    uint8_t v[16];
    uint64_t x;
    is_int(vj_gdb_reg_get(&s, 16, v), 8, "rip is 8 bytes");
    memcpy(&x, v, 8);
    is_int(x, 0x401000, "rip");
    vj_gdb_reg_get(&s, 7, v);
    memcpy(&x, v, 8);
    is_int(x, 0x7ff0, "rsp is register 7");
    vj_gdb_reg_get(&s, 58, v);
    memcpy(&x, v, 8);
    is_int(x, 0x1234, "fs_base is register 58");
    is_int(vj_gdb_reg_get(&s, 24, v), 10, "st0 is 10 bytes");
    is_int(vj_gdb_reg_get(&s, 40, v), 16, "xmm0 is 16 bytes");
    is_int(vj_gdb_reg_get(&s, VJ_GDB_NREGS, v), 0, "no register past the last");
    size_t total = 0;
    for (unsigned r = 0; r < VJ_GDB_NREGS; r++)
        total += vj_gdb_reg_get(&s, r, v);
    is_int(total, 560, "the g packet's size");
    uint8_t nv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ok(vj_gdb_reg_set(&s, 0, nv, 8) && s.regs.rax == 0x0807060504030201ULL, "P rax");
    ok(!vj_gdb_reg_set(&s, 0, nv, 4), "P with the wrong size");
    /* the target description names each register once, in order */
    const char *xml = vj_gdb_target_xml();
    int regs = 0;
    for (const char *p = xml; (p = strstr(p, "<reg ")) != NULL; p++)
        regs++;
    is_int(regs, VJ_GDB_NREGS, "target.xml has every register");
    ok(strstr(xml, "\"fs_base\"") && strstr(xml, "org.gnu.gdb.i386.linux"), "fs_base, linux");
}

int main(void)
{
    test_rx();
    test_frame();
    test_parse();
    test_signals_and_regs();
    return done_testing();
}
