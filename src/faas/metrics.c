/* metrics.c: the gateway's metrics in Prometheus's text format: OpenFaaS's names
 * (gateway_function_invocation_total, gateway_functions_seconds, gateway_service_count) and
 * vmjail's (vmjail_restore_seconds, vmjail_cold_start_seconds, vmjail_vms_running). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/faas.h"

static const double bucket_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NB (sizeof bucket_le / sizeof *bucket_le)

struct histo {
    unsigned long long b[NB], count;
    double sum;
};

struct code_count {
    int code;
    unsigned long long n;
};

struct fn_metrics {
    char name[FAAS_NAME_MAX];
    struct code_count codes[16];
    struct histo seconds;
};

struct faas_metrics {
    pthread_mutex_t lock;
    struct fn_metrics *fns;
    size_t n;
    struct histo restore, cold;
};

struct faas_metrics *faas_metrics_new(void)
{
    struct faas_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void faas_metrics_free(struct faas_metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->fns);
    free(m);
}

static void observe(struct histo *h, double s)
{
    for (size_t i = 0; i < NB; i++)
        if (s <= bucket_le[i])
            h->b[i]++;
    h->count++;
    h->sum += s;
}

static struct fn_metrics *find(struct faas_metrics *m, const char *fn, bool make)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->fns[i].name, fn) == 0)
            return &m->fns[i];
    if (!make)
        return NULL;
    struct fn_metrics *f = realloc(m->fns, (m->n + 1) * sizeof *f);
    if (f == NULL)
        return NULL;
    m->fns = f;
    f = &m->fns[m->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", fn);
    return f;
}

void faas_metrics_invocation(struct faas_metrics *m, const char *fn, int code, double seconds,
                             bool restored)
{
    pthread_mutex_lock(&m->lock);
    struct fn_metrics *f = find(m, fn, true);
    if (f) {
        for (size_t i = 0; i < 16; i++) {
            if (f->codes[i].code == code || f->codes[i].code == 0) {
                f->codes[i].code = code;
                f->codes[i].n++;
                break;
            }
        }
        observe(&f->seconds, seconds);
    }
    if (code != 404 && code != 429 && code != 413)
        observe(restored ? &m->restore : &m->cold, seconds);
    pthread_mutex_unlock(&m->lock);
}

void faas_metrics_forget(struct faas_metrics *m, const char *fn)
{
    pthread_mutex_lock(&m->lock);
    struct fn_metrics *f = find(m, fn, false);
    if (f) {
        *f = m->fns[m->n - 1];
        m->n--;
    }
    pthread_mutex_unlock(&m->lock);
}

struct buf {
    char *s;
    size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap + (size_t)n + 1) * 2;
        char *s = realloc(b->s, nc);
        if (s == NULL)
            return;
        b->s = s;
        b->cap = nc;
    }
}

static void histo(struct buf *b, const char *name, const char *labels, const struct histo *h)
{
    const char *sep = labels[0] ? "," : "";
    for (size_t i = 0; i < NB; i++)
        put(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bucket_le[i], h->b[i]);
    put(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, h->count);
    put(b, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
        h->sum);
    put(b, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
        h->count);
}

char *faas_metrics_text(struct faas_metrics *m, unsigned running, unsigned functions)
{
    struct buf b = {0};
    pthread_mutex_lock(&m->lock);
    put(&b, "# HELP gateway_function_invocation_total Invocations of each function by HTTP "
            "status.\n# TYPE gateway_function_invocation_total counter\n");
    for (size_t i = 0; i < m->n; i++)
        for (size_t j = 0; j < 16 && m->fns[i].codes[j].code; j++)
            put(&b, "gateway_function_invocation_total{function_name=\"%s\",code=\"%d\"} %llu\n",
                m->fns[i].name, m->fns[i].codes[j].code, m->fns[i].codes[j].n);
    put(&b, "# HELP gateway_functions_seconds Time taken by each function's invocations.\n"
            "# TYPE gateway_functions_seconds histogram\n");
    for (size_t i = 0; i < m->n; i++) {
        char l[128];
        snprintf(l, sizeof l, "function_name=\"%s\"", m->fns[i].name);
        histo(&b, "gateway_functions_seconds", l, &m->fns[i].seconds);
    }
    put(&b, "# HELP gateway_service_count Functions deployed.\n"
            "# TYPE gateway_service_count gauge\ngateway_service_count %u\n", functions);
    put(&b, "# HELP vmjail_restore_seconds Invocations started from a snapshot: restore, run and "
            "exit of the VM.\n# TYPE vmjail_restore_seconds histogram\n");
    histo(&b, "vmjail_restore_seconds", "", &m->restore);
    put(&b, "# HELP vmjail_cold_start_seconds Invocations started cold: start, run and exit of "
            "the VM.\n# TYPE vmjail_cold_start_seconds histogram\n");
    histo(&b, "vmjail_cold_start_seconds", "", &m->cold);
    put(&b, "# HELP vmjail_vms_running VMs running invocations now.\n"
            "# TYPE vmjail_vms_running gauge\nvmjail_vms_running %u\n", running);
    pthread_mutex_unlock(&m->lock);
    return b.s;
}
