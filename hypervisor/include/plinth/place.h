/* Placing guest images in a VM's memory (guest/place.c), for the loaders. */
#ifndef PLINTH_PLACE_H
#define PLINTH_PLACE_H

#include <plinth/boot_info.h>
#include <plinth/vm.h>

/* Copies `copy` bytes from offset in module index to guest-physical dest and zeroes `zero`
 * bytes after them, once it checked that the destination is RAM of the VM; moves other
 * modules out of the way first. -EINVAL (after a message naming the module) otherwise. */
int place_module(struct vm *vm, struct boot_info *bi, u32 index, u64 offset, gpa_t dest, u64 copy, u64 zero);
/* The same, keeping room bytes from dest clear of other modules (an image that grows in
 * place, like a Linux kernel decompressing itself, needs more than it copies). */
int place_module_room(struct vm *vm, struct boot_info *bi, u32 index, u64 offset, gpa_t dest, u64 copy, u64 zero,
		      u64 room);
/* Moves module index (an initrd, say) so that it lies in the VM's RAM below limit and clear
 * of [avoid_start, avoid_end); leaves it where it is when it already does. */
int place_keep_module(struct vm *vm, struct boot_info *bi, u32 index, u64 limit, u64 avoid_start, u64 avoid_end);

#endif
