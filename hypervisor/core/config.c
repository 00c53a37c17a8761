/* VM configuration blobs; see plinth/config.h. Every field is checked before it is used, in
 * the order a reader would check them: the header, then each record, then the set. */
#include <plinth/config.h>
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/string.h>

#define CRC32_POLY 0xedb88320u /* IEEE 802.3, reflected */

/* The CRC register after data, from crc (no inversions: callers chain pieces). */
static u32 crc32_update(u32 crc, const void *data, size_t size)
{
	const u8 *p = data;
	int bit;

	/* Bit at a time: the blob is a few hundred bytes read once at boot, not worth a table. */
	while (size--) {
		crc ^= *p++;
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (CRC32_POLY & (0u - (crc & 1)));
	}
	return crc;
}

u32 crc32(const void *data, size_t size)
{
	return ~crc32_update(~0u, data, size);
}

static int __printf(2, 3) refuse(struct config *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	out->vm_count = 0;
	return -EINVAL;
}

bool config_is_blob(const void *data, u64 size)
{
	return data && size >= sizeof(((struct vmconfig_header *)0)->magic) &&
	       !memcmp(data, VMCONFIG_MAGIC, sizeof(((struct vmconfig_header *)0)->magic));
}

static bool all_zero(const void *p, size_t n)
{
	const u8 *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/* The blob's CRC with its own field taken as zero; length covers the field. */
static u32 blob_crc(const u8 *blob, u32 length)
{
	static const u8 zero[4];
	u32 crc = crc32_update(~0u, blob, VMCONFIG_CRC_OFFSET);

	crc = crc32_update(crc, zero, sizeof(zero));
	crc = crc32_update(crc, blob + VMCONFIG_CRC_OFFSET + 4, length - VMCONFIG_CRC_OFFSET - 4);
	return ~crc;
}

static bool name_ok(const char *name)
{
	u32 i;

	if (!name[0])
		return false;
	for (i = 0; i < VMCONFIG_NAME_LEN && name[i]; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	/* The field is NUL-padded: a 16th character would leave no terminator. */
	if (i == VMCONFIG_NAME_LEN)
		return false;
	for (; i < VMCONFIG_NAME_LEN; i++)
		if (name[i])
			return false;
	return true;
}

/* Lowest set bit's index; mask is not 0. */
static u32 first_cpu(u64 mask)
{
	return (u32)__builtin_ctzll(mask);
}

static bool module_ok(u32 index, const struct config_limits *lim)
{
	return index < lim->module_count && index != lim->blob_module;
}

/* The record's devices: at most VMCONFIG_DEVICES_MAX, zero past the count, each function once in
 * the record and in the records before it (any 16-bit value is a well-formed bus/dev/fn). */
static int check_devices(const struct vmconfig_vm *r, u32 n, struct config *out)
{
	const char *name = out->vms[n].name;
	u32 i, j, k;

	if (r->device_count > VMCONFIG_DEVICES_MAX)
		return refuse(out, "VM '%s': %u devices; a VM owns at most %u", name, r->device_count,
			      VMCONFIG_DEVICES_MAX);
	if (!all_zero((const u8 *)r + __builtin_offsetof(struct vmconfig_vm, devices) + 2 * r->device_count,
		      2 * (VMCONFIG_DEVICES_MAX - r->device_count)))
		return refuse(out, "VM '%s': device entries past its %u are not zero", name, r->device_count);
	for (i = 0; i < r->device_count; i++) {
		u16 bdf = r->devices[i];

		for (j = 0; j < i; j++)
			if (r->devices[j] == bdf)
				return refuse(out, "VM '%s': PCI function %02x:%02x.%u is listed twice", name,
					      bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7);
		for (k = 0; k < n; k++)
			for (j = 0; j < out->vms[k].device_count; j++)
				if (out->vms[k].devices[j] == bdf)
					return refuse(out, "VMs '%s' and '%s' both own PCI function %02x:%02x.%u",
						      out->vms[k].name, name, bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7);
	}
	return 0;
}

static int check_record(const struct vmconfig_vm *r, u32 n, const struct config_limits *lim,
			struct config *out)
{
	struct config_vm *vm = &out->vms[n];
	u32 i;
	int rc;

	if (!name_ok(r->name))
		return refuse(out, "VM record %u: the name is not 1 to 15 of a-z, 0-9, '-', '_' (NUL-padded)",
			      n + 1);
	memcpy(vm->name, r->name, VMCONFIG_NAME_LEN);
	if (!r->cpu_mask)
		return refuse(out, "VM '%s': no CPU", vm->name);
	if (r->cpu_mask & ~lim->cpu_mask)
		return refuse(out, "VM '%s': CPU %u does not exist or is not online (online mask 0x%lx)",
			      vm->name, first_cpu(r->cpu_mask & ~lim->cpu_mask), lim->cpu_mask);
	if (!r->memory || r->memory % VMCONFIG_MEMORY_ALIGN)
		return refuse(out, "VM '%s': memory 0x%lx is not a non-zero multiple of 2 MiB", vm->name,
			      r->memory);
	if (!module_ok(r->kernel_module, lim))
		return refuse(out, "VM '%s': kernel module %u does not exist (modules 0-%u, %u is the configuration)",
			      vm->name, r->kernel_module, lim->module_count - 1, lim->blob_module);
	if (r->initrd_module != VMCONFIG_MODULE_NONE &&
	    (!module_ok(r->initrd_module, lim) || r->initrd_module == r->kernel_module))
		return refuse(out, "VM '%s': initrd module %u does not exist or is its kernel", vm->name,
			      r->initrd_module);
	if (!all_zero(r->reserved0, sizeof(r->reserved0)) || !all_zero(r->reserved1, sizeof(r->reserved1)))
		return refuse(out, "VM '%s': fields this Plinth reserves are not zero (a newer tool made it?)",
			      vm->name);
	if (r->on_reset != VMCONFIG_ON_RESET_RESTART && r->on_reset != VMCONFIG_ON_RESET_STOP)
		return refuse(out, "VM '%s': on_reset %u is neither restart (%u) nor stop (%u)", vm->name,
			      r->on_reset, VMCONFIG_ON_RESET_RESTART, VMCONFIG_ON_RESET_STOP);
	if (r->owns_rest > 1)
		return refuse(out, "VM '%s': owns_rest %u is neither 0 nor 1", vm->name, r->owns_rest);
	rc = check_devices(r, n, out);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		const struct config_vm *o = &out->vms[i];

		if (!strcmp(o->name, vm->name))
			return refuse(out, "VM name '%s' is used twice", vm->name);
		if (o->owns_rest && r->owns_rest)
			return refuse(out, "VMs '%s' and '%s' both own the rest (owns_rest on one VM at most)",
				      o->name, vm->name);
		if (o->cpu_mask & r->cpu_mask)
			return refuse(out, "VMs '%s' and '%s' share CPU %u", o->name, vm->name,
				      first_cpu(o->cpu_mask & r->cpu_mask));
		if (o->kernel_module == r->kernel_module || o->kernel_module == r->initrd_module ||
		    (o->initrd_module != CONFIG_NO_MODULE &&
		     (o->initrd_module == r->kernel_module || o->initrd_module == r->initrd_module)))
			return refuse(out, "VMs '%s' and '%s' name the same module", o->name, vm->name);
	}
	vm->cpu_mask = r->cpu_mask;
	vm->memory = r->memory;
	vm->kernel_module = r->kernel_module;
	vm->initrd_module = r->initrd_module == VMCONFIG_MODULE_NONE ? CONFIG_NO_MODULE : r->initrd_module;
	vm->on_reset = r->on_reset;
	vm->owns_rest = r->owns_rest;
	vm->device_count = r->device_count;
	memcpy(vm->devices, r->devices, sizeof(vm->devices));
	return 0;
}

int config_parse(const void *blob, u64 size, const struct config_limits *lim, struct config *out)
{
	const u8 *b = blob;
	struct vmconfig_header h;
	u64 memory = 0;
	u32 i, crc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!config_is_blob(blob, size))
		return refuse(out, "the module does not start with the magic \"%s\"", VMCONFIG_MAGIC);
	if (size < VMCONFIG_HEADER_SIZE)
		return refuse(out, "%lu bytes, fewer than its %u-byte header", size, VMCONFIG_HEADER_SIZE);
	memcpy(&h, b, sizeof(h));
	if (h.version != VMCONFIG_VERSION)
		return refuse(out, "version %u; this Plinth reads version %u (rebuild it with this tree's tools)",
			      h.version, VMCONFIG_VERSION);
	if (h.header_size != VMCONFIG_HEADER_SIZE || h.vm_size != VMCONFIG_VM_SIZE)
		return refuse(out, "header of %u bytes and VM records of %u, expected %u and %u",
			      h.header_size, h.vm_size, VMCONFIG_HEADER_SIZE, VMCONFIG_VM_SIZE);
	if (!h.vm_count || h.vm_count > VMCONFIG_VM_MAX)
		return refuse(out, "%u VMs; Plinth runs 1 to %u", h.vm_count, VMCONFIG_VM_MAX);
	/* vm_count is at most VMCONFIG_VM_MAX here, so the product cannot wrap. */
	if (h.length != VMCONFIG_HEADER_SIZE + (u32)h.vm_count * VMCONFIG_VM_SIZE || h.length > size)
		return refuse(out, "length field %u does not match %u VM records in a %lu-byte module",
			      h.length, h.vm_count, size);
	crc = blob_crc(b, h.length);
	if (crc != h.crc32)
		return refuse(out, "CRC-32 0x%08x, the bytes give 0x%08x: the blob was damaged", h.crc32, crc);
	if (!all_zero(h.reserved, sizeof(h.reserved)))
		return refuse(out, "reserved header bytes are not zero");
	for (i = 0; i < h.vm_count; i++) {
		struct vmconfig_vm r;

		memcpy(&r, b + VMCONFIG_HEADER_SIZE + i * VMCONFIG_VM_SIZE, sizeof(r));
		rc = check_record(&r, i, lim, out);
		if (rc)
			return rc;
		/* memory <= free_ram holds before each step, so the subtraction cannot wrap. */
		if (r.memory > lim->free_ram - memory)
			return refuse(out, "VM '%s' needs %lu MiB; only %lu MiB of RAM are left for it",
				      out->vms[i].name, r.memory / MIB, (lim->free_ram - memory) / MIB);
		memory += r.memory;
	}
	out->vm_count = h.vm_count;
	return 0;
}
