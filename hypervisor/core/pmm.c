/*
 * Physical page allocator: a sorted array of disjoint, non-adjacent free ranges.
 *
 * A range list rather than a bitmap: its size does not grow with RAM (a 1 TiB machine needs no
 * 32 MiB bitmap before the allocator exists), carving out reserved regions is exact, and
 * contiguous allocations of any size and alignment are one scan.
 */
#include <plinth/errno.h>
#include <plinth/pmm.h>
#include <plinth/string.h>

void pmm_init(struct pmm *pmm)
{
	memset(pmm, 0, sizeof(*pmm));
}

static int insert_at(struct pmm *pmm, u32 i, u64 start, u64 end)
{
	if (pmm->count == PMM_MAX_RANGES)
		return -ENOSPC;
	memmove(&pmm->free[i + 1], &pmm->free[i], (pmm->count - i) * sizeof(pmm->free[0]));
	pmm->free[i].start = start;
	pmm->free[i].end = end;
	pmm->count++;
	return 0;
}

static void delete_at(struct pmm *pmm, u32 i)
{
	memmove(&pmm->free[i], &pmm->free[i + 1], (pmm->count - i - 1) * sizeof(pmm->free[0]));
	pmm->count--;
}

int pmm_add(struct pmm *pmm, u64 start, u64 end)
{
	u32 i = 0;

	/* A start in the last partial page would round up past 2^64 to 0. */
	if (start >= end || start > UINT64_MAX - (PMM_PAGE_SIZE - 1))
		return 0;
	start = ALIGN_UP(start, PMM_PAGE_SIZE);
	end = ALIGN_DOWN(end, PMM_PAGE_SIZE);
	if (start >= end)
		return 0;
	/* Skip the ranges wholly before [start, end) and not touching it. */
	while (i < pmm->count && pmm->free[i].end < start)
		i++;
	if (i == pmm->count || pmm->free[i].start > end)
		return insert_at(pmm, i, start, end);
	/* Merge with every range that overlaps or touches. */
	pmm->free[i].start = MIN(pmm->free[i].start, start);
	pmm->free[i].end = MAX(pmm->free[i].end, end);
	while (i + 1 < pmm->count && pmm->free[i + 1].start <= pmm->free[i].end) {
		pmm->free[i].end = MAX(pmm->free[i].end, pmm->free[i + 1].end);
		delete_at(pmm, i + 1);
	}
	return 0;
}

int pmm_remove(struct pmm *pmm, u64 start, u64 end)
{
	u32 i = 0;

	if (start >= end)
		return 0; /* empty or reversed: nothing to remove */
	start = ALIGN_DOWN(start, PMM_PAGE_SIZE);
	end = end > UINT64_MAX - PMM_PAGE_SIZE ? ALIGN_DOWN(UINT64_MAX, PMM_PAGE_SIZE) :
						  ALIGN_UP(end, PMM_PAGE_SIZE);
	while (i < pmm->count) {
		struct pmm_range *r = &pmm->free[i];

		if (r->end <= start) {
			i++;
		} else if (r->start >= end) {
			break;
		} else if (r->start >= start && r->end <= end) {
			delete_at(pmm, i);
		} else if (r->start < start && r->end > end) {
			/* The hole splits this range in two. */
			int rc = insert_at(pmm, i + 1, end, r->end);

			if (rc)
				return rc;
			pmm->free[i].end = start;
			break;
		} else if (r->start < start) {
			r->end = start;
			i++;
		} else {
			r->start = end;
			break;
		}
	}
	return 0;
}

/* The lowest (or, top, the highest) aligned fit of size bytes, taken out of the free set. */
static int alloc(struct pmm *pmm, u64 size, u64 align, bool top, u64 *out)
{
	u32 n;

	if (!size || size > UINT64_MAX - (PMM_PAGE_SIZE - 1) || align < PMM_PAGE_SIZE ||
	    (align & (align - 1)))
		return -EINVAL;
	size = ALIGN_UP(size, PMM_PAGE_SIZE);
	for (n = 0; n < pmm->count; n++) {
		const struct pmm_range *r = &pmm->free[top ? pmm->count - 1 - n : n];
		u64 start;

		if (r->end - r->start < size)
			continue;
		start = top ? ALIGN_DOWN(r->end - size, align) : ALIGN_UP(r->start, align);
		if (start < r->start || start >= r->end || r->end - start < size)
			continue;
		if (pmm_remove(pmm, start, start + size))
			return -ENOMEM; /* no slot to split into: treat as out of memory */
		*out = start;
		return 0;
	}
	return -ENOMEM;
}

int pmm_alloc(struct pmm *pmm, u64 size, u64 align, u64 *out)
{
	return alloc(pmm, size, align, false, out);
}

int pmm_alloc_top(struct pmm *pmm, u64 size, u64 align, u64 *out)
{
	return alloc(pmm, size, align, true, out);
}

bool pmm_is_free(const struct pmm *pmm, u64 addr)
{
	u32 i;

	for (i = 0; i < pmm->count; i++)
		if (addr >= pmm->free[i].start && addr < pmm->free[i].end)
			return true;
	return false;
}

int pmm_free(struct pmm *pmm, u64 start, u64 size)
{
	u32 i;

	if (!size || !IS_ALIGNED(start, PMM_PAGE_SIZE) || !IS_ALIGNED(size, PMM_PAGE_SIZE) ||
	    start + size < start)
		return -EINVAL;
	for (i = 0; i < pmm->count; i++)
		if (start < pmm->free[i].end && start + size > pmm->free[i].start)
			return -EINVAL; /* part of it is already free */
	return pmm_add(pmm, start, start + size);
}

u64 pmm_free_bytes(const struct pmm *pmm)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < pmm->count; i++)
		total += pmm->free[i].end - pmm->free[i].start;
	return total;
}
