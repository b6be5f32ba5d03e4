/* prctl_caps: the capability and no_new_privs queries libcap's constructor makes in every
 * process that links it (PostgreSQL's, for one): PR_CAPBSET_READ over every capability and
 * past the last, PR_GET_SECUREBITS, PR_CAP_AMBIENT_IS_SET (and its bad arguments), and
 * PR_GET_NO_NEW_PRIVS before and after PR_SET_NO_NEW_PRIVS, kept over fork. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

int main(void)
{
    char what[64];
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    int last = 40;
    if (f) {
        if (fscanf(f, "%d", &last) != 1)
            last = 40;
        fclose(f);
    }
    for (int cap = 0; cap <= last + 2; cap++) {
        snprintf(what, sizeof what, "capbset read %d", cap);
        show(what, prctl(PR_CAPBSET_READ, cap, 0, 0, 0));
    }
    show("capbset read -1", prctl(PR_CAPBSET_READ, -1L, 0, 0, 0));
    show("get securebits", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    show("ambient is_set 0", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0));
    show("ambient is_set last", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, last, 0, 0));
    show("ambient is_set last+1", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, last + 1, 0, 0));
    show("ambient is_set 0 with arg4", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 1, 0));
    show("ambient op 99", prctl(PR_CAP_AMBIENT, 99, 0, 0, 0));
    show("get no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    show("get no_new_privs with arg2", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
    show("set no_new_privs 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    show("get no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        show("child: get no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        show("child: capbset read 0", prctl(PR_CAPBSET_READ, 0, 0, 0, 0));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
