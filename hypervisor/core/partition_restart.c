/* Restarting a partition (the monitor's `restart NAME`, or its own reset request): its ACPI
 * tables written and its kernel loaded again from the module Plinth kept (modules stay outside
 * the free RAM for good); core/launch.c starts its CPUs. Its RAM ranges stay as they were built,
 * so a restart keeps its layout (plinth/ram_layout.h: identity or from 0) and its host chunks.
 * Apart from core/partition.c so that the monitor reaches no VM building. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/launch.h>
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
	/* The loaders and the table builder work in static buffers, and the monitor and a VM's
	 * own reset request may reload two VMs at once. */
	static struct spinlock reload_lock;
	int rc;

	if (!vm->built || !vm->stopped)
		return -EBUSY;
	spin_lock(&vm->uart_lock);
	vuart_reset(&vm->uart);
	spin_unlock(&vm->uart_lock);
	spin_lock(&reload_lock);
	rc = arch_vm_platform_write(vm);
	if (!rc) {
		rc = loader_load(vm, partition_boot, vm->kernel_module);
		if (rc)
			log_warn("%s: cannot restart: its kernel did not load again (error %d)", vm->name, rc);
	}
	spin_unlock(&reload_lock);
	return rc;
}

int partition_restart(struct vm *vm)
{
	int rc;

	if (__atomic_exchange_n(&vm->restarting, true, __ATOMIC_ACQ_REL)) {
		log_warn("%s: a restart of it is already under way", vm->name);
		return -EBUSY;
	}
	if (arch_vm_kick(vm)) {
		log_warn("%s: cannot restart: a vCPU of it is still in guest mode", vm->name);
		rc = -EAGAIN;
	} else {
		rc = partition_reload(vm);
	}
	if (rc) {
		__atomic_store_n(&vm->restarting, false, __ATOMIC_RELEASE);
		return rc;
	}
	log_info(CONSOLE_FMT_VM_RESTARTED, vm->name, vm->starts + 1);
	arch_vm_reset_vcpus(vm);
	launch_restart(vm); /* clears restarting */
	return 0;
}
