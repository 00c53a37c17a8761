/* Running checks and printing their results (see checks.h). */
#include <stdarg.h>
#include <plinth/format.h>
#include "checks.h"
#include "console.h"
#include "plinth_abi.h"
#include "trap.h"
#include "x86.h"

#define DETAIL_MAX 400

static const char *running;       /* name of the check being run, or NULL */
static char detail[DETAIL_MAX];   /* its failures so far, "; "-separated */
static size_t detail_len;
static bool failed;
static unsigned passed_count, failed_count;

static void add_failure(const char *fmt, va_list ap)
{
	size_t room;
	int len;

	failed = true;
	if (detail_len > 0 && sizeof(detail) - detail_len > 2) {
		detail[detail_len++] = ';';
		detail[detail_len++] = ' ';
	}
	room = sizeof(detail) - detail_len;
	if (room < 2) /* full: the first reasons are the ones that matter */
		return;
	len = vformat(detail + detail_len, room, fmt, ap);
	if (len > 0)
		detail_len += MIN((size_t)len, room - 1);
}

bool check_expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok) {
		va_start(ap, fmt);
		add_failure(fmt, ap);
		va_end(ap);
	}
	return ok;
}

static const char *fault_str(struct fault f, char *buf, size_t size)
{
	if (f.vector == FAULT_NONE)
		return "no exception";
	if (!trap_has_error_code((u64)f.vector))
		return trap_vector_name((u64)f.vector);
	format(buf, size, f.error_code ? "%s(0x%lx)" : "%s(%lu)", trap_vector_name((u64)f.vector),
	       f.error_code);
	return buf;
}

bool check_expect_fault(struct fault got, int vector, u64 error_code, const char *what)
{
	char want[32], seen[32];
	struct fault expected = { vector, error_code, 0 };

	return check_expect(got.vector == vector && got.error_code == error_code,
			    "%s: expected %s, got %s", what, fault_str(expected, want, sizeof(want)),
			    fault_str(got, seen, sizeof(seen)));
}

bool check_expect_no_fault(struct fault got, const char *what)
{
	char seen[32];

	return check_expect(got.vector == FAULT_NONE, "%s raised %s", what,
			    fault_str(got, seen, sizeof(seen)));
}

void check_info(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_printf(GUEST_FMT_INFO, buf);
}

static void report(const char *name)
{
	if (failed) {
		failed_count++;
		console_printf(GUEST_FMT_CHECK_FAIL, name, detail);
	} else {
		passed_count++;
		console_printf(GUEST_FMT_CHECK_PASS, name);
	}
}

void check_run(const char *name, void (*fn)(void))
{
	running = name;
	detail[0] = '\0';
	detail_len = 0;
	failed = false;
	fn();
	report(name);
	running = NULL;
}

/* The harness's pattern for a check name (tools/hvabi.py GUEST_CHECK_RE). */
static bool is_check_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

void check_unknown(const char *name)
{
	failed = false;
	detail_len = 0;
	if (is_check_name(name)) {
		check_expect(false, "unknown check");
		report(name);
	} else {
		check_expect(false, "unknown check \"%s\"", name);
		report("unknown");
	}
}

void checks_finish(void)
{
	console_printf(GUEST_FMT_SUMMARY, passed_count, failed_count);
	halt_forever();
}

void checks_abort(const char *why)
{
	static bool aborting;

	if (aborting) /* an exception while reporting one: nothing sensible left to print */
		halt_forever();
	aborting = true;
	if (!running) {
		running = "startup";
		failed = false;
		detail_len = 0;
	}
	check_expect(false, "%s", why);
	report(running);
	checks_finish();
}
