/*
 * Which configuration-space accesses a partition VM may make (arch/x86/pci_access.c): pure
 * decisions for the I/O exit handler of ports 0xcf8-0xcff and the EPT handler of the MMCONFIG
 * window, which then do (or do not do) the access themselves.
 *
 * A VM sees the functions it owns; every other function reads as absent (all ones) and its
 * writes are dropped. An owned function's registers pass, except what would let it decode
 * addresses that are not the VM's: the invariant kept is "while a function's memory (I/O)
 * decoding is on, each of its memory (I/O) BARs lies inside the VM's MMIO (I/O ports)". So
 *  - a BAR write with decoding off passes, whatever its value (sizing with all ones, a
 *    restore, the two halves of a 64-bit BAR one after the other: Linux sizes this way);
 *  - a BAR write with decoding on passes only when the BAR's new range lies inside the VM's
 *    ranges (sizing then is dropped: it would move the BAR over the top of memory);
 *  - a command register write that turns decoding on loses that bit while a BAR of that kind
 *    lies outside the VM's ranges;
 *  - a bridge's bus numbers, windows and bridge control, and the registers of header types
 *    other than 0 and 1, are not written at all (a VM should not own a bridge);
 *  - a write to the MSI capability's control, address or data is the caller's (CHECK_MSI): with
 *    interrupt remapping it keeps the VM's values (pci_msi_shadow_write) and programs a
 *    remappable pair of its own; without, pci_msi_write_check applies the same invariant to MSI:
 *    while MSI is enabled the address/data pair aims at the VM's CPUs (x86/irq_policy.h);
 *  - MSI-X: its table entries are checked where they are written (the table's pages are
 *    trapped, x86/msix.h), so the capability's enable and function mask pass - except that
 *    MSI-X never turns on when the table could not be trapped, and the BAR holding the table
 *    stays where Plinth traps it while memory decoding is on (a move there is dropped, and
 *    decoding does not turn on while it is elsewhere).
 * Sub-dword writes to a BAR are dropped (no OS needs them, and merging them would need the
 * register's current raw value). Extended configuration space (0x100-0xfff) passes for owned
 * functions; Resizable BAR and SR-IOV capabilities there are not yet checked.
 */
#ifndef X86_PCI_ACCESS_H
#define X86_PCI_ACCESS_H

#include <plinth/types.h>

/* A function as a 16-bit requester ID: bus << 8 | device << 3 | function. */
#define PCI_BDF(bus, dev, fn) ((u16)(((bus) & 0xff) << 8 | ((dev) & 0x1f) << 3 | ((fn) & 7)))
#define PCI_BDF_BUS(bdf) ((u8)((bdf) >> 8))
#define PCI_BDF_DEV(bdf) ((u8)(((bdf) >> 3) & 0x1f))
#define PCI_BDF_FN(bdf) ((u8)((bdf) & 7))

/* Configuration registers both the decisions and their callers name (PCI Local Bus 3.0, 6.1). */
#define PCI_REG_COMMAND 0x04
#define PCI_REG_HEADER_TYPE 0x0e
#define PCI_REG_BAR0 0x10
#define PCI_REG_ROM 0x30	   /* type 0 */
#define PCI_REG_BRIDGE_ROM 0x38 /* type 1 */

/* Capability IDs and the MSI capability's registers from its start (PCI Local Bus 3.0, 6.7,
 * 6.8.1); MSI-X's are x86/msix.h's. */
#define PCI_CAP_MSI 0x05
#define PCI_CAP_MSIX 0x11
#define PCI_MSI_CTRL 2
#define PCI_MSI_CTRL_ENABLE BIT(0)
#define PCI_MSI_CTRL_MME (7u << 4) /* 2^MME messages enabled */
#define PCI_MSI_CTRL_64 BIT(7)	    /* a 64-bit message address */
#define PCI_MSI_ADDR 4
#define PCI_MSI_DATA(is64) ((is64) ? 0x0c : 0x08)
#define PCI_MSI_END(is64) ((is64) ? 0x0e : 0x0a)

/* VM numbers in an ownership table. */
#define PCI_VM_NONE 0xffff	/* rest_vm: nobody owns the functions not listed */
#define PCI_VM_READ_ONLY 0xfffe /* owner: every VM reads it, none writes (a host bridge) */

struct pci_owner {
	u16 bdf;
	u16 vm;
};

/* Who owns which function of segment 0: the configuration's devices lists, and the VM with
 * owns_rest, which gets every function not listed. */
struct pci_ownership {
	const struct pci_owner *owners;
	u32 count;
	u16 rest_vm;
};

/* A range of addresses (MMIO) or ports (I/O) a VM owns, [start, end). */
struct pci_range {
	u64 start, end;
};

/* The MMCONFIG window of segment 0 (from the host's MCFG): base is bus 0's address. */
struct pci_mmcfg {
	u64 base;
	u8 bus_start, bus_end;
};

#define PCI_BAR_KIND_UNUSED 0
#define PCI_BAR_KIND_MEM 1
#define PCI_BAR_KIND_IO 2
#define PCI_BAR_KIND_HIGH 3 /* the upper half of the 64-bit memory BAR before it */
#define PCI_FILTER_ROM 6 /* bars[] index of the expansion ROM BAR */

/* One BAR, as Plinth sized it at boot and as the device holds it now. */
struct pci_bar_state {
	u8 kind;
	bool is64;   /* PCI_BAR_KIND_MEM taking this register and the next */
	bool rom_on; /* the ROM BAR's enable bit (bars[PCI_FILTER_ROM] only) */
	u64 size;    /* bytes, a power of two; 0 when unused */
	u64 base;    /* the current address (both halves of a 64-bit BAR) */
};

/* What the decision needs of the owned function, read by the caller from the device. */
struct pci_fn_state {
	u8 header_type; /* bits 6:0 of register 0x0e */
	u16 command;
	struct pci_bar_state bars[PCI_FILTER_ROM + 1]; /* a bridge (type 1) has BARs 0-1 only */
	u8 msi_cap;	/* offset of the MSI capability; 0 when none */
	bool msi_64;	/* its message address is 64-bit */
	u16 msi_ctrl;	/* its message control, address and data now */
	u64 msi_addr;
	u16 msi_data;
	u8 msix_cap;	/* offset of the MSI-X capability; 0 when none */
	bool msix_usable; /* its table is trapped (x86/msix.h): else MSI-X never turns on */
	u8 msix_bar;	/* the BAR holding the table, when usable */
	u64 msix_home;	/* that BAR's address at boot, where Plinth traps the table */
};

/* What a partition sees of its function's MSI capability under interrupt remapping, where the
 * device holds Plinth's pair instead (x86/msi_route.h). */
struct pci_msi_shadow {
	u16 ctrl; /* enable and MME as the guest wrote them */
	u64 addr;
	u16 data;
};

/* Where an access goes, decoded from the port or the MMCONFIG address. */
struct pci_cfg_access {
	u16 bdf;
	u16 reg;   /* byte offset in the function's configuration space */
	u8 width;  /* 1, 2 or 4 */
	u32 value; /* for a write: the value, which a PASS may have changed */
};

/* Decisions. */
#define PCI_CFG_PASS 0	     /* do the access at (bdf, reg, width); a write writes value */
#define PCI_CFG_ABSENT 1     /* read all ones (of the width); drop a write */
#define PCI_CFG_DROP 2	     /* an owned function's write refused: drop it */
#define PCI_CFG_LATCH 3	     /* a dword at 0xcf8: the VM's own CONFIG_ADDRESS (pci_cfg_latch) */
#define PCI_CFG_NOT_CONFIG 4 /* not configuration space (0xcf9 is reset control; outside the window) */
#define PCI_CFG_CHECK_MSI 5  /* a write to MSI control, address or data: the caller decides */

/* The host bridge: never a partition's to write (its SMRAM, PAM and window registers are the
 * machine's), so READ_ONLY in every ownership table, whoever lists it. */
#define PCI_HOST_BRIDGE_BDF PCI_BDF(0, 0, 0)

/* One VM's configured functions, for pci_ownership_build. */
struct pci_vm_devices {
	const u16 *devices;
	u32 count;
};

/* Fills own (its owners in table, max entries) from n VMs' lists (VM number = index) and the
 * VM that owns the rest (PCI_VM_NONE: none): the host bridge first, READ_ONLY, then each
 * listed function once (a function listed twice keeps its first owner: the configuration
 * check refuses that before). Returns the entries used, or -1 when max is too small. */
int pci_ownership_build(struct pci_ownership *own, struct pci_owner *table, u32 max,
			const struct pci_vm_devices *vms, u32 n, u16 rest_vm);

/* Whether VM vm owns bdf outright (not READ_ONLY). */
bool pci_owns(const struct pci_ownership *own, u16 vm, u16 bdf);

/* Of the n functions present (found by enumeration), those VM vm owns outright, into out (at
 * most max; the count that would be written is returned): the functions put in its DMA
 * domain. The host bridge, READ_ONLY, is in no partition's domain. */
u32 pci_owned_functions(const struct pci_ownership *own, u16 vm, const u16 *present, u32 n, u16 *out, u32 max);

/* The VM that owns bdf: its entry in the table, else rest_vm (PCI_VM_NONE when none). */
u16 pci_owner_of(const struct pci_ownership *own, u16 bdf);

/* What the VM's CONFIG_ADDRESS latch holds after it writes v (bits 1:0 read as zero). */
u32 pci_cfg_latch(u32 v);

/* Decodes a port access (width 1, 2 or 4) with the VM's latch: LATCH for a dword at 0xcf8,
 * NOT_CONFIG for other accesses to 0xcf8-0xcfb and for ports outside 0xcf8-0xcff, ABSENT for
 * another width, for the data port with the enable bit clear or an access running past 0xcff,
 * else PASS with *a filled (bits 30:24 of the latch are reserved and, as Intel chipsets do,
 * ignored). */
int pci_cfg_port_decode(u32 latch, u16 port, u8 width, struct pci_cfg_access *a);

/* Decodes an access at addr of width bytes in the MMCONFIG window: NOT_CONFIG outside the
 * window's buses, ABSENT for a width other than 1, 2, 4 or one crossing a dword, else PASS with
 * *a filled. */
int pci_cfg_mmio_decode(const struct pci_mmcfg *w, u64 addr, u8 width, struct pci_cfg_access *a);

/* A read by VM vm of a decoded access: PASS when the VM owns the function (or it is
 * READ_ONLY), else ABSENT. */
int pci_cfg_read_check(const struct pci_ownership *own, u16 vm, const struct pci_cfg_access *a);

/*
 * A write by VM vm: ABSENT when it does not own the function, DROP for READ_ONLY ones and for
 * the writes the rules above refuse, CHECK_MSI for MSI control, address and data, else PASS (with
 * a->value changed when decoding bits were taken out of a command write). fn describes the
 * function now (it may be NULL for a function the VM does not own; an owned one's write is
 * then dropped); mmio and io are the VM's ranges.
 */
int pci_cfg_write_check(const struct pci_ownership *own, u16 vm, struct pci_cfg_access *a,
			const struct pci_fn_state *fn, const struct pci_range *mmio, u32 mmio_count,
			const struct pci_range *io, u32 io_count);

/* A CHECK_MSI write without interrupt remapping: PASS when MSI stays disabled after it or the
 * pair it leaves (fn's current values with the write's bytes over them) aims at the VM's n APIC
 * IDs, every vector of a multiple-message block included; when it does not, a write that turns
 * MSI on passes with the enable bit taken out of a->value, any other is DROP. */
int pci_msi_write_check(struct pci_cfg_access *a, const struct pci_fn_state *fn, const u32 *apic_ids, u32 n);

/* Under interrupt remapping: the guest's view s after a CHECK_MSI write (fn describes the
 * function; the capability offers one vector there, so MME stays 0). */
void pci_msi_shadow_write(const struct pci_cfg_access *a, const struct pci_fn_state *fn, struct pci_msi_shadow *s);
/* What a read of a (width bytes at reg) returns with s over the capability's control, address
 * and data: hw is what the device returned; control's read-only bits stay the device's, except
 * Multiple Message Capable, which reads 0 (one vector). */
u32 pci_msi_shadow_read(const struct pci_cfg_access *a, const struct pci_fn_state *fn, const struct pci_msi_shadow *s,
			u32 hw);

/* Whether [start, start + size) lies inside one of the n ranges (false when it wraps). */
bool pci_range_inside(const struct pci_range *r, u32 n, u64 start, u64 size);

#endif
