/* stub_image.S: the process platform's stub (stub/stub.c, linked by the Makefile into
 * VJ_STUB_IMAGE), built into vmjail as bytes that vm_process.c writes into a memfd and runs. */
    .section .rodata
    .balign 64
    .globl vj_stub_image
    .hidden vj_stub_image
    .hidden vj_stub_image
vj_stub_image:
    .incbin VJ_STUB_IMAGE
    .globl vj_stub_image_end
    .hidden vj_stub_image_end
    .hidden vj_stub_image_end
vj_stub_image_end:
    .section .note.GNU-stack,"",@progbits
