/* image.h: the image store and registry client (vmjail pull, load, images, rmi): references,
 * manifests, digests, the content-addressed store, layer unpacking.  Internal to libvmjail. */
#ifndef VJ_IMAGE_H
#define VJ_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* "sha256:" and 64 lowercase hex digits, and the terminating NUL. */
#define IMG_DIGEST_LEN 72

/* ---- references (ref.c) ---------------------------------------------------------------- */
struct img_ref {
    char host[256];  /* "docker.io", "localhost:5000" */
    char repo[256];  /* "library/busybox" */
    char tag[129];   /* "latest" unless a digest alone was given */
    char digest[IMG_DIGEST_LEN]; /* "" or "sha256:..." */
};
/* Parse a reference as docker does: no host means docker.io (and "library/" for a single
 * component), the default tag is latest; "@sha256:..." pins a digest. */
int img_ref_parse(const char *s, struct img_ref *r, vmjail_error **err);
/* "host/repo:tag" (or "host/repo@digest" when there is no tag): the name the store keeps. */
void img_ref_name(const struct img_ref *r, char *buf, size_t n);
/* The host to connect to (docker.io is served by registry-1.docker.io). */
const char *img_ref_api_host(const struct img_ref *r);
/* localhost, 127.0.0.1 or [::1] (with any port): plain http is allowed. */
bool img_host_is_local(const char *host);

/* ---- digests (digest.c) ---------------------------------------------------------------- */
bool img_digest_valid(const char *d);
/* sha256 of BUF as "sha256:hex" into OUT. */
void img_sha256(const void *buf, size_t n, char out[IMG_DIGEST_LEN]);
struct img_hash; /* a running sha256 */
struct img_hash *img_hash_new(void);
void img_hash_update(struct img_hash *h, const void *buf, size_t n);
/* Ends the hash, writes "sha256:hex", frees H. */
void img_hash_final(struct img_hash *h, char out[IMG_DIGEST_LEN]);
/* ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)); ChainID(0) = DiffID(0). */
void img_chain_id(const char *parent, const char *diff_id, char out[IMG_DIGEST_LEN]);

/* ---- manifests, indexes, configs (manifest.c) ------------------------------------------ */
enum img_media {
    IMG_MT_UNKNOWN,
    IMG_MT_OCI_INDEX,
    IMG_MT_OCI_MANIFEST,
    IMG_MT_DOCKER_LIST,
    IMG_MT_DOCKER_V2,
    IMG_MT_SCHEMA1,
};
#define IMG_MT_OCI_INDEX_S "application/vnd.oci.image.index.v1+json"
#define IMG_MT_OCI_MANIFEST_S "application/vnd.oci.image.manifest.v1+json"
#define IMG_MT_DOCKER_LIST_S "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMG_MT_DOCKER_V2_S "application/vnd.docker.distribution.manifest.v2+json"
/* What kind of manifest a body is: from its Content-Type (may be NULL), else its mediaType,
 * else its shape (schemaVersion 1, "manifests", "layers"). */
enum img_media img_media_of(const char *content_type, const char *body, size_t len);

struct img_desc {
    char digest[IMG_DIGEST_LEN];
    char media[128];
    int64_t size;
};
struct img_manifest {
    struct img_desc config;
    struct img_desc *layers;
    size_t nlayers;
};
/* From an index or a manifest list, the manifest for linux/amd64 (attestations and other
 * platforms skipped). */
int img_index_choose(const char *body, size_t len, struct img_desc *out, vmjail_error **err);
/* An image manifest (OCI or Docker v2): its config and layers, every digest and media type
 * checked. */
int img_manifest_parse(const char *body, size_t len, struct img_manifest *m, vmjail_error **err);
void img_manifest_free(struct img_manifest *m);
/* What is a layer's compression: 0 none, 1 gzip, 2 zstd; -1 not a layer type. */
int img_layer_compression(const char *media);

struct img_config {
    char **diff_ids;
    size_t ndiff;
    char created[40];
    char **entrypoint, **cmd, **env; /* NULL-terminated, or NULL */
    char *workdir, *user;
    char **exposed; /* ExposedPorts' keys ("8080/tcp"), NULL-terminated, or NULL */
};
int img_config_parse(const char *body, size_t len, struct img_config *c, vmjail_error **err);
void img_config_free(struct img_config *c);

/* ---- layer paths and whiteouts (whiteout.c) -------------------------------------------- */
enum img_whiteout { IMG_WH_NONE, IMG_WH_FILE, IMG_WH_OPAQUE };
/* Clean a path from a tar entry into OUT: leading "/" and "./" dropped, "." components
 * dropped; "" (the root) allowed; ".." anywhere refused (-1). */
int img_path_clean(const char *in, char *out, size_t n);
/* The whiteout kind of the cleaned path P; for IMG_WH_FILE, DIR gets the directory ("" for
 * the root) and NAME the hidden entry; for IMG_WH_OPAQUE, DIR the directory. */
enum img_whiteout img_whiteout_of(const char *p, char *dir, size_t dn, char *name, size_t nn);

/* ---- the store (store.c, store_gc.c) ---------------------------------------------------- */
struct img_store {
    char *root;
    int dirfd;
    int lockfd;
    bool rootless;
};
/* The default root: /var/lib/vmjail as root, $XDG_DATA_HOME/vmjail (~/.local/share/vmjail)
 * otherwise; $VMJAIL_STORE overrides both. */
const char *img_store_default(char *buf, size_t n);
/* Open (creating it) the store at ROOT, taking its lock (exclusive for writers). */
int img_store_open(const char *root, bool write, struct img_store **s, vmjail_error **err);
void img_store_close(struct img_store *s);
/* "blobs/sha256/HEX" into BUF (relative to the store). */
void img_store_blob_rel(const char *digest, char *buf, size_t n);
bool img_store_has_blob(struct img_store *s, const char *digest);
/* Read a whole blob, checked against its digest (at most MAX bytes). */
int img_store_read_blob(struct img_store *s, const char *digest, size_t max, char **out,
                        size_t *len, vmjail_error **err);
/* Write BUF as the blob of its own digest (temporary name, fsync, rename). */
int img_store_put_blob(struct img_store *s, const void *buf, size_t n, char out[IMG_DIGEST_LEN],
                       vmjail_error **err);
/* Move the file at the store-relative TMP to the blob DIGEST, after checking its sha256. */
int img_store_commit_blob(struct img_store *s, const char *tmp, const char *digest,
                          vmjail_error **err);
/* Name NAME -> manifest DESC in index.json (replacing an entry of the same name). */
int img_store_tag(struct img_store *s, const char *name, const struct img_desc *desc,
                  vmjail_error **err);
struct img_entry {
    char name[600];
    struct img_desc manifest;
};
int img_store_list(struct img_store *s, struct img_entry **out, size_t *n, vmjail_error **err);
/* Remove the name IMAGE (a name, a short name that parses to one, or an ID prefix of the
 * config digest) and then every blob and unpacked tree no name needs. */
int img_store_remove(struct img_store *s, const char *image, vmjail_error **err);
int img_store_gc(struct img_store *s, vmjail_error **err);
/* Find the manifest named IMAGE (as img_store_remove takes it). */
int img_store_find(struct img_store *s, const char *image, struct img_desc *out,
                   vmjail_error **err);
/* Unpack the manifest's layers (each checked against the config's diff_ids) into
 * rootfs/CHAINID, the merged tree of the image, unless it is there; its absolute path into
 * ROOT_OUT (malloc'd). */
int img_store_unpack(struct img_store *s, const struct img_desc *manifest, char **root_out,
                     vmjail_error **err);
/* The manifest and config of a stored image. */
int img_store_image(struct img_store *s, const struct img_desc *manifest, struct img_manifest *m,
                    struct img_config *c, vmjail_error **err);

/* ---- unpacking (unpack.c) --------------------------------------------------------------- */
/* Apply the layer in the file LAYER_FD (plain, gzip or zstd tar) onto the tree ROOT_FD in
 * one pass: its entries, and its whiteouts hiding what the layers below brought, never
 * through a symlink out of the tree; DIFF_ID is checked over the same uncompressed bytes
 * (on a mismatch the tree is half-written: unpack into a tree to discard on failure).
 * OWNERS keeps ownership and device nodes.  With DIFF_ID NULL, a plain tar (an archive to
 * load) is extracted as it is, as safely. */
int img_unpack_layer(int root_fd, int layer_fd, const char *diff_id, bool owners,
                     vmjail_error **err);
/* Open the file PATH (clean, relative) of the tree ROOT, resolved inside it. */
int img_open_in_root(int root, const char *path, int flags);
/* Remove NAME in DIRFD, recursively, never following a symlink. */
int img_rm_rf_at(int dirfd, const char *name);

/* ---- pull (registry.c, pull.c) and load (load.c) ----------------------------------------- */
struct img_pull_opts {
    bool quiet;
    bool tls_verify;   /* default true */
    bool progress;     /* a terminal: progress lines on stderr */
    const char *auth_file; /* NULL: the usual places */
};
/* Pull REF into the store; the image's config digest into ID. */
int img_pull(struct img_store *s, const char *ref, const struct img_pull_opts *o,
             char id[IMG_DIGEST_LEN], vmjail_error **err);
/* Load a docker-archive or OCI archive (tar) or an OCI layout directory; the names loaded are
 * printed by the callback. */
int img_load(struct img_store *s, const char *path, void (*loaded)(const char *name, void *),
             void *arg, vmjail_error **err);

#endif
