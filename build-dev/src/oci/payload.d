build-dev/src/oci/payload.o: src/oci/payload.c src/lib/error.h \
 include/vmjail.h src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
