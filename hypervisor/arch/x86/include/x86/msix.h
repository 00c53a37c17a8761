/*
 * MSI-X of a partition's function, the pure part (arch/x86/msix.c): the capability's layout
 * (PCI Express Base 4.0, 7.7.2: message control, table offset/BIR, PBA offset/BIR) checked
 * against the function's BARs, the pages of the table that the VM's EPT leaves out, and where
 * an access to those pages falls (a table entry's dword, or the device's own registers that
 * share the page, the PBA among them).
 *
 * A layout is usable when the table's BIR names a memory BAR of the function (not 6 or 7,
 * reserved; not an I/O BAR or the upper half of a 64-bit one), the BAR is assigned and at least
 * a page, and the table (16 bytes per entry, 1-2048 entries) lies inside it; the PBA is checked
 * likewise (one bit per entry, in qwords). An unusable layout is one Plinth cannot trap: the
 * function's MSI-X then never turns on (x86/pci_access.h).
 */
#ifndef X86_MSIX_H
#define X86_MSIX_H

#include <x86/pci_access.h>

/* Registers of the capability, from its start. */
#define MSIX_CTRL 2
#define MSIX_CTRL_TABLE_SIZE(c) (((u32)(c) & 0x7ff) + 1) /* entries */
#define MSIX_CTRL_FUNCTION_MASK BIT(14)
#define MSIX_CTRL_ENABLE BIT(15)
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_BIR(reg) ((reg) & 7)
#define MSIX_OFFSET(reg) ((reg) & ~7u)

/* A table entry (7.7.2.x: 16 bytes): address low, address high, data, vector control. */
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_WORDS 4
#define MSIX_WORD_ADDR_LO 0
#define MSIX_WORD_ADDR_HI 1
#define MSIX_WORD_DATA 2
#define MSIX_WORD_CTRL 3
#define MSIX_VECTOR_MASKED BIT(0)
#define MSIX_PAGE 4096u

struct msix_layout {
	u32 entries;
	u8 table_bar;
	u64 table_off;		   /* in the BAR */
	u8 pba_bar;
	u64 pba_off;
	u64 trap_off, trap_size; /* the table's pages in table_bar, page-aligned */
};

/* Decodes the capability's message control and table/PBA registers against the function's
 * BARs (as sized at boot): 0 with *out filled, or -EINVAL with why (one phrase) set. */
int msix_layout_decode(u16 ctrl, u32 table_reg, u32 pba_reg, const struct pci_bar_state *bars,
		       struct msix_layout *out, const char **why);

/* Where an access of size bytes at offset off in the trapped pages (0 .. trap_size) falls. */
#define MSIX_ACCESS_DEVICE 0 /* not the table's: done on the device as it is */
#define MSIX_ACCESS_ENTRY 1  /* dword(s) of entry *entry from *word, the whole access inside it */
#define MSIX_ACCESS_BAD 2    /* in the table but not a dword or an aligned qword: dropped */
u32 msix_access_decode(const struct msix_layout *l, u64 off, u32 size, u32 *entry, u32 *word);

/* The guest's view of one entry after it wrote value (size 4 or 8, from word) over words[]. */
void msix_entry_merge(u32 *words, u32 word, u32 size, u64 value);
/* What it reads at word (size 4 or 8). */
u64 msix_entry_read(const u32 *words, u32 word, u32 size);

#endif
