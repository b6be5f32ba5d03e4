build-dev/src/cli/cmd_delete.o: src/cli/cmd_delete.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
