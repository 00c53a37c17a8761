/*
 * boot_info: what the multiboot loader (Plinth) handed over: a memory map in which Plinth's
 * range is available RAM (the VM's, backed elsewhere) and that backing chunk is reserved, the
 * command line, and the modules after this kernel with their command lines (multiboot 1
 * specification 3.3). Each entry is printed as an info line.
 */
#include <layout.h>
#include <plinth/string.h>
#include "checks.h"

#define BACKING_ALIGN 0x200000

u64 plinth_backing(void)
{
	const struct mb1_info *mbi = boot_mbi;
	u64 pos, stop;

	if (!mbi || !(mbi->flags & MB1_INFO_MMAP))
		return 0;
	for (pos = mbi->mmap_addr, stop = pos + mbi->mmap_length; pos + sizeof(struct mb1_mmap_entry) <= stop;) {
		const struct mb1_mmap_entry *e = (const void *)pos;

		if (e->type != MB1_MMAP_AVAILABLE && e->addr >= 0x100000 && e->len && !(e->addr % BACKING_ALIGN) &&
		    !(e->len % BACKING_ALIGN))
			return e->addr;
		pos += (u64)e->size + sizeof(e->size);
	}
	return 0;
}

void check_boot_info(void)
{
	const struct mb1_info *mbi = boot_mbi;
	u64 pos, stop, plinth = PLINTH_LOAD_BASE;
	bool reserved = false, available = false;
	u32 i;

	if (!check_expect(mbi && (mbi->flags & MB1_INFO_MMAP), "no memory map (flag bit 6)") ||
	    !check_expect(mbi->flags & MB1_INFO_MODS, "no module list (flag bit 3)"))
		return;
	check_expect(mbi->flags & MB1_INFO_CMDLINE, "no command line (flag bit 2)");
	pos = mbi->mmap_addr;
	stop = pos + mbi->mmap_length;
	while (pos + sizeof(struct mb1_mmap_entry) <= stop) {
		const struct mb1_mmap_entry *e = (const void *)pos;

		check_info("mmap 0x%016lx-0x%016lx type %u", e->addr, e->addr + e->len, e->type);
		if (e->addr <= plinth && plinth < e->addr + e->len) {
			if (e->type == MB1_MMAP_AVAILABLE)
				available = true;
			else
				reserved = true;
		}
		pos += (u64)e->size + sizeof(e->size);
	}
	check_expect(available && !reserved, "Plinth's range at 0x%lx is not the guest's available RAM", plinth);
	check_expect(plinth_backing() != 0, "no 2 MiB-aligned reserved chunk (the RAM behind Plinth's range)");
	check_expect(mbi->mods_count >= 1, "no modules after the kernel");
	for (i = 0; i < mbi->mods_count; i++) {
		const struct mb1_module *m = (const struct mb1_module *)(u64)mbi->mods_addr + i;

		check_info("module %u: 0x%x-0x%x '%s'", i, m->mod_start, m->mod_end,
			   m->string ? (const char *)(u64)m->string : "");
		check_expect(m->mod_end > m->mod_start, "module %u is empty", i);
	}
}
