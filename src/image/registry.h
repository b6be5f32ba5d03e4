/* registry.h: the registry API v2 client of src/image (libcurl): requests with the Bearer
 * token flow and Basic auth, manifests into memory, blobs into the store resumably. */
#ifndef VJ_IMAGE_REGISTRY_H
#define VJ_IMAGE_REGISTRY_H

#include "image/image.h"

struct img_reg;

struct img_resp {
    long status;
    char *body;
    size_t len;
    char content_type[200];
    char digest[IMG_DIGEST_LEN]; /* Docker-Content-Digest, when valid */
};

int img_reg_open(const struct img_ref *ref, const struct img_pull_opts *o, struct img_reg **out,
                 vmjail_error **err);
void img_reg_close(struct img_reg *r);
/* GET the manifest REFERENCE (a tag or digest) with every accepted media type. */
int img_reg_manifest(struct img_reg *r, const char *reference, struct img_resp *out,
                     vmjail_error **err);
void img_resp_free(struct img_resp *resp);
/* Fetch blob D into the store (tmp/HEX.partial, continued if present; checked; renamed into
 * blobs/sha256). */
int img_reg_blob(struct img_reg *r, struct img_store *s, const struct img_desc *d,
                 vmjail_error **err);

/* Parse a WWW-Authenticate header: the scheme ("Bearer", "Basic") and its realm, service and
 * scope parameters (each "" when absent).  -1 if it is not a challenge. */
int img_www_auth_parse(const char *h, char *scheme, size_t sn, char *realm, size_t rn,
                       char *service, size_t svn, char *scope, size_t scn);
/* The credentials for HOST from the auth file (REGISTRY_AUTH_FILE, then
 * $XDG_RUNTIME_DIR/containers/auth.json, then ~/.docker/config.json, or FILE when not NULL):
 * 1 found, 0 none. */
int img_auth_lookup(const char *file, const char *host, char *user, size_t un, char *pass,
                    size_t pn);

#endif
