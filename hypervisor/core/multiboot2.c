/*
 * Multiboot2 boot information parser (multiboot2 specification, section 3.6).
 *
 * The structure comes from the loader, so every size is checked before it is used: a tag that
 * runs past the end, a size too small for its type, or a string without its NUL stops the parse
 * with a message naming the tag and offset. What was read before the fault is kept, so the
 * caller can go on when it has what it needs (at least a memory map).
 */
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/multiboot2.h>
#include <plinth/string.h>

struct mb2_tag {
	u32 type;
	u32 size;
};

struct mb2_module_tag {
	u32 type, size;
	u32 mod_start, mod_end;
	char cmdline[];
};

struct mb2_meminfo_tag {
	u32 type, size;
	u32 mem_lower, mem_upper;
};

struct mb2_mmap_tag {
	u32 type, size;
	u32 entry_size, entry_version;
};

struct mb2_mmap_entry {
	u64 base_addr, length;
	u32 type, reserved;
};

#define MB2_FIXED_HEADER 8 /* total_size, reserved */
#define MB2_TAG_ALIGN 8

static int __printf(2, 3) fail(struct boot_info *bi, const char *fmt, ...)
{
	va_list ap;

	if (!bi->error[0]) {
		va_start(ap, fmt);
		vformat(bi->error, sizeof(bi->error), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A NUL-terminated string inside [s, s + max)? */
static bool has_nul(const char *s, size_t max)
{
	return strnlen(s, max) < max;
}

static int parse_mmap(const struct mb2_tag *tag, u32 off, struct boot_info *bi)
{
	const struct mb2_mmap_tag *m = (const void *)tag;
	const u8 *p, *end = (const u8 *)tag + tag->size;

	if (tag->size < sizeof(*m))
		return fail(bi, "memory map tag at offset 0x%x: size %u below the %zu-byte minimum",
			    off, tag->size, sizeof(*m));
	if (m->entry_size < sizeof(struct mb2_mmap_entry) || m->entry_size % 8)
		return fail(bi, "memory map tag at offset 0x%x: entry size %u invalid (needs a multiple of 8, at least %zu)",
			    off, m->entry_size, sizeof(struct mb2_mmap_entry));
	bi->has_mmap = true;
	for (p = (const u8 *)(m + 1); p + m->entry_size <= end; p += m->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		struct mem_range *r;

		if (!e->length)
			continue;
		if (e->base_addr + e->length < e->base_addr)
			return fail(bi, "memory map tag at offset 0x%x: entry at 0x%lx with length 0x%lx wraps past 2^64",
				    off, e->base_addr, e->length);
		if (bi->mmap_count == BOOT_MMAP_MAX) {
			bi->mmap_truncated = true;
			break;
		}
		r = &bi->mmap[bi->mmap_count++];
		r->start = e->base_addr;
		r->end = e->base_addr + e->length;
		r->type = e->type;
	}
	return 0;
}

static int parse_module(const struct mb2_tag *tag, u32 off, struct boot_info *bi)
{
	const struct mb2_module_tag *m = (const void *)tag;
	size_t str_max = tag->size - sizeof(*m);

	if (tag->size < sizeof(*m) + 1 || !has_nul(m->cmdline, str_max))
		return fail(bi, "module tag at offset 0x%x: size %u leaves no NUL-terminated command line",
			    off, tag->size);
	if (m->mod_end < m->mod_start)
		return fail(bi, "module tag at offset 0x%x: end 0x%x lies before start 0x%x",
			    off, m->mod_end, m->mod_start);
	if (bi->module_count == BOOT_MODULES_MAX) {
		bi->modules_truncated = true;
		return 0;
	}
	bi->modules[bi->module_count].start = m->mod_start;
	bi->modules[bi->module_count].end = m->mod_end;
	bi->modules[bi->module_count].cmdline = m->cmdline;
	bi->module_count++;
	return 0;
}

static int parse_string(const struct mb2_tag *tag, u32 off, struct boot_info *bi, const char **out)
{
	const char *s = (const char *)(tag + 1);

	if (tag->size < sizeof(*tag) + 1 || !has_nul(s, tag->size - sizeof(*tag)))
		return fail(bi, "string tag (type %u) at offset 0x%x: size %u leaves no NUL-terminated string",
			    tag->type, off, tag->size);
	*out = s;
	return 0;
}

static int parse_tag(const struct mb2_tag *tag, u32 off, struct boot_info *bi)
{
	const struct mb2_meminfo_tag *mi = (const void *)tag;
	u32 len = tag->size - sizeof(*tag);

	switch (tag->type) {
	case MB2_TAG_CMDLINE:
		return parse_string(tag, off, bi, &bi->cmdline);
	case MB2_TAG_LOADER_NAME:
		return parse_string(tag, off, bi, &bi->loader);
	case MB2_TAG_MODULE:
		return parse_module(tag, off, bi);
	case MB2_TAG_MMAP:
		return parse_mmap(tag, off, bi);
	case MB2_TAG_BASIC_MEMINFO:
		if (tag->size < sizeof(*mi))
			return fail(bi, "basic memory tag at offset 0x%x: size %u below %zu",
				    off, tag->size, sizeof(*mi));
		bi->mem_lower_kib = mi->mem_lower;
		bi->mem_upper_kib = mi->mem_upper;
		bi->has_meminfo = true;
		return 0;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		if (len < ACPI_RSDP_V1_LEN)
			return fail(bi, "ACPI RSDP tag (type %u) at offset 0x%x: %u bytes, an RSDP needs at least %u",
				    tag->type, off, len, ACPI_RSDP_V1_LEN);
		/* Prefer the ACPI 2.0+ copy when the loader gives both. */
		if (tag->type == MB2_TAG_ACPI_NEW || bi->rsdp_tag != MB2_TAG_ACPI_NEW) {
			bi->rsdp = tag + 1;
			bi->rsdp_len = len;
			bi->rsdp_tag = (u8)tag->type;
		}
		return 0;
	default:
		return 0; /* tags Plinth does not use */
	}
}

int mb2_parse(const void *mbi, struct boot_info *bi)
{
	const u8 *base = mbi;
	u32 total, off;

	memset(bi, 0, sizeof(*bi));
	if (!mbi || (uintptr_t)mbi % MB2_TAG_ALIGN)
		return fail(bi, "information structure at 0x%lx: not 8-byte aligned",
			    (u64)(uintptr_t)mbi);
	total = *(const u32 *)mbi;
	bi->mbi_start = (u64)(uintptr_t)mbi;
	bi->mbi_end = bi->mbi_start + total;
	if (total < MB2_FIXED_HEADER + sizeof(struct mb2_tag) || total > MB2_INFO_MAX_SIZE) {
		bi->mbi_end = bi->mbi_start + MB2_FIXED_HEADER;
		return fail(bi, "information structure: total size %u outside %zu..%u bytes",
			    total, MB2_FIXED_HEADER + sizeof(struct mb2_tag), MB2_INFO_MAX_SIZE);
	}

	for (off = MB2_FIXED_HEADER; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *tag = (const void *)(base + off);
		int rc;

		if (tag->type == MB2_TAG_END)
			return tag->size == sizeof(*tag) ? 0 :
				fail(bi, "end tag at offset 0x%x: size %u, expected %zu",
				     off, tag->size, sizeof(*tag));
		if (tag->size < sizeof(*tag) || tag->size > total - off)
			return fail(bi, "tag type %u at offset 0x%x: size %u runs past the structure's end (total %u bytes)",
				    tag->type, off, tag->size, total);
		rc = parse_tag(tag, off, bi);
		if (rc)
			return rc;
		off += ALIGN_UP(tag->size, MB2_TAG_ALIGN);
	}
	return fail(bi, "information structure: no end tag within its %u bytes", total);
}

const char *mb2_mem_type_name(u32 type)
{
	switch (type) {
	case MB2_MEM_AVAILABLE:
		return "available";
	case MB2_MEM_RESERVED:
		return "reserved";
	case MB2_MEM_ACPI_RECLAIMABLE:
		return "acpi-reclaimable";
	case MB2_MEM_NVS:
		return "acpi-nvs";
	case MB2_MEM_BAD:
		return "bad";
	default:
		return "unknown";
	}
}
