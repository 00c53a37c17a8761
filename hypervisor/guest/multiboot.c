/*
 * Multiboot (version 1) kernels as guests (Multiboot Specification 0.6.96).
 *
 * Plinth finds the header in the first 8 KiB, places the image (the a.out-kludge addresses
 * of header flag 16), writes a multiboot information structure into guest memory at
 * MB1_INFO_ADDR and starts the kernel as the specification says: 32-bit protected mode, flat
 * segments, paging off, EAX = 0x2BADB002, EBX = the information's address. The information
 * holds the memory map (Plinth's range reserved), the module's command line and the modules
 * that follow it.
 */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/loader.h>
#include <plinth/memory.h>
#include <plinth/place.h>
#include <plinth/multiboot1.h>
#include <plinth/string.h>

/* Where the information structure goes: low guest RAM that multiboot kernels (linked at
 * 1 MiB and above) leave alone; two pages for the structure, strings and memory map. */
#define MB1_INFO_ADDR 0x9000
#define MB1_INFO_SIZE 0x2000
/* Multiboot leaves GDTR undefined (spec 3.2): flat selectors with no table behind them, the
 * values GRUB uses. */
#define MB1_BOOT_CS 0x08
#define MB1_BOOT_DS 0x10

static const struct mb1_header *find_header(const struct boot_module *m, u64 *offset)
{
	u64 len = MIN(m->end - m->start, (u64)MB1_SEARCH), off;

	for (off = 0; off + sizeof(struct mb1_header) <= len; off += 4) {
		const struct mb1_header *h = (const void *)(uintptr_t)(m->start + off);

		if (h->magic == MB1_HEADER_MAGIC && (u32)(h->magic + h->flags + h->checksum) == 0) {
			*offset = off;
			return h;
		}
	}
	return NULL;
}

/* Bump allocator inside the information area. */
struct info_area {
	u8 *base;
	u32 used;
};

static void *info_take(struct info_area *a, u32 size)
{
	void *p;

	size = (u32)ALIGN_UP(size, 8);
	if (a->used + size > MB1_INFO_SIZE)
		return NULL;
	p = a->base + a->used;
	a->used += size;
	return p;
}

static u32 info_string(struct info_area *a, const char *s)
{
	u32 n = (u32)strlen(s ? s : "") + 1;
	char *p = info_take(a, n);

	if (!p)
		return 0;
	memcpy(p, s ? s : "", n);
	return (u32)(uintptr_t)p;
}

static int write_info(struct vm *vm, struct boot_info *bi, u32 index)
{
	static struct mem_range map[BOOT_MMAP_MAX + 2];
	struct info_area a = { (u8 *)(uintptr_t)MB1_INFO_ADDR, 0 };
	struct mb1_info *info;
	struct mb1_mmap_entry *e;
	struct mb1_module *mods;
	u32 n = memory_guest_map(bi, map, ARRAY_SIZE(map)), i;

	if (!vm_mem_find(vm, MB1_INFO_ADDR, MB1_INFO_SIZE)) {
		log_warn("%s: no guest RAM at 0x%x for the multiboot information", vm->name, MB1_INFO_ADDR);
		return -ENOMEM;
	}
	memset(a.base, 0, MB1_INFO_SIZE);
	info = info_take(&a, sizeof(*info));
	info->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP | MB1_INFO_LOADER_NAME;
	for (i = 0; i < n; i++) {
		/* mem_lower: available RAM from 0; mem_upper: available RAM from 1 MiB on, in KiB. */
		if (map[i].type == MB2_MEM_AVAILABLE && map[i].start == 0)
			info->mem_lower = (u32)(MIN(map[i].end, 640 * KIB) / KIB);
		if (map[i].type == MB2_MEM_AVAILABLE && map[i].start <= MIB && map[i].end > MIB)
			info->mem_upper = (u32)(MIN(map[i].end - MIB, 0xffffffffULL * KIB) / KIB);
	}
	info->cmdline = info_string(&a, bi->modules[index].cmdline);
	info->boot_loader_name = info_string(&a, "Plinth");
	mods = info_take(&a, (bi->module_count - index - 1) * sizeof(*mods) + 8);
	for (i = index + 1; mods && i < bi->module_count; i++, info->mods_count++) {
		mods[info->mods_count].mod_start = (u32)bi->modules[i].start;
		mods[info->mods_count].mod_end = (u32)bi->modules[i].end;
		mods[info->mods_count].string = info_string(&a, bi->modules[i].cmdline);
	}
	info->mods_addr = (u32)(uintptr_t)mods;
	e = info_take(&a, n * sizeof(*e));
	if (!e || !info->cmdline || !mods) {
		log_warn("%s: the multiboot information does not fit in %u bytes", vm->name, MB1_INFO_SIZE);
		return -ENOMEM;
	}
	info->mmap_addr = (u32)(uintptr_t)e;
	info->mmap_length = n * sizeof(*e);
	for (i = 0; i < n; i++)
		e[i] = (struct mb1_mmap_entry){ 20, map[i].start, map[i].end - map[i].start, map[i].type };
	return 0;
}

int multiboot_load(struct vm *vm, struct boot_info *bi, u32 index)
{
	struct boot_module *m = &bi->modules[index];
	const struct mb1_header *found;
	struct mb1_header hdr, *h = &hdr;
	u64 off, copy, zero, src;
	int rc;

	found = find_header(m, &off);
	if (!found)
		return -ENOENT;
	hdr = *found; /* the module's bytes may be overwritten when the image moves into place */
	if (h->flags & MB1_HEADER_REQUIRED_MASK &
	    ~(MB1_HEADER_PAGE_ALIGN | MB1_HEADER_MEMORY_INFO | MB1_HEADER_VIDEO_MODE)) {
		log_warn("%s: module %u's multiboot header requires features Plinth lacks (flags 0x%x)", vm->name,
			 index, h->flags);
		return -EINVAL;
	}
	if (!(h->flags & MB1_HEADER_AOUT_KLUDGE)) {
		log_warn("%s: module %u is a multiboot kernel without load addresses (header flag 16); only those are supported so far",
			 vm->name, index);
		return -EINVAL;
	}
	if (h->load_addr > h->header_addr || (h->load_end_addr && h->load_end_addr < h->load_addr) ||
	    (h->bss_end_addr && h->bss_end_addr < MAX(h->load_end_addr, h->load_addr))) {
		log_warn("%s: module %u's multiboot header has inconsistent addresses (header 0x%x, load 0x%x-0x%x, bss end 0x%x)",
			 vm->name, index, h->header_addr, h->load_addr, h->load_end_addr, h->bss_end_addr);
		return -EINVAL;
	}
	/* The file offset where load_addr's byte lives (spec 3.1.3). */
	src = off - (h->header_addr - h->load_addr);
	if (src > off) {
		log_warn("%s: module %u's multiboot header puts load_addr before the file's start", vm->name, index);
		return -EINVAL;
	}
	copy = h->load_end_addr ? h->load_end_addr - h->load_addr : (m->end - m->start) - src;
	zero = h->bss_end_addr ? h->bss_end_addr - (h->load_addr + copy) : 0;
	rc = place_module(vm, bi, index, src, h->load_addr, copy, zero);
	if (rc)
		return rc;
	rc = write_info(vm, bi, index);
	if (rc)
		return rc;
	vm->boot = (struct vm_boot){ .entry = h->entry_addr, .rax = MB1_BOOTLOADER_MAGIC, .rbx = MB1_INFO_ADDR,
				     .cs = MB1_BOOT_CS, .ds = MB1_BOOT_DS, .image_kind = "multiboot" };
	log_info("%s: module %u: multiboot kernel at 0x%x-0x%x (bss to 0x%x), entry 0x%x, cmdline '%s'", vm->name,
		 index, h->load_addr, (u32)(h->load_addr + copy), h->bss_end_addr, h->entry_addr,
		 m->cmdline ? m->cmdline : "");
	return 0;
}
