/* registry.c: registry API v2 requests (libcurl): manifests with every accepted type, blobs
 * into the store (resumable, hashed as they arrive), the Bearer token flow and Basic auth,
 * redirects followed without credentials to another host. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/registry.h"

struct img_reg {
    CURL *curl;
    char base[400]; /* "https://host/v2/repo" */
    char host[256], repo[256];
    char user[256], pass[256];
    bool have_cred, basic, insecure, progress, quiet;
    char *bearer;
};

struct xfer {
    struct img_resp *resp;
    int fd;                /* blob: write here */
    struct img_hash *hash; /* blob: hash what arrives */
    size_t max;
    bool failed;
    int werr; /* errno of a failed write of the blob */
    long code; /* of the response being received */
    char www_auth[1024];
    char desc[24];
    int64_t total, base, got; /* the blob's size, what was there before, what came now */
    int64_t shown;            /* progress: the last count shown */
};

static size_t on_header(char *b, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    char line[1200];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, b, l);
    line[l] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) { /* a new response (after a redirect) */
        x->resp->content_type[0] = x->resp->digest[0] = x->www_auth[0] = '\0';
        const char *sp = strchr(line, ' ');
        x->code = sp ? atol(sp + 1) : 0;
        if (x->fd >= 0 && x->code == 200 && x->base > 0) { /* the Range was not honoured */
            if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
                return 0;
            img_hash_final(x->hash, x->resp->digest);
            x->hash = img_hash_new();
            x->resp->digest[0] = '\0';
            x->base = x->got = 0;
        }
        return len;
    }
    char *colon = strchr(line, ':');
    if (colon == NULL)
        return len;
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ')
        v++;
    if (strcasecmp(line, "content-type") == 0)
        snprintf(x->resp->content_type, sizeof x->resp->content_type, "%s", v);
    else if (strcasecmp(line, "docker-content-digest") == 0 && img_digest_valid(v))
        snprintf(x->resp->digest, sizeof x->resp->digest, "%s", v);
    else if (strcasecmp(line, "www-authenticate") == 0)
        snprintf(x->www_auth, sizeof x->www_auth, "%s", v);
    return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    if (x->fd >= 0 && (x->code == 200 || x->code == 206)) { /* a blob's body: to its file */
        x->got += (int64_t)len;
        if (x->total >= 0 && x->base + x->got > x->total) { /* more than the manifest said */
            x->failed = true;
            return 0;
        }
        const char *p = b;
        size_t left = len;
        while (left > 0) {
            ssize_t w = write(x->fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                x->failed = true;
                x->werr = w < 0 ? errno : EIO;
                return 0;
            }
            p += w;
            left -= (size_t)w;
        }
        img_hash_update(x->hash, b, len);
        return len;
    }
    struct img_resp *r = x->resp;
    if (r->len + len > x->max) {
        x->failed = true;
        return 0;
    }
    char *nb = realloc(r->body, r->len + len + 1);
    if (nb == NULL)
        return 0;
    memcpy(nb + r->len, b, len);
    r->body = nb;
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ut, curl_off_t un)
{
    (void)ut;
    (void)un;
    struct xfer *x = arg;
    /* A line redrawn at each 1% (or at the end), not at every callback. */
    if (dltotal > 0 && (dlnow == dltotal || (dlnow - x->shown) * 100 >= dltotal)) {
        x->shown = dlnow;
        fprintf(stderr, "\rCopying blob %s %lld / %lld bytes", x->desc, (long long)(x->base + dlnow),
                (long long)(x->base + dltotal));
    }
    return 0;
}

int img_reg_open(const struct img_ref *ref, const struct img_pull_opts *o, struct img_reg **out,
                 vmjail_error **err)
{
    static bool inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    struct img_reg *r = calloc(1, sizeof *r);
    if (r == NULL || (r->curl = curl_easy_init()) == NULL) {
        free(r);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot start libcurl");
    }
    const char *host = img_ref_api_host(ref);
    bool http = img_host_is_local(host) || !o->tls_verify;
    r->insecure = !o->tls_verify;
    r->progress = o->progress && !o->quiet;
    r->quiet = o->quiet;
    snprintf(r->host, sizeof r->host, "%s", ref->host);
    snprintf(r->repo, sizeof r->repo, "%s", ref->repo);
    snprintf(r->base, sizeof r->base, "%s://%s/v2/%s", http ? "http" : "https", host, ref->repo);
    r->have_cred = img_auth_lookup(o->auth_file, ref->host, r->user, sizeof r->user, r->pass,
                                   sizeof r->pass) == 1;
    *out = r;
    return 0;
}

void img_reg_close(struct img_reg *r)
{
    if (r == NULL)
        return;
    curl_easy_cleanup(r->curl);
    free(r->bearer);
    free(r);
}

void img_resp_free(struct img_resp *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

/* One GET of URL; the body to memory (at most MAX) or, with FD >= 0, appended to FD from
 * byte FROM on. */
static CURLcode get_once(struct img_reg *r, const char *url, const char *accept, struct xfer *x,
                         bool auth, curl_off_t from)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    struct curl_slist *h = NULL;
    if (accept)
        h = curl_slist_append(h, accept);
    char ua[64];
    snprintf(ua, sizeof ua, "vmjail/%s", vmjail_version());
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L); /* no credentials to another host */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, r->insecure || strncmp(url, "http:", 5) == 0 ? "http,https" : "https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    if (r->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const char *rate = getenv("VMJAIL_PULL_RATE"); /* bytes per second: for tests */
    if (rate && atol(rate) > 0)
        curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)atol(rate));
    if (from > 0)
        curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, from);
    if (x->fd >= 0 && r->progress) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
    }
    if (auth && r->bearer) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, r->bearer);
    } else if (auth && r->basic) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, r->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, r->pass);
    }
    /* The body goes to the file only for a 200 or 206; anything else to memory. */
    x->resp->status = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->resp->status);
    curl_slist_free_all(h);
    return rc;
}

static void url_escape(CURL *c, const char *s, char *out, size_t n)
{
    char *e = curl_easy_escape(c, s, 0);
    snprintf(out, n, "%s", e ? e : "");
    curl_free(e);
}

/* After a 401: get a token from the challenge's realm, or take Basic credentials. */
static int authenticate(struct img_reg *r, const char *challenge, vmjail_error **err)
{
    char scheme[32], realm[1024], service[512], scope[512];
    if (img_www_auth_parse(challenge, scheme, sizeof scheme, realm, sizeof realm, service,
                           sizeof service, scope, sizeof scope) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: 401 without a usable WWW-Authenticate", r->host);
    if (strcasecmp(scheme, "Basic") == 0) {
        if (!r->have_cred || r->basic)
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                            "%s: %s (no credentials for it in the auth file)", r->host,
                            r->basic ? "the credentials were refused" : "needs a login");
        r->basic = true;
        return 0;
    }
    if (strcasecmp(scheme, "Bearer") != 0 || realm[0] == '\0')
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: unsupported authentication '%s'", r->host, scheme);
    if (r->bearer)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: the token was refused", r->host);
    bool local_realm = strncmp(realm, "http://", 7) == 0 && img_host_is_local(realm + 7);
    if (strncmp(realm, "https://", 8) != 0 && !local_realm && !r->insecure)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: the token realm '%s' is not https", r->host, realm);
    char url[4000], es[1100], esc[1100], def[400];
    if (scope[0] == '\0')
        snprintf(def, sizeof def, "repository:%s:pull", r->repo);
    url_escape(r->curl, service, es, sizeof es);
    url_escape(r->curl, scope[0] ? scope : def, esc, sizeof esc);
    snprintf(url, sizeof url, "%s%cservice=%s&scope=%s", realm, strchr(realm, '?') ? '&' : '?', es, esc);
    struct img_resp resp = {0};
    struct xfer x = {.resp = &resp, .fd = -1, .max = 1 << 20};
    bool saved = r->basic;
    r->basic = r->have_cred;
    CURLcode c = get_once(r, url, NULL, &x, r->have_cred, 0);
    r->basic = saved;
    if (c != CURLE_OK || resp.status != 200) {
        img_resp_free(&resp);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "token from %s: %s", realm,
                        c != CURLE_OK ? curl_easy_strerror(c) : resp.status == 401 ? "credentials refused" : "refused");
    }
    struct json_object *o = json_tokener_parse(resp.body ? resp.body : ""), *t;
    img_resp_free(&resp);
    if (o && ((json_object_object_get_ex(o, "token", &t) && json_object_is_type(t, json_type_string)) ||
              (json_object_object_get_ex(o, "access_token", &t) && json_object_is_type(t, json_type_string))))
        r->bearer = strdup(json_object_get_string(t));
    json_object_put(o);
    if (r->bearer == NULL || r->bearer[0] == '\0')
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "token from %s: no token in the answer", realm);
    return 0;
}

/* The registry's error, in one line: its JSON errors, or the status. */
static int http_error(struct img_reg *r, const char *what, const struct img_resp *resp, vmjail_error **err)
{
    if (resp->status == 429)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: %s: too many requests (the registry's rate limit)", r->host, what);
    struct json_object *o = resp->body ? json_tokener_parse(resp->body) : NULL, *es, *e, *c, *m;
    char detail[300] = "";
    if (o && json_object_object_get_ex(o, "errors", &es) && json_object_is_type(es, json_type_array) &&
        (e = json_object_array_get_idx(es, 0)) && json_object_object_get_ex(e, "code", &c))
        snprintf(detail, sizeof detail, ": %s%s%s", json_object_get_string(c),
                 json_object_object_get_ex(e, "message", &m) ? " " : "",
                 json_object_object_get_ex(e, "message", &m) ? json_object_get_string(m) : "");
    json_object_put(o);
    return vj_error(err, resp->status == 404 ? VMJAIL_ERR_NOTFOUND : VMJAIL_ERR_INTERNAL, 0,
                    "%s: %s: HTTP %ld%s", r->host, what, resp->status, detail);
}

/* GET with the auth dance: one retry after a 401 with what it asked for. */
static int get(struct img_reg *r, const char *url, const char *accept, struct xfer *x,
               curl_off_t from, const char *what, vmjail_error **err)
{
    for (int attempt = 0;; attempt++) {
        CURLcode c = get_once(r, url, accept, x, true, from);
        if (c != CURLE_OK && x->werr)
            return vj_error(err, VMJAIL_ERR_INTERNAL, x->werr, "%s: writing %s", r->host, what);
        if (c != CURLE_OK && !(x->failed && x->resp->status >= 400))
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: %s: %s", r->host, what,
                            x->failed ? "answer larger than announced, or not written" : curl_easy_strerror(c));
        if (x->resp->status == 401 && attempt > 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: %s: the credentials were refused (HTTP 401)",
                            r->host, what);
        if (x->resp->status == 401 && attempt == 0) {
            if (authenticate(r, x->www_auth, err) < 0)
                return -1;
            free(x->resp->body);
            x->resp->body = NULL;
            x->resp->len = 0;
            continue;
        }
        return 0;
    }
}

int img_reg_manifest(struct img_reg *r, const char *reference, struct img_resp *out,
                     vmjail_error **err)
{
    memset(out, 0, sizeof *out);
    char url[800], what[300];
    snprintf(url, sizeof url, "%s/manifests/%s", r->base, reference);
    snprintf(what, sizeof what, "manifest %s:%s", r->repo, reference);
    struct xfer x = {.resp = out, .fd = -1, .max = 4 << 20};
    static const char accept[] = "Accept: " IMG_MT_OCI_INDEX_S ", " IMG_MT_OCI_MANIFEST_S
                                 ", " IMG_MT_DOCKER_LIST_S ", " IMG_MT_DOCKER_V2_S;
    if (get(r, url, accept, &x, 0, what, err) < 0)
        return -1;
    if (out->status != 200) {
        http_error(r, what, out, err);
        img_resp_free(out);
        return -1;
    }
    return 0;
}

int img_reg_blob(struct img_reg *r, struct img_store *s, const struct img_desc *d,
                 vmjail_error **err)
{
    char tmp[200], url[800], what[120], got[IMG_DIGEST_LEN], final[200];
    snprintf(tmp, sizeof tmp, "tmp/%s.partial", d->digest + 7);
    snprintf(url, sizeof url, "%s/blobs/%s", r->base, d->digest);
    snprintf(what, sizeof what, "blob %s", d->digest);
    int fd = openat(s->dirfd, tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/%s", s->root, tmp);
    struct img_resp resp = {0};
    struct xfer x = {.resp = &resp, .fd = fd, .max = 1 << 20, .hash = img_hash_new(), .total = d->size};
    snprintf(x.desc, sizeof x.desc, "%.19s", d->digest + 7);
    /* What an interrupted pull left: hashed again, then continued with a Range. */
    struct stat st;
    off_t have = fstat(fd, &st) == 0 ? st.st_size : 0;
    if (d->size >= 0 && have > d->size) {
        if (ftruncate(fd, 0) < 0)
            have = -1;
        have = 0;
    }
    char buf[65536];
    ssize_t n;
    off_t done = 0;
    while (done < have && (n = read(fd, buf, sizeof buf)) > 0) {
        img_hash_update(x.hash, buf, (size_t)n);
        done += n;
    }
    x.base = done;
    if (lseek(fd, done, SEEK_SET) < 0 || ftruncate(fd, done) < 0) {
        img_hash_final(x.hash, got);
        close(fd);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/%s", s->root, tmp);
    }
    if (done > 0 && !r->quiet)
        fprintf(stderr, "Resuming blob %s at byte %lld\n", d->digest, (long long)done);
    else if (!r->quiet && !r->progress)
        fprintf(stderr, "Copying blob %s\n", d->digest);
    int rc = 0;
    if (done < d->size || d->size < 0)
        rc = get(r, url, NULL, &x, done, what, err);
    if (r->progress)
        fputc('\n', stderr);
    img_hash_final(x.hash, got);
    if (rc == 0 && resp.status != 200 && resp.status != 206 && !(done == d->size && resp.status == 0))
        rc = http_error(r, what, &resp, err);
    img_resp_free(&resp);
    if (rc == 0 && fsync(fd) < 0)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/%s", s->root, tmp);
    if (rc == 0 && fstat(fd, &st) == 0 && d->size >= 0 && st.st_size != d->size) {
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: %s: %lld bytes, the manifest says %lld",
                      r->host, what, (long long)st.st_size, (long long)d->size);
        if (st.st_size > d->size)
            unlinkat(s->dirfd, tmp, 0);
    }
    close(fd);
    if (rc < 0)
        return -1; /* a short blob is kept, to be continued */
    if (strcmp(got, d->digest) != 0) {
        unlinkat(s->dirfd, tmp, 0);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "%s: blob %s does not match its digest (its sha256 is %s): refused",
                        r->host, d->digest, got);
    }
    img_store_blob_rel(d->digest, final, sizeof final);
    if (renameat(s->dirfd, tmp, s->dirfd, final) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "storing %s", what);
    return 0;
}
