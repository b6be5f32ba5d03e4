build-dev/src/cli/cmd_state.o: src/cli/cmd_state.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
