// sources: hypervisor/arch/x86/vtd_ir_table.c hypervisor/core/format.c
/*
 * Runs vtd_ir_choose() and vtd_irt_entries() (arch/x86/vtd_ir_table.c), the code Plinth decides
 * interrupt remapping with, for check-host (tools/hostcheck_ir.py). Arguments: KEY=VALUE for
 * dmar_intr_remap, dmar_x2apic_opt_out, units, units_ir, units_qi, units_eim, x2apic_now,
 * max_apic_id, register_invalidation and cpus (missing ones are 0). Prints "mode N" (VTD_IR_),
 * "why TEXT" and "entries N"; exit status 2 for an argument it does not know.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86/vtd_ir.h>

int main(int argc, char **argv)
{
	struct vtd_ir_platform p = { 0 };
	unsigned long cpus = 0, v;
	char why[160];
	int i;

	for (i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t n = eq ? (size_t)(eq - argv[i]) : 0;

		if (!eq) {
			fprintf(stderr, "vtd_ir_choose_file: %s is not KEY=VALUE\n", argv[i]);
			return 2;
		}
		v = strtoul(eq + 1, NULL, 0);
#define KEY(name) (n == strlen(name) && !strncmp(argv[i], name, n))
		if (KEY("dmar_intr_remap"))
			p.dmar_intr_remap = v != 0;
		else if (KEY("dmar_x2apic_opt_out"))
			p.dmar_x2apic_opt_out = v != 0;
		else if (KEY("units"))
			p.units = (u32)v;
		else if (KEY("units_ir"))
			p.units_ir = (u32)v;
		else if (KEY("units_qi"))
			p.units_qi = (u32)v;
		else if (KEY("units_eim"))
			p.units_eim = (u32)v;
		else if (KEY("x2apic_now"))
			p.x2apic_now = v != 0;
		else if (KEY("max_apic_id"))
			p.max_apic_id = (u32)v;
		else if (KEY("register_invalidation"))
			p.register_invalidation = v != 0;
		else if (KEY("cpus"))
			cpus = v;
		else {
			fprintf(stderr, "vtd_ir_choose_file: unknown key in %s\n", argv[i]);
			return 2;
		}
#undef KEY
	}
	printf("mode %u\n", vtd_ir_choose(&p, why, sizeof(why)));
	printf("why %s\n", why);
	printf("entries %u\n", vtd_irt_entries((u32)cpus));
	return 0;
}
