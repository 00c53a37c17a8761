/* Guest image loaders (hypervisor/guest/): the image format is told apart by its headers.
 * loader_load (loader.c) tries each format's loader (linux.c, multiboot.c) in turn. */
#ifndef PLINTH_LOADER_H
#define PLINTH_LOADER_H

#include <plinth/boot_info.h>
#include <plinth/vm.h>

/* Loads module `index` into vm's memory (through vm_mem: guest-physical need not be host-
 * physical) and fills vm->boot. Returns 0, or a negative error after printing one line that
 * names the module and the problem; Plinth goes on either way. */
int loader_load(struct vm *vm, struct boot_info *bi, u32 index);

/* Whether module index is a kernel that runs wherever its RAM is (a Linux bzImage with
 * relocatable_kernel set), so that a VM may get RAM at guest-physical = host-physical
 * (plinth/ram_layout.h); false for a kernel at fixed addresses (multiboot, ELF) and for
 * anything Plinth cannot boot (its loader says why later). Reads the image only. */
bool loader_relocatable(const struct boot_info *bi, u32 index);

/* Each format's loader: 0 when loaded, -ENOENT when the image is not of its format, another
 * error after printing why. Linux bzImage (guest/linux.c), multiboot version 1 kernels
 * (guest/multiboot.c). */
int linux_load(struct vm *vm, struct boot_info *bi, u32 index);
int multiboot_load(struct vm *vm, struct boot_info *bi, u32 index);

#endif
