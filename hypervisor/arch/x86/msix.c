/* MSI-X layout and table accesses; the rules are in x86/msix.h. */
#include <plinth/errno.h>
#include <x86/msix.h>

/* Whether [off, off + size) lies in memory BAR bir (the table's, or the PBA's), with why set
 * when not. */
static bool in_bar(const struct pci_bar_state *bars, u32 bir, u64 off, u64 size, bool table, const char **why)
{
	static const char *const reasons[2][4] = {
		{ "the PBA's BIR is 6 or 7 (reserved)", "the PBA's BIR names no memory BAR",
		  "the PBA's BAR is unassigned or smaller than a page", "the PBA runs past the end of its BAR" },
		{ "the table's BIR is 6 or 7 (reserved)", "the table's BIR names no memory BAR",
		  "the table's BAR is unassigned or smaller than a page", "the table runs past the end of its BAR" },
	};
	const struct pci_bar_state *b = bir < PCI_FILTER_ROM ? /* BARs 0-5 */ &bars[bir] : NULL;
	u32 bad = !b ? 0 : b->kind != PCI_BAR_KIND_MEM ? 1 : !b->base || b->size < MSIX_PAGE ? 2 :
		  off >= b->size || size > b->size - off ? 3 : 4;

	if (bad < 4)
		*why = reasons[table][bad];
	return bad == 4;
}

int msix_layout_decode(u16 ctrl, u32 table_reg, u32 pba_reg, const struct pci_bar_state *bars,
		       struct msix_layout *out, const char **why)
{
	u64 table_size, pba_size;

	*out = (struct msix_layout){ 0 };
	out->entries = MSIX_CTRL_TABLE_SIZE(ctrl);
	out->table_bar = (u8)MSIX_BIR(table_reg);
	out->table_off = MSIX_OFFSET(table_reg);
	out->pba_bar = (u8)MSIX_BIR(pba_reg);
	out->pba_off = MSIX_OFFSET(pba_reg);
	table_size = (u64)out->entries * MSIX_ENTRY_SIZE;
	pba_size = ALIGN_UP((u64)out->entries, 64) / 8;
	if (!in_bar(bars, out->table_bar, out->table_off, table_size, true, why) ||
	    !in_bar(bars, out->pba_bar, out->pba_off, pba_size, false, why))
		return -EINVAL;
	out->trap_off = ALIGN_DOWN(out->table_off, MSIX_PAGE);
	out->trap_size = ALIGN_UP(out->table_off + table_size, MSIX_PAGE) - out->trap_off;
	*why = "";
	return 0;
}

u32 msix_access_decode(const struct msix_layout *l, u64 off, u32 size, u32 *entry, u32 *word)
{
	u64 table = l->table_off - l->trap_off, end = table + (u64)l->entries * MSIX_ENTRY_SIZE, rel;

	if (off >= l->trap_size || !size || size > 8 || off + size <= table || off >= end)
		return MSIX_ACCESS_DEVICE;
	if (off < table || off + size > end || (size != 4 && size != 8) || off % size)
		return MSIX_ACCESS_BAD;
	rel = off - table;
	*entry = (u32)(rel / MSIX_ENTRY_SIZE);
	*word = (u32)(rel % MSIX_ENTRY_SIZE) / 4;
	return MSIX_ACCESS_ENTRY;
}

void msix_entry_merge(u32 *words, u32 word, u32 size, u64 value)
{
	words[word] = (u32)value;
	if (size == 8 && word + 1 < MSIX_ENTRY_WORDS)
		words[word + 1] = (u32)(value >> 32);
}

u64 msix_entry_read(const u32 *words, u32 word, u32 size)
{
	u64 v = words[word];

	if (size == 8 && word + 1 < MSIX_ENTRY_WORDS)
		v |= (u64)words[word + 1] << 32;
	return v;
}
