/* fuzz_gdb.c: libFuzzer target for the gdb stub's packet layer (src/monitor/gdb_proto.c): any
 * bytes fed to the receiver, every packet it completes parsed into a command, framed again and
 * read back identical; a command's fields stay inside the packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/gdb_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vj_gdb_rx rx, back;
static char framed[2 * VJ_GDB_PACKET_MAX + 8];

static void check_fields(const struct vj_gdb_cmd *c, const char *pkt, size_t len)
{
    const char *end = pkt + len;
    if (c->data && (c->data < pkt || c->data + c->data_len > end))
        abort();
    if (c->object && (c->object < pkt || c->object + c->object_len > end))
        abort();
    if (c->annex && (c->annex < pkt || c->annex + c->annex_len > end))
        abort();
    if (c->nactions < 0 || c->nactions > VJ_GDB_VCONT_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vj_gdb_rx_init(&rx);
    for (size_t i = 0; i < size; i++) {
        if (vj_gdb_rx_byte(&rx, data[i]) != VJ_GDB_EV_PACKET)
            continue;
        if (rx.len > VJ_GDB_PACKET_MAX || rx.buf[rx.len] != '\0')
            abort();
        struct vj_gdb_cmd cmd;
        vj_gdb_parse(rx.buf, rx.len, &cmd);
        check_fields(&cmd, rx.buf, rx.len);
        /* what the stub would send back reads back the same */
        size_t n = vj_gdb_frame(rx.buf, rx.len, framed, sizeof framed);
        if (n == 0)
            abort();
        vj_gdb_rx_init(&back);
        int ev = VJ_GDB_EV_NONE;
        for (size_t k = 0; k < n; k++)
            ev = vj_gdb_rx_byte(&back, (uint8_t)framed[k]);
        if (ev != VJ_GDB_EV_PACKET || back.len != rx.len || memcmp(back.buf, rx.buf, rx.len))
            abort();
        uint8_t bin[64];
        size_t h = rx.len / 2 < sizeof bin ? rx.len / 2 : sizeof bin;
        vj_gdb_hex_decode(rx.buf, h, bin);
    }
    return 0;
}
