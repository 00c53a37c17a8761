/* The one panic path: FATAL line, decoded dump, every CPU halted. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/panic.h>

static int panicking;

void panic_start(const char *what, const char *why_fmt, ...)
{
	char why[160];
	va_list ap;

	/* A fault while reporting a fault: say so once and stop; the first report stands. */
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL)) {
		printk("\n" CONSOLE_FATAL_PREFIX "nested failure during a FATAL report (%s)\n", what);
		arch_halt();
	}
	va_start(ap, why_fmt);
	vformat(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	printk("\n" CONSOLE_FATAL_PREFIX "%s (%s)\n", what, why);
}

void panic_finish(void)
{
	arch_stop_other_cpus();
	printk(CONSOLE_LOG_PREFIX CONSOLE_HALTED_TEXT "\n");
	arch_halt();
}

void panic(const char *what, const char *why_fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, why_fmt);
	vformat(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	panic_start(what, "%s", why);
	arch_dump_current();
	panic_finish();
}
