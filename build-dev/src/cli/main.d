build-dev/src/cli/main.o: src/cli/main.c src/cli/cli.h include/vmjail.h
src/cli/cli.h:
include/vmjail.h:
