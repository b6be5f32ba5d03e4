/* pull.c: `vmjail pull`: a reference resolved to the linux/amd64 image manifest, every
 * manifest and blob checked against its digest, the blobs into the store, the layers unpacked,
 * then the name recorded, so that an interrupted pull names nothing half made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry.h"

/* The manifest body of RESP checked against WANT (a digest asked for) or, for a tag, against
 * the Docker-Content-Digest the registry sent; its digest into OUT. */
static int check_manifest(struct img_reg *r, const struct img_resp *resp, const char *want,
                          char out[IMG_DIGEST_LEN], vmjail_error **err)
{
    (void)r;
    img_sha256(resp->body ? resp->body : "", resp->len, out);
    if (want && want[0] && strcmp(out, want) != 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "the manifest's sha256 is %s, not the digest %s asked for: refused", out, want);
    if (resp->digest[0] && strcmp(out, resp->digest) != 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "the manifest's sha256 is %s, not the Docker-Content-Digest %s: refused", out,
                        resp->digest);
    return 0;
}

int img_pull(struct img_store *s, const char *refstr, const struct img_pull_opts *o,
             char id[IMG_DIGEST_LEN], vmjail_error **err)
{
    struct img_ref ref;
    if (img_ref_parse(refstr, &ref, err) < 0)
        return -1;
    struct img_reg *r;
    if (img_reg_open(&ref, o, &r, err) < 0)
        return -1;
    struct img_resp resp;
    struct img_manifest m = {0};
    struct img_config c = {0};
    char mdigest[IMG_DIGEST_LEN], name[700], *root = NULL;
    int rc = -1;
    const char *reference = ref.digest[0] ? ref.digest : ref.tag;
    if (img_reg_manifest(r, reference, &resp, err) < 0)
        goto out;
    if (check_manifest(r, &resp, ref.digest, mdigest, err) < 0)
        goto out_resp;
    enum img_media mt = img_media_of(resp.content_type, resp.body, resp.len);
    if (mt == IMG_MT_SCHEMA1) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                 "%s is a Docker schema 1 manifest, which vmjail does not take (push it again as v2 or OCI)",
                 refstr);
        goto out_resp;
    }
    if (mt == IMG_MT_OCI_INDEX || mt == IMG_MT_DOCKER_LIST) {
        struct img_desc d;
        if (img_index_choose(resp.body, resp.len, &d, err) < 0) {
            vj_error_wrap(err, "%s", refstr);
            goto out_resp;
        }
        img_resp_free(&resp);
        if (img_reg_manifest(r, d.digest, &resp, err) < 0)
            goto out;
        resp.digest[0] = '\0';
        if (check_manifest(r, &resp, d.digest, mdigest, err) < 0)
            goto out_resp;
        mt = img_media_of(resp.content_type, resp.body, resp.len);
    }
    if (mt != IMG_MT_OCI_MANIFEST && mt != IMG_MT_DOCKER_V2) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: not an image manifest (Content-Type '%s')", refstr,
                 resp.content_type);
        goto out_resp;
    }
    if (img_manifest_parse(resp.body, resp.len, &m, err) < 0) {
        vj_error_wrap(err, "%s", refstr);
        goto out_resp;
    }
    /* The config, then the layers: each fetched unless the store has it. */
    struct img_desc *all = calloc(m.nlayers + 1, sizeof *all);
    if (all == NULL) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 12, "pull");
        goto out_resp;
    }
    all[0] = m.config;
    memcpy(all + 1, m.layers, m.nlayers * sizeof *all);
    for (size_t i = 0; i <= m.nlayers; i++) {
        if (img_store_has_blob(s, all[i].digest)) {
            if (!o->quiet)
                fprintf(stderr, "Blob %s already in the store\n", all[i].digest);
            continue;
        }
        if (i == 0 && all[i].size > (4 << 20)) {
            vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: the image config is %lld bytes (at most 4 MiB)",
                     refstr, (long long)all[i].size);
            free(all);
            goto out_resp;
        }
        if (img_reg_blob(r, s, &all[i], err) < 0) {
            free(all);
            goto out_resp;
        }
    }
    free(all);
    char *cb;
    size_t cl;
    if (img_store_read_blob(s, m.config.digest, 4 << 20, &cb, &cl, err) < 0)
        goto out_resp;
    rc = img_config_parse(cb, cl, &c, err);
    free(cb);
    if (rc < 0)
        goto out_resp;
    rc = -1;
    if (c.ndiff != m.nlayers) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: %zu layers but %zu diff_ids in its config", refstr,
                 m.nlayers, c.ndiff);
        goto out_resp;
    }
    struct img_desc md = {.size = (int64_t)resp.len};
    strcpy(md.digest, mdigest);
    snprintf(md.media, sizeof md.media, "%s",
             mt == IMG_MT_DOCKER_V2 ? IMG_MT_DOCKER_V2_S : IMG_MT_OCI_MANIFEST_S);
    char stored[IMG_DIGEST_LEN];
    if (img_store_put_blob(s, resp.body, resp.len, stored, err) < 0)
        goto out_resp;
    if (!o->quiet)
        fprintf(stderr, "Unpacking %zu layer%s\n", m.nlayers, m.nlayers == 1 ? "" : "s");
    if (img_store_unpack(s, &md, &root, err) < 0) {
        vj_error_wrap(err, "%s", refstr);
        img_store_gc(s, NULL); /* the blobs of a refused image go */
        goto out_resp;
    }
    img_ref_name(&ref, name, sizeof name);
    if (img_store_tag(s, name, &md, err) < 0)
        goto out_resp;
    img_store_gc(s, NULL); /* what an earlier image of this name needed alone */
    strcpy(id, m.config.digest);
    rc = 0;
out_resp:
    img_resp_free(&resp);
out:
    free(root);
    img_manifest_free(&m);
    img_config_free(&c);
    img_reg_close(r);
    return rc;
}
