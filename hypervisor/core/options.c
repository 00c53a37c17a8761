/* Boot options: the command line read once into boot_options (see plinth/options.h). */
#include <plinth/arch.h>
#include <plinth/cmdline.h>
#include <plinth/options.h>
#include <plinth/string.h>

#define DEFAULT_PORT 0x3f8
#define DEFAULT_BAUD ARCH_CONSOLE_BAUD_BASE

struct boot_options boot_options;

static const struct {
	const char *name;
	u16 port;
} uart_names[] = {
	{ "com1", 0x3f8 }, { "com2", 0x2f8 }, { "com3", 0x3e8 }, { "com4", 0x2e8 },
	{ "ttyS0", 0x3f8 }, { "ttyS1", 0x2f8 }, { "ttyS2", 0x3e8 }, { "ttyS3", 0x2e8 },
};

/* Parses "com1", "0x3f8", "com2,9600" into port and baud; false on anything else. */
static bool parse_console(char *opt, u16 *port, u32 *baud)
{
	char *comma = opt;
	u64 v;
	size_t i;

	while (*comma && *comma != ',')
		comma++;
	if (*comma) {
		*comma = '\0';
		if (!cmdline_parse_u64(comma + 1, &v) || v < 50 || v > ARCH_CONSOLE_BAUD_BASE || ARCH_CONSOLE_BAUD_BASE % v)
			return false;
		*baud = (u32)v;
	}
	for (i = 0; i < ARRAY_SIZE(uart_names); i++) {
		if (!strcmp(opt, uart_names[i].name)) {
			*port = uart_names[i].port;
			return true;
		}
	}
	if (!cmdline_parse_u64(opt, &v) || !v || v > 0xfff8)
		return false;
	*port = (u16)v;
	return true;
}

static bool flag(const char *cmdline, const char *key)
{
	return cmdline_get(cmdline, key, NULL, 0);
}

void options_parse(const char *cmdline)
{
	struct boot_options *o = &boot_options;
	char value[32];

	memset(o, 0, sizeof(*o));
	o->console_port = DEFAULT_PORT;
	o->console_baud = DEFAULT_BAUD;
	if (cmdline_get(cmdline, "console", value, sizeof(value)) &&
	    !parse_console(value, &o->console_port, &o->console_baud)) {
		o->console_invalid = true;
		o->console_port = DEFAULT_PORT;
		o->console_baud = DEFAULT_BAUD;
	}
	o->quiet = flag(cmdline, "quiet");
	o->fault_given = cmdline_get(cmdline, "fault", o->fault, sizeof(o->fault));
	o->fault_all_cpus = flag(cmdline, "fault_all_cpus");
	o->debug_hypercalls = flag(cmdline, "debug_hypercalls");
	o->pool_left_given = cmdline_get(cmdline, "debug_pool_left", value, sizeof(value)) &&
			     cmdline_parse_u64(value, &o->pool_left_kib);
	o->iommu_optional = cmdline_get(cmdline, "iommu", value, sizeof(value)) && !strcmp(value, "optional");
	o->iommu_selftest = flag(cmdline, "iommu_selftest");
	o->vtd_register_invalidation = flag(cmdline, "vtd_register_invalidation");
}
