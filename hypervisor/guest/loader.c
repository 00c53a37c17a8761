/* Guest image loaders: the image format is told apart by its headers. */
#include <plinth/bzimage.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/loader.h>

int loader_load(struct vm *vm, struct boot_info *bi, u32 index)
{
	struct boot_module *m = &bi->modules[index];
	int rc = linux_load(vm, bi, index);

	if (rc == -ENOENT)
		rc = multiboot_load(vm, bi, index);
	if (rc == -ENOENT)
		log_warn("%s: module %u (%s, %lu bytes) is not a kernel Plinth can boot: neither a Linux bzImage nor a multiboot kernel",
			 vm->name, index, m->cmdline && *m->cmdline ? m->cmdline : "no command line",
			 m->end - m->start);
	return rc;
}

bool loader_relocatable(const struct boot_info *bi, u32 index)
{
	/* bzimage_parse is pure: the image is only read; linux_load parses it again to load it. */
	struct bzimage bz;
	const struct boot_module *m = &bi->modules[index];

	return bzimage_parse((const u8 *)(uintptr_t)m->start, m->end - m->start, &bz) == 0 && bz.relocatable;
}
