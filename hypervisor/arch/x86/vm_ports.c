/*
 * Which I/O ports are a VM's, and its I/O bitmaps from that (x86/vm_ports.h).
 *
 * The default VM owns the machine: every port passes except those Plinth claims (exit_io.c),
 * as before partitions existed. A partition's bitmaps trap every port by default, then pass:
 * - its own ranges (its PCI functions' I/O BARs, arch_vm.ports, vm_ports_add);
 * - with owns_rest, every port that is no other VM's range and that Plinth does not hold.
 * Plinth's claims exit for every partition on top of that, owner or not; their handlers reach
 * the hardware behind them only for a VM that owns it (exit_io_owned_in/out). A port that
 * exits and is not the VM's is absent (io_legacy.c).
 *
 * What Plinth holds while VMs run, so that no VM may own it: its console UART (the VMs' COM1
 * is emulated, exit_io claims it) and the PCI configuration mechanism (claimed: 0xCF8 latched
 * per VM, 0xCFC filtered). Plinth uses the PIT (channel 2 and System Control Port B) only at
 * boot, for the TSC and LAPIC timer calibration and the AP start-up delays (tsc.c, smp.c,
 * and the DMA self-test): all before the first VM entry, so the owns_rest VM may own it.
 * The NMI-disable bit of port 0x70 gates only the chipset's NMI sources (SERR, IOCHK), not
 * the NMI IPIs Plinth sends through the local APICs, so CMOS may be owned too.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/exit_io.h>
#include <x86/pci.h>
#include <x86/uart.h>
#include <x86/vm.h>
#include <x86/vm_ports.h>

#define IO_SPACE_SIZE 0x10000u
#define PCI_CONFIG_PORTS 8 /* CONFIG_ADDRESS and CONFIG_DATA */
#define BITMAP_BYTES 4096

static bool overlaps(u32 base, u32 count, u32 other, u32 other_count)
{
	return base < other + other_count && other < base + count;
}

/* Whether Plinth uses any of ports [base, base + count) while VMs run. */
static bool held(u32 base, u32 count)
{
	u16 uart, divisor;

	if (overlaps(base, count, PCI_CONFIG_ADDRESS, PCI_CONFIG_PORTS))
		return true;
	return uart_console(&uart, &divisor) && overlaps(base, count, uart, UART_PORTS);
}

static bool in_ranges(const struct arch_vm *a, u32 base, u32 count)
{
	u32 i;

	for (i = 0; i < a->port_count; i++)
		if (overlaps(base, count, a->ports[i].base, a->ports[i].count))
			return true;
	return false;
}

/* Whether a partition other than vm owns a port of [base, base + count). */
static bool other_owns(const struct vm *vm, u32 base, u32 count)
{
	u32 i;

	for (i = 0; i < VM_MAX; i++)
		if (&vms[i] != vm && vms[i].partition && vms[i].arch && in_ranges(vms[i].arch, base, count))
			return true;
	return false;
}

bool vm_ports_owns(const struct vm *vm, u16 port)
{
	if (!vm->partition || in_ranges(vm->arch, port, 1))
		return true;
	return vm->owns_rest && !held(port, 1) && !other_owns(vm, port, 1);
}

/* Ports [base, base + count) exit (trap) or pass in the VM's bitmaps. */
static void mark(struct arch_vm *a, u32 base, u32 count, bool trap)
{
	u32 p;

	for (p = base; p < base + count && p < IO_SPACE_SIZE; p++) {
		u8 *byte = (p < 0x8000 ? a->io_bitmap_a : a->io_bitmap_b) + (p & 0x7fff) / 8;
		u8 bit = (u8)(1 << (p % 8));

		*byte = trap ? *byte | bit : *byte & (u8)~bit;
	}
}

static void trap_held(struct arch_vm *a)
{
	u16 uart, divisor;

	if (uart_console(&uart, &divisor))
		mark(a, uart, UART_PORTS, true);
	mark(a, PCI_CONFIG_ADDRESS, PCI_CONFIG_PORTS, true);
}

void vm_ports_bitmap_init(struct vm *vm)
{
	struct arch_vm *a = vm->arch;
	bool rest = vm->partition && vm->owns_rest;
	u32 i, r;

	memset(a->io_bitmap_a, vm->partition && !rest ? 0xff : 0, BITMAP_BYTES);
	memset(a->io_bitmap_b, vm->partition && !rest ? 0xff : 0, BITMAP_BYTES);
	if (rest) {
		for (i = 0; i < VM_MAX; i++)
			for (r = 0; &vms[i] != vm && vms[i].partition && vms[i].arch && r < vms[i].arch->port_count; r++)
				mark(a, vms[i].arch->ports[r].base, vms[i].arch->ports[r].count, true);
		trap_held(a);
	}
	for (r = 0; r < a->port_count; r++)
		mark(a, a->ports[r].base, a->ports[r].count, false);
	exit_io_bitmap_claims(vm, vm_ports_owns);
}

static bool bitmaps_built(const struct vm *vm)
{
	return vm->arch && vm->arch->io_bitmap_a && vm->arch->io_bitmap_b;
}

int vm_ports_add(struct vm *vm, u16 base, u32 count)
{
	struct arch_vm *a = vm->arch;
	u32 i;

	if (!vm->partition || !a || !count || base + count > IO_SPACE_SIZE)
		return -EINVAL;
	if (held(base, count) || other_owns(vm, base, count))
		return -EBUSY;
	if (a->port_count == VM_PORT_RANGES_MAX)
		return -ENOSPC;
	a->ports[a->port_count].base = base;
	a->ports[a->port_count++].count = count;
	if (bitmaps_built(vm))
		vm_ports_bitmap_init(vm);
	for (i = 0; i < VM_MAX; i++)
		if (&vms[i] != vm && vms[i].partition && vms[i].owns_rest && bitmaps_built(&vms[i]))
			vm_ports_bitmap_init(&vms[i]);
	return 0;
}
