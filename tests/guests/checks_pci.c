/*
 * PCI functions of a guest in a partition (docs/config.md, devices), through ports 0xcf8/0xcfc
 * (a partition's test guest has no ACPI tables, so no MMCONFIG window to try):
 * - pci: enumerates every function of bus 0 (all 32 devices and 8 functions, not only those a
 *   multi-function header admits, so that nothing hidden is missed) and prints each it sees.
 *   With pci_sees=VVVV:DDDD on the command line that function must be there: its BAR 0 is
 *   sized with memory decoding off, decoding is turned on, a move of the BAR onto memory that
 *   is not the VM's must not take, and its first register reads through the BAR (mapped in
 *   the VM's EPT). With pci_hides=VVVV:DDDD that function must not be seen.
 * - pci_intact: the pci_sees function still decodes its BAR 0 at the same address after
 *   another VM's hostile writes (run it after `wait`).
 * - pci_hostile: the function pci_victim=BB:DD.F (another VM's) reads as absent, its command
 *   register and BAR 0 are written (Plinth must drop both), then the guest prints that it is
 *   ready and reads a line with an address (the victim's BAR, from the harness) and reads it:
 *   its VM must stop right there.
 * - pci_master_stop (destructive, last): turns on bus mastering of the pci_sees function, says
 *   its command register, then reads memory that is not the VM's, so that its VM stops with
 *   the device still enabled (Plinth must stop the device too, and give it back as the
 *   firmware left it when the VM restarts).
 */
#include <plinth/string.h>
#include "checks.h"
#include "console.h"
#include "hostile.h"
#include "x86.h"

#define PCI_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEM 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_BAR0 0x10
#define PCI_ABSENT 0xffffffffu
#define BAR_MEM_MASK 0xfffffff0u
#define FOREIGN_ADDRESS 0x10000000u /* 256 MiB: neither the VM's RAM (tests give less) nor its BAR */
#define LINE_MAX 80

/* The value after word key= as hex digits (and a ':' or '.' kept as is) into out; false if absent. */
static bool cmdline_word(const char *key, char *out, u32 max)
{
	const char *s = guest_cmdline;
	size_t klen = strlen(key);
	u32 n = 0;

	while (*s && (memcmp(s, key, klen) || (s != guest_cmdline && s[-1] != ' ')))
		s++;
	if (!*s)
		return false;
	for (s += klen; *s && *s != ' ' && n + 1 < max; s++)
		out[n++] = *s;
	out[n] = '\0';
	return n > 0;
}

static u32 hex(const char *s, const char **end)
{
	u32 v = 0;

	for (;; s++) {
		char c = *s;

		if (c >= '0' && c <= '9')
			v = v * 16 + (u32)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (u32)(c - 'a' + 10);
		else
			break;
	}
	if (end)
		*end = s;
	return v;
}

/* pci_sees=/pci_hides= as a vendor << 0 | device << 16 ID register value; 0 when absent. */
static u32 wanted_id(const char *key)
{
	char w[LINE_MAX];
	const char *p;
	u32 vendor;

	if (!cmdline_word(key, w, sizeof(w)))
		return 0;
	vendor = hex(w, &p);
	return *p == ':' ? vendor | hex(p + 1, NULL) << 16 : 0;
}

/* The mechanism #1 address of the first function on bus 0 with this ID register, or 0. */
static u32 find(u32 id)
{
	u32 dev, fn;

	for (dev = 0; dev < 32; dev++)
		for (fn = 0; fn < 8; fn++)
			if (pci_cfg_read32(PCI_ADDR(0, dev, fn, PCI_ID)) == id)
				return PCI_ADDR(0, dev, fn, 0);
	return 0;
}

static u32 mmio_read(u64 addr)
{
	return *(volatile u32 *)addr;
}

static void exercise(u32 fn)
{
	u32 bar = pci_cfg_read32(fn | PCI_BAR0), size, base = bar & BAR_MEM_MASK;
	u16 cmd = (u16)pci_cfg_read32(fn | PCI_COMMAND);

	if (!check_expect(!(bar & 1) && base, "BAR 0 is 0x%x: not an assigned memory BAR", bar))
		return;
	pci_cfg_write16(fn | PCI_COMMAND, cmd & ~PCI_COMMAND_MEM);
	pci_cfg_write32(fn | PCI_BAR0, 0xffffffffu);
	size = ~(pci_cfg_read32(fn | PCI_BAR0) & BAR_MEM_MASK) + 1;
	pci_cfg_write32(fn | PCI_BAR0, bar);
	pci_cfg_write16(fn | PCI_COMMAND, cmd | PCI_COMMAND_MEM);
	check_info("pci: BAR 0 at 0x%x, %u KiB, command 0x%x", base, size >> 10, cmd);
	check_expect(size >= 4096 && !(size & (size - 1)), "BAR 0 sized as 0x%x with decoding off", size);
	check_expect(pci_cfg_read32(fn | PCI_BAR0) == bar, "BAR 0 was not restored");
	check_expect(pci_cfg_read32(fn | PCI_COMMAND) & PCI_COMMAND_MEM, "memory decoding did not turn on");
	/* Decoding on: a move outside the VM's own BAR windows must not reach the device. */
	pci_cfg_write32(fn | PCI_BAR0, FOREIGN_ADDRESS);
	check_expect(pci_cfg_read32(fn | PCI_BAR0) == bar, "BAR 0 moved to 0x%x with decoding on: it reads 0x%x",
		     FOREIGN_ADDRESS, pci_cfg_read32(fn | PCI_BAR0));
	check_info("pci: register 0 through BAR 0 reads 0x%x", mmio_read(base));
}

void check_pci(void)
{
	u32 dev, fn, seen = 0, sees = wanted_id("pci_sees="), hides = wanted_id("pci_hides="), at;

	for (dev = 0; dev < 32; dev++)
		for (fn = 0; fn < 8; fn++) {
			u32 id = pci_cfg_read32(PCI_ADDR(0, dev, fn, PCI_ID));

			if (id == PCI_ABSENT)
				continue;
			check_info("pci: 00:%02x.%u %04x:%04x", dev, fn, id & 0xffff, id >> 16);
			seen++;
		}
	check_info("pci: %u functions on bus 0", seen);
	if (hides)
		check_expect(!find(hides), "%04x:%04x is another VM's, yet this VM sees it", hides & 0xffff, hides >> 16);
	if (sees) {
		at = find(sees);
		if (check_expect(at != 0, "%04x:%04x is this VM's, yet it is not seen", sees & 0xffff, sees >> 16))
			exercise(at);
	}
}

void check_pci_intact(void)
{
	u32 sees = wanted_id("pci_sees="), at = sees ? find(sees) : 0, bar;

	if (!check_expect(at != 0, "no pci_sees= function to look at"))
		return;
	bar = pci_cfg_read32(at | PCI_BAR0);
	check_expect(pci_cfg_read32(at | PCI_COMMAND) & PCI_COMMAND_MEM, "memory decoding was turned off");
	check_info("pci_intact: BAR 0 0x%x, register 0 reads 0x%x", bar, mmio_read(bar & BAR_MEM_MASK));
}

void check_pci_hostile(void)
{
	char w[LINE_MAX], line[LINE_MAX];
	const char *p;
	u32 bus, dev, fn, at, addr;

	if (!check_expect(cmdline_word("pci_victim=", w, sizeof(w)), "no pci_victim=BB:DD.F word"))
		return;
	bus = hex(w, &p);
	dev = hex(p + (*p == ':'), &p);
	fn = hex(p + (*p == '.'), NULL);
	at = PCI_ADDR(bus, dev, fn, 0);
	check_expect(pci_cfg_read32(at | PCI_ID) == PCI_ABSENT, "the victim %s reads 0x%x, not absent", w,
		     pci_cfg_read32(at | PCI_ID));
	pci_cfg_write16(at | PCI_COMMAND, 0);		/* decoding and bus mastering off */
	pci_cfg_write32(at | PCI_BAR0, FOREIGN_ADDRESS); /* the BAR moved into this VM's reach */
	check_expect(pci_cfg_read32(at | PCI_ID) == PCI_ABSENT, "the victim reads present after the writes");
	console_printf("guest: pci_hostile: ready\n");
	guest_read_line(line, sizeof(line));
	addr = hex(line + (line[0] == '0' && line[1] == 'x' ? 2 : 0), NULL);
	check_info("pci_hostile: reading the victim's BAR at 0x%x", addr);
	at = mmio_read(addr);
	check_expect(false, "read 0x%x from another VM's BAR at 0x%x and went on", at, addr);
}

void check_pci_master_stop(void)
{
	u32 sees = wanted_id("pci_sees="), at = sees ? find(sees) : 0;
	u16 cmd;

	if (!check_expect(at != 0, "no pci_sees= function to enable"))
		return;
	cmd = (u16)pci_cfg_read32(at | PCI_COMMAND);
	pci_cfg_write16(at | PCI_COMMAND, cmd | PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	check_info("pci_master_stop: command 0x%x, reading 0x%x, which is not this VM's",
		   (u16)pci_cfg_read32(at | PCI_COMMAND), FOREIGN_ADDRESS);
	(void)mmio_read(FOREIGN_ADDRESS);
	check_expect(false, "the read of 0x%x did not stop the VM", FOREIGN_ADDRESS);
}
