/*
 * A partition's PCI root bridge in its DSDT (see x86/vm_acpi.h, pci_root), so that unmodified
 * Linux finds its PCI functions through ACPI (drivers/acpi/pci_root.c) rather than needing
 * pci=noacpi: with ACPI on, Linux scans only the buses of the root bridges the namespace
 * declares, and a DSDT without one gives it no PCI at all. In ASL:
 *
 *   Scope (\_SB) { Device (PCI0) {
 *     Name (_HID, EisaId ("PNP0A08")) Name (_CID, EisaId ("PNP0A03"))   (PNP0A03 alone without MCFG)
 *     Name (_UID, Zero) Name (_SEG, Zero) Name (_BBN, first bus)
 *     Name (_CRS, ResourceTemplate () {
 *       WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, first, last, 0, count)
 *       IO (Decode16, 0xcf8, 0xcf8, 1, 8)                   the configuration ports
 *       WordIO (ResourceProducer, ..., EntireRange, ...)    one per owned I/O BAR
 *       DWordMemory / QWordMemory (ResourceProducer, ...)   one per owned memory BAR
 *     }) } }
 *
 * The windows are the VM's owned BARs as the firmware placed them, nothing more: Linux then
 * claims those BARs inside its root bus's windows and has no other address space to move a BAR
 * to (pci_access.c would refuse such a move anyway). PNP0A08 (PCI Express) only when the VM has
 * an MCFG, since that name tells Linux to expect extended configuration space. No _OSC: the
 * VM's firmware keeps no PCIe feature for itself, and Linux without _OSC takes native control
 * of nothing, which is right for a VM that owns no ports, hot-plug slots or AER sources. No _PRT:
 * owned devices' interrupts are routed by a later issue; Linux then says the INTx pin has no
 * GSI and the driver still probes (drivers/acpi/pci_irq.c acpi_pci_irq_enable returns 0).
 *
 * Encodings: ACPI 6.5, 20.2 (AML: NameOp, ScopeOp, DeviceOp, BufferOp, PkgLength), 6.4.2.5
 * (I/O port descriptor), 6.4.3.5.1-3 (QWord, DWord and Word Address Space Descriptors), 6.4.2.9
 * (end tag). Pure: host-tested (tests/unit/c/test_vm_acpi.c).
 */
#include <plinth/errno.h>
#include <x86/vm_acpi.h>

#define AML_ZERO 0x00 /* ZeroOp, OneOp: integers 0 and 1 in one byte */
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_EXT 0x5b
#define AML_DEVICE 0x82

/* Resource descriptors. */
#define RES_IO 0x47 /* small I/O port descriptor, 7 bytes of data */
#define RES_END 0x79
#define RES_DWORD 0x87
#define RES_WORD 0x88
#define RES_QWORD 0x8a
#define RES_TYPE_MEM 0
#define RES_TYPE_IO 1
#define RES_TYPE_BUS 2
#define RES_FIXED_MIN_MAX 0x0c	/* general flags: _MIF, _MAF; producer, positive decode */
#define RES_IO_ENTIRE_RANGE 0x03 /* _RNG: ISA and non-ISA ports */
#define RES_MEM_RW_UNCACHED 0x01 /* _RW, _MEM non-cacheable */
#define RES_WORD_LEN 13u
#define RES_DWORD_LEN 23u
#define RES_QWORD_LEN 43u

#define EISA_PNP0A03 0x030ad041u
#define EISA_PNP0A08 0x080ad041u

/* An AML writer that only counts when b is NULL, so that each package's length is known
 * before its PkgLength is written. */
struct aml {
	u8 *b;
	u32 at;
};

static void byte(struct aml *a, u8 v)
{
	if (a->b)
		a->b[a->at] = v;
	a->at++;
}

static void word(struct aml *a, u16 v)
{
	byte(a, (u8)v);
	byte(a, (u8)(v >> 8));
}

static void dword(struct aml *a, u32 v)
{
	word(a, (u16)v);
	word(a, (u16)(v >> 16));
}

static void qword(struct aml *a, u64 v)
{
	dword(a, (u32)v);
	dword(a, (u32)(v >> 32));
}

static void seg(struct aml *a, const char *name)
{
	u32 i;

	for (i = 0; i < 4; i++)
		byte(a, (u8)name[i]);
}

/* PkgLength (20.2.4) for body bytes after it: it counts itself. Bodies here stay below 1 MiB. */
static void pkg_length(struct aml *a, u32 body)
{
	u32 len = body + 1;

	if (len < 0x40) {
		byte(a, (u8)len);
		return;
	}
	len = body + 2;
	if (len < 0x1000) {
		byte(a, (u8)(0x40 | (len & 0xf)));
		byte(a, (u8)(len >> 4));
		return;
	}
	len = body + 3;
	byte(a, (u8)(0x80 | (len & 0xf)));
	byte(a, (u8)(len >> 4));
	byte(a, (u8)(len >> 12));
}

/* Name (seg, integer) with the shortest integer encoding. */
static void name_int(struct aml *a, const char *name, u32 v)
{
	byte(a, AML_NAME);
	seg(a, name);
	if (v == AML_ZERO || v == AML_ONE) {
		byte(a, (u8)v);
	} else if (v <= 0xff) {
		byte(a, AML_BYTE);
		byte(a, (u8)v);
	} else {
		byte(a, AML_DWORD);
		dword(a, v);
	}
}

static void name_eisa(struct aml *a, const char *name, u32 id)
{
	byte(a, AML_NAME);
	seg(a, name);
	byte(a, AML_DWORD);
	dword(a, id);
}

static void res_word(struct aml *a, u8 type, u8 type_flags, u16 min, u16 max)
{
	byte(a, RES_WORD);
	word(a, RES_WORD_LEN);
	byte(a, type);
	byte(a, RES_FIXED_MIN_MAX);
	byte(a, type_flags);
	word(a, 0); /* granularity */
	word(a, min);
	word(a, max);
	word(a, 0); /* translation offset */
	word(a, (u16)(max - min + 1));
}

static void res_memory(struct aml *a, u64 start, u64 end)
{
	if (end <= 1ULL << 32) {
		byte(a, RES_DWORD);
		word(a, RES_DWORD_LEN);
		byte(a, RES_TYPE_MEM);
		byte(a, RES_FIXED_MIN_MAX);
		byte(a, RES_MEM_RW_UNCACHED);
		dword(a, 0);
		dword(a, (u32)start);
		dword(a, (u32)(end - 1));
		dword(a, 0);
		dword(a, (u32)(end - start));
		return;
	}
	byte(a, RES_QWORD);
	word(a, RES_QWORD_LEN);
	byte(a, RES_TYPE_MEM);
	byte(a, RES_FIXED_MIN_MAX);
	byte(a, RES_MEM_RW_UNCACHED);
	qword(a, 0);
	qword(a, start);
	qword(a, end - 1);
	qword(a, 0);
	qword(a, end - start);
}

static void crs(struct aml *a, const struct vm_acpi_config *c)
{
	static const u8 cfg_ports[] = { RES_IO, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	u32 i;

	res_word(a, RES_TYPE_BUS, 0, c->pci_bus_start, c->pci_bus_end);
	for (i = 0; i < sizeof(cfg_ports); i++)
		byte(a, cfg_ports[i]);
	for (i = 0; i < c->pci_io_count; i++)
		res_word(a, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, (u16)c->pci_io[i].start, (u16)(c->pci_io[i].end - 1));
	for (i = 0; i < c->pci_mmio_count; i++)
		res_memory(a, c->pci_mmio[i].start, c->pci_mmio[i].end);
	byte(a, RES_END);
	byte(a, 0); /* checksum 0: treated as correct (6.4.2.9) */
}

static u32 crs_len(const struct vm_acpi_config *c)
{
	struct aml m = { NULL, 0 };

	crs(&m, c);
	return m.at;
}

/* The buffer holding _CRS: BufferOp PkgLength BufferSize descriptors. */
static u32 buffer_body(const struct vm_acpi_config *c)
{
	return 3 + crs_len(c); /* WordPrefix size: the descriptors may pass 255 bytes */
}

static void device_body(struct aml *a, const struct vm_acpi_config *c)
{
	seg(a, "PCI0");
	name_eisa(a, "_HID", c->mcfg ? EISA_PNP0A08 : EISA_PNP0A03);
	if (c->mcfg)
		name_eisa(a, "_CID", EISA_PNP0A03);
	name_int(a, "_UID", 0);
	name_int(a, "_SEG", c->mcfg ? c->mcfg_segment : 0);
	name_int(a, "_BBN", c->pci_bus_start);
	byte(a, AML_NAME);
	seg(a, "_CRS");
	byte(a, AML_BUFFER);
	pkg_length(a, buffer_body(c));
	byte(a, AML_WORD);
	word(a, (u16)crs_len(c));
	crs(a, c);
}

static u32 device_len(const struct vm_acpi_config *c)
{
	struct aml m = { NULL, 0 };

	device_body(&m, c);
	return m.at;
}

static void scope(struct aml *a, const struct vm_acpi_config *c)
{
	struct aml m = { NULL, 0 };
	u32 dev = device_len(c), body;

	pkg_length(&m, dev);
	body = 5 + 2 + m.at + dev; /* \_SB_, DeviceOp, the device's PkgLength and body */
	byte(a, AML_SCOPE);
	pkg_length(a, body);
	byte(a, '\\');
	seg(a, "_SB_");
	byte(a, AML_EXT);
	byte(a, AML_DEVICE);
	pkg_length(a, dev);
	device_body(a, c);
}

int vm_acpi_pci_check(const struct vm_acpi_config *c)
{
	u32 i;

	if (!c->pci_root)
		return c->pci_mmio_count || c->pci_io_count ? -EINVAL : 0;
	if (c->pci_bus_start > c->pci_bus_end || c->pci_mmio_count > VM_ACPI_MAX_PCI_WINDOWS ||
	    c->pci_io_count > VM_ACPI_MAX_PCI_WINDOWS || (c->pci_mmio_count && !c->pci_mmio) ||
	    (c->pci_io_count && !c->pci_io))
		return -EINVAL;
	for (i = 0; i < c->pci_io_count; i++)
		if (c->pci_io[i].start >= c->pci_io[i].end || c->pci_io[i].end > 0x10000)
			return -EINVAL;
	for (i = 0; i < c->pci_mmio_count; i++)
		if (c->pci_mmio[i].start >= c->pci_mmio[i].end)
			return -EINVAL;
	return 0;
}

u32 vm_acpi_pci_root(const struct vm_acpi_config *c, u8 *out)
{
	struct aml a = { out, 0 };

	if (c->pci_root)
		scope(&a, c);
	return a.at;
}
