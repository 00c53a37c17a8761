/* Shared by the ACPI parser's files (acpi.c, acpi_madt.c, acpi_dmar.c, acpi_fadt.c, acpi_mcfg.c; the helpers are
 * acpi_parse.c's); not for other code. */
#ifndef X86_ACPI_PARSE_H
#define X86_ACPI_PARSE_H

#include <x86/acpi.h>

struct sdt_header {
	char sig[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;


/* The first fatal problem and the first oddity, each one sentence naming table and offset. */
int acpi_fail(struct acpi_info *out, const char *fmt, ...) __printf(2, 3);
void acpi_warn(struct acpi_info *out, const char *fmt, ...) __printf(2, 3);
/* Room for one more of a kind? The first overflow is noted in the warning. */
bool acpi_room(struct acpi_info *out, u32 count, u32 max, const char *table, u32 off, const char *what);
/* Copies an n-byte name field as a C string, with '?' for bytes that do not print. */
void acpi_copy_name(char *dst, const char *src, u32 n);
/* One note more in notes (the count of dropped ones past ACPI_NOTES_MAX). */
void acpi_note(struct acpi_notes *notes, const char *fmt, ...) __printf(2, 3);
/* The first table listed in info with signature sig, or NULL; its length in *len. */
const u8 *acpi_find_table(const struct acpi_info *info, const char *sig, u32 *len);
u64 acpi_read_u64(const u8 *p);
u32 acpi_read_u32(const u8 *p);

/* The table parsers, given a table whose header and checksum were checked. */
int acpi_parse_madt(const u8 *t, u32 len, struct acpi_info *out);
int acpi_parse_dmar(const u8 *t, u32 len, struct acpi_info *out);

#endif
