/*
 * Linux x86 boot protocol (Documentation/arch/x86/boot.rst, protocol 2.12 and later):
 * Plinth checks the bzImage's setup header, places the protected-mode kernel where it asks
 * (its preferred address when relocatable), leaves the initrd in guest RAM, writes
 * boot_params ("the zero page") with an e820 map in which Plinth's range is reserved, the
 * command line, the initrd and the ACPI RSDP, and enters through the 32-bit entry point:
 * protected mode, paging off, a GDT with flat __BOOT_CS (0x10) and __BOOT_DS (0x18),
 * ESI = boot_params, EBX = EBP = EDI = 0.
 */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/loader.h>
#include <plinth/memory.h>
#include <plinth/place.h>
#include <plinth/string.h>

/* Setup header fields, by offset in the image (and in boot_params). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_VID_MODE 0x1fa
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_SIZE 0x268

/* boot_params fields outside the setup header (zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

#define BOOT_FLAG 0xaa55
#define HDRS_MAGIC 0x53726448 /* "HdrS" */
#define PROTOCOL_MIN 0x020c
#define LOADED_HIGH BIT(0)
#define XLF_KERNEL_64 BIT(0)
#define LOADER_UNDEFINED 0xff

/* Low guest memory for what Plinth hands over: boot_params, the GDT, the command line.
 * Linux copies all three before it uses low memory itself. */
#define BP_ADDR 0x10000
#define GDT_ADDR 0x11000
#define CMDLINE_ADDR 0x12000
#define CMDLINE_MAX 4096
/* The boot protocol's __BOOT_CS and __BOOT_DS, 4 GiB flat code and data in the GDT the
 * loader writes (the guest's GDT, not Plinth's). */
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18
#define LINUX_GDT_CODE 0x00cf9a000000ffffULL /* execute/read */
#define LINUX_GDT_DATA 0x00cf92000000ffffULL /* read/write */

#define RSDP_SCAN_START 0xe0000
#define RSDP_SCAN_END 0x100000

static u32 rd32(const u8 *p, u32 off)
{
	u32 v;

	memcpy(&v, p + off, 4);
	return v;
}

static u64 rd64(const u8 *p, u32 off)
{
	u64 v;

	memcpy(&v, p + off, 8);
	return v;
}

static void wr32(u8 *p, u32 off, u32 v)
{
	memcpy(p + off, &v, 4);
}

static void wr64(u8 *p, u32 off, u64 v)
{
	memcpy(p + off, &v, 8);
}

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

/* A RAM address for the kernel: its preferred one, or the lowest aligned one with room. */
static u64 kernel_address(struct vm *vm, const u8 *img, u64 room)
{
	u64 pref = rd64(img, HDR_PREF_ADDRESS), align = rd32(img, HDR_KERNEL_ALIGNMENT), a;
	u32 i;

	if (!align || (align & (align - 1)))
		align = 2 * MIB;
	if (vm_mem_find(vm, pref, room) && vm_mem_find(vm, pref, room)->kind == VM_MEM_RAM)
		return pref;
	if (!img[HDR_RELOCATABLE])
		return 0;
	for (i = 0; i < vm->mem_count; i++) {
		const struct vm_mem *m = &vm->mem[i];

		a = ALIGN_UP(MAX(m->gpa, 16 * MIB), align);
		if (m->kind == VM_MEM_RAM && a + room <= m->gpa + m->size && a + room <= 4 * GIB)
			return a;
	}
	return 0;
}

static void write_gdt(void)
{
	u64 *gdt = (u64 *)(uintptr_t)GDT_ADDR;

	memset(gdt, 0, 32);
	gdt[LINUX_BOOT_CS / 8] = LINUX_GDT_CODE;
	gdt[LINUX_BOOT_DS / 8] = LINUX_GDT_DATA;
}

int linux_load(struct vm *vm, struct boot_info *bi, u32 index)
{
	struct boot_module *m = &bi->modules[index];
	static u8 hdr[HDR_MIN_SIZE];
	static struct mem_range map[BP_E820_MAX];
	u64 size = m->end - m->start, pm_offset, pm_size, room, load, rsdp, initrd = 0, initrd_size = 0;
	u32 setup_sects, n, i, hdr_end;
	u8 *bp = (u8 *)(uintptr_t)BP_ADDR;
	const char *cmdline = m->cmdline ? m->cmdline : "";
	int rc;

	if (size < sizeof(hdr))
		return -ENOENT;
	memcpy(hdr, (const void *)(uintptr_t)m->start, sizeof(hdr));
	if (*(u16 *)(hdr + HDR_BOOT_FLAG) != BOOT_FLAG || rd32(hdr, HDR_MAGIC) != HDRS_MAGIC)
		return -ENOENT;
	if (*(u16 *)(hdr + HDR_VERSION) < PROTOCOL_MIN)
		return fail(vm, index, "boot protocol older than 2.12");
	if (!(hdr[HDR_LOADFLAGS] & LOADED_HIGH))
		return fail(vm, index, "not a bzImage (zImage kernels load below 1 MiB)");
	if (!(*(u16 *)(hdr + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return fail(vm, index, "no 64-bit kernel inside (xloadflags bit 0 clear)");
	setup_sects = hdr[HDR_SETUP_SECTS] ? hdr[HDR_SETUP_SECTS] : 4;
	pm_offset = (u64)(setup_sects + 1) * 512;
	if (pm_offset >= size)
		return fail(vm, index, "truncated: the file ends inside the real-mode setup code");
	pm_size = size - pm_offset;
	room = MAX((u64)rd32(hdr, HDR_INIT_SIZE), pm_size);
	load = kernel_address(vm, hdr, room);
	if (!load)
		return fail(vm, index, "no room for it in the VM's RAM (it needs its init_size from its preferred address)");
	if (strlen(cmdline) + 1 > MIN((u64)CMDLINE_MAX, (u64)rd32(hdr, HDR_CMDLINE_SIZE) + 1))
		return fail(vm, index, "its command line is longer than the kernel accepts");
	if (!vm_mem_find(vm, BP_ADDR, CMDLINE_ADDR + CMDLINE_MAX - BP_ADDR))
		return fail(vm, index, "no guest RAM at 0x10000 for boot_params");

	rc = place_module_room(vm, bi, index, pm_offset, load, pm_size, 0, room);
	if (rc)
		return rc;
	if (index + 1 < bi->module_count) {
		u64 limit = MIN((u64)rd32(hdr, HDR_INITRD_ADDR_MAX) + 1, 4 * GIB);

		rc = place_keep_module(vm, bi, index + 1, limit, load, load + room);
		if (rc) {
			log_warn("%s: module %u, the initrd, does not fit below 0x%lx", vm->name, index + 1, limit);
			return rc;
		}
		initrd = bi->modules[index + 1].start;
		initrd_size = bi->modules[index + 1].end - initrd;
	}

	/* boot_params: zeroed, with the kernel's own setup header copied in (boot.rst). */
	memset(bp, 0, 4096);
	hdr_end = HDR_JUMP + 2 + hdr[HDR_JUMP + 1];
	memcpy(bp + HDR_SETUP_SECTS, hdr + HDR_SETUP_SECTS, MIN(hdr_end, (u32)sizeof(hdr)) - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	*(u16 *)(bp + HDR_VID_MODE) = 0xffff; /* "normal" */
	wr32(bp, HDR_CODE32_START, (u32)load);
	memcpy((void *)(uintptr_t)CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
	wr32(bp, HDR_CMD_LINE_PTR, CMDLINE_ADDR);
	wr32(bp, BP_EXT_CMD_LINE_PTR, 0);
	wr32(bp, HDR_RAMDISK_IMAGE, (u32)initrd);
	wr32(bp, HDR_RAMDISK_SIZE, (u32)initrd_size);
	wr32(bp, BP_EXT_RAMDISK_IMAGE, (u32)(initrd >> 32));
	wr32(bp, BP_EXT_RAMDISK_SIZE, (u32)(initrd_size >> 32));
	n = memory_guest_map(bi, map, BP_E820_MAX);
	for (i = 0; i < n; i++) {
		u8 *e = bp + BP_E820_TABLE + 20 * i;

		wr64(e, 0, map[i].start);
		wr64(e, 8, map[i].end - map[i].start);
		wr32(e, 16, map[i].type);
	}
	bp[BP_E820_ENTRIES] = (u8)n;
	rsdp = find_rsdp(bi);
	wr64(bp, BP_ACPI_RSDP_ADDR, rsdp);
	if (!rsdp)
		log_warn("%s: the ACPI RSDP is not in the BIOS area: Linux will look for it itself", vm->name);
	write_gdt();

	vm->boot = (struct vm_boot){ .entry = load, .rsi = BP_ADDR, .cs = LINUX_BOOT_CS, .ds = LINUX_BOOT_DS,
				     .gdt_base = GDT_ADDR, .gdt_limit = 31, .image_kind = "Linux" };
	log_info("%s: module %u: Linux boot protocol %u.%02u, kernel at 0x%lx (%lu KiB, %lu MiB with its working space), initrd %lu KiB at 0x%lx, cmdline '%s'",
		 vm->name, index, *(u16 *)(hdr + HDR_VERSION) >> 8, *(u16 *)(hdr + HDR_VERSION) & 0xff, load,
		 pm_size / KIB, room / MIB, initrd_size / KIB, initrd, cmdline);
	return 0;
}
