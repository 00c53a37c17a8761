// sources: hypervisor/arch/x86/vtd_check.c hypervisor/arch/x86/ept.c hypervisor/core/pmm.c hypervisor/core/multiboot2.c hypervisor/core/format.c
/*
 * What Plinth accepts from a DMAR (arch/x86/vtd_check.c), against a QEMU-like memory map:
 * unit register bases in reserved or unlisted space only (never RAM, never Plinth's range),
 * register values that read like a VT-d unit's (what RAM or an empty address gives is refused),
 * RMRRs that are reserved, at most 1 GiB and clear of Plinth; and an accepted RMRR mapped with
 * the largest pages alignment allows, around the VM's RAM. Every refusal names what is wrong.
 */
#include <stdlib.h>

#include <plinth/errno.h>
#include <x86/vtd_check.h>

#include "test.h"

#define PG 0x1000ULL
#define PLINTH_START 0x200000ULL
#define PLINTH_END 0x800000ULL

static const struct mem_range qemu_map[] = {
	{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
	{ 0x9fc00, 0xa0000, MB2_MEM_RESERVED },
	{ 0xf0000, 0x100000, MB2_MEM_RESERVED },
	{ 0x100000, 0x1ffe0000, MB2_MEM_AVAILABLE },
	{ 0x1ffe0000, 0x20000000, MB2_MEM_RESERVED },
	{ 0x7f000000, 0x7f100000, MB2_MEM_NVS },
	{ 0xb0000000, 0xc0000000, MB2_MEM_RESERVED },
	{ 0xfeffc000, 0xff000000, MB2_MEM_RESERVED },
	{ 0xfffc0000, 0x100000000, MB2_MEM_RESERVED },
	{ 0x100000000, 0x140000000, MB2_MEM_AVAILABLE },
};

static const struct vtd_check_env env = { qemu_map, ARRAY_SIZE(qemu_map), PLINTH_START, PLINTH_END };
static char why[200];

static int unit_at(u64 base, u8 size_field)
{
	struct acpi_drhd u = { .reg_base = base, .size_field = size_field, .reg_size = PG << size_field };

	why[0] = '\0';
	return vtd_check_unit_base(&u, &env, why, sizeof(why));
}

static int rmrr(u64 base, u64 limit)
{
	struct acpi_rmrr r = { .base = base, .limit = limit };

	why[0] = '\0';
	return vtd_check_rmrr(&r, &env, why, sizeof(why));
}

/* ---- unit register bases ---- */

TEST(unit_in_device_space_is_accepted)
{
	CHECK_EQ_INT(unit_at(0xfed90000, 0), 0); /* QEMU's: listed nowhere in the map */
	CHECK_EQ_INT(unit_at(0xfeffc000, 2), 0); /* 16 KiB inside a reserved entry */
	CHECK_EQ_INT(unit_at(0xb0000000, 0), 0);
}

TEST(unit_in_ram_is_refused)
{
	CHECK_EQ_INT(unit_at(0x1000000, 0), -EINVAL);
	CHECK_STR(why, "its registers 0x1000000-0x1001000 lie in available memory (memory map 0x100000-0x1ffe0000), "
		       "not in device space");
	/* A span that only starts in reserved memory and runs on into RAM. */
	CHECK_EQ_INT(unit_at(0x9f000, 1), -EINVAL);
	CHECK_CONTAINS(why, "available memory (memory map 0x0-0x9fc00)");
	CHECK_EQ_INT(unit_at(0x1ffdf000, 1), -EINVAL);
	CHECK_CONTAINS(why, "lie in available memory");
	CHECK_EQ_INT(unit_at(0x7f000000, 0), -EINVAL);
	CHECK_CONTAINS(why, "lie in acpi-nvs memory");
	CHECK_EQ_INT(unit_at(0x13ffff000, 0), -EINVAL);
	CHECK_CONTAINS(why, "memory map 0x100000000-0x140000000");
}

TEST(unit_in_plinth_is_refused)
{
	CHECK_EQ_INT(unit_at(0x7ff000, 0), -EINVAL);
	CHECK_STR(why, "its registers 0x7ff000-0x800000 overlap Plinth's range 0x200000-0x800000");
	CHECK_EQ_INT(unit_at(0x800000, 0), -EINVAL); /* RAM right after it */
	CHECK_CONTAINS(why, "available memory");
}

TEST(unit_base_must_be_a_page_aligned_span)
{
	CHECK_EQ_INT(unit_at(0, 0), -EINVAL);
	CHECK_CONTAINS(why, "register base 0x0 of 4096 bytes is not a page-aligned span");
	CHECK_EQ_INT(unit_at(0xfed90800, 0), -EINVAL);
	CHECK_EQ_INT(unit_at(0xfffffffffffff000ULL, 1), -EINVAL); /* wraps past 2^64 */
	CHECK_CONTAINS(why, "not a page-aligned span of the address space");
}

/* ---- unit registers ---- */

/* QEMU 7.2's intel-iommu: version 1.0; SAGAW 39-bit, MGAW 39, ND 6, one fault record at 0x220,
 * SLLPS 2M and 1G, PSI; ECAP QI, IR, PT with the IOTLB registers at 0xf0. */
#define QEMU_VER 0x10u
#define QEMU_CAP (6ULL | 2ULL << 8 | 38ULL << 16 | (0x220ULL / 16) << 24 | 3ULL << 34 | BIT(39))
#define QEMU_ECAP (BIT(1) | BIT(3) | BIT(6) | (0xf0ULL / 16) << 8)

/* The fields, decoded here from the VT-d specification (11.4.2, 11.4.3) as Plinth's caller
 * decodes them with the generated vtd_caps.h. */
#define CAP_SAGAW(c) (((c) >> 8) & 0x1f)
#define CAP_ND(c) ((c) & 7)
#define CAP_FRO(c) ((((c) >> 24) & 0x3ff) * 16)
#define CAP_NFR(c) ((((c) >> 40) & 0xff) + 1)
#define CAP_MGAW(c) ((((c) >> 16) & 0x3f) + 1)
#define ECAP_IRO(e) ((((e) >> 8) & 0x3ff) * 16)

static int regs(u32 ver, u64 cap, u64 ecap, u32 gsts, u64 size)
{
	struct vtd_unit_regs r = { .ver = ver, .gsts = gsts, .cap = cap, .ecap = ecap, .sagaw = CAP_SAGAW(cap),
				   .nd = CAP_ND(cap), .fro = CAP_FRO(cap), .nfr = CAP_NFR(cap), .iro = ECAP_IRO(ecap) };

	why[0] = '\0';
	return vtd_check_unit_regs(&r, size, why, sizeof(why));
}

TEST(qemu_unit_registers_are_accepted)
{
	CHECK_EQ_U64(CAP_FRO(QEMU_CAP), 0x220);
	CHECK_EQ_U64(CAP_MGAW(QEMU_CAP), 39);
	CHECK_EQ_U64(ECAP_IRO(QEMU_ECAP), 0xf0);
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP, QEMU_ECAP, 0, PG), 0);
	CHECK_EQ_INT(regs(0x60, QEMU_CAP, QEMU_ECAP, 0xc0000000u, PG), 0); /* version 6.0, TE and SRTP on */
}

TEST(nothing_at_the_address_is_refused)
{
	CHECK_EQ_INT(regs(~0u, ~0ULL, ~0ULL, ~0u, PG), -EINVAL);
	CHECK_STR(why, "its version register reads 0xffffffff: no device answers at that address");
	CHECK_EQ_INT(regs(0, 0, 0, 0, PG), -EINVAL);
	CHECK_STR(why, "its version register reads 0x0: no device answers at that address");
}

TEST(version_must_be_1_to_7)
{
	CHECK_EQ_INT(regs(0x80, QEMU_CAP, QEMU_ECAP, 0, PG), -EINVAL);
	CHECK_STR(why, "its version register reads 0x80, not a VT-d version 1.0 to 7.x");
	CHECK_EQ_INT(regs(0x07, QEMU_CAP, QEMU_ECAP, 0, PG), -EINVAL);		/* major 0 */
	CHECK_EQ_INT(regs(0x1234ab10u, QEMU_CAP, QEMU_ECAP, 0, PG), -EINVAL); /* reserved bits: RAM */
	CHECK_EQ_INT(regs(0x70, QEMU_CAP, QEMU_ECAP, 0, PG), 0);
}

TEST(capabilities_must_be_plausible)
{
	CHECK_EQ_INT(regs(QEMU_VER, 0, QEMU_ECAP, 0, PG), -EINVAL);
	CHECK_CONTAINS(why, "all zeros or all ones");
	CHECK_EQ_INT(regs(QEMU_VER, ~0ULL, QEMU_ECAP, 0, PG), -EINVAL);
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP, ~0ULL, 0, PG), -EINVAL);
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP & ~(0x1fULL << 8), QEMU_ECAP, 0, PG), -EINVAL);
	CHECK_CONTAINS(why, "no second-level page-table depth (SAGAW 0)");
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP | 7, QEMU_ECAP, 0, PG), -EINVAL);
	CHECK_CONTAINS(why, "reserved domain count ND 7");
}

TEST(register_offsets_must_lie_in_the_span)
{
	/* 16 fault records at 0xf80: up to 0x1080, past one page but inside two. */
	u64 cap = (QEMU_CAP & ~(0x3ffULL << 24)) | (0xf80ULL / 16) << 24 | 15ULL << 40;
	u64 ecap = (QEMU_ECAP & ~(0x3ffULL << 8)) | (0x1000ULL / 16) << 8;

	CHECK_EQ_INT(regs(QEMU_VER, cap, QEMU_ECAP, 0, PG), -EINVAL);
	CHECK_STR(why, "CAP 0xf8cf8260206 puts 16 fault recording registers at 0xf80-0x1080, outside its 4096-byte register span");
	CHECK_EQ_INT(regs(QEMU_VER, cap, QEMU_ECAP, 0, 2 * PG), 0);
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP & ~(0x3ffULL << 24), QEMU_ECAP, 0, PG), -EINVAL); /* FRO 0 */
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP, ecap - (1ULL << 8), 0, PG), 0); /* at 0xff0: the last 16 bytes */
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP, ecap, 0, PG), -EINVAL);
	CHECK_CONTAINS(why, "puts the IOTLB registers at 0x1000, outside its 4096-byte register span");
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP, QEMU_ECAP & ~(0x3ffULL << 8), 0, PG), -EINVAL); /* IRO 0 */
}

TEST(status_with_reserved_bits_is_refused)
{
	CHECK_EQ_INT(regs(QEMU_VER, QEMU_CAP, QEMU_ECAP, 0x1, PG), -EINVAL);
	CHECK_STR(why, "its global status register reads 0x1, with reserved bits set");
}

/* ---- RMRRs ---- */

TEST(reserved_rmrr_is_accepted)
{
	CHECK_EQ_INT(rmrr(0xf0000, 0xfffff), 0);
	CHECK_EQ_INT(rmrr(0x1ffe0000, 0x1fffffff), 0);
	CHECK_EQ_INT(rmrr(0xc0000000, 0xffffffff), 0); /* exactly 1 GiB, reserved and unlisted space */
}

TEST(absurd_rmrr_is_refused)
{
	CHECK_EQ_INT(rmrr(0, 0xffffffffffULL), -EINVAL); /* the whole address space of a 40-bit machine */
	CHECK_STR(why, "it spans 1048576 MiB, more than the 1024 MiB a real one needs");
	CHECK_EQ_INT(rmrr(0, ~0ULL), -EINVAL); /* limit + 1 wraps to 0 */
	CHECK_CONTAINS(why, "more than the 1024 MiB");
	CHECK_EQ_INT(rmrr(0xc0000000, 0x100000fff), -EINVAL);
	CHECK_CONTAINS(why, "it spans 1024 MiB, more than");
}

TEST(rmrr_over_plinth_is_refused)
{
	CHECK_EQ_INT(rmrr(0x1ff000, 0x200fff), -EINVAL);
	CHECK_STR(why, "it overlaps Plinth's range 0x200000-0x800000");
}

TEST(rmrr_in_unreserved_ram_is_refused)
{
	CHECK_EQ_INT(rmrr(0x1000000, 0x10fffff), -EINVAL);
	CHECK_STR(why, "it covers available memory (memory map 0x100000-0x1ffe0000) that the firmware did not reserve");
	CHECK_EQ_INT(rmrr(0x9f000, 0x9ffff), -EINVAL); /* half reserved */
	CHECK_CONTAINS(why, "memory map 0x0-0x9fc00");
}

/* ---- mapping an accepted RMRR ---- */

#define MAX_PAGES 64

static void *pages[MAX_PAGES];
static u32 npages;
static u32 page_limit = MAX_PAGES;

static void *alloc_page(void)
{
	void *p;

	if (npages >= page_limit)
		return NULL;
	p = aligned_alloc(PG, PG);
	if (p)
		memset(p, 0, PG);
	pages[npages++] = p;
	return p;
}

static void release(void)
{
	while (npages)
		free(pages[--npages]);
	page_limit = MAX_PAGES;
}

static bool maps(const struct ept *e, u64 iova, u64 want_size)
{
	u64 hpa, flags, size;

	return ept_lookup(e, iova, &hpa, &flags, &size) == 0 && hpa == iova && size == want_size &&
	       (flags & EPT_RWX) == (EPT_READ | EPT_WRITE);
}

TEST(rmrr_maps_with_large_pages)
{
	struct acpi_rmrr r = { .base = 0xc0000000, .limit = 0xffffffff };
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(vtd_map_rmrr(&e, &r, NULL, 0, 1ULL << 39), 0);
	/* One 1 GiB leaf in two table pages, where 4 KiB steps took 262144 leaves in 514 pages. */
	CHECK_EQ_U64(e.leaves_1g, 1);
	CHECK_EQ_U64(e.leaves_2m + e.leaves_4k, 0);
	CHECK_EQ_U64(e.table_pages, 2);
	CHECK(maps(&e, 0xc0001000, GIB));
	CHECK(maps(&e, 0xffffffff, GIB));
	release();

	REQUIRE(ept_init(&e, alloc_page, true, false) == 0);
	CHECK_EQ_INT(vtd_map_rmrr(&e, &r, NULL, 0, 1ULL << 39), 0);
	CHECK_EQ_U64(e.leaves_2m, 512);
	CHECK_EQ_U64(e.table_pages, 3);
	release();
}

TEST(rmrr_skips_the_vms_ram)
{
	/* 0-4 MiB, of which the VM's RAM already holds 1-2 MiB: 0-1 MiB in 4 KiB pages (not
	 * 2 MiB aligned at its end), 2-4 MiB in one 2 MiB page. */
	struct acpi_rmrr r = { .base = 0, .limit = 0x3fffff };
	struct vm_mem ram[] = {
		{ .gpa = 0x100000, .hpa = 0x100000, .size = 0x100000, .kind = VM_MEM_RAM },
		{ .gpa = 0, .hpa = 0, .size = 0x400000, .kind = VM_MEM_MMIO }, /* not RAM: no effect */
	};
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(vtd_map_rmrr(&e, &r, ram, ARRAY_SIZE(ram), 1ULL << 39), 0);
	CHECK_EQ_U64(e.leaves_4k, 256);
	CHECK_EQ_U64(e.leaves_2m, 1);
	CHECK(maps(&e, 0xff000, PG));
	CHECK(maps(&e, 0x300000, 2 * MIB));
	CHECK(!maps(&e, 0x180000, PG));
	release();
}

TEST(rmrr_beyond_the_domain_or_the_pool_fails)
{
	struct acpi_rmrr high = { .base = 1ULL << 39, .limit = (1ULL << 39) + 0xfff };
	struct acpi_rmrr r = { .base = 0xf0000, .limit = 0xfffff };
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(vtd_map_rmrr(&e, &high, NULL, 0, 1ULL << 39), -ERANGE);
	CHECK_EQ_INT(vtd_map_rmrr(&e, &high, NULL, 0, 1ULL << 48), 0);
	release();
	page_limit = 2; /* the PML4 and the PDPT, no page directory */
	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(vtd_map_rmrr(&e, &r, NULL, 0, 1ULL << 39), -ENOMEM);
	release();
}
