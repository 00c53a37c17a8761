/* Partitions' refused device MSI vectors, counted and shown by the monitor (x86/vm_msi.h). A
 * leaf: the exit path counts here, the monitor reads here, and neither reaches the other. */
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/vm_msi.h>

static u64 refused[VM_MAX];
static bool said[VM_MAX], has_msi[VM_MAX];

void vm_msi_stats_add(const struct vm *vm)
{
	if (vm->id < VM_MAX)
		has_msi[vm->id] = true;
}

bool vm_msi_count_refusal(const struct vm *vm)
{
	if (vm->id >= VM_MAX)
		return false;
	__atomic_add_fetch(&refused[vm->id], 1, __ATOMIC_RELAXED);
	return !__atomic_exchange_n(&said[vm->id], true, __ATOMIC_RELAXED);
}

void vm_msi_stats_reset(const struct vm *vm)
{
	if (vm->id >= VM_MAX)
		return;
	__atomic_store_n(&refused[vm->id], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&said[vm->id], false, __ATOMIC_RELAXED);
}

void vm_msi_print_stats(const struct vm *vm)
{
	if (vm->partition && vm->id < VM_MAX && has_msi[vm->id])
		printk(CONSOLE_FMT_MSI_STATS "\n", vm->name, __atomic_load_n(&refused[vm->id], __ATOMIC_RELAXED));
}
