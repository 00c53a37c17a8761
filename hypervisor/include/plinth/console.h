/* Plinth's console: log lines prefixed "plinth: " (core/console.c) over the arch's UART. */
#ifndef PLINTH_CONSOLE_H
#define PLINTH_CONSOLE_H

#include <stdarg.h>
#include <plinth/types.h>

/* Sets the console up as the boot option console= says (boot_options, default com1,115200),
 * and warns about an option it did not understand. */
void console_init(void);

/* For a FATAL report (core/panic.c): from now on only this CPU's output reaches the console,
 * once a line another CPU is writing has ended. False when another CPU claimed it first; true
 * again for the CPU that holds it. */
bool console_claim(void);

/* Raw output, no prefix; "\n" becomes "\r\n". Unserialised: callers use printk. */
void console_write(const char *s, size_t n);
void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);
/* A VM's console text, "[vm] text": a whole line (whole), or the start of one that the VM
 * continues later (a prompt). The console then shows that line open: the VM's next text goes
 * on it without a prefix, and any other output first ends it with a newline. vm is the VM's
 * name, the same pointer every time. */
void console_vm_text(const char *vm, const char *text, bool whole);

/* One log line: "plinth: " + the formatted text + newline; dropped with the boot option quiet. */
void log_info(const char *fmt, ...) __printf(1, 2);
/* The same, printed even when quiet (results people ask for: measurements, the banner). */
void log_notice(const char *fmt, ...) __printf(1, 2);
/* One warning line: "plinth: warning: " + text. */
void log_warn(const char *fmt, ...) __printf(1, 2);

#endif
