build-dev/src/oci/state.o: src/oci/state.c src/lib/error.h \
 include/vmjail.h src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
