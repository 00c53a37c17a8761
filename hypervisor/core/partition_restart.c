/* Restarting a partition (the monitor's `restart NAME`): its kernel loaded again from the module
 * Plinth kept (modules stay outside the free RAM for good); core/launch.c starts its CPUs. Apart
 * from core/partition.c so that the monitor reaches no VM building. */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/loader.h>
#include <plinth/partition.h>
#include <plinth/string.h>

struct boot_info *partition_boot;

struct vm *partition_by_name(const char *name)
{
	u32 i;

	for (i = 0; i < vm_count; i++)
		if (vms[i].partition && !strcmp(vms[i].name, name))
			return &vms[i];
	return NULL;
}

int partition_reload(struct vm *vm)
{
	int rc;

	if (!vm->built || !vm->stopped)
		return -EBUSY;
	spin_lock(&vm->uart_lock);
	vuart_reset(&vm->uart);
	spin_unlock(&vm->uart_lock);
	rc = loader_load(vm, partition_boot, vm->kernel_module);
	if (rc)
		log_warn("%s: cannot restart: its kernel did not load again (error %d)", vm->name, rc);
	return rc;
}
