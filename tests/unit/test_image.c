/* test_image.c: unit tests of the image store's pure parts: references, manifest kinds, the
 * linux/amd64 choice from an index, manifests and configs, digests and chain IDs, layer paths
 * and whiteouts, WWW-Authenticate challenges, the auth file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "image/registry.h"
#include "tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static void ref_is(const char *in, const char *name, const char *api)
{
    struct img_ref r;
    vmjail_error *err = NULL;
    char got[700] = "";
    int rc = img_ref_parse(in, &r, &err);
    if (rc == 0)
        img_ref_name(&r, got, sizeof got);
    ok(rc == 0 && strcmp(got, name) == 0 && strcmp(img_ref_api_host(&r), api) == 0,
       "reference %s -> %s at %s (got %s%s)", in, name, api, got, err ? vmjail_error_message(err) : "");
    vmjail_error_free(err);
}

static void ref_bad(const char *in, const char *want)
{
    struct img_ref r;
    vmjail_error *err = NULL;
    int rc = img_ref_parse(in, &r, &err);
    ok(rc < 0 && err && strstr(vmjail_error_message(err), want), "reference '%s' refused (%s)", in,
       err ? vmjail_error_message(err) : "accepted");
    vmjail_error_free(err);
}

static void references(void)
{
    ref_is("busybox", "docker.io/library/busybox:latest", "registry-1.docker.io");
    ref_is("python:3.11-slim", "docker.io/library/python:3.11-slim", "registry-1.docker.io");
    ref_is("docker.io/library/x:tag", "docker.io/library/x:tag", "registry-1.docker.io");
    ref_is("index.docker.io/u/x", "docker.io/u/x:latest", "registry-1.docker.io");
    ref_is("localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000");
    ref_is("localhost/x", "localhost/x:latest", "localhost");
    ref_is("quay.io/a/b/c:v1.2", "quay.io/a/b/c:v1.2", "quay.io");
    ref_is("user/x", "docker.io/user/x:latest", "registry-1.docker.io");
    ref_is("localhost:5000/x@" D1, "localhost:5000/x@" D1, "localhost:5000");
    ref_is("localhost:5000/x:1@" D1, "localhost:5000/x:1", "localhost:5000");
    ref_bad("", "not an image reference");
    ref_bad("Upper/x", "lowercase");
    ref_bad("x:t!g", "not a valid tag");
    ref_bad("x:-tag", "not a valid tag");
    ref_bad("x@sha256:abc", "64 lowercase hex");
    ref_bad("x@md5:" "1111111111111111111111111111111111111111111111111111111111111111", "sha256");
    ref_bad("localhost:5000/", "empty repository");
    ref_bad("a//b", "empty repository");
    ok(img_host_is_local("localhost:5000") && img_host_is_local("127.0.0.1") &&
           img_host_is_local("[::1]:80") && !img_host_is_local("localhost.evil.com") &&
           !img_host_is_local("127.0.0.10:5000") && !img_host_is_local("quay.io"),
       "loopback hosts: localhost, 127.0.0.1, [::1] (with a port), nothing else");
}

static void media(void)
{
    is_int(img_media_of(IMG_MT_DOCKER_V2_S, "", 0), IMG_MT_DOCKER_V2, "Content-Type: Docker v2");
    is_int(img_media_of(IMG_MT_OCI_INDEX_S "; charset=utf-8", "", 0), IMG_MT_OCI_INDEX,
           "Content-Type with parameters");
    is_int(img_media_of("application/vnd.docker.distribution.manifest.v1+prettyjws", "", 0),
           IMG_MT_SCHEMA1, "schema 1 by its type");
    const char *s1 = "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}";
    is_int(img_media_of("application/json", s1, strlen(s1)), IMG_MT_SCHEMA1, "schema 1 by its shape");
    const char *idx = "{\"schemaVersion\":2,\"manifests\":[]}";
    is_int(img_media_of(NULL, idx, strlen(idx)), IMG_MT_OCI_INDEX, "an index without mediaType");
    const char *mt = "{\"mediaType\":\"" IMG_MT_DOCKER_LIST_S "\"}";
    is_int(img_media_of(NULL, mt, strlen(mt)), IMG_MT_DOCKER_LIST, "mediaType field");
    is_int(img_media_of(NULL, "[1,2]", 5), IMG_MT_UNKNOWN, "not an object");
    is_int(img_media_of(NULL, "{\"a\":", 5), IMG_MT_UNKNOWN, "truncated JSON");
}

static void index_choice(void)
{
    const char *idx =
        "{\"schemaVersion\":2,\"manifests\":["
        "{\"mediaType\":\"" IMG_MT_OCI_MANIFEST_S "\",\"digest\":\"" D1 "\",\"size\":10,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
        "{\"mediaType\":\"" IMG_MT_OCI_MANIFEST_S "\",\"digest\":\"" D3 "\",\"size\":5,"
        "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
        "{\"mediaType\":\"" IMG_MT_DOCKER_V2_S "\",\"digest\":\"" D2 "\",\"size\":20,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    struct img_desc d;
    vmjail_error *err = NULL;
    ok(img_index_choose(idx, strlen(idx), &d, &err) == 0 && strcmp(d.digest, D2) == 0 && d.size == 20,
       "linux/amd64 chosen past arm64 and an attestation");
    const char *none = "{\"manifests\":[{\"mediaType\":\"" IMG_MT_OCI_MANIFEST_S "\",\"digest\":\"" D1
                       "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}";
    ok(img_index_choose(none, strlen(none), &d, &err) < 0 && strstr(vmjail_error_message(err), "no linux/amd64"),
       "an index without linux/amd64 refused (%s)", vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    const char *bad = "{\"manifests\":[{\"mediaType\":\"" IMG_MT_OCI_MANIFEST_S "\",\"digest\":\"sha256:xyz\","
                      "\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    ok(img_index_choose(bad, strlen(bad), &d, &err) < 0 && strstr(vmjail_error_message(err), "digest"),
       "a bad digest in the index refused (%s)", vmjail_error_message(err));
    vmjail_error_free(err);
}

static void manifests(void)
{
    const char *m = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":3},"
                    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" D2
                    "\",\"size\":7},{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
                    "\"digest\":\"" D3 "\",\"size\":9}]}";
    struct img_manifest mf;
    vmjail_error *err = NULL;
    ok(img_manifest_parse(m, strlen(m), &mf, &err) == 0 && mf.nlayers == 2 &&
           strcmp(mf.config.digest, D1) == 0 && strcmp(mf.layers[1].digest, D3) == 0 && mf.layers[0].size == 7,
       "a manifest: config and two layers (zstd, Docker gzip)");
    img_manifest_free(&mf);
    static const struct {
        const char *doc, *want;
    } bad[] = {
        {"{\"schemaVersion\":1}", "schemaVersion 2"},
        {"{\"schemaVersion\":2,\"layers\":[]}", "config"},
        {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}", "size"},
        {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1}}", "layers"},
        {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":"
         "\"application/x-foreign\",\"digest\":\"" D2 "\",\"size\":1}]}", "unsupported media type"},
        {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[7]}", "not an object"},
        {"not json", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = NULL;
        int rc = img_manifest_parse(bad[i].doc, strlen(bad[i].doc), &mf, &err);
        ok(rc < 0 && err && strstr(vmjail_error_message(err), bad[i].want), "manifest refused: %s (%s)",
           bad[i].want, err ? vmjail_error_message(err) : "accepted");
        vmjail_error_free(err);
    }
    is_int(img_layer_compression("application/vnd.oci.image.layer.v1.tar"), 0, "plain tar layer");
    is_int(img_layer_compression("application/vnd.oci.image.layer.v1.tar+gzip"), 1, "gzip layer");
    is_int(img_layer_compression("application/vnd.oci.image.layer.v1.tar+zstd"), 2, "zstd layer");
    is_int(img_layer_compression("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"), -1,
           "foreign layers are not taken");
    const char *c = "{\"created\":\"2026-01-01T00:00:00Z\",\"config\":{\"Entrypoint\":[\"/e\"],\"Cmd\":[\"a\",\"b\"],"
                    "\"Env\":[\"A=1\"],\"WorkingDir\":\"/w\"},\"rootfs\":{\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
    struct img_config cfg;
    err = NULL;
    ok(img_config_parse(c, strlen(c), &cfg, &err) == 0 && cfg.ndiff == 2 && strcmp(cfg.cmd[1], "b") == 0 &&
           strcmp(cfg.workdir, "/w") == 0 && strcmp(cfg.entrypoint[0], "/e") == 0 && cfg.cmd[2] == NULL,
       "a config: diff_ids, Entrypoint, Cmd, Env, WorkingDir");
    img_config_free(&cfg);
    const char *cb = "{\"rootfs\":{\"diff_ids\":[\"sha256:12\"]}}";
    ok(img_config_parse(cb, strlen(cb), &cfg, &err) < 0 && strstr(vmjail_error_message(err), "diff_id"),
       "a config with a bad diff_id refused");
    vmjail_error_free(err);
}

static void digests(void)
{
    char d[IMG_DIGEST_LEN], c[IMG_DIGEST_LEN];
    img_sha256("", 0, d);
    is_str(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing");
    img_sha256("abc", 3, d);
    is_str(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
    ok(img_digest_valid(D1) && !img_digest_valid("sha256:ABC") && !img_digest_valid(D1 "0") &&
           !img_digest_valid("sha512:11") && !img_digest_valid(NULL) &&
           !img_digest_valid("sha256:111111111111111111111111111111111111111111111111111111111111111g"),
       "digest syntax: sha256 and 64 lowercase hex digits only");
    img_chain_id("", D1, c);
    is_str(c, D1, "ChainID of the first layer is its DiffID");
    img_chain_id(D1, D2, c);
    img_sha256(D1 " " D2, strlen(D1 " " D2), d);
    is_str(c, d, "ChainID(n) = sha256(ChainID(n-1) + \" \" + DiffID(n))");
}

static void paths(void)
{
    char out[64], dir[64], name[64];
    static const struct {
        const char *in, *want;
    } good[] = {{"a/b", "a/b"}, {"./a//b/", "a/b"}, {"/etc/passwd", "etc/passwd"}, {"./", ""},
                {"a/./b", "a/b"}, {"...", "..."}, {"a..b", "a..b"}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ok(img_path_clean(good[i].in, out, sizeof out) == 0 && strcmp(out, good[i].want) == 0,
           "path '%s' -> '%s' (got '%s')", good[i].in, good[i].want, out);
    ok(img_path_clean("../x", out, sizeof out) < 0 && img_path_clean("a/../../x", out, sizeof out) < 0 &&
           img_path_clean("a/..", out, sizeof out) < 0,
       "'..' anywhere refused");
    ok(img_path_clean("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out, sizeof out) < 0,
       "a path longer than the buffer refused");
    is_int(img_whiteout_of("etc/.wh.passwd", dir, sizeof dir, name, sizeof name), IMG_WH_FILE, "file whiteout");
    ok(strcmp(dir, "etc") == 0 && strcmp(name, "passwd") == 0, "...hides etc/passwd");
    is_int(img_whiteout_of(".wh.d", dir, sizeof dir, name, sizeof name), IMG_WH_FILE, "whiteout at the root");
    ok(strcmp(dir, "") == 0 && strcmp(name, "d") == 0, "...hides d");
    is_int(img_whiteout_of("o/p/.wh..wh..opq", dir, sizeof dir, name, sizeof name), IMG_WH_OPAQUE, "opaque");
    is_str(dir, "o/p", "...of o/p");
    is_int(img_whiteout_of("a/.wh.", dir, sizeof dir, name, sizeof name), IMG_WH_NONE, "'.wh.' alone hides nothing");
    is_int(img_whiteout_of("a/.wh...", dir, sizeof dir, name, sizeof name), IMG_WH_NONE, "'.wh...' hides nothing");
    is_int(img_whiteout_of("a/x.wh.y", dir, sizeof dir, name, sizeof name), IMG_WH_NONE, "not a whiteout");
}

static void auth(void)
{
    char sch[32], realm[256], svc[64], scope[128];
    ok(img_www_auth_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                          "scope=\"repository:library/x:pull,push\"",
                          sch, sizeof sch, realm, sizeof realm, svc, sizeof svc, scope, sizeof scope) == 0 &&
           strcmp(sch, "Bearer") == 0 && strcmp(realm, "https://auth.docker.io/token") == 0 &&
           strcmp(svc, "registry.docker.io") == 0 && strcmp(scope, "repository:library/x:pull,push") == 0,
       "Bearer challenge: realm, service, scope (a comma inside quotes)");
    ok(img_www_auth_parse("Basic realm=\"test\"", sch, sizeof sch, realm, sizeof realm, svc, sizeof svc,
                          scope, sizeof scope) == 0 && strcmp(sch, "Basic") == 0 && strcmp(realm, "test") == 0 &&
           svc[0] == '\0',
       "Basic challenge");
    ok(img_www_auth_parse("", sch, sizeof sch, realm, sizeof realm, svc, sizeof svc, scope, sizeof scope) < 0,
       "an empty challenge refused");
    char path[] = "/tmp/vj-auth-XXXXXX";
    int fd = mkstemp(path);
    const char *doc = "{\"auths\":{\"reg.example:5000\":{\"auth\":\"YWxpY2U6czNjcjp0\"},"
                      "\"https://index.docker.io/v1/\":{\"auth\":\"Ym9iOnB3\"}}}"; /* alice:s3cr:t, bob:pw */
    ok(fd >= 0 && write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc), "auth file written");
    close(fd);
    char u[64], p[64];
    ok(img_auth_lookup(path, "reg.example:5000", u, sizeof u, p, sizeof p) == 1 && strcmp(u, "alice") == 0 &&
           strcmp(p, "s3cr:t") == 0,
       "credentials by host (a ':' in the password)");
    ok(img_auth_lookup(path, "docker.io", u, sizeof u, p, sizeof p) == 1 && strcmp(u, "bob") == 0 &&
           strcmp(p, "pw") == 0,
       "docker.io's under docker's legacy key (base64 padding)");
    is_int(img_auth_lookup(path, "other.example", u, sizeof u, p, sizeof p), 0, "no credentials for another host");
    unlink(path);
}

int main(void)
{
    references();
    media();
    index_choice();
    manifests();
    digests();
    paths();
    auth();
    return done_testing();
}
