build-dev/src/cli/cmd_list.o: src/cli/cmd_list.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
