// sources: hypervisor/arch/x86/vm_ports.c
/*
 * Which ports are a VM's and its I/O bitmaps (vm_ports.c): the default VM passes every port but
 * the claims; a partition traps every port but its own ranges; the owns_rest VM passes every
 * port that is no other VM's and not Plinth's (its console UART, PCI configuration), whichever
 * VM was built first; vm_ports_add refuses what is not the partition's to take.
 */
#include <x86/vm.h>
#include <x86/vm_pci.h>
#include <x86/vm_ports.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <stdlib.h>

#include "test.h"

#define UART 0x2f8 /* Plinth's console in these tests */
#define CLAIM 0x3f8 /* a claimed port (the VMs' COM1), partitions only */

struct vm vms[VM_MAX];
u32 vm_count;

bool uart_console(u16 *port, u16 *divisor)
{
	*port = UART;
	*divisor = 1;
	return true;
}

/* vm_pci.c's and the console's parts, unused here. */
const struct pci_range *vm_pci_io_ranges(const struct vm *vm, u32 *count)
{
	(void)vm;
	*count = 0;
	return NULL;
}

void log_warn(const char *fmt, ...)
{
	(void)fmt;
}

/* exit_io.c's part: the claimed port exits, and which claims' hardware is the VM's. */
void exit_io_bitmap_claims(struct vm *vm, bool (*owns)(const struct vm *vm, u16 port))
{
	if (vm->partition)
		vm->arch->io_bitmap_a[CLAIM / 8] |= (u8)(1 << (CLAIM % 8));
	vm->arch->claims_owned = owns(vm, CLAIM);
}

static bool traps(const struct vm *vm, u32 port)
{
	const u8 *b = port < 0x8000 ? vm->arch->io_bitmap_a : vm->arch->io_bitmap_b;

	return b[(port & 0x7fff) / 8] & (1 << (port % 8));
}

static u32 trapped(const struct vm *vm)
{
	u32 p, n = 0;

	for (p = 0; p < 0x10000; p++)
		n += traps(vm, p);
	return n;
}

static struct vm *make(u32 i, bool partition, bool owns_rest, bool bitmaps)
{
	struct vm *vm = &vms[i];

	memset(vm, 0, sizeof(*vm));
	vm->partition = partition;
	vm->owns_rest = owns_rest;
	vm->arch = calloc(1, sizeof(*vm->arch));
	if (bitmaps) {
		vm->arch->io_bitmap_a = calloc(1, 4096);
		vm->arch->io_bitmap_b = calloc(1, 4096);
		vm_ports_bitmap_init(vm);
	}
	return vm;
}

static void build(struct vm *vm)
{
	vm->arch->io_bitmap_a = calloc(1, 4096);
	vm->arch->io_bitmap_b = calloc(1, 4096);
	vm_ports_bitmap_init(vm);
}

static void drop_all(void)
{
	u32 i;

	for (i = 0; i < VM_MAX; i++) {
		if (vms[i].arch) {
			free(vms[i].arch->io_bitmap_a);
			free(vms[i].arch->io_bitmap_b);
			free(vms[i].arch);
		}
		memset(&vms[i], 0, sizeof(vms[i]));
	}
}

TEST(the_default_vm_passes_every_port_and_owns_all)
{
	struct vm *vm = make(0, false, false, true);

	CHECK_EQ_U64(trapped(vm), 0); /* its claims are exit_io.c's, none partitions-only */
	CHECK(vm_ports_owns(vm, 0x40) && vm_ports_owns(vm, UART));
	CHECK_EQ_INT(vm_ports_add(vm, 0xc000, 0x40), -EINVAL);
	drop_all();
}

TEST(a_partition_traps_every_port_but_its_ranges)
{
	struct vm *vm = make(0, true, false, true);

	CHECK_EQ_U64(trapped(vm), 0x10000);
	CHECK(!vm_ports_owns(vm, 0x40) && !vm_ports_owns(vm, 0x70) && !vm_ports_owns(vm, 0x21));
	CHECK_EQ_INT(vm_ports_add(vm, 0xc000, 0x40), 0); /* after its bitmaps: they follow */
	CHECK_EQ_U64(trapped(vm), 0x10000 - 0x40);
	CHECK(!traps(vm, 0xc000) && !traps(vm, 0xc03f) && traps(vm, 0xbfff) && traps(vm, 0xc040));
	CHECK(vm_ports_owns(vm, 0xc020) && !vm_ports_owns(vm, 0xc040));
	CHECK(!vm->arch->claims_owned);
	drop_all();
}

TEST(owns_rest_passes_what_no_other_vm_owns_in_either_build_order)
{
	struct vm *early = make(0, true, false, false), *rest, *late;

	CHECK_EQ_INT(vm_ports_add(early, 0xc000, 0x20), 0); /* before its bitmaps */
	build(early);
	rest = make(1, true, true, true);
	late = make(2, true, false, true);
	CHECK_EQ_INT(vm_ports_add(late, 0xd000, 0x100), 0); /* after owns_rest's bitmaps */
	CHECK(traps(rest, 0xc000) && traps(rest, 0xc01f) && !traps(rest, 0xc020));
	CHECK(traps(rest, 0xd000) && traps(rest, 0xd0ff) && !traps(rest, 0xd100));
	CHECK(traps(rest, UART) && traps(rest, UART + 7) && !traps(rest, UART + 8) && !traps(rest, UART - 1));
	CHECK(traps(rest, CLAIM)); /* a claim exits for the owner too */
	CHECK(traps(rest, 0xcf8) && traps(rest, 0xcff) && !traps(rest, 0xd00)); /* PCI configuration */
	CHECK_EQ_U64(trapped(rest), 0x20 + 0x100 + 8 + 8 + 1);
	CHECK(!traps(rest, 0x20) && !traps(rest, 0x40) && !traps(rest, 0x61) && !traps(rest, 0x70));
	CHECK(vm_ports_owns(rest, 0x40) && vm_ports_owns(rest, CLAIM) && rest->arch->claims_owned);
	CHECK(!vm_ports_owns(rest, 0xc010) && !vm_ports_owns(rest, 0xd080) && !vm_ports_owns(rest, UART + 3));
	CHECK(!vm_ports_owns(early, 0xd000) && vm_ports_owns(early, 0xc000) && !traps(early, 0xc000));
	drop_all();
}

TEST(add_refuses_what_is_not_the_partitions_to_take)
{
	struct vm *a = make(0, true, false, true), *b = make(1, true, false, true);
	u32 i;

	CHECK_EQ_INT(vm_ports_add(a, 0xc000, 0), -EINVAL);
	CHECK_EQ_INT(vm_ports_add(a, 0xfff0, 0x11), -EINVAL); /* past 0xffff */
	CHECK_EQ_INT(vm_ports_add(a, UART + 4, 8), -EBUSY);   /* Plinth's console */
	CHECK_EQ_INT(vm_ports_add(a, 0xcf0, 0x10), -EBUSY);   /* PCI configuration */
	CHECK_EQ_INT(vm_ports_add(a, 0xc000, 0x40), 0);
	CHECK_EQ_INT(vm_ports_add(b, 0xc03f, 1), -EBUSY); /* a's */
	CHECK_EQ_INT(vm_ports_add(a, 0xfff0, 0x10), 0);
	for (i = 2; i < VM_PORT_RANGES_MAX; i++)
		CHECK_EQ_INT(vm_ports_add(a, (u16)(0x1000 + 0x10 * i), 0x10), 0);
	CHECK_EQ_INT(vm_ports_add(a, 0x9000, 1), -ENOSPC);
	CHECK(traps(b, 0xc000) && !traps(a, 0xffff));
	drop_all();
}
