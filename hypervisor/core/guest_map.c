/* A guest's memory map from the firmware's and the VM's RAM; see plinth/guest_map.h. */
#include <plinth/guest_map.h>
#include <plinth/vm.h>

bool guest_map_ram_type(u32 type)
{
	return type == MB2_MEM_AVAILABLE || type == MB2_MEM_ACPI_RECLAIMABLE || type == MB2_MEM_NVS;
}

/* The end of the run from at (below end) that is all RAM of the VM, or all not RAM. */
static u64 run_end(const struct vm *vm, u64 at, u64 end, bool *ram)
{
	const struct vm_mem *m = vm_mem_find(vm, at, 1);
	u64 next = end;
	u32 i;

	*ram = m && m->kind == VM_MEM_RAM;
	if (*ram)
		return MIN(end, m->gpa + m->size);
	for (i = 0; i < vm->mem_count; i++)
		if (vm->mem[i].kind == VM_MEM_RAM && vm->mem[i].gpa > at)
			next = MIN(next, vm->mem[i].gpa);
	return next;
}

static u32 append(struct mem_range *out, u32 n, u32 max, u64 start, u64 end, u32 type)
{
	if (n && out[n - 1].end == start && out[n - 1].type == type) {
		out[n - 1].end = end;
		return n;
	}
	if (n < max)
		out[n++] = (struct mem_range){ start, end, type };
	return n;
}

/* The VM's RAM in [from, to), available, appended to out. */
static u32 ram_runs(const struct vm *vm, u64 from, u64 to, struct mem_range *out, u32 count, u32 max)
{
	bool ram;

	while (from < to) {
		u64 end = run_end(vm, from, to, &ram);

		if (ram)
			count = append(out, count, max, from, end, MB2_MEM_AVAILABLE);
		from = end;
	}
	return count;
}

/* A partition's map (plinth/guest_map.h): its RAM in a PC's shape, in guest-physical order,
 * up to the end of its highest RAM range; holes between its RAM ranges (an identity layout's,
 * plinth/ram_layout.h) are left out. */
static u32 partition_map(const struct vm *vm, struct mem_range *out, u32 max)
{
	u64 top = vm_mem_ram_end(vm);
	u32 count = ram_runs(vm, 0, MIN(top, GUEST_MAP_LOW_END), out, 0, max);

	if (vm_mem_is_ram(vm, GUEST_MAP_LOW_END, GUEST_MAP_HIGH_START - GUEST_MAP_LOW_END))
		count = append(out, count, max, GUEST_MAP_LOW_END, GUEST_MAP_HIGH_START, MB2_MEM_RESERVED);
	return ram_runs(vm, GUEST_MAP_HIGH_START, top, out, count, max);
}

bool guest_map_reserved(const struct vm *vm, u64 gpa, u64 len)
{
	return vm->partition && gpa < GUEST_MAP_HIGH_START && GUEST_MAP_LOW_END < gpa + len;
}

u32 guest_map(const struct vm *vm, const struct mem_range *fw, u32 n, struct mem_range *out, u32 max)
{
	u32 i, count = 0;

	if (vm->partition)
		return partition_map(vm, out, max);

	for (i = 0; i < n; i++) {
		u64 at = fw[i].start;

		if (!guest_map_ram_type(fw[i].type)) {
			count = append(out, count, max, fw[i].start, fw[i].end, fw[i].type);
			continue;
		}
		while (at < fw[i].end) {
			bool ram;
			u64 end = run_end(vm, at, fw[i].end, &ram);

			count = append(out, count, max, at, end, ram ? fw[i].type : MB2_MEM_RESERVED);
			at = end;
		}
	}
	return count;
}
