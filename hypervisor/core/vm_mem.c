/* A VM's memory ranges; see plinth/vm_mem.h. */
#include <plinth/errno.h>
#include <plinth/vm.h>
#include <plinth/vm_mem.h>

int vm_mem_add(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size, u32 kind)
{
	u32 i;

	if (!size || gpa + size < gpa)
		return -EINVAL;
	for (i = 0; i < vm->mem_count; i++)
		if (gpa < vm->mem[i].gpa + vm->mem[i].size && vm->mem[i].gpa < gpa + size)
			return -EINVAL;
	if (vm->mem_count == VM_MEM_MAX)
		return -ENOSPC;
	vm->mem[vm->mem_count++] = (struct vm_mem){ gpa, hpa, size, kind };
	return 0;
}

const struct vm_mem *vm_mem_find(const struct vm *vm, gpa_t gpa, u64 size)
{
	u32 i;

	for (i = 0; i < vm->mem_count; i++)
		if (gpa >= vm->mem[i].gpa && gpa + size <= vm->mem[i].gpa + vm->mem[i].size && gpa + size >= gpa)
			return &vm->mem[i];
	return NULL;
}

void *vm_mem_ptr(const struct vm *vm, gpa_t gpa, u64 size)
{
	const struct vm_mem *m;
	hpa_t hpa;

	/* One range holds the whole buffer, so it is contiguous in host memory too. */
	if (!size || gpa + size < gpa)
		return NULL;
	m = vm_mem_find(vm, gpa, size);
	if (!m || m->kind != VM_MEM_RAM)
		return NULL;
	hpa = m->hpa + (gpa - m->gpa);
	if (hpa + size > VM_MEM_HOST_LIMIT)
		return NULL;
	return (void *)(uintptr_t)hpa;
}
