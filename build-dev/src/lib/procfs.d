build-dev/src/lib/procfs.o: src/lib/procfs.c src/lib/procfs.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/syscall.h
src/lib/procfs.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/syscall.h:
