/* Console: formatted output and "plinth: " log lines over the arch's UART. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/options.h>
#include <plinth/spinlock.h>
#include <plinth/string.h>

#define CONSOLE_LINE_MAX 256

/* How long a CPU that claims the console for a FATAL report waits for a line another CPU is
 * writing (or for itself, if it faulted inside the console): then it writes regardless. */
#define CLAIM_SPINS 10000000

/* Serialises whole lines between CPUs. */
static struct spinlock console_lock;
/* The CPU writing a FATAL report, or -1. Once it is set, only that CPU's output reaches the
 * UART: the others' lines are dropped, so the report stays whole. */
static int console_owner = -1;
/* The VM whose line the console shows unfinished (console_vm_text), or NULL. Under the lock. */
static const char *open_vm;

/* With the console held: ends a VM's unfinished line before other output. */
static void close_open_line(void)
{
	if (open_vm) {
		open_vm = NULL;
		console_write("\n", 1);
	}
}

/* Whether this CPU may write a line now; with the lock held unless it owns the console. */
static bool begin(void)
{
	int self = (int)arch_cpu_index();

	for (;;) {
		int owner = __atomic_load_n(&console_owner, __ATOMIC_ACQUIRE);

		if (owner >= 0)
			return owner == self;
		if (spin_trylock(&console_lock)) {
			if (__atomic_load_n(&console_owner, __ATOMIC_ACQUIRE) < 0)
				return true;
			spin_unlock(&console_lock); /* claimed meanwhile: ask again */
		}
		arch_cpu_relax();
	}
}

static void end(void)
{
	/* The owner keeps the lock (or never got it): no other CPU writes again. */
	if (__atomic_load_n(&console_owner, __ATOMIC_ACQUIRE) != (int)arch_cpu_index())
		spin_unlock(&console_lock);
}

bool console_claim(void)
{
	int self = (int)arch_cpu_index(), none = -1;
	u32 spins;

	if (!__atomic_compare_exchange_n(&console_owner, &none, self, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return none == self;
	for (spins = 0; spins < CLAIM_SPINS && !spin_trylock(&console_lock); spins++)
		arch_cpu_relax();
	return true;
}

void console_init(void)
{
	arch_console_setup(boot_options.console_port, boot_options.console_baud);
	if (boot_options.console_invalid)
		log_warn("console= option not understood; using com1,115200 (valid: com1..com4 or 0xPORT, optional ,BAUD dividing 115200)");
}

void console_write(const char *s, size_t n)
{
	while (n--) {
		if (*s == '\n')
			arch_console_putc('\r');
		arch_console_putc(*s++);
	}
}

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[CONSOLE_LINE_MAX];
	size_t n = strlen(prefix);
	int len;

	memcpy(buf, prefix, n);
	len = vformat(buf + n, sizeof(buf) - n - 1, fmt, ap);
	n += MIN((size_t)len, sizeof(buf) - n - 2);
	buf[n++] = '\n';
	if (begin()) {
		close_open_line();
		console_write(buf, n);
		end();
	}
}

void vprintk(const char *fmt, va_list ap)
{
	char buf[CONSOLE_LINE_MAX];
	int len = vformat(buf, sizeof(buf), fmt, ap);

	if (begin()) {
		close_open_line();
		console_write(buf, MIN((size_t)len, sizeof(buf) - 1));
		end();
	}
}

void console_vm_text(const char *vm, const char *text, bool whole)
{
	char buf[CONSOLE_LINE_MAX];
	size_t n;

	if (!begin())
		return;
	if (open_vm == vm) {
		console_write(text, strlen(text));
		if (whole)
			console_write("\n", 1);
	} else {
		close_open_line();
		n = MIN((size_t)format(buf, sizeof(buf), CONSOLE_FMT_GUEST_TEXT, vm, text), sizeof(buf) - 1);
		/* The format ends the line; an unfinished one stays open. */
		console_write(buf, whole || !n ? n : n - 1);
	}
	open_vm = whole ? NULL : vm;
	end();
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	/* Boot option quiet: ordinary log lines are dropped (each costs its characters' time on
	 * the UART: at 115200 baud about 87 us, a few thousand instructions of polling, each).
	 * Warnings, notices and FATAL reports are always printed. */
	if (boot_options.quiet)
		return;
	va_start(ap, fmt);
	vline(CONSOLE_LOG_PREFIX, fmt, ap);
	va_end(ap);
}

void log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(CONSOLE_LOG_PREFIX, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(CONSOLE_LOG_PREFIX "warning: ", fmt, ap);
	va_end(ap);
}
