/*
 * Linux x86 boot protocol (Documentation/arch/x86/boot.rst, protocol 2.12 and later).
 * bzimage_parse (guest/bzimage_parse.c) reads the setup header; here the protected-mode kernel
 * goes where it asks (its preferred address, else, when relocatable, the lowest aligned RAM
 * from 16 MiB), the initrd stays in guest RAM below the kernel's limit, and boot_params ("the
 * zero page", with the guest's e820 map, the command line, the initrd and the ACPI RSDP), a
 * GDT and the command line go into guest RAM that neither the kernel's working space nor a
 * module uses. Entry through the 32-bit entry point: protected mode, paging off, a GDT with
 * flat __BOOT_CS (0x10) and __BOOT_DS (0x18), ESI = boot_params, EBX = EBP = EDI = 0.
 */
#include <plinth/bzimage.h>
#include <plinth/config.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/guest_map.h>
#include <plinth/loader.h>
#include <plinth/place.h>
#include <plinth/string.h>
#include <plinth/vm_mem.h>

/* The hand-over block: boot_params, the GDT's page, the command line. Linux copies all three
 * before it uses memory outside its own working space. Where it always was, when free. */
#define HANDOVER_ADDR 0x10000
#define HANDOVER_GDT 0x1000
#define HANDOVER_CMDLINE 0x2000
#define HANDOVER_SIZE (HANDOVER_CMDLINE + BZ_CMDLINE_MAX)
/* Relocatable kernels decompress at 16 MiB at the lowest (LOAD_PHYSICAL_ADDR). */
#define RELOCATED_FLOOR (16 * MIB)
/* The boot protocol's __BOOT_CS and __BOOT_DS, 4 GiB flat code and data in the GDT the
 * loader writes (the guest's GDT, not Plinth's). */
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18
#define LINUX_GDT_CODE 0x00cf9a000000ffffULL /* execute/read */
#define LINUX_GDT_DATA 0x00cf92000000ffffULL /* read/write */

#define RSDP_SCAN_START 0xe0000
#define RSDP_SCAN_END 0x100000

/* The RSDP's physical address: the copy the loader gave is found again in the BIOS area
 * (ACPI 5.2.5.1). On machines where it lives elsewhere (UEFI), Linux falls back to its own
 * search and finds nothing: that is reported. */
static u64 find_rsdp(const struct boot_info *bi)
{
	u64 a;

	if (!bi->rsdp)
		return 0;
	for (a = RSDP_SCAN_START; a < RSDP_SCAN_END; a += 16)
		if (!memcmp((const void *)(uintptr_t)a, bi->rsdp, 20))
			return a;
	return 0;
}

static int fail(struct vm *vm, u32 index, const char *why)
{
	log_warn("%s: module %u is a Linux kernel Plinth cannot boot: %s", vm->name, index, why);
	return -EINVAL;
}

/* Its preferred address when that is the VM's RAM; otherwise, relocatable, the lowest aligned
 * RAM with room from 16 MiB, below 4 GiB (it starts in 32-bit mode). 0 when there is none. */
static u64 kernel_address(const struct vm *vm, const struct bzimage *bz)
{
	static struct pmm free;
	u64 base = ALIGN_DOWN(bz->pref, PMM_PAGE_SIZE), load;

	if (guest_free_init(&free, vm))
		return 0;
	if (bz->pref < 4 * GIB && bz->room <= 4 * GIB - bz->pref &&
	    !guest_free_take_at(&free, base, bz->room + (bz->pref - base)))
		return bz->pref;
	if (!bz->relocatable ||
	    guest_free_take(&free, bz->room, MAX(bz->align, PMM_PAGE_SIZE), RELOCATED_FLOOR, 4 * GIB, 0, &load))
		return 0;
	return load;
}

/* A partition's initrd is copied from its module into its RAM below limit, clear of the kernel
 * and the hand-over block (both already out of free). */
static int partition_initrd(struct vm *vm, const struct boot_info *bi, struct pmm *free, u64 limit, u64 *gpa,
			    u64 *size)
{
	const struct boot_module *m = &bi->modules[vm->initrd_module];

	*size = m->end - m->start;
	if (!*size || guest_free_take(free, *size, PMM_PAGE_SIZE, MIB, MIN(limit, 4 * GIB), 0, gpa) ||
	    vm_mem_write(vm, *gpa, (const void *)(uintptr_t)m->start, *size)) {
		log_warn("%s: module %u, the initrd (%lu bytes), does not fit in the VM's RAM below 0x%lx", vm->name,
			 vm->initrd_module, *size, limit);
		return -ENOMEM;
	}
	return 0;
}

static void write_gdt(u64 *gdt)
{
	memset(gdt, 0, 32);
	gdt[LINUX_BOOT_CS / 8] = LINUX_GDT_CODE;
	gdt[LINUX_BOOT_DS / 8] = LINUX_GDT_DATA;
}

int linux_load(struct vm *vm, struct boot_info *bi, u32 index)
{
	static struct bzimage bz;
	static struct mem_range map[BZ_E820_MAX], dst[2];
	static u8 bp[BZ_PARAMS_SIZE];
	static struct pmm free;
	struct boot_module *m = &bi->modules[index];
	const char *cmdline = m->cmdline ? m->cmdline : "";
	u64 load, hand, initrd = 0, initrd_size = 0, gdt[4];
	struct bzimage_boot boot;
	int rc = bzimage_parse((const u8 *)(uintptr_t)m->start, m->end - m->start, &bz);

	if (rc == -ENOENT)
		return rc;
	if (rc)
		return fail(vm, index, bz.error);
	if (strlen(cmdline) + 1 > bz.cmdline_max)
		return fail(vm, index, "its command line is longer than the kernel accepts");
	load = kernel_address(vm, &bz);
	if (!load)
		return fail(vm, index,
			    bz.relocatable ? "no room for it in the VM's RAM (it needs its init_size from an aligned address)" :
					     "not relocatable, and its pref_address + init_size is not the VM's RAM");
	/* Clear of the kernel's working space (a kernel at 0x10000 keeps its bytes) and modules. */
	if (place_free_for_handover(&free, vm, bi, NULL, load, load + bz.room) ||
	    guest_free_take(&free, HANDOVER_SIZE, PMM_PAGE_SIZE, PLACE_HANDOVER_FLOOR, 4 * GIB, HANDOVER_ADDR, &hand))
		return fail(vm, index, "no free guest RAM below 4 GiB for boot_params and the command line");
	dst[0] = (struct mem_range){ load, load + bz.room, 0 };
	dst[1] = (struct mem_range){ hand, hand + HANDOVER_SIZE, 0 };
	rc = place_clear(vm, bi, dst, ARRAY_SIZE(dst));
	if (rc)
		return rc;
	if (vm->partition && vm->initrd_module != CONFIG_NO_MODULE) {
		rc = partition_initrd(vm, bi, &free, bz.initrd_limit, &initrd, &initrd_size);
		if (rc)
			return rc;
	} else if (!vm->partition && index + 1 < bi->module_count) {
		rc = place_below(vm, bi, index + 1, bz.initrd_limit);
		if (rc || !place_module_visible(vm, bi, index + 1)) {
			log_warn("%s: module %u, the initrd, does not fit below 0x%lx", vm->name, index + 1, bz.initrd_limit);
			return rc ? rc : -EINVAL;
		}
		initrd = bi->modules[index + 1].start;
		initrd_size = bi->modules[index + 1].end - initrd;
	}
	if (vm_mem_write(vm, load, (const u8 *)(uintptr_t)m->start + bz.pm_offset, bz.pm_size))
		return fail(vm, index, "its bytes cannot be written to the VM's RAM");

	/* A partition's low memory is its own RAM: its own ACPI tables are there (written by
	 * arch_vm_platform_write before the kernel), not the firmware's. */
	boot = (struct bzimage_boot){ .load = load, .cmdline = hand + HANDOVER_CMDLINE, .initrd = initrd,
				      .initrd_size = initrd_size,
				      .rsdp = vm->partition ? GUEST_MAP_ACPI_TABLES : find_rsdp(bi), .e820 = map };
	boot.e820_count = guest_map(vm, bi->mmap, bi->mmap_count, map, ARRAY_SIZE(map));
	bzimage_boot_params(bp, (const u8 *)(uintptr_t)m->start, &bz, &boot);
	if (!boot.rsdp)
		log_warn("%s: the ACPI RSDP is not in the BIOS area: Linux will look for it itself", vm->name);
	write_gdt(gdt);
	if (vm_mem_zero(vm, hand, HANDOVER_SIZE) || vm_mem_write(vm, hand, bp, sizeof(bp)) ||
	    vm_mem_write(vm, hand + HANDOVER_GDT, gdt, sizeof(gdt)) ||
	    vm_mem_write(vm, hand + HANDOVER_CMDLINE, cmdline, strlen(cmdline) + 1))
		return fail(vm, index, "boot_params cannot be written to the VM's RAM");

	vm->boot = (struct vm_boot){ .entry = load, .rsi = hand, .cs = LINUX_BOOT_CS, .ds = LINUX_BOOT_DS,
				     .gdt_base = hand + HANDOVER_GDT, .gdt_limit = sizeof(gdt) - 1, .image_kind = "Linux" };
	log_info("%s: module %u: Linux boot protocol %u.%02u, kernel at 0x%lx (%lu KiB, %lu MiB with its working space), initrd %lu KiB at 0x%lx, boot_params at 0x%lx, cmdline '%s'",
		 vm->name, index, bz.version >> 8, bz.version & 0xff, load, bz.pm_size / KIB, bz.room / MIB,
		 initrd_size / KIB, initrd, hand, cmdline);
	return 0;
}
