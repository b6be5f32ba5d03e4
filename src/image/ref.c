/* ref.c: image references (docker's normalisation) and sha256 digests (OpenSSL's EVP). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

static bool valid_repo_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '/';
}

static bool valid_tag(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
        return false;
    for (const char *c = t; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.' || *c == '-'))
            return false;
    return true;
}

int img_ref_parse(const char *s, struct img_ref *r, vmjail_error **err)
{
    memset(r, 0, sizeof *r);
    char buf[700];
    if (s == NULL || *s == '\0' || strlen(s) >= sizeof buf)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s' is not an image reference", s ? s : "");
    strcpy(buf, s);
    char *at = strchr(buf, '@');
    if (at != NULL) {
        *at = '\0';
        if (!img_digest_valid(at + 1))
            return vj_error(err, VMJAIL_ERR_USAGE, 0,
                            "'%s': the digest is not sha256: and 64 lowercase hex digits", s);
        strcpy(r->digest, at + 1);
    }
    /* The tag: after the last ':' that follows the last '/'. */
    char *slash = strrchr(buf, '/');
    char *colon = strrchr(slash ? slash : buf, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (!valid_tag(colon + 1))
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s': '%s' is not a valid tag", s,
                            colon + 1);
        strcpy(r->tag, colon + 1);
    } else if (r->digest[0] == '\0') {
        strcpy(r->tag, "latest");
    }
    /* The host: the first component if it has '.' or ':' or is localhost. */
    char *first = strchr(buf, '/');
    const char *repo = buf;
    if (first != NULL) {
        size_t hn = (size_t)(first - buf);
        if (memchr(buf, '.', hn) || memchr(buf, ':', hn) ||
            (hn == 9 && strncmp(buf, "localhost", 9) == 0)) {
            if (hn == 0 || hn >= sizeof r->host)
                return vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s': bad registry host", s);
            memcpy(r->host, buf, hn);
            repo = first + 1;
        }
    }
    if (r->host[0] == '\0')
        strcpy(r->host, "docker.io");
    if (strcmp(r->host, "index.docker.io") == 0)
        strcpy(r->host, "docker.io");
    for (const char *c = r->host; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == ':' || *c == '[' || *c == ']'))
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s': bad registry host '%s'", s, r->host);
    size_t rn = strlen(repo);
    if (rn == 0 || repo[0] == '/' || repo[rn - 1] == '/' || strstr(repo, "//"))
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s': empty repository name", s);
    for (const char *c = repo; *c; c++)
        if (!valid_repo_char(*c))
            return vj_error(err, VMJAIL_ERR_USAGE, 0,
                            "'%s': repository names are lowercase letters, digits and . _ - /", s);
    bool library = strcmp(r->host, "docker.io") == 0 && strchr(repo, '/') == NULL;
    if (snprintf(r->repo, sizeof r->repo, "%s%s", library ? "library/" : "", repo) >=
        (int)sizeof r->repo)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s': repository name too long", s);
    return 0;
}

void img_ref_name(const struct img_ref *r, char *buf, size_t n)
{
    if (r->tag[0])
        snprintf(buf, n, "%s/%s:%s", r->host, r->repo, r->tag);
    else
        snprintf(buf, n, "%s/%s@%s", r->host, r->repo, r->digest);
}

const char *img_ref_api_host(const struct img_ref *r)
{
    return strcmp(r->host, "docker.io") == 0 ? "registry-1.docker.io" : r->host;
}

bool img_host_is_local(const char *host)
{
    static const char *const local[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof local / sizeof *local; i++) {
        size_t n = strlen(local[i]);
        if (strncmp(host, local[i], n) == 0 && (host[n] == '\0' || host[n] == ':'))
            return true;
    }
    return false;
}

bool img_digest_valid(const char *d)
{
    if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
        return false;
    for (const char *c = d + 7; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

struct img_hash {
    EVP_MD_CTX *ctx;
};

struct img_hash *img_hash_new(void)
{
    struct img_hash *h = malloc(sizeof *h);
    if (h == NULL)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void img_hash_update(struct img_hash *h, const void *buf, size_t n)
{
    EVP_DigestUpdate(h->ctx, buf, n);
}

void img_hash_final(struct img_hash *h, char out[IMG_DIGEST_LEN])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(h->ctx, md, &len);
    strcpy(out, "sha256:");
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void img_sha256(const void *buf, size_t n, char out[IMG_DIGEST_LEN])
{
    struct img_hash *h = img_hash_new();
    if (h == NULL) {
        strcpy(out, "sha256:");
        return;
    }
    img_hash_update(h, buf, n);
    img_hash_final(h, out);
}

void img_chain_id(const char *parent, const char *diff_id, char out[IMG_DIGEST_LEN])
{
    if (parent == NULL || parent[0] == '\0') {
        snprintf(out, IMG_DIGEST_LEN, "%s", diff_id);
        return;
    }
    char buf[2 * IMG_DIGEST_LEN + 2];
    int n = snprintf(buf, sizeof buf, "%s %s", parent, diff_id);
    img_sha256(buf, (size_t)n, out);
}
