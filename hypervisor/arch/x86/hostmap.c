/* Identity page tables for Plinth itself; see x86/hostmap.h. Levels: 3 = PML4 (512 GiB per
 * entry), 2 = PDPT (1 GiB), 1 = PD (2 MiB leaves). */
#include <plinth/errno.h>
#include <x86/hostmap.h>
#include <x86/processor.h>

#define PT_ENTRIES 512
#define PT_SHIFT(l) (12 + 9 * (l))
#define PT_SPAN(l) (1ULL << PT_SHIFT(l))
#define PT_INDEX(addr, l) (((addr) >> PT_SHIFT(l)) & (PT_ENTRIES - 1))
#define TABLE_BITS (X86_PTE_P | X86_PTE_RW)

static u64 *table_of(u64 e)
{
	return (u64 *)(uintptr_t)(e & X86_PTE_ADDR_MASK);
}

int hostmap_init(struct hostmap *m, void *(*alloc_page)(void), bool allow_1g)
{
	*m = (struct hostmap){ .alloc_page = alloc_page, .allow_1g = allow_1g };
	m->pml4 = alloc_page();
	if (!m->pml4)
		return -ENOMEM;
	m->table_pages = 1;
	return 0;
}

/* Maps [addr, end) (2 MiB aligned) within the table of this level. */
static int map_level(struct hostmap *m, u64 *table, int level, u64 addr, u64 end, u64 attr)
{
	while (addr < end) {
		u64 span = PT_SPAN(level), next = MIN(end, ALIGN_DOWN(addr, span) + span);
		u64 *e = &table[PT_INDEX(addr, level)];
		bool leaf_ok = level == 1 || (level == 2 && m->allow_1g);
		int rc;

		if (*e & X86_PTE_PS) {
			addr = next; /* a large page maps it already */
			continue;
		}
		if (!*e && leaf_ok && IS_ALIGNED(addr, span) && next - addr == span) {
			*e = addr | TABLE_BITS | X86_PTE_PS | attr;
			if (level == 2)
				m->leaves_1g++;
			else
				m->leaves_2m++;
			addr = next;
			continue;
		}
		if (!*e) {
			u64 *t = m->alloc_page();

			if (!t)
				return -ENOMEM;
			m->table_pages++;
			*e = (u64)(uintptr_t)t | TABLE_BITS;
		}
		rc = map_level(m, table_of(*e), level - 1, addr, next, attr);
		if (rc)
			return rc;
		addr = next;
	}
	return 0;
}

int hostmap_map(struct hostmap *m, u64 start, u64 end, u64 attr)
{
	if (start >= end)
		return 0;
	if (end > HOSTMAP_LIMIT)
		return -EINVAL;
	return map_level(m, m->pml4, 3, ALIGN_DOWN(start, HOSTMAP_PAGE_2M), ALIGN_UP(end, HOSTMAP_PAGE_2M), attr);
}

bool hostmap_covers(const struct hostmap *m, u64 start, u64 end)
{
	u64 addr = start;

	if (end > HOSTMAP_LIMIT || start > end)
		return false;
	while (addr < end) {
		const u64 *table = m->pml4;
		int level;

		for (level = 3;; level--) {
			u64 e = table[PT_INDEX(addr, level)];

			if (!(e & X86_PTE_P))
				return false;
			if (e & X86_PTE_PS) {
				addr = ALIGN_DOWN(addr, PT_SPAN(level)) + PT_SPAN(level);
				break;
			}
			table = table_of(e);
		}
	}
	return true;
}
