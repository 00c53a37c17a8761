/*
 * VMCALL: Plinth's hypercall interface (documented, and defined for both sides, in
 * tools/hvabi.py). RAX = function, RBX/RCX/RDX = arguments, RAX = result (negative error).
 * Only CPL 0 may call: from user mode every call fails with -EPERM.
 */
#include <plinth/console.h>
#include <plinth/string.h>
#include <plinth_abi.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define RFLAGS_RESERVED_1 BIT(1)


static s64 hc_console_write(struct vcpu *v, gpa_t gpa, u64 len)
{
	const char *buf;

	if (len > PLINTH_CONSOLE_WRITE_MAX)
		return -PLINTH_EINVAL;
	if (!len)
		return 0;
	buf = vcpu_guest_ptr(v, gpa, len);
	if (!buf)
		return -PLINTH_EFAULT;
	printk("%.*s", (int)len, buf);
	return (s64)len;
}

static s64 exit_stats(struct vcpu *v, gpa_t gpa, u64 size)
{
	u64 n = MIN(size / sizeof(u64), (u64)ARRAY_SIZE(v->exits));
	u64 *out;

	if (!n)
		return -PLINTH_EINVAL;
	out = vcpu_guest_ptr(v, gpa, n * sizeof(u64));
	if (!out)
		return -PLINTH_EFAULT;
	memcpy(out, v->exits, n * sizeof(u64));
	return (s64)n;
}

static s64 corrupt_guest_state(void)
{
	if (!vm_debug_hypercalls)
		return -PLINTH_EPERM;
	/* RFLAGS bit 1 must be 1 (SDM 27.3.1.4): the next VM entry fails its guest-state checks. */
	log_info("debug hypercall: clearing guest RFLAGS bit 1 so the next VM entry fails");
	vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~RFLAGS_RESERVED_1);
	return 0;
}

void exit_vmcall(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	s64 ret;

	if (vcpu_cpl() != 0) {
		ret = -PLINTH_EPERM;
	} else {
		switch (r->rax) {
		case PLINTH_HC_VERSION:
			ret = PLINTH_ABI_VERSION;
			break;
		case PLINTH_HC_CONSOLE_WRITE:
			ret = hc_console_write(v, r->rbx, r->rcx);
			break;
		case PLINTH_HC_EXIT_STATS:
			ret = exit_stats(v, r->rbx, r->rcx);
			break;
		case PLINTH_HC_DEBUG_CORRUPT_GUEST_STATE:
			ret = corrupt_guest_state();
			break;
		default:
			ret = -PLINTH_ENOSYS;
			break;
		}
	}
	r->rax = (u64)ret;
	vcpu_skip_instruction();
}
