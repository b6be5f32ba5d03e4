build-dev/src/lib/signal.o: src/lib/signal.c src/lib/signal.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/error.h src/lib/insn_x86_64.h \
 src/lib/signal_frame_x86_64.h src/lib/thread.h
src/lib/signal.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/error.h:
src/lib/insn_x86_64.h:
src/lib/signal_frame_x86_64.h:
src/lib/thread.h:
