/*
 * The one panic path: FATAL line, decoded dump, every CPU halted.
 *
 * Several CPUs can fail at the same moment (a bug on a path they all take). The first to claim
 * the console writes its report whole; the others halt at once without a word, and the report
 * ends by counting them.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/panic.h>

/* Entries into panic_start by the reporting CPU: more than one is a failure inside its report. */
static int depth;
/* CPUs that failed while another one's report was being written. */
static u32 silenced;

void panic_start(const char *what, const char *why_fmt, ...)
{
	char why[160];
	va_list ap;

	if (!console_claim()) {
		/* Another CPU's report is on the console: it stands, this CPU stops. */
		__atomic_fetch_add(&silenced, 1, __ATOMIC_RELAXED);
		arch_halt();
	}
	if (__atomic_fetch_add(&depth, 1, __ATOMIC_ACQ_REL)) {
		/* A fault while this CPU reports a fault: say so once, stop the others, halt. */
		if (__atomic_load_n(&depth, __ATOMIC_ACQUIRE) == 2) {
			printk("\n" CONSOLE_FATAL_PREFIX CONSOLE_FMT_FATAL_NESTED "\n", what);
			arch_stop_other_cpus();
		}
		arch_halt();
	}
	va_start(ap, why_fmt);
	vformat(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	printk("\n" CONSOLE_FATAL_PREFIX "%s (%s)\n", what, why);
}

void panic_finish(void)
{
	u32 others;

	arch_stop_other_cpus();
	others = __atomic_load_n(&silenced, __ATOMIC_RELAXED);
	if (others)
		printk(CONSOLE_LOG_PREFIX CONSOLE_FMT_FATAL_SILENCED "\n", others, others == 1 ? "" : "s");
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
