build-dev/tests/unit/test_oci: tests/unit/test_oci.c src/oci/oci.h \
 include/vmjail.h tests/unit/tap.h
src/oci/oci.h:
include/vmjail.h:
tests/unit/tap.h:
