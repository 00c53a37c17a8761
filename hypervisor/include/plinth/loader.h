/* Guest image loaders (hypervisor/guest/): the image format is told apart by its headers. */
#ifndef PLINTH_LOADER_H
#define PLINTH_LOADER_H

#include <plinth/boot_info.h>
#include <plinth/vm.h>

/* Loads module `index` into vm (identity-mapped guest memory) and fills vm->boot. Returns 0,
 * or a negative error after printing one line that names the module and the problem. */
int loader_load(struct vm *vm, struct boot_info *bi, u32 index);

/* Multiboot (version 1) kernels (guest/multiboot.c): 0 when loaded, -ENOENT when the image
 * has no multiboot header (not this format), another error after printing why. */
int multiboot_load(struct vm *vm, struct boot_info *bi, u32 index);

/* The memory map a guest should see: the firmware's, with Plinth's range reserved. Writes at
 * most max entries, sorted as the firmware gave them; returns the count. */
u32 loader_guest_memory_map(const struct boot_info *bi, struct mem_range *out, u32 max);

/* Copies `copy` bytes from offset in module index to guest-physical dest and zeroes `zero`
 * bytes after them, once it checked that the destination is RAM of the VM; moves other
 * modules out of the way first. -EINVAL (after a message naming the module) otherwise. */
int loader_place(struct vm *vm, struct boot_info *bi, u32 index, u64 offset, gpa_t dest, u64 copy, u64 zero);
/* The same, keeping room bytes from dest clear of other modules (an image that grows in
 * place, like a Linux kernel decompressing itself, needs more than it copies). */
int loader_place_room(struct vm *vm, struct boot_info *bi, u32 index, u64 offset, gpa_t dest, u64 copy, u64 zero,
		      u64 room);
/* Moves module index (an initrd, say) so that it lies in the VM's RAM below limit and clear
 * of [avoid_start, avoid_end); leaves it where it is when it already does. */
int loader_keep_module(struct vm *vm, struct boot_info *bi, u32 index, u64 limit, u64 avoid_start, u64 avoid_end);

/* Linux bzImage (guest/linux.c): -ENOENT when the image is not one. */
int linux_load(struct vm *vm, struct boot_info *bi, u32 index);

#endif
