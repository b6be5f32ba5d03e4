/* test_faas.c: unit tests of the gateway's pure parts (src/faas): routes, function names,
 * sizes, Http_* variable names, function specs parsed (and refused with one-line reasons),
 * written and read back, and the vmjail command lines made for a function. */
#include <stdlib.h>
#include <string.h>

#include "faas/faas.h"
#include "tap.h"

static void route_is(const char *m, const char *url, enum faas_route want, const char *name,
                     const char *sub)
{
    char n[FAAS_NAME_MAX];
    const char *s = NULL;
    enum faas_route r = faas_route_of(m, url, n, &s);
    ok(r == want && strcmp(n, name) == 0 && (sub == NULL || (s && strcmp(s, sub) == 0)),
       "%s %s -> route %d name '%s' sub '%s' (got %d '%s' '%s')", m, url, want, name,
       sub ? sub : "", r, n, s ? s : "");
}

static void routes(void)
{
    route_is("GET", "/healthz", FAAS_ROUTE_HEALTH, "", NULL);
    route_is("POST", "/healthz", FAAS_ROUTE_BAD_METHOD, "", NULL);
    route_is("GET", "/metrics", FAAS_ROUTE_METRICS, "", NULL);
    route_is("GET", "/system/functions", FAAS_ROUTE_LIST, "", NULL);
    route_is("POST", "/system/functions", FAAS_ROUTE_DEPLOY, "", NULL);
    route_is("PUT", "/system/functions", FAAS_ROUTE_UPDATE, "", NULL);
    route_is("DELETE", "/system/functions", FAAS_ROUTE_DELETE, "", NULL);
    route_is("PATCH", "/system/functions", FAAS_ROUTE_BAD_METHOD, "", NULL);
    route_is("GET", "/system/function/echo", FAAS_ROUTE_GET, "echo", NULL);
    route_is("GET", "/system/function/echo/x", FAAS_ROUTE_NONE, "echo", NULL);
    route_is("POST", "/function/echo", FAAS_ROUTE_INVOKE, "echo", "/");
    route_is("GET", "/function/py/a/b", FAAS_ROUTE_INVOKE, "py", "/a/b");
    route_is("POST", "/function/", FAAS_ROUTE_NONE, "", NULL);
    route_is("POST", "/function/Bad", FAAS_ROUTE_NONE, "", NULL);
    route_is("POST", "/function/../etc", FAAS_ROUTE_NONE, "", NULL);
    route_is("POST", "/async-function/echo", FAAS_ROUTE_ASYNC, "echo", "/");
    route_is("GET", "/nothing", FAAS_ROUTE_NONE, "", NULL);
    ok(faas_route_needs_token(FAAS_ROUTE_LIST) && faas_route_needs_token(FAAS_ROUTE_GET) &&
           faas_route_needs_token(FAAS_ROUTE_DELETE) && !faas_route_needs_token(FAAS_ROUTE_INVOKE) &&
           !faas_route_needs_token(FAAS_ROUTE_METRICS),
       "the /system routes need the token; invocations and metrics do not");
}

static void names_sizes(void)
{
    ok(faas_name_ok("echo") && faas_name_ok("a.b_c-1") && faas_name_ok("9"), "valid names");
    ok(!faas_name_ok("") && !faas_name_ok("-x") && !faas_name_ok(".x") && !faas_name_ok("A") &&
           !faas_name_ok("a/b") && !faas_name_ok("a b"),
       "invalid names refused");
    char l[80];
    memset(l, 'a', 64);
    l[64] = '\0';
    ok(!faas_name_ok(l), "a 64-character name refused");
    l[63] = '\0';
    ok(faas_name_ok(l), "a 63-character name accepted");
    is_int(faas_parse_size("1048576"), 1048576, "size in bytes");
    is_int(faas_parse_size("1K"), 1024, "1K");
    is_int(faas_parse_size("64Mi"), 64 << 20, "64Mi");
    is_int(faas_parse_size("2GiB"), 2ll << 30, "2GiB");
    is_int(faas_parse_size("1MB"), 1 << 20, "1MB");
    ok(faas_parse_size("") == 0 && faas_parse_size("x") == 0 && faas_parse_size("1X") == 0 &&
           faas_parse_size("0") == 0 && faas_parse_size("-1") == 0 &&
           faas_parse_size("99999999999999999999G") == 0 && faas_parse_size("1Mx") == 0,
       "bad sizes refused");
    char e[64];
    faas_header_env_name("Content-Type", e, sizeof e);
    is_str(e, "Http_Content_Type", "Content-Type");
    faas_header_env_name("x-call-id", e, sizeof e);
    is_str(e, "Http_X_Call_Id", "x-call-id");
    faas_header_env_name("weird.na$me", e, sizeof e);
    is_str(e, "Http_Weird_Na_Me", "other characters become _");
    faas_header_env_name("a-very-long-header-name-that-goes-on", e, 12);
    is_str(e, "Http_A_Very", "cut at the buffer's size");
}

static void spec_ok(void)
{
    const char *j = "{\"service\":\"py\",\"program\":\"/usr/bin/python3\",\"args\":[\"/f.py\"],"
                    "\"files\":[\"/data/m.bin\"],\"envVars\":{\"A\":\"1\",\"B\":\"x=y\"},"
                    "\"limits\":{\"memory\":\"128Mi\"},\"labels\":{\"com.vmjail.timeout\":\"7\"},"
                    "\"annotations\":{\"max_inflight\":3,\"max_body\":\"2K\","
                    "\"snapshot_at\":\"accept\",\"other\":\"kept out\"}}  \n";
    struct faas_fn f, g;
    vmjail_error *err = NULL;
    int rc = faas_fn_parse(j, strlen(j), &f, &err);
    ok(rc == 0, "a full spec parses (%s)", err ? vmjail_error_message(err) : "");
    is_str(f.name, "py", "service");
    is_str(f.program, "/usr/bin/python3", "program");
    ok(f.image == NULL && f.nargs == 1 && strcmp(f.args[0], "/f.py") == 0 && f.nfiles == 1,
       "args and files");
    ok(f.nenv == 2 && strcmp(f.env[0], "A=1") == 0 && strcmp(f.env[1], "B=x=y") == 0, "envVars");
    is_int(f.memory, 128 << 20, "limits.memory");
    is_int(f.timeout, 7, "timeout from a label");
    is_int(f.max_inflight, 3, "max_inflight from an annotation (a number)");
    is_int(f.max_body, 2048, "max_body");
    is_str(f.snapshot_at, "accept", "snapshot_at");
    rc = faas_fn_copy(&f, &g, &err);
    ok(rc == 0 && strcmp(g.name, "py") == 0 && g.memory == f.memory && g.timeout == 7 &&
           g.max_inflight == 3 && g.max_body == 2048 && g.nenv == 2 &&
           strcmp(g.env[1], "B=x=y") == 0 && strcmp(g.snapshot_at, "accept") == 0 &&
           g.nfiles == 1 && g.nargs == 1,
       "written as JSON and read back, the same spec");
    faas_fn_free(&f);
    faas_fn_free(&g);
    j = "{\"service\":\"box\",\"image\":\"busybox:1\"}";
    rc = faas_fn_parse(j, strlen(j), &f, &err);
    ok(rc == 0 && f.timeout == FAAS_DEFAULT_TIMEOUT && f.max_body == FAAS_DEFAULT_MAX_BODY &&
           f.max_inflight == 0 && strcmp(f.snapshot_at, "none") == 0,
       "defaults; an image's function takes no snapshot by default");
    struct faas_argv a;
    char *http[] = {"Http_Method=POST", NULL};
    faas_argv_invoke(&a, "/v", &f, NULL, http);
    ok(a.argc == 9 && strcmp(a.argv[1], "box") == 0 && strcmp(a.argv[3], "--rm") == 0 &&
           strcmp(a.argv[4], "--name") == 0 && strcmp(a.argv[5], a.box) == 0 &&
           strncmp(a.box, "faas-", 5) == 0 && strlen(a.box) == 21 &&
           strcmp(a.argv[7], "Http_Method=POST") == 0 && strcmp(a.argv[8], "busybox:1") == 0,
       "an image runs as box run --rm --name faas-HEX -e ... IMAGE (%s)", a.box);
    struct faas_argv rm;
    faas_argv_box_rm(&rm, "/v", &a);
    ok(rm.argc == 5 && strcmp(rm.argv[2], "rm") == 0 && strcmp(rm.argv[3], "-f") == 0 &&
           strcmp(rm.argv[4], a.box) == 0 && rm.envp[0] && strncmp(rm.envp[0], "PATH=", 5) == 0,
       "its box removed by name after a timeout: box rm -f %s", a.box);
    faas_argv_free(&rm);
    faas_argv_free(&a);
    faas_fn_free(&f);
    j = "{\"service\":\"e\",\"program\":\"/bin/busybox\",\"args\":[\"cat\"],\"envVars\":{\"K\":\"V\"},"
        "\"limits\":{\"memory\":\"64M\"}}";
    faas_fn_parse(j, strlen(j), &f, &err);
    faas_argv_invoke(&a, "/v", &f, "/s/e.snap", http);
    ok(a.argc == 4 && strcmp(a.argv[2], "--from") == 0 && strcmp(a.argv[3], "/s/e.snap") == 0,
       "a restore: run --from SNAPSHOT");
    ok(a.envc == 3 && strcmp(a.envp[1], "K=V") == 0 && strcmp(a.envp[2], "Http_Method=POST") == 0,
       "its environment: PATH, the function's, the request's");
    faas_argv_free(&a);
    faas_argv_invoke(&a, "/v", &f, NULL, NULL);
    ok(a.argc == 7 && strcmp(a.argv[2], "--memory") == 0 && strcmp(a.argv[3], "64M") == 0 &&
           strcmp(a.argv[5], "/bin/busybox") == 0 && strcmp(a.argv[6], "cat") == 0,
       "a cold start: run --memory 64M -- PROGRAM ARGS");
    faas_argv_free(&a);
    faas_argv_snapshot(&a, "/v", &f, "/s/e.tmp");
    ok(a.argc == 11 && strcmp(a.argv[3], "read-stdin") == 0 && strcmp(a.argv[5], "/s/e.tmp") == 0,
       "the deploy-time snapshot: run --snapshot-at read-stdin --snapshot-file F ...");
    faas_argv_free(&a);
    faas_fn_free(&f);
}

static void spec_bad(const char *j, const char *want)
{
    struct faas_fn f;
    vmjail_error *err = NULL;
    int rc = faas_fn_parse(j, strlen(j), &f, &err);
    const char *m = err ? vmjail_error_message(err) : "accepted";
    ok(rc < 0 && err && strstr(m, want) && !strchr(m, '\n'), "refused: %s (%s)", j, m);
    vmjail_error_free(err);
    faas_fn_free(&f);
}

static void spec_refused(void)
{
    spec_bad("", "not JSON");
    spec_bad("{\"service\":", "not JSON");
    spec_bad("[]", "not a JSON object");
    spec_bad("{} x", "after its JSON value");
    spec_bad("{\"program\":\"/bin/true\"}", "\"service\"");
    spec_bad("{\"service\":\"A\",\"program\":\"/bin/true\"}", "not a valid name");
    spec_bad("{\"service\":\"a\"}", "exactly one of");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"image\":\"i\"}", "exactly one of");
    spec_bad("{\"service\":\"a\",\"program\":\"bin/true\"}", "absolute");
    spec_bad("{\"service\":\"a\",\"program\":3}", "non-empty string");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"files\":[\"rel\"]}", "absolute");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"args\":[1]}", "array of strings");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"envVars\":[]}", "envVars");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"envVars\":{\"A\":1}}", "must be a string");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"limits\":{\"memory\":\"15M\"}}", "memory");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"limits\":{\"memory\":\"17M\"}}", "memory");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"annotations\":{\"timeout\":\"0\"}}", "timeout");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"annotations\":{\"timeout\":\"5s\"}}", "timeout");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"labels\":{\"max_inflight\":\"x\"}}", "max_inflight");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"annotations\":{\"snapshot_at\":\"now\"}}", "snapshot_at");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"annotations\":{\"max_body\":[]}}", "max_body");
    spec_bad("{\"service\":\"a\",\"program\":\"/x\",\"service\":\"a\\u0000b\"}", "NUL");
}

int main(void)
{
    routes();
    names_sizes();
    spec_ok();
    spec_refused();
    return done_testing();
}
