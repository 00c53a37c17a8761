/* Load plans and the set of free guest RAM; see plinth/load_plan.h. Pure: host-tested. */
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/guest_map.h>
#include <plinth/load_plan.h>
#include <plinth/vm.h>

int plan_fail(struct load_plan *plan, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(plan->error, sizeof(plan->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool plan_overlaps(const struct load_plan *plan, u64 start, u64 end)
{
	u32 i;

	for (i = 0; i < plan->count; i++) {
		const struct load_segment *s = &plan->seg[i];

		if (start < s->gpa + s->copy + s->zero && s->gpa < end)
			return true;
	}
	return false;
}

int plan_add(struct load_plan *plan, u64 image_size, u64 offset, gpa_t gpa, u64 copy, u64 zero, u64 limit)
{
	u64 len = copy + zero;

	if (copy && (offset > image_size || copy > image_size - offset))
		return plan_fail(plan, "segment %u: file bytes 0x%lx+0x%lx lie beyond the image's %lu bytes", plan->count,
				 offset, copy, image_size);
	if (len < copy || gpa + len < gpa || gpa + len > limit)
		return plan_fail(plan, "segment %u: 0x%lx+0x%lx+0x%lx does not fit below 0x%lx", plan->count, gpa, copy,
				 zero, limit);
	if (!len)
		return 0; /* nothing to load: not a segment */
	if (plan_overlaps(plan, gpa, gpa + len))
		return plan_fail(plan, "segment %u at 0x%lx-0x%lx overlaps another", plan->count, gpa, gpa + len);
	if (plan->count == LOAD_SEGMENTS_MAX)
		return plan_fail(plan, "more than %d loadable segments", LOAD_SEGMENTS_MAX);
	plan->seg[plan->count++] = (struct load_segment){ offset, gpa, copy, zero };
	return 0;
}

int guest_free_init(struct pmm *free, const struct vm *vm)
{
	u32 i;

	pmm_init(free);
	for (i = 0; i < vm->mem_count; i++)
		if (vm->mem[i].kind == VM_MEM_RAM && pmm_add(free, vm->mem[i].gpa, vm->mem[i].gpa + vm->mem[i].size))
			return -ENOSPC;
	/* A partition's low hole is reserved in its map and holds its ACPI tables. */
	if (vm->partition && pmm_remove(free, GUEST_MAP_LOW_END, GUEST_MAP_HIGH_START))
		return -ENOSPC;
	return 0;
}

int guest_free_take_at(struct pmm *free, u64 start, u64 size)
{
	u32 i;

	if (!size || !IS_ALIGNED(start, PMM_PAGE_SIZE) || start + size < start || start + size > UINT64_MAX - PMM_PAGE_SIZE)
		return -ENOMEM;
	size = ALIGN_UP(size, PMM_PAGE_SIZE);
	for (i = 0; i < free->count; i++)
		if (free->free[i].start <= start && start + size <= free->free[i].end)
			return pmm_remove(free, start, start + size) ? -ENOMEM : 0;
	return -ENOMEM;
}

int guest_free_take(struct pmm *free, u64 size, u64 align, u64 floor, u64 limit, u64 prefer, u64 *out)
{
	u32 i;

	if (!size || size > limit || size > UINT64_MAX - PMM_PAGE_SIZE || align < PMM_PAGE_SIZE || (align & (align - 1)))
		return -ENOMEM;
	size = ALIGN_UP(size, PMM_PAGE_SIZE);
	if (prefer && IS_ALIGNED(prefer, align) && prefer <= limit - size && !guest_free_take_at(free, prefer, size)) {
		*out = prefer;
		return 0;
	}
	for (i = 0; i < free->count; i++) {
		u64 start = MAX(free->free[i].start, floor);

		if (start > UINT64_MAX - align)
			continue;
		start = ALIGN_UP(start, align);
		if (start < free->free[i].end && free->free[i].end - start >= size && start <= limit - size) {
			if (pmm_remove(free, start, start + size))
				return -ENOMEM;
			*out = start;
			return 0;
		}
	}
	return -ENOMEM;
}
