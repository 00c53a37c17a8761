/* Reads the multiboot2 information and prints what Plinth was given. */
#include <console_proto.h>
#include <layout.h>
#include <plinth/boot_info.h>
#include <plinth/console.h>
#include <plinth/panic.h>
#include <plinth/string.h>

struct boot_info boot_info;

/* Copies of the strings the loader left in its information structure: guests may overwrite
 * that memory once they load. */
#define CMDLINE_COPY_LEN 1024
#define MODULE_CMDLINE_COPY_LEN 256
static char cmdline_copy[CMDLINE_COPY_LEN], loader_copy[64];
static char module_cmdline_copy[BOOT_MODULES_MAX][MODULE_CMDLINE_COPY_LEN];
static u8 rsdp_copy[64];

static const char *keep(const char *s, char *buf, size_t n, const char *what)
{
	size_t len;

	if (!s)
		return NULL;
	len = strnlen(s, n);
	if (len == n)
		log_warn("%s is longer than %zu bytes; the rest is dropped", what, n - 1);
	len = MIN(len, n - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static void keep_strings(struct boot_info *bi)
{
	u32 i;

	bi->cmdline = keep(bi->cmdline, cmdline_copy, sizeof(cmdline_copy), "Plinth's command line");
	bi->loader = keep(bi->loader, loader_copy, sizeof(loader_copy), "the loader's name");
	for (i = 0; i < bi->module_count; i++)
		bi->modules[i].cmdline = keep(bi->modules[i].cmdline, module_cmdline_copy[i],
					      MODULE_CMDLINE_COPY_LEN, "a module's command line");
	if (bi->rsdp) {
		bi->rsdp_len = MIN(bi->rsdp_len, (u32)sizeof(rsdp_copy));
		memcpy(rsdp_copy, bi->rsdp, bi->rsdp_len);
		bi->rsdp = rsdp_copy;
	}
}

static void print(const struct boot_info *bi)
{
	u32 i;

	log_info("loader: %s", bi->loader ? bi->loader : "(not named)");
	log_info("command line: '%s'", bi->cmdline ? bi->cmdline : "");
	log_info(CONSOLE_FMT_MEMMAP_HEADER, bi->mmap_count);
	for (i = 0; i < bi->mmap_count; i++)
		log_info(CONSOLE_FMT_MEMMAP_LINE, bi->mmap[i].start, bi->mmap[i].end,
			 mb2_mem_type_name(bi->mmap[i].type));
	if (bi->mmap_truncated)
		log_warn("memory map has more than %d entries; the rest are ignored", BOOT_MMAP_MAX);
	log_info(CONSOLE_FMT_MODULES_HEADER, bi->module_count);
	for (i = 0; i < bi->module_count; i++)
		log_info(CONSOLE_FMT_MODULE_LINE, i, bi->modules[i].start, bi->modules[i].end,
			 bi->modules[i].end - bi->modules[i].start, bi->modules[i].cmdline);
	if (bi->modules_truncated)
		log_warn("more than %d modules; the rest are ignored", BOOT_MODULES_MAX);
	if (bi->rsdp_tag)
		log_info("ACPI RSDP: %s tag, %u bytes at %p",
			 bi->rsdp_tag == MB2_TAG_ACPI_NEW ? "ACPI 2.0+" : "ACPI 1.0", bi->rsdp_len, bi->rsdp);
	else
		log_warn("no ACPI RSDP from the loader (multiboot2 tags 14 and 15 absent)");
}

static u32 boot_magic;
static int parse_rc;

const struct boot_info *boot_info_parse(u32 magic, u64 mbi)
{
	boot_magic = magic;
	if (magic == MB2_BOOTLOADER_MAGIC)
		parse_rc = mb2_parse((const void *)(uintptr_t)mbi, &boot_info);
	return &boot_info;
}

struct boot_info *boot_info_report(void)
{
	if (boot_magic != MB2_BOOTLOADER_MAGIC)
		panic("not started by a multiboot2 loader",
		      "EAX was 0x%x, expected 0x%x; boot plinth.elf with GRUB's multiboot2 command",
		      boot_magic, MB2_BOOTLOADER_MAGIC);
	keep_strings(&boot_info);
	if (parse_rc && boot_info.has_mmap)
		log_warn("multiboot2 information: %s; using what was read before it", boot_info.error);
	if (parse_rc && !boot_info.has_mmap)
		panic("unusable multiboot2 information", "%s; no memory map was read", boot_info.error);
	if (!boot_info.has_mmap)
		panic("no memory map", "the loader gave no multiboot2 memory map tag (type 6)");
	print(&boot_info);
	return &boot_info;
}
