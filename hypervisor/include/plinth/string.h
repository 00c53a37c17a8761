/* The few C library string functions Plinth implements (core/string.c). The prototypes match
 * the standard ones so the host-compiled unit tests link against the host's C library. */
#ifndef PLINTH_STRING_H
#define PLINTH_STRING_H

#include <plinth/types.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
