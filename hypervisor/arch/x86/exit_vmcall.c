/*
 * VMCALL: the x86 side of Plinth's hypercall interface (tools/hvabi.py): RAX = function,
 * RBX/RCX/RDX = arguments, RAX = result (negative error). Only CPL 0 may call: from user mode
 * every call fails with -EPERM. What the functions do is core's (core/hypercall.c).
 */
#include <plinth_abi.h>
#include <plinth/hypercall.h>
#include <x86/vmexit.h>

void exit_vmcall(struct vcpu *v)
{
	struct guest_regs *r = v->regs;

	r->rax = (u64)(vcpu_cpl() != 0 ? -PLINTH_EPERM : hypercall(v->vm, r->rax, r->rbx, r->rcx, r->rdx));
	vcpu_skip_instruction_fast();
}
