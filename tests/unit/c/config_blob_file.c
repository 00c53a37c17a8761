// sources: hypervisor/core/config.c hypervisor/core/format.c
/*
 * Plinth's configuration parser run on a blob file, on the host, for tests/unit/test_vmconfig.py
 * (the Python packer's blobs must read back as the tools meant them):
 *
 *   config_blob_file FILE CPU_MASK MODULES FREE_MIB
 *
 * prints "vm NAME cpus 0xMASK memory BYTES kernel N initrd N on_reset N owns_rest N devices BB:DD.F ..."
 * per VM (initrd -1 for none), or
 * "error: ..." with the parser's sentence; exit status 0 either way, 2 for a usage or I/O
 * problem. The blob is module 0. Not a test_*.c file: the C test glob does not run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <plinth/config.h>

int main(int argc, char **argv)
{
	static u8 blob[1 << 16];
	static struct config cfg;
	struct config_limits lim = { 0 };
	size_t n;
	FILE *f;
	u32 i, j;

	if (argc != 5) {
		fprintf(stderr, "usage: %s FILE CPU_MASK MODULES FREE_MIB\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	n = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	lim.cpu_mask = strtoull(argv[2], NULL, 0);
	lim.module_count = (u32)strtoul(argv[3], NULL, 0);
	lim.free_ram = strtoull(argv[4], NULL, 0) * MIB;
	if (config_parse(blob, n, &lim, &cfg)) {
		printf("error: %s\n", cfg.error);
		return 0;
	}
	for (i = 0; i < cfg.vm_count; i++) {
		printf("vm %s cpus 0x%llx memory %llu kernel %u initrd %d on_reset %u owns_rest %u devices", cfg.vms[i].name,
		       (unsigned long long)cfg.vms[i].cpu_mask, (unsigned long long)cfg.vms[i].memory,
		       cfg.vms[i].kernel_module,
		       cfg.vms[i].initrd_module == CONFIG_NO_MODULE ? -1 : (int)cfg.vms[i].initrd_module,
		       cfg.vms[i].on_reset, cfg.vms[i].owns_rest);
		for (j = 0; j < cfg.vms[i].device_count; j++)
			printf(" %02x:%02x.%u", cfg.vms[i].devices[j] >> 8, (cfg.vms[i].devices[j] >> 3) & 0x1f,
			       cfg.vms[i].devices[j] & 7);
		printf("\n");
	}
	return 0;
}
