/* fuzz_faas_spec.c: libFuzzer target for the gateway's function specs (src/faas/spec.c): the
 * input is the body of POST /system/functions; a spec that parses is written back as JSON and
 * must parse again to the same spec. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "faas/faas.h"
#include "lib/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct faas_fn f, g;
    vmjail_error *err = NULL;
    if (faas_fn_parse((const char *)data, size, &f, &err) == 0) {
        if (faas_fn_copy(&f, &g, &err) != 0)
            abort(); /* what was written must read back */
        if (strcmp(f.name, g.name) || f.nenv != g.nenv || f.nargs != g.nargs ||
            f.nfiles != g.nfiles || f.memory != g.memory || f.timeout != g.timeout ||
            f.max_inflight != g.max_inflight || f.max_body != g.max_body ||
            strcmp(f.snapshot_at, g.snapshot_at))
            abort();
        faas_fn_free(&g);
    } else {
        vmjail_error_free(err);
    }
    faas_fn_free(&f);
    return 0;
}
