// sources: hypervisor/core/cmdline.c
/* cmdline_get and cmdline_parse_u64: present, absent and malformed options. */
#include <plinth/cmdline.h>

#include "test.h"

/* Looks key up with a fresh, poisoned value buffer and checks the result and the value. */
#define CHECK_GET(cmdline, key, expect_value)                                               \
	({                                                                                  \
		char v_[64];                                                                \
		memset(v_, '#', sizeof(v_));                                                \
		bool found_ = cmdline_get(cmdline, key, v_, sizeof(v_));                    \
		test_check(found_, __FILE__, __LINE__, "cmdline_get(%s, %s) found nothing", \
			   #cmdline, #key) &&                                               \
			CHECK_STR(v_, expect_value);                                        \
	})

#define CHECK_ABSENT(cmdline, key)                                                          \
	({                                                                                  \
		char v_[8] = "unset";                                                       \
		bool found_ = cmdline_get(cmdline, key, v_, sizeof(v_));                    \
		test_check(!found_, __FILE__, __LINE__, "cmdline_get(%s, %s) found %s",     \
			   #cmdline, #key, #key) &&                                         \
			CHECK_STR(v_, "unset");                                             \
	})

TEST(key_value)
{
	const char *cl = "console=ttyS0,115200 fault=none loglevel=7";

	CHECK_GET(cl, "console", "ttyS0,115200");
	CHECK_GET(cl, "fault", "none");
	CHECK_GET(cl, "loglevel", "7");
	CHECK_ABSENT(cl, "debug");
	CHECK_GET("a=1", "a", "1");
}

TEST(bare_key)
{
	CHECK_GET("nosmp", "nosmp", "");
	CHECK_GET("a=1 nosmp b=2", "nosmp", "");
	CHECK_GET("key=", "key", ""); /* an empty value is still present */
	CHECK_GET("a=1 key= b=2", "key", "");
}

TEST(value_may_contain_equals)
{
	CHECK_GET("opt==x", "opt", "=x");
	CHECK_GET("opt=a=b", "opt", "a=b");
}

TEST(key_prefix_is_not_a_match)
{
	/* "con" is a prefix of "console=" but a different key, and the other way round. */
	CHECK_ABSENT("console=ttyS0", "con");
	CHECK_ABSENT("con", "console");
	CHECK_ABSENT("cons=1", "console");
	CHECK_GET("console=ttyS0 con=1", "con", "1");
	CHECK_GET("con=1 console=ttyS0", "console", "ttyS0");
	CHECK_GET("console_level=3 console=vga", "console", "vga");
	/* A key inside another word's value is not a key. */
	CHECK_ABSENT("x=console=1", "console");
	CHECK_ABSENT("xconsole=1", "console");
}

TEST(first_occurrence_wins)
{
	CHECK_GET("a=1 a=2", "a", "1");
	CHECK_GET("a a=2", "a", "");
}

TEST(whitespace)
{
	CHECK_GET("   a=1   ", "a", "1");
	CHECK_GET("x\ta=1\tb=2", "a", "1");
	CHECK_GET("x\na=1\r\nb=2", "b", "2");
	CHECK_GET("x\na=1\r\nb=2", "a", "1");
	CHECK_ABSENT("   ", "a");
	CHECK_ABSENT("", "a");
}

TEST(guest_options_after_double_dash_ignored)
{
	const char *cl = "console=ttyS0 -- console=ttyS1 root=/dev/sda quiet";

	CHECK_GET(cl, "console", "ttyS0");
	CHECK_ABSENT(cl, "root");
	CHECK_ABSENT(cl, "quiet");
	CHECK_ABSENT("-- a=1", "a");
	CHECK_ABSENT("x\t--\ta=1", "a");
	CHECK_GET("a=1 --", "a", "1");
	/* Only a lone "--" ends the options. */
	CHECK_GET("--x a=1", "a", "1");
	CHECK_GET("a=-- b=2", "b", "2");
	CHECK_GET("a=-- b=2", "a", "--");
	CHECK_GET("--- b=2", "b", "2");
	CHECK_GET("x=1 --verbose", "--verbose", "");
}

TEST(null_and_empty_arguments)
{
	char v[4] = "abc";

	CHECK(!cmdline_get(NULL, "console", v, sizeof(v)));
	CHECK(!cmdline_get("console=x", NULL, v, sizeof(v)));
	CHECK(!cmdline_get("console=x", "", v, sizeof(v)));
	CHECK(!cmdline_get("=x", "", v, sizeof(v)));
	CHECK_STR(v, "abc");
	/* Presence only: no value buffer. */
	CHECK(cmdline_get("console=x", "console", NULL, 0));
	CHECK(cmdline_get("console=x", "console", NULL, 16));
	CHECK(!cmdline_get("console=x", "fault", NULL, 0));
	/* n == 0 must not write even when val is given. */
	CHECK(cmdline_get("console=x", "console", v, 0));
	CHECK_STR(v, "abc");
}

TEST(value_truncated_and_terminated)
{
	char v[8];

	memset(v, '#', sizeof(v));
	CHECK(cmdline_get("console=ttyS0,115200", "console", v, 4));
	CHECK_STR(v, "tty");
	CHECK(memcmp(v + 4, "####", 4) == 0); /* nothing written past n */

	memset(v, '#', sizeof(v));
	CHECK(cmdline_get("console=ttyS0", "console", v, 1));
	CHECK_EQ_INT(v[0], '\0');
	CHECK_EQ_INT(v[1], '#');

	/* Exactly fits: 5 characters and the NUL. */
	CHECK(cmdline_get("a=12345 b", "a", v, 6));
	CHECK_STR(v, "12345");
}

/* Parses s and checks success and the value; out is poisoned first. */
#define CHECK_U64(s, expect)                                                                \
	({                                                                                  \
		u64 out_ = 0xdeadbeef;                                                      \
		test_check(cmdline_parse_u64(s, &out_), __FILE__, __LINE__,                \
			   "cmdline_parse_u64(%s) rejected it", #s) &&                      \
			CHECK_EQ_U64(out_, expect);                                         \
	})

/* Checks that s is rejected and out left alone. */
#define CHECK_U64_BAD(s)                                                                    \
	({                                                                                  \
		u64 out_ = 0xdeadbeef;                                                      \
		test_check(!cmdline_parse_u64(s, &out_), __FILE__, __LINE__,               \
			   "cmdline_parse_u64(%s) accepted it as %llu", #s,                 \
			   (unsigned long long)out_) &&                                     \
			CHECK_EQ_U64(out_, 0xdeadbeef);                                     \
	})

TEST(parse_u64_decimal)
{
	CHECK_U64("0", 0);
	CHECK_U64("7", 7);
	CHECK_U64("115200", 115200);
	CHECK_U64("007", 7); /* decimal, not octal */
	CHECK_U64("18446744073709551615", UINT64_MAX);
	CHECK_U64("00000000000000000000018446744073709551615", UINT64_MAX);
}

TEST(parse_u64_hex)
{
	CHECK_U64("0x0", 0);
	CHECK_U64("0x3f8", 0x3f8);
	CHECK_U64("0X3F8", 0x3f8);
	CHECK_U64("0xAbCdEf", 0xabcdef);
	CHECK_U64("0xffffffffffffffff", UINT64_MAX);
	CHECK_U64("0x00000000000000000001", 1);
}

TEST(parse_u64_junk)
{
	CHECK_U64_BAD("abc"); /* hex digits without 0x */
	CHECK_U64_BAD("12a");
	CHECK_U64_BAD("0x1g");
	CHECK_U64_BAD("-1");
	CHECK_U64_BAD("+1");
	CHECK_U64_BAD(" 1");
	CHECK_U64_BAD("1 ");
	CHECK_U64_BAD("1,5");
	CHECK_U64_BAD("00x5");
	CHECK_U64_BAD("0x0x5");
	CHECK_U64_BAD("x10");
}

TEST(parse_u64_empty_and_prefix_only)
{
	u64 out = 0xdeadbeef;

	CHECK_U64_BAD("");
	CHECK_U64_BAD("0x");
	CHECK_U64_BAD("0X");
	CHECK(!cmdline_parse_u64(NULL, &out));
	CHECK_EQ_U64(out, 0xdeadbeef);
}

TEST(parse_u64_overflow)
{
	CHECK_U64_BAD("18446744073709551616");  /* 2^64 */
	CHECK_U64_BAD("18446744073709551620");
	CHECK_U64_BAD("99999999999999999999");
	CHECK_U64_BAD("184467440737095516150"); /* UINT64_MAX * 10 */
	CHECK_U64_BAD("0x10000000000000000");   /* 2^64 */
	CHECK_U64_BAD("0xfffffffffffffffff");
	CHECK_U64("18446744073709551614", UINT64_MAX - 1);
}
