build-dev/src/lib/mm.o: src/lib/mm.c src/lib/mm.h src/lib/proc.h \
 src/lib/vm.h include/vmjail.h src/lib/vma.h include/vmjail_abi.h
src/lib/mm.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
