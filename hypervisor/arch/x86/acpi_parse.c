/* What the ACPI table parsers share (acpi*.c): recording the first
 * problem, table limits, and reading unaligned fields. Pure, like the parsers. */
#include <stdarg.h>
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/string.h>
#include <x86/acpi_parse.h>

int __printf(2, 3) acpi_fail(struct acpi_info *out, const char *fmt, ...)
{
	va_list ap;

	if (!out->error[0]) {
		va_start(ap, fmt);
		vformat(out->error, sizeof(out->error), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void __printf(2, 3) acpi_warn(struct acpi_info *out, const char *fmt, ...)
{
	va_list ap;

	if (!out->warning[0]) {
		va_start(ap, fmt);
		vformat(out->warning, sizeof(out->warning), fmt, ap);
		va_end(ap);
	}
}

void __printf(2, 3) acpi_note(struct acpi_notes *notes, const char *fmt, ...)
{
	va_list ap;

	if (notes->count == ACPI_NOTES_MAX) {
		notes->dropped++;
		return;
	}
	va_start(ap, fmt);
	vformat(notes->lines[notes->count++], sizeof(notes->lines[0]), fmt, ap);
	va_end(ap);
}

const u8 *acpi_find_table(const struct acpi_info *info, const char *sig, u32 *len)
{
	u32 i;

	/* acpi_parse listed only tables whose header, length and checksum it checked, all
	 * below ACPI_PHYS_LIMIT. */
	for (i = 0; i < info->table_count && i < ACPI_MAX_TABLES; i++) {
		if (!memcmp(info->tables[i].sig, sig, 4)) {
			*len = info->tables[i].length;
			return (const u8 *)(uintptr_t)info->tables[i].pa;
		}
	}
	return NULL;
}

/* Room for one more of a kind? The first overflow is noted in the warning. */
bool acpi_room(struct acpi_info *out, u32 count, u32 max, const char *table, u32 off,
		 const char *what)
{
	if (count < max)
		return true;
	acpi_warn(out, "%s offset 0x%x: more than %u %s; the rest are ignored", table, off, max, what);
	out->truncated = true;
	return false;
}

/* Copies an n-byte name field as a C string, with '?' for bytes that do not print. */
void acpi_copy_name(char *dst, const char *src, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[n] = '\0';
}

u64 acpi_read_u64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

u32 acpi_read_u32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}
