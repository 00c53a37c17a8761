/* Placing a partition VM's RAM in host memory; see plinth/ram_place.h. */
#include <plinth/errno.h>
#include <plinth/ram_place.h>
#include <plinth/string.h>

/* The 2 MiB-aligned part of a free range below limit, [*start, *end); false when it holds no
 * whole chunk (ALIGN_UP of a range ending near 2^64 would wrap: such a range holds none). */
static bool aligned_part(const struct pmm_range *r, u64 limit, u64 *start, u64 *end)
{
	if (r->start > ~0ULL - RAM_PLACE_ALIGN)
		return false;
	*start = ALIGN_UP(r->start, RAM_PLACE_ALIGN);
	*end = ALIGN_DOWN(MIN(r->end, limit), RAM_PLACE_ALIGN);
	return *start < *end;
}

u64 ram_place_capacity(const struct pmm *free)
{
	u64 total = 0, s, e;
	u32 i;

	for (i = 0; i < free->count; i++)
		if (aligned_part(&free->free[i], ~0ULL, &s, &e))
			total += e - s;
	return total;
}

void ram_place_release(struct pmm *free, const struct ram_place *p)
{
	u32 i;

	for (i = 0; i < p->count; i++)
		pmm_add(free, p->chunk[i].start, p->chunk[i].end);
}

/* The piece the next chunk comes from: the smallest aligned part below limit that holds all of
 * left, else the largest. False when there is none. */
static bool pick(const struct pmm *free, u64 left, u64 limit, u64 *start, u64 *len)
{
	u64 fit = 0, big = 0, fit_at = 0, big_at = 0, s, e;
	u32 i;

	for (i = 0; i < free->count; i++) {
		if (!aligned_part(&free->free[i], limit, &s, &e))
			continue;
		if (e - s >= left && (!fit || e - s < fit)) {
			fit = e - s;
			fit_at = s;
		}
		if (e - s > big) {
			big = e - s;
			big_at = s;
		}
	}
	*start = fit ? fit_at : big_at;
	*len = fit ? left : big;
	return fit || big;
}

int ram_place_below(struct pmm *free, u64 size, u64 limit, struct ram_place *out)
{
	u64 left = size, start, len;

	memset(out, 0, sizeof(*out));
	if (!size || size % RAM_PLACE_ALIGN)
		return -EINVAL;
	while (left) {
		if (out->count == RAM_PLACE_MAX || !pick(free, left, limit, &start, &len) ||
		    pmm_remove(free, start, start + len)) {
			ram_place_release(free, out);
			out->count = 0;
			return -ENOMEM;
		}
		out->chunk[out->count++] = (struct pmm_range){ start, start + len };
		left -= len;
	}
	return 0;
}

int ram_place(struct pmm *free, u64 size, struct ram_place *out)
{
	return ram_place_below(free, size, ~0ULL, out);
}
