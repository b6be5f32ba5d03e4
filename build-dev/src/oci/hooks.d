build-dev/src/oci/hooks.o: src/oci/hooks.c src/lib/error.h \
 include/vmjail.h src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
