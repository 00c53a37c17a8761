/* Which I/O ports a VM's hardware accesses reach (vm_ports.c), and the VM's I/O bitmaps built
 * from that: the ports Plinth claims always exit; a partition's other ports pass through only
 * when they are its own (its ranges, or with owns_rest every port no other VM owns and Plinth
 * does not hold: its console UART, PCI configuration), and exit otherwise, where io_legacy.c makes them absent. The default VM
 * passes every port Plinth does not claim. */
#ifndef X86_VM_PORTS_H
#define X86_VM_PORTS_H

#include <plinth/types.h>
#include <plinth/vm.h>

/* Fills the VM's I/O bitmaps (its arch state built, before its first launch). */
void vm_ports_bitmap_init(struct vm *vm);
/* Records that the partition vm owns ports [base, base + count) (its PCI functions' I/O BARs):
 * they pass through in its bitmaps (claimed ports still exit) and exit in an owns_rest VM's.
 * At build time, before any VM runs; works before or after vm_ports_bitmap_init. 0, -EINVAL
 * (empty, wraps past 0xFFFF, or not a partition), -EBUSY (a port Plinth holds or another VM
 * owns), -ENOSPC (VM_PORT_RANGES_MAX ranges already). */
int vm_ports_add(struct vm *vm, u16 base, u32 count);
/* Whether the hardware behind port is vm's (the default VM: every port). */
bool vm_ports_owns(const struct vm *vm, u16 port);

#endif
