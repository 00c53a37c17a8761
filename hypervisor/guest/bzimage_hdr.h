/* Setup header and boot_params offsets (Documentation/arch/x86/boot.rst, zero-page.rst), for
 * guest/bzimage_parse.c and guest/bzimage_params.c only. */
#ifndef GUEST_BZIMAGE_HDR_H
#define GUEST_BZIMAGE_HDR_H

/* Setup header fields, by offset in the image (and in boot_params). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_VID_MODE 0x1fa
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_SIZE 0x268
/* boot_params after the setup header belongs to the loader (edd_mbr_sig_buffer onwards). */
#define HDR_COPY_END 0x290

/* boot_params fields outside the setup header (zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0

#define BOOT_FLAG 0xaa55
#define HDRS_MAGIC 0x53726448 /* "HdrS" */
#define PROTOCOL_MIN 0x020c
#define LOADED_HIGH BIT(0)
#define XLF_KERNEL_64 BIT(0)
#define LOADER_UNDEFINED 0xff

#endif
