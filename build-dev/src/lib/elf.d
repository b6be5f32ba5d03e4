build-dev/src/lib/elf.o: src/lib/elf.c src/lib/elf.h include/vmjail.h \
 src/lib/error.h
src/lib/elf.h:
include/vmjail.h:
src/lib/error.h:
