build-dev/src/lib/sys_proc.o: src/lib/sys_proc.c src/lib/syscall.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/thread.h
src/lib/syscall.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/thread.h:
