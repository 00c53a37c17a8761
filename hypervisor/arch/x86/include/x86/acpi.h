/*
 * ACPI tables Plinth reads at boot: the RSDP, the root table (XSDT or RSDT), the MADT (CPUs,
 * IOAPICs, interrupt overrides), the DMAR (VT-d remapping units, reserved regions), the FADT
 * (the ACPI ports Plinth watches) and the MCFG (the ECAM base of PCI segment 0).
 * The parser in arch/x86/acpi*.c is pure: it reads the tables through pointers equal to their
 * physical addresses and fills a struct acpi_info (struct acpi_fadt, struct acpi_mcfg), so it
 * is unit-tested and fuzzed on the host.
 */
#ifndef X86_ACPI_H
#define X86_ACPI_H

#include <plinth/types.h>

/* Limits of struct acpi_info; more entries of a kind are dropped with a warning. */
#define ACPI_MAX_TABLES 64
#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_OVERRIDES 32
#define ACPI_MAX_NMIS 16
#define ACPI_DMAR_MAX_DRHDS 16
#define ACPI_DMAR_MAX_RMRRS 16
#define ACPI_DMAR_MAX_ATSRS 8
#define ACPI_DMAR_MAX_ANDDS 8
#define ACPI_DMAR_MAX_SCOPES 32 /* per DRHD, RMRR or ATSR */
#define ACPI_DMAR_PATH_MAX 8	/* (device, function) hops per device scope */
#define ACPI_ANDD_NAME_LEN 48
#define ACPI_MSG_LEN 192

/* Tables are read only below this address: Plinth identity-maps the low 4 GiB. */
#define ACPI_PHYS_LIMIT (4 * GIB)
/* A larger table length is taken for a corrupt field. */
#define ACPI_TABLE_MAX_LEN (1u << 20)

/* MADT (ACPI 6.5 section 5.2.12) */
#define ACPI_MADT_PCAT_COMPAT BIT(0) /* dual 8259s present */
#define ACPI_MADT_LAPIC 0
#define ACPI_MADT_IOAPIC 1
#define ACPI_MADT_ISO 2
#define ACPI_MADT_LAPIC_NMI 4
#define ACPI_MADT_LAPIC_OVERRIDE 5
#define ACPI_MADT_X2APIC 9
#define ACPI_MADT_X2APIC_NMI 10
#define ACPI_LAPIC_ENABLED BIT(0)
#define ACPI_LAPIC_ONLINE_CAPABLE BIT(1)
#define ACPI_NMI_ALL_CPUS 0xffffffffu /* uid of a NMI entry that applies to every CPU */

/* DMAR (Intel VT-d specification, chapter 8) */
#define ACPI_DMAR_INTR_REMAP BIT(0)
#define ACPI_DMAR_X2APIC_OPT_OUT BIT(1)
#define ACPI_DMAR_DMA_CTRL_PLATFORM_OPT_IN BIT(2)
#define ACPI_DMAR_DRHD 0
#define ACPI_DMAR_RMRR 1
#define ACPI_DMAR_ATSR 2
#define ACPI_DMAR_RHSA 3
#define ACPI_DMAR_ANDD 4
#define ACPI_DMAR_SATC 5
#define ACPI_DRHD_INCLUDE_PCI_ALL BIT(0)
#define ACPI_SCOPE_PCI_ENDPOINT 1
#define ACPI_SCOPE_PCI_SUBHIERARCHY 2
#define ACPI_SCOPE_IOAPIC 3
#define ACPI_SCOPE_HPET 4
#define ACPI_SCOPE_ACPI_NAMESPACE 5

struct acpi_table {
	char sig[5];
	u8 revision;
	u32 length;
	u64 pa;
};

struct acpi_cpu {
	u32 apic_id;
	u32 uid; /* ACPI processor UID */
	bool enabled;
	bool online_capable; /* may be enabled at run time (only meaningful when !enabled) */
	bool x2apic;	     /* from a type 9 entry */
};

struct acpi_ioapic {
	u8 id;
	u32 addr;
	u32 gsi_base;
};

struct acpi_override {
	u8 bus; /* 0: ISA */
	u8 irq; /* the bus-relative source */
	u32 gsi;
	u16 flags; /* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 */
};

struct acpi_nmi {
	u32 uid; /* ACPI_NMI_ALL_CPUS for every CPU */
	u16 flags;
	u8 lint;
};

struct acpi_pci_hop {
	u8 dev, fn;
};

/*
 * A device scope entry (VT-d 8.3.1). A path one hop deep names the device directly:
 * resolved is set and bus:dev.fn is it. A deeper path goes through bridges whose secondary
 * bus numbers only the PCI configuration space tells, so it is kept raw for the caller.
 */
struct acpi_dmar_scope {
	u8 type;
	u8 enum_id; /* IOAPIC id, HPET number or ACPI device number, by type */
	u8 start_bus;
	u8 path_len;
	struct acpi_pci_hop path[ACPI_DMAR_PATH_MAX];
	bool path_truncated; /* deeper than ACPI_DMAR_PATH_MAX */
	bool resolved;
	u8 bus, dev, fn;
};

struct acpi_drhd {
	u8 flags;
	u8 size_field; /* bits 3:0: the register set spans 2^N 4 KiB pages (VT-d 3.0+, else 0) */
	u16 segment;
	u64 reg_base;
	u64 reg_size; /* bytes, from size_field */
	u32 scope_count;
	struct acpi_dmar_scope scopes[ACPI_DMAR_MAX_SCOPES];
};

struct acpi_rmrr {
	u16 segment;
	u64 base;
	u64 limit; /* inclusive, as the table gives it */
	u32 scope_count;
	struct acpi_dmar_scope scopes[ACPI_DMAR_MAX_SCOPES];
};

struct acpi_atsr {
	u8 flags;
	u16 segment;
	u32 scope_count;
	struct acpi_dmar_scope scopes[ACPI_DMAR_MAX_SCOPES];
};

struct acpi_andd {
	u8 dev_num; /* matches the enum_id of ACPI namespace device scopes */
	char name[ACPI_ANDD_NAME_LEN];
};

struct acpi_info {
	/* RSDP and root table */
	u8 rsdp_revision;
	char oem_id[7];
	bool use_xsdt; /* false: the RSDT was walked */
	u64 root_pa;
	u32 table_count; /* tables with a valid header and checksum */
	struct acpi_table tables[ACPI_MAX_TABLES];

	/* MADT */
	bool has_madt;
	u64 lapic_addr; /* after any type 5 override */
	bool lapic_addr_overridden;
	u32 madt_flags;
	u32 cpu_count;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	u32 ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	u32 override_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	u32 nmi_count;
	struct acpi_nmi nmis[ACPI_MAX_NMIS];

	/* DMAR */
	bool has_dmar;
	u8 dmar_haw; /* host address width in bits (the table's field plus one) */
	u8 dmar_flags;
	u32 drhd_count;
	struct acpi_drhd drhds[ACPI_DMAR_MAX_DRHDS];
	u32 rmrr_count;
	struct acpi_rmrr rmrrs[ACPI_DMAR_MAX_RMRRS];
	u32 atsr_count;
	struct acpi_atsr atsrs[ACPI_DMAR_MAX_ATSRS];
	u32 andd_count;
	struct acpi_andd andds[ACPI_DMAR_MAX_ANDDS];

	bool truncated; /* some entries beyond the limits above were dropped */
	/* The first fatal problem (empty on success) and the first non-fatal one, each a sentence
	 * naming the table, the offset in it and what is wrong. */
	char error[ACPI_MSG_LEN];
	char warning[ACPI_MSG_LEN];
};

/* Problems of a table that refuse one field each, one sentence a field, in order; more than
 * ACPI_NOTES_MAX are counted in dropped. */
#define ACPI_NOTES_MAX 10
struct acpi_notes {
	u32 count;
	u32 dropped;
	char lines[ACPI_NOTES_MAX][ACPI_MSG_LEN];
};

/* I/O ports Plinth itself uses (its console UART, PCI configuration, the test device): no
 * FADT port range may reach them. */
struct acpi_port_range {
	u16 base;
	u16 count;
	const char *what;
};

/* The APM control port of Intel chipsets, where a write raises a software SMI. */
#define ACPI_APM_CNT 0xb2
#define ACPI_FADT_SMI_COMMANDS 5 /* ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT, CST_CNT */
#define ACPI_PM1_CNT_MIN_LEN 2	 /* ACPI 5.2.9: PM1_CNT_LEN is at least 2 */

/*
 * What Plinth uses of the FADT (ACPI 6.5, 5.2.9), every field checked. A port field that is
 * refused reads 0 here: pm1a_cnt_len 0 (PM1a control is not watched), smi_cmd 0 (no SMI
 * command port besides ACPI_APM_CNT), and with no SMI command port every smi_commands[] is 0,
 * so no value written to ACPI_APM_CNT goes through.
 */
struct acpi_fadt {
	bool present;
	u8 revision;
	u32 length;
	u16 pm1a_cnt; /* PM1a control block, pm1a_cnt_len ports (0: none) */
	u8 pm1a_cnt_len;
	u16 smi_cmd;					/* 0: none */
	u8 smi_commands[ACPI_FADT_SMI_COMMANDS];	/* the values the OS may write there; 0: none */
	struct acpi_notes notes;
};

/*
 * What Plinth uses of the MCFG (PCI Firmware 3.0, 4.1.2): where PCI segment 0's bus 0 lies in
 * the ECAM, for the host bridge's configuration page. Allocations are checked (the base 1 MiB
 * aligned, start bus <= end bus, the range within 52 address bits); ecam_base is the first
 * good allocation of segment 0 that holds bus 0 and lies below ACPI_PHYS_LIMIT, or 0.
 */
struct acpi_mcfg {
	bool present;
	u32 allocation_count; /* in the table, good or not */
	u64 ecam_base;
	u8 ecam_bus_end; /* the last bus of ecam_base's allocation */
	struct acpi_notes notes;
};

/*
 * Reads the ACPI tables from the RSDP at physical address rsdp_pa into out.
 * Returns 0, or -EINVAL when the RSDP, the root table, the MADT or the DMAR is malformed:
 * out->error says which table, at which offset, and what is wrong, and what was read before
 * the fault stays in out (a DMAR structure counts only once all its device scopes checked
 * out). Any other table that fails its header or checksum check, and a root table entry that
 * points at 0, above 4 GiB or at no table, is left out with out->warning saying so.
 */
int acpi_parse(u64 rsdp_pa, struct acpi_info *out);

/* The same from a copy of the RSDP of len bytes (what multiboot2 tags 14 and 15 carry). */
int acpi_parse_rsdp_copy(const void *rsdp, u32 len, struct acpi_info *out);

/*
 * The FADT among the tables acpi_parse listed in info (the first "FACP"), read into out with
 * every field checked against the table's length and revision, the 16-bit port space (a range
 * that wraps past 0xffff), the ports in own (own_count ranges) and each other (PM1a control
 * must not hold the SMI command port or ACPI_APM_CNT). A field that fails is refused with one
 * note naming its offset. Returns 0, or -ENOENT when there is no FADT.
 */
int acpi_parse_fadt(const struct acpi_info *info, const struct acpi_port_range *own, u32 own_count,
		    struct acpi_fadt *out);

/* The MCFG among info's tables into out, each allocation checked, one note per refused one.
 * Returns 0, or -ENOENT when there is no MCFG. */
int acpi_parse_mcfg(const struct acpi_info *info, struct acpi_mcfg *out);

/* Short names for printing: "endpoint", "DRHD", "x2apic", ...; "unknown" for the rest. */
const char *acpi_dmar_scope_type_name(u8 type);
const char *acpi_dmar_type_name(u16 type);
const char *acpi_madt_type_name(u8 type);

/* The requester ID (bus << 8 | device << 3 | function) of I/O APIC id, from the first DRHD
 * device scope of type I/O APIC with that enumeration ID whose path names it directly (VT-d
 * 8.3.1.1): what its remapped interrupts are verified against. false when none does. */
bool acpi_dmar_ioapic_sid(const struct acpi_info *acpi, u8 id, u16 *sid);
/* Writes a scope as "endpoint 00:02.0" or "ioapic 2 at 00:1f.0" or, for a path through
 * bridges, "bridge 00:[1c.0/00.0]" into buf; returns like format(). */
int acpi_dmar_scope_format(const struct acpi_dmar_scope *s, char *buf, size_t size);

/* The local APIC flag test the MADT needs (ACPI 5.2.12.2): a CPU that is neither enabled nor
 * online-capable must be ignored. */
static inline bool acpi_cpu_usable(const struct acpi_cpu *c)
{
	return c->enabled || c->online_capable;
}

#endif
