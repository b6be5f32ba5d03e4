build-dev/src/lib/vma.o: src/lib/vma.c src/lib/vma.h
src/lib/vma.h:
