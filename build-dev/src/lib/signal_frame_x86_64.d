build-dev/src/lib/signal_frame_x86_64.o: src/lib/signal_frame_x86_64.c \
 src/lib/signal_frame_x86_64.h src/lib/proc.h src/lib/vm.h \
 include/vmjail.h src/lib/vma.h include/vmjail_abi.h src/lib/signal.h \
 src/lib/error.h
src/lib/signal_frame_x86_64.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/signal.h:
src/lib/error.h:
