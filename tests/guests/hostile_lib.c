/* What the hostile-guest checks share; see hostile.h. */
#include <plinth/string.h>
#include "checks.h"
#include "guest_layout.h"
#include "hostile.h"
#include "pit.h"
#include "x86.h"

#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define ICR_PENDING BIT(12)
#define ICR_POLL_LIMIT 1000000
#define AP_READY_WAIT_MS 3000
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc

void (*volatile ap_job)(u32 index);
void (*volatile nmi_hook)(bool bsp);

static volatile u32 ready_count;
static volatile u32 ap_ids[AP_MAX];

extern const char ap_trampoline_start[], ap_trampoline_end[];

u64 apic_base_address(void)
{
	/* Read once: IA32_APIC_BASE exits to Plinth, and the base cannot move anyway. */
	static u64 base;

	if (!base)
		base = rdmsr(MSR_IA32_APIC_BASE) & ~(u64)0xfff;
	return base;
}

u32 apic_read(u32 reg)
{
	return *(volatile u32 *)(apic_base_address() + reg);
}

void apic_write(u32 reg, u32 value)
{
	*(volatile u32 *)(apic_base_address() + reg) = value;
}

bool apic_ipi(u32 dest, u32 icr_low)
{
	u32 n;

	apic_write(APIC_ICR_HIGH, dest << 24);
	apic_write(APIC_ICR_LOW, icr_low);
	for (n = 0; n < ICR_POLL_LIMIT && (apic_read(APIC_ICR_LOW) & ICR_PENDING); n++)
		cpu_relax();
	return n < ICR_POLL_LIMIT;
}

bool wait_at_least(volatile u32 *flag, u32 value, u32 ms)
{
	for (u32 waited = 0; waited <= ms; waited++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE) >= value)
			return true;
		pit_delay_us(1000);
	}
	return false;
}

void hostile_ap_ready(u32 index)
{
	if (index < AP_MAX)
		ap_ids[index] = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);
	__atomic_add_fetch(&ready_count, 1, __ATOMIC_RELEASE);
}

unsigned hostile_aps_ready(void)
{
	return __atomic_load_n(&ready_count, __ATOMIC_ACQUIRE);
}

bool hostile_wait_ready(unsigned want, u32 ms)
{
	return wait_at_least(&ready_count, want, ms);
}

u32 hostile_ap_apic_id(u32 i)
{
	return i < AP_MAX ? ap_ids[i] : 0;
}

bool hostile_start_aps(unsigned want)
{
	u64 apic = apic_base_address();

	if (!check_expect(ap_trampoline_in_ram != 0, "0x%x is not available RAM", AP_TRAMPOLINE_BASE))
		return false;
	__atomic_store_n(&ready_count, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&ap_next_index, 0, __ATOMIC_RELEASE);
	memcpy((void *)AP_TRAMPOLINE_BASE, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
	apic_write(APIC_SVR, apic_read(APIC_SVR) | APIC_SVR_ENABLE | 0xff);
	if (!start_aps(apic))
		return false;
	return check_expect(wait_at_least(&ready_count, want, AP_READY_WAIT_MS),
			    "%u of %u AP job(s) started within %u ms", hostile_aps_ready(), want, AP_READY_WAIT_MS);
}

u32 pci_cfg_read32(u32 addr)
{
	outl(PCI_CONFIG_ADDRESS, addr & ~3u);
	return inl(PCI_CONFIG_DATA);
}

u8 pci_cfg_read8(u32 addr)
{
	outl(PCI_CONFIG_ADDRESS, addr & ~3u);
	return inb((u16)(PCI_CONFIG_DATA + (addr & 3)));
}

void pci_cfg_write8(u32 addr, u8 value)
{
	outl(PCI_CONFIG_ADDRESS, addr & ~3u);
	outb((u16)(PCI_CONFIG_DATA + (addr & 3)), value);
}

void pci_cfg_write16(u32 addr, u16 value)
{
	outl(PCI_CONFIG_ADDRESS, addr & ~3u);
	outw((u16)(PCI_CONFIG_DATA + (addr & 2)), value);
}

void pci_cfg_write32(u32 addr, u32 value)
{
	outl(PCI_CONFIG_ADDRESS, addr & ~3u);
	outl(PCI_CONFIG_DATA, value);
}

/* ACPI 6.5, 5.2.5: the RSDP lies on a 16-byte boundary in the BIOS area 0xE0000-0xFFFFF. */
#define BIOS_AREA 0xe0000
#define BIOS_AREA_END 0x100000
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_XSDT 24
#define SDT_HEADER 36
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_CNT_BLK 64

const u8 *acpi_find_table(const char *sig)
{
	const u8 *rsdp = NULL, *sdt;
	u32 count, i, width;

	for (u64 a = BIOS_AREA; a < BIOS_AREA_END && !rsdp; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8))
			rsdp = (const u8 *)a;
	if (!rsdp)
		return NULL;
	/* ACPI 2.0+ with an XSDT (a partition's tables have no RSDT), else the RSDT. */
	width = rsdp[RSDP_REVISION] >= 2 && *(const u64 *)(rsdp + RSDP_XSDT) ? 8 : 4;
	sdt = (const u8 *)(width == 8 ? *(const u64 *)(rsdp + RSDP_XSDT) : (u64) * (const u32 *)(rsdp + RSDP_RSDT));
	if (!sdt || memcmp(sdt, width == 8 ? "XSDT" : "RSDT", 4))
		return NULL;
	count = (*(const u32 *)(sdt + 4) - SDT_HEADER) / width;
	for (i = 0; i < count; i++) {
		const u8 *p = sdt + SDT_HEADER + width * i;
		const u8 *t = (const u8 *)(width == 8 ? *(const u64 *)p : (u64) * (const u32 *)p);

		if (t && !memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}

bool hostile_acpi_ports(struct acpi_ports *out)
{
	const u8 *t = acpi_find_table("FACP");

	memset(out, 0, sizeof(*out));
	if (!t)
		return false;
	out->smi_cmd = (u16) * (const u32 *)(t + FADT_SMI_CMD);
	out->acpi_enable = t[FADT_ACPI_ENABLE];
	out->pm1a_cnt = (u16) * (const u32 *)(t + FADT_PM1A_CNT_BLK);
	return true;
}
