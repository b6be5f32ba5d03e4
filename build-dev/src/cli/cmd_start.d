build-dev/src/cli/cmd_start.o: src/cli/cmd_start.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
