/* fuzz_oci_spec.c: libFuzzer target for config.json parsing (src/oci/spec.c): the input is
 * the file's text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct oci_spec *spec = NULL;
    vmjail_error *err = NULL;
    if (oci_spec_parse(text, "/nonexistent-bundle", &spec, &err) == 0)
        oci_spec_free(spec);
    else
        vmjail_error_free(err);
    free(text);
    return 0;
}
