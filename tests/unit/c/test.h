/*
 * A tiny unit-test framework for Plinth's pure C modules, compiled on the host.
 *
 *   TEST(name) { CHECK(x > 0); CHECK_EQ_U64(f(), 42); CHECK_STR(s, "ok"); }
 *
 * TEST registers the function with a constructor, so a test cannot be written and forgotten.
 * Each check records file:line and the values on failure and the test goes on (a REQUIRE_*
 * variant returns from the test instead, for when later checks would dereference garbage).
 * main runs every test (or those named on the command line) and prints one line per test,
 * `ok <name>` or `FAIL <name>: <file>:<line>: <detail>`, then `N passed, N failed`; the exit
 * status is non-zero on any failure. A test that runs no check at all fails: it proves nothing.
 *
 * Header-only: include it from exactly one file per test program. A host program with a main
 * of its own (acpi_table_file.c) defines TEST_NO_MAIN first: the checks without the runner.
 */
#ifndef PLINTH_TEST_H
#define PLINTH_TEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

#define TEST_MORE_MAX 8 /* further failures shown per test */
#define TEST_MSG_LEN 600

static unsigned long test_checks;      /* checks run by all tests */
static unsigned long test_case_checks; /* checks run by the current test */
static unsigned test_case_failures;
static char test_first[TEST_MSG_LEN];
static char test_more[TEST_MORE_MAX][TEST_MSG_LEN];

#ifndef TEST_NO_MAIN
static struct test_case *test_head, **test_tail = &test_head;

#define TEST(name)                                                                         \
	static void test_fn_##name(void);                                                  \
	static struct test_case test_case_##name = { #name, test_fn_##name, NULL };        \
	__attribute__((constructor)) static void test_register_##name(void)               \
	{                                                                                  \
		*test_tail = &test_case_##name;                                            \
		test_tail = &test_case_##name.next;                                        \
	}                                                                                  \
	static void test_fn_##name(void)
#endif

/* Records one check; on failure keeps "file:line: detail". Returns ok for REQUIRE. */
__attribute__((format(printf, 4, 5), unused)) static bool
test_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int n;

	test_checks++;
	test_case_checks++;
	if (ok)
		return true;
	if (test_case_failures == 0)
		msg = test_first;
	else if (test_case_failures <= TEST_MORE_MAX)
		msg = test_more[test_case_failures - 1];
	else
		msg = NULL;
	test_case_failures++;
	if (msg) {
		n = snprintf(msg, TEST_MSG_LEN, "%s:%d: ", file, line);
		if (n < 0 || n >= TEST_MSG_LEN)
			return false;
		va_start(ap, fmt);
		vsnprintf(msg + n, TEST_MSG_LEN - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Writes s quoted, with control bytes escaped, into out (for failure messages). */
__attribute__((unused)) static const char *test_quote(char *out, size_t size, const char *s)
{
	size_t o = 0;

	if (!s) {
		snprintf(out, size, "NULL");
		return out;
	}
	out[o++] = '"';
	for (; *s && o + 8 < size; s++) { /* room for \xNN, ..., quote, NUL */
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (*s)
		o += (size_t)snprintf(out + o, size - o, "...");
	snprintf(out + o, size - o, "\"");
	return out;
}

__attribute__((unused)) static bool test_eq_u64(uint64_t a, uint64_t b, const char *as,
						 const char *bs, const char *file, int line)
{
	return test_check(a == b, file, line, "%s == %s: got 0x%llx (%llu), expected 0x%llx (%llu)",
			  as, bs, (unsigned long long)a, (unsigned long long)a,
			  (unsigned long long)b, (unsigned long long)b);
}

__attribute__((unused)) static bool test_eq_int(long long a, long long b, const char *as,
						 const char *bs, const char *file, int line)
{
	return test_check(a == b, file, line, "%s == %s: got %lld, expected %lld", as, bs, a, b);
}

__attribute__((unused)) static bool test_str(const char *a, const char *b, const char *as,
					      const char *bs, const char *file, int line)
{
	char qa[200], qb[200];
	bool ok = a && b ? strcmp(a, b) == 0 : a == b;

	return test_check(ok, file, line, "%s == %s: got %s, expected %s", as, bs,
			  test_quote(qa, sizeof(qa), a), test_quote(qb, sizeof(qb), b));
}

__attribute__((unused)) static bool test_contains(const char *hay, const char *needle,
						   const char *hs, const char *file, int line)
{
	char qh[300], qn[200];

	return test_check(hay && strstr(hay, needle), file, line, "%s contains %s: got %s", hs,
			  test_quote(qn, sizeof(qn), needle), test_quote(qh, sizeof(qh), hay));
}

/* Each is an expression: true when the check passed. */
#define CHECK(cond) test_check(!!(cond), __FILE__, __LINE__, "CHECK(%s) failed", #cond)
#define CHECK_EQ_U64(a, b) test_eq_u64((uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_INT(a, b) test_eq_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_STR(a, b) test_str((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_CONTAINS(hay, needle) test_contains((hay), (needle), #hay, __FILE__, __LINE__)

/* Like the checks, but return from the test when they fail. */
#define REQUIRE(cond)              \
	do {                       \
		if (!CHECK(cond))  \
			return;    \
	} while (0)
#define REQUIRE_EQ_U64(a, b)             \
	do {                             \
		if (!CHECK_EQ_U64(a, b)) \
			return;          \
	} while (0)

#ifndef TEST_NO_MAIN
static bool test_selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0, i;
	struct test_case *t;

	setvbuf(stdout, NULL, _IOLBF, 0); /* keep the lines before a sanitizer abort */
	for (t = test_head; t; t = t->next) {
		if (!test_selected(t->name, argc, argv))
			continue;
		test_case_checks = 0;
		test_case_failures = 0;
		t->fn();
		if (!test_case_failures && !test_case_checks)
			test_check(false, __FILE__, __LINE__, "test ran no checks, so it proves nothing");
		if (!test_case_failures) {
			printf("ok %s\n", t->name);
			passed++;
			continue;
		}
		printf("FAIL %s: %s\n", t->name, test_first);
		for (i = 1; i < test_case_failures && i <= TEST_MORE_MAX; i++)
			printf("    also %s\n", test_more[i - 1]);
		if (test_case_failures > TEST_MORE_MAX + 1)
			printf("    and %u more failures\n", test_case_failures - TEST_MORE_MAX - 1);
		failed++;
	}
	if (!passed && !failed) {
		printf("no tests ran\n");
		failed = 1;
	}
	printf("%lu checks\n", test_checks);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif /* TEST_NO_MAIN */

#endif
