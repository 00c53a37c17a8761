/* I/O exits (exit_io.c): the VM's I/O bitmaps, the ports Plinth emulates or watches, and
 * accesses to them, whole or split byte by byte where one spans devices. */
#ifndef X86_EXIT_IO_H
#define X86_EXIT_IO_H

#include <x86/vcpu.h>

/* The exit qualification of an I/O exit (SDM 28.2.1, Table 28-5). */
#define IO_QUAL_SIZE(q) (((q) & 7) + 1)
#define IO_QUAL_IN BIT(3)
#define IO_QUAL_STRING BIT(4)
#define IO_QUAL_REP BIT(5)
#define IO_QUAL_PORT(q) ((u16)((q) >> 16))

/* A range of ports Plinth handles: in returns the value read (size bytes: no bit set past
 * them, exit_io merges it into RAX so), out performs a write; port is the access's first port,
 * inside the range with all its bytes. */
struct io_ports {
	u16 base, count;
	u32 (*in)(struct vcpu *v, u16 port, u32 size);
	void (*out)(struct vcpu *v, u16 port, u32 size, u32 value);
	bool partitions_only; /* intercepted for VMs of a configuration only (their COM1) */
};

/* Claims the test device's ports (boot). */
void exit_io_init(void);
/* Claims a range at boot (before any VM is built); io_ports must stay valid. */
void exit_io_claim(const struct io_ports *ports);
/* Adds to a VM's I/O bitmaps (vm_ports.c fills the rest first) every claimed port
 * (partitions_only ones for a partition), and notes which claims' hardware owns says is the
 * VM's (exit_io_owned_in/out). */
void exit_io_bitmap_claims(struct vm *vm, bool (*owns)(const struct vm *vm, u16 port));
/* A guest's port access of size bytes, through the claimed ranges or to the hardware. */
u32 exit_io_in(struct vcpu *v, u16 port, u32 size);
void exit_io_out(struct vcpu *v, u16 port, u32 size, u32 value);
/* The hardware's port, for ranges that watch rather than emulate. */
u32 exit_io_port_in(u16 port, u32 size);
void exit_io_port_out(u16 port, u32 size, u32 value);
/* The same for a claim's handler where the hardware behind the claim may not be the VM's: the
 * hardware for the default VM and a partition that owns it (vm_ports.c), else absent. */
u32 exit_io_owned_in(struct vcpu *v, u16 port, u32 size);
void exit_io_owned_out(struct vcpu *v, u16 port, u32 size, u32 value);

/* A port of a partition that is not its own and that Plinth does not emulate (io_legacy.c):
 * reads are all ones of the access's width (System Control Port B excepted: no NMI source,
 * the PIT's OUT2 high), writes are dropped; counted by device, said once per VM and device.
 * Port 0x80 (POST codes, Linux's I/O delay) is dropped without a count. The CMOS ports 0x70
 * and 0x71 are the emulated read-only RTC instead (plinth/vrtc.h), not counted. */
u32 io_legacy_absent_in(struct vcpu *v, u16 port, u32 size);
void io_legacy_absent_out(struct vcpu *v, u16 port, u32 size, u32 value);
/* One line of the VM's accesses to absent ports by device, when there were any. */
void io_legacy_print_stats(struct vm *vm);

/* String I/O (INS, OUTS, with or without REP) to a port that exits: one element per exit
 * (exit_io_string.c). q is the exit qualification. */
void exit_io_string(struct vcpu *v, u64 q);

struct acpi_fadt;
/* The ACPI ports of the FADT as the parser checked them (io_acpi.c): PM1a control, watched
 * for the guest's power-off, and the SMI command ports, where only the firmware's ACPI
 * commands go through. */
void io_acpi_init(const struct acpi_fadt *fadt);
/* Claims, for partitions, the ports that reset the machine (io_reset.c): a write that would
 * reset it stops the writer's VM instead. */
void io_reset_claim(void);
/* Claims the APM control port 0xB2 (boot, with or without a FADT). */
void io_acpi_claim_apm(void);

/* PCI configuration writes to the host bridge's SMRAM and window registers, through 0xCFC and
 * the ECAM page (pci_filter.c): claimed at boot when the host bridge is one Plinth knows. */
void pci_filter_init(void);
bool pci_filter_is_ecam_page(gpa_t gpa);
void pci_filter_ecam_write(struct vcpu *v, gpa_t gpa);

#endif
