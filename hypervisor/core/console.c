/* Console: formatted output and "plinth: " log lines over the arch's UART. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/options.h>
#include <plinth/string.h>

#define CONSOLE_LINE_MAX 256

/* Serialises whole lines between CPUs; a plain test-and-set lock. */
static volatile int console_lock;

static void lock(void)
{
	while (__atomic_test_and_set(&console_lock, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void unlock(void)
{
	__atomic_clear(&console_lock, __ATOMIC_RELEASE);
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
	lock();
	console_write(buf, n);
	unlock();
}

void vprintk(const char *fmt, va_list ap)
{
	char buf[CONSOLE_LINE_MAX];
	int len = vformat(buf, sizeof(buf), fmt, ap);

	lock();
	console_write(buf, MIN((size_t)len, sizeof(buf) - 1));
	unlock();
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
