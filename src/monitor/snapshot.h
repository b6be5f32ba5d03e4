/* snapshot.h: a payload's snapshot: taken when it reaches a marked call (snapshot_write.c) and
 * a new payload started from one (snapshot_restore.c).  The file's layout: snapshot_format.h. */
#ifndef VJ_SNAPSHOT_H
#define VJ_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "host/vm.h"
#include "monitor/proc.h"
#include "monitor/snapshot_format.h"

/* What vmjail run --snapshot-at asks (p->snap_req; NULL: nothing). */
struct vj_snap_req {
    int mark;         /* enum vj_snap_mark */
    const char *path; /* the file to write */
    bool cont;        /* --snapshot-continue: the payload goes on (else it ends, status 0) */
    bool done;        /* taken (or failed): the mark is passed */
};

/* Before call SC of the calling payload thread is served: if it is the marked call, take the
 * snapshot, then either end the process (status 0) or let the call be served; a failure ends
 * it with a monitor error naming what could not be snapshotted.  The vmjail call
 * VJ_NR_SNAPSHOT is answered here (*R: 0, or VJMARK_RESTORED in a restored payload): returns
 * true if *R answers SC. */
bool vj_snapshot_hook(struct vj_proc *p, const struct vj_syscall *sc, int64_t *r);

/* A hash of the host's vDSO image the payload is given (0 if none): a snapshot restores only
 * under the same one. */
uint64_t vj_snapshot_vdso_hash(const struct vj_vm *vm);

/* A snapshot file opened for a restore: its metadata read and checked. */
struct vj_snap_image {
    int fd;             /* the file (close-on-exec, moved high) */
    uint8_t *meta;      /* its metadata, which SNAP points into */
    struct vj_snap snap;
};
/* Open and check FILE.  0, or -1 with a one-line reason (the file named) in *ERR. */
int vj_snapshot_open(const char *file, struct vj_snap_image **out, vmjail_error **err);
void vj_snapshot_close(struct vj_snap_image *img);
/* Into P's fresh VM (created with img->snap.proc.mem_size): the address space, its memory
 * mapped from the file, /proc/self's facts, the signal dispositions, the descriptors and the
 * working directory.  Before the first thread. */
int vj_snapshot_restore_proc(struct vj_proc *p, struct vj_snap_image *img, vmjail_error **err);
/* The first thread T (on the VM's first vCPU): its registers at the marked call (which it
 * then makes again), FPU state, TLS bases, mask and alternate stack. */
int vj_snapshot_restore_thread(struct vj_thread *t, struct vj_snap_image *img,
                               vmjail_error **err);

#endif
