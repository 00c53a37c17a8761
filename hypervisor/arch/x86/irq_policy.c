/* The interrupts a partition VM may aim; the rule is in x86/irq_policy.h. */
#include <x86/irq_policy.h>

bool irq_policy_vm_cpu(const u32 *apic_ids, u32 n, u32 id)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (apic_ids[i] == id)
			return true;
	return false;
}

u32 irq_policy_check(const struct irq_target *t, const u32 *apic_ids, u32 n)
{
	if (t->logical)
		return IRQ_REFUSE_LOGICAL;
	if (t->delivery != IRQ_DELIVERY_FIXED && t->delivery != IRQ_DELIVERY_LOWEST)
		return IRQ_REFUSE_DELIVERY;
	if (t->dest == t->broadcast || !irq_policy_vm_cpu(apic_ids, n, t->dest))
		return IRQ_REFUSE_DEST;
	if (t->vector < IRQ_VECTOR_MIN)
		return IRQ_REFUSE_VECTOR;
	return IRQ_OK;
}

const char *irq_refusal_name(u32 reason)
{
	static const char *const names[] = {
		[IRQ_OK] = "accepted",
		[IRQ_REFUSE_LOGICAL] = "logical destination",
		[IRQ_REFUSE_DEST] = "destination outside the VM",
		[IRQ_REFUSE_DELIVERY] = "SMI, NMI, INIT, ExtINT or reserved delivery mode",
		[IRQ_REFUSE_VECTOR] = "vector below 0x10",
		[IRQ_REFUSE_ADDRESS] = "not an interrupt address (0xfeexxxxx, compatibility format, reserved bits clear)",
		[IRQ_REFUSE_VECTOR_FF] = "vector 0xff",
		[IRQ_REFUSE_NO_ENTRY] = "no interrupt remapping entry (table full or a unit did not answer)",
	};

	return reason < ARRAY_SIZE(names) ? names[reason] : "unknown";
}
