build-dev/src/lib/stack.o: src/lib/stack.c src/lib/stack.h
src/lib/stack.h:
