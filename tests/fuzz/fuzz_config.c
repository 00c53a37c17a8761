// sources: hypervisor/core/config.c hypervisor/core/format.c
/*
 * The VM configuration blob (core/config.c) on any bytes: a blob can be made by hand. The first
 * byte picks the machine (online CPUs, module count, free RAM); the rest is the blob, its CRC
 * made right half of the time so that the checks after it are reached. Promises: a refused blob
 * leaves no VM and a NUL-terminated reason; an accepted one holds only what the limits allow
 * (CPUs online and disjoint, memory within the free RAM in all, modules that exist and are not
 * the blob, each PCI function owned once, one VM at most owning the rest, a known on_reset).
 */
#include <plinth/config.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	struct config_limits lim;
	u8 *blob;
	u64 memory = 0, cpus = 0;
	u32 i, j, k, l, rest = 0;

	if (!size)
		return 0;
	lim = (struct config_limits){ (1ULL << (1 + (data[0] & 7))) - 1, 1 + ((data[0] >> 3) & 7), 0,
				      (u64)(1 + (data[0] >> 6)) << 28 };
	blob = malloc(size);
	memcpy(blob, data + 1, size - 1);
	if ((data[0] & 0x20) && size - 1 >= VMCONFIG_CRC_OFFSET + 4) {
		u32 zero = 0, crc;

		memcpy(blob + VMCONFIG_CRC_OFFSET, &zero, 4);
		crc = crc32(blob, size - 1);
		memcpy(blob + VMCONFIG_CRC_OFFSET, &crc, 4);
	}
	if (config_parse(blob, size - 1, &lim, &cfg)) {
		FUZZ_ASSERT(cfg.vm_count == 0);
		FUZZ_ASSERT(strnlen(cfg.error, CONFIG_ERROR_LEN) > 0 && strnlen(cfg.error, CONFIG_ERROR_LEN) < CONFIG_ERROR_LEN);
	} else {
		FUZZ_ASSERT(cfg.vm_count >= 1 && cfg.vm_count <= VMCONFIG_VM_MAX);
		for (i = 0; i < cfg.vm_count; i++) {
			const struct config_vm *vm = &cfg.vms[i];

			FUZZ_ASSERT(strnlen(vm->name, VMCONFIG_NAME_LEN) < VMCONFIG_NAME_LEN && vm->name[0]);
			FUZZ_ASSERT(vm->cpu_mask && !(vm->cpu_mask & ~lim.cpu_mask) && !(vm->cpu_mask & cpus));
			FUZZ_ASSERT(vm->memory && vm->memory % VMCONFIG_MEMORY_ALIGN == 0);
			FUZZ_ASSERT(vm->kernel_module < lim.module_count && vm->kernel_module != lim.blob_module);
			FUZZ_ASSERT(vm->on_reset == VMCONFIG_ON_RESET_RESTART || vm->on_reset == VMCONFIG_ON_RESET_STOP);
			FUZZ_ASSERT(vm->device_count <= VMCONFIG_DEVICES_MAX);
			for (j = 0; j < vm->device_count; j++)
				for (k = 0; k <= i; k++)
					for (l = 0; l < (k == i ? j : cfg.vms[k].device_count); l++)
						FUZZ_ASSERT(cfg.vms[k].devices[l] != vm->devices[j]);
			rest += vm->owns_rest;
			cpus |= vm->cpu_mask;
			memory += vm->memory;
		}
		FUZZ_ASSERT(memory <= lim.free_ram);
		FUZZ_ASSERT(rest <= 1);
	}
	free(blob);
	return 0;
}
