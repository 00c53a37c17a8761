/*
 * Guest writes to the host bridge's SMRAM and window registers (tools/chipset.py), by either
 * path to PCI configuration space: mechanism #1 (the guest's own address in 0xCF8, passed
 * through; data at 0xCFC-0xCFF, claimed here) and the PCI Express ECAM page of bus 0 device 0
 * function 0 (mapped read-only in the VM's EPT, vm.c). A write that covers a protected byte
 * goes through with that byte as it is; other bytes and all reads reach the hardware. Said
 * once per VM.
 *
 * A partition's mechanism #1 address register is its own (io_reset.c latches it per VM, never in
 * the hardware, so it cannot aim another VM's accesses); its data port accesses are decoded
 * with that latch and go through vm_pci.c, which lets it see the functions it owns only. Its
 * EPT holds its RAM, APIC page and owned BARs: no ECAM page is reachable.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/cpu.h>
#include <x86/emulate.h>
#include <x86/exit_io.h>
#include <x86/pci.h>
#include <x86/smram.h>
#include <x86/vcpu_events.h>
#include <x86/vm.h>
#include <x86/vm_pci.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define CONFIG_ADDR_BDF_MASK 0x00ffff00 /* bus, device, function of a mechanism #1 address */
#define CONFIG_ADDR_REG(a) ((a) & 0xfc)
#define ECAM_PAGE 0x1000

static void logged(struct vcpu *v, const char *what, u32 offset)
{
	if (v->vm->arch->pci_config_logged)
		return;
	v->vm->arch->pci_config_logged = true;
	log_warn(CONSOLE_FMT_PCI_CONFIG_DROPPED, v->vm->name, v->id, what, offset);
}

/* value with every byte of [offset, offset + size) that is protected replaced by current's;
 * current is the register's value, read only when needed. */
static u64 filter(struct vcpu *v, u32 offset, u32 size, u64 value, u64 (*current)(void *ctx), void *ctx)
{
	u64 now = 0;
	bool read = false;
	u32 i;

	for (i = 0; i < size; i++) {
		const char *what = smram_bridge_protects(offset + i);

		if (!what)
			continue;
		if (!read) {
			now = current(ctx);
			read = true;
		}
		value = (value & ~(0xffULL << (8 * i))) | (now & (0xffULL << (8 * i)));
		logged(v, what, offset + i);
	}
	return value;
}

static u32 cfc_in(struct vcpu *v, u16 port, u32 size)
{
	struct pci_cfg_access a;

	if (!v->vm->partition)
		return exit_io_port_in(port, size);
	if (pci_cfg_port_decode(v->vm->arch->pci_config_address, port, (u8)size, &a) != PCI_CFG_PASS)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	return vm_pci_cfg_read(v, &a);
}

struct cfc_ctx {
	u16 port;
	u32 size;
};

static u64 cfc_current(void *ctx)
{
	const struct cfc_ctx *c = ctx;

	/* 0xCF8 still holds the guest's address: the data port reads the register. */
	return exit_io_port_in(c->port, c->size);
}

static void cfc_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	u32 addr;
	struct cfc_ctx ctx = { port, size };

	if (v->vm->partition) {
		struct pci_cfg_access a;

		if (pci_cfg_port_decode(v->vm->arch->pci_config_address, port, (u8)size, &a) == PCI_CFG_PASS) {
			a.value = value;
			vm_pci_cfg_write(v, &a);
		}
		return;
	}
	addr = inl(PCI_CONFIG_ADDRESS);
	if ((addr & PCI_CONFIG_ENABLE) && !(addr & CONFIG_ADDR_BDF_MASK))
		value = (u32)filter(v, CONFIG_ADDR_REG(addr) + (port - PCI_CONFIG_DATA), size, value, cfc_current, &ctx);
	exit_io_port_out(port, size, value);
}

static const struct io_ports cfc = { PCI_CONFIG_DATA, 4, cfc_in, cfc_out, false };
static const struct io_ports cfc_partitions = { PCI_CONFIG_DATA, 4, cfc_in, cfc_out, true };

void pci_filter_init(void)
{
	exit_io_claim(smram_bridge_known() ? &cfc : &cfc_partitions);
}

bool pci_filter_is_ecam_page(gpa_t gpa)
{
	hpa_t page = smram_bridge_ecam_page();

	return page && ALIGN_DOWN(gpa, ECAM_PAGE) == page;
}

struct ecam_ctx {
	volatile void *reg;
	u32 size;
};

static u64 ecam_read(volatile void *reg, u32 size)
{
	return size == 1 ? *(volatile u8 *)reg :
	       size == 2 ? *(volatile u16 *)reg :
	       size == 4 ? *(volatile u32 *)reg : *(volatile u64 *)reg;
}

static u64 ecam_current(void *ctx)
{
	const struct ecam_ctx *c = ctx;

	return ecam_read(c->reg, c->size);
}

void pci_filter_ecam_write(struct vcpu *v, gpa_t gpa)
{
	u32 off = (u32)(gpa & (ECAM_PAGE - 1));
	struct store st;
	/* The default VM's device memory is identity-mapped, and Plinth maps the low 4 GiB. */
	struct ecam_ctx ctx = { (volatile void *)(uintptr_t)gpa, 0 };
	u64 old = 0;

	if (vcpu_in_event_delivery(v) || emulate_decode_store(v, &st)) {
		vcpu_stop_vm(v, false, "vCPU %u wrote the host bridge's configuration page (offset 0x%x) with an access Plinth cannot emulate (guest rip 0x%lx)",
			     v->id, off, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	ctx.size = st.size;
	if (off + st.size > ECAM_PAGE || (off & (st.size - 1))) {
		emulate_complete_store(v, &st, 0); /* unaligned configuration accesses are undefined */
		return;
	}
	if (st.kind == STORE_XCHG)
		old = ecam_read(ctx.reg, st.size);
	st.value = filter(v, off, st.size, st.value, ecam_current, &ctx);
	if (st.size == 1)
		*(volatile u8 *)ctx.reg = (u8)st.value;
	else if (st.size == 2)
		*(volatile u16 *)ctx.reg = (u16)st.value;
	else if (st.size == 4)
		*(volatile u32 *)ctx.reg = (u32)st.value;
	else
		*(volatile u64 *)ctx.reg = st.value;
	emulate_complete_store(v, &st, old);
}
