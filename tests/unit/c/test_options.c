// sources: hypervisor/core/options.c hypervisor/core/cmdline.c
/* options_parse: the boot options read once into boot_options, with their defaults, the
 * console option's forms and its invalid values, and the words that are not options. */
#include <plinth/options.h>

#include "test.h"

TEST(defaults_without_a_command_line)
{
	options_parse(NULL);
	CHECK_EQ_U64(boot_options.console_port, 0x3f8);
	CHECK_EQ_U64(boot_options.console_baud, 115200);
	CHECK(!boot_options.console_invalid && !boot_options.quiet && !boot_options.fault_given);
	CHECK(!boot_options.debug_hypercalls && !boot_options.iommu_optional);
	CHECK(!boot_options.iommu_selftest && !boot_options.vtd_register_invalidation);
}

TEST(every_option_at_once)
{
	options_parse("console=com2,9600 quiet fault=pf debug_hypercalls iommu=optional iommu_selftest "
		      "vtd_register_invalidation");
	CHECK_EQ_U64(boot_options.console_port, 0x2f8);
	CHECK_EQ_U64(boot_options.console_baud, 9600);
	CHECK(!boot_options.console_invalid);
	CHECK(boot_options.quiet && boot_options.fault_given);
	CHECK_STR(boot_options.fault, "pf");
	CHECK(boot_options.debug_hypercalls && boot_options.iommu_optional);
	CHECK(boot_options.iommu_selftest && boot_options.vtd_register_invalidation);
}

TEST(console_forms)
{
	options_parse("console=ttyS3");
	CHECK_EQ_U64(boot_options.console_port, 0x2e8);
	CHECK_EQ_U64(boot_options.console_baud, 115200);
	options_parse("console=0x3e8,57600");
	CHECK_EQ_U64(boot_options.console_port, 0x3e8);
	CHECK_EQ_U64(boot_options.console_baud, 57600);
	CHECK(!boot_options.console_invalid);
}

TEST(invalid_console_falls_back_and_says_so)
{
	static const char *const bad[] = { "console=com9", "console=com1,9601", "console=com1,230400",
					   "console=0", "console=0xffff", "console=com1,", "console=" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		options_parse(bad[i]);
		CHECK(boot_options.console_invalid);
		CHECK_EQ_U64(boot_options.console_port, 0x3f8);
		CHECK_EQ_U64(boot_options.console_baud, 115200);
	}
}

TEST(iommu_other_than_optional_and_a_bare_fault)
{
	options_parse("iommu=on fault");
	CHECK(!boot_options.iommu_optional);
	CHECK(boot_options.fault_given); /* the arch says it is not understood */
	CHECK_STR(boot_options.fault, "");
}

TEST(a_second_parse_starts_afresh)
{
	options_parse("quiet iommu=optional");
	options_parse("debug_hypercalls");
	CHECK(!boot_options.quiet && !boot_options.iommu_optional && boot_options.debug_hypercalls);
}

TEST(the_guests_words_are_not_options)
{
	options_parse("console=com2 -- quiet iommu=optional");
	CHECK_EQ_U64(boot_options.console_port, 0x2f8);
	CHECK(!boot_options.quiet && !boot_options.iommu_optional);
}
