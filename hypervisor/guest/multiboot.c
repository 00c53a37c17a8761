/*
 * Multiboot (version 1) kernels as guests (Multiboot Specification 0.6.96).
 *
 * mb1_parse (guest/mb1_parse.c) turns the image into a plan: the a.out-kludge addresses of
 * header flag 16, or the ELF program headers. Here the plan is checked against the VM's RAM,
 * the information structure (memory map, command line, the modules after this one) is placed
 * in guest RAM the kernel and the modules do not use, and the kernel starts as the
 * specification says: 32-bit protected mode, flat segments, paging off, EAX = 0x2BADB002,
 * EBX = the information's address.
 */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/guest_map.h>
#include <plinth/loader.h>
#include <plinth/mb1_info.h>
#include <plinth/multiboot1.h>
#include <plinth/place.h>
#include <plinth/vm_mem.h>

/* Where the information goes when that RAM is free: low memory that kernels linked at 1 MiB
 * and above leave alone (and where it always was). */
#define MB1_INFO_ADDR 0x9000
/* Room for the structure, every module's command line and a full memory map. */
#define MB1_INFO_MAX (16 * KIB)
/* Multiboot leaves GDTR undefined (spec 3.2): flat selectors with no table behind them, the
 * values GRUB uses. */
#define MB1_BOOT_CS 0x08
#define MB1_BOOT_DS 0x10

static int refuse(struct vm *vm, u32 index, const char *why)
{
	log_warn("%s: module %u is a multiboot kernel Plinth cannot boot: %s", vm->name, index, why);
	return -EINVAL;
}

int multiboot_load(struct vm *vm, struct boot_info *bi, u32 index)
{
	static struct load_plan plan;
	static struct mem_range map[BOOT_MMAP_MAX + 8], dst[LOAD_SEGMENTS_MAX + 1];
	static u8 info[MB1_INFO_MAX];
	static struct pmm free;
	struct boot_module *m = &bi->modules[index];
	struct mb1_info_input in;
	u64 info_gpa, lo = ~0ULL, hi = 0;
	u32 size, i;
	int rc = mb1_parse((const u8 *)(uintptr_t)m->start, m->end - m->start, &plan);

	if (rc == -ENOENT)
		return rc;
	if (rc)
		return refuse(vm, index, plan.error);
	for (i = 0; i < plan.count; i++)
		if (!place_check_ram(vm, index, "a kernel segment", plan.seg[i].gpa, plan.seg[i].copy + plan.seg[i].zero))
			return -EINVAL;
	/* The default VM's kernel gets the modules after it; a partition's has none of its own
	 * (the tools refuse an initrd for a multiboot kernel), and the others are not its. */
	in = (struct mb1_info_input){ m->cmdline, m + 1, vm->partition ? 0 : bi->module_count - index - 1, map,
				      guest_map(vm, bi->mmap, bi->mmap_count, map, ARRAY_SIZE(map)) };
	size = mb1_info_build(info, sizeof(info), 0, &in);
	if (!size)
		return refuse(vm, index, "its multiboot information does not fit in 16 KiB");
	/* Clear of the kernel (one linked at 0x8000 keeps its bytes at 0x9000) and the modules. */
	if (place_free_for_handover(&free, vm, bi, &plan, 0, 0) ||
	    guest_free_take(&free, size, PMM_PAGE_SIZE, PLACE_HANDOVER_FLOOR, LOAD_LIMIT_32, MB1_INFO_ADDR, &info_gpa))
		return refuse(vm, index, "no free guest RAM below 4 GiB for the multiboot information");
	for (i = 0; i < plan.count; i++) {
		dst[i] = (struct mem_range){ plan.seg[i].gpa, plan.seg[i].gpa + plan.seg[i].copy + plan.seg[i].zero, 0 };
		lo = MIN(lo, dst[i].start);
		hi = MAX(hi, dst[i].end);
	}
	dst[i] = (struct mem_range){ info_gpa, info_gpa + size, 0 };
	rc = place_clear(vm, bi, dst, plan.count + 1);
	if (rc)
		return rc;
	for (i = index + 1; i < index + 1 + in.mod_count; i++)
		if (!place_module_visible(vm, bi, i))
			return -EINVAL;
	rc = place_segments(vm, bi, index, &plan);
	if (rc)
		return rc;
	/* Again at its address, with the modules where they are now. */
	if (mb1_info_build(info, sizeof(info), info_gpa, &in) != size)
		return refuse(vm, index, "a module lies above 4 GiB, where a multiboot kernel cannot see it");
	if (vm_mem_write(vm, info_gpa, info, size))
		return refuse(vm, index, "its multiboot information cannot be written to the VM's RAM");
	vm->boot = (struct vm_boot){ .entry = plan.entry, .rax = MB1_BOOTLOADER_MAGIC, .rbx = info_gpa,
				     .cs = MB1_BOOT_CS, .ds = MB1_BOOT_DS, .image_kind = "multiboot" };
	log_info("%s: module %u: multiboot kernel (%s) in %u segments at 0x%lx-0x%lx, entry 0x%lx, information at 0x%lx, cmdline '%s'",
		 vm->name, index, plan.format, plan.count, lo, hi, plan.entry, info_gpa, m->cmdline ? m->cmdline : "");
	return 0;
}
