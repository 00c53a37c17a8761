/* The multiboot 1 information structure (Multiboot Specification 0.6.96, 3.3). */
#include <plinth/load_plan.h>
#include <plinth/mb1_info.h>
#include <plinth/multiboot1.h>
#include <plinth/string.h>

/* Bump allocation in the caller's buffer, 8-byte aligned; addresses as the guest sees them. */
struct area {
	u8 *buf;
	u32 cap, used;
	u64 base;
	bool full;
};

static void *take(struct area *a, u64 size, u32 *gpa)
{
	void *p;

	size = ALIGN_UP(size, 8);
	if (a->full || size > a->cap - a->used || a->base + a->used + size > LOAD_LIMIT_32) {
		a->full = true;
		*gpa = 0;
		return NULL;
	}
	p = a->buf + a->used;
	*gpa = (u32)(a->base + a->used);
	a->used += (u32)size;
	return p;
}

static u32 string(struct area *a, const char *s)
{
	u64 n = strlen(s ? s : "") + 1;
	u32 gpa;
	char *p = take(a, n, &gpa);

	if (p)
		memcpy(p, s ? s : "", n);
	return gpa;
}

u32 mb1_info_build(u8 *buf, u32 cap, u64 base, const struct mb1_info_input *in)
{
	struct area a = { buf, cap, 0, base, false };
	struct mb1_info *info;
	struct mb1_module *mods;
	struct mb1_mmap_entry *e;
	u32 i, gpa;

	memset(buf, 0, cap);
	info = take(&a, sizeof(*info), &gpa);
	if (!info)
		return 0;
	info->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP | MB1_INFO_LOADER_NAME;
	for (i = 0; i < in->map_count; i++) {
		const struct mem_range *r = &in->map[i];

		/* mem_lower: available RAM from 0; mem_upper: available RAM from 1 MiB on, in KiB. */
		if (r->type == MB2_MEM_AVAILABLE && r->start == 0)
			info->mem_lower = (u32)(MIN(r->end, 640 * KIB) / KIB);
		if (r->type == MB2_MEM_AVAILABLE && r->start <= MIB && r->end > MIB)
			info->mem_upper = (u32)(MIN(r->end - MIB, 0xffffffffULL * KIB) / KIB);
	}
	info->cmdline = string(&a, in->cmdline);
	info->boot_loader_name = string(&a, "Plinth");
	mods = take(&a, (u64)in->mod_count * sizeof(*mods) + 8, &gpa);
	info->mods_addr = gpa;
	for (i = 0; mods && i < in->mod_count; i++) {
		const struct boot_module *m = &in->mods[i];

		if (m->end > LOAD_LIMIT_32)
			return 0;
		mods[i] = (struct mb1_module){ (u32)m->start, (u32)m->end, string(&a, m->cmdline), 0 };
	}
	info->mods_count = in->mod_count;
	e = take(&a, (u64)in->map_count * sizeof(*e), &gpa);
	info->mmap_addr = gpa;
	info->mmap_length = in->map_count * (u32)sizeof(*e);
	for (i = 0; e && i < in->map_count; i++)
		e[i] = (struct mb1_mmap_entry){ 20, in->map[i].start, in->map[i].end - in->map[i].start, in->map[i].type };
	return a.full ? 0 : a.used;
}
