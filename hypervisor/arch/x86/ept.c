/* EPT builder; see x86/ept.h. Levels: 3 = PML4 (512 GiB per entry) .. 0 = PT (4 KiB). */
#include <plinth/errno.h>
#include <x86/ept.h>

#define ENTRIES 512
#define LEVEL_SHIFT(l) (12 + 9 * (l))
#define LEVEL_SIZE(l) (1ULL << LEVEL_SHIFT(l))
#define INDEX(addr, l) (((addr) >> LEVEL_SHIFT(l)) & (ENTRIES - 1))
#define GPA_LIMIT (1ULL << 48) /* what a 4-level walk reaches */
#define HPA_LIMIT (1ULL << 52) /* what an entry's address field holds */

static inline u64 *table_of(u64 entry)
{
	return (u64 *)(uintptr_t)(entry & EPT_ADDR_MASK);
}

int ept_init(struct ept *ept, void *(*alloc_page)(void), bool allow_2m, bool allow_1g)
{
	*ept = (struct ept){ .alloc_page = alloc_page, .allow_2m = allow_2m, .allow_1g = allow_1g };
	ept->pml4 = alloc_page();
	if (!ept->pml4)
		return -ENOMEM;
	ept->table_pages = 1;
	return 0;
}

static bool leaf_allowed(const struct ept *ept, int level)
{
	return level == 0 || (level == 1 && ept->allow_2m) || (level == 2 && ept->allow_1g);
}

/* Maps as much of [gpa, gpa + size) as fits in the table at this level; returns bytes done. */
static int map_level(struct ept *ept, u64 *table, int level, gpa_t gpa, hpa_t hpa, u64 size,
		     u64 flags, u64 *done)
{
	u64 span = LEVEL_SIZE(level);
	u64 *e = &table[INDEX(gpa, level)];
	u64 chunk = MIN(size, ALIGN_DOWN(gpa, span) + span - gpa);

	if (leaf_allowed(ept, level) && chunk == span && IS_ALIGNED(gpa, span) && IS_ALIGNED(hpa, span)) {
		if (*e)
			return -EEXIST;
		*e = hpa | flags | (level ? EPT_LEAF_LARGE : 0);
		if (level == 2)
			ept->leaves_1g++;
		else if (level == 1)
			ept->leaves_2m++;
		else
			ept->leaves_4k++;
		*done = span;
		return 0;
	}
	if (!*e) {
		u64 *next = ept->alloc_page();

		if (!next)
			return -ENOMEM;
		ept->table_pages++;
		/* Non-leaf entries grant everything; the leaves decide. */
		*e = (u64)(uintptr_t)next | EPT_RWX;
	} else if (*e & EPT_LEAF_LARGE) {
		return -EEXIST;
	}
	while (chunk) {
		u64 part = 0;
		int rc = map_level(ept, table_of(*e), level - 1, gpa, hpa, chunk, flags, &part);

		if (rc)
			return rc;
		gpa += part;
		hpa += part;
		chunk -= part;
		*done += part;
	}
	return 0;
}

/* Flags the CPU accepts in a leaf (SDM 29.3.3.1): readable whenever writable or executable
 * without execute-only support (Plinth never asks for execute-only), and a defined memory type. */
static bool flags_valid(u64 flags)
{
	u64 type = (flags >> EPT_MEMTYPE_SHIFT) & 7;

	if (flags & (EPT_ADDR_MASK | EPT_LEAF_LARGE) || !(flags & EPT_READ))
		return false;
	return type == 0 || type == 1 || type == 4 || type == 5 || type == 6;
}

int ept_map(struct ept *ept, gpa_t gpa, hpa_t hpa, u64 size, u64 flags)
{
	if (!IS_ALIGNED(gpa | hpa | size, 4096) || !size || gpa + size > GPA_LIMIT || gpa + size < gpa ||
	    hpa + size < hpa || hpa + size > HPA_LIMIT || !flags_valid(flags))
		return -EINVAL;
	while (size) {
		u64 done = 0;
		int rc = map_level(ept, ept->pml4, 3, gpa, hpa, size, flags, &done);

		if (rc)
			return rc;
		gpa += done;
		hpa += done;
		size -= done;
	}
	return 0;
}

int ept_lookup(const struct ept *ept, gpa_t gpa, hpa_t *hpa, u64 *flags, u64 *page_size)
{
	const u64 *table = ept->pml4;
	int level;

	if (gpa >= GPA_LIMIT)
		return -ENOENT;
	for (level = 3; level >= 0; level--) {
		u64 e = table[INDEX(gpa, level)];

		if (!(e & EPT_RWX))
			return -ENOENT;
		if (level == 0 || (e & EPT_LEAF_LARGE)) {
			u64 span = LEVEL_SIZE(level);

			*hpa = (e & EPT_ADDR_MASK & ~(span - 1)) | (gpa & (span - 1));
			*flags = e & ~EPT_ADDR_MASK;
			*page_size = span;
			return 0;
		}
		table = table_of(e);
	}
	return -ENOENT;
}

/* Frees table and every table below it (a level-0 table holds only leaves). */
static void free_below(u64 *table, int level, void (*free_page)(void *))
{
	u32 i;

	for (i = 0; level > 0 && i < ENTRIES; i++)
		if ((table[i] & EPT_RWX) && !(table[i] & EPT_LEAF_LARGE))
			free_below(table_of(table[i]), level - 1, free_page);
	free_page(table);
}

void ept_destroy(struct ept *ept, void (*free_page)(void *))
{
	if (ept->pml4)
		free_below(ept->pml4, 3, free_page);
	ept->pml4 = NULL;
	ept->table_pages = 0;
}

u64 ept_pointer(const struct ept *ept)
{
	return (u64)(uintptr_t)ept->pml4 | EPTP_WALK_4 | EPTP_MEMTYPE_WB;
}
