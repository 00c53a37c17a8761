/*
 * What the loaders share once a plan is made: checking it against the VM's RAM, choosing where
 * hand-over data goes, moving GRUB's modules out of the destinations (in host RAM, the free set
 * `ram`) and copying the image through vm_mem. No loader dereferences a guest address.
 */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/guest_map.h>
#include <plinth/memory.h>
#include <plinth/place.h>
#include <plinth/string.h>
#include <plinth/vm_mem.h>

static bool overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

bool place_check_ram(const struct vm *vm, u32 index, const char *what, gpa_t gpa, u64 len)
{
	if (vm_mem_is_ram(vm, gpa, len) && !guest_map_reserved(vm, gpa, len))
		return true;
	if (vm_mem_is_ram(vm, gpa, len)) {
		log_warn("%s: module %u: %s at 0x%lx-0x%lx lies in the VM's reserved 0x%x-0x%x (its ACPI tables)", vm->name,
			 index, what, gpa, gpa + len, GUEST_MAP_LOW_END, GUEST_MAP_HIGH_START);
		return false;
	}
	log_warn("%s: module %u: %s at 0x%lx-0x%lx is not all RAM of the VM", vm->name, index, what, gpa, gpa + len);
	return false;
}

int place_free_for_handover(struct pmm *free, const struct vm *vm, const struct boot_info *bi,
			    const struct load_plan *plan, u64 avoid_start, u64 avoid_end)
{
	u32 i;
	int rc = guest_free_init(free, vm);

	rc = rc ? rc : pmm_remove(free, 0, PLACE_HANDOVER_FLOOR);
	rc = rc ? rc : pmm_remove(free, avoid_start, avoid_end);
	for (i = 0; !rc && plan && i < plan->count; i++)
		rc = pmm_remove(free, plan->seg[i].gpa, plan->seg[i].gpa + plan->seg[i].copy + plan->seg[i].zero);
	/* A partition's RAM is carved from RAM outside every module: no module lies in it. */
	for (i = 0; !rc && !vm->partition && i < bi->module_count; i++)
		rc = pmm_remove(free, bi->modules[i].start, bi->modules[i].end);
	return rc;
}

static int move_module(struct vm *vm, struct boot_info *bi, u32 i, u64 limit, const char *why)
{
	struct boot_module *m = &bi->modules[i];
	u64 size = m->end - m->start, to;

	if (pmm_alloc(&ram, size ? size : 1, PMM_PAGE_SIZE, &to)) {
		log_warn("%s: no free RAM to move module %u (%lu bytes) %s", vm->name, i, size, why);
		return -ENOMEM;
	}
	if (to + size > limit) {
		pmm_free(&ram, to, ALIGN_UP(size ? size : 1, PMM_PAGE_SIZE));
		log_warn("%s: no free RAM below 0x%lx to move module %u (%lu bytes) %s", vm->name, limit, i, size, why);
		return -ENOMEM;
	}
	memmove((void *)(uintptr_t)to, (const void *)(uintptr_t)m->start, size);
	log_info("%s: moved module %u from 0x%lx to 0x%lx (%s)", vm->name, i, m->start, to, why);
	m->start = to;
	m->end = to + size;
	return 0;
}

/* Calls fn on each host piece of guest range d; stops at the first non-zero result. */
static int each_host_piece(const struct vm *vm, const struct mem_range *d, int (*fn)(u64, u64, void *), void *arg)
{
	u64 gpa, hpa, piece;
	int rc;

	for (gpa = d->start; gpa < d->end; gpa += piece) {
		if (vm_mem_host_piece(vm, gpa, d->end - gpa, &hpa, &piece))
			return -EFAULT;
		rc = fn(hpa, hpa + piece, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int unfree(u64 start, u64 end, void *arg)
{
	(void)arg;
	return pmm_remove(&ram, start, end);
}

static int covers(u64 start, u64 end, void *arg)
{
	const struct boot_module *m = arg;

	return overlaps(m->start, m->end, start, end);
}

int place_clear(struct vm *vm, struct boot_info *bi, const struct mem_range *dst, u32 n)
{
	u32 d, i;
	int rc;

	for (d = 0; d < n; d++) {
		rc = each_host_piece(vm, &dst[d], unfree, NULL);
		if (rc) {
			log_warn("%s: cannot reserve 0x%lx-0x%lx for the guest image (error %d)", vm->name, dst[d].start,
				 dst[d].end, rc);
			return rc;
		}
	}
	for (i = 0; i < bi->module_count; i++)
		for (d = 0; d < n; d++)
			if (each_host_piece(vm, &dst[d], covers, &bi->modules[i]) > 0) {
				rc = move_module(vm, bi, i, LOAD_LIMIT_32, "out of the guest image's way");
				if (rc)
					return rc;
				break;
			}
	return 0;
}

int place_below(struct vm *vm, struct boot_info *bi, u32 index, u64 limit)
{
	if (bi->modules[index].end <= limit)
		return 0;
	return move_module(vm, bi, index, limit, "below the limit the kernel gives");
}

bool place_module_visible(const struct vm *vm, const struct boot_info *bi, u32 index)
{
	const struct boot_module *m = &bi->modules[index];
	u64 size = m->end - m->start;
	const struct vm_mem *r = vm_mem_find(vm, m->start, size ? size : 1);

	if (r && r->kind == VM_MEM_RAM && r->hpa == r->gpa)
		return true;
	log_warn("%s: module %u at 0x%lx-0x%lx is not the VM's RAM at that address: the guest cannot find it", vm->name,
		 index, m->start, m->end);
	return false;
}

int place_segments(struct vm *vm, const struct boot_info *bi, u32 index, const struct load_plan *plan)
{
	const struct boot_module *m = &bi->modules[index];
	u32 i;

	for (i = 0; i < plan->count; i++) {
		const struct load_segment *s = &plan->seg[i];

		if (vm_mem_write(vm, s->gpa, (const u8 *)(uintptr_t)m->start + s->offset, s->copy) ||
		    vm_mem_zero(vm, s->gpa + s->copy, s->zero)) {
			log_warn("%s: module %u: segment 0x%lx-0x%lx is not all RAM of the VM", vm->name, index, s->gpa,
				 s->gpa + s->copy + s->zero);
			return -EFAULT;
		}
	}
	return 0;
}
