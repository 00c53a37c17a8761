/*
 * VM configurations (core/config.c): the blob `tools/plinth image --config` packs from a TOML
 * file (tools/vmconfig.py defines its layout; build/generated/vmconfig.h is the same layout
 * for C). The tools check the file, and Plinth checks the blob again against the machine it
 * boots on: a blob can be made by hand. Pure: host-tested and fuzzed.
 */
#ifndef PLINTH_CONFIG_H
#define PLINTH_CONFIG_H

#include <plinth/types.h>
#include <vmconfig.h>

#define CONFIG_ERROR_LEN 192

/* What the machine offers, for the checks that need it. */
struct config_limits {
	u64 cpu_mask;	  /* CPUs that are online (bit n: Plinth's CPU n) */
	u32 module_count; /* multiboot2 modules, the blob's own included */
	u32 blob_module;  /* the blob's module index (no VM may boot it) */
	u64 free_ram;	  /* bytes Plinth can give to VMs */
};

struct config_vm {
	char name[VMCONFIG_NAME_LEN]; /* NUL-terminated */
	u64 cpu_mask;
	u64 memory;
	u32 kernel_module;
	u32 initrd_module; /* CONFIG_NO_MODULE when there is none */
	u8 on_reset;	   /* VMCONFIG_ON_RESET_* */
	bool owns_rest;	   /* every PCI function no VM lists is its (one VM at most) */
	u32 device_count;
	u16 devices[VMCONFIG_DEVICES_MAX]; /* bus << 8 | dev << 3 | fn, each once in the blob */
};

#define CONFIG_NO_MODULE 0xffffffffu

struct config {
	u32 vm_count;
	struct config_vm vms[VMCONFIG_VM_MAX];
	/* Why the blob was refused: one sentence naming the VM record and the field. */
	char error[CONFIG_ERROR_LEN];
};

/* Whether size bytes at data start with the configuration magic (a blob, good or bad). */
bool config_is_blob(const void *data, u64 size);

/* Reads and checks the blob: 0 with *out filled in, or -EINVAL with out->error set. Nothing
 * of a refused blob may be used: out->vm_count is 0 then. */
int config_parse(const void *blob, u64 size, const struct config_limits *lim, struct config *out);

/* CRC-32 as zlib computes it (IEEE 802.3, reflected, initial and final ~0). */
u32 crc32(const void *data, size_t size);

#endif
