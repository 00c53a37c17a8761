/* A VM's memory ranges; see plinth/vm_mem.h. */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <plinth/vm.h>
#include <plinth/vm_mem.h>

int vm_mem_add(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size, u32 kind)
{
	u32 i;

	if (!size || gpa + size < gpa || hpa + size < hpa)
		return -EINVAL;
	for (i = 0; i < vm->mem_count; i++)
		if (gpa < vm->mem[i].gpa + vm->mem[i].size && vm->mem[i].gpa < gpa + size)
			return -EINVAL;
	if (vm->mem_count == VM_MEM_MAX)
		return -ENOSPC;
	vm->mem[vm->mem_count++] = (struct vm_mem){ gpa, hpa, size, kind };
	return 0;
}

int vm_mem_remove(struct vm *vm, gpa_t gpa, u64 size)
{
	struct vm_mem *m = (struct vm_mem *)vm_mem_find(vm, gpa, size), after;

	if (!size || !m)
		return -EINVAL;
	after = (struct vm_mem){ gpa + size, m->hpa + (gpa + size - m->gpa), m->gpa + m->size - (gpa + size), m->kind };
	if (after.size && gpa > m->gpa && vm->mem_count == VM_MEM_MAX)
		return -ENOSPC;
	if (gpa > m->gpa) {
		m->size = gpa - m->gpa;
		if (after.size)
			vm->mem[vm->mem_count++] = after;
		return 0;
	}
	if (after.size) {
		*m = after;
		return 0;
	}
	*m = vm->mem[--vm->mem_count];
	return 0;
}

const struct vm_mem *vm_mem_find(const struct vm *vm, gpa_t gpa, u64 size)
{
	u32 i;

	if (gpa + size < gpa)
		return NULL;
	for (i = 0; i < vm->mem_count; i++)
		if (gpa >= vm->mem[i].gpa && gpa + size <= vm->mem[i].gpa + vm->mem[i].size)
			return &vm->mem[i];
	return NULL;
}

void *vm_mem_ptr(const struct vm *vm, gpa_t gpa, u64 size)
{
	const struct vm_mem *m;

	/* One range holds the whole buffer, so it is contiguous in host memory too. Plinth's
	 * page tables map all RAM of the memory map, so every RAM range is reachable. */
	if (!size)
		return NULL;
	m = vm_mem_find(vm, gpa, size);
	if (!m || m->kind != VM_MEM_RAM)
		return NULL;
	return (void *)(uintptr_t)(m->hpa + (gpa - m->gpa));
}

bool vm_mem_touches_ram(const struct vm *vm, gpa_t gpa, u64 len)
{
	u32 i;

	if (!len)
		return false;
	for (i = 0; i < vm->mem_count; i++) {
		const struct vm_mem *m = &vm->mem[i];

		if (m->kind == VM_MEM_RAM && (gpa + len < gpa || (gpa < m->gpa + m->size && m->gpa < gpa + len)))
			return true;
	}
	return false;
}

u64 vm_mem_ram_end(const struct vm *vm)
{
	u64 end = 0;
	u32 i;

	for (i = 0; i < vm->mem_count; i++)
		if (vm->mem[i].kind == VM_MEM_RAM)
			end = MAX(end, vm->mem[i].gpa + vm->mem[i].size);
	return end;
}

/* The RAM range holding gpa and how many bytes of [gpa, gpa + len) it holds from there. */
static const struct vm_mem *ram_piece(const struct vm *vm, gpa_t gpa, u64 len, u64 *piece)
{
	const struct vm_mem *m = vm_mem_find(vm, gpa, 1);

	if (!m || m->kind != VM_MEM_RAM)
		return NULL;
	*piece = MIN(len, m->gpa + m->size - gpa);
	return m;
}

bool vm_mem_is_ram(const struct vm *vm, gpa_t gpa, u64 len)
{
	u64 piece;

	if (gpa + len < gpa)
		return false;
	while (len) {
		if (!ram_piece(vm, gpa, len, &piece))
			return false;
		gpa += piece;
		len -= piece;
	}
	return true;
}

int vm_mem_host_piece(const struct vm *vm, gpa_t gpa, u64 len, hpa_t *hpa, u64 *piece)
{
	const struct vm_mem *m = len ? ram_piece(vm, gpa, len, piece) : NULL;

	if (!m)
		return -EFAULT;
	*hpa = m->hpa + (gpa - m->gpa);
	return 0;
}

/* Copies between Plinth's buffer and guest RAM, one range at a time; nothing is copied
 * unless every byte is RAM, so a refused copy leaves the guest as it was. */
static int copy(const struct vm *vm, gpa_t gpa, void *buf, u64 len, bool to_guest, bool zero)
{
	u8 *b = buf;
	u64 piece;

	if (!vm_mem_is_ram(vm, gpa, len))
		return -EFAULT;
	while (len) {
		const struct vm_mem *m = ram_piece(vm, gpa, len, &piece);
		u8 *host = (u8 *)(uintptr_t)(m->hpa + (gpa - m->gpa));

		if (zero)
			memset(host, 0, piece);
		else if (to_guest)
			memmove(host, b, piece);
		else
			memmove(b, host, piece);
		if (b)
			b += piece;
		gpa += piece;
		len -= piece;
	}
	return 0;
}

int vm_mem_write(const struct vm *vm, gpa_t gpa, const void *src, u64 len)
{
	return copy(vm, gpa, (void *)(uintptr_t)src, len, true, false);
}

int vm_mem_read(const struct vm *vm, gpa_t gpa, void *dst, u64 len)
{
	return copy(vm, gpa, dst, len, false, false);
}

int vm_mem_zero(const struct vm *vm, gpa_t gpa, u64 len)
{
	return copy(vm, gpa, NULL, len, true, true);
}
