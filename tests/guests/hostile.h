/*
 * What the hostile-guest checks share (hostile_lib.c): the application processors as workers
 * (started with INIT-SIPI-SIPI into long mode, each then runs the job it was given), NMI
 * handlers a check installs, the local APIC, PCI configuration space, and the ACPI ports the
 * FADT names. Each check says in its file which finding of issue 13 it proves
 * (docs/threat-model.md lists them).
 */
#ifndef GUEST_HOSTILE_H
#define GUEST_HOSTILE_H

#include <plinth/types.h>

/* --- Application processors --- */

/* The job each AP runs after checking in, with its index (0..); NULL: halt. Set before
 * hostile_start_aps(). */
extern void (*volatile ap_job)(u32 index);
/* Starts every AP with INIT-SIPI-SIPI (all excluding self) and waits until `want` of them
 * run their job (hostile_ap_ready); false after a failure recorded in the running check. */
bool hostile_start_aps(unsigned want);
/* Called by an AP's job once it is under way. */
void hostile_ap_ready(u32 index);
unsigned hostile_aps_ready(void);
/* Waits until `want` AP jobs in all have called hostile_ap_ready since the last start. */
bool hostile_wait_ready(unsigned want, u32 ms);
/* The APIC id of AP index i (recorded when it became ready). */
u32 hostile_ap_apic_id(u32 i);

/* --- NMIs --- */

/* Called from the guest's NMI handler on any CPU (bsp: on the boot CPU) instead of the
 * unexpected-exception report; it may return (IRET) or never return. */
extern void (*volatile nmi_hook)(bool bsp);

/* --- Local APIC (xAPIC MMIO at the firmware's base, or x2APIC MSRs) --- */

#define APIC_TPR 0x80
#define APIC_SVR 0xf0
#define APIC_SVR_ENABLE BIT(8)
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_ID_REG 0x20
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_SMI (2u << 8)
#define ICR_LOGICAL BIT(11)
#define ICR_ASSERT BIT(14)
#define ICR_SELF (1u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)
#define MSR_X2APIC_ICR 0x830
#define MSR_X2APIC_APICID 0x802

u64 apic_base_address(void);
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 value);
/* An IPI through the xAPIC ICR (destination in ICR[63:56]); false if it stays pending. */
bool apic_ipi(u32 dest, u32 icr_low);

/* --- PCI configuration space, mechanism #1 --- */

u32 pci_cfg_read32(u32 bdf_reg);
u8 pci_cfg_read8(u32 bdf_reg);
void pci_cfg_write8(u32 bdf_reg, u8 value);
void pci_cfg_write16(u32 bdf_reg, u16 value);
void pci_cfg_write32(u32 bdf_reg, u32 value);
#define PCI_ADDR(bus, dev, fn, reg) (0x80000000u | (bus) << 16 | (dev) << 11 | (fn) << 8 | (reg))

/* --- ACPI --- */

/* The table with this signature that the RSDP's XSDT (or RSDT) lists, or NULL. */
const u8 *acpi_find_table(const char *sig);
/* The FADT's ports (0 when not found). */

struct acpi_ports {
	u16 pm1a_cnt, smi_cmd;
	u8 acpi_enable;
};
bool hostile_acpi_ports(struct acpi_ports *out);

/* --- Waiting --- */

/* Spins until *flag reaches at least value or about ms milliseconds pass (PIT-timed). */
bool wait_at_least(volatile u32 *flag, u32 value, u32 ms);

#endif
