build-dev/src/oci/spec.o: src/oci/spec.c src/lib/error.h include/vmjail.h \
 src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
