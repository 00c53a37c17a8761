/*
 * Multiboot (version 1) kernel images to load plans (Multiboot Specification 0.6.96). Pure:
 * the loader (guest/multiboot.c) applies the plan; the host tests and the fuzzer feed this
 * any bytes. The header's fields are the image's word, so each is checked before use: an
 * a.out-kludge header whose load_end_addr is 0 and whose bss_end_addr lies below the end of
 * the file would otherwise turn into a zeroing length of nearly 2^64.
 */
#include <plinth/errno.h>
#include <plinth/load_plan.h>
#include <plinth/multiboot1.h>
#include <plinth/string.h>

/* magic, flags and checksum; the a.out kludge's five address fields follow (spec 3.1.1). */
#define MB1_HEADER_BASE_SIZE 12

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

/* The header's file offset, or -1: 4-byte aligned in the first 8 KiB (spec 3.1). */
static s64 find_header(const u8 *image, u64 size)
{
	u64 len = MIN(size, (u64)MB1_SEARCH), off;

	for (off = 0; off + MB1_HEADER_BASE_SIZE <= len; off += 4) {
		u32 magic = rd32(image + off), flags = rd32(image + off + 4), sum = rd32(image + off + 8);

		if (magic == MB1_HEADER_MAGIC && (u32)(magic + flags + sum) == 0)
			return (s64)off;
	}
	return -1;
}

/* Spec 3.1.3: the file's byte at header offset off is loaded at header_addr, so load_addr's
 * byte is at off - (header_addr - load_addr); load_end_addr 0 means "to the end of the file",
 * bss_end_addr 0 means "no bss". */
static int aout_kludge(const u8 *image, u64 size, u64 off, struct load_plan *plan)
{
	struct mb1_header h;
	u64 src, copy, end, zero = 0;

	if (size - off < sizeof(h))
		return plan_fail(plan, "the a.out kludge header at offset 0x%lx is cut off by the end of the file", off);
	memcpy(&h, image + off, sizeof(h));
	if (h.load_addr > h.header_addr || h.header_addr - h.load_addr > off)
		return plan_fail(plan, "load_addr 0x%x lies before the file's start (header_addr 0x%x at offset 0x%lx)",
				 h.load_addr, h.header_addr, off);
	src = off - (h.header_addr - h.load_addr);
	if (!h.load_end_addr) {
		copy = size - src;
	} else if (h.load_end_addr < h.load_addr) {
		return plan_fail(plan, "load_end_addr 0x%x lies below load_addr 0x%x", h.load_end_addr, h.load_addr);
	} else {
		copy = h.load_end_addr - h.load_addr;
		if (copy > size - src)
			return plan_fail(plan, "load_addr-load_end_addr is 0x%lx bytes, the file has 0x%lx from load_addr", copy,
					 size - src);
	}
	end = h.load_addr + copy; /* at most 2^32 + 2^32: no wrap in 64 bits */
	if (end > LOAD_LIMIT_32)
		return plan_fail(plan, "the loaded bytes 0x%x+0x%lx end above 4 GiB", h.load_addr, copy);
	if (h.bss_end_addr) {
		if (h.bss_end_addr < end)
			return plan_fail(plan, "bss_end_addr 0x%x lies below the end of the loaded bytes 0x%lx", h.bss_end_addr,
					 end);
		zero = h.bss_end_addr - end;
	}
	if (h.entry_addr < h.load_addr || h.entry_addr >= end)
		return plan_fail(plan, "entry_addr 0x%x lies outside the loaded bytes 0x%x-0x%lx", h.entry_addr, h.load_addr,
				 end);
	plan->entry = h.entry_addr;
	plan->format = "a.out kludge";
	return plan_add(plan, size, src, h.load_addr, copy, zero, LOAD_LIMIT_32);
}

int mb1_parse(const u8 *image, u64 size, struct load_plan *plan)
{
	s64 found = find_header(image, size);
	u32 flags;

	memset(plan, 0, sizeof(*plan));
	if (found < 0)
		return -ENOENT;
	flags = rd32(image + found + 4);
	if (flags & MB1_HEADER_REQUIRED_MASK & ~(MB1_HEADER_PAGE_ALIGN | MB1_HEADER_MEMORY_INFO | MB1_HEADER_VIDEO_MODE))
		return plan_fail(plan, "the header requires features Plinth lacks (flags 0x%x)", flags);
	if (flags & MB1_HEADER_AOUT_KLUDGE)
		return aout_kludge(image, size, (u64)found, plan);
	return elf_parse(image, size, plan);
}
