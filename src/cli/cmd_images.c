/* cmd_images.c: `vmjail images [--format json] [-q] [--no-trunc]`: the images of the store,
 * as podman's table (REPOSITORY, TAG, IMAGE ID, CREATED, SIZE) or JSON. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "image/image.h"

static void split_name(const char *name, char *repo, size_t rn, char *tag, size_t tn)
{
    const char *at = strchr(name, '@'), *slash = strrchr(name, '/');
    const char *colon = strrchr(slash ? slash : name, ':');
    if (strncmp(name, "sha256:", 7) == 0) {
        snprintf(repo, rn, "<none>");
        snprintf(tag, tn, "<none>");
    } else if (at) {
        snprintf(repo, rn, "%.*s", (int)(at - name), name);
        snprintf(tag, tn, "<none>");
    } else if (colon) {
        snprintf(repo, rn, "%.*s", (int)(colon - name), name);
        snprintf(tag, tn, "%s", colon + 1);
    } else {
        snprintf(repo, rn, "%s", name);
        snprintf(tag, tn, "<none>");
    }
}

int cmd_images(int argc, char **argv)
{
    static const struct option longs[] = {
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_list_opts lo = {.cmd = "images"};
    int first = cli_getopts(argc, argv, "+qh", longs,
                        "usage: vmjail images [--format json|table] [-q] [--no-trunc]\n\nLists the "
                        "images of the image store: REPOSITORY, TAG, IMAGE ID (of its config),\n"
                        "CREATED, SIZE (of its compressed layers); -q only the IDs.\n",
                        cli_list_option, &lo);
    if (first <= 0)
        return first < 0 ? EXIT_VMJAIL_ERROR : 0;
    bool json = lo.json, quiet = lo.quiet, notrunc = lo.notrunc;
    if (first != argc) {
        cli_error("images: no arguments expected");
        return EXIT_VMJAIL_ERROR;
    }
    struct img_store *s;
    int rc = cli_store_open(false, &s);
    if (rc != 0)
        return rc;
    struct img_entry *v;
    size_t n;
    vmjail_error *err = NULL;
    if (img_store_list(s, &v, &n, &err) < 0) {
        img_store_close(s);
        return cli_fail(err);
    }
    struct json_object *arr = json_object_new_array();
    if (!json && !quiet)
        printf("%-40s %-12s %-14s %-22s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
    for (size_t i = 0; i < n; i++) {
        struct img_manifest m;
        struct img_config cfg;
        if (img_store_image(s, &v[i].manifest, &m, &cfg, &err) < 0) {
            rc = cli_fail(err);
            err = NULL;
            continue;
        }
        long long size = 0;
        for (size_t l = 0; l < m.nlayers; l++)
            size += m.layers[l].size;
        char repo[600], tag[200], id[80];
        split_name(v[i].name, repo, sizeof repo, tag, sizeof tag);
        snprintf(id, sizeof id, "%.64s", m.config.digest + 7);
        if (!notrunc && !json)
            id[12] = '\0';
        if (json) {
            struct json_object *o = json_object_new_object();
            json_object_object_add(o, "Id", json_object_new_string(m.config.digest + 7));
            json_object_object_add(o, "Names", json_object_new_array());
            json_object_array_add(json_object_object_get(o, "Names"), json_object_new_string(v[i].name));
            json_object_object_add(o, "Repository", json_object_new_string(repo));
            json_object_object_add(o, "Tag", json_object_new_string(tag));
            json_object_object_add(o, "Digest", json_object_new_string(v[i].manifest.digest));
            json_object_object_add(o, "Created", json_object_new_string(cfg.created));
            json_object_object_add(o, "Size", json_object_new_int64(size));
            json_object_object_add(o, "Layers", json_object_new_int64((int64_t)m.nlayers));
            json_object_array_add(arr, o);
        } else if (quiet) {
            printf("%s\n", id);
        } else {
            char created[24];
            snprintf(created, sizeof created, "%.19s", cfg.created[0] ? cfg.created : "-");
            for (char *t = created; *t; t++)
                if (*t == 'T')
                    *t = ' ';
            printf("%-40s %-12s %-14s %-22s %lld\n", repo, tag, id, created, size);
        }
        img_manifest_free(&m);
        img_config_free(&cfg);
    }
    if (json)
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
    free(v);
    img_store_close(s);
    return rc;
}
