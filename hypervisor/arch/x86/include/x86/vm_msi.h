/*
 * The MSIs of a partition's PCI functions on the hardware (vm_msi.c, vm_msix.c): each vector
 * routed as x86/msi_route.h says, so that it lands on the VM's CPUs only.
 *
 *  - MSI-X: the page(s) of the BAR that hold the table (x86/msix.h) are left out of the VM's
 *    memory (so of its EPT and DMA domain); each access exits as an EPT violation and is
 *    emulated: table entries are the guest's shadow, routed on each write; the rest of those
 *    pages (the PBA, device registers sharing them) goes to the device with the same size.
 *  - MSI, with interrupt remapping: the capability's control, address and data read as the
 *    guest wrote them and the device gets Plinth's remappable pair; one vector only (Multiple
 *    Message Capable reads 0), so each vector is one entry without subhandles. Without
 *    remapping, pci_msi_write_check lets through only pairs aimed at the VM (x86/pci_access.h).
 *  - Interrupt remapping is used for partitions when the DMAR and every unit allow it
 *    (vtd_ir_available) and their I/O APIC pins can go through it too: remapping blocks
 *    compatibility format, so an owned pin needs an entry of its own, verified against the I/O
 *    APIC's requester ID from the DMAR (vm_ioapic_can_remap); without that ID, and with owned
 *    pins, remapping stays off. The default VM never uses it.
 *  - A VM's stop masks every vector of its functions on the device and frees their entries;
 *    a restart also forgets the guest's values (entries read masked, as after a reset).
 */
#ifndef X86_VM_MSI_H
#define X86_VM_MSI_H

#include <plinth/spinlock.h>
#include <plinth/vm.h>
#include <x86/msi_route.h>
#include <x86/msix.h>
#include <x86/pci_access.h>
#include <x86/vcpu.h>

/* (vm_msi_setup.c) At partition build, after vm_pci_assign (boot CPU): each owned function's
 * MSI and MSI-X found, its MSI-X table's pages taken out of the VM's memory, every vector
 * masked on the device. 0, or -ENOMEM/-ENOSPC/-EINVAL after one line saying why. */
int vm_msi_assign(struct vm *vm);
/* Once, after the first partition's I/O APIC is set up: whether partitions use interrupt
 * remapping (enabled here), said in one line. */
void vm_msi_platform_init(void);
/* Whether partitions' MSIs go through remapping entries. */
bool vm_msi_remapping(void);
/* Fills st's MSI-X fields for the function (x86/pci_access.h). */
void vm_msi_fn_state(const struct vm *vm, u16 bdf, struct pci_fn_state *st);
/* Under remapping: a CHECK_MSI write by v (st: the function now) kept in the guest's view and
 * routed; and what a read at a of the capability returns (hw: the device's value). */
void vm_msi_cap_write(struct vcpu *v, const struct pci_cfg_access *a, const struct pci_fn_state *st);
u32 vm_msi_cap_read(const struct vm *vm, const struct pci_cfg_access *a, u32 hw);
/* A partition's EPT violation at gpa: true when it lies in an MSI-X table page of one of its
 * functions and was emulated (or the VM stopped because it cannot be). */
bool vm_msix_access(struct vcpu *v, gpa_t gpa, bool write);
/* Every vector of the VM's functions masked on the device, their entries freed (its stop);
 * _reset also clears the guest's values (its restart). */
void vm_msi_quiesce(struct vm *vm);
void vm_msi_reset(struct vm *vm);
/* (vm_msi_stats.c, a leaf the monitor reaches without the exit path) The VM's refused vectors:
 * a VM with MSI-capable functions (added at build) counts them; count_refusal is true for the
 * first since the VM's start (to be said); reset at restart; the monitor's `stats` line. */
void vm_msi_stats_add(const struct vm *vm);
bool vm_msi_count_refusal(const struct vm *vm);
void vm_msi_stats_reset(const struct vm *vm);
void vm_msi_print_stats(const struct vm *vm);

/* Shared by vm_msi.c and vm_msix.c: one owned function's MSI state. */
struct msix_vec {
	u32 w[MSIX_ENTRY_WORDS]; /* the guest's entry */
	struct msi_route r;	 /* what the device holds for it */
};

struct vm_msi_fn {
	struct vm *vm;
	u16 bdf;
	struct spinlock lock;
	u8 msi_cap;
	bool msi_64;
	struct pci_msi_shadow msi; /* under remapping: the guest's view */
	struct msi_route msi_route;
	u8 msix_cap;
	bool msix_usable;
	struct msix_layout lay;
	hpa_t trap;	   /* the table's first page (guest-physical = host-physical) */
	hpa_t table;	   /* the device's table */
	struct msix_vec *vec; /* lay.entries of them */
	u32 vec_pages;
	bool odd_said; /* a table access of another size, said once */
};

/* (vm_msix.c) Every MSI-X entry of f masked on the device and its remapping entry freed;
 * forget: the guest's view back to masked and zero. */
void vm_msix_clear(struct vm_msi_fn *f, bool forget);
/* (vm_msi.c) A function's state kept for the exits (its copy; NULL when the table is full),
 * the MSI capability turned off on the device, and remapping turned on for partitions. */
struct vm_msi_fn *vm_msi_add(const struct vm_msi_fn *f);
void vm_msi_disable(struct vm_msi_fn *f);
void vm_msi_set_remapping(void);
/* (vm_msi.c) The VM's APIC IDs, into ids (PLINTH_MAX_CPUS): their count. */
u32 vm_msi_apic_ids(const struct vm *vm, u32 *ids);
/* The VM's function whose MSI-X table pages hold gpa, or NULL. */
struct vm_msi_fn *vm_msi_trapped(const struct vm *vm, gpa_t gpa);
/* Counts a vector refused (kept masked) and says the first of each VM. */
void vm_msi_refused(struct vcpu *v, const struct vm_msi_fn *f, const char *what, u32 n, u32 reason);

/* (vm_pci_cfg.c) Configuration registers on the hardware, under the lock every CPU shares. */
u32 vm_pci_hw_read(u16 bdf, u16 reg, u8 width);
void vm_pci_hw_write(u16 bdf, u16 reg, u8 width, u32 v);

#endif
