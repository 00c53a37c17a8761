// sources: hypervisor/core/format.c
/* format()/vformat(): every conversion, flags, widths, precision, truncation, bad formats. */
#include <limits.h>
#include <plinth/format.h>

#include "test.h"

/* Formats into a large buffer and checks both the text and the returned length. format() keeps
 * its printf attribute, so gcc checks that each test passes the arguments the format wants. */
#define CHECK_FMT(expect, ...)                                                           \
	({                                                                               \
		char b_[512];                                                            \
		int n_ = format(b_, sizeof(b_), __VA_ARGS__);                            \
		check_fmt(expect, b_, n_, #__VA_ARGS__, __FILE__, __LINE__);             \
	})

/* The same through a wrapper without the attribute, for formats gcc rightly warns about
 * (unknown conversions, a trailing '%', flags it calls meaningless) and NULL for %s. */
#define CHECK_FMT_RAW(expect, ...)                                                       \
	({                                                                               \
		char b_[512];                                                            \
		int n_ = format_unchecked(b_, sizeof(b_), __VA_ARGS__);                  \
		check_fmt(expect, b_, n_, #__VA_ARGS__, __FILE__, __LINE__);             \
	})

static int format_unchecked(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static bool check_fmt(const char *expect, const char *got, int n, const char *args,
		      const char *file, int line)
{
	bool ok = test_str(got, expect, args, "expected", file, line);

	return test_eq_int(n, (long long)strlen(expect), "return value", "strlen(expected)", file,
			   line) && ok;
}

TEST(plain_text)
{
	CHECK_FMT("", "%s", "");
	CHECK_FMT("hello, world", "hello, world");
	CHECK_FMT("tab\tnewline\n", "tab\tnewline\n");
	CHECK_FMT_RAW("", "");
}

TEST(signed_decimal)
{
	CHECK_FMT("0", "%d", 0);
	CHECK_FMT("42", "%d", 42);
	CHECK_FMT("-42", "%d", -42);
	CHECK_FMT("7", "%i", 7);
	CHECK_FMT("-7", "%i", -7);
	CHECK_FMT("2147483647", "%d", INT_MAX);
	CHECK_FMT("-2147483648", "%d", INT_MIN);
	/* An int argument is read as an int: the next argument still lines up. */
	CHECK_FMT("-1 5", "%d %ld", -1, 5L);
}

TEST(signed_64bit)
{
	CHECK_FMT("-9223372036854775808", "%ld", (long)INT64_MIN);
	CHECK_FMT("9223372036854775807", "%ld", (long)INT64_MAX);
	CHECK_FMT("-1", "%lld", -1LL);
	CHECK_FMT("-9223372036854775808", "%lli", LLONG_MIN);
	CHECK_FMT("0", "%ld", 0L);
	CHECK_FMT("-5", "%zd", (ptrdiff_t)-5);
}

TEST(unsigned_decimal)
{
	CHECK_FMT("0", "%u", 0u);
	CHECK_FMT("4294967295", "%u", UINT_MAX);
	CHECK_FMT("4294967295", "%u", (unsigned)-1);
	CHECK_FMT("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
	CHECK_FMT("18446744073709551615", "%llu", ULLONG_MAX);
	CHECK_FMT("18446744073709551615", "%zu", SIZE_MAX);
}

TEST(hexadecimal)
{
	CHECK_FMT("0", "%x", 0u);
	CHECK_FMT("beef", "%x", 0xbeefu);
	CHECK_FMT("BEEF", "%X", 0xbeefu);
	CHECK_FMT("ffffffff", "%x", UINT_MAX);
	/* A 32-bit argument is not sign-extended to 64 bits. */
	CHECK_FMT("ffffffff", "%x", (unsigned)-1);
	CHECK_FMT("ffffffffffffffff", "%lx", (unsigned long)0xffffffffffffffffULL);
	CHECK_FMT("FFFFFFFFFFFFFFFF", "%lX", (unsigned long)UINT64_MAX);
	CHECK_FMT("123456789abcdef0", "%llx", 0x123456789abcdef0ULL);
	CHECK_FMT("1000", "%zx", (size_t)0x1000);
}

TEST(pointer)
{
	CHECK_FMT("0x0000000000001234", "%p", (void *)0x1234);
	CHECK_FMT("0x0000000000000000", "%p", (void *)NULL);
	CHECK_FMT("0xffff800000000000", "%p", (void *)0xffff800000000000ULL);
	CHECK_FMT("[0xffffffffffffffff]", "[%p]", (void *)UINTPTR_MAX);
	/* Width and '-' apply to the whole 18-character field. */
	CHECK_FMT("[  0x0000000000000010]", "[%20p]", (void *)0x10);
	CHECK_FMT("[0x0000000000000010  ]", "[%-20p]", (void *)0x10);
}

TEST(character)
{
	char buf[8];
	int n;

	CHECK_FMT("A", "%c", 'A');
	CHECK_FMT("  A", "%3c", 'A');
	CHECK_FMT("A  |", "%-3c|", 'A');
	CHECK_FMT("x=%", "x=%c", '%');
	/* A NUL character is output and counted like any other. */
	memset(buf, 'X', sizeof(buf));
	n = format(buf, sizeof(buf), "a%cb", 0);
	CHECK_EQ_INT(n, 3);
	CHECK(memcmp(buf, "a\0b\0", 4) == 0);
}

TEST(string)
{
	CHECK_FMT("abc", "%s", "abc");
	CHECK_FMT("[abc]", "[%s]", "abc");
	CHECK_FMT("  abc", "%5s", "abc");
	CHECK_FMT("abc  |", "%-5s|", "abc");
	CHECK_FMT("abcdef", "%3s", "abcdef");
	CHECK_FMT("a b", "%s %s", "a", "b");
	CHECK_FMT_RAW("(null)", "%s", (char *)NULL);
	CHECK_FMT_RAW("  (null)", "%8s", (char *)NULL);
}

TEST(string_precision)
{
	/* No NUL: the precision must stop the read (AddressSanitizer would see an overread). */
	static const char unterminated[3] = { 'x', 'y', 'z' };

	CHECK_FMT("ab", "%.2s", "abcdef");
	CHECK_FMT("", "%.0s", "abcdef");
	CHECK_FMT("abc", "%.10s", "abc");
	CHECK_FMT("abc", "%.*s", 3, "abcdef");
	CHECK_FMT("abcdef", "%.*s", -1, "abcdef"); /* negative: as if omitted */
	CHECK_FMT("   ab", "%5.2s", "abcdef");
	CHECK_FMT("ab   |", "%-5.2s|", "abcdef");
	CHECK_FMT("  abc", "%*.*s", 5, 3, "abcdef");
	CHECK_FMT("xyz", "%.3s", unterminated);
	CHECK_FMT_RAW("(nu", "%.3s", (char *)NULL);
}

TEST(width_and_padding)
{
	CHECK_FMT("   42", "%5d", 42);
	CHECK_FMT("42   |", "%-5d|", 42);
	CHECK_FMT("00042", "%05d", 42);
	CHECK_FMT("-0042", "%05d", -42);
	CHECK_FMT("  -42", "%5d", -42);
	CHECK_FMT("-42  |", "%-5d|", -42);
	CHECK_FMT("12345", "%2d", 12345);
	CHECK_FMT("0000beef", "%08x", 0xbeefu);
	CHECK_FMT("    BEEF", "%8X", 0xbeefu);
	CHECK_FMT("0000000000001000", "%016lx", 0x1000UL);
	CHECK_FMT("ffffffffffffffff", "%08lx", (unsigned long)UINT64_MAX);
	CHECK_FMT("00000000000000000042", "%020lu", 42UL);
	CHECK_FMT("-000000000000000000001", "%022ld", -1L);
	CHECK_FMT("0", "%0d", 0);
	/* '-' wins over '0': the padding goes right, and is spaces. */
	CHECK_FMT_RAW("-42  |", "%-05d|", -42);
	CHECK_FMT_RAW("42   |", "%0-5d|", 42);
	/* '0' does not apply to strings and characters. */
	CHECK_FMT_RAW("   ab", "%05s", "ab");
	CHECK_FMT_RAW("    c", "%05c", 'c');
}

TEST(star_width)
{
	CHECK_FMT("   42", "%*d", 5, 42);
	CHECK_FMT("42   |", "%*d|", -5, 42); /* negative width: left-justified */
	CHECK_FMT("0000beef", "%0*x", 8, 0xbeefu);
	CHECK_FMT("ab  |", "%-*s|", 4, "ab");
	CHECK_FMT("42", "%*d", 0, 42);
	CHECK_FMT("x    y", "x%*sy", 4, "");
}

TEST(percent)
{
	CHECK_FMT("%", "%%");
	CHECK_FMT("100%", "100%%");
	CHECK_FMT("%d", "%%d");
	CHECK_FMT("%%", "%%%%");
	CHECK_FMT("5% of 20", "%d%% of %d", 5, 20);
}

TEST(unknown_conversion_copied_through)
{
	CHECK_FMT_RAW("%q", "%q");
	CHECK_FMT_RAW("a%qb", "a%qb");
	CHECK_FMT_RAW("%5q", "%5q");
	CHECK_FMT_RAW("%-08.3q", "%-08.3q");
	CHECK_FMT_RAW("%lq", "%lq");
	/* 'h' is not supported: "%h" shows, 'd' is then plain text. */
	CHECK_FMT_RAW("%hd", "%hd", 1);
	/* The unknown conversion takes no argument, so the next one still gets its own. */
	CHECK_FMT_RAW("%q 7", "%q %d", 7);
	CHECK_FMT_RAW("%hd 5 x", "%hd %d %s", 5, "x");
}

TEST(trailing_percent)
{
	CHECK_FMT_RAW("%", "%");
	CHECK_FMT_RAW("abc%", "abc%");
	CHECK_FMT_RAW("%-", "%-");
	CHECK_FMT_RAW("%05", "%05");
	CHECK_FMT_RAW("%l", "%l");
	CHECK_FMT_RAW("%ll", "%ll");
	CHECK_FMT_RAW("%.", "%.");
	CHECK_FMT_RAW("42%", "%d%", 42);
}

TEST(truncation_keeps_full_length_and_nul)
{
	char buf[16];
	int n;

	/* Only size bytes are touched: the rest of the buffer keeps its canary. */
	memset(buf, 'X', sizeof(buf));
	n = format(buf, 5, "hello world");
	CHECK_EQ_INT(n, 11);
	CHECK_STR(buf, "hell");
	CHECK(memcmp(buf + 5, "XXXXXXXXXXX", 11) == 0);

	memset(buf, 'X', sizeof(buf));
	n = format(buf, 1, "hello");
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(buf[0], '\0');
	CHECK_EQ_INT(buf[1], 'X');

	/* Exactly fits, and one byte short. */
	n = format(buf, 6, "%s", "hello");
	CHECK_EQ_INT(n, 5);
	CHECK_STR(buf, "hello");
	n = format(buf, 5, "%s", "hello");
	CHECK_EQ_INT(n, 5);
	CHECK_STR(buf, "hell");

	/* Cut inside a padded number and inside a %p. */
	n = format(buf, 4, "%5d", 42);
	CHECK_EQ_INT(n, 5);
	CHECK_STR(buf, "   ");
	n = format(buf, 8, "%p", (void *)0x1234);
	CHECK_EQ_INT(n, 18);
	CHECK_STR(buf, "0x00000");
	n = format(buf, 3, "%ld", (long)INT64_MIN);
	CHECK_EQ_INT(n, 20);
	CHECK_STR(buf, "-9");

	/* Output far longer than the buffer. */
	n = format(buf, sizeof(buf), "%300s|", "x");
	CHECK_EQ_INT(n, 301);
	CHECK_EQ_U64(strlen(buf), sizeof(buf) - 1);
	CHECK_STR(buf, "               ");
}

TEST(size_zero_writes_nothing)
{
	char buf[4] = { 'X', 'X', 'X', 'X' };

	CHECK_EQ_INT(format(buf, 0, "hello %d", 42), 8);
	CHECK(memcmp(buf, "XXXX", 4) == 0);
	/* Like snprintf(NULL, 0, ...): measures the output. */
	CHECK_EQ_INT(format(NULL, 0, "%s-%x", "abc", 0xffu), 6);
	CHECK_EQ_INT(format_unchecked(NULL, 0, ""), 0);
}

TEST(truncated_bad_format)
{
	char buf[3];

	CHECK_EQ_INT(format_unchecked(buf, sizeof(buf), "ab%q"), 4);
	CHECK_STR(buf, "ab");
	CHECK_EQ_INT(format_unchecked(buf, sizeof(buf), "abc%"), 4);
	CHECK_STR(buf, "ab");
}

TEST(mixed)
{
	CHECK_FMT("vcpu 3: exit 0x30 at 0x00000000fffffff0 (io) rc=-22",
		  "vcpu %u: exit 0x%x at %p (%s) rc=%d", 3u, 0x30u, (void *)0xfffffff0ULL, "io", -22);
	CHECK_FMT("[   7|beef    |ok]", "[%4u|%-8x|%.2s]", 7u, 0xbeefu, "okay");
}

/* A '*' width of INT_MIN must not negate INT_MIN (undefined behaviour, caught by UBSan). */
TEST(star_width_int_min)
{
	char b[64];

	CHECK_EQ_INT(format_unchecked(b, sizeof(b), "%*d", INT_MIN, 1), 1024);
	CHECK_EQ_INT(b[0], '1');
	/* Widths are capped at 1024: the result length says so. */
	CHECK_EQ_INT(format_unchecked(b, sizeof(b), "%99999d", 7), 1024);
}
