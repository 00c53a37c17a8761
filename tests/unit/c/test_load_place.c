// sources: @loader-parse hypervisor/core/vm_mem.c
/*
 * The loaders' pure placement helpers (guest/plan.c, guest/mb1_info.c): plan_add refuses
 * wrapping and overlapping segments; the free guest RAM set hands out the preferred address
 * when free and the lowest fit in [floor, limit) otherwise; the multiboot information is laid
 * out with base-relative pointers, and refused when it does not fit or a module lies above
 * 4 GiB.
 */
#include <plinth/errno.h>
#include <plinth/load_plan.h>
#include <plinth/mb1_info.h>
#include <plinth/multiboot1.h>
#include <plinth/vm.h>

#include "test.h"

static struct load_plan plan;
static struct pmm free_set;

TEST(plan_add_checks_every_sum)
{
	memset(&plan, 0, sizeof(plan));
	CHECK_EQ_INT(plan_add(&plan, 0x1000, 0, 0x100000, 0x1000, 0x1000, LOAD_LIMIT_32), 0);
	CHECK_EQ_INT(plan_add(&plan, 0x1000, 0, 0x101000, 0x10, 0, LOAD_LIMIT_32), -EINVAL); /* overlaps the bss */
	CHECK_CONTAINS(plan.error, "overlaps another");
	CHECK_EQ_INT(plan_add(&plan, 0x1000, 0xfff, 0x200000, 2, 0, LOAD_LIMIT_32), -EINVAL);
	CHECK_EQ_INT(plan_add(&plan, 0x1000, ~0ULL, 0x200000, 2, 0, LOAD_LIMIT_32), -EINVAL);
	CHECK_EQ_INT(plan_add(&plan, 0x1000, 0, 0x200000, 0x10, ~0ULL - 4, ~0ULL), -EINVAL); /* copy + zero wraps */
	CHECK_EQ_INT(plan_add(&plan, 0x1000, 0, ~0ULL - 4, 0x10, 0, ~0ULL), -EINVAL);	   /* gpa + len wraps */
	CHECK_EQ_INT(plan_add(&plan, 0x1000, 0, 0xfffffff0, 0x10, 1, LOAD_LIMIT_32), -EINVAL);
	CHECK_EQ_INT(plan_add(&plan, 0x1000, 0x5000, 0x300000, 0, 0, LOAD_LIMIT_32), 0); /* empty: skipped */
	CHECK_EQ_U64(plan.count, 1);
	CHECK(plan_overlaps(&plan, 0x101fff, 0x103000) && !plan_overlaps(&plan, 0x102000, 0x103000));
}

TEST(free_guest_ram_prefers_then_lowest_fit)
{
	static struct vm vm;
	u64 at = 0;

	memset(&vm, 0, sizeof(vm));
	vm_mem_add(&vm, 0x0, 0x0, 0x9f000, VM_MEM_RAM);
	vm_mem_add(&vm, 0x100000, 0x100000, 0x100000, VM_MEM_RAM);
	vm_mem_add(&vm, 0x200000, 0x1f800000, 0x600000, VM_MEM_RAM); /* gpa-adjacent: merges */
	vm_mem_add(&vm, 0xa0000, 0xa0000, 0x60000, VM_MEM_MMIO);
	REQUIRE(guest_free_init(&free_set, &vm) == 0);
	REQUIRE_EQ_U64(free_set.count, 2);
	CHECK_EQ_U64(free_set.free[1].end, 0x800000);
	CHECK_EQ_INT(guest_free_take_at(&free_set, 0x8000, 0x3000), 0);
	CHECK_EQ_INT(guest_free_take(&free_set, 0x2000, 0x1000, 0x1000, LOAD_LIMIT_32, 0x9000, &at), 0);
	CHECK_EQ_U64(at, 0x1000); /* 0x9000 is taken: the lowest fit from the floor */
	CHECK_EQ_INT(guest_free_take(&free_set, 0x2000, 0x1000, 0x1000, LOAD_LIMIT_32, 0x10000, &at), 0);
	CHECK_EQ_U64(at, 0x10000);
	CHECK_EQ_INT(guest_free_take(&free_set, 0x200000, 0x200000, 0, LOAD_LIMIT_32, 0, &at), 0);
	CHECK_EQ_U64(at, 0x200000); /* aligned, across the two ranges that back it */
	CHECK_EQ_INT(guest_free_take(&free_set, 0x500000, 0x1000, 0, LOAD_LIMIT_32, 0, &at), -ENOMEM);
	CHECK_EQ_INT(guest_free_take(&free_set, 0x2000, 0x1000, 0, 0x1000, 0, &at), -ENOMEM); /* below limit only */
	CHECK_EQ_INT(guest_free_take(&free_set, ~0ULL, 0x1000, 0, ~0ULL, 0, &at), -ENOMEM);
	CHECK_EQ_INT(guest_free_take(&free_set, 0x1000, 0x1001, 0, LOAD_LIMIT_32, 0, &at), -ENOMEM);
	CHECK_EQ_INT(guest_free_take(&free_set, 0x1000, 0x1000, ~0ULL - 0x10, ~0ULL, 0, &at), -ENOMEM);
	CHECK_EQ_INT(guest_free_take_at(&free_set, ~0ULL & ~0xfffULL, 0x2000), -ENOMEM);
	CHECK_EQ_INT(guest_free_take_at(&free_set, 0x9000, 0x1000), -ENOMEM); /* taken */
}

static const struct boot_module mods[] = {
	{ 0x1000000, 0x1000100, "first module" },
	{ 0x2000000, 0x2000000, NULL },
};
static const struct mem_range map[] = {
	{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
	{ 0x100000, 0x20000000, MB2_MEM_AVAILABLE },
	{ 0xfffc0000, 0x100000000, MB2_MEM_RESERVED },
};

TEST(multiboot_information_is_laid_out_at_its_base)
{
	static u8 buf[4096];
	struct mb1_info_input in = { "checks=boot_info", mods, 2, map, 3 };
	const struct mb1_info *info = (const void *)buf;
	const struct mb1_module *m;
	const struct mb1_mmap_entry *e;
	u32 size = mb1_info_build(buf, sizeof(buf), 0x9000, &in);

	REQUIRE(size > sizeof(*info) && size <= sizeof(buf));
	CHECK_EQ_U64(size, mb1_info_build(buf, sizeof(buf), 0x50000, &in)); /* the size does not depend on base */
	size = mb1_info_build(buf, sizeof(buf), 0x9000, &in);
	CHECK_EQ_U64(info->flags, MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP | MB1_INFO_LOADER_NAME);
	CHECK_EQ_U64(info->mem_lower, 639);
	CHECK_EQ_U64(info->mem_upper, (0x20000000 - MIB) / KIB);
	REQUIRE(info->cmdline > 0x9000 && info->cmdline < 0x9000 + size);
	CHECK_STR((const char *)buf + (info->cmdline - 0x9000), "checks=boot_info");
	CHECK_STR((const char *)buf + (info->boot_loader_name - 0x9000), "Plinth");
	REQUIRE_EQ_U64(info->mods_count, 2);
	m = (const void *)(buf + (info->mods_addr - 0x9000));
	CHECK_EQ_U64(m[0].mod_start, 0x1000000);
	CHECK_EQ_U64(m[0].mod_end, 0x1000100);
	CHECK_STR((const char *)buf + (m[0].string - 0x9000), "first module");
	CHECK_STR((const char *)buf + (m[1].string - 0x9000), "");
	REQUIRE_EQ_U64(info->mmap_length, 3 * sizeof(*e));
	REQUIRE(info->mmap_addr + info->mmap_length <= 0x9000 + size);
	e = (const void *)(buf + (info->mmap_addr - 0x9000));
	CHECK_EQ_U64(e[2].size, 20);
	CHECK_EQ_U64(e[2].addr, 0xfffc0000);
	CHECK_EQ_U64(e[2].len, 0x40000);
	CHECK_EQ_U64(e[2].type, MB2_MEM_RESERVED);
}

TEST(multiboot_information_refused_when_it_cannot_be_given)
{
	static u8 buf[4096];
	struct boot_module high[] = { { 0xfffff000, 0x100001000, "above 4 GiB" } };
	struct mb1_info_input in = { "x", mods, 2, map, 3 };

	CHECK_EQ_U64(mb1_info_build(buf, 64, 0x9000, &in), 0);		  /* too small */
	CHECK_EQ_U64(mb1_info_build(buf, sizeof(buf), 0xffffff80, &in), 0); /* would pass 4 GiB */
	in.mods = high;
	in.mod_count = 1;
	CHECK_EQ_U64(mb1_info_build(buf, sizeof(buf), 0x9000, &in), 0);
	in.mod_count = 0;
	CHECK(mb1_info_build(buf, sizeof(buf), 0x9000, &in) > 0);
}
