/* Applying load plans to a VM (guest/place.c): guest memory is written through vm_mem only;
 * the modules GRUB loaded are moved in host RAM when a destination covers them. */
#ifndef PLINTH_PLACE_H
#define PLINTH_PLACE_H

#include <plinth/boot_info.h>
#include <plinth/load_plan.h>
#include <plinth/vm.h>

/* Where the loaders put hand-over data: never in the first page, which holds the real-mode
 * interrupt vectors and the BIOS data area the firmware left. */
#define PLACE_HANDOVER_FLOOR 0x1000

/* Whether all of guest-physical [gpa, gpa + len) is the VM's RAM; says which range is not
 * (naming module index and what) when it is not. */
bool place_check_ram(const struct vm *vm, u32 index, const char *what, gpa_t gpa, u64 len);
/* Guest RAM free for hand-over data: the VM's RAM without the first page, the plan's segments
 * (or [avoid_start, avoid_end)) and every module where it lies now. 0 or -ENOSPC. */
int place_free_for_handover(struct pmm *free, const struct vm *vm, const struct boot_info *bi,
			    const struct load_plan *plan, u64 avoid_start, u64 avoid_end);
/* Makes the guest ranges dst[0..n) ([start, end) by guest-physical address) ready to be
 * written: their host memory leaves the free RAM, and every module whose bytes lie there (the
 * image being loaded too) moves elsewhere below 4 GiB. 0, or an error after saying why. */
int place_clear(struct vm *vm, struct boot_info *bi, const struct mem_range *dst, u32 n);
/* Moves module index below limit unless it already ends there. 0 or -ENOMEM after saying why. */
int place_below(struct vm *vm, struct boot_info *bi, u32 index, u64 limit);
/* Whether module index is the VM's RAM at its own address (so the guest finds it where it is
 * told it is); says so when it is not. */
bool place_module_visible(const struct vm *vm, const struct boot_info *bi, u32 index);
/* Copies the plan's segments from module index's bytes into guest memory and zeroes their
 * rest. 0, or -EFAULT after saying why. */
int place_segments(struct vm *vm, const struct boot_info *bi, u32 index, const struct load_plan *plan);

#endif
