// sources: hypervisor/arch/x86/msix.c
/*
 * MSI-X layout and table accesses (arch/x86/msix.c): the table offset/BIR and PBA offset/BIR
 * decoded against the function's BARs, hostile values refused with a reason (BIR 6 and 7, an
 * I/O BAR, a 64-bit BAR's upper half, an unassigned or sub-page BAR, a table or PBA running past
 * its BAR's end, offsets near 4 GiB), the trapped pages, and where an access in them falls.
 */
#include <plinth/errno.h>
#include <x86/msix.h>

#include "test.h"

static void bars_init(struct pci_bar_state *b)
{
	memset(b, 0, sizeof(*b) * (PCI_FILTER_ROM + 1));
	b[0] = (struct pci_bar_state){ PCI_BAR_KIND_MEM, false, false, 0x20000, 0xfe000000 };
	b[1] = (struct pci_bar_state){ PCI_BAR_KIND_IO, false, false, 0x20, 0xc000 };
	b[2] = (struct pci_bar_state){ PCI_BAR_KIND_MEM, true, false, 0x4000, 0x800000000ULL };
	b[3] = (struct pci_bar_state){ PCI_BAR_KIND_HIGH, false, false, 0, 0 };
	b[4] = (struct pci_bar_state){ PCI_BAR_KIND_MEM, false, false, 0x800, 0xfe100000 }; /* sub-page */
	b[5] = (struct pci_bar_state){ PCI_BAR_KIND_MEM, false, false, 0x1000, 0 };	    /* unassigned */
}

TEST(layout_of_a_typical_function)
{
	struct pci_bar_state b[PCI_FILTER_ROM + 1];
	struct msix_layout l;
	const char *why = NULL;

	bars_init(b);
	/* 64 entries (table size field 63) at BAR0 + 0x3000, PBA at BAR0 + 0x3800: same page. */
	CHECK_EQ_INT(msix_layout_decode(63, 0x3000, 0x3800, b, &l, &why), 0);
	CHECK_EQ_U64(l.entries, 64);
	CHECK_EQ_U64(l.table_bar, 0);
	CHECK_EQ_U64(l.table_off, 0x3000);
	CHECK_EQ_U64(l.pba_bar, 0);
	CHECK_EQ_U64(l.pba_off, 0x3800);
	CHECK_EQ_U64(l.trap_off, 0x3000);
	CHECK_EQ_U64(l.trap_size, 0x1000);
	/* A 64-bit BAR; the function mask and enable bits do not count in the size. */
	CHECK_EQ_INT(msix_layout_decode(MSIX_CTRL_ENABLE | MSIX_CTRL_FUNCTION_MASK | 3, 0x2 | 0x100, 0x2 | 0x2000, b, &l, &why),
		     0);
	CHECK_EQ_U64(l.entries, 4);
	CHECK_EQ_U64(l.table_bar, 2);
	CHECK_EQ_U64(l.table_off, 0x100);
	CHECK_EQ_U64(l.trap_off, 0);
	CHECK_EQ_U64(l.trap_size, 0x1000);
	/* 2048 entries (32 KiB) starting mid-page: nine pages trapped; PBA in another BAR's page. */
	CHECK_EQ_INT(msix_layout_decode(0x7ff, 0x10800, 0x2 | 0x3f00, b, &l, &why), 0);
	CHECK_EQ_U64(l.entries, 2048);
	CHECK_EQ_U64(l.trap_off, 0x10000);
	CHECK_EQ_U64(l.trap_size, 0x9000);
	/* The table ending exactly at the BAR's end. */
	CHECK_EQ_INT(msix_layout_decode(0x7ff, 0x18000, 0x0, b, &l, &why), 0);
	CHECK_EQ_U64(l.trap_off + l.trap_size, 0x20000);
}

TEST(layout_refuses_hostile_registers)
{
	struct pci_bar_state b[PCI_FILTER_ROM + 1];
	struct msix_layout l;
	const char *why = NULL;

	bars_init(b);
	CHECK_EQ_INT(msix_layout_decode(0, 0x6, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "table's BIR is 6 or 7");
	CHECK_EQ_INT(msix_layout_decode(0, 0x7, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "table's BIR is 6 or 7");
	CHECK_EQ_INT(msix_layout_decode(0, 0x0, 0x7, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "PBA's BIR is 6 or 7");
	CHECK_EQ_INT(msix_layout_decode(0, 0x1, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "names no memory BAR"); /* I/O */
	CHECK_EQ_INT(msix_layout_decode(0, 0x3, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "names no memory BAR"); /* the upper half of BAR2 */
	CHECK_EQ_INT(msix_layout_decode(0, 0x4, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "smaller than a page");
	CHECK_EQ_INT(msix_layout_decode(0, 0x5, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "unassigned");
	/* Past the end: by one entry, by its offset alone, by offsets near 4 GiB. */
	CHECK_EQ_INT(msix_layout_decode(0x7ff, 0x18008, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "table runs past the end");
	CHECK_EQ_INT(msix_layout_decode(0, 0x20000, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "table runs past the end");
	CHECK_EQ_INT(msix_layout_decode(0x7ff, 0xfffffff8, 0x0, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "table runs past the end");
	CHECK_EQ_INT(msix_layout_decode(0, 0x0, 0xfffffff8, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "PBA runs past the end");
	/* A PBA of 2048 bits (256 bytes) one qword short of room. */
	CHECK_EQ_INT(msix_layout_decode(0x7ff, 0x0, 0x2 | 0x3f08, b, &l, &why), -EINVAL);
	CHECK_CONTAINS(why, "PBA runs past the end");
	/* A BAR whose size is not what the table needs: 16 bytes of BAR for 2 entries. */
	b[0].size = 0x1000;
	CHECK_EQ_INT(msix_layout_decode(1, 0xff0, 0x0, b, &l, &why), -EINVAL);
	CHECK_EQ_INT(msix_layout_decode(0, 0xff0, 0x0, b, &l, &why), 0);
}

TEST(access_decode_entries_and_the_device_around_them)
{
	struct pci_bar_state b[PCI_FILTER_ROM + 1];
	struct msix_layout l;
	const char *why;
	u32 e = 99, w = 99;

	bars_init(b);
	/* 8 entries at page offset 0x100-0x180; the PBA at 0x800 in the same page. */
	REQUIRE(msix_layout_decode(7, 0x3100, 0x3800, b, &l, &why) == 0);
	CHECK_EQ_U64(msix_access_decode(&l, 0x100, 4, &e, &w), MSIX_ACCESS_ENTRY);
	CHECK_EQ_U64(e, 0);
	CHECK_EQ_U64(w, MSIX_WORD_ADDR_LO);
	CHECK_EQ_U64(msix_access_decode(&l, 0x17c, 4, &e, &w), MSIX_ACCESS_ENTRY);
	CHECK_EQ_U64(e, 7);
	CHECK_EQ_U64(w, MSIX_WORD_CTRL);
	CHECK_EQ_U64(msix_access_decode(&l, 0x128, 8, &e, &w), MSIX_ACCESS_ENTRY);
	CHECK_EQ_U64(e, 2);
	CHECK_EQ_U64(w, MSIX_WORD_DATA);
	/* Bytes, words, unaligned qwords and dwords, and accesses straddling the table's edges. */
	CHECK_EQ_U64(msix_access_decode(&l, 0x10c, 1, &e, &w), MSIX_ACCESS_BAD);
	CHECK_EQ_U64(msix_access_decode(&l, 0x10c, 2, &e, &w), MSIX_ACCESS_BAD);
	CHECK_EQ_U64(msix_access_decode(&l, 0x10c, 8, &e, &w), MSIX_ACCESS_BAD);
	CHECK_EQ_U64(msix_access_decode(&l, 0x102, 4, &e, &w), MSIX_ACCESS_BAD);
	CHECK_EQ_U64(msix_access_decode(&l, 0x0fc, 8, &e, &w), MSIX_ACCESS_BAD);
	CHECK_EQ_U64(msix_access_decode(&l, 0x17e, 4, &e, &w), MSIX_ACCESS_BAD);
	/* Around it: device registers and the PBA, whatever the size. */
	CHECK_EQ_U64(msix_access_decode(&l, 0x0fc, 4, &e, &w), MSIX_ACCESS_DEVICE);
	CHECK_EQ_U64(msix_access_decode(&l, 0x180, 4, &e, &w), MSIX_ACCESS_DEVICE);
	CHECK_EQ_U64(msix_access_decode(&l, 0x800, 8, &e, &w), MSIX_ACCESS_DEVICE);
	CHECK_EQ_U64(msix_access_decode(&l, 0x0, 1, &e, &w), MSIX_ACCESS_DEVICE);
	CHECK_EQ_U64(msix_access_decode(&l, 0xfff, 1, &e, &w), MSIX_ACCESS_DEVICE);
	/* Outside the trapped pages, or nonsense sizes: never an entry. */
	CHECK_EQ_U64(msix_access_decode(&l, 0x1000, 4, &e, &w), MSIX_ACCESS_DEVICE);
	CHECK_EQ_U64(msix_access_decode(&l, ~0ULL - 2, 4, &e, &w), MSIX_ACCESS_DEVICE);
	CHECK_EQ_U64(msix_access_decode(&l, 0x100, 16, &e, &w), MSIX_ACCESS_DEVICE);
	CHECK_EQ_U64(msix_access_decode(&l, 0x100, 0, &e, &w), MSIX_ACCESS_DEVICE);
}

TEST(entry_merge_and_read)
{
	u32 words[MSIX_ENTRY_WORDS] = { 1, 2, 3, MSIX_VECTOR_MASKED };

	msix_entry_merge(words, MSIX_WORD_ADDR_LO, 4, 0xfee02000);
	CHECK_EQ_U64(words[0], 0xfee02000);
	CHECK_EQ_U64(words[1], 2);
	msix_entry_merge(words, MSIX_WORD_ADDR_LO, 8, 0x00000000fee03000ULL);
	CHECK_EQ_U64(words[0], 0xfee03000);
	CHECK_EQ_U64(words[1], 0);
	msix_entry_merge(words, MSIX_WORD_DATA, 8, 0x0000000000000041ULL);
	CHECK_EQ_U64(words[2], 0x41);
	CHECK_EQ_U64(words[3], 0);
	CHECK_EQ_U64(msix_entry_read(words, MSIX_WORD_ADDR_LO, 8), 0xfee03000);
	CHECK_EQ_U64(msix_entry_read(words, MSIX_WORD_DATA, 4), 0x41);
	/* A qword from the last word never reads past the entry. */
	msix_entry_merge(words, MSIX_WORD_CTRL, 8, 0xdead00000001ULL);
	CHECK_EQ_U64(words[3], 1);
	CHECK_EQ_U64(msix_entry_read(words, MSIX_WORD_CTRL, 8), 1);
}
