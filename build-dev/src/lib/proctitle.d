build-dev/src/lib/proctitle.o: src/lib/proctitle.c src/lib/procfs.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h
src/lib/procfs.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
