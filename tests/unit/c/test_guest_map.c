// sources: hypervisor/core/guest_map.c hypervisor/core/vm_mem.c hypervisor/core/ram_layout.c
/*
 * The guest's memory map (core/guest_map.c) for the default VM's layout: RAM identity-mapped
 * except Plinth's range (2-8 MiB), which is RAM backed by a host chunk near the top; that
 * chunk's own addresses are not the VM's RAM. The guest sees Plinth's range as the RAM it was
 * and the chunk reserved; firmware types pass through; adjacent pieces merge.
 */
#include <plinth/guest_map.h>
#include <plinth/ram_layout.h>
#include <plinth/vm.h>

#include "test.h"

static struct vm vm;
static struct mem_range out[16];

static const struct mem_range fw[] = {
	{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
	{ 0x9fc00, 0xa0000, MB2_MEM_RESERVED },
	{ 0x100000, 0x1fff0000, MB2_MEM_AVAILABLE },
	{ 0x1fff0000, 0x20000000, MB2_MEM_ACPI_RECLAIMABLE },
	{ 0xfffc0000, 0x100000000, MB2_MEM_RESERVED },
};

static void default_vm(void)
{
	memset(&vm, 0, sizeof(vm));
	vm_mem_add(&vm, 0x0, 0x0, 0x9f000, VM_MEM_RAM);
	vm_mem_add(&vm, 0x100000, 0x100000, 0x100000, VM_MEM_RAM);
	vm_mem_add(&vm, 0x200000, 0x1f800000, 0x600000, VM_MEM_RAM); /* Plinth's range, backed */
	vm_mem_add(&vm, 0x800000, 0x800000, 0x1f800000 - 0x800000, VM_MEM_RAM);
	vm_mem_add(&vm, 0x1fe00000, 0x1fe00000, 0x20000000 - 0x1fe00000, VM_MEM_RAM);
	vm_mem_add(&vm, 0xa0000, 0xa0000, 0x60000, VM_MEM_MMIO);
}

#define CHECK_ENTRY(i, s, e, t)                   \
	do {                                      \
		CHECK_EQ_U64(out[i].start, s);    \
		CHECK_EQ_U64(out[i].end, e);      \
		CHECK_EQ_U64(out[i].type, t);     \
	} while (0)

TEST(plinth_range_is_ram_and_its_backing_reserved)
{
	u32 n;

	default_vm();
	n = guest_map(&vm, fw, ARRAY_SIZE(fw), out, ARRAY_SIZE(out));
	REQUIRE_EQ_U64(n, 7);
	/* 0x9f000-0x9fc00 is available to the firmware but not the VM's RAM here: reserved, and
	 * merged with the firmware's reserved entry after it. */
	CHECK_ENTRY(0, 0x0, 0x9f000, MB2_MEM_AVAILABLE);
	CHECK_ENTRY(1, 0x9f000, 0xa0000, MB2_MEM_RESERVED);
	CHECK_ENTRY(2, 0x100000, 0x1f800000, MB2_MEM_AVAILABLE); /* 1 MiB on, Plinth's range included */
	CHECK_ENTRY(3, 0x1f800000, 0x1fe00000, MB2_MEM_RESERVED);
	CHECK_ENTRY(4, 0x1fe00000, 0x1fff0000, MB2_MEM_AVAILABLE);
	CHECK_ENTRY(5, 0x1fff0000, 0x20000000, MB2_MEM_ACPI_RECLAIMABLE);
	CHECK_ENTRY(6, 0xfffc0000, 0x100000000, MB2_MEM_RESERVED);
}

TEST(without_backing_plinth_range_is_reserved)
{
	u32 n;

	memset(&vm, 0, sizeof(vm));
	vm_mem_add(&vm, 0x100000, 0x100000, 0x100000, VM_MEM_RAM);
	vm_mem_add(&vm, 0x800000, 0x800000, 0x1f7f0000, VM_MEM_RAM);
	n = guest_map(&vm, fw + 2, 1, out, ARRAY_SIZE(out));
	REQUIRE_EQ_U64(n, 3);
	CHECK_ENTRY(0, 0x100000, 0x200000, MB2_MEM_AVAILABLE);
	CHECK_ENTRY(1, 0x200000, 0x800000, MB2_MEM_RESERVED);
	CHECK_ENTRY(2, 0x800000, 0x1fff0000, MB2_MEM_AVAILABLE);
}

TEST(output_is_cut_at_max)
{
	default_vm();
	CHECK_EQ_U64(guest_map(&vm, fw, ARRAY_SIZE(fw), out, 3), 3);
	CHECK_ENTRY(2, 0x100000, 0x1f800000, MB2_MEM_AVAILABLE);
	CHECK_EQ_U64(guest_map(&vm, fw, 0, out, 3), 0);
	CHECK(guest_map_ram_type(MB2_MEM_NVS) && !guest_map_ram_type(MB2_MEM_BAD));
}

/* A partition of two host chunks: the PC shape over its RAM, the firmware's map ignored, the
 * chunk boundary invisible; only the low hole counts as reserved for the loaders. */
TEST(partition_map_has_the_pc_shape)
{
	u32 n;

	memset(&vm, 0, sizeof(vm));
	vm.partition = true;
	vm.ram_size = 0x10000000;
	vm_mem_add(&vm, 0x0, 0x40000000, 0x600000, VM_MEM_RAM);
	vm_mem_add(&vm, 0x600000, 0x80000000, 0x10000000 - 0x600000, VM_MEM_RAM);
	n = guest_map(&vm, fw, ARRAY_SIZE(fw), out, ARRAY_SIZE(out));
	REQUIRE_EQ_U64(n, 3);
	CHECK_ENTRY(0, 0x0, 0x9f000, MB2_MEM_AVAILABLE);
	CHECK_ENTRY(1, 0x9f000, 0x100000, MB2_MEM_RESERVED);
	CHECK_ENTRY(2, 0x100000, 0x10000000, MB2_MEM_AVAILABLE);
	CHECK(guest_map_reserved(&vm, 0xe0000, 0x1000) && guest_map_reserved(&vm, 0x9e000, 0x1001));
	CHECK(!guest_map_reserved(&vm, 0x9e000, 0x1000) && !guest_map_reserved(&vm, 0x100000, 0x1000));
	vm.partition = false;
	CHECK(!guest_map_reserved(&vm, 0xe0000, 0x1000));
}

/* A partition with an identity layout (plinth/ram_layout.h) of chunks at 110-366 MiB and
 * 1-1.125 GiB: its low MiB from the first chunk, the rest at host addresses. The map is the
 * PC's low shape, then each RAM range above 1 MiB as it lies, the holes left out; the loaders'
 * reserved part is the same low hole. */
TEST(identity_partition_map_leaves_the_holes_out)
{
	static struct ram_place p = { 2, { { 0x6e00000, 0x16e00000 }, { 0x40000000, 0x48000000 } } };
	static struct ram_layout l;
	u32 n, i;

	memset(&vm, 0, sizeof(vm));
	vm.partition = true;
	vm.ram_size = 0x18000000;
	REQUIRE(ram_layout(&p, true, &l) == 0);
	for (i = 0; i < l.count; i++)
		REQUIRE(vm_mem_add(&vm, l.range[i].gpa, l.range[i].hpa, l.range[i].size, VM_MEM_RAM) == 0);
	vm_mem_add(&vm, 0xfebc0000, 0xfebc0000, 0x20000, VM_MEM_MMIO); /* a BAR: not in the map */
	n = guest_map(&vm, fw, ARRAY_SIZE(fw), out, ARRAY_SIZE(out));
	REQUIRE_EQ_U64(n, 4);
	CHECK_ENTRY(0, 0x0, 0x9f000, MB2_MEM_AVAILABLE);
	CHECK_ENTRY(1, 0x9f000, 0x100000, MB2_MEM_RESERVED);
	CHECK_ENTRY(2, 0x6f00000, 0x16e00000, MB2_MEM_AVAILABLE);
	CHECK_ENTRY(3, 0x40000000, 0x48000000, MB2_MEM_AVAILABLE);
	CHECK(guest_map_reserved(&vm, 0xe0000, 0x1000) && !guest_map_reserved(&vm, 0x6f00000, 0x1000));
}
