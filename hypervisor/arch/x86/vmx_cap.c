/* Evaluating the generated VMX capability table (see x86/vmx_cap.h). */
#include <plinth/format.h>
#include <x86/vmx_cap.h>

const struct vmx_cap vmx_cap_table[VMX_CAP_COUNT] = VMX_CAP_TABLE;
const struct vmx_report_line vmx_report_lines[] = VMX_REPORT_TABLE;
const u32 vmx_report_line_count = ARRAY_SIZE(vmx_report_lines);

static bool term_holds(const struct vmx_cap_term *t, const u64 *regs)
{
	u64 bits = (regs[t->reg] >> t->shift) & t->mask;

	switch (t->op) {
	case VMX_CAP_ALL:
		return bits == t->mask;
	case VMX_CAP_ANY:
		return bits != 0;
	case VMX_CAP_EQ:
		return bits == t->value;
	default:
		return bits <= t->value;
	}
}

bool vmx_cap_holds(const struct vmx_cap *cap, const u64 *regs)
{
	u32 i;

	for (i = 0; i < cap->term_count; i++)
		if (!term_holds(&cap->terms[i], regs))
			return false;
	return true;
}

bool vmx_cap_applies(const struct vmx_cap *cap, const u64 *regs)
{
	return !cap->conditional || term_holds(&cap->when, regs);
}

int vmx_cap_report_line(const struct vmx_report_line *line, const u64 *regs, char *buf, size_t size)
{
	size_t n = 0;
	u32 i;

	for (i = 0; i < line->count; i++)
		n += (size_t)format(buf + MIN(n, size), size - MIN(n, size), "%s%s", line->items[i].text,
				    vmx_cap_holds(&vmx_cap_table[line->items[i].cap], regs) ? "yes" : "NO");
	n += (size_t)format(buf + MIN(n, size), size - MIN(n, size), "%s", line->tail);
	return (int)n;
}
