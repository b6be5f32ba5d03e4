/* fuzz_elf.c: libFuzzer target for the ELF checks (src/loader/elf.c): the input is a whole
 * file; its header, then its program header table, are parsed as the loader parses them. */
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "loader/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vj_elf_info info;
    vmjail_error *err = NULL;
    size_t head = size < 64 ? size : 64;
    if (vj_elf_parse_header(data, head, size, &info, &err) < 0) {
        vmjail_error_free(err);
        return 0;
    }
    /* The loader reads the table at phoff, what the file holds of it. */
    size_t want = (size_t)info.phnum * 56;
    if (info.phoff > size)
        return 0;
    size_t have = size - (size_t)info.phoff < want ? size - (size_t)info.phoff : want;
    if (vj_elf_parse_phdrs(data + info.phoff, have, &info, &err) < 0)
        vmjail_error_free(err);
    return 0;
}
