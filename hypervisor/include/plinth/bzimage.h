/*
 * Linux bzImage kernels (the x86 boot protocol, Documentation/arch/x86/boot.rst): the setup
 * header read into what the loader (guest/linux.c) needs, and the boot_params ("zero page")
 * it hands over. Both halves are pure (guest/bzimage_parse.c, guest/bzimage_params.c):
 * host-tested and fuzzed.
 */
#ifndef PLINTH_BZIMAGE_H
#define PLINTH_BZIMAGE_H

#include <plinth/multiboot2.h>
#include <plinth/types.h>

#define BZ_ERROR_LEN 160
/* boot_params is one page; the e820 table in it holds 128 entries (zero-page.rst). */
#define BZ_PARAMS_SIZE 4096
#define BZ_E820_MAX 128
/* Plinth's own limit on a guest command line, NUL included. */
#define BZ_CMDLINE_MAX 4096

struct bzimage {
	u16 version; /* boot protocol, 0x020c = 2.12 */
	u64 pm_offset, pm_size; /* the protected-mode kernel's bytes in the file */
	u64 room;		/* what it needs from its load address: init_size, at least pm_size */
	u64 pref;		/* pref_address */
	u64 align;		/* kernel_alignment, a power of two */
	bool relocatable;
	u64 cmdline_max;  /* the longest command line it takes, NUL included */
	u64 initrd_limit; /* the initrd must end at or below this (initrd_addr_max + 1, <= 4 GiB) */
	u32 hdr_end;	  /* the setup header is [0x1f1, hdr_end) of the file */
	char error[BZ_ERROR_LEN];
};

/* Reads the setup header. 0; -ENOENT when the image is no bzImage at all (no boot flag and
 * "HdrS" magic); -EINVAL with bz->error naming what Plinth cannot boot. */
int bzimage_parse(const u8 *image, u64 size, struct bzimage *bz);

/* What the loader decided, for the zero page. */
struct bzimage_boot {
	u64 load;		  /* where the protected-mode kernel went: code32_start */
	u64 cmdline;		  /* guest-physical address of the command line */
	u64 initrd, initrd_size;  /* 0, 0 without one */
	u64 rsdp;		  /* the ACPI RSDP's physical address, 0 when unknown */
	const struct mem_range *e820;
	u32 e820_count;
};

/* Fills the BZ_PARAMS_SIZE bytes at bp: zeroed, the kernel's setup header copied from image,
 * then the loader's fields (boot.rst "Details of header fields", zero-page.rst). An e820
 * table longer than BZ_E820_MAX is cut there. */
void bzimage_boot_params(u8 *bp, const u8 *image, const struct bzimage *bz, const struct bzimage_boot *b);

#endif
