/* fuzz_image_manifest.c: libFuzzer target for the image manifest, index and config parsers
 * (src/image/manifest.c): the input is a registry's answer, given to each of them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    vmjail_error *err = NULL;
    (void)img_media_of(NULL, body, size);
    struct img_desc d;
    if (img_index_choose(body, size, &d, &err) < 0)
        vmjail_error_free(err);
    err = NULL;
    struct img_manifest m;
    if (img_manifest_parse(body, size, &m, &err) == 0) {
        for (size_t i = 0; i < m.nlayers; i++)
            (void)img_layer_compression(m.layers[i].media);
        img_manifest_free(&m);
    } else {
        vmjail_error_free(err);
    }
    err = NULL;
    struct img_config c;
    if (img_config_parse(body, size, &c, &err) == 0)
        img_config_free(&c);
    else
        vmjail_error_free(err);
    return 0;
}
