/* Guest image loaders: the image format is told apart by its headers. */
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
