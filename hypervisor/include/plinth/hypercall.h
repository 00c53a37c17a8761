/* Plinth's hypercalls (core/hypercall.c), as tools/hvabi.py defines them for both sides. */
#ifndef PLINTH_HYPERCALL_H
#define PLINTH_HYPERCALL_H

#include <plinth/vm.h>

/* Performs hypercall fn with its arguments for the calling vCPU of vm; returns the result
 * for the guest (>= 0, or a negative PLINTH_E* error). The architecture has already taken
 * the registers and refused callers that are not at CPL 0. */
s64 hypercall(struct vm *vm, u64 fn, u64 arg0, u64 arg1, u64 arg2);

#endif
