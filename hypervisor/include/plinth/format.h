/* printf-style formatting into a buffer (core/format.c). Pure: no console, no hardware. */
#ifndef PLINTH_FORMAT_H
#define PLINTH_FORMAT_H

#include <stdarg.h>
#include <plinth/types.h>

/*
 * Formats like vsnprintf: writes at most size bytes including the terminating NUL and returns
 * the length the full result would have. Conversions: %d %i %u %x %X %p %c %s %%, flags '-'
 * and '0', a width (digits or '*', at most 1024), a precision for %s, length modifiers l, ll, z.
 * An unknown conversion is copied through as-is, so a bad format shows instead of crashing.
 */
int vformat(char *buf, size_t size, const char *fmt, va_list ap);
int format(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
