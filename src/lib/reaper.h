/* reaper.h: a forked payload process's VM is torn down by its parent's monitor, after the
 * process has ended, so that the teardown is not on the path of the parent's wait. */
#ifndef VJ_REAPER_H
#define VJ_REAPER_H

#include "vm.h"

/* In a monitor about to fork: make sure it has a reaper (a socket and a thread that takes
 * and closes VM descriptors sent to it).  Best effort: without one, children tear their VM
 * down themselves. */
void vj_reaper_before_fork(struct vj_vm *vm);
/* In the child of that fork: the parent's reaper is the one to send to; this monitor has
 * none of its own until it forks. */
void vj_reaper_after_fork_child(struct vj_vm *vm);
/* At the end of a forked payload process: hand the VM to the parent's reaper, so that the
 * last close of it happens there.  Best effort. */
void vj_reaper_hand_over(struct vj_vm *vm);

#endif
