/*
 * smm (issue 13, finding 1: a guest ran its own code in System Management Mode). Attacks the
 * way that worked: the host bridge's SMRAM control register (440FX 72h, Q35 9Dh) opened with
 * D_OPEN, or SMRAM decoding turned off with G_SMRAME (Bochs's 440FX still allows that after the
 * lock), a handler written at the SMM entry point (SMBASE + 8000h, SMBASE A0000h as Bochs's and
 * QEMU's firmware set it), and an SMI raised through the APM control port 0xB2 and with an SMI
 * IPI to itself. Expected: SMRAM reads locked (Plinth locks it at boot where the firmware did
 * not), the writes leave the register as it was, and the handler never runs (it would write a
 * marker into guest RAM and return with RSM).
 */
#include <plinth/string.h>
#include "checks.h"
#include "hostile.h"
#include "pit.h"
#include "x86.h"

#define PCI_ID_440FX 0x12378086u
#define PCI_ID_Q35 0x29c08086u
#define SMRAM_D_OPEN BIT(6)
#define SMRAM_D_LCK BIT(4)
#define SMRAM_G_SMRAME BIT(3)
#define SMM_ENTRY 0xa8000   /* SMBASE 0xA0000 + 0x8000 (SDM Vol. 3C, 32.4) */
#define MARKER_ADDR 0x7e00  /* guest RAM the handler would write */
#define MARKER 0x5a5a
#define APM_CNT 0xb2
#define SMI_COMMAND_NOBODY_DECLARES 0x5a

/* In SMM's real-address-like mode: mov word [MARKER_ADDR], MARKER; rsm. */
static const u8 smm_payload[] = { 0xc7, 0x06, MARKER_ADDR & 0xff, MARKER_ADDR >> 8, MARKER & 0xff, MARKER >> 8,
				  0x0f, 0xaa };

void check_smm(void)
{
	u32 id = pci_cfg_read32(PCI_ADDR(0, 0, 0, 0));
	u32 off = id == PCI_ID_440FX ? 0x72 : id == PCI_ID_Q35 ? 0x9d : 0;
	u8 before, after, saved[sizeof(smm_payload)];
	volatile u16 *marker = (volatile u16 *)MARKER_ADDR;

	if (!off) {
		check_info("smm: host bridge 0x%x is not one this check knows; skipped", id);
		return;
	}
	before = pci_cfg_read8(PCI_ADDR(0, 0, 0, off));
	check_expect(before & SMRAM_D_LCK, "SMRAM control 0x%x at 0x%x is not locked", before, off);
	pci_cfg_write8(PCI_ADDR(0, 0, 0, off), (u8)((before | SMRAM_D_OPEN) & ~SMRAM_D_LCK));
	after = pci_cfg_read8(PCI_ADDR(0, 0, 0, off));
	check_expect(after == before && !(after & SMRAM_D_OPEN), "writing D_OPEN made SMRAM control 0x%x (was 0x%x)",
		     after, before);

	/* With SMRAM open this lands in SMRAM; locked, it is video memory. */
	*marker = 0;
	memcpy(saved, (const void *)SMM_ENTRY, sizeof(saved));
	memcpy((void *)SMM_ENTRY, smm_payload, sizeof(smm_payload));
	pci_cfg_write8(PCI_ADDR(0, 0, 0, off), (u8)(before & ~SMRAM_G_SMRAME));
	after = pci_cfg_read8(PCI_ADDR(0, 0, 0, off));
	check_expect(after == before, "clearing G_SMRAME made SMRAM control 0x%x (was 0x%x)", after, before);
	outb(APM_CNT, SMI_COMMAND_NOBODY_DECLARES);
	pit_delay_us(2000);
	check_expect(*marker != MARKER, "code the guest wrote ran in SMM after an SMI through port 0x%x", APM_CNT);
	apic_ipi(0, ICR_SMI | ICR_SELF | ICR_ASSERT);
	pit_delay_us(2000);
	check_expect(*marker != MARKER, "code the guest wrote ran in SMM after an SMI IPI to itself");
	memcpy((void *)SMM_ENTRY, saved, sizeof(saved));
	pci_cfg_write8(PCI_ADDR(0, 0, 0, off), before);
}
