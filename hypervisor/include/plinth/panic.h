/* The one panic path (core/panic.c): "FATAL: <what> (<why>)", a decoded dump, every CPU
 * halted, then the CONSOLE_HALTED_TEXT log line. Tests stop at the first "FATAL:". */
#ifndef PLINTH_PANIC_H
#define PLINTH_PANIC_H

#include <plinth/types.h>

/* Panics with a dump of the calling CPU's state. */
__noreturn void panic(const char *what, const char *why_fmt, ...) __printf(2, 3);

/* For callers that print their own dump (exception handlers): panic_start prints the FATAL
 * line, the caller prints its dump, panic_finish halts every CPU. */
void panic_start(const char *what, const char *why_fmt, ...) __printf(2, 3);
__noreturn void panic_finish(void);

#endif
