build-dev/src/lib/loader.o: src/lib/loader.c src/lib/loader.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/elf.h src/lib/error.h src/lib/mm.h \
 src/lib/stack.h
src/lib/loader.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/elf.h:
src/lib/error.h:
src/lib/mm.h:
src/lib/stack.h:
