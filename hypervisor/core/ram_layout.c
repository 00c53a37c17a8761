/* A partition VM's RAM in guest-physical space; see plinth/ram_layout.h. */
#include <plinth/errno.h>
#include <plinth/ram_layout.h>
#include <plinth/string.h>

static void add(struct ram_layout *out, u64 gpa, u64 hpa, u64 size)
{
	u32 i = out->count++;

	/* Kept sorted by guest-physical address (a handful of ranges: insertion). */
	for (; i && out->range[i - 1].gpa > gpa; i--)
		out->range[i] = out->range[i - 1];
	out->range[i] = (struct ram_layout_range){ gpa, hpa, size };
}

int ram_layout(const struct ram_place *p, bool identity, struct ram_layout *out)
{
	bool at_zero = false;
	u64 gpa = 0;
	u32 i;

	memset(out, 0, sizeof(*out));
	if (!p->count || p->count > RAM_PLACE_MAX)
		return -EINVAL;
	for (i = 0; i < p->count; i++) {
		const struct pmm_range *c = &p->chunk[i];

		if (c->end <= c->start || !IS_ALIGNED(c->start, RAM_PLACE_ALIGN) || !IS_ALIGNED(c->end, RAM_PLACE_ALIGN))
			return -EINVAL;
		at_zero |= c->start == 0;
	}
	for (i = 0; i < p->count; i++) {
		const struct pmm_range *c = &p->chunk[i];
		u64 size = c->end - c->start;

		if (!identity) {
			add(out, gpa, c->start, size);
			gpa += size;
		} else if (i == 0 && !at_zero) {
			/* Chunks are 2 MiB aligned: the first keeps at least 1 MiB at its own address. */
			add(out, 0, c->start, RAM_LAYOUT_LOW);
			add(out, c->start + RAM_LAYOUT_LOW, c->start + RAM_LAYOUT_LOW, size - RAM_LAYOUT_LOW);
		} else {
			add(out, c->start, c->start, size);
		}
	}
	return 0;
}
