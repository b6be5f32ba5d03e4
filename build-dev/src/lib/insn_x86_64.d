build-dev/src/lib/insn_x86_64.o: src/lib/insn_x86_64.c \
 src/lib/insn_x86_64.h src/lib/proc.h src/lib/vm.h include/vmjail.h \
 src/lib/vma.h include/vmjail_abi.h
src/lib/insn_x86_64.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
