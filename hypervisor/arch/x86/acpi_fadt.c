/*
 * The FADT (ACPI 6.5, 5.2.9): the ports Plinth watches (PM1a control, for the power-off report)
 * or filters (the SMI command port, where only the firmware's own commands go through;
 * io_acpi.c). Pure, like the rest of the parser.
 *
 * A FADT is firmware input and every field is checked before it is used: a field beyond the
 * table's length is absent, whatever the revision promises; PSTATE_CNT and CST_CNT exist from
 * revision 2 on (ACPI 1.0 reserves those bytes); a port range must lie within the 16-bit port
 * space (PM1a at 0xfffe with 255 ports would wrap to port 0), and must not reach a port Plinth
 * uses itself (its console UART, PCI configuration, the test device), or, for PM1a, the SMI
 * command ports, which must stay filtered. A field that fails is refused with one note.
 * Refusing the SMI command port also refuses its commands: nothing written to the APM port
 * then goes through, so a lying table closes the SMI path rather than opening it.
 */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/acpi_parse.h>

#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52 /* then ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT: one byte each */
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1_CNT_LEN 89
#define FADT_CST_CNT 95
#define FADT_V1_LEN 116 /* ACPI 1.0 */
#define FADT_V3_LEN 244 /* ACPI 2.0 to 4.0 (revisions 3 and 4) */
#define FADT_V5_LEN 268 /* ACPI 5.0 adds the sleep registers */
#define FADT_V6_LEN 276 /* ACPI 6.0 adds the hypervisor vendor identity */
#define PORT_SPACE 0x10000u

static const char *const command_names[ACPI_FADT_SMI_COMMANDS] = {
	"ACPI_ENABLE", "ACPI_DISABLE", "S4BIOS_REQ", "PSTATE_CNT", "CST_CNT",
};
static const u32 command_offsets[ACPI_FADT_SMI_COMMANDS] = {
	FADT_ACPI_ENABLE, FADT_ACPI_ENABLE + 1, FADT_ACPI_ENABLE + 2, FADT_ACPI_ENABLE + 3, FADT_CST_CNT,
};

/* The length a FADT of this revision has; later revisions only add fields. */
static u32 revision_length(u8 revision)
{
	if (revision >= 6)
		return FADT_V6_LEN;
	if (revision == 5)
		return FADT_V5_LEN;
	if (revision >= 3)
		return FADT_V3_LEN;
	return FADT_V1_LEN;
}

/* The first of own that ports [base, base + count) reach, or NULL. */
static const struct acpi_port_range *own_overlap(const struct acpi_port_range *own, u32 own_count, u32 base,
						 u32 count)
{
	u32 i;

	for (i = 0; i < own_count; i++)
		if (base < (u32)own[i].base + own[i].count && own[i].base < base + count)
			return &own[i];
	return NULL;
}

/* Whether the port range of the field at off is usable; a note says why not. */
static bool ports_ok(struct acpi_fadt *out, const struct acpi_port_range *own, u32 own_count, u32 off,
		     const char *name, u32 base, u32 count)
{
	const struct acpi_port_range *o;

	if (base >= PORT_SPACE || count > PORT_SPACE - base) {
		acpi_note(&out->notes, "FADT offset 0x%x: %s 0x%x with %u port%s runs past port 0xffff; refused", off,
			  name, base, count, count == 1 ? "" : "s");
		return false;
	}
	o = own_overlap(own, own_count, base, count);
	if (o) {
		acpi_note(&out->notes, "FADT offset 0x%x: %s 0x%x-0x%x reaches %s (ports 0x%x-0x%x); refused", off,
			  name, base, base + count - 1, o->what, o->base, o->base + o->count - 1);
		return false;
	}
	return true;
}

static void read_smi(const u8 *t, u32 len, const struct acpi_port_range *own, u32 own_count, struct acpi_fadt *out)
{
	u32 port = len >= FADT_SMI_CMD + 4 ? acpi_read_u32(t + FADT_SMI_CMD) : 0, i, off;
	bool refused = port && !ports_ok(out, own, own_count, FADT_SMI_CMD, "SMI_CMD", port, 1);

	if (port && !refused)
		out->smi_cmd = (u16)port;
	for (i = 0; i < ACPI_FADT_SMI_COMMANDS; i++) {
		off = command_offsets[i];
		if (off >= len || !t[off])
			continue;
		if (i >= 3 && out->revision < 2)
			acpi_note(&out->notes, "FADT offset 0x%x: byte 0x%02x where revision %u reserves the field; not an SMI command",
				  off, t[off], out->revision);
		else if (!out->smi_cmd)
			acpi_note(&out->notes, "FADT offset 0x%x: %s 0x%02x without %s SMI command port; refused", off,
				  command_names[i], t[off], refused ? "a usable" : "an");
		else
			out->smi_commands[i] = t[off];
	}
}

static void read_pm1a(const u8 *t, u32 len, const struct acpi_port_range *own, u32 own_count, struct acpi_fadt *out)
{
	u32 port = len >= FADT_PM1A_CNT_BLK + 4 ? acpi_read_u32(t + FADT_PM1A_CNT_BLK) : 0;
	u32 count = len > FADT_PM1_CNT_LEN ? t[FADT_PM1_CNT_LEN] : ACPI_PM1_CNT_MIN_LEN;
	struct acpi_port_range smi[2] = {
		{ ACPI_APM_CNT, 1, "the APM control port" },
		{ out->smi_cmd, 1, "the SMI command port" },
	};

	if (!port)
		return;
	if (count < ACPI_PM1_CNT_MIN_LEN) {
		acpi_note(&out->notes, "FADT offset 0x%x: PM1_CNT_LEN %u is below %u; %u is used", FADT_PM1_CNT_LEN,
			  count, ACPI_PM1_CNT_MIN_LEN, ACPI_PM1_CNT_MIN_LEN);
		count = ACPI_PM1_CNT_MIN_LEN;
	}
	if (!ports_ok(out, own, own_count, FADT_PM1A_CNT_BLK, "PM1a_CNT_BLK", port, count) ||
	    !ports_ok(out, smi, out->smi_cmd ? 2 : 1, FADT_PM1A_CNT_BLK, "PM1a_CNT_BLK", port, count))
		return;
	out->pm1a_cnt = (u16)port;
	out->pm1a_cnt_len = (u8)count;
}

int acpi_parse_fadt(const struct acpi_info *info, const struct acpi_port_range *own, u32 own_count,
		    struct acpi_fadt *out)
{
	u32 len;
	const u8 *t = acpi_find_table(info, "FACP", &len);

	memset(out, 0, sizeof(*out));
	if (!t)
		return -ENOENT;
	out->present = true;
	out->revision = t[8];
	out->length = len;
	if (len < revision_length(out->revision))
		acpi_note(&out->notes, "FADT offset 0x4: length %u is below the %u bytes of revision %u; the fields past it are absent",
			  len, revision_length(out->revision), out->revision);
	read_smi(t, len, own, own_count, out);
	read_pm1a(t, len, own, own_count, out);
	return 0;
}
