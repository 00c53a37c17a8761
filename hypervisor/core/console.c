/* Console: formatted output and "plinth: " log lines over the arch's UART. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/cmdline.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/string.h>

#define CONSOLE_LINE_MAX 256
#define DEFAULT_PORT 0x3f8
#define DEFAULT_BAUD 115200

static const struct {
	const char *name;
	u16 port;
} uart_names[] = {
	{ "com1", 0x3f8 }, { "com2", 0x2f8 }, { "com3", 0x3e8 }, { "com4", 0x2e8 },
	{ "ttyS0", 0x3f8 }, { "ttyS1", 0x2f8 }, { "ttyS2", 0x3e8 }, { "ttyS3", 0x2e8 },
};

/* Boot option quiet: ordinary log lines are dropped (each costs its characters' time on the
 * UART: at 115200 baud about 87 us, a few thousand instructions of polling, each). Warnings,
 * notices and FATAL reports are always printed. */
static bool quiet;

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

/* Parses "com1", "0x3f8", "com2,9600" into port and baud; false on anything else. */
static bool parse_console(char *opt, u16 *port, u32 *baud)
{
	char *comma = opt;
	u64 v;
	size_t i;

	while (*comma && *comma != ',')
		comma++;
	if (*comma) {
		*comma = '\0';
		if (!cmdline_parse_u64(comma + 1, &v) || v < 50 || v > 115200 || 115200 % v)
			return false;
		*baud = (u32)v;
	}
	for (i = 0; i < ARRAY_SIZE(uart_names); i++) {
		if (!strcmp(opt, uart_names[i].name)) {
			*port = uart_names[i].port;
			return true;
		}
	}
	if (!cmdline_parse_u64(opt, &v) || !v || v > 0xfff8)
		return false;
	*port = (u16)v;
	return true;
}

void console_init(const char *cmdline)
{
	char opt[32];
	u16 port = DEFAULT_PORT;
	u32 baud = DEFAULT_BAUD;
	bool bad = false;

	if (cmdline_get(cmdline, "console", opt, sizeof(opt)))
		bad = !parse_console(opt, &port, &baud);
	quiet = cmdline_get(cmdline, "quiet", NULL, 0);
	if (bad) {
		port = DEFAULT_PORT;
		baud = DEFAULT_BAUD;
	}
	arch_console_setup(port, baud);
	if (bad)
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

	if (quiet)
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
