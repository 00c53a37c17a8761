/*
 * Plinth's hypercall interface (documented, and defined for both sides, in tools/hvabi.py):
 * what each function does for the calling vCPU's VM. The architecture takes the call from the
 * guest (its registers, the privilege check) and gives the result back.
 */
#include <console_proto.h>
#include <plinth_abi.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/hypercall.h>
#include <plinth/options.h>
#include <plinth/string.h>

/* Guest text per console line, after "[NAME] " (VM_NAME_LEN): within printk's buffer. */
#define GUEST_LINE_MAX 200

/* Guest text as lines of its own, each after the VM's name, so that no guest can pass for
 * Plinth on the console: a line ends at a newline, at the end of the call's text, or where it
 * would outgrow a console line; control characters and bytes beyond ASCII show as '?' (a
 * carriage return or an escape sequence could overwrite the name on a terminal). */
static void guest_text(const struct vm *vm, const char *text, u64 len)
{
	char seg[GUEST_LINE_MAX + 1];
	u64 at = 0;

	while (at < len) {
		u32 n = 0;

		while (at < len && text[at] != '\n' && n < GUEST_LINE_MAX) {
			char c = text[at++];

			seg[n++] = (c >= ' ' && c < 0x7f) || c == '\t' ? c : '?';
		}
		if (at < len && text[at] == '\n')
			at++;
		seg[n] = '\0';
		printk(CONSOLE_FMT_GUEST_TEXT, vm->name, seg);
	}
}

/* Out of line, as the other functions with buffers: hypercall() itself stays a leaf that
 * needs no stack frame for the calls that need none (VERSION). */
static __noinline s64 console_write_hc(struct vm *vm, gpa_t gpa, u64 len)
{
	const char *buf;

	if (len > PLINTH_CONSOLE_WRITE_MAX)
		return -PLINTH_EINVAL;
	if (!len)
		return 0;
	buf = vm_mem_ptr(vm, gpa, len);
	if (!buf)
		return -PLINTH_EFAULT;
	guest_text(vm, buf, len);
	return (s64)len;
}

static __noinline s64 exit_stats_hc(struct vm *vm, gpa_t gpa, u64 size)
{
	u32 count;
	const u64 *exits = arch_vcpu_exit_counts(&count);
	u64 n = MIN(size / sizeof(u64), (u64)count);
	u64 *out;

	if (!n)
		return -PLINTH_EINVAL;
	out = vm_mem_ptr(vm, gpa, n * sizeof(u64));
	if (!out)
		return -PLINTH_EFAULT;
	memcpy(out, exits, n * sizeof(u64));
	return (s64)n;
}

static s64 fail_next_entry_hc(void)
{
	if (!boot_options.debug_hypercalls)
		return -PLINTH_EPERM;
	arch_vcpu_fail_next_entry();
	return 0;
}

/* What the VM's EPT types gpa with now: for tests of the guest's MTRR view (vm_mtrr.c). */
static __noinline s64 ept_memory_type_hc(struct vm *vm, gpa_t gpa)
{
	int type;

	if (!boot_options.debug_hypercalls)
		return -PLINTH_EPERM;
	type = arch_vm_memory_type(vm, gpa);
	return type < 0 ? -PLINTH_EFAULT : type;
}

s64 hypercall(struct vm *vm, u64 fn, u64 arg0, u64 arg1, u64 arg2)
{
	(void)arg2; /* no function takes a third argument yet */
	switch (fn) {
	case PLINTH_HC_VERSION:
		return PLINTH_ABI_VERSION;
	case PLINTH_HC_CONSOLE_WRITE:
		return console_write_hc(vm, arg0, arg1);
	case PLINTH_HC_EXIT_STATS:
		return exit_stats_hc(vm, arg0, arg1);
	case PLINTH_HC_DEBUG_CORRUPT_GUEST_STATE:
		return fail_next_entry_hc();
	case PLINTH_HC_DEBUG_EPT_MEMORY_TYPE:
		return ept_memory_type_hc(vm, arg0);
	default:
		return -PLINTH_ENOSYS;
	}
}
