/*
 * A partition VM's ACPI tables; see x86/vm_acpi.h. Table layouts from ACPI 6.5 chapter 5 (RSDP
 * 5.2.5.3, XSDT 5.2.8, FADT 5.2.9, DSDT 5.2.11.1, MADT 5.2.12) and the PCI Firmware
 * Specification 3.0 (MCFG 4.1.2).
 *
 * The FADT describes a hardware-reduced ACPI platform (ACPI 6.5, 4.1), because that is what a
 * partition is: it has no fixed-feature hardware of its own, and every legacy device a full
 * FADT implies (PM1 event/control blocks, PM timer, SCI, SMI command port, GPE blocks) would
 * either be another VM's or need emulating. With HW_REDUCED_ACPI set Linux
 * (arch/x86/kernel/acpi/boot.c acpi_generic_reduced_hw_init) uses its null legacy PIC and does
 * not set up the PIT, installs no SCI handler and reads no PM timer; it powers off through the
 * FADT's sleep control register with the DSDT's \_S5 value (drivers/acpi/acpica/hwesleep.c)
 * and reboots through the reset register (drivers/acpi/reboot.c), both I/O ports Plinth traps.
 */
#include <plinth/errno.h>
#include <plinth/multiboot2.h>
#include <plinth/string.h>
#include <x86/irq_policy.h>
#include <x86/vm_acpi.h>

#define HDR_LEN 36u
#define RSDP_LEN 36u
#define FADT_LEN 276u /* revision 6 (ACPI 6.0 and later) */
#define MADT_HDR_LEN 44u
#define MCFG_LEN 60u /* header, 8 reserved bytes, one allocation of 16 */
#define ALIGN_TABLE 8u
#define MCFG_BUS_SPAN (1ULL << 20) /* 32 devices x 8 functions x 4 KiB */

/* FADT fields (ACPI 6.5 Table 5.9). */
#define FADT_DSDT 40
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL 244
#define FADT_SLEEP_STATUS 256
#define FADT_HYPERVISOR_VENDOR 268

/* FADT flags (Table 5.10): only what holds for every partition VM. */
#define FADT_WBINVD BIT(0)     /* WBINVD works: the CPUs are real and it is not intercepted */
#define FADT_PROC_C1 BIT(2)    /* HLT (C1) works on every CPU */
#define FADT_PWR_BUTTON BIT(4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON BIT(5) /* no fixed-feature sleep button */
#define FADT_FIX_RTC BIT(6)    /* no RTC wake status in fixed registers */
#define FADT_RESET_REG_SUP BIT(10)
#define FADT_HEADLESS BIT(12) /* no monitor or keyboard: the console is a serial port */
/* Physical destination mode for I/O APIC and MSI: a logical (flat or cluster) destination is
 * a set the guest defines in its LDRs, which Plinth does not track, so Plinth's I/O APIC and
 * MSI checks accept physical destinations only (x86/irq_policy.h). Linux honours the flag in its
 * APIC driver choice (apic_flat_64.c: physflat_acpi_madt_oem_check). */
#define FADT_FORCE_APIC_PHYS_DEST BIT(19)
#define FADT_HW_REDUCED_ACPI BIT(20)
#define FADT_FLAGS_VM                                                                              \
	(FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_FIX_RTC |           \
	 FADT_RESET_REG_SUP | FADT_HEADLESS | FADT_FORCE_APIC_PHYS_DEST | FADT_HW_REDUCED_ACPI)

/* IA-PC boot architecture flags (Table 5.11). LEGACY_DEVICES and 8042 stay clear: Linux then
 * registers no PNP BIOS devices and probes no keyboard controller, so it never touches port
 * 0x64 except to reboot, and the reset register comes first. MSI is supported (bit 3 clear). */
#define BOOT_ARCH_NO_VGA BIT(2)
#define BOOT_ARCH_NO_ASPM BIT(4) /* a link's other end is a bridge the VM does not own */
#define BOOT_ARCH_NO_CMOS_RTC BIT(5)

/* C2 and C3 latencies above 100 and 1000 us say the states are not supported. */
#define P_LVL2_NONE 101
#define P_LVL3_NONE 1001

/* Generic address structure (ACPI 6.5, 5.2.3.2): one byte in I/O space. */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

/* \_S5 = Package (4) { VM_ACPI_S5_SLP_TYP, 0, 0, 0 } in AML (ACPI 6.5, 20.2.5): NameOp,
 * \_S5_, PackageOp, PkgLength 7, NumElements 4, BytePrefix value, ZeroOp x 3. */
static const u8 aml_s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a,
			     VM_ACPI_S5_SLP_TYP, 0x00, 0x00, 0x00 };

/* Entry lengths (ACPI 6.5, 5.2.12.2, .3, .5, .12). */
#define MADT_LAPIC_LEN 8u
#define MADT_IOAPIC_LEN 12u
#define MADT_ISO_LEN 10u
#define MADT_X2APIC_LEN 16u
#define LAPIC_DEFAULT_ADDR 0xfee00000u

struct out {
	u8 *b;
};

static void put8(struct out *o, u32 off, u8 v)
{
	o->b[off] = v;
}

static void put16(struct out *o, u32 off, u16 v)
{
	put8(o, off, (u8)v);
	put8(o, off + 1, (u8)(v >> 8));
}

static void put32(struct out *o, u32 off, u32 v)
{
	put16(o, off, (u16)v);
	put16(o, off + 2, (u16)(v >> 16));
}

static void put64(struct out *o, u32 off, u64 v)
{
	put32(o, off, (u32)v);
	put32(o, off + 4, (u32)(v >> 32));
}

static void put_bytes(struct out *o, u32 off, const void *p, u32 n)
{
	memcpy(o->b + off, p, n);
}

/*
 * The emulated COM1 as an ACPI device, so that Linux's PNP layer (8250_pnp) takes port 0x3f8
 * with the interrupt the VM has for it: a hardware-reduced platform has no legacy ISA IRQs
 * (nr_legacy_irqs() is 0 with the null PIC), so the 8250 driver's built-in "0x3f8, IRQ 4"
 * would find no IRQ 4.
 *   Scope (\_SB) { Device (COM1) { Name (_HID, EisaId ("PNP0501")) Name (_UID, One)
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3f8, 0x3f8, 0, 8) IRQNoFlags () {4} }) } }
 * With com1 the IRQ descriptor names GSI 4 (the VM's I/O APIC pin); with com1_polled there is
 * none, and Linux's 8250 driver, finding a port without an interrupt, polls it from a timer
 * (8250_core.c univ8250_setup_irq), output and input. One-byte PkgLengths (ACPI 6.5, 20.2.4;
 * resource descriptors 6.4.2).
 */
static const u8 com1_io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08 }; /* I/O port descriptor */
static const u8 com1_irq4[] = { 0x22, 0x10, 0x00 };				 /* IRQ descriptor: IRQ 4 */
static const u8 com1_end[] = { 0x79, 0x00 };					 /* end tag */
static const u8 com1_names[] = {
	'C', 'O', 'M', '1', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01, /* DWordPrefix EisaId PNP0501 */
	0x08, '_', 'U', 'I', 'D', 0x01,						    /* OneOp */
	0x08, '_', 'C', 'R', 'S', 0x11,						    /* BufferOp */
};

/* The bytes of the COM1 scope, written at off unless o is NULL. */
static u32 put_com1(struct out *o, u32 off, bool irq)
{
	u32 res = (u32)(sizeof(com1_io) + (irq ? sizeof(com1_irq4) : 0) + sizeof(com1_end));
	u32 buf = 1 + 2 + res;				     /* PkgLength, BytePrefix size, descriptors */
	u32 dev = 1 + (u32)sizeof(com1_names) + buf;	     /* PkgLength, names up to BufferOp, buffer */
	u32 scope = 1 + 5 + 2 + dev, at;		     /* PkgLength, \_SB_, DeviceOp, device */
	static const u8 scope_head[] = { 0x10, 0, '\\', '_', 'S', 'B', '_', 0x5b, 0x82 };

	if (!o)
		return 1 + scope;
	put_bytes(o, off, scope_head, sizeof(scope_head));
	put8(o, off + 1, (u8)scope);
	at = off + sizeof(scope_head);
	put8(o, at++, (u8)dev);
	put_bytes(o, at, com1_names, sizeof(com1_names));
	at += sizeof(com1_names);
	put8(o, at++, (u8)buf);
	put8(o, at++, 0x0a); /* BytePrefix: the buffer's size */
	put8(o, at++, (u8)res);
	put_bytes(o, at, com1_io, sizeof(com1_io));
	at += sizeof(com1_io);
	if (irq) {
		put_bytes(o, at, com1_irq4, sizeof(com1_irq4));
		at += sizeof(com1_irq4);
	}
	put_bytes(o, at, com1_end, sizeof(com1_end));
	return at + sizeof(com1_end) - off;
}

/* The byte that makes len bytes at off sum to 0, stored at off + at. */
static void fix_checksum(struct out *o, u32 off, u32 len, u32 at)
{
	u8 sum = 0;
	u32 i;

	o->b[off + at] = 0;
	for (i = 0; i < len; i++)
		sum += o->b[off + i];
	o->b[off + at] = (u8)-sum;
}

/* A system description table header (ACPI 6.5, 5.2.6); the checksum comes last. */
static void header(struct out *o, u32 off, const char *sig, u32 len, u8 revision)
{
	put_bytes(o, off, sig, 4);
	put32(o, off + 4, len);
	put8(o, off + 8, revision);
	put_bytes(o, off + 10, "PLINTH", 6);
	put_bytes(o, off + 16, "PLINTHVM", 8);
	put32(o, off + 24, 1);
	put_bytes(o, off + 28, "PLNT", 4);
	put32(o, off + 32, 1);
}

static void gas_io_byte(struct out *o, u32 off, u16 port)
{
	put8(o, off, GAS_SYSTEM_IO);
	put8(o, off + 1, 8); /* bit width */
	put8(o, off + 2, 0); /* bit offset */
	put8(o, off + 3, GAS_ACCESS_BYTE);
	put64(o, off + 4, port);
}

static u32 madt_len(const struct vm_acpi_config *c)
{
	u32 len = MADT_HDR_LEN, i;

	for (i = 0; i < c->cpu_count; i++)
		len += c->apic_ids[i] > IRQ_XAPIC_ID_MAX ? MADT_X2APIC_LEN : MADT_LAPIC_LEN; /* ACPI 5.2.12.12 */
	if (c->ioapic)
		len += MADT_IOAPIC_LEN + c->override_count * MADT_ISO_LEN;
	return len;
}

static int check_config(const struct vm_acpi_config *c)
{
	u32 i, j;

	if (!c->apic_ids || !c->cpu_count || c->cpu_count > VM_ACPI_MAX_CPUS)
		return -EINVAL;
	for (i = 0; i < c->cpu_count; i++) {
		if (c->apic_ids[i] == 0xffffffffu)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (c->apic_ids[j] == c->apic_ids[i])
				return -EINVAL;
	}
	if ((c->override_count && (!c->ioapic || !c->overrides)) || (c->com1 && !c->ioapic) || (c->com1 && c->com1_polled))
		return -EINVAL;
	if (c->override_count > VM_ACPI_MAX_OVERRIDES)
		return -EINVAL;
	if (c->mcfg) {
		u64 end = (u64)(c->mcfg_bus_end + 1) * MCFG_BUS_SPAN;

		if (c->mcfg_bus_start > c->mcfg_bus_end || !IS_ALIGNED(c->mcfg_base, MCFG_BUS_SPAN) ||
		    c->mcfg_base + end < c->mcfg_base)
			return -EINVAL;
	}
	if (!c->sleep_port || c->sleep_port == 0xffff)
		return -EINVAL;
	if (c->prt_count > VM_ACPI_MAX_PRT || (c->prt_count && !c->prt))
		return -EINVAL;
	return vm_acpi_pci_check(c);
}

static void build_fadt(struct out *o, u32 off, const struct vm_acpi_config *c, u64 dsdt)
{
	u16 boot_arch = BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_ASPM;

	if (!c->cmos_rtc)
		boot_arch |= BOOT_ARCH_NO_CMOS_RTC;
	header(o, off, "FACP", FADT_LEN, 6);
	/* No FACS: hardware-reduced ACPI allows none (5.2.9, FIRMWARE_CTRL), and there is no
	 * global lock or waking vector to offer. */
	if (dsdt < 4 * GIB)
		put32(o, off + FADT_DSDT, (u32)dsdt);
	put16(o, off + FADT_P_LVL2_LAT, P_LVL2_NONE);
	put16(o, off + FADT_P_LVL3_LAT, P_LVL3_NONE);
	put16(o, off + FADT_IAPC_BOOT_ARCH, boot_arch);
	put32(o, off + FADT_FLAGS, FADT_FLAGS_VM);
	gas_io_byte(o, off + FADT_RESET_REG, VM_ACPI_RESET_PORT);
	put8(o, off + FADT_RESET_VALUE, VM_ACPI_RESET_VALUE);
	put8(o, off + FADT_MINOR_VERSION, 5); /* ACPI 6.5 */
	put64(o, off + FADT_X_DSDT, dsdt);
	gas_io_byte(o, off + FADT_SLEEP_CONTROL, c->sleep_port);
	gas_io_byte(o, off + FADT_SLEEP_STATUS, (u16)(c->sleep_port + 1));
	put_bytes(o, off + FADT_HYPERVISOR_VENDOR, "Plinth\0\0", 8);
	fix_checksum(o, off, FADT_LEN, 9);
}

static void build_madt(struct out *o, u32 off, const struct vm_acpi_config *c, u32 len)
{
	u32 at = off + MADT_HDR_LEN, i;

	header(o, off, "APIC", len, 5);
	put32(o, off + 36, LAPIC_DEFAULT_ADDR);
	put32(o, off + 40, 0); /* not PCAT_COMPAT: there are no 8259s */
	for (i = 0; i < c->cpu_count; i++) {
		u32 id = c->apic_ids[i];

		if (id > IRQ_XAPIC_ID_MAX) {
			put8(o, at, ACPI_MADT_X2APIC);
			put8(o, at + 1, MADT_X2APIC_LEN);
			put32(o, at + 4, id);
			put32(o, at + 8, ACPI_LAPIC_ENABLED);
			put32(o, at + 12, i); /* processor UID */
			at += MADT_X2APIC_LEN;
			continue;
		}
		put8(o, at, ACPI_MADT_LAPIC);
		put8(o, at + 1, MADT_LAPIC_LEN);
		put8(o, at + 2, (u8)i); /* processor UID; i < 256 */
		put8(o, at + 3, (u8)id);
		put32(o, at + 4, ACPI_LAPIC_ENABLED);
		at += MADT_LAPIC_LEN;
	}
	if (c->ioapic) {
		put8(o, at, ACPI_MADT_IOAPIC);
		put8(o, at + 1, MADT_IOAPIC_LEN);
		put8(o, at + 2, c->ioapic_id);
		put32(o, at + 4, c->ioapic_addr);
		put32(o, at + 8, c->ioapic_gsi_base);
		at += MADT_IOAPIC_LEN;
		for (i = 0; i < c->override_count; i++, at += MADT_ISO_LEN) {
			put8(o, at, ACPI_MADT_ISO);
			put8(o, at + 1, MADT_ISO_LEN);
			put8(o, at + 2, c->overrides[i].bus);
			put8(o, at + 3, c->overrides[i].irq);
			put32(o, at + 4, c->overrides[i].gsi);
			put16(o, at + 8, c->overrides[i].flags);
		}
	}
	fix_checksum(o, off, len, 9);
}

static void build_mcfg(struct out *o, u32 off, const struct vm_acpi_config *c)
{
	header(o, off, "MCFG", MCFG_LEN, 1);
	put64(o, off + 44, c->mcfg_base);
	put16(o, off + 52, c->mcfg_segment);
	put8(o, off + 54, c->mcfg_bus_start);
	put8(o, off + 55, c->mcfg_bus_end);
	fix_checksum(o, off, MCFG_LEN, 9);
}

static void build_rsdp(struct out *o, u64 xsdt)
{
	put_bytes(o, 0, "RSD PTR ", 8);
	put_bytes(o, 9, "PLINTH", 6);
	put8(o, 15, 2);	   /* revision: ACPI 2.0+, with the XSDT */
	put32(o, 16, 0);   /* no RSDT: every 64-bit OS uses the XSDT */
	put32(o, 20, RSDP_LEN);
	put64(o, 24, xsdt);
	fix_checksum(o, 0, ACPI_RSDP_V1_LEN, 8);
	fix_checksum(o, 0, RSDP_LEN, 32);
}

int vm_acpi_build(const struct vm_acpi_config *c, void *buf, u64 size, gpa_t gpa,
		  struct vm_acpi_layout *layout)
{
	u32 xsdt_entries = c->mcfg ? 3 : 2, xsdt_len = HDR_LEN + 8 * xsdt_entries;
	u32 xsdt, fadt, dsdt, madt, mcfg = 0, end, mlen;
	u32 com1_len, dlen;
	struct out o = { buf };
	int rc = check_config(c);

	if (rc)
		return rc;
	com1_len = c->com1 || c->com1_polled ? put_com1(NULL, 0, c->com1) : 0;
	dlen = HDR_LEN + (u32)sizeof(aml_s5) + com1_len + vm_acpi_pci_root(c, NULL) + vm_acpi_prt(c, NULL);
	mlen = madt_len(c);
	xsdt = (u32)ALIGN_UP(RSDP_LEN, ALIGN_TABLE);
	fadt = (u32)ALIGN_UP(xsdt + xsdt_len, ALIGN_TABLE);
	dsdt = (u32)ALIGN_UP(fadt + FADT_LEN, ALIGN_TABLE);
	madt = (u32)ALIGN_UP(dsdt + dlen, ALIGN_TABLE);
	end = madt + mlen;
	if (c->mcfg) {
		mcfg = (u32)ALIGN_UP(end, ALIGN_TABLE);
		end = mcfg + MCFG_LEN;
	}
	if (!IS_ALIGNED(gpa, 16) || gpa + end < gpa)
		return -EINVAL;
	if (!buf || size < end)
		return -ENOSPC;

	memset(buf, 0, end);
	header(&o, xsdt, "XSDT", xsdt_len, 1);
	put64(&o, xsdt + HDR_LEN, gpa + fadt);
	put64(&o, xsdt + HDR_LEN + 8, gpa + madt);
	if (c->mcfg)
		put64(&o, xsdt + HDR_LEN + 16, gpa + mcfg);
	fix_checksum(&o, xsdt, xsdt_len, 9);
	build_fadt(&o, fadt, c, gpa + dsdt);
	header(&o, dsdt, "DSDT", dlen, 2);
	put_bytes(&o, dsdt + HDR_LEN, aml_s5, sizeof(aml_s5));
	if (c->com1 || c->com1_polled)
		put_com1(&o, dsdt + HDR_LEN + (u32)sizeof(aml_s5), c->com1);
	vm_acpi_prt(c, o.b + dsdt + HDR_LEN + sizeof(aml_s5) + com1_len +
			       vm_acpi_pci_root(c, o.b + dsdt + HDR_LEN + sizeof(aml_s5) + com1_len));
	fix_checksum(&o, dsdt, dlen, 9);
	build_madt(&o, madt, c, mlen);
	if (c->mcfg)
		build_mcfg(&o, mcfg, c);
	build_rsdp(&o, gpa + xsdt);
	if (layout)
		*layout = (struct vm_acpi_layout){ gpa, gpa + xsdt, gpa + fadt, gpa + dsdt, gpa + madt,
						   c->mcfg ? gpa + mcfg : 0 };
	return (int)end;
}
