build-dev/src/lib/sys_mem.o: src/lib/sys_mem.c src/lib/mm.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/procfs.h src/lib/syscall.h
src/lib/mm.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/procfs.h:
src/lib/syscall.h:
