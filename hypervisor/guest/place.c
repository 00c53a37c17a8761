/* What all guest loaders share: placing an image in guest memory without trampling anything
 * still needed (other modules move out of the way). */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/memory.h>
#include <plinth/place.h>
#include <plinth/string.h>

static bool overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

/* Moves every module but `keep` that lies in [start, end) to free RAM elsewhere. */
static int make_room(struct vm *vm, struct boot_info *bi, u32 keep, u64 start, u64 end)
{
	u32 i;

	pmm_remove(&ram, start, end); /* never relocate into the destination itself */
	for (i = 0; i < bi->module_count; i++) {
		struct boot_module *m = &bi->modules[i];
		u64 size = m->end - m->start, to;

		if (i == keep || !overlaps(m->start, m->end, start, end))
			continue;
		if (pmm_alloc(&ram, size ? size : 1, PMM_PAGE_SIZE, &to)) {
			log_warn("%s: no free RAM to move module %u (%lu bytes) out of the kernel's way", vm->name, i, size);
			return -ENOMEM;
		}
		memmove((void *)(uintptr_t)to, (void *)(uintptr_t)m->start, size);
		log_info("%s: moved module %u from 0x%lx to 0x%lx (the kernel loads there)", vm->name, i, m->start, to);
		m->start = to;
		m->end = to + size;
	}
	return 0;
}

int place_module(struct vm *vm, struct boot_info *bi, u32 index, u64 offset, gpa_t dest, u64 copy, u64 zero)
{
	return place_module_room(vm, bi, index, offset, dest, copy, zero, copy + zero);
}

int place_module_room(struct vm *vm, struct boot_info *bi, u32 index, u64 offset, gpa_t dest, u64 copy, u64 zero,
		      u64 room)
{
	struct boot_module *m = &bi->modules[index];
	const struct vm_mem *mem;

	room = MAX(room, copy + zero);
	mem = vm_mem_find(vm, dest, room);
	int rc;

	if (!mem || mem->kind != VM_MEM_RAM || mem->hpa != mem->gpa) {
		log_warn("%s: module %u wants 0x%lx-0x%lx, which is not the VM's RAM%s", vm->name, index, dest,
			 dest + room,
			 overlaps(dest, dest + room, plinth_reserved.start, plinth_reserved.end) ?
				 " (it overlaps Plinth's range)" : "");
		return -EINVAL;
	}
	if (offset > m->end - m->start || copy > m->end - m->start - offset) {
		log_warn("%s: module %u is %lu bytes, shorter than the %lu at offset %lu its header describes",
			 vm->name, index, m->end - m->start, copy, offset);
		return -EINVAL;
	}
	rc = make_room(vm, bi, index, dest, dest + room);
	if (rc)
		return rc;
	memmove((void *)(uintptr_t)dest, (void *)(uintptr_t)(m->start + offset), copy);
	memset((void *)(uintptr_t)(dest + copy), 0, zero);
	return 0;
}

int place_keep_module(struct vm *vm, struct boot_info *bi, u32 index, u64 limit, u64 avoid_start, u64 avoid_end)
{
	struct boot_module *m = &bi->modules[index];
	u64 size = m->end - m->start, to;
	const struct vm_mem *mem = vm_mem_find(vm, m->start, size ? size : 1);

	if (mem && mem->kind == VM_MEM_RAM && m->end <= limit && !overlaps(m->start, m->end, avoid_start, avoid_end))
		return 0;
	pmm_remove(&ram, avoid_start, avoid_end);
	if (pmm_alloc(&ram, size ? size : 1, PMM_PAGE_SIZE, &to) || to + size > limit) {
		log_warn("%s: module %u (%lu bytes) does not fit in the VM's RAM below 0x%lx", vm->name, index, size, limit);
		return -ENOMEM;
	}
	memmove((void *)(uintptr_t)to, (void *)(uintptr_t)m->start, size);
	log_info("%s: moved module %u from 0x%lx to 0x%lx", vm->name, index, m->start, to);
	m->start = to;
	m->end = to + size;
	return 0;
}
