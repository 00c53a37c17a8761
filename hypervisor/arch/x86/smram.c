/*
 * SMRAM. SMM code runs outside VMX and EPT with the whole of physical memory in reach: a guest
 * that put its own code into SMRAM and raised an SMI would own the machine. The firmware
 * closes SMRAM and locks it (D_LCK: until the next reset nothing opens it again, SMM code
 * included); where it left the lock off, Plinth sets it at boot, before any guest runs,
 * clearing D_OPEN first as the datasheets ask. Guests never write the host bridge's SMRAM
 * registers either (pci_filter.c): Bochs 2.7's 440FX, for one, still lets G_SMRAME be cleared
 * after the lock, which would hand SMM's code fetches to the VGA memory a guest writes.
 * Raising SMIs is taken from guests too (vapic.c, io_acpi.c).
 */
#include <chipset.h>
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/pci.h>
#include <x86/smram.h>

static const struct host_bridge bridges[HOST_BRIDGE_COUNT] = HOST_BRIDGE_TABLE;
static const struct host_bridge *bridge;
static hpa_t ecam_page;

static const char *state(u8 value)
{
	return value & SMRAM_D_LCK ? "locked" : value & SMRAM_D_OPEN ? "open and unlocked" : "closed but unlocked";
}

void smram_lock(void)
{
	u16 vendor = pci_config_read16(0, 0, 0, 0), device = pci_config_read16(0, 0, 0, 2);
	u8 before, after;
	u32 i;

	for (i = 0; i < HOST_BRIDGE_COUNT; i++)
		if (bridges[i].vendor == vendor && bridges[i].device == device)
			bridge = &bridges[i];
	if (!bridge) {
		log_warn(CONSOLE_FMT_SMRAM_UNKNOWN, vendor, device);
		return;
	}
	before = pci_config_read8(0, 0, 0, bridge->smram);
	if (before & SMRAM_D_LCK) {
		log_info(CONSOLE_FMT_SMRAM, bridge->name, vendor, device, before, bridge->smram, "locked by the firmware");
		return;
	}
	pci_config_write8(0, 0, 0, bridge->smram, before & ~SMRAM_D_OPEN);
	pci_config_write8(0, 0, 0, bridge->smram, (before & ~SMRAM_D_OPEN) | SMRAM_D_LCK);
	after = pci_config_read8(0, 0, 0, bridge->smram);
	if (after & SMRAM_D_LCK)
		log_notice(CONSOLE_FMT_SMRAM, bridge->name, vendor, device, after, bridge->smram,
			   before & SMRAM_D_OPEN ? "locked by Plinth (the firmware had left it open and unlocked)"
						 : "locked by Plinth (the firmware had left it unlocked)");
	else
		log_warn(CONSOLE_FMT_SMRAM_NOT_LOCKED, bridge->name, vendor, device, after, bridge->smram, state(after));
}

const char *smram_bridge_protects(u32 offset)
{
	u32 i;

	for (i = 0; bridge && i < bridge->protected_count; i++)
		if (offset >= bridge->protected_regs[i].offset &&
		    offset < (u32)bridge->protected_regs[i].offset + bridge->protected_regs[i].length)
			return bridge->protected_regs[i].what;
	return NULL;
}

bool smram_bridge_known(void)
{
	return bridge != NULL;
}

void smram_set_ecam_base(hpa_t segment0_base)
{
	ecam_page = segment0_base; /* bus 0, device 0, function 0: the segment's first 4 KiB */
}

hpa_t smram_bridge_ecam_page(void)
{
	return ecam_page;
}
