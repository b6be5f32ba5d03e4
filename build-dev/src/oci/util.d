build-dev/src/oci/util.o: src/oci/util.c src/lib/error.h include/vmjail.h \
 src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
