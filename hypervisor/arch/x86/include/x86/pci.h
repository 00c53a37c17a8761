/* PCI configuration space through I/O ports 0xcf8/0xcfc, and bus enumeration (pci.c). */
#ifndef X86_PCI_H
#define X86_PCI_H

#include <plinth/types.h>
#include <x86/pci_access.h>

/* Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): the address port, the data
 * ports, the address's enable bit. */
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE BIT(31)

/* One function found by pci_enumerate. */
struct pci_dev {
	u8 bus, dev, fn;
	u16 vendor, device;
	u8 class_code, subclass, prog_if, header_type;
};

/* Scans from bus 0 through PCI-to-PCI bridges; fills at most max entries (a warning says so
 * when there are more) and returns how many it filled. */
u32 pci_enumerate(struct pci_dev *out, u32 max);
/* The first function with this vendor and device id, or NULL. */
const struct pci_dev *pci_find(const struct pci_dev *devs, u32 n, u16 vendor, u16 device);
/* Prints one "pci: bb:dd.f vvvv:dddd class cccccc" line per function. */
void pci_print(const struct pci_dev *devs, u32 n);

/* The address of memory BAR bar (0-5, a bridge's 0-1; a 64-bit BAR takes bar and bar + 1),
 * and its size in *size unless size is NULL. 0 (size 0) for an I/O BAR, an unimplemented one,
 * the upper half of a 64-bit one or a bad index. */
u64 pci_bar(u8 bus, u8 dev, u8 fn, int bar, u64 *size);
/* Single configuration registers of the first 256 bytes (boot CPU, before guests run). */
u8 pci_config_read8(u8 bus, u8 dev, u8 fn, u8 off);
u16 pci_config_read16(u8 bus, u8 dev, u8 fn, u8 off);
void pci_config_write8(u8 bus, u8 dev, u8 fn, u8 off, u8 v);
u32 pci_config_read32(u8 bus, u8 dev, u8 fn, u8 off);
/* Sizes every BAR of the function and its expansion ROM BAR into bars (kind, 64-bit, size, the
 * address now; the ROM's enable bit), decoding off meanwhile; returns how many BAR registers
 * the header has (6, a bridge's 2, 0 for another header type: no BAR then). Boot CPU, before
 * guests run. */
int pci_size_bars(u8 bus, u8 dev, u8 fn, struct pci_bar_state bars[PCI_FILTER_ROM + 1]);
/* The offset of the function's first capability with this ID, or 0. */
int pci_find_capability(u8 bus, u8 dev, u8 fn, u8 id);
/* Turns memory decoding and/or bus mastering on; other command bits are left as they are. */
void pci_enable(u8 bus, u8 dev, u8 fn, bool mmio, bool bus_master);

#endif
