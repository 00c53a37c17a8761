/* Output to COM1 (console.c). Only the boot CPU prints. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <plinth/types.h>

void console_write(const char *s, size_t len);
/* printf-style (plinth/format.h conversions); a line longer than 512 bytes is cut. */
void console_printf(const char *fmt, ...) __printf(1, 2);

/* Waits until the UART has sent every byte: before something that may stop the machine (a
 * triple fault makes Bochs exit with the last bytes still in its transmitter). */
void console_drain(void);

#endif
