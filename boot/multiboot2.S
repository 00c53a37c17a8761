/* Multiboot2 header (specification section 3.1): magic, architecture, length, checksum, tags.
 * The linker puts it first in .text so it lies inside the first 32 KiB of the image, where
 * GRUB searches; tools/elfcheck.py verifies that after every link. */
#include "layout.h"

#define MB2_HEADER_TAG_END 0
#define MB2_HEADER_TAG_MODULE_ALIGN 6

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* Ask for page-aligned modules: guest images are then mapped and excluded page-wise. */
	.balign 8
	.short MB2_HEADER_TAG_MODULE_ALIGN, 0
	.long 8

	.balign 8
	.short MB2_HEADER_TAG_END, 0
	.long 8
mb2_header_end:
