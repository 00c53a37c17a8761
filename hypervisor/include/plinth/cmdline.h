/* Boot command line options: space-separated `key=value` or bare `key` words; everything after
 * a lone `--` belongs to the guest and is never read as an option. Pure functions. */
#ifndef PLINTH_CMDLINE_H
#define PLINTH_CMDLINE_H

#include <plinth/types.h>

/*
 * Looks up key in cmdline. Returns true when present and copies its value (empty for a bare
 * key) into val, truncated to n - 1 bytes and NUL-terminated. cmdline may be NULL.
 */
bool cmdline_get(const char *cmdline, const char *key, char *val, size_t n);

/* Parses an unsigned decimal or 0x-prefixed hexadecimal number; false on junk or overflow. */
bool cmdline_parse_u64(const char *s, u64 *out);

#endif
