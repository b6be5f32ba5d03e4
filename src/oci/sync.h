/* sync.h: the messages between the runtime command and the container processes it starts
 * (over a SOCK_SEQPACKET pair), and the steps both create and exec share. */
#ifndef VJ_OCI_SYNC_H
#define VJ_OCI_SYNC_H

#include <sys/types.h>

#include "oci/oci.h"

enum oci_sync_type {
    OCI_SYNC_GO = 1,      /* runtime -> child: placed in the cgroup, go on */
    OCI_SYNC_USERMAP,     /* child -> runtime: write my uid/gid maps */
    OCI_SYNC_USERMAP_ACK, /* runtime -> child */
    OCI_SYNC_PID,         /* child -> runtime: the container process's pid (value) */
    OCI_SYNC_HOOKS,       /* container -> runtime: run prestart/createRuntime hooks now */
    OCI_SYNC_HOOKS_ACK,   /* runtime -> container, with the state JSON */
    OCI_SYNC_READY,       /* container -> runtime: set up, waiting for start */
    OCI_SYNC_ERROR,       /* any -> runtime: failed; text is the message */
};

struct oci_sync_msg {
    int type;
    int value;
    char text[16384]; /* an error message, or the state JSON for the container's hooks */
};

int oci_sync_send(int fd, int type, int value, const char *text);
/* Receive one message; a closed peer is an error ("the container process died"). */
int oci_sync_recv(int fd, struct oci_sync_msg *msg, vmjail_error **err);
/* The error an OCI_SYNC_ERROR message carries, as *ERR; returns -1. */
int oci_sync_error(const struct oci_sync_msg *msg, vmjail_error **err);
/* Wait for a message of TYPE; an OCI_SYNC_ERROR from the peer becomes *ERR. */
int oci_sync_expect(int fd, int type, struct oci_sync_msg *msg, vmjail_error **err);
/* Report ERR to the runtime and end this (child) process. */
_Noreturn void oci_sync_fail(int fd, vmjail_error *err);

/* The container-side first step (in the first child): join the namespaces given by path
 * (PATHS_FD[i] open for NS[i]), make the new ones (FLAGS), ask for the id maps when a user
 * namespace is new, then fork the container process (pid 1 of a new pid namespace).
 * Returns 0 in the container process, never returns in the first child. */
int oci_enter_namespaces(int sync_fd, const int *ns_fds, const int *ns_flags, size_t n_fds,
                         int new_flags);

/* Close every descriptor >= FIRST except those in KEEP. */
void oci_close_fds_from(int first, const int *keep, size_t n_keep);

/* Write the id maps of PID (the runtime side of OCI_SYNC_USERMAP). */
int oci_write_id_maps(pid_t pid, const struct oci_spec *spec, vmjail_error **err);

#endif
