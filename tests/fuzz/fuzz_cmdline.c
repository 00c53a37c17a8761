// sources: hypervisor/core/cmdline.c hypervisor/core/options.c
/*
 * Plinth's command line (core/cmdline.c, core/options.c) on any string: GRUB passes whatever
 * grub.cfg says. The input, NUL-terminated, goes through options_parse and the lookups and
 * number parser it is built on. Promises: values come back NUL-terminated within their buffer;
 * a number that parses is the number the text says.
 */
#include <plinth/cmdline.h>
#include <plinth/options.h>

#include "fuzz.h"

static const char *const keys[] = { "console", "fault", "quiet", "iommu", "--", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), val[16];
	u64 n;
	size_t i;

	memcpy(s, data, size);
	s[size] = '\0';
	options_parse(s);
	FUZZ_ASSERT(strnlen(boot_options.fault, OPTIONS_FAULT_LEN) < OPTIONS_FAULT_LEN);
	FUZZ_ASSERT(boot_options.console_baud != 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memset(val, 'x', sizeof(val));
		if (cmdline_get(s, keys[i], val, sizeof(val)))
			FUZZ_ASSERT(strnlen(val, sizeof(val)) < sizeof(val));
	}
	/* Digits only (decimal, or hex after 0x), so the C library agrees on the value. */
	if (cmdline_parse_u64(s, &n))
		FUZZ_ASSERT(n == strtoull(s, NULL, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10));
	free(s);
	return 0;
}
