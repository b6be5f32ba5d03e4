/* fuzz_snapshot.c: libFuzzer target for the snapshot file's parser (src/monitor/
 * snapshot_format.c), which a restore runs on a file it must treat as hostile: the input is a
 * whole snapshot file image.  Where the header's metadata range lies inside the input and the
 * first reserved byte is odd, the metadata's checksum is made right first, so that the fuzzer
 * reaches the records behind it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/snapshot_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

volatile uint64_t fuzz_snapshot_sink; /* what was read, so that the reads are kept */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    struct vj_snap_header h;
    if (size >= sizeof h) {
        memcpy(&h, copy, sizeof h);
        if ((h.reserved[0] & 1) && h.meta_offset <= size && h.meta_size <= size - h.meta_offset) {
            h.meta_crc = vj_snap_crc32(copy + h.meta_offset, (size_t)h.meta_size);
            memcpy(copy, &h, sizeof h);
        }
    }
    struct vj_snap s;
    const char *why = NULL;
    if (vj_snap_parse(copy, size, &s, &why) == 0) {
        /* Touch what a restore reads: every pointer and length must be inside the input. */
        uint64_t sum = 0;
        for (size_t i = 0; i < s.nvmas; i++)
            sum += s.vmas[i].start + s.vmas[i].end + s.vmas[i].data;
        for (size_t i = 0; i < s.nfds; i++)
            for (uint32_t k = 0; k < s.fds[i].tail_len; k++)
                sum += s.fd_tails[i][k];
        for (size_t i = 0; i < s.proc.fpu_size; i++)
            sum += s.fpu[i];
        for (size_t i = 0; i < VJ_SNAP_SIGACT_SIZE; i++)
            sum += s.sigact[i];
        sum += (uint64_t)s.exe[s.exe_len - 1] + (uint64_t)s.cwd[s.cwd_len - 1];
        sum += (uint64_t)s.cmdline[s.cmdline_len - 1] + (uint64_t)s.environ[s.environ_len - 1];
        if (s.interp)
            sum += (uint64_t)s.interp[s.interp_len - 1];
        fuzz_snapshot_sink = sum;
        vj_snap_free(&s);
    }
    free(copy);
    return 0;
}
