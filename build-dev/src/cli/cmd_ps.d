build-dev/src/cli/cmd_ps.o: src/cli/cmd_ps.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
