/* PCI configuration space through I/O ports 0xcf8/0xcfc, and bus enumeration (pci.c). */
#ifndef X86_PCI_H
#define X86_PCI_H

#include <plinth/types.h>

/* Type 0 and type 1 configuration header (PCI Local Bus 3.0, 6.1; PCI-to-PCI Bridge 1.2, 3.2) */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO BIT(0)
#define PCI_COMMAND_MEMORY BIT(1)
#define PCI_COMMAND_MASTER BIT(2)
#define PCI_CLASS_REVISION 0x08 /* class code in bits 31:8, revision in 7:0 */
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_MULTIFUNCTION BIT(7)
#define PCI_BAR0 0x10
#define PCI_BAR_COUNT 6 /* type 0 header */
#define PCI_BRIDGE_BAR_COUNT 2 /* type 1 header */
#define PCI_BAR_IO BIT(0)
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_ADDR_MASK (~(u64)0xf)
#define PCI_SECONDARY_BUS 0x19 /* type 1 header */

#define PCI_VENDOR_NONE 0xffff /* what an absent function reads */

/* One function found by pci_enumerate. */
struct pci_dev {
	u8 bus, dev, fn;
	u16 vendor, device;
	u8 class_code, subclass, prog_if, header_type;
};

/* Configuration reads and writes of the first 256 bytes; off is aligned to the access size. */
u8 pci_read8(u8 bus, u8 dev, u8 fn, u8 off);
u16 pci_read16(u8 bus, u8 dev, u8 fn, u8 off);
u32 pci_read32(u8 bus, u8 dev, u8 fn, u8 off);
void pci_write8(u8 bus, u8 dev, u8 fn, u8 off, u8 v);
void pci_write16(u8 bus, u8 dev, u8 fn, u8 off, u16 v);
void pci_write32(u8 bus, u8 dev, u8 fn, u8 off, u32 v);

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
/* Turns memory decoding and/or bus mastering on; other command bits are left as they are. */
void pci_enable(u8 bus, u8 dev, u8 fn, bool mmio, bool bus_master);

#endif
