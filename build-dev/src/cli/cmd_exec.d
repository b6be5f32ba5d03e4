build-dev/src/cli/cmd_exec.o: src/cli/cmd_exec.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
