// sources: hypervisor/core/vm_mem.c
/*
 * VM memory ranges (core/vm_mem.c): guest-physical is not host-physical. A VM here has RAM at
 * gpa 0x1000-0x3000 in two ranges backed by two separate host buffers (reversed order: gpa
 * 0x1000 lives in the second), a hole at 0x3000-0x4000, MMIO at 0x4000-0x5000 and RAM again at
 * 0x5000-0x6000. Copies cross range boundaries piece by piece; a copy that touches a byte that
 * is not RAM is refused with -EFAULT before anything is written.
 */
#include <plinth/errno.h>
#include <plinth/vm.h>

#include "test.h"

#define PAGE 0x1000

static struct vm vm;
static u8 host_a[PAGE], host_b[PAGE], host_c[PAGE], mmio[PAGE];

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(host_a, 0xaa, sizeof(host_a));
	memset(host_b, 0xbb, sizeof(host_b));
	memset(host_c, 0xcc, sizeof(host_c));
	CHECK_EQ_INT(vm_mem_add(&vm, 0x1000, (hpa_t)(uintptr_t)host_b, PAGE, VM_MEM_RAM), 0);
	CHECK_EQ_INT(vm_mem_add(&vm, 0x2000, (hpa_t)(uintptr_t)host_a, PAGE, VM_MEM_RAM), 0);
	CHECK_EQ_INT(vm_mem_add(&vm, 0x4000, (hpa_t)(uintptr_t)mmio, PAGE, VM_MEM_MMIO), 0);
	CHECK_EQ_INT(vm_mem_add(&vm, 0x5000, (hpa_t)(uintptr_t)host_c, PAGE, VM_MEM_RAM), 0);
}

TEST(add_refuses_overlap_wrap_and_empty)
{
	setup();
	CHECK_EQ_INT(vm_mem_add(&vm, 0x1800, 0, PAGE, VM_MEM_RAM), -EINVAL);
	CHECK_EQ_INT(vm_mem_add(&vm, 0x0, 0, 0, VM_MEM_RAM), -EINVAL);
	CHECK_EQ_INT(vm_mem_add(&vm, ~0ULL - 0xfff, 0, 0x2000, VM_MEM_RAM), -EINVAL);
	CHECK_EQ_INT(vm_mem_add(&vm, 0x10000, ~0ULL - 0xfff, 0x2000, VM_MEM_RAM), -EINVAL);
	CHECK_EQ_U64(vm.mem_count, 4);
}

TEST(write_crosses_ranges_into_separate_host_memory)
{
	const char msg[] = "0123456789abcdef";

	setup();
	/* 8 bytes at the end of gpa 0x1000's range, 9 at the start of 0x2000's. */
	REQUIRE(vm_mem_write(&vm, 0x2000 - 8, msg, sizeof(msg)) == 0);
	CHECK(!memcmp(host_b + PAGE - 8, "01234567", 8));
	CHECK(!memcmp(host_a, "89abcdef", 9));
	CHECK_EQ_U64(host_b[PAGE - 9], 0xbb);
	CHECK_EQ_U64(host_a[9], 0xaa);
}

TEST(read_and_zero_cross_ranges)
{
	u8 out[16];

	setup();
	REQUIRE(vm_mem_read(&vm, 0x1ff8, out, sizeof(out)) == 0);
	CHECK_EQ_U64(out[0], 0xbb);
	CHECK_EQ_U64(out[15], 0xaa);
	REQUIRE(vm_mem_zero(&vm, 0x1ffc, 8) == 0);
	CHECK_EQ_U64(host_b[PAGE - 5], 0xbb);
	CHECK_EQ_U64(host_b[PAGE - 4] | host_b[PAGE - 1] | host_a[0] | host_a[3], 0);
	CHECK_EQ_U64(host_a[4], 0xaa);
}

TEST(a_copy_touching_a_hole_or_mmio_writes_nothing)
{
	u8 src[0x2000];

	setup();
	memset(src, 0x11, sizeof(src));
	CHECK_EQ_INT(vm_mem_write(&vm, 0x2800, src, 0x1000), -EFAULT); /* runs into the hole */
	CHECK_EQ_U64(host_a[0x800], 0xaa);
	CHECK_EQ_INT(vm_mem_zero(&vm, 0x3ff0, 0x20), -EFAULT);
	CHECK_EQ_INT(vm_mem_write(&vm, 0x4000, src, 4), -EFAULT); /* MMIO is not RAM */
	CHECK_EQ_INT(vm_mem_read(&vm, 0x0, src, 1), -EFAULT);
	CHECK_EQ_INT(vm_mem_write(&vm, ~0ULL - 3, src, 8), -EFAULT); /* wraps */
	CHECK_EQ_INT(vm_mem_write(&vm, 0x5000, src, 0), 0);
	CHECK(!vm_mem_is_ram(&vm, 0x1000, 0x3000));
	CHECK(vm_mem_is_ram(&vm, 0x1000, 0x2000));
	CHECK(!vm_mem_is_ram(&vm, 0x4000, 1));
	CHECK(!vm_mem_is_ram(&vm, 0x5000, ~0ULL));
}

TEST(host_pieces_and_pointers)
{
	hpa_t hpa = 0;
	u64 piece = 0;

	setup();
	REQUIRE(vm_mem_host_piece(&vm, 0x1f00, 0x1000, &hpa, &piece) == 0);
	CHECK_EQ_U64(hpa, (uintptr_t)host_b + 0xf00);
	CHECK_EQ_U64(piece, 0x100);
	REQUIRE(vm_mem_host_piece(&vm, 0x2000, 0x10, &hpa, &piece) == 0);
	CHECK_EQ_U64(hpa, (uintptr_t)host_a);
	CHECK_EQ_U64(piece, 0x10);
	CHECK_EQ_INT(vm_mem_host_piece(&vm, 0x3000, 1, &hpa, &piece), -EFAULT);
	CHECK_EQ_INT(vm_mem_host_piece(&vm, 0x1000, 0, &hpa, &piece), -EFAULT);
	/* A pointer only for a buffer one range holds: contiguous in host memory. */
	CHECK(vm_mem_ptr(&vm, 0x1800, 0x800) == host_b + 0x800);
	CHECK(vm_mem_ptr(&vm, 0x1800, 0x801) == NULL);
	CHECK(vm_mem_ptr(&vm, 0x4000, 4) == NULL);
	CHECK(vm_mem_ptr(&vm, 0x1000, 0) == NULL);
	CHECK(vm_mem_find(&vm, ~0ULL, 2) == NULL);
}

/* Pages Plinth emulates (an MSI-X table) come out of one range: the middle splits it, an edge
 * shrinks it, the whole range goes; a span no one range holds, or a split with the table full,
 * changes nothing. */
TEST(remove_splits_shrinks_and_refuses)
{
	const struct vm_mem *m;
	u32 i;

	memset(&vm, 0, sizeof(vm));
	CHECK_EQ_INT(vm_mem_add(&vm, 0x100000, 0x100000, 0x10000, VM_MEM_MMIO), 0);
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x104000, 0x2000), 0);
	CHECK_EQ_U64(vm.mem_count, 2);
	CHECK(vm_mem_find(&vm, 0x104000, 1) == NULL);
	CHECK(vm_mem_find(&vm, 0x105fff, 1) == NULL);
	m = vm_mem_find(&vm, 0x100000, 0x4000);
	CHECK(m && m->size == 0x4000 && m->hpa == 0x100000 && m->kind == VM_MEM_MMIO);
	m = vm_mem_find(&vm, 0x106000, 0xa000);
	CHECK(m && m->gpa == 0x106000 && m->hpa == 0x106000 && m->size == 0xa000 && m->kind == VM_MEM_MMIO);
	/* The first page of the lower part, the last of the upper part. */
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x100000, 0x1000), 0);
	m = vm_mem_find(&vm, 0x101000, 1);
	CHECK(m && m->gpa == 0x101000 && m->hpa == 0x101000 && m->size == 0x3000);
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x10f000, 0x1000), 0);
	m = vm_mem_find(&vm, 0x106000, 1);
	CHECK(m && m->size == 0x9000);
	CHECK_EQ_U64(vm.mem_count, 2);
	/* Across the hole, past a range's end, empty, wrapping. */
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x103000, 0x4000), -EINVAL);
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x10e000, 0x2000), -EINVAL);
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x106000, 0), -EINVAL);
	CHECK_EQ_INT(vm_mem_remove(&vm, ~0ULL - 0xfff, 0x2000), -EINVAL);
	/* A whole range. */
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x101000, 0x3000), 0);
	CHECK_EQ_U64(vm.mem_count, 1);
	CHECK(vm_mem_find(&vm, 0x106000, 0x9000) != NULL);
	/* Full table: a split needs a slot, an edge does not. */
	for (i = vm.mem_count; i < VM_MEM_MAX; i++)
		CHECK_EQ_INT(vm_mem_add(&vm, 0x1000000 + (u64)i * 0x10000, 0, 0x10000, VM_MEM_RAM), 0);
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x107000, 0x1000), -ENOSPC);
	CHECK(vm_mem_find(&vm, 0x106000, 0x9000) != NULL);
	CHECK_EQ_INT(vm_mem_remove(&vm, 0x106000, 0x1000), 0);
	CHECK_EQ_U64(vm.mem_count, VM_MEM_MAX);
}

/* What a BAR may not cover, and where a partition's map ends: RAM only, MMIO and holes apart. */
TEST(touching_ram_and_the_end_of_ram)
{
	setup();
	CHECK(vm_mem_touches_ram(&vm, 0x2fff, 0x1000));
	CHECK(vm_mem_touches_ram(&vm, 0x0, 0x1001));
	CHECK(vm_mem_touches_ram(&vm, 0x3000, 0x2001)); /* the hole and MMIO, then RAM's first byte */
	CHECK(!vm_mem_touches_ram(&vm, 0x3000, 0x2000));
	CHECK(!vm_mem_touches_ram(&vm, 0x0, 0x1000));
	CHECK(!vm_mem_touches_ram(&vm, 0x6000, ~0ULL - 0x6000));
	CHECK(!vm_mem_touches_ram(&vm, 0x1000, 0));
	CHECK(vm_mem_touches_ram(&vm, 0x7000, ~0ULL - 0x1000)); /* wraps: everything */
	CHECK_EQ_U64(vm_mem_ram_end(&vm), 0x6000);
	vm.mem_count = 3; /* without the RAM above the MMIO */
	CHECK_EQ_U64(vm_mem_ram_end(&vm), 0x3000);
	vm.mem_count = 0;
	CHECK_EQ_U64(vm_mem_ram_end(&vm), 0);
}
