build-dev/src/lib/sys_io.o: src/lib/sys_io.c src/lib/signal.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/syscall.h src/lib/thread.h
src/lib/signal.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/syscall.h:
src/lib/thread.h:
