/* What the loader gave Plinth (core/boot_info.c). */
#ifndef PLINTH_BOOT_INFO_H
#define PLINTH_BOOT_INFO_H

#include <plinth/multiboot2.h>

/* Parses the multiboot2 information (when magic is the loader's) without printing: the
 * console options are in it. The result may be empty; boot_info_report says what is wrong. */
const struct boot_info *boot_info_parse(u32 magic, u64 mbi);

/* Prints what the loader gave (loader, command line, memory map, modules, ACPI RSDP). Panics
 * with the reason when the magic was wrong or no memory map was read; a malformed tag after
 * the memory map is a warning. Strings and the RSDP are copied into Plinth's memory, so the
 * loader's structure may be overwritten afterwards; loaders may move modules (boot_info is
 * theirs to update). */
struct boot_info *boot_info_report(void);

#endif
