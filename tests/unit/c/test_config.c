// sources: hypervisor/core/config.c hypervisor/core/format.c
/*
 * config_parse: good blobs, and every way a blob can be bad or lie about the machine. The
 * blobs are built here field by field (the Python packer's round trip through this parser is
 * tests/unit/test_vmconfig.py's job, with config_blob_file.c).
 */
#include <plinth/config.h>
#include <plinth/errno.h>

#include "test.h"

struct blob {
	struct vmconfig_header h;
	struct vmconfig_vm vm[VMCONFIG_VM_MAX];
} __attribute__((packed));

static const struct config_limits machine = {
	.cpu_mask = 0xf, .module_count = 5, .blob_module = 0, .free_ram = 1024 * MIB
};

static void seal(struct blob *b)
{
	b->h.length = VMCONFIG_HEADER_SIZE + b->h.vm_count * VMCONFIG_VM_SIZE;
	b->h.crc32 = 0;
	b->h.crc32 = crc32(b, b->h.length);
}

static void vm(struct blob *b, u32 i, const char *name, u64 cpus, u64 memory, u16 kernel, u16 initrd)
{
	memset(&b->vm[i], 0, sizeof(b->vm[i]));
	memcpy(b->vm[i].name, name, strlen(name));
	b->vm[i].cpu_mask = cpus;
	b->vm[i].memory = memory;
	b->vm[i].kernel_module = kernel;
	b->vm[i].initrd_module = initrd;
}

/* Two VMs: rtos on CPU 1 (module 1), linux on CPUs 0 and 2 (modules 2 and 3). */
static struct blob two(void)
{
	struct blob b;

	memset(&b, 0, sizeof(b));
	memcpy(b.h.magic, VMCONFIG_MAGIC, 8);
	b.h.version = VMCONFIG_VERSION;
	b.h.header_size = VMCONFIG_HEADER_SIZE;
	b.h.vm_size = VMCONFIG_VM_SIZE;
	b.h.vm_count = 2;
	vm(&b, 0, "rtos", 0x2, 32 * MIB, 1, VMCONFIG_MODULE_NONE);
	vm(&b, 1, "linux", 0x5, 256 * MIB, 2, 3);
	seal(&b);
	return b;
}

static struct config cfg;

static int parse(const struct blob *b)
{
	return config_parse(b, b->h.length, &machine, &cfg);
}

#define CHECK_REFUSED(b, text)                                                              \
	do {                                                                                \
		CHECK_EQ_U64(parse(&(b)), (u64)-EINVAL);                                    \
		CHECK(strstr(cfg.error, text) != NULL);                                     \
		CHECK_EQ_U64(cfg.vm_count, 0);                                              \
	} while (0)

TEST(crc32_matches_zlib)
{
	/* zlib.crc32(b"123456789") is the standard check value. */
	CHECK_EQ_U64(crc32("123456789", 9), 0xcbf43926);
	CHECK_EQ_U64(crc32("", 0), 0);
}

TEST(good_blob)
{
	struct blob b = two();

	REQUIRE(parse(&b) == 0);
	CHECK_EQ_U64(cfg.vm_count, 2);
	CHECK_STR(cfg.vms[0].name, "rtos");
	CHECK_EQ_U64(cfg.vms[0].cpu_mask, 0x2);
	CHECK_EQ_U64(cfg.vms[0].memory, 32 * MIB);
	CHECK_EQ_U64(cfg.vms[0].kernel_module, 1);
	CHECK_EQ_U64(cfg.vms[0].initrd_module, CONFIG_NO_MODULE);
	CHECK_STR(cfg.vms[1].name, "linux");
	CHECK_EQ_U64(cfg.vms[1].initrd_module, 3);
	CHECK(config_is_blob(&b, sizeof(b)));
	CHECK(!config_is_blob("PLINTHV", 7));
}

TEST(header_damage)
{
	struct blob b = two();

	b.vm[1].memory ^= 0x1000; /* one flipped bit, CRC not updated */
	CHECK_REFUSED(b, "CRC-32");
	b = two();
	b.h.magic[0] = 'Q';
	CHECK_REFUSED(b, "magic");
	b = two();
	b.h.version = VMCONFIG_VERSION + 1;
	seal(&b);
	CHECK_REFUSED(b, "version 3");
	b = two();
	CHECK_EQ_U64(config_parse(&b, b.h.length - 1, &machine, &cfg), (u64)-EINVAL);
	CHECK(strstr(cfg.error, "length field") != NULL);
	CHECK_EQ_U64(config_parse(&b, 12, &machine, &cfg), (u64)-EINVAL);
	CHECK(strstr(cfg.error, "header") != NULL);
	b = two();
	b.h.vm_count = 0;
	seal(&b);
	CHECK_REFUSED(b, "0 VMs");
	b = two();
	b.h.vm_count = 200;
	b.h.crc32 = 0;
	b.h.length = sizeof(b);
	CHECK_EQ_U64(config_parse(&b, sizeof(b), &machine, &cfg), (u64)-EINVAL);
	CHECK(strstr(cfg.error, "200 VMs") != NULL);
	b = two();
	b.h.vm_size = 81;
	seal(&b);
	CHECK_REFUSED(b, "VM records of 81");
	b = two();
	b.h.reserved[3] = 1;
	seal(&b);
	CHECK_REFUSED(b, "reserved header");
}

TEST(records_that_lie_about_the_machine)
{
	struct blob b = two();

	b.vm[0].cpu_mask = 0x10; /* CPU 4 of a 4-CPU machine */
	seal(&b);
	CHECK_REFUSED(b, "CPU 4 does not exist");
	b = two();
	b.vm[1].memory = 2048 * MIB;
	seal(&b);
	CHECK_REFUSED(b, "needs 2048 MiB");
	b = two();
	b.vm[0].memory = 0xffffffffffe00000ULL; /* a sum that would wrap */
	seal(&b);
	CHECK_REFUSED(b, "'rtos' needs");
	b = two();
	b.vm[1].kernel_module = 9;
	seal(&b);
	CHECK_REFUSED(b, "kernel module 9 does not exist");
	b = two();
	b.vm[1].kernel_module = 0; /* the blob itself */
	seal(&b);
	CHECK_REFUSED(b, "kernel module 0");
	b = two();
	b.vm[1].initrd_module = 7;
	seal(&b);
	CHECK_REFUSED(b, "initrd module 7");
}

TEST(records_that_contradict_each_other)
{
	struct blob b = two();

	b.vm[1].cpu_mask = 0x3;
	seal(&b);
	CHECK_REFUSED(b, "share CPU 1");
	b = two();
	memcpy(b.vm[1].name, "rtos\0", 6);
	seal(&b);
	CHECK_REFUSED(b, "used twice");
	b = two();
	b.vm[1].kernel_module = 1;
	seal(&b);
	CHECK_REFUSED(b, "same module");
	b = two();
	b.vm[0].cpu_mask = 0;
	seal(&b);
	CHECK_REFUSED(b, "no CPU");
	b = two();
	b.vm[0].memory = 3 * MIB;
	seal(&b);
	CHECK_REFUSED(b, "multiple of 2 MiB");
}

TEST(names)
{
	struct blob b = two();

	memcpy(b.vm[0].name, "Rtos", 4);
	seal(&b);
	CHECK_REFUSED(b, "record 1: the name");
	b = two();
	memset(b.vm[0].name, 'a', VMCONFIG_NAME_LEN); /* no terminator */
	seal(&b);
	CHECK_REFUSED(b, "record 1");
	b = two();
	memset(b.vm[0].name, 0, VMCONFIG_NAME_LEN);
	seal(&b);
	CHECK_REFUSED(b, "record 1");
	b = two();
	b.vm[0].name[6] = 'x'; /* "rtos\0\0x": junk after the terminator */
	seal(&b);
	CHECK_REFUSED(b, "record 1");
	b = two();
	b.vm[0].reserved1[1] = 1;
	seal(&b);
	CHECK_REFUSED(b, "reserves");
}

TEST(devices_owns_rest_and_on_reset_are_read)
{
	struct blob b = two();

	b.vm[0].device_count = 2;
	b.vm[0].devices[0] = 0x0018; /* 00:03.0 */
	b.vm[0].devices[1] = 0xff07; /* ff:00.7 */
	b.vm[0].on_reset = VMCONFIG_ON_RESET_STOP;
	b.vm[1].owns_rest = 1;
	b.vm[1].device_count = VMCONFIG_DEVICES_MAX;
	for (u32 i = 0; i < VMCONFIG_DEVICES_MAX; i++)
		b.vm[1].devices[i] = (u16)(0x0100 + i);
	seal(&b);
	REQUIRE(parse(&b) == 0);
	CHECK_EQ_U64(cfg.vms[0].device_count, 2);
	CHECK_EQ_U64(cfg.vms[0].devices[0], 0x0018);
	CHECK_EQ_U64(cfg.vms[0].devices[1], 0xff07);
	CHECK_EQ_U64(cfg.vms[0].on_reset, VMCONFIG_ON_RESET_STOP);
	CHECK(!cfg.vms[0].owns_rest);
	CHECK_EQ_U64(cfg.vms[1].on_reset, VMCONFIG_ON_RESET_RESTART);
	CHECK(cfg.vms[1].owns_rest);
	CHECK_EQ_U64(cfg.vms[1].device_count, VMCONFIG_DEVICES_MAX);
	CHECK_EQ_U64(cfg.vms[1].devices[VMCONFIG_DEVICES_MAX - 1], 0x0100 + VMCONFIG_DEVICES_MAX - 1);
}

TEST(devices_owns_rest_and_on_reset_that_are_wrong)
{
	struct blob b = two();

	b.vm[0].device_count = VMCONFIG_DEVICES_MAX + 1;
	seal(&b);
	CHECK_REFUSED(b, "17 devices; a VM owns at most 16");
	b = two();
	b.vm[0].device_count = 1;
	b.vm[0].devices[1] = 0x18; /* past the count */
	seal(&b);
	CHECK_REFUSED(b, "past its 1 are not zero");
	b = two();
	b.vm[0].device_count = 2;
	b.vm[0].devices[0] = b.vm[0].devices[1] = 0x18;
	seal(&b);
	CHECK_REFUSED(b, "VM 'rtos': PCI function 00:03.0 is listed twice");
	b = two();
	b.vm[0].device_count = 1;
	b.vm[0].devices[0] = 0x18;
	b.vm[1].device_count = 2;
	b.vm[1].devices[0] = 0x20;
	b.vm[1].devices[1] = 0x18;
	seal(&b);
	CHECK_REFUSED(b, "VMs 'rtos' and 'linux' both own PCI function 00:03.0");
	b = two();
	b.vm[0].owns_rest = b.vm[1].owns_rest = 1;
	seal(&b);
	CHECK_REFUSED(b, "both own the rest");
	b = two();
	b.vm[1].owns_rest = 2;
	seal(&b);
	CHECK_REFUSED(b, "owns_rest 2");
	b = two();
	b.vm[1].on_reset = 2;
	seal(&b);
	CHECK_REFUSED(b, "on_reset 2 is neither");
}
