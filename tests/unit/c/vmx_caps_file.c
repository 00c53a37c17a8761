// sources: hypervisor/arch/x86/vmx_cap.c hypervisor/core/format.c
/*
 * Runs the generated VMX capability table through vmx_cap.c, the code vmx_detect() uses, for
 * tests/unit/test_vmxcaps.py. Arguments: KEY=VALUE per register of tools/vmxcaps.py (basic,
 * misc, ept_vpid, pin, proc, proc2, exit, entry; a missing one is 0). Prints one line per
 * capability, "cap NAME|NEED|APPLIES|HOLDS" (NEED 0 required, 1 optional, 2 info; APPLIES and
 * HOLDS 0 or 1; WITHOUT and WARN follow for optional ones), then "report LINE" per report line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86/vmx_cap.h>

static const char *const reg_keys[VMX_CAP_REG_COUNT] = {
#define REG_KEY(id, member) [VMX_CAP_REG_##id] = #member,
	VMX_CAP_REGS(REG_KEY)
#undef REG_KEY
};

int main(int argc, char **argv)
{
	u64 regs[VMX_CAP_REG_COUNT] = { 0 };
	char line[256];
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		for (r = 0; eq && r < VMX_CAP_REG_COUNT; r++)
			if (strlen(reg_keys[r]) == (size_t)(eq - argv[i]) && !strncmp(argv[i], reg_keys[r], eq - argv[i]))
				break;
		if (!eq || r == VMX_CAP_REG_COUNT) {
			fprintf(stderr, "unknown register argument %s\n", argv[i]);
			return 2;
		}
		regs[r] = strtoull(eq + 1, NULL, 0);
	}
	for (i = 0; i < VMX_CAP_COUNT; i++) {
		const struct vmx_cap *cap = &vmx_cap_table[i];

		printf("cap %s|%u|%d|%d|%s|%d\n", cap->name, cap->need, vmx_cap_applies(cap, regs),
		       vmx_cap_holds(cap, regs), cap->without, cap->warn);
	}
	for (i = 0; i < (int)vmx_report_line_count; i++) {
		vmx_cap_report_line(&vmx_report_lines[i], regs, line, sizeof(line));
		printf("report %s\n", line);
	}
	return 0;
}
