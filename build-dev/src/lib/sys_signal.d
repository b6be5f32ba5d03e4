build-dev/src/lib/sys_signal.o: src/lib/sys_signal.c src/lib/error.h \
 include/vmjail.h src/lib/signal.h src/lib/proc.h src/lib/vm.h \
 src/lib/vma.h include/vmjail_abi.h src/lib/signal_frame_x86_64.h \
 src/lib/syscall.h src/lib/thread.h
src/lib/error.h:
include/vmjail.h:
src/lib/signal.h:
src/lib/proc.h:
src/lib/vm.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/signal_frame_x86_64.h:
src/lib/syscall.h:
src/lib/thread.h:
